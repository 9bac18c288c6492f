"""API shapes for categories and listings: `…In` is what a client sends, `…Out` what it gets back."""

import json
from datetime import datetime
from decimal import Decimal
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, model_validator

from core.api import StrictIn
from marketplace.attributes import attribute_choice_label
from marketplace.models import (
    DESCRIPTION_MAX_LENGTH,
    MESSAGE_MAX_LENGTH,
    PRICE_MAX,
    RATING_COMMENT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Condition,
    Listing,
    Photo,
)
from marketplace.places import RADII_KM
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


class PlaceOut(Schema):
    id: int = Field(description="The GeoNames id.")
    name: str = Field(description="The town's name, with its region where two towns share a name.")
    region: str
    latitude: float
    longitude: float

    @staticmethod
    def resolve_id(place) -> int:
        return place.geonameid

    @staticmethod
    def resolve_name(place) -> str:
        return place.label


class BuyerOut(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(user) -> str:
        return user.public_name


class CategoryAttributeOut(Schema):
    slug: str = Field(description="Its name in a listing's `attributes`, and as a filter of GET /api/listings.")
    name: str = Field(description="In the request's language.")
    choices: list[str] = Field(description="The values it may take; empty for free text (at most 80 characters).")
    choice_labels: list[str] = Field(description="How each of `choices` reads, in the request's language.")

    @staticmethod
    def resolve_name(attribute) -> str:
        return attribute.name_translated

    @staticmethod
    def resolve_choice_labels(attribute) -> list[str]:
        return [attribute_choice_label(choice) for choice in attribute.choices]


class CategoryOut(Schema):
    slug: str
    name: str = Field(description="In the request's language (Accept-Language, or the signed-in person's).")
    attributes: list[CategoryAttributeOut] = Field(description="The item details its listings have, in order.")

    @staticmethod
    def resolve_name(category) -> str:
        return category.name_translated

    @staticmethod
    def resolve_attributes(category) -> list:
        return list(category.attributes.all())


def _attributes_object(value: object) -> object:
    # A multipart form carries the object as one JSON-encoded field; a JSON body carries it as it is.
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise ValueError('attributes must be a JSON object, like {"brand": "Sony"}') from None
    return value


# Values are checked against the category's details by the service (listing_attributes_clean): 422 naming them.
AttributesIn = Annotated[
    dict[Annotated[str, Field(max_length=40)], Annotated[str, AfterValidator(_no_nul)] | None],
    BeforeValidator(_attributes_object),
    Field(
        max_length=50,
        description='The item details by slug (GET /api/categories lists each category\'s), e.g. {"brand": "Sony", '
        '"colour": "black"}; null or "" leaves one empty. Multipart: the object as JSON in one field.',
        examples=[{"brand": "Sony", "colour": "black"}],
    ),
]


class ListingFiltersIn(Schema):
    q: Text = Field(
        "", max_length=200, description="Words (any form, or a synonym) that must all be in the title or description."
    )
    category: Text = Field("", max_length=50, description="A category slug from /api/categories.")
    min_price: Price | None = None
    max_price: Price | None = None
    sort: SortValue | None = Field(
        None, description="By relevance when there is a query, else newest first; `distance` needs `near`."
    )
    near: Text = Field(
        "", max_length=120, description="A town from /api/places, by its id or name: distances are measured from it."
    )
    within_km: int | None = Field(None, ge=1, le=500, description="Only listings this close to `near`.")

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
    state: str = Field(description="available, reserved, sold or hidden: what buyers see.")
    seller: str = Field(description="The seller's display name.")
    place: str | None = Field(description="The town only; there is never an address.")
    attributes: dict[str, str] = Field(description="The item details by slug, only those with a value.")
    created_at: datetime

    @staticmethod
    def resolve_place(listing: Listing) -> str | None:
        return listing.place_name or None

    @staticmethod
    def resolve_category(listing: Listing) -> str:
        return listing.category.slug

    @staticmethod
    def resolve_seller(listing: Listing) -> str:
        return listing.seller.public_name


class ListingSummaryOut(_ListingOutBase):
    thumbnail_url: str | None = Field(description="The main photo's thumbnail.")
    distance_km: float | None = Field(description="From `near`, when it was given.")

    @staticmethod
    def resolve_distance_km(listing: Listing) -> float | None:
        distance = getattr(listing, "distance", None)
        return round(distance, 1) if distance is not None else None

    @staticmethod
    def resolve_thumbnail_url(listing: Listing) -> str | None:
        name = getattr(listing, "main_thumbnail", None)
        return Photo._meta.get_field("thumbnail").storage.url(name) if name else None


class ListingPageOut(Schema):
    items: list[ListingSummaryOut]
    count: int = Field(description="How many listings match, over all pages.")
    did_you_mean: str | None = Field(None, description="When nothing matches q: the query with its typos corrected.")


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
        description="Which photo is the main one, counting from 0. With `analysis_id` the analysed photos come "
        "first, in their order, and the `images` follow them.",
    )
    analysis_id: UUID | None = Field(
        None,
        description="Reuse the photos of your analysis (from POST /api/analyses), in their order, as this listing's.",
    )
    place: Text = Field(
        "", max_length=120, description="A town from /api/places (id or name); by default your last listing's."
    )
    attributes: AttributesIn = {}


class ListingPatchIn(StrictIn):
    """Only the fields sent are changed. `status` moves the listing: available, reserved or sold (`buyer_id`
    naming who bought it, from GET /api/listings/{id}/buyers)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    # Optional but not nullable: leave a field out to keep it.
    title: Text = Field(None, min_length=1, max_length=TITLE_MAX_LENGTH)
    description: Text = Field(None, max_length=DESCRIPTION_MAX_LENGTH)
    category: Text = Field(None, max_length=50)
    price: Price = None
    condition: ConditionValue = None
    place: Text = Field(None, max_length=120, description="A town from /api/places, by its id or name.")
    attributes: AttributesIn = Field(
        None,
        description="Replaces all the item details. Left out, they stay (less those a new category has not).",
    )
    status: Literal["available", "reserved", "sold"] = None
    buyer_id: int = Field(None, ge=1, le=MAX_ID)


class NoticeOut(Schema):
    id: int
    kind: str = Field(description="price_drop or sold.")
    listing_id: int | None
    text: str
    created_at: datetime
    read: bool

    @staticmethod
    def resolve_read(notice) -> bool:
        return notice.read_at is not None


class MessageIn(Schema):
    body: Text = Field(min_length=1, max_length=MESSAGE_MAX_LENGTH)


class MessageOut(Schema):
    id: int
    conversation_id: int
    sender: str = Field(description="The sender's display name.")
    mine: bool
    body: str
    created_at: datetime
    read: bool


class ConversationOut(Schema):
    id: int
    listing_id: int
    listing_title: str
    other_party: str = Field(description="The other side's display name.")
    unread: int
    last_message: str | None
    updated_at: datetime


class ConversationDetailOut(ConversationOut):
    messages: list[MessageOut]


class UnreadOut(Schema):
    count: int


class SavedSearchIn(Schema):
    """The browse filters to keep, as in GET /api/listings."""

    q: Text = Field("", max_length=200)
    category: Text = Field("", max_length=50)
    min_price: Price | None = None
    max_price: Price | None = None
    near: Text = Field("", max_length=120, description="A town from /api/places, by its id or name.")
    within_km: Literal[tuple(RADII_KM)] | None = None


class SavedSearchOut(Schema):
    id: int
    name: str
    params: dict[str, str] = Field(description="The browse page's parameters.")
    new_matches: int = Field(description="Listings posted since you last opened the search.")
    digest_enabled: bool
    created_at: datetime


class SellerProfileOut(Schema):
    name: str = Field(description="The display name.")
    username: str
    member_since: datetime
    active_listings: int
    sold_listings: int
    reply_time: str | None = Field(description="How soon the seller usually answers a first message.")
    rating_count: int
    rating_average: float | None
    new_seller: bool = Field(description="Fewer than three ratings so far.")


class RatingIn(Schema):
    stars: int = Field(ge=1, le=5)
    comment: Text = Field("", max_length=RATING_COMMENT_MAX_LENGTH)


class RatingAnswerIn(Schema):
    answer: Text = Field(min_length=1, max_length=RATING_COMMENT_MAX_LENGTH)


class RatingOut(Schema):
    id: int
    listing_id: int
    listing_title: str
    buyer: str = Field(description="The buyer's display name.")
    stars: int
    comment: str
    created_at: datetime
    answer: str | None

    @staticmethod
    def resolve_listing_title(rating) -> str:
        return rating.listing.title

    @staticmethod
    def resolve_buyer(rating) -> str:
        return rating.buyer.public_name

    @staticmethod
    def resolve_answer(rating) -> str | None:
        return rating.answer if rating.answered_at else None
