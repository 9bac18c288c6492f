"""Leaving Trova: the data download (one zip of JSON and photos) and deleting the account.

The analyses and votes belong to higher apps; they reach the download and the deletion through the hooks their
AppConfig.ready() registered, so these tests also show the hooks are wired.
"""

import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone

from ai_prefill.models import Analysis, LLMCall
from feedback.models import Vote
from feedback.services import vote_record
from marketplace.models import ApiToken, Conversation, Listing, Message, Photo, Report, User
from marketplace.services.messaging import conversation_contact, conversation_reply
from marketplace.services.reports import report_create
from tests.factories import ListingFactory, UserFactory, listing_with_photo, stored_media_files, suggested_analysis

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


@pytest.fixture
def leaving(seeded_categories):
    """Anna sells three things (one asked about, one reported, one untouched), buys one, votes, reports."""
    anna = UserFactory(username="anna", display_name="Anna R.", email="anna@example.com")
    buyer, other_seller = UserFactory(display_name="Bea"), UserFactory(display_name="Olly")
    asked_about = listing_with_photo(seller=anna, title="Oak table")
    reported = listing_with_photo(seller=anna, title="Odd lamp")
    untouched = listing_with_photo(seller=anna, title="Old radio")
    conversation = conversation_contact(listing=asked_about, buyer=buyer, body="Is it still there?").conversation
    conversation_reply(conversation=conversation, sender=anna, body="Yes, call me on 333 1234567.")
    bought = conversation_contact(listing=ListingFactory(seller=other_seller), buyer=anna, body="Would you take 20?")
    report_create(listing=reported, reporter=buyer, reason=Report.Reason.SCAM, comment="Asks for a wire transfer.")
    report_create(listing=bought.conversation.listing, reporter=anna, reason=Report.Reason.OTHER, comment="Odd.")
    analysis = suggested_analysis(user=anna, session_key="abc123")
    LLMCall.objects.create(
        analysis=analysis,
        provider="openai",
        model="gpt-4o-mini",
        api_style="responses",
        prompt_version="v1",
        started_at=timezone.now(),
        latency_ms=900,
        input_tokens=1200,
        output_tokens=150,
        cost=Decimal("0.000270"),
    )
    vote_record(analysis=analysis, user=anna, value="down", reasons=["price_off"], comment="Anna thinks it's €40")
    ApiToken.objects.create(user=anna, key_hash="0" * 64, name="script")
    return {
        "anna": anna,
        "buyer": buyer,
        "conversation": conversation,
        "bought": bought.conversation,
        "asked_about": asked_about,
        "reported": reported,
        "untouched": untouched,
        "analysis": analysis,
    }


def _archive(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _read(archive: zipfile.ZipFile, name: str):
    return json.loads(archive.read(name))


def test_the_download_is_one_zip_of_everything_about_the_person(client, leaving):
    client.force_login(leaving["anna"])

    response = client.get(reverse("marketplace:account_data"))

    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"] and "trova-data-anna" in response["Content-Disposition"]
    archive = _archive(response)
    assert _read(archive, "account.json")["email"] == "anna@example.com"
    listings = _read(archive, "listings.json")
    assert sorted(listing["title"] for listing in listings) == ["Oak table", "Odd lamp", "Old radio"]
    for listing in listings:
        for photo in listing["photos"]:
            assert archive.read(photo)[:2] == b"\xff\xd8"  # a JPEG
    conversations = _read(archive, "conversations.json")
    selling = next(c for c in conversations if c["role"] == "seller")
    assert selling["with"] == "Bea"
    assert [(m["from"], m["body"]) for m in selling["messages"]] == [
        ("Bea", "Is it still there?"),
        ("me", "Yes, call me on 333 1234567."),
    ]
    assert next(c for c in conversations if c["role"] == "buyer")["messages"][0]["body"] == "Would you take 20?"
    assert _read(archive, "reports.json")[0]["comment"] == "Odd."
    assert _read(archive, "api_tokens.json")[0]["name"] == "script"
    # From the higher apps, through their registered contributors.
    assert _read(archive, "votes.json")[0]["comment"] == "Anna thinks it's €40"
    assert _read(archive, "analyses.json")[0]["id"] == str(leaving["analysis"].id)


def test_the_download_holds_nothing_of_other_people(client, leaving):
    client.force_login(leaving["buyer"])

    archive = _archive(client.get(reverse("marketplace:account_data")))

    assert _read(archive, "listings.json") == []
    assert _read(archive, "votes.json") == []
    assert "anna@example.com" not in json.dumps([_read(archive, name) for name in archive.namelist()])


def test_deletion_needs_the_password(client, leaving):
    client.force_login(leaving["anna"])

    response = client.post(reverse("marketplace:account_delete"), {"password": "wrong"})

    assert response.status_code == 400
    assert "That is not your password." in response.content.decode()
    assert User.objects.get(pk=leaving["anna"].pk).deleted_at is None


def test_deletion_removes_the_person_and_keeps_what_others_need(client, leaving, django_capture_on_commit_callbacks):
    anna = leaving["anna"]
    assert len(stored_media_files()) == 4 * 3  # 3 listings and 1 analysis, 3 renditions each
    client.force_login(anna)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("marketplace:account_delete"), {"password": PASSWORD})

    assert response["Location"] == reverse("marketplace:browse")
    assert SESSION_KEY not in client.session
    anna.refresh_from_db()
    # Personal data: gone; the row is an empty tombstone that can never log in.
    assert (anna.email, anna.display_name, anna.first_name, anna.last_name) == ("", "", "", "")
    assert anna.username.startswith("deleted-") and not anna.has_usable_password() and not anna.is_active
    assert anna.public_name == "Former member"
    assert not ApiToken.objects.filter(user=anna).exists()
    # Photos: every row and every file.
    assert not Photo.objects.filter(owner=anna).exists()
    assert stored_media_files() == []
    # Listings: only the one a buyer's conversation is about stays, hidden and emptied.
    assert not Listing.objects.filter(pk__in=[leaving["untouched"].pk, leaving["reported"].pk]).exists()
    kept = Listing.objects.get(pk=leaving["asked_about"].pk)
    assert (kept.status, kept.description) == (Listing.Status.HIDDEN, "")
    # The buyer's side of the conversation stays, from "Former member".
    assert Message.objects.filter(conversation=leaving["conversation"]).count() == 2
    client.force_login(leaving["buyer"])
    page = client.get(reverse("marketplace:conversation", args=[leaving["conversation"].pk])).content.decode()
    assert "Former member" in page and "Anna" not in page
    assert Conversation.objects.filter(pk=leaving["bought"].pk).exists()
    # Reports about the person's listing and by the person stay for moderation.
    about = Report.objects.get(comment="Asks for a wire transfer.")
    assert (about.listing_id, about.listing_title, about.seller_id) == (None, "Odd lamp", anna.pk)
    assert Report.objects.filter(reporter=anna, comment="Odd.").exists()


def test_deletion_keeps_the_ai_records_numbers_but_not_the_person(client, leaving):
    client.force_login(leaving["anna"])

    client.post(reverse("marketplace:account_delete"), {"password": PASSWORD})

    analysis = Analysis.objects.get(pk=leaving["analysis"].pk)
    assert (analysis.user_id, analysis.session_key, analysis.photo_id) == (None, "", None)
    assert analysis.suggestion["price"] == "20.00"
    call = LLMCall.objects.get(analysis=analysis)
    assert (call.input_tokens, call.output_tokens, call.cost) == (1200, 150, Decimal("0.000270"))
    vote = Vote.objects.get(analysis=analysis)
    assert (vote.value, vote.reasons, vote.comment) == ("down", ["price_off"], "")


def test_a_deleted_account_cannot_log_in_and_its_name_is_free_again(client, leaving):
    client.force_login(leaving["anna"])
    client.post(reverse("marketplace:account_delete"), {"password": PASSWORD})

    response = client.post(reverse("marketplace:login"), {"username": "anna", "password": PASSWORD})

    assert response.status_code == 400
    signup = client.post(
        reverse("marketplace:signup"),
        {
            "username": "anna",
            "display_name": "Anna",
            "email": "anna@example.com",
            "password": "a long and unusual passphrase",
            "password_again": "a long and unusual passphrase",
        },
    )
    assert signup.status_code == 302


def test_the_other_side_cannot_write_to_a_former_member(client, leaving):
    client.force_login(leaving["anna"])
    client.post(reverse("marketplace:account_delete"), {"password": PASSWORD})
    client.force_login(leaving["buyer"])
    url = reverse("marketplace:conversation", args=[leaving["conversation"].pk])

    assert "This member has left Trova" in client.get(url).content.decode()
    response = client.post(url, {"body": "Hello?"})

    assert response.status_code == 403
    assert "This member has left Trova" in response.content.decode()
    assert not Message.objects.filter(body="Hello?").exists()


def test_deletion_logs_the_person_out_everywhere(client, leaving):
    other_device = client.__class__()
    other_device.force_login(leaving["anna"])
    client.force_login(leaving["anna"])

    client.post(reverse("marketplace:account_delete"), {"password": PASSWORD})

    assert other_device.get(reverse("marketplace:account"))["Location"].startswith(reverse("marketplace:login"))


def test_staff_see_deleted_accounts_in_the_admin(client, leaving, staff):
    client.force_login(leaving["anna"])
    client.post(reverse("marketplace:account_delete"), {"password": PASSWORD})
    client.force_login(staff)

    listed = client.get(reverse("admin:marketplace_user_changelist") + "?deleted_at__isempty=0")
    change = client.get(reverse("admin:marketplace_user_change", args=[leaving["anna"].pk]))

    assert listed.status_code == 200 and "deleted-" in listed.content.decode()
    assert change.status_code == 200 and "Account deleted" in change.content.decode()


def test_a_photo_the_storage_lost_does_not_stop_the_download(client, leaving):
    lost = leaving["untouched"].photos.get()
    lost.image.storage.delete(lost.image.name)
    client.force_login(leaving["anna"])

    archive = _archive(client.get(reverse("marketplace:account_data")))

    assert f"photos/listing-{leaving['untouched'].pk}/{lost.pk}.jpg" not in archive.namelist()
    assert len([name for name in archive.namelist() if name.startswith("photos/")]) == 2
