import io
from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from marketplace.models import Category, Condition, Listing, User


def jpeg_bytes(width: int = 64, height: int = 48, color=(200, 60, 40), **save_kwargs) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="JPEG", **save_kwargs)
    return out.getvalue()


def png_bytes(width: int = 64, height: int = 48, color=(30, 120, 200, 255)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def photo_upload(name: str = "photo.jpg", data: bytes | None = None, content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, jpeg_bytes() if data is None else data, content_type=content_type)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    display_name = factory.LazyAttribute(lambda u: u.username.capitalize())
    password = factory.django.Password("correct horse battery")


def category(slug: str = "electronics") -> Category:
    return Category.objects.get(slug=slug)


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    seller = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Item {n}")
    description = "Used a few times, works fine."
    category = factory.LazyFunction(lambda: Category.objects.get(slug="electronics"))
    price = Decimal("25.00")
    condition = Condition.GOOD


def listing_photo(listing: Listing, *, is_main: bool = False, position: int = 0, color=(200, 60, 40)):
    """A real photo stored for the listing, validated and re-encoded as an upload would be."""
    from marketplace.services.photos import make_renditions, photo_create

    renditions = make_renditions(photo_upload(data=jpeg_bytes(color=color)))
    return photo_create(
        owner=listing.seller, renditions=renditions, listing=listing, position=position, is_main=is_main
    )


SUGGESTION = {
    "title": "Wired headphones",
    "description": "Used a few times, work fine.",
    "category": "electronics",
    "price": "20.00",
    "condition": "good",
}


def suggested_analysis(*, user, suggestion: dict | None = None, status: str = "succeeded", **fields):
    """An analysis of a real stored photo, finished with a suggestion (made directly, no worker or model)."""
    from django.utils import timezone

    from ai_prefill.models import Analysis
    from marketplace.services.photos import make_renditions, photo_create

    photo = photo_create(owner=user, renditions=make_renditions(photo_upload()))
    values = {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "api_style": "responses",
        "prompt_version": "v1",
        "attempts": 1,
        "finished_at": timezone.now(),
        "suggestion": dict(SUGGESTION if suggestion is None else suggestion) if status == "succeeded" else None,
        **fields,
    }
    return Analysis.objects.create(user=user, photo=photo, status=status, **values)
