"""Demo data: accounts, about thirty listings with drawn photos, a conversation; --count N adds N more, fast."""

import functools
import itertools
import random
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from marketplace.attributes import attributes_search_keys
from marketplace.demo_photos import COLOURS, demo_photo_jpeg
from marketplace.models import Category, Conversation, Listing, Message, Photo, User
from marketplace.places import Place, all_places, place_find
from marketplace.selectors import category_attributes
from marketplace.services.favourites import favourite_add
from marketplace.services.item_states import listing_state_set
from marketplace.services.listings import ListingData, listing_create, listing_mark_sold
from marketplace.services.messaging import conversation_contact, conversation_mark_read, conversation_reply
from marketplace.services.photos import make_renditions
from marketplace.services.profiles import rating_answer, rating_create
from marketplace.services.saved_searches import saved_search_create

CONTENT = tomllib.loads((Path(__file__).resolve().parents[2] / "demo_content.toml").read_text(encoding="utf-8"))
BATCH_SIZE = 2000
# The demo listings are in and around Bologna, so "within 10 / 25 / 50 km of Bologna" shows a difference.
DEMO_TOWNS = ["Bologna", "Casalecchio di Reno", "Imola", "Modena", "Budrio", "Ferrara", "Florence"]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    password: str | None  # None: nobody can log in as this seller
    is_staff: bool = False


# The README lists these logins.
ACCOUNTS = [
    DemoAccount("demo", "Dana (demo seller)", "demo-pass-123"),
    DemoAccount("buyer", "Bruno (demo buyer)", "buyer-pass-123"),
    DemoAccount("staff", "Staff", "staff-pass-123", is_staff=True),
    DemoAccount("luca", "Luca", None),
    DemoAccount("sofia", "Sofia", None),
]


@dataclass(frozen=True)
class DemoListing:
    seller: str
    title: str
    description: str
    category: str
    price: str
    condition: str
    drawing: str
    colour: str
    days_ago: float
    photos: int = 1
    sold: bool = False


LISTINGS = [DemoListing(**entry) for entry in CONTENT["listings"]]


class Command(BaseCommand):
    help = (
        "Load demo accounts, about thirty listings with drawn photos and a conversation (running it again adds "
        "nothing). --count N also adds N generated listings, fast, for measuring; they share a few photo files."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--count", type=int, default=0, help="Also add this many generated listings (each run adds them again)."
        )
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="Run even with DEBUG off. The demo accounts have published passwords: never on a public site.",
        )

    def handle(self, *args, count: int, allow_without_debug: bool, **options):
        if not settings.DEBUG and not allow_without_debug:
            raise CommandError(
                "seed_demo creates accounts whose passwords are in the README, so it runs only with DEBUG=1 "
                "(or with --allow-without-debug on a machine nobody else can reach)."
            )
        if count < 0:
            raise CommandError("--count must be 0 or more.")
        users = _ensure_accounts()
        if Listing.objects.filter(seller=users["demo"]).exists():
            self.stdout.write("The demo listings are already there.")
        else:
            started = time.monotonic()
            _create_demo_listings(users)
            elapsed = time.monotonic() - started
            self.stdout.write(f"Added {len(LISTINGS)} demo listings with drawn photos in {elapsed:.1f} s.")
        if count:
            started = time.monotonic()
            _create_generated_listings(count, progress=self.stdout.write)
            elapsed = time.monotonic() - started
            self.stdout.write(f"Added {count} generated listings in {elapsed:.1f} s ({count / elapsed:.0f} a second).")
        self.stdout.write(
            "Demo logins:\n"
            + "\n".join(f"  {account.username} / {account.password}" for account in ACCOUNTS if account.password)
            + "\n  (staff also opens /admin/)"
        )


def _ensure_accounts() -> dict[str, User]:
    users = {}
    for account in ACCOUNTS:
        user, created = User.objects.get_or_create(
            username=account.username,
            defaults={
                "display_name": account.display_name,
                "email": f"{account.username}@example.com",
                # Demo addresses cannot receive the sign-up link; the notice would only get in the way.
                "email_confirmed_at": timezone.now(),
                "is_staff": account.is_staff,
                "is_superuser": account.is_staff,
            },
        )
        if created:
            # Set once: a password someone changed afterwards stays changed.
            if account.password:
                user.set_password(account.password)
            else:
                user.set_unusable_password()
            user.save(update_fields=["password"])
        users[account.username] = user
    return users


@transaction.atomic
def _create_demo_listings(users: dict[str, User]) -> None:
    categories = {category.slug: category for category in Category.objects.all()}
    now = timezone.now()
    listings = {}
    for index, item in enumerate(LISTINGS):
        uploads = [
            SimpleUploadedFile(
                f"{item.drawing}-{variant}.jpg",
                demo_photo_jpeg(item.drawing, color=COLOURS[item.colour], variant=index * 10 + variant),
                content_type="image/jpeg",
            )
            for variant in range(item.photos)
        ]
        data = ListingData(
            title=item.title,
            description=item.description,
            category=categories[item.category],
            price=Decimal(item.price),
            condition=item.condition,
            place=place_find(DEMO_TOWNS[index % len(DEMO_TOWNS)]),
        )
        listing = listing_create(seller=users[item.seller], data=data, uploads=uploads)
        if item.sold:
            listing_mark_sold(listing=listing, actor=users[item.seller])
        Listing.objects.filter(pk=listing.pk).update(created_at=now - timedelta(days=item.days_ago))
        listings[item.title] = listing
    _create_conversation(listing=listings[CONTENT["conversation"]["listing"]], users=users, now=now)
    _create_classifieds_demo(listings=listings, users=users)


def _create_classifieds_demo(*, listings: dict[str, Listing], users: dict[str, User]) -> None:
    """What a buyer and a seller keep: the chair reserved for Bruno, a few hearts, a saved search, a rating."""
    demo, buyer = users["demo"], users["buyer"]
    listing_state_set(listing=listings[CONTENT["conversation"]["listing"]], actor=demo, state="reserved")
    for listing in [listing for listing in listings.values() if listing.seller_id != buyer.pk][1:4]:
        favourite_add(user=buyer, listing=listing)
    saved_search_create(user=buyer, params={"category": "furniture", "near": "Bologna", "within": "25"})
    # The dumbbells went to Bruno, who wrote about them first; he rated Dana and she answered.
    sold = listing_state_set(listing=listings["Pair of 5 kg dumbbells"], actor=demo, state="available")
    question = conversation_contact(
        listing=sold, buyer=buyer, body="Are the dumbbells still there? I can come tonight."
    )
    conversation_mark_read(conversation=question.conversation, reader=demo)
    sold = listing_state_set(listing=sold, actor=demo, state="sold", buyer_id=buyer.pk)
    rating = rating_create(buyer=buyer, listing=sold, stars=5, comment="Just as described, and on time.")
    rating_answer(seller=demo, rating=rating, text="Thank you, enjoy them!")


def _create_conversation(*, listing: Listing, users: dict[str, User], now: datetime) -> None:
    (buyer, first_body), *replies = CONTENT["conversation"]["messages"]
    first = conversation_contact(listing=listing, buyer=users[buyer], body=first_body)
    messages = [first] + [
        conversation_reply(conversation=first.conversation, sender=users[sender], body=body) for sender, body in replies
    ]
    # A conversation from yesterday evening; the last message is still unread, so the seller's header counts it.
    started = now - timedelta(hours=20)
    for position, message in enumerate(messages):
        sent = started + timedelta(minutes=25 * position)
        read = sent + timedelta(minutes=10) if position < len(messages) - 1 else None
        Message.objects.filter(pk=message.pk).update(created_at=sent, read_at=read)
    Conversation.objects.filter(pk=first.conversation_id).update(created_at=started, updated_at=sent)


def _create_generated_listings(count: int, *, progress: Callable[[str], None]) -> None:
    rng = random.Random(f"trova-{Listing.objects.count()}")
    categories = [Category.objects.get(slug=slug) for slug in CONTENT["generated"]["items"]]
    sellers = _ensure_generated_sellers()
    places = all_places()
    # Spread as people are: a town gets listings in proportion to its population.
    weights = list(itertools.accumulate(place.population for place in places))
    plans = [_plan(index, rng, categories, timezone.now(), places, weights) for index in range(count)]
    photos = {key: _store_shared_photo(*key) for key in sorted({plan.photo for plan in plans})}
    details = {slug: {attribute.slug: attribute for attribute in rows} for slug, rows in category_attributes().items()}
    with _keep_given_created_at():
        for start in range(0, count, BATCH_SIZE):
            batch = plans[start : start + BATCH_SIZE]
            with transaction.atomic():
                listings = Listing.objects.bulk_create(
                    [
                        Listing(
                            seller=rng.choice(sellers),
                            **plan.fields,
                            **_generated_attributes(start + offset, plan, details[plan.fields["category"].slug]),
                        )
                        for offset, plan in enumerate(batch)
                    ]
                )
                Photo.objects.bulk_create(
                    Photo(owner_id=listing.seller_id, listing=listing, is_main=True, **photos[plan.photo])
                    for listing, plan in zip(listings, batch, strict=True)
                )
            done = start + len(batch)
            if done % 20_000 == 0 or done == count:
                progress(f"  {done} of {count} generated listings stored")
    if connection.vendor == "postgresql":
        # Fresh statistics, so queries right after seeding are planned for the real table size.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE marketplace_listing, marketplace_photo")


@dataclass(frozen=True)
class _Plan:
    fields: dict
    photo: tuple[str, str]  # (drawing, colour)


def _plan(
    index: int, rng: random.Random, categories: list[Category], now: datetime, places: list[Place], weights: list[int]
) -> _Plan:
    words = CONTENT["generated"]
    # Round-robin over the categories, so every category filter has results whatever the count.
    category = categories[index % len(categories)]
    noun, drawing, lowest, highest = rng.choice(words["items"][category.slug])
    colour = rng.choice(_colours_of(drawing))
    conditions = words["conditions"]
    condition = rng.choices(list(conditions), weights=[weight for weight, _ in conditions.values()])[0]
    price = lowest * (highest / lowest) ** rng.random() * (0.3 if condition == "for_parts" else 1)
    title = " ".join(word for word in (rng.choice(words["qualifiers"]), colour, noun) if word)
    description = " ".join(
        (
            rng.choice(words["openings"]),
            f"{colour.capitalize()} {noun}.",
            conditions[condition][1],
            rng.choice(words["closings"]),
        )
    )
    created_at = now - timedelta(seconds=rng.uniform(60, 60 * 24 * 3600))
    sold = rng.random() < 0.05
    fields = {
        "title": title[0].upper() + title[1:],
        "description": description,
        "category": category,
        "price": _round_price(price),
        "condition": condition,
        "status": Listing.Status.SOLD if sold else Listing.Status.ACTIVE,
        "sold_at": created_at + timedelta(days=1) if sold else None,
        "created_at": created_at,
    }
    place = rng.choices(places, cum_weights=weights)[0]
    fields.update(
        place_geonameid=place.geonameid, place_name=place.label, latitude=place.latitude, longitude=place.longitude
    )
    return _Plan(fields=fields, photo=(drawing, colour))


def _generated_attributes(index: int, plan: "_Plan", details: dict) -> dict:
    """The item details a generated listing has: its photo's colour, and a brand where its category has one."""
    attributes = {}
    colour = plan.photo[1]
    if "colour" in details and colour in details["colour"].choices:
        attributes["colour"] = colour
    if "brand" in details:
        # Derived from the index, not drawn: the listings' other random choices stay as they were before.
        brands = CONTENT["generated"]["brands"]
        attributes["brand"] = brands[(index * 7919) % len(brands)]
    return {"attributes": attributes, "attributes_search": attributes_search_keys(attributes)}


@functools.cache
def _colours_of(drawing: str) -> list[str]:
    # Two colours per drawing keep the set of photos to draw and store small (drawing one takes ~0.1 s).
    return random.Random(drawing).sample(CONTENT["generated"]["colours"], 2)


def _round_price(price: float) -> Decimal:
    step = 0.5 if price < 20 else 5 if price < 200 else 10 if price < 2000 else 100
    return Decimal(str(max(step, round(price / step) * step))).quantize(Decimal("0.01"))


def _ensure_generated_sellers() -> list[User]:
    sellers = []
    for number, name in enumerate(CONTENT["generated"]["sellers"], start=1):
        seller, created = User.objects.get_or_create(
            username=f"seller{number:02}",
            defaults={
                "display_name": name,
                "email": f"seller{number:02}@example.com",
                "email_confirmed_at": timezone.now(),
            },
        )
        if created:
            # Their listings share photo files: nobody may log in and delete one (its files would go for all).
            seller.set_unusable_password()
            seller.save(update_fields=["password"])
        sellers.append(seller)
    return sellers


def _store_shared_photo(drawing: str, colour: str) -> dict:
    """Draw one photo and store its renditions once; many generated listings point at the same files."""
    jpeg = demo_photo_jpeg(drawing, color=COLOURS[colour], variant=len(colour))
    renditions = make_renditions(SimpleUploadedFile(f"{drawing}.jpg", jpeg, content_type="image/jpeg"))
    stored = {"width": renditions.width, "height": renditions.height}
    for field_name, content in (
        ("image", renditions.display),
        ("medium", renditions.medium),
        ("thumbnail", renditions.thumbnail),
    ):
        field = Photo._meta.get_field(field_name)
        stored[field_name] = field.storage.save(field.generate_filename(None, content.name), content)
    return stored


@contextmanager
def _keep_given_created_at() -> Iterator[None]:
    # bulk_create stamps every row with one "now" (auto_now_add); spread dates make the newest-first sort meaningful.
    field = Listing._meta.get_field("created_at")
    field.auto_now_add = False
    try:
        yield
    finally:
        field.auto_now_add = True
