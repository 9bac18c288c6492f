"""Leaving Trova: downloading one's data, and deleting the account.

Higher apps hold data about a person too (ai_prefill's analyses, feedback's votes). Marketplace does not import
them: they register an export contributor and a deletion hook here from their AppConfig.ready().
"""

import json
import logging
import tempfile
import uuid
import zipfile
from collections.abc import Callable
from typing import IO, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from core.errors import DomainError
from marketplace.models import ApiToken, Conversation, Listing, Photo, Report, User
from marketplace.services.photos import photo_delete_files

logger = logging.getLogger(__name__)

# name -> callable(user) returning JSON-serialisable data, written to the archive as <name>.json
_export_contributors: dict[str, Callable[[User], Any]] = {}
# name -> callable(user), run inside the deletion's transaction before the account row is emptied
_deletion_hooks: dict[str, Callable[[User], None]] = {}


class AccountDeletionRefused(DomainError):
    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


def account_export_contributor_register(*, name: str, contributor: Callable[[User], Any]) -> None:
    """Add `<name>.json` (what `contributor(user)` returns) to every data download. Registering again replaces."""
    _export_contributors[name] = contributor


def account_deletion_hook_register(*, name: str, hook: Callable[[User], None]) -> None:
    """Run `hook(user)` in every account deletion's transaction, before the account is emptied."""
    _deletion_hooks[name] = hook


def _when(value) -> str | None:
    return value.isoformat() if value else None


def _listings(user: User) -> tuple[list[dict], list[tuple[str, Photo]]]:
    listings, photos = [], []
    for listing in Listing.objects.filter(seller=user).select_related("category").prefetch_related("photos"):
        names = []
        for photo in listing.photos.all():
            name = f"photos/listing-{listing.pk}/{photo.pk}.jpg"
            names.append(name)
            photos.append((name, photo))
        listings.append(
            {
                "id": listing.pk,
                "title": listing.title,
                "description": listing.description,
                "category": listing.category.slug,
                "price": str(listing.price),
                "condition": listing.condition,
                "status": listing.status,
                "created_at": _when(listing.created_at),
                "updated_at": _when(listing.updated_at),
                "sold_at": _when(listing.sold_at),
                "photos": names,
            }
        )
    return listings, photos


def _conversations(user: User) -> list[dict]:
    conversations = (
        Conversation.objects.filter(Q(buyer=user) | Q(listing__seller=user))
        .select_related("listing__seller", "buyer")
        .prefetch_related("messages")
        .order_by("created_at", "id")
    )
    result = []
    for conversation in conversations:
        selling = conversation.listing.seller_id == user.pk
        other = conversation.buyer if selling else conversation.listing.seller
        result.append(
            {
                "listing": {"id": conversation.listing_id, "title": conversation.listing.title},
                "role": "seller" if selling else "buyer",
                "with": other.public_name,
                "messages": [
                    {
                        "from": "me" if message.sender_id == user.pk else other.public_name,
                        "body": message.body,
                        "sent_at": _when(message.created_at),
                        "read_at": _when(message.read_at),
                    }
                    for message in conversation.messages.all()
                ],
            }
        )
    return result


def _account(user: User) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "email_confirmed_at": _when(user.email_confirmed_at),
        "email_notifications": user.email_notifications,
        "date_joined": _when(user.date_joined),
        "last_login": _when(user.last_login),
    }


def account_export(*, user: User) -> IO[bytes]:
    """One zip archive of what Trova holds about the person: JSON files, and their listings' photos."""
    listings, photos = _listings(user)
    documents: dict[str, Any] = {
        "account": _account(user),
        "listings": listings,
        "conversations": _conversations(user),
        "reports": [
            {
                "listing": {"id": report.listing_id, "title": report.listing_title},
                "reason": report.reason,
                "comment": report.comment,
                "created_at": _when(report.created_at),
            }
            for report in Report.objects.filter(reporter=user).order_by("created_at")
        ],
        "api_tokens": [
            {"name": token.name, "created_at": _when(token.created_at), "last_used_at": _when(token.last_used_at)}
            for token in ApiToken.objects.filter(user=user).order_by("created_at")
        ],
    }
    for name, contributor in _export_contributors.items():
        documents[name] = contributor(user)
    # Photos can add up to many megabytes: the archive spills to disk past 10 MB instead of filling memory.
    # The caller streams and closes it (FileResponse does), so no context manager here.
    archive = tempfile.SpooledTemporaryFile(max_size=10 * 1024 * 1024)  # noqa: SIM115
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for name, document in documents.items():
            zipped.writestr(f"{name}.json", json.dumps(document, indent=2, ensure_ascii=False))
        for name, photo in photos:
            try:
                with photo.image.open("rb") as image:
                    # JPEGs do not compress further; storing them saves the CPU.
                    zipped.writestr(zipfile.ZipInfo(name), image.read(), compress_type=zipfile.ZIP_STORED)
            except OSError:
                # A file the storage lost must not cost the person the rest of their data.
                logger.warning("Data download of user %s: photo %s is missing from storage", user.pk, photo.pk)
    archive.seek(0)
    return archive


def account_export_filename(*, user: User) -> str:
    return f"trova-data-{user.username}-{timezone.localdate().isoformat()}.zip"


@transaction.atomic
def account_delete(*, user: User, password: str) -> None:
    """Delete the person's account: their personal data and photos go, what others need stays, anonymised.

    - Photos: every rendition file (after the commit) and row.
    - Listings: deleted, except those a buyer's conversation is about, kept hidden without description or
      photos so the conversation keeps its subject. Reports keep their own copy of the title and seller.
    - Messages and conversations stay with the other side, who sees "Former member".
    - Reports they made, and reports about them (Report.seller), stay for moderation, naming "Former member".
    - API tokens are deleted; registered hooks detach the rest (analyses keep their numbers, not the person).
    - The account row stays as an empty tombstone the kept rows point at, and can never log in again.
    """
    if not user.check_password(password):
        sentence = gettext("That is not your password.")
        raise AccountDeletionRefused(sentence, {"password": [sentence]})
    user = User.objects.select_for_update().get(pk=user.pk)
    for hook in _deletion_hooks.values():
        hook(user)

    photos = list(Photo.objects.filter(Q(owner=user) | Q(listing__seller=user)))
    Photo.objects.filter(pk__in=[photo.pk for photo in photos]).delete()
    # Files go only once the rows are gone for good: a rollback must not leave rows pointing at nothing.
    transaction.on_commit(lambda: [photo_delete_files(photo) for photo in photos])

    kept = Listing.objects.filter(seller=user, conversations__isnull=False).values("pk")
    Listing.objects.filter(seller=user).exclude(pk__in=kept).delete()
    Listing.objects.filter(seller=user).update(status=Listing.Status.HIDDEN, description="")

    ApiToken.objects.filter(user=user).delete()
    user.username = f"deleted-{uuid.uuid4().hex}"
    user.first_name = user.last_name = user.email = user.display_name = ""
    user.set_unusable_password()
    user.is_active = user.is_staff = user.is_superuser = False
    user.email_confirmed_at = None
    user.email_notifications = False
    user.deleted_at = timezone.now()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
