"""Messages: one conversation per listing and buyer, both sides reply, unread counts, privacy."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace.models import Conversation, Listing, Message
from tests.factories import ListingFactory, UserFactory, listing_with_photo

pytestmark = pytest.mark.django_db

INBOX = reverse("marketplace:messages")


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _contact(client, listing, body: str):
    return client.post(reverse("marketplace:listing_contact", args=[listing.pk]), {"body": body})


def _thread_url(conversation) -> str:
    return reverse("marketplace:conversation", args=[conversation.pk])


def _header_unread(response) -> int:
    match = re.search(r'aria-label="(\d+) unread"', response.content.decode())
    return int(match.group(1)) if match else 0


@pytest.fixture
def listing(seller):
    return ListingFactory(seller=seller, title="Camping tent")


def test_a_buyer_starts_a_conversation_and_later_continues_the_same_one(client, listing, buyer):
    client.force_login(buyer)

    first = _contact(client, listing, "Is it still available?")
    second = _contact(client, listing, "I could come on Saturday.")

    conversation = Conversation.objects.get()
    assert (conversation.listing, conversation.buyer) == (listing, buyer)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == _thread_url(conversation)
    assert list(conversation.messages.values_list("body", flat=True)) == [
        "Is it still available?",
        "I could come on Saturday.",
    ]


def test_both_sides_reply_and_see_the_whole_conversation(client, listing, seller, buyer):
    client.force_login(buyer)
    _contact(client, listing, "Hello, does it have a rain cover?")
    conversation = Conversation.objects.get()

    client.force_login(seller)
    reply = client.post(_thread_url(conversation), {"body": "Yes, and the pegs too."})
    assert reply.status_code == 302

    client.force_login(buyer)
    client.post(_thread_url(conversation), {"body": "Great, I'll take it."})
    page = _page(client.get(_thread_url(conversation)))

    assert page.index("rain cover") < page.index("and the pegs too") < page.index("I'll take it")
    assert "Sam Seller" in page
    assert [m.sender for m in conversation.messages.all()] == [buyer, seller, buyer]


def test_the_recipient_sees_an_unread_count_until_they_open_the_conversation(client, listing, seller, buyer):
    client.force_login(buyer)
    _contact(client, listing, "First")
    _contact(client, listing, "Second")
    assert _header_unread(client.get(INBOX)) == 0  # your own messages are not unread for you

    client.force_login(seller)
    assert _header_unread(client.get("/")) == 2
    inbox = client.get(INBOX)
    assert "Camping tent" in _page(inbox)
    assert "Buyer: Bea Buyer" in _page(inbox)

    conversation = Conversation.objects.get()
    client.get(_thread_url(conversation))

    assert not Message.objects.filter(read_at__isnull=True).exists()
    assert _header_unread(client.get("/")) == 0


def test_the_inbox_lists_conversations_on_both_sides(client, seller, buyer):
    own = ListingFactory(seller=seller, title="Desk")
    other = ListingFactory(seller=buyer, title="Bookshelf")
    client.force_login(buyer)
    _contact(client, own, "About the desk")
    client.force_login(seller)
    _contact(client, other, "About the shelf")

    page = _page(client.get(INBOX))

    assert "Desk" in page and "Buyer: Bea Buyer" in page
    assert "Bookshelf" in page and "Seller: Bea Buyer" in page
    assert "You: About the shelf" in page


@pytest.mark.parametrize("method", ["get", "post"])
def test_only_the_two_participants_can_see_a_conversation(client, listing, buyer, method):
    client.force_login(buyer)
    _contact(client, listing, "Private question")
    conversation = Conversation.objects.get()

    client.force_login(UserFactory(username="nosy"))
    response = getattr(client, method)(_thread_url(conversation), {"body": "Let me in"})

    assert response.status_code == 404
    assert conversation.messages.count() == 1


def test_messages_need_a_login(client, listing):
    assert client.get(INBOX).status_code == 302
    response = _contact(client, listing, "Hi")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("marketplace:login"))
    assert not Message.objects.exists()


def test_a_seller_cannot_contact_themselves(client, listing, seller):
    client.force_login(seller)

    response = _contact(client, listing, "Talking to myself")

    assert response.status_code == 400
    assert "This is your own listing." in _page(response)
    assert not Conversation.objects.exists()


def test_an_empty_message_is_refused_with_a_sentence(client, listing, buyer):
    client.force_login(buyer)

    response = _contact(client, listing, "   ")

    assert response.status_code == 400
    assert "Please write a message." in _page(response)
    assert not Conversation.objects.exists()


def test_a_too_long_message_is_refused_and_kept_in_the_form(client, listing, buyer):
    client.force_login(buyer)
    body = "Very interested! " * 200

    response = _contact(client, listing, body)

    assert response.status_code == 400
    assert "A message can be at most 2000 characters long" in _page(response)
    assert body.strip() in _page(response)
    assert not Message.objects.exists()


def test_a_sold_listing_takes_no_new_conversation_but_keeps_existing_ones(client, listing, buyer):
    client.force_login(buyer)
    _contact(client, listing, "Before it sold")
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.SOLD)

    assert _contact(client, listing, "Thanks again!").status_code == 302
    client.force_login(UserFactory(username="late"))
    response = _contact(client, listing, "Too late?")

    assert response.status_code == 400
    assert "no longer available" in _page(response)
    assert Conversation.objects.count() == 1


def test_the_unread_count_costs_one_query_and_none_on_htmx_partials(client, listing, seller, buyer):
    client.force_login(buyer)
    _contact(client, listing, "Hi")
    client.force_login(seller)

    with CaptureQueriesContext(connection) as full:
        client.get("/")
    with CaptureQueriesContext(connection) as partial:
        client.get("/", headers={"HX-Request": "true"})

    message_queries = [q for q in full.captured_queries if "marketplace_message" in q["sql"]]
    assert len(message_queries) == 1
    assert not [q for q in partial.captured_queries if "marketplace_message" in q["sql"]]


def test_the_inbox_costs_the_same_queries_for_few_or_many_conversations(client, seller):
    def add_conversations(count: int) -> None:
        for _ in range(count):
            listing = listing_with_photo(seller=seller)
            buyer = UserFactory()
            conversation = Conversation.objects.create(listing=listing, buyer=buyer)
            Message.objects.create(conversation=conversation, sender=buyer, body="Hello")

    def inbox_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(INBOX).status_code == 200
        return len(queries)

    client.force_login(seller)
    add_conversations(2)
    few = inbox_queries()
    add_conversations(10)

    assert inbox_queries() == few
