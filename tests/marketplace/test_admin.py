"""The Django admin for marketplace models: usable by staff, closed to others, no N+1 queries."""

import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace.models import Category, Conversation, Message, Report
from tests.factories import ListingFactory, UserFactory, listing_with_photo

pytestmark = pytest.mark.django_db

CHANGELISTS = ["listing", "category", "conversation", "message", "report", "user", "apitoken"]


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _add_rows(count: int) -> None:
    """`count` more of every kind of row, each with its own seller, buyer and reporter."""
    for _ in range(count):
        listing = listing_with_photo()
        buyer = UserFactory()
        conversation = Conversation.objects.create(listing=listing, buyer=buyer)
        Message.objects.create(conversation=conversation, sender=buyer, body="Still available?")
        Report.objects.create(listing=listing, reporter=buyer, reason="other")


def _changelist_queries(client, model: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(f"admin:marketplace_{model}_changelist"))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("model", CHANGELISTS)
def test_changelists_load_for_staff_without_a_query_per_row(client, staff, model):
    client.force_login(staff)
    _add_rows(2)
    few = _changelist_queries(client, model)

    _add_rows(8)

    assert _changelist_queries(client, model) == few


@pytest.mark.parametrize("model", CHANGELISTS)
def test_the_admin_is_closed_to_shoppers(client, buyer, model):
    client.force_login(buyer)

    response = client.get(reverse(f"admin:marketplace_{model}_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_listing_changelist_shows_thumbnails_and_filters(client, staff):
    listing = listing_with_photo(title="Vintage radio")
    client.force_login(staff)

    page = _page(client.get(reverse("admin:marketplace_listing_changelist")))

    assert listing.photos.get().thumbnail.url in page
    assert "Vintage radio" in page
    for filter_title in ("By status", "By category", "By condition"):
        assert filter_title in page


def test_the_listing_search_finds_by_title_and_seller(client, staff):
    ListingFactory(title="Vintage radio", seller=UserFactory(username="giulia"))
    ListingFactory(title="Modern lamp")
    client.force_login(staff)
    url = reverse("admin:marketplace_listing_changelist")

    by_title = _page(client.get(url, {"q": "radio"}))
    by_seller = _page(client.get(url, {"q": "giulia"}))

    assert "Vintage radio" in by_title and "Modern lamp" not in by_title
    assert "Vintage radio" in by_seller and "Modern lamp" not in by_seller


def test_the_listing_page_shows_its_photos_inline(client, staff):
    listing = listing_with_photo()
    client.force_login(staff)

    response = client.get(reverse("admin:marketplace_listing_change", args=[listing.pk]))

    assert response.status_code == 200
    assert listing.photos.get().thumbnail.url in _page(response)


def test_staff_add_a_category(client, staff):
    client.force_login(staff)
    add_page = client.get(reverse("admin:marketplace_category_add"))
    assert "prepopulated" in add_page.content.decode()

    response = client.post(
        reverse("admin:marketplace_category_add"),
        {
            "name": "Musical instruments",
            "slug": "music",
            "position": "20",
            "names": '{"it": "Strumenti musicali"}',
            # Its item details, edited inline as data.
            "attributes-TOTAL_FORMS": "1",
            "attributes-INITIAL_FORMS": "0",
            "attributes-0-position": "0",
            "attributes-0-slug": "brand",
            "attributes-0-name": "Brand",
            "attributes-0-names": "{}",
            "attributes-0-choices": "[]",
            "attributes-0-hint": "The maker's name as printed on it.",
        },
    )

    assert response.status_code == 302
    music = Category.objects.get(slug="music")
    assert music.name == "Musical instruments"
    assert list(music.attributes.values_list("slug", flat=True)) == ["brand"]
    assert '<option value="music">Musical instruments</option>' in client.get("/").content.decode()


def test_the_user_admin_edits_the_display_name(client, staff):
    user = UserFactory(username="piero", display_name="Piero")
    client.force_login(staff)

    page = _page(client.get(reverse("admin:marketplace_user_change", args=[user.pk])))

    assert 'name="display_name"' in page
    assert 'value="Piero"' in page


@pytest.mark.parametrize("model", ["listing", "conversation", "message", "report"])
def test_staff_moderate_but_do_not_create_what_people_post(client, staff, model):
    client.force_login(staff)

    assert client.get(reverse(f"admin:marketplace_{model}_add")).status_code == 403


def test_an_item_detail_may_not_take_a_listing_fields_name(client, staff):
    client.force_login(staff)
    category = Category.objects.get(slug="books")
    url = reverse("admin:marketplace_category_change", args=[category.pk])
    existing = list(category.attributes.all())
    data = {"name": category.name, "slug": category.slug, "position": category.position, "names": "{}"}
    data.update({"attributes-TOTAL_FORMS": str(len(existing) + 1), "attributes-INITIAL_FORMS": str(len(existing))})
    for index, attribute in enumerate(existing):
        data.update(
            {
                f"attributes-{index}-id": attribute.pk,
                f"attributes-{index}-category": category.pk,
                f"attributes-{index}-slug": attribute.slug,
                f"attributes-{index}-name": attribute.name,
                f"attributes-{index}-names": "{}",
                f"attributes-{index}-choices": "[]",
                f"attributes-{index}-position": index,
            }
        )
    new = len(existing)
    data.update(
        {
            f"attributes-{new}-slug": "price",
            f"attributes-{new}-name": "Price",
            f"attributes-{new}-names": "{}",
            f"attributes-{new}-choices": "[]",
            f"attributes-{new}-position": new,
        }
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert "is a listing field already" in response.content.decode()
    assert not category.attributes.filter(slug="price").exists()
