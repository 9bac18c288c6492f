import contextlib
import functools
import io
import os
from decimal import Decimal
from pathlib import Path

import factory
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
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
    # Made as if the sign-up link was followed; tests of the unconfirmed state pass email_confirmed_at=None.
    email_confirmed_at = factory.LazyFunction(timezone.now)


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


def listing_with_photo(**fields) -> Listing:
    """A listing with one real main photo, as the sell page would leave it."""
    listing = ListingFactory(**fields)
    listing_photo(listing, is_main=True)
    return listing


def truncated_jpeg_bytes() -> bytes:
    """The first half of a noisy JPEG, as an interrupted upload leaves it."""
    out = io.BytesIO()
    Image.frombytes("RGB", (400, 300), os.urandom(400 * 300 * 3)).save(out, format="JPEG", quality=90)
    return out.getvalue()[: len(out.getvalue()) // 2]


@functools.cache
def bomb_png_bytes(width: int = 30_000, height: int = 30_000) -> bytes:
    """A small PNG that decodes to width x height pixels (a decompression bomb when large)."""
    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, format="PNG")
    return out.getvalue()


@functools.cache
def bad_photo_files() -> dict[str, tuple[str, bytes, str, str]]:
    """Uploads every photo form must refuse: name -> (file name, bytes, content type, start of the sentence)."""
    unreadable = "The file is not a photo we can read."
    return {
        "empty file": ("photo.jpg", b"", "image/jpeg", "The file is empty."),
        "text renamed .jpg": ("photo.jpg", b"Shopping list: milk, eggs.\n" * 40, "image/jpeg", unreadable),
        "truncated jpeg": ("photo.jpg", truncated_jpeg_bytes(), "image/jpeg", "The photo file is damaged"),
        "svg": (
            "photo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><rect width="9" height="9"/></svg>',
            "image/svg+xml",
            unreadable,
        ),
        "html": ("photo.jpg", b"<!doctype html><p onclick=alert(1)>hi</p>", "text/html", unreadable),
        "decompression bomb": ("bomb.png", bomb_png_bytes(), "image/png", "The photo "),
        "20 MB file": ("big.jpg", jpeg_bytes() + b"\0" * (20 * 1024 * 1024), "image/jpeg", "The photo is larger than"),
    }


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


def stored_media_files() -> list[Path]:
    """Every file under MEDIA_ROOT, sorted: to see what a request stored, or that it left nothing behind."""
    return sorted(path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file())


def listing_form_data(**overrides) -> dict:
    """A valid listing form, as a seller would fill it in."""
    return {
        "title": "Road bike",
        "description": "Aluminium frame, 54 cm.",
        "category": "sports",
        "price": "250",
        "condition": "good",
        **overrides,
    }


def run_published_tasks() -> list[str]:
    """Run what was published to the in-memory broker (test settings), as a worker would: Celery's own
    `apply` on each message's task and arguments. Returns the task names, in order."""
    from config.celery import app

    names = []
    with app.connection_for_write() as connection, connection.SimpleQueue(app.conf.task_default_queue) as queue:
        while queue.qsize():
            message = queue.get_nowait()
            message.ack()
            args, kwargs, _ = message.payload
            app.tasks[message.headers["task"]].apply(args=args, kwargs=kwargs).get()
            names.append(message.headers["task"])
    return names


@contextlib.contextmanager
def committed_and_worked():
    """The block's on-commit callbacks run (as at a real commit), then the tasks they published."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        yield
    run_published_tasks()
