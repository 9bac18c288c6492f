"""Rate limits on sign-up and log-in, the site's and the admin's (per client address), on messages (per sender)
and on reports (per reporter): 429 with Retry-After, a sentence, and what the person typed kept.

Photo analyses have their own hourly limit, tested in tests/ai_prefill (test_api_analyses, test_sell_page).
"""

import html
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone

from marketplace.models import Conversation, Message, Report, User
from tests.ai_prefill.test_analysis_lifecycle import closed_port
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = reverse("marketplace:signup")
LOGIN = reverse("marketplace:login")
PASSWORD = "correct horse battery"


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _signup(client, username: str, **extra):
    data = {
        "username": username,
        "display_name": f"{username.title()} R.",
        "email": f"{username}@example.com",
        "password": "a long and unusual passphrase",
        "password_again": "a long and unusual passphrase",
    }
    return client.post(SIGNUP, data, **extra)


def _login(client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def _field_value(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert match, f"no {name} field"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


# ---------- Sign-up, per address ----------


def test_sign_ups_past_the_hourly_limit_get_429_with_a_sentence_and_the_typed_fields(client, settings):
    settings.SIGNUPS_PER_HOUR = 2
    assert _signup(client, "anna").status_code == 302
    client.logout()
    assert _signup(client, "bruno").status_code == 302
    client.logout()

    response = _signup(client, "carla")

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600  # when this hour's window ends
    page = _page(response)
    assert "Too many sign-ups from your network in the last hour. Please try again in " in page
    assert (_field_value(page, "username"), _field_value(page, "email")) == ("carla", "carla@example.com")
    assert _field_value(page, "display_name") == "Carla R."
    assert "a long and unusual passphrase" not in page
    assert not User.objects.filter(username="carla").exists()
    assert SESSION_KEY not in client.session


def test_failed_sign_ups_count_too(client, settings):
    settings.SIGNUPS_PER_HOUR = 2
    for _ in range(2):
        assert client.post(SIGNUP, {"username": "anna"}).status_code == 400

    assert _signup(client, "anna").status_code == 429
    assert not User.objects.exists()


def test_another_address_still_signs_up(client, settings):
    settings.SIGNUPS_PER_HOUR = 1
    _signup(client, "anna", REMOTE_ADDR="203.0.113.7")
    client.logout()
    assert _signup(client, "bruno", REMOTE_ADDR="203.0.113.7").status_code == 429

    assert _signup(client, "carla", REMOTE_ADDR="203.0.113.8").status_code == 302


# ---------- Log-in, failed attempts per address ----------


def test_after_too_many_failed_log_ins_even_the_right_password_waits(client, settings):
    settings.LOGIN_FAILURES_PER_HOUR = 3
    UserFactory(username="anna")
    for _ in range(3):
        assert _login(client, "anna", "wrong guess").status_code == 400

    response = _login(client, "anna", PASSWORD)

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    page = _page(response)
    assert "Too many failed log-ins from your network in the last hour. Please try again in " in page
    assert _field_value(page, "username") == "anna"
    assert SESSION_KEY not in client.session
    # Someone else, from another address, is not affected.
    assert _login(client, "anna", PASSWORD, REMOTE_ADDR="198.51.100.9").status_code == 302


def test_successful_log_ins_do_not_count(client, settings):
    settings.LOGIN_FAILURES_PER_HOUR = 2
    UserFactory(username="anna")
    for _ in range(5):
        assert _login(client, "anna", PASSWORD).status_code == 302
        client.logout()

    assert _login(client, "anna", "wrong guess").status_code == 400


def test_the_limit_keeps_the_next_page(client, settings):
    settings.LOGIN_FAILURES_PER_HOUR = 1
    _login(client, "nobody", "x")

    response = client.post(f"{LOGIN}?next=/sell/", {"username": "nobody", "password": "x", "next": "/sell/"})

    assert response.status_code == 429
    assert 'name="next" value="/sell/"' in response.content.decode()


def test_the_admin_log_in_counts_failures_with_the_site_log_in(client, settings):
    settings.LOGIN_FAILURES_PER_HOUR = 2
    UserFactory(username="stella", is_staff=True, is_superuser=True)
    admin_login = reverse("admin:login")
    assert _login(client, "stella", "wrong guess").status_code == 400
    assert client.post(admin_login, {"username": "stella", "password": "wrong guess"}).status_code == 200

    response = client.post(admin_login, {"username": "stella", "password": PASSWORD})

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert response.content.decode().startswith("Too many failed log-ins from your network in the last hour.")
    assert SESSION_KEY not in client.session
    assert _login(client, "stella", PASSWORD).status_code == 429


def test_a_staff_log_in_that_works_is_not_counted(client, settings):
    settings.LOGIN_FAILURES_PER_HOUR = 1
    UserFactory(username="stella", is_staff=True, is_superuser=True)
    for _ in range(3):
        assert client.post(reverse("admin:login"), {"username": "stella", "password": PASSWORD}).status_code == 302
        client.logout()

    assert _login(client, "stella", "wrong guess").status_code == 400


# ---------- Whose address ----------


def test_behind_a_proxy_the_address_it_saw_counts_not_what_the_client_wrote(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_FAILURES_PER_HOUR = 2
    # The client forges a different first entry each time; our proxy appends the address it really saw.
    for forged in ("1.1.1.1", "2.2.2.2"):
        _login(client, "anna", "x", HTTP_X_FORWARDED_FOR=f"{forged}, 203.0.113.50", REMOTE_ADDR="10.0.0.2")

    blocked = _login(client, "anna", "x", HTTP_X_FORWARDED_FOR="3.3.3.3, 203.0.113.50", REMOTE_ADDR="10.0.0.2")
    other = _login(client, "anna", "x", HTTP_X_FORWARDED_FOR="203.0.113.51", REMOTE_ADDR="10.0.0.2")

    assert (blocked.status_code, other.status_code) == (429, 400)


def test_without_a_proxy_the_forwarded_header_is_ignored(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.LOGIN_FAILURES_PER_HOUR = 1
    _login(client, "anna", "x", HTTP_X_FORWARDED_FOR="1.1.1.1")

    assert _login(client, "anna", "x", HTTP_X_FORWARDED_FOR="2.2.2.2").status_code == 429


def test_by_default_a_forged_forwarded_header_gets_no_fresh_address(client):
    """The probe: with DEBUG off and nothing in front, rotating X-Forwarded-For must not reset the count."""
    UserFactory(username="anna")
    answers = [
        _login(client, "anna", "wrong guess", HTTP_X_FORWARDED_FOR=f"198.51.100.{number}").status_code
        for number in range(25)
    ]
    right_password = _login(client, "anna", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.200")

    limit = settings.LOGIN_FAILURES_PER_HOUR
    assert answers == [400] * limit + [429] * (25 - limit)
    assert right_password.status_code == 429
    assert SESSION_KEY not in client.session


def test_by_default_sign_ups_with_forged_forwarded_headers_share_one_limit(client):
    answers = []
    for number in range(13):
        answers.append(_signup(client, f"user{number}", HTTP_X_FORWARDED_FOR=f"198.51.100.{number}").status_code)
        client.logout()

    limit = settings.SIGNUPS_PER_HOUR
    assert answers == [302] * limit + [429] * (13 - limit)


def test_one_ipv6_subscriber_network_is_one_client(client, settings):
    settings.LOGIN_FAILURES_PER_HOUR = 1
    _login(client, "anna", "x", REMOTE_ADDR="2001:db8:1:2::10")

    assert _login(client, "anna", "x", REMOTE_ADDR="2001:db8:1:2:ffff::99").status_code == 429
    assert _login(client, "anna", "x", REMOTE_ADDR="2001:db8:1:3::10").status_code == 400


def test_a_cache_that_is_down_does_not_lock_anybody_out(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.SIGNUPS_PER_HOUR = settings.LOGIN_FAILURES_PER_HOUR = 1
    UserFactory(username="anna")
    for _ in range(3):
        assert _login(client, "anna", "wrong guess").status_code == 400

    assert _login(client, "anna", PASSWORD).status_code == 302
    client.logout()
    assert _signup(client, "bruno").status_code == 302


# ---------- Messages, per sender ----------


@pytest.fixture
def listing(seller):
    return ListingFactory(seller=seller, title="Camping tent")


def _contact(client, listing, body: str):
    return client.post(reverse("marketplace:listing_contact", args=[listing.pk]), {"body": body})


def test_messages_past_the_hourly_limit_get_429_and_the_message_is_kept(client, settings, listing, buyer):
    settings.MESSAGES_PER_HOUR = 2
    client.force_login(buyer)
    assert _contact(client, listing, "Is it still available?").status_code == 302
    conversation = Conversation.objects.get()
    thread = reverse("marketplace:conversation", args=[conversation.pk])
    assert client.post(thread, {"body": "Saturday?"}).status_code == 302

    in_thread = client.post(thread, {"body": "Hello again, third message"})
    on_listing = _contact(client, listing, "Another listing-page message")

    for response, body in ((in_thread, "Hello again, third message"), (on_listing, "Another listing-page message")):
        assert response.status_code == 429
        assert 3500 < int(response["Retry-After"]) <= 3600  # the first of the two leaves the hour in an hour
        page = _page(response)
        assert "You have sent 2 messages in the last hour, which is the limit." in page
        assert re.search(rf'<textarea[^>]*name="body"[^>]*>\n?{body}</textarea>', page)
    assert Message.objects.count() == 2


def test_the_message_limit_is_per_sender_and_per_hour(client, settings, listing, buyer, seller):
    settings.MESSAGES_PER_HOUR = 1
    client.force_login(buyer)
    _contact(client, listing, "Is it still available?")
    thread = reverse("marketplace:conversation", args=[Conversation.objects.get().pk])
    assert client.post(thread, {"body": "Too soon"}).status_code == 429

    client.force_login(seller)
    assert client.post(thread, {"body": "Yes it is."}).status_code == 302

    Message.objects.filter(sender=buyer).update(created_at=timezone.now() - timedelta(minutes=61))
    client.force_login(buyer)
    assert client.post(thread, {"body": "Great, see you Saturday."}).status_code == 302


# ---------- Reports, per reporter ----------


def _report(client, listing):
    return client.post(reverse("marketplace:listing_report", args=[listing.pk]), {"reason": "scam", "comment": "Odd"})


def test_reports_past_the_hourly_limit_get_429_with_a_sentence(client, buyer):
    listings = [ListingFactory(title=f"Thing {number}") for number in range(settings.REPORTS_PER_HOUR + 3)]
    client.force_login(buyer)

    answers = [_report(client, listing) for listing in listings]

    limit = settings.REPORTS_PER_HOUR
    assert [answer.status_code for answer in answers] == [302] * limit + [429] * 3
    assert 3500 < int(answers[-1]["Retry-After"]) <= 3600
    assert f"You have reported {limit} listings in the last hour, which is the limit." in _page(answers[-1])
    assert Report.objects.filter(reporter=buyer).count() == limit


def test_the_report_limit_is_per_reporter_and_per_hour(client, settings, buyer):
    settings.REPORTS_PER_HOUR = 1
    first, second = ListingFactory(), ListingFactory()
    client.force_login(buyer)
    assert _report(client, first).status_code == 302
    assert _report(client, second).status_code == 429

    client.force_login(UserFactory(username="someone_else"))
    assert _report(client, second).status_code == 302

    Report.objects.filter(reporter=buyer).update(created_at=timezone.now() - timedelta(minutes=61))
    client.force_login(buyer)
    assert _report(client, second).status_code == 302
