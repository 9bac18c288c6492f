"""Every page and endpoint x anonymous, buyer, owner, staff: the answer each gets, which writes take effect,
and that nobody reads what is private to others (messages, analyses, votes, hidden listings, e-mails).

The URLs come from the resolver: a new URL without an entry here fails test_every_url_has_an_entry. The
admin's URLs all follow one rule (staff only), checked for each of them.
"""

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from ai_prefill.models import Analysis
from feedback.models import Vote
from feedback.services import vote_record
from marketplace.models import (
    ApiToken,
    Conversation,
    Favourite,
    Listing,
    Message,
    Photo,
    Rating,
    Report,
    SavedSearch,
    User,
)
from tests.factories import ListingFactory, UserFactory, listing_photo, photo_upload, suggested_analysis
from tests.security.inline_code import page_findings

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "buyer", "owner", "staff")
LOGIN = "login"  # 302 to the site's log-in page
ADMIN_LOGIN = "admin-login"  # 302 to the admin's log-in page

MESSAGE = "The key is under the blue flowerpot"
SUGGESTED = "Prototype camera, not yet announced"
VOTE_NOTE = "my private note on this vote"
HIDDEN_TITLE = "Hidden treasure chest"
EMAILS = {
    "owner": "olga.private@example.net",
    "buyer": "bruno.private@example.net",
    "carol": "carla.private@example.net",
}
# Who may ever read each private thing, on any page or endpoint (staff: through the admin and the API).
PRIVATE = {
    MESSAGE: {"owner", "staff"},
    SUGGESTED: {"owner", "staff"},
    VOTE_NOTE: {"owner", "staff"},
    HIDDEN_TITLE: {"owner", "staff"},
    EMAILS["owner"]: {"owner", "staff"},
    EMAILS["buyer"]: {"buyer", "staff"},
    EMAILS["carol"]: {"staff"},
}


@dataclass
class World:
    """The owner's listing (two photos), hidden listing and analysis; a conversation with carol about the listing."""

    users: dict[str, User]
    listing: Listing
    extra_photo: Photo
    hidden: Listing
    analysis: Analysis
    conversation: Conversation


@pytest.fixture
def world(db) -> World:
    owner = UserFactory(username="olga", display_name="Olga", email=EMAILS["owner"])
    buyer = UserFactory(username="bruno", display_name="Bruno", email=EMAILS["buyer"])
    carol = UserFactory(username="carla", display_name="Carla", email=EMAILS["carol"])
    staff = UserFactory(username="stella", display_name="Stella", is_staff=True, is_superuser=True)
    listing = ListingFactory(seller=owner, title="Road bike")
    listing_photo(listing, is_main=True)
    extra_photo = listing_photo(listing, position=1, color=(10, 10, 200))
    hidden = ListingFactory(seller=owner, title=HIDDEN_TITLE, status=Listing.Status.HIDDEN)
    listing_photo(hidden, is_main=True)
    analysis = suggested_analysis(user=owner, suggestion={**_suggestion(), "title": SUGGESTED})
    vote_record(analysis=analysis, user=owner, value="down", reasons=["other"], comment=VOTE_NOTE)
    conversation = Conversation.objects.create(listing=listing, buyer=carol)
    Message.objects.create(conversation=conversation, sender=carol, body=MESSAGE)
    users = {"buyer": buyer, "owner": owner, "staff": staff, "carol": carol}
    return World(users, listing, extra_photo, hidden, analysis, conversation)


def _suggestion() -> dict:
    from tests.factories import SUGGESTION

    return dict(SUGGESTION)


def every(expected) -> dict:
    return dict.fromkeys(ROLES, expected)


def members(anonymous=LOGIN, buyer=200, owner=200, staff=200) -> dict:
    return {"anonymous": anonymous, "buyer": buyer, "owner": owner, "staff": staff}


OWNER_ONLY = members(buyer=404, staff=404)  # another person's thing does not exist for you
STAFF_PAGE = {"anonymous": ADMIN_LOGIN, "buyer": ADMIN_LOGIN, "owner": ADMIN_LOGIN, "staff": 200}
FIELDS = {"title": "Road bike, new", "description": "", "category": "sports", "price": "99", "condition": "good"}


@dataclass(frozen=True)
class Case:
    expect: dict  # role -> status, LOGIN or ADMIN_LOGIN
    args: Callable[[World], list] = lambda world: []
    method: str = "get"
    data: Callable[[World], dict] | None = None
    json: bool = False
    query: str = ""
    # For writes: whether its effect is there afterwards, and who may cause it.
    wrote: Callable[[World], bool] | None = None
    writers: frozenset = field(default_factory=frozenset)
    label: str = ""


def _listing(world):
    return [world.listing.pk]


def _analysis(world):
    return [world.analysis.pk]


def _photo(world):
    return [world.listing.pk, world.extra_photo.pk]


def _listing_row(world) -> Listing | None:
    return Listing.objects.filter(pk=world.listing.pk).first()


def _owners_search(world) -> list:
    from marketplace.services.saved_searches import saved_search_create

    return [saved_search_create(user=world.users["owner"], params={"q": "bike"}).pk]


def _unsubscribe_token(world) -> list:
    from marketplace.services.saved_searches import unsubscribe_token

    return [unsubscribe_token(SavedSearch.objects.get(pk=_owners_search(world)[0]))]


def _carols_rating(world) -> list:
    """Carol bought another of the owner's listings and rated it."""
    sold = ListingFactory(seller=world.users["owner"], title="Sold lamp", status=Listing.Status.SOLD)
    sold.sold_to = world.users["carol"]
    sold.save()
    rating = Rating.objects.create(listing=sold, seller=world.users["owner"], buyer=world.users["carol"], stars=5)
    return [rating.pk]


def _messages_by_others(world) -> bool:
    return Message.objects.exclude(sender=world.users["carol"]).exists()


MATRIX: dict[str, list[Case]] = {
    # Probes and the API's own pages.
    "monitoring:healthz": [Case(every(200))],
    "monitoring:readyz": [Case(every(200))],
    # With DEBUG off /metrics needs its token or an allowed address, whoever is logged in.
    "monitoring:metrics": [Case(every(403))],
    "api:openapi-json": [Case(every(200))],
    "api:openapi-view": [Case(every(200))],
    "api:api-root": [Case(every(404))],
    # The marketplace, for everybody.
    "marketplace:browse": [Case(every(200))],
    "marketplace:listing_detail": [
        Case(every(200), _listing),
        Case(members(anonymous=404, buyer=404), lambda world: [world.hidden.pk], label="hidden"),
    ],
    "api:list_categories": [Case(every(200))],
    "api:list_listings": [Case(every(200))],
    "api:get_listing": [
        Case(every(200), _listing),
        # Staff moderate hidden listings in the admin; the API shows them to their seller only.
        Case(members(anonymous=404, buyer=404, staff=404), lambda world: [world.hidden.pk], label="hidden"),
    ],
    # Accounts.
    "marketplace:signup": [
        Case(members(anonymous=200, buyer=302, owner=302, staff=302)),
        Case(
            members(anonymous=302, buyer=302, owner=302, staff=302),
            method="post",
            data=lambda world: {
                "username": "newcomer",
                "display_name": "New",
                "email": "new@example.com",
                "password": "a long and unusual passphrase",
                "password_again": "a long and unusual passphrase",
            },
            wrote=lambda world: User.objects.filter(username="newcomer").exists(),
            writers=frozenset({"anonymous"}),
        ),
    ],
    "marketplace:login": [Case(members(anonymous=200, buyer=302, owner=302, staff=302))],
    "marketplace:password_reset": [
        Case(every(200)),
        Case(
            every(302),
            method="post",
            data=lambda world: {"email": EMAILS["owner"]},
            wrote=lambda world: [message.to for message in mail.outbox] == [[EMAILS["owner"]]],
            writers=frozenset(ROLES),
        ),
    ],
    "marketplace:password_reset_done": [Case(every(200))],
    # A link that is not one: the page says so.
    "marketplace:password_reset_confirm": [Case(every(200), lambda world: ["MQ", "not-a-token"])],
    "marketplace:password_reset_complete": [Case(every(200))],
    "marketplace:email_confirm": [Case(every(400), lambda world: ["not-a-token"])],
    # One's own account; each signed-in role changes only their own.
    "marketplace:account": [Case(members())],
    "marketplace:account_profile": [
        Case(
            members(buyer=302, owner=302, staff=302),
            method="post",
            data=lambda world: {"display_name": "Renamed"},
            wrote=lambda world: User.objects.filter(display_name="Renamed").exists(),
            writers=frozenset({"buyer", "owner", "staff"}),
        ),
        Case(members(buyer=405, owner=405, staff=405), label="by GET"),
    ],
    "marketplace:account_email": [
        Case(
            members(buyer=302, owner=302, staff=302),
            method="post",
            data=lambda world: {"email": "changed@example.com", "password": "correct horse battery"},
            wrote=lambda world: len(mail.outbox) == 1,
            writers=frozenset({"buyer", "owner", "staff"}),
        )
    ],
    "marketplace:account_email_resend": [Case(members(buyer=302, owner=302, staff=302), method="post")],
    "marketplace:account_notifications": [
        Case(
            members(buyer=302, owner=302, staff=302),
            method="post",
            wrote=lambda world: User.objects.filter(email_notifications=False).exists(),
            writers=frozenset({"buyer", "owner", "staff"}),
        )
    ],
    "marketplace:account_language": [
        Case(
            members(buyer=302, owner=302, staff=302),
            method="post",
            data=lambda world: {"language": "it"},
            wrote=lambda world: User.objects.filter(language="it").exists(),
            writers=frozenset({"buyer", "owner", "staff"}),
        )
    ],
    # The language switcher: a cookie for everyone, and the account's setting for whoever is signed in.
    "set_language": [
        Case(
            every(302),
            method="post",
            data=lambda world: {"language": "it", "next": "/"},
            wrote=lambda world: User.objects.filter(language="it").exists(),
            writers=frozenset({"buyer", "owner", "staff"}),
        ),
        Case(every(405), label="by GET"),
    ],
    "javascript-catalog": [Case(every(200))],
    "marketplace:account_password": [Case(members())],
    "marketplace:account_token_create": [
        Case(
            members(),
            method="post",
            data=lambda world: {"name": "script"},
            wrote=lambda world: ApiToken.objects.exists(),
            writers=frozenset({"buyer", "owner", "staff"}),
        )
    ],
    "marketplace:account_token_revoke": [
        Case(
            # Someone else's token: refused with a sentence on the settings page.
            members(buyer=302, owner=302, staff=302),
            lambda world: [ApiToken.objects.create(user=world.users["owner"], key_hash="1" * 64).pk],
            method="post",
            wrote=lambda world: not ApiToken.objects.exists(),
            writers=frozenset({"owner"}),
        )
    ],
    "marketplace:account_data": [Case(members())],
    "marketplace:account_delete": [
        Case(members()),
        Case(
            members(buyer=302, owner=302, staff=302),
            method="post",
            data=lambda world: {"password": "correct horse battery"},
            wrote=lambda world: User.objects.filter(deleted_at__isnull=False).exists(),
            writers=frozenset({"buyer", "owner", "staff"}),
        ),
    ],
    "marketplace:logout": [Case(every(302), method="post"), Case(every(405), label="by GET")],
    # A listing's owner pages.
    "marketplace:listing_edit": [
        Case(OWNER_ONLY, _listing),
        Case(
            members(buyer=404, owner=302, staff=404),
            _listing,
            method="post",
            data=lambda world: FIELDS,
            wrote=lambda world: _listing_row(world).title == "Road bike, new",
            writers=frozenset({"owner"}),
        ),
    ],
    "marketplace:listing_photos_add": [
        Case(
            members(buyer=404, owner=302, staff=404),
            _listing,
            method="post",
            data=lambda world: {"photos": [photo_upload()]},
            wrote=lambda world: world.listing.photos.count() == 3,
            writers=frozenset({"owner"}),
        )
    ],
    "marketplace:listing_photo_remove": [
        Case(
            members(buyer=404, owner=302, staff=404),
            _photo,
            method="post",
            wrote=lambda world: not Photo.objects.filter(pk=world.extra_photo.pk).exists(),
            writers=frozenset({"owner"}),
        ),
        Case(members(buyer=405, owner=405, staff=405), _photo, label="by GET"),
    ],
    "marketplace:listing_photo_main": [
        Case(
            members(buyer=404, owner=302, staff=404),
            _photo,
            method="post",
            wrote=lambda world: Photo.objects.get(pk=world.extra_photo.pk).is_main,
            writers=frozenset({"owner"}),
        )
    ],
    "marketplace:listing_mark_sold": [
        Case(
            members(buyer=404, owner=302, staff=404),
            _listing,
            method="post",
            wrote=lambda world: _listing_row(world).status == Listing.Status.SOLD,
            writers=frozenset({"owner"}),
        )
    ],
    "marketplace:listing_delete": [
        Case(OWNER_ONLY, _listing),
        Case(
            members(buyer=404, owner=302, staff=404),
            _listing,
            method="post",
            wrote=lambda world: _listing_row(world) is None,
            writers=frozenset({"owner"}),
        ),
    ],
    "marketplace:my_listings": [Case(members())],
    "api:create_listing": [
        Case(
            members(anonymous=401, buyer=201, owner=201, staff=201),
            method="post",
            data=lambda world: {**FIELDS, "images": [photo_upload()]},
            wrote=lambda world: Listing.objects.filter(title="Road bike, new").exists(),
            writers=frozenset({"buyer", "owner", "staff"}),
        )
    ],
    "api:update_listing": [
        Case(
            members(anonymous=401, buyer=403, owner=200, staff=403),
            _listing,
            method="patch",
            json=True,
            data=lambda world: {"title": "Road bike, new"},
            wrote=lambda world: _listing_row(world).title == "Road bike, new",
            writers=frozenset({"owner"}),
        )
    ],
    "api:delete_listing": [
        Case(
            members(anonymous=401, buyer=403, owner=204, staff=403),
            _listing,
            method="delete",
            wrote=lambda world: _listing_row(world) is None,
            writers=frozenset({"owner"}),
        )
    ],
    # Contact, report, messages.
    "marketplace:listing_contact": [
        Case(
            # The owner's own listing: refused with a sentence on the page.
            members(buyer=302, owner=400, staff=302),
            _listing,
            method="post",
            data=lambda world: {"body": "Is it still available?"},
            wrote=lambda world: Message.objects.filter(body="Is it still available?").exists(),
            writers=frozenset({"buyer", "staff"}),
        )
    ],
    "marketplace:listing_report": [
        Case(members(), _listing),
        Case(
            # Reporting one's own listing is refused with a sentence on the page.
            members(buyer=302, owner=400, staff=302),
            _listing,
            method="post",
            data=lambda world: {"reason": "scam", "comment": ""},
            wrote=lambda world: Report.objects.exists(),
            writers=frozenset({"buyer", "staff"}),
        ),
    ],
    "marketplace:messages": [Case(members())],
    "marketplace:conversation": [
        Case(OWNER_ONLY, lambda world: [world.conversation.pk]),
        Case(
            members(buyer=404, owner=302, staff=404),
            lambda world: [world.conversation.pk],
            method="post",
            data=lambda world: {"body": "Yes, come on Saturday."},
            wrote=_messages_by_others,
            writers=frozenset({"owner"}),
        ),
    ],
    # Classifieds: places, item states, favourites and their news, live messages, the messages API.
    "marketplace:place_suggest": [Case(every(200), query="?place=Bol")],
    "api:list_places": [Case(every(200), query="?q=Bol")],
    "marketplace:listing_state": [
        Case(OWNER_ONLY, _listing),
        Case(
            members(buyer=404, owner=302, staff=404),
            _listing,
            method="post",
            data=lambda world: {"state": "reserved"},
            wrote=lambda world: _listing_row(world).reserved_at is not None,
            writers=frozenset({"owner"}),
        ),
    ],
    "api:list_buyers": [Case(members(anonymous=401, buyer=404, staff=404), _listing)],
    "marketplace:listing_favourite": [
        Case(
            # The owner's own listing is refused with a sentence (a flash message on the page it returns to).
            members(buyer=302, owner=302, staff=302),
            _listing,
            method="post",
            data=lambda world: {"action": "save"},
            wrote=lambda world: Favourite.objects.exists(),
            writers=frozenset({"buyer", "staff"}),
        ),
        Case(members(buyer=405, owner=405, staff=405), _listing, label="by GET"),
    ],
    "marketplace:saved": [Case(members())],
    "marketplace:notices": [Case(members())],
    "marketplace:settings": [
        # The one settings page is the account's: this address sends members there.
        Case(members(buyer=302, owner=302, staff=302)),
        Case(
            members(buyer=302, owner=302, staff=302),
            method="post",
            data=lambda world: {},
            wrote=lambda world: User.objects.filter(email_notifications=False).exists(),
            writers=frozenset({"buyer", "owner", "staff"}),
        ),
    ],
    "marketplace:conversation_live": [Case(OWNER_ONLY, lambda world: [world.conversation.pk])],
    "marketplace:unread_badge": [Case(members())],
    "api:list_favourites": [Case(members(anonymous=401))],
    "api:save_favourite": [
        Case(
            members(anonymous=401, buyer=204, owner=403, staff=204),
            _listing,
            method="put",
            wrote=lambda world: Favourite.objects.exists(),
            writers=frozenset({"buyer", "staff"}),
        )
    ],
    "api:delete_favourite": [Case(members(anonymous=401, buyer=204, owner=204, staff=204), _listing, method="delete")],
    "api:list_notices": [Case(members(anonymous=401))],
    "api:unread_messages": [Case(members(anonymous=401))],
    "api:list_conversations": [Case(members(anonymous=401))],
    "api:get_conversation": [Case(members(anonymous=401, buyer=404, staff=404), lambda world: [world.conversation.pk])],
    "api:reply": [
        Case(
            members(anonymous=401, buyer=404, owner=201, staff=404),
            lambda world: [world.conversation.pk],
            method="post",
            json=True,
            data=lambda world: {"body": "Yes, come on Saturday."},
            wrote=_messages_by_others,
            writers=frozenset({"owner"}),
        )
    ],
    "api:contact_seller": [
        Case(
            members(anonymous=401, buyer=201, owner=403, staff=201),
            _listing,
            method="post",
            json=True,
            data=lambda world: {"body": "Is it still available?"},
            wrote=lambda world: Message.objects.filter(body="Is it still available?").exists(),
            writers=frozenset({"buyer", "staff"}),
        )
    ],
    "marketplace:saved_searches": [
        Case(members()),
        Case(
            members(buyer=302, owner=302, staff=302),
            method="post",
            data=lambda world: {"q": "bike"},
            wrote=lambda world: SavedSearch.objects.exists(),
            writers=frozenset({"buyer", "owner", "staff"}),
        ),
    ],
    "marketplace:saved_search_open": [Case(members(buyer=404, owner=302, staff=404), _owners_search)],
    "marketplace:saved_search_change": [
        Case(
            members(buyer=404, owner=302, staff=404),
            _owners_search,
            method="post",
            data=lambda world: {"action": "delete"},
            wrote=lambda world: not SavedSearch.objects.exists(),
            writers=frozenset({"owner"}),
        )
    ],
    # The signed token is the authority: anyone holding the link may stop that search's e-mails.
    "marketplace:saved_search_unsubscribe": [Case(every(200), _unsubscribe_token)],
    "api:list_saved_searches": [Case(members(anonymous=401))],
    "api:create_saved_search": [
        Case(
            members(anonymous=401, buyer=201, owner=201, staff=201),
            method="post",
            json=True,
            data=lambda world: {"q": "bike"},
            wrote=lambda world: SavedSearch.objects.exists(),
            writers=frozenset({"buyer", "owner", "staff"}),
        )
    ],
    "api:saved_search_new": [Case(members(anonymous=401, buyer=404, staff=404), _owners_search)],
    "api:delete_saved_search": [
        Case(
            members(anonymous=401, buyer=404, owner=204, staff=404),
            _owners_search,
            method="delete",
            wrote=lambda world: not SavedSearch.objects.exists(),
            writers=frozenset({"owner"}),
        )
    ],
    "marketplace:profile": [Case(every(200), lambda world: [world.users["owner"].username])],
    "api:get_profile": [Case(every(200), lambda world: [world.users["owner"].username])],
    "api:list_ratings": [Case(every(200), lambda world: [world.users["owner"].username])],
    # The listing is not sold to anyone here: nobody may rate it (the GET explains and sends back to the profile).
    "marketplace:listing_rate": [
        Case(members(buyer=302, owner=302, staff=302), _listing),
        Case(
            members(buyer=403, owner=403, staff=403),
            _listing,
            method="post",
            data=lambda world: {"stars": "5"},
            wrote=lambda world: Rating.objects.exists(),
        ),
    ],
    "api:rate_seller": [
        Case(
            members(anonymous=401, buyer=403, owner=403, staff=403),
            _listing,
            method="post",
            json=True,
            data=lambda world: {"stars": 5},
            wrote=lambda world: Rating.objects.exists(),
        )
    ],
    "marketplace:rating_answer": [
        Case(
            members(buyer=404, owner=302, staff=404),
            _carols_rating,
            method="post",
            data=lambda world: {"answer": "Thank you"},
            wrote=lambda world: Rating.objects.filter(answer="Thank you").exists(),
            writers=frozenset({"owner"}),
        )
    ],
    "api:answer_rating": [
        Case(
            members(anonymous=401, buyer=404, owner=200, staff=404),
            _carols_rating,
            method="post",
            json=True,
            data=lambda world: {"answer": "Thank you"},
            wrote=lambda world: Rating.objects.filter(answer="Thank you").exists(),
            writers=frozenset({"owner"}),
        )
    ],
    # Selling from a photo, and the analyses.
    "ai_prefill:sell": [
        Case(members()),
        Case(OWNER_ONLY, query="?analysis={analysis}", label="with an analysis"),
        Case(
            members(buyer=404, owner=302, staff=404),
            method="post",
            data=lambda world: {
                **FIELDS,
                "analysis_id": str(world.analysis.pk),
                "photo_ids": [world.analysis.photo_id],
            },
            wrote=lambda world: Listing.objects.filter(title="Road bike, new").exists(),
            writers=frozenset({"owner"}),
        ),
    ],
    "ai_prefill:sell_photo": [
        Case(
            members(buyer=200, owner=200, staff=200),
            method="post",
            data=lambda world: {"photo": photo_upload()},
            wrote=lambda world: Photo.objects.filter(listing=None).count() == 2,  # the analysed one and the new
            writers=frozenset({"buyer", "owner", "staff"}),
        )
    ],
    "ai_prefill:sell_analyse": [
        Case(
            # Only one's own photos: the world's analysed photo is the owner's.
            members(buyer=404, owner=200, staff=404),
            method="post",
            data=lambda world: {"photo_ids": [world.analysis.photo_id]},
            wrote=lambda world: Analysis.objects.count() == 2,
            writers=frozenset({"owner"}),
        )
    ],
    "ai_prefill:sell_status": [Case(OWNER_ONLY, _analysis)],
    "ai_prefill:sell_regenerate": [
        Case(
            members(buyer=404, owner=200, staff=404),
            _analysis,
            method="post",
            data=lambda world: FIELDS,
            wrote=lambda world: Analysis.objects.count() == 2,
            writers=frozenset({"owner"}),
        )
    ],
    "api:create_analysis": [
        Case(
            members(anonymous=401, buyer=202, owner=202, staff=202),
            method="post",
            data=lambda world: {"image": photo_upload()},
            wrote=lambda world: Analysis.objects.count() == 2,
            writers=frozenset({"buyer", "owner", "staff"}),
        )
    ],
    "api:get_analysis": [Case(members(anonymous=404, buyer=404), _analysis)],
    # Feedback.
    "feedback_public:vote": [
        Case(
            members(anonymous=404, buyer=404, owner=302, staff=404),
            _analysis,
            method="post",
            data=lambda world: {"vote": "up"},
            wrote=lambda world: Vote.objects.filter(value="up").exists(),
            writers=frozenset({"owner"}),
        )
    ],
    "api:create_feedback": [
        Case(
            members(anonymous=401, buyer=404, owner=201, staff=404),
            _analysis,
            method="post",
            json=True,
            data=lambda world: {"vote": "up"},
            wrote=lambda world: Vote.objects.filter(value="up").exists(),
            writers=frozenset({"owner"}),
        )
    ],
    "api:list_feedback": [Case(members(anonymous=401, buyer=403, owner=403))],
    # Staff pages outside the admin.
    "feedback:annotate": [Case(STAFF_PAGE)],
    "ai_monitoring:dashboard": [Case(STAFF_PAGE)],
}


def _url_names() -> list[str]:
    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern):
                yield namespace + (pattern.name or f"(unnamed) {pattern.pattern}")

    return list(dict.fromkeys(walk(get_resolver().url_patterns)))


def test_every_url_has_an_entry():
    names = [name for name in _url_names() if not name.startswith("admin:")]

    assert [name for name in names if name not in MATRIX] == []
    assert [name for name in MATRIX if name not in names] == []  # no entry for a URL that is gone


def _login_as(client, world: World, role: str) -> None:
    if role != "anonymous":
        client.force_login(world.users[role])


def _request(client, world: World, name: str, case: Case):
    url = reverse(name, args=case.args(world)) + case.query.format(analysis=world.analysis.pk)
    data = case.data(world) if case.data else {}
    if case.json:
        return client.generic(case.method.upper(), url, json.dumps(data), content_type="application/json")
    if case.method in ("get", "post"):
        return getattr(client, case.method)(url, data)
    return client.generic(case.method.upper(), url)


def _assert_status(response, expected, where: str) -> None:
    if expected == LOGIN:
        assert response.status_code == 302 and response["Location"].startswith("/login/"), where
    elif expected == ADMIN_LOGIN:
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), where
    else:
        assert response.status_code == expected, f"{where}: {response.status_code} {response.content[:200]!r}"


def assert_no_leak(response, role: str, where: str) -> None:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body.startswith(b"PK"):  # a zip (the data download): its JSON files are what a person would read
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            body = b"".join(archive.read(name) for name in archive.namelist() if name.endswith(".json"))
    content = body.decode(errors="replace")
    for secret, readers in PRIVATE.items():
        assert role in readers or secret not in content, f"{where}: {role} reads {secret!r}"


CASES = [(name, index) for name, cases in MATRIX.items() for index in range(len(cases))]


def _case_id(name: str, index: int) -> str:
    case = MATRIX[name][index]
    return f"{case.method.upper()} {name}{' (' + case.label + ')' if case.label else ''}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "index"), CASES, ids=[_case_id(*case) for case in CASES])
def test_each_role_gets_what_it_should_and_nothing_more(client, world, settings, name, index, role):
    settings.AI_PROVIDER = "demo"  # any analysis started here needs no model
    case = MATRIX[name][index]
    _login_as(client, world, role)

    response = _request(client, world, name, case)

    where = f"{role}: {_case_id(name, index)}"
    _assert_status(response, case.expect[role], where)
    assert response.status_code < 500, where
    if case.wrote is not None:
        allowed = role in case.writers
        assert case.wrote(world) == allowed, f"{where}: the write {'did not happen' if allowed else 'happened'}"
    assert_no_leak(response, role, where)
    if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
        assert page_findings(response.content.decode()) == [], where


# ---------- The admin: staff only, every URL of it ----------


def _admin_urls(world: World) -> list[tuple[str, str]]:
    """(name, URL) for every admin URL, filled with an existing object where the URL names one."""
    from django.contrib import admin

    objects = {model: model.objects.order_by("pk").first() for model in admin.site._registry if model.objects.exists()}
    listing_type = ContentType.objects.get_for_model(Listing)
    urls = []
    for pattern in admin.site.get_urls():
        for inner in pattern.url_patterns if isinstance(pattern, URLResolver) else [pattern]:
            if not inner.name:
                continue  # the redirects to a change page and the catch-all: test_unnamed_admin_urls
            name = f"admin:{inner.name}"
            kwargs = {}
            converters = inner.pattern.converters if hasattr(inner.pattern, "converters") else {}
            route = str(inner.pattern)
            if "object_id" in route or "object_id" in converters:
                owners = [m for m in objects if inner.name.startswith(f"{m._meta.app_label}_{m._meta.model_name}_")]
                model = max(owners, key=lambda m: len(m._meta.model_name), default=None)
                kwargs["object_id"] = str(objects[model].pk) if model else str(world.listing.pk)
            if "app_label" in route:
                kwargs["app_label"] = "marketplace"
            if "content_type_id" in route:
                kwargs["content_type_id"] = listing_type.pk
            if "id" in converters and "object_id" not in kwargs:
                kwargs["id"] = str(world.users["owner"].pk)
            urls.append((name, reverse(name, kwargs=kwargs)))
    return urls


def _snapshot() -> tuple:
    from django.apps import apps

    counts = tuple((model._meta.label, model.objects.count()) for model in apps.get_models())
    listings = tuple(Listing.objects.order_by("pk").values_list("title", "status", "price"))
    users = tuple(User.objects.order_by("pk").values_list("username", "is_staff", "is_superuser", "password"))
    return counts, listings, users


def test_the_admin_urls_are_all_found(world):
    urls = _admin_urls(world)

    assert len(urls) > 50
    assert {"admin:index", "admin:login", "admin:marketplace_listing_change"} <= {name for name, _ in urls}


@pytest.mark.parametrize("role", ["anonymous", "buyer", "owner"])
def test_nobody_but_staff_opens_or_changes_anything_in_the_admin(client, world, role):
    _login_as(client, world, role)
    before = _snapshot()

    for name, url in _admin_urls(world):
        if name in ("admin:login", "admin:logout"):  # for anyone; logging out writes nothing
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"title": "Taken over", "is_superuser": "on", "post": "yes"})
            _assert_status(response, ADMIN_LOGIN, f"{role}: {method.upper()} {url}")

    assert _snapshot() == before


def test_staff_open_every_admin_page_without_an_error(client, world):
    client.force_login(world.users["staff"])

    for name, url in _admin_urls(world):
        response = client.get(url)
        # 403: an add or delete the admin does not offer; 405: log-out by GET.
        assert response.status_code in (200, 302, 403, 405), f"{name} {url}: {response.status_code}"
        assert_no_leak(response, "staff", url)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            assert page_findings(response.content.decode()) == [], url


@pytest.mark.parametrize("role", ["anonymous", "buyer", "owner"])
def test_unnamed_admin_urls_are_staff_only_too(client, world, role):
    _login_as(client, world, role)

    for url in (f"/admin/marketplace/listing/{world.listing.pk}/", "/admin/no/such/page/"):
        _assert_status(client.get(url), ADMIN_LOGIN, f"{role}: {url}")


def test_prices_are_not_changed_by_strangers_through_the_api(client, world):
    """One write in detail: a buyer's PATCH to someone else's listing is refused and changes nothing."""
    client.force_login(world.users["buyer"])

    response = client.patch(
        f"/api/listings/{world.listing.pk}", json.dumps({"price": "1.00"}), content_type="application/json"
    )

    assert response.status_code == 403
    assert response.json()["detail"] == "Only the seller can change this listing."
    assert _listing_row(world).price == Decimal("25.00")
