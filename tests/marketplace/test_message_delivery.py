"""Messages that reach people: an e-mail at most once per conversation and 15 minutes, and live pages via htmx."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from marketplace.auth import token_issue
from marketplace.models import Conversation, Message
from marketplace.services.item_states import listing_state_set
from marketplace.services.messaging import conversation_contact, conversation_reply
from marketplace.tasks import message_email_task
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing(seller):
    return ListingFactory(seller=seller, title="Green sofa")


def _deliver(published_tasks) -> None:
    """Run the published e-mail tasks, as the worker would once their minute has passed."""
    for name, args in published_tasks():
        assert name == "marketplace.tasks.message_email_task"
        message_email_task(*args)


def _send(sender_or_buyer, *, listing, body, conversation=None, capture):
    with capture(execute=True):
        if conversation is None:
            return conversation_contact(listing=listing, buyer=sender_or_buyer, body=body)
        return conversation_reply(conversation=conversation, sender=sender_or_buyer, body=body)


def test_a_new_message_emails_the_recipient_with_a_link_to_reply(
    listing, seller, buyer, published_tasks, django_capture_on_commit_callbacks
):
    message = _send(buyer, listing=listing, body="Is the sofa still there?", capture=django_capture_on_commit_callbacks)
    _deliver(published_tasks)

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [seller.email]
    assert "Bea Buyer wrote about “Green sofa”" in email.subject
    assert "Is the sofa still there?" in email.body
    assert f"http://localhost:8000/messages/{message.conversation_id}/" in email.body


def test_at_most_one_email_per_conversation_every_15_minutes(
    listing, seller, buyer, published_tasks, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first = _send(buyer, listing=listing, body="Hello?", capture=capture)
    _send(buyer, listing=listing, body="Hello again?", capture=capture)
    _send(buyer, listing=listing, body="Anyone?", capture=capture)
    _deliver(published_tasks)
    assert len(mail.outbox) == 1

    # The seller answers: the buyer has their own 15 minutes.
    _send(seller, listing=listing, body="Yes, still here.", conversation=first.conversation, capture=capture)
    _deliver(published_tasks)
    assert [email.to for email in mail.outbox] == [[seller.email], [buyer.email]]

    # 15 minutes after the last e-mail to the seller, a new message e-mails them again.
    Conversation.objects.update(seller_emailed_at=first.conversation.created_at - timedelta(minutes=15))
    Message.objects.update(read_at=None)
    _send(buyer, listing=listing, body="Can I come tonight?", capture=capture)
    _deliver(published_tasks)
    assert len(mail.outbox) == 3 and "Can I come tonight?" in mail.outbox[2].body


def test_a_rerun_of_the_task_sends_nothing_twice(listing, buyer, published_tasks, django_capture_on_commit_callbacks):
    _send(buyer, listing=listing, body="Hi", capture=django_capture_on_commit_callbacks)
    published = published_tasks()
    for _ in range(2):
        for _name, args in published:
            message_email_task(*args)

    assert len(mail.outbox) == 1


def test_no_email_when_the_recipient_turned_them_off_or_already_read_it(
    client, listing, seller, buyer, published_tasks, django_capture_on_commit_callbacks
):
    client.force_login(seller)
    client.post(reverse("marketplace:settings"), {})
    _send(buyer, listing=listing, body="Hi", capture=django_capture_on_commit_callbacks)
    _deliver(published_tasks)
    assert mail.outbox == []

    client.post(reverse("marketplace:settings"), {"email_notifications": "on"})
    message = _send(buyer, listing=listing, body="Hi again", capture=django_capture_on_commit_callbacks)
    client.get(reverse("marketplace:conversation_live", args=[message.conversation_id]))  # read live
    _deliver(published_tasks)
    assert mail.outbox == []


def test_the_open_conversation_polls_for_new_messages_and_reads_them(client, listing, seller, buyer):
    message = conversation_contact(listing=listing, buyer=buyer, body="First")
    client.force_login(seller)
    page = client.get(reverse("marketplace:conversation", args=[message.conversation_id])).content.decode()
    assert 'hx-trigger="every 5s"' in page

    conversation_contact(listing=listing, buyer=buyer, body="Arrived while you looked")
    live = client.get(reverse("marketplace:conversation_live", args=[message.conversation_id]))

    assert "Arrived while you looked" in live.content.decode()
    assert not Message.objects.filter(read_at__isnull=True).exists()


def test_the_unread_badge_updates_by_itself(client, listing, seller, buyer):
    client.force_login(seller)
    assert 'hx-trigger="every 20s"' in client.get(reverse("marketplace:browse")).content.decode()
    before = client.get(reverse("marketplace:unread_badge")).content.decode()

    conversation_contact(listing=listing, buyer=buyer, body="One")
    conversation_contact(listing=listing, buyer=buyer, body="Two")
    after = client.get(reverse("marketplace:unread_badge")).content.decode()

    assert "unread" not in before.split('hx-swap="outerHTML">')[1]
    assert 'aria-label="2 unread">2<' in after


def test_only_the_participants_poll_a_conversation(client, listing, buyer):
    message = conversation_contact(listing=listing, buyer=buyer, body="Private")
    client.force_login(UserFactory(username="nosy"))

    assert client.get(reverse("marketplace:conversation_live", args=[message.conversation_id])).status_code == 404


def test_the_api_writes_reads_and_counts_messages(client, listing, seller, buyer):
    buyer_auth = {"HTTP_AUTHORIZATION": f"Bearer {token_issue(user=buyer)}"}
    seller_auth = {"HTTP_AUTHORIZATION": f"Bearer {token_issue(user=seller)}"}

    first = client.post(
        f"/api/listings/{listing.pk}/messages", {"body": "Still there?"}, content_type="application/json", **buyer_auth
    )
    conversation_id = first.json()["conversation_id"]
    unread = client.get("/api/messages/unread", **seller_auth).json()
    inbox = client.get("/api/conversations", **seller_auth).json()
    thread = client.get(f"/api/conversations/{conversation_id}", **seller_auth).json()
    answer = client.post(
        f"/api/conversations/{conversation_id}/messages",
        {"body": "Yes!"},
        content_type="application/json",
        **seller_auth,
    )

    assert first.status_code == 201 and first.json()["mine"] is True
    assert unread == {"count": 1}
    assert [(c["other_party"], c["unread"], c["last_message"]) for c in inbox] == [("Bea Buyer", 1, "Still there?")]
    assert [m["body"] for m in thread["messages"]] == ["Still there?"]
    assert client.get("/api/messages/unread", **seller_auth).json() == {"count": 0}
    assert answer.status_code == 201
    assert client.get(f"/api/conversations/{conversation_id}", **buyer_auth).json()["messages"][1]["body"] == "Yes!"
    nosy = {"HTTP_AUTHORIZATION": f"Bearer {token_issue(user=UserFactory(username='nosy'))}"}
    assert client.get(f"/api/conversations/{conversation_id}", **nosy).status_code == 404


def test_the_api_refuses_a_first_message_about_a_sold_listing_but_continues_a_conversation(
    client, listing, seller, buyer
):
    message = conversation_contact(listing=listing, buyer=buyer, body="Mine?")
    listing_state_set(listing=listing, actor=seller, state="sold", buyer_id=buyer.pk)
    newcomer = {"HTTP_AUTHORIZATION": f"Bearer {token_issue(user=UserFactory(username='late'))}"}
    buyer_auth = {"HTTP_AUTHORIZATION": f"Bearer {token_issue(user=buyer)}"}

    refused = client.post(
        f"/api/listings/{listing.pk}/messages", {"body": "Can I?"}, content_type="application/json", **newcomer
    )
    continued = client.post(
        f"/api/conversations/{message.conversation_id}/messages",
        {"body": "See you at 6"},
        content_type="application/json",
        **buyer_auth,
    )

    assert refused.status_code == 403 and "no longer available" in refused.json()["detail"]
    assert continued.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_a_message_is_sent_when_the_broker_is_down_only_its_email_is_lost(client, seller, buyer, celery_broker):
    import socket

    from marketplace.models import Category

    # A transactional test before this one may have flushed the categories the migrations seed.
    Category.objects.get_or_create(slug="electronics", defaults={"name": "Electronics"})
    listing = ListingFactory(seller=seller, title="Green sofa")

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    celery_broker(f"redis://127.0.0.1:{port}/5", {"socket_connect_timeout": 1})
    client.force_login(buyer)

    # The on-commit publish runs inside this request (no test transaction here).
    response = client.post(reverse("marketplace:listing_contact", args=[listing.pk]), {"body": "Still for sale?"})

    assert response.status_code == 302
    assert Message.objects.get().body == "Still for sale?"
    assert mail.outbox == []
