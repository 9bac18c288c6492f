"""The e-mails go out through real Redis and a real Celery worker (in this process, so Django's test outbox
sees them): a new message's e-mail, and a digest that stays one however often beat fires."""

import pytest
from django.core import mail
from django.urls import reverse

from config.celery import app
from marketplace.models import SavedSearchDigest
from marketplace.places import place_find
from marketplace.services.saved_searches import saved_search_create
from marketplace.tasks import saved_search_digests_task
from tests.ai_prefill.test_worker_integration import redis_broker, wait_for  # noqa: F401 (a fixture)
from tests.factories import ListingFactory

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),  # the worker sees only committed rows
    pytest.mark.usefixtures("seeded_categories"),
]


def _worker():
    from celery.contrib.testing.worker import start_worker

    return start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, loglevel="WARNING")


def test_a_worker_emails_the_recipient_of_a_new_message(client, seller, buyer, redis_broker, settings):  # noqa: F811
    settings.MESSAGE_EMAIL_DELAY_SECONDS = 0
    listing = ListingFactory(seller=seller, title="Green sofa")
    client.force_login(buyer)

    with _worker():
        client.post(reverse("marketplace:listing_contact", args=[listing.pk]), {"body": "Still for sale?"})
        client.post(reverse("marketplace:listing_contact", args=[listing.pk]), {"body": "Hello?"})
        wait_for(lambda: mail.outbox, seconds=20, what="the message's e-mail")
        # The tasks are acknowledged late: an empty queue and unacked set mean both have run. The second
        # message, within 15 minutes of the first e-mail, sent nothing.
        wait_for(lambda: not redis_queue_length(redis_broker), seconds=20, what="the queue to drain")

    assert [email.to for email in mail.outbox] == [[seller.email]]
    assert "Still for sale?" in mail.outbox[0].body


def test_beat_firing_the_digest_task_twice_sends_one_digest(buyer, redis_broker):  # noqa: F811
    saved_search_create(user=buyer, params={"q": "bike", "near": "Bologna", "within": "25"})
    bologna = place_find("Bologna")
    ListingFactory(title="Blue bike", place_name="Bologna", latitude=bologna.latitude, longitude=bologna.longitude)

    with _worker():
        saved_search_digests_task.delay()
        saved_search_digests_task.delay()
        wait_for(lambda: mail.outbox, seconds=20, what="the digest")
        wait_for(lambda: not redis_queue_length(redis_broker), seconds=20, what="the second run")

    assert len(mail.outbox) == 1 and "Blue bike" in mail.outbox[0].body
    assert SavedSearchDigest.objects.count() == 1


def redis_queue_length(url: str) -> int:
    import redis

    connection = redis.Redis.from_url(url)
    return connection.llen(app.conf.task_default_queue) + connection.hlen("unacked")
