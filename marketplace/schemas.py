"""API shapes for categories and listings: `…In` is what a client sends, `…Out` what it gets back."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, model_validator

from core.api import StrictIn
from marketplace.models import DESCRIPTION_MAX_LENGTH, PRICE_MAX, TITLE_MAX_LENGTH, Condition, Listing, Photo
from marketplace.selectors import SORTS
from marketplace.text import price_digits_ascii, text_clean

PAGE_SIZE = 24
# Far past any real catalogue; it keeps the SQL OFFSET (and ids) inside a 64-bit integer.
MAX_PAGE = 100_000
MAX_ID = 2**63 - 1


def _no_nul(text: str) -> str:
    # PostgreSQL refuses NUL in text; caught here it is a 422 with a reason instead of a 500.
    if "\x00" in text:
        raise ValueError("Text must not contain NUL characters")
    return text


def _clean_text(value: object) -> object:
    return text_clean(value) if isinstance(value, str) else value


def _ascii_digits(value: object) -> object:
    return price_digits_ascii(value) if isinstance(value, str) else value


# Cleaned before pydantic checks the length, as the forms do (marketplace.text).
Text = Annotated[str, BeforeValidator(_clean_text), AfterValidator(_no_nul)]
# The validator after the constraints still runs before them (it wraps them), and keeps pydantic's sentences.
Price = Annotated[
    Decimal,
    Field(ge=0, le=PRICE_MAX, max_digits=10, decimal_places=2, examples=["25.00"]),
    BeforeValidator(_ascii_digits),
]
ConditionValue = Literal[tuple(Condition.values)]
SortValue = Literal[tuple(SORTS)]


class CategoryOut(Schema):
    slug: str
    name: str


class ListingFiltersIn(Schema):
    q: Text = Field("", max_length=200, description="Words that must all appear in the title or description.")
    category: Text = Field("", max_length=50, description="A category slug from /api/categories.")
    min_price: Price | None = None
    max_price: Price | None = None
    sort: SortValue = "newest"

    @model_validator(mode="after")
    def _price_range_in_order(self) -> "ListingFiltersIn":
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError("min_price is above max_price")
        return self


class ListingPageIn(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE, description=f"{PAGE_SIZE} listings per page, from 1.")
    # Not a parameter: ninja's PageNumberPagination reads None as "use the paginator's page size".
    page_size: ClassVar[None] = None


class ImageOut(Schema):
    url: str
    thumbnail_url: str
    width: int
    height: int
    is_main: bool

    @staticmethod
    def resolve_url(photo: Photo) -> str:
        return photo.image.url

    @staticmethod
    def resolve_thumbnail_url(photo: Photo) -> str:
        return photo.thumbnail.url


class _ListingOutBase(Schema):
    """What every listing answer carries; the seller is a display name, never an e-mail address."""

    id: int
    title: str
    price: Decimal
    category: str = Field(description="The category's slug.")
    condition: str
    status: str
    seller: str = Field(description="The seller's display name.")
    created_at: datetime

    @staticmethod
    def resolve_category(listing: Listing) -> str:
        return listing.category.slug

    @staticmethod
    def resolve_seller(listing: Listing) -> str:
        return listing.seller.public_name


class ListingSummaryOut(_ListingOutBase):
    thumbnail_url: str | None = Field(description="The main photo's thumbnail.")

    @staticmethod
    def resolve_thumbnail_url(listing: Listing) -> str | None:
        name = getattr(listing, "main_thumbnail", None)
        return Photo._meta.get_field("thumbnail").storage.url(name) if name else None


class ListingPageOut(Schema):
    items: list[ListingSummaryOut]
    count: int = Field(description="How many listings match, over all pages.")


class ListingOut(_ListingOutBase):
    description: str
    images: list[ImageOut] = Field(description="The main photo first.")

    @staticmethod
    def resolve_images(listing: Listing) -> list[Photo]:
        return list(listing.photos.all())


class ListingCreateIn(Schema):
    """Multipart form fields (with `images` files), or a JSON object when reusing an analysed photo."""

    model_config = ConfigDict(str_strip_whitespace=True)

    title: Text = Field(min_length=1, max_length=TITLE_MAX_LENGTH)
    description: Text = Field("", max_length=DESCRIPTION_MAX_LENGTH)
    category: Text = Field(max_length=50, description="A category slug from /api/categories.")
    price: Price = Field(description="In euros, from 0 to 1,000,000.")
    condition: ConditionValue
    main_image: int = Field(
        0,
        ge=0,
        description="Which photo is the main one, counting from 0. With `analysis_id` the analysed photo is 0 "
        "and the `images` follow it.",
    )
    analysis_id: UUID | None = Field(
        None, description="Reuse the photo of your analysis (from POST /api/analyses) as this listing's photo."
    )


class ListingPatchIn(StrictIn):
    """Only the fields sent are changed. `status` can only become `sold`."""

    model_config = ConfigDict(str_strip_whitespace=True)

    # Optional but not nullable: leave a field out to keep it.
    title: Text = Field(None, min_length=1, max_length=TITLE_MAX_LENGTH)
    description: Text = Field(None, max_length=DESCRIPTION_MAX_LENGTH)
    category: Text = Field(None, max_length=50)
    price: Price = None
    condition: ConditionValue = None
    status: Literal["sold"] = None
