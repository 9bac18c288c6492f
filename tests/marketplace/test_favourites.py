"""Favourites: the heart, the Saved page, and being told (on the site and by e-mail) of a price drop or a sale."""

import html
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from marketplace.auth import token_issue
from marketplace.models import Favourite, Notice
from marketplace.services.favourites import favourite_add
from marketplace.services.item_states import listing_state_set
from marketplace.services.listings import ListingData, listing_update
from marketplace.tasks import notices_email_task
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db


def _page(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def listing(seller):
    return ListingFactory(seller=seller, title="Red bike", price=Decimal("120"))


def _change_price(listing, price: str) -> None:
    data = ListingData(
        title=listing.title,
        description=listing.description,
        category=listing.category,
        price=Decimal(price),
        condition=listing.condition,
    )
    listing_update(listing=listing, actor=listing.seller, data=data)


def _run_published(published_tasks) -> None:
    """Run the e-mail tasks that were published, as the worker would."""
    for name, args in published_tasks():
        assert name == "marketplace.tasks.notices_email_task"
        notices_email_task(*args)


def test_the_heart_saves_and_forgets_a_listing_in_place(client, buyer, listing):
    client.force_login(buyer)
    url = reverse("marketplace:listing_favourite", args=[listing.pk])

    saved = client.post(url, {"action": "save"}, HTTP_HX_REQUEST="true")
    again = client.post(url, {"action": "save"}, HTTP_HX_REQUEST="true")
    assert Favourite.objects.filter(user=buyer, listing=listing).count() == 1
    forgotten = client.post(url, {"action": "remove"}, HTTP_HX_REQUEST="true")

    assert 'aria-pressed="true"' in saved.content.decode() and 'aria-pressed="true"' in again.content.decode()
    assert 'aria-pressed="false"' in forgotten.content.decode()
    assert not Favourite.objects.exists()


def test_the_card_and_the_page_show_the_heart_as_saved(client, buyer, listing):
    favourite_add(user=buyer, listing=listing)
    client.force_login(buyer)

    browse = client.get(reverse("marketplace:browse")).content.decode()
    detail = client.get(listing.get_absolute_url()).content.decode()

    assert 'aria-pressed="true"' in browse and 'aria-pressed="true"' in detail


def test_the_saved_page_lists_saved_listings_with_a_sold_badge(client, buyer, seller, listing):
    other = ListingFactory(title="Blue lamp")
    favourite_add(user=buyer, listing=listing)
    listing_state_set(listing=listing, actor=seller, state="sold")
    client.force_login(buyer)

    page = _page(client.get(reverse("marketplace:saved")))

    assert "Red bike" in page and other.title not in page
    assert 'class="badge badge-sold card-badge">Sold<' in page


def test_a_seller_cannot_save_their_own_listing(client, seller, listing):
    client.force_login(seller)

    response = client.post(reverse("marketplace:listing_favourite", args=[listing.pk]), {"action": "save"})

    assert response.status_code == 302
    assert not Favourite.objects.exists()


def test_a_price_drop_tells_those_who_saved_it_on_the_site_and_by_email(
    client, buyer, listing, published_tasks, django_capture_on_commit_callbacks
):
    favourite_add(user=buyer, listing=listing)
    with django_capture_on_commit_callbacks(execute=True):
        _change_price(listing, "150")  # a rise tells nobody
        _change_price(listing, "90")
    _run_published(published_tasks)
    _run_published(published_tasks)  # nothing is left to send twice

    notice = Notice.objects.get()
    assert (notice.user, notice.kind) == (buyer, Notice.Kind.PRICE_DROP)
    assert notice.text == "“Red bike” is now €90 (was €150)."
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [buyer.email]
    assert "€90" in mail.outbox[0].subject and f"/listings/{listing.pk}/" in mail.outbox[0].body
    client.force_login(buyer)
    assert "Red bike” is now €90" in _page(client.get(reverse("marketplace:notices")))


def test_a_sale_tells_those_who_saved_it_and_a_rerun_of_the_task_sends_nothing_more(
    buyer, seller, listing, published_tasks, django_capture_on_commit_callbacks
):
    favourite_add(user=buyer, listing=listing)
    with django_capture_on_commit_callbacks(execute=True):
        listing_state_set(listing=listing, actor=seller, state="sold")
    published = published_tasks()
    for _ in range(2):
        for _name, args in published:
            notices_email_task(*args)

    assert Notice.objects.get().kind == Notice.Kind.SOLD
    assert len(mail.outbox) == 1 and "has been sold" in mail.outbox[0].subject


def test_no_email_once_the_setting_is_off_but_the_notice_stays(
    client, buyer, listing, published_tasks, django_capture_on_commit_callbacks
):
    client.force_login(buyer)
    client.post(reverse("marketplace:settings"), {})  # the checkbox unticked
    favourite_add(user=buyer, listing=listing)
    with django_capture_on_commit_callbacks(execute=True):
        _change_price(listing, "60")
    _run_published(published_tasks)

    assert Notice.objects.filter(user=buyer).count() == 1
    assert mail.outbox == []


def test_the_api_saves_lists_and_forgets_favourites(client, buyer, listing):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_issue(user=buyer)}"}

    put = client.put(f"/api/favourites/{listing.pk}", **auth)
    listed = client.get("/api/favourites", **auth).json()
    deleted = client.delete(f"/api/favourites/{listing.pk}", **auth)
    missing = client.put("/api/favourites/999999", **auth)

    assert put.status_code == 204 and [item["title"] for item in listed] == ["Red bike"]
    assert deleted.status_code == 204 and client.get("/api/favourites", **auth).json() == []
    assert missing.status_code == 404


def test_the_api_lists_notices(client, buyer, listing):
    favourite_add(user=buyer, listing=listing)
    _change_price(listing, "100")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_issue(user=buyer)}"}

    notices = client.get("/api/notices", **auth).json()

    assert [(notice["kind"], notice["listing_id"], notice["read"]) for notice in notices] == [
        ("price_drop", listing.pk, False)
    ]
    assert client.get("/api/notices").status_code == 401
    other_auth = {"HTTP_AUTHORIZATION": f"Bearer {token_issue(user=UserFactory(username='other'))}"}
    assert client.get("/api/notices", **other_auth).json() == []
