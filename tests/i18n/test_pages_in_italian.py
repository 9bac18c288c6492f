"""Every page of the site, rendered in Italian (and each other language but the default), shows no English string
from our catalogues.

The pages are every URL pattern that answers GET (the site's, the API's and admin's), with the objects they
need, each asked for with `Accept-Language: it` by a visitor, a signed-in seller and a staff member. Of each
HTML answer the visible text and the attributes people read (title, aria-label, placeholder, alt, a button's
value) are compared with the msgids of locale/it: a text equal to a msgid whose Italian is different is English
left on an Italian page. No page may answer 500.
"""

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from feedback.services import vote_record
from marketplace.models import Listing, Rating
from marketplace.services.accounts import api_token_create, email_confirmation_token
from marketplace.services.favourites import favourite_add
from marketplace.services.messaging import conversation_contact
from marketplace.services.reports import report_create
from marketplace.services.saved_searches import saved_search_create, unsubscribe_token
from tests.ai_prefill.rollout_helpers import arm_analysis, experiment, variant
from tests.evals.eval_cases import make_case
from tests.evals.test_eval_admin import make_run
from tests.factories import SUGGESTION, ListingFactory, UserFactory, listing_with_photo, suggested_analysis
from tests.i18n.catalogues import translations

pytestmark = pytest.mark.django_db

READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "aria-valuetext", "label"}
BUTTON_INPUTS = {"submit", "button", "reset"}
# Text that may stay as it is on an Italian page although a msgid spells it, with the reason.
ALLOWED = {
    "English": "the language switcher names each language in itself, so Italians can find their way back",
    "Italiano": "idem",
}
# The same, on the admin's pages only: django/contrib/admin/templates/admin/search_form.html writes the search
# icon's alt="Search" without {% translate %}, so it is English in every language (our own "Search" is checked).
ALLOWED_IN_ADMIN = {"Search"}
# Attributes a program reads (htmx, the browser's number inputs and meters): a number there must not be written the
# Italian way ("every 1,5s" is no trigger htmx knows, so the sell page would never poll).
MACHINE_ATTRIBUTES = {"hx-trigger", "min", "max", "step", "low", "high", "optimum"}
MACHINE_VALUE_TAGS = {"meter", "progress"}
LOCALIZED_NUMBER = re.compile(r"\d[.,]\d{3}(?!\d)|\d,\d")
# GET on these changes state or streams a file; they are asked for, but only checked for a 500.
NOT_HTML = {"javascript-catalog", "openapi-json", "metrics"}


@dataclass
class World:
    seller: object
    buyer: object
    staff: object
    values: dict  # a URL parameter's name (or "<prefix>:pk") -> the value to put in it


@pytest.fixture
def world(seeded_categories, settings) -> World:
    settings.AI_STREAM = True  # the default (the suite turns it off): the sell page then polls every 0.25 s
    seller = UserFactory(username="sam", display_name="Sam Seller")
    buyer = UserFactory(username="bea", display_name="Bea Buyer")
    staff = UserFactory(username="staff", is_staff=True, is_superuser=True)
    listing = listing_with_photo(seller=seller, title="Lampada da tavolo", price=Decimal("1234.50"))
    sold = ListingFactory(seller=seller, title="Sedia di legno", status=Listing.Status.SOLD, sold_to=buyer)
    rating = Rating.objects.create(listing=sold, seller=seller, buyer=buyer, stars=5, comment="Ottimo")
    message = conversation_contact(listing=listing, buyer=buyer, body="È ancora disponibile?")
    search = saved_search_create(user=seller, params={"q": "lampada"})
    favourite_add(user=seller, listing=ListingFactory(seller=buyer, title="Bicicletta da corsa"))
    report_create(listing=listing, reporter=buyer, reason="duplicate")
    api_token_create(user=seller, name="script")
    analysis = suggested_analysis(user=seller, language="it")
    pending = suggested_analysis(user=seller, status="pending", language="it")  # its status partial polls
    vote_record(analysis=analysis, user=seller, value="down", reasons=["price_off"], comment="Troppo caro")
    token = seller.api_tokens.first()
    # The staff pages of the experiments and the evaluations, with numbers in them.
    # Named as staff here would name them: data is shown as typed, so a name equal to a msgid ("control") would
    # read as English left.
    current, candidate = variant("attuale"), variant("nuova", model="gpt-4.1-mini", prompt_version="prefill-v2")
    running = experiment((current, 50), (candidate, 50), name="prezzi")
    arm_analysis(running, "attuale", vote="up", posted=True, category_kept=True)
    arm_analysis(running, "nuova", vote="down", posted=True, category_kept=False)
    case = make_case("giochi", "red", "electronics", price=(20, 80), words=["cuffie"], title="Cuffie rosse")
    baseline = make_run("gpt-4o-mini", case, produced={**SUGGESTION, "title": "Cuffie rosse"})
    make_run("gpt-4.1-mini", case, produced=None, baseline=baseline)
    return World(
        seller,
        buyer,
        staff,
        {
            "listings:pk": listing.pk,
            "messages:pk": message.conversation_id,
            "searches:pk": search.pk,
            "ratings:pk": rating.pk,
            "listing_id": listing.pk,
            "photo_id": listing.photos.first().pk,
            "conversation_id": message.conversation_id,
            "search_id": search.pk,
            "rating_id": rating.pk,
            "analysis_id": analysis.pk,
            "sell_status:analysis_id": pending.pk,
            "username": seller.username,
            "token_id": token.pk,
            "saved_search_unsubscribe:token": unsubscribe_token(search),
            "email_confirm:token": email_confirmation_token(user=seller, email=seller.email),
            "uidb64": urlsafe_base64_encode(force_bytes(seller.pk)),
            "password_reset_confirm:token": default_token_generator.make_token(seller),
            "auth_user_password_change:id": seller.pk,
        },
    )


@dataclass(frozen=True)
class Route:
    name: str  # namespaced, for reverse()
    route: str  # as written in the URL patterns
    parameters: tuple[str, ...]


def get_routes() -> list[Route]:
    routes = []

    def walk(resolver, prefix: str, namespace: str) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                parameters = tuple(pattern.pattern.regex.groupindex)
                routes.append(Route(namespace + pattern.name, prefix + str(pattern.pattern), parameters))

    walk(get_resolver(), "", "")
    return list({route.name: route for route in routes}.values())  # one per name: GET and POST share a path


def urls_for(route: Route, world: World) -> list[str]:
    """The addresses to ask for this route: one, or one per admin app; [] when it needs what we cannot make."""
    kwargs = {}
    for parameter in route.parameters:
        if parameter == "app_label":
            labels = re.search(r"\(\?P<app_label>([^)]*)\)", route.route).group(1).split("|")
            return [reverse(route.name, kwargs={"app_label": label}) for label in labels]
        if parameter == "object_id":
            app_label, model_name = route.route.split("/")[1:3]
            instance = apps.get_model(app_label, model_name).objects.order_by("pk").first()
            kwargs[parameter] = instance.pk if instance is not None else "0"
            continue
        if parameter == "content_type_id" or parameter == "url":
            return []  # admin's "view on site" redirect and catch-all: not pages of their own
        prefix = route.route.split("/")[0]
        for key in (f"{route.name.split(':')[-1]}:{parameter}", f"{prefix}:{parameter}", parameter):
            if key in world.values:
                kwargs[parameter] = world.values[key]
                break
        else:
            raise AssertionError(f"No value for <{parameter}> in {route.route} ({route.name}): add one to world.")
    return [reverse(route.name, kwargs=kwargs)]


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.machine_numbers: list[str] = []  # attributes whose number is written for people, not programs
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "template"}:
            self._hidden += 1
        values = dict(attrs)
        for name, value in attrs:
            machine = name in MACHINE_ATTRIBUTES or (name == "value" and tag in MACHINE_VALUE_TAGS)
            if machine and value and LOCALIZED_NUMBER.search(value):
                self.machine_numbers.append(f'<{tag} {name}="{value}">')
        self.texts += [value for name, value in attrs if value and name in READ_ATTRIBUTES]
        if tag == "input" and (values.get("type") or "").lower() in BUTTON_INPUTS and values.get("value"):
            self.texts.append(values["value"])

    def handle_endtag(self, tag):
        if tag in {"script", "style", "template"} and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.texts.append(data)


def _parsed(html: str) -> _VisibleText:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return parser


def visible_texts(html: str) -> list[str]:
    return [text for text in (" ".join(text.split()) for text in _parsed(html).texts) if text]


def localized_machine_numbers(html: str) -> list[str]:
    return _parsed(html).machine_numbers


def english_left(texts: list[str], catalogue: dict[str, set[str]]) -> list[str]:
    return sorted({text for text in texts if text in catalogue and text not in catalogue[text] and text not in ALLOWED})


def test_the_check_finds_english_the_catalogue_translates():
    catalogue = {"Send": {"Invia"}, "OK": {"OK"}, "Skip": set()}
    html = """<title>Invia</title><button title="Send">Invia</button><p>OK</p><p> Skip </p>
              <script>var label = "Send";</script><input type="submit" value="Send"><img alt="OK">"""
    assert english_left(visible_texts(html), catalogue) == ["Send", "Skip"]


def test_the_check_finds_numbers_written_for_people_where_programs_read_them():
    html = """<div hx-trigger="every 1,5s"></div><div hx-trigger="every 1.5s"></div><meter value="0,8" max="1">
              <input type="number" min="0" max="1.234,50" step="0.01"><p data-note="1,5">1,5 km</p>"""
    assert localized_machine_numbers(html) == [
        '<div hx-trigger="every 1,5s">',
        '<meter value="0,8">',
        '<input max="1.234,50">',
    ]


def test_the_italian_catalogue_is_compiled():
    # Without the .mo files every page is English and the page test below would blame every string.
    with translation.override("it"):
        assert translation.gettext("Was this suggestion helpful?") != "Was this suggestion helpful?", (
            "locale/it is not compiled: run `make install` (it compiles the .po files with Babel)."
        )


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE])
def test_every_page_in_each_language_has_no_english_left_from_our_catalogues(world, language):
    catalogue = translations(language)
    assert catalogue, f"locale/{language} has no catalogue to check against"
    visitors = {"anonymous": None, "signed-in seller": world.seller, "staff": world.staff}
    problems, checked = [], 0
    for route in get_routes():
        for url in urls_for(route, world):
            for who, user in visitors.items():
                client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE=language)
                if user is not None:
                    client.force_login(user)
                response = client.get(url)
                if response.status_code >= 500:
                    problems.append(f"{url} as {who}: {response.status_code}")
                    continue
                content_type = response.get("Content-Type", "")
                if route.name in NOT_HTML or response.streaming or not content_type.startswith("text/html"):
                    continue
                checked += 1
                html = response.content.decode()
                left = english_left(visible_texts(html), catalogue)
                if url.startswith("/admin/"):
                    left = [text for text in left if text not in ALLOWED_IN_ADMIN]
                if left:
                    problems.append(f"{url} as {who}: " + " | ".join(left))
                problems += [
                    f"{url} as {who}: a number for a program written for people: {attribute}"
                    for attribute in localized_machine_numbers(html)
                ]
    assert checked > 100, f"Only {checked} HTML pages were checked; the route walk is missing pages."
    assert not problems, f"English left on pages in {language!r}, or an error:\n" + "\n".join(problems)


def test_the_vote_widget_and_its_reasons_are_in_italian(world):
    """The widget comes back in place (htmx) or as a page (a plain post) when a vote is refused."""
    analysis = world.seller.analyses.get(status="succeeded")
    client = Client(HTTP_ACCEPT_LANGUAGE="it")
    client.force_login(world.seller)
    url = reverse("feedback_public:vote", args=[analysis.pk])
    catalogue = translations("it")

    page = client.post(url, {"vote": "down", "reasons": ["no_such_reason"]})
    widget = client.post(url, {"vote": "down", "comment": "x" * 501}, HTTP_HX_REQUEST="true")

    assert (page.status_code, widget.status_code) == (400, 422)
    for response in (page, widget):
        # The widget only: the page around it (base.html) is the marketplace's.
        html = response.content.decode()
        start = html.index('<div class="suggestion-vote"')
        texts = visible_texts(html[start : html.index("</form>", start)])
        assert not english_left(texts, catalogue), english_left(texts, catalogue)
        assert {"Questo suggerimento ti è stato utile?", "Prezzo fuori strada", "Dettagli inventati"} <= set(texts)
    assert "Il commento deve restare sotto i 500 caratteri." in visible_texts(widget.content.decode())


def test_the_feedback_api_answers_in_italian(world):
    analysis = world.seller.analyses.get(status="succeeded")
    client = Client(HTTP_ACCEPT_LANGUAGE="it")
    client.force_login(world.seller)
    catalogue = translations("it")

    missing = client.post(f"/api/analyses/{uuid.uuid4()}/feedback", {"vote": "up"}, content_type="application/json")
    reason = client.post(
        f"/api/analyses/{analysis.pk}/feedback", {"vote": "down", "reasons": ["nope"]}, content_type="application/json"
    )
    staff_only = client.get("/api/feedback")

    assert (missing.status_code, reason.status_code, staff_only.status_code) == (404, 422, 403)
    details = [response.json()["detail"] for response in (missing, reason, staff_only)]
    assert details[0] == "Non abbiamo trovato questo suggerimento."
    assert details[1].startswith("reasons: 'nope' non è tra i motivi che conosciamo: ")
    assert details[2] == "Solo lo staff può leggere i pareri."
    assert not english_left(details, catalogue)
