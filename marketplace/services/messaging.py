"""Messages between a buyer and a seller: one conversation per listing and buyer."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from core.errors import DomainError, NotAllowed, RateLimited, sliding_window_wait
from marketplace.models import MESSAGE_MAX_LENGTH, Conversation, Listing, Message, Photo, User
from marketplace.text import text_clean


class MessageInvalid(DomainError):
    pass


class MessageRateLimited(RateLimited):
    pass


def _clean_body(body: str) -> str:
    body = text_clean(body).strip()
    if not body:
        raise MessageInvalid(gettext("Please write a message."))
    if len(body) > MESSAGE_MAX_LENGTH:
        raise MessageInvalid(
            gettext("A message can be at most %(limit)d characters long.") % {"limit": MESSAGE_MAX_LENGTH}
        )
    return body


def is_participant(*, conversation: Conversation, user) -> bool:
    return user.pk in (conversation.buyer_id, conversation.listing.seller_id)


def _check_rate_limit(sender) -> None:
    # Counted in the database, as photo analyses are, so the limit holds across web processes; the lock on the
    # sender's row makes their parallel sends queue up here instead of slipping past the count together.
    User.objects.select_for_update().filter(pk=sender.pk).exists()
    limit, window = settings.MESSAGES_PER_HOUR, timedelta(hours=1)
    recent = Message.objects.filter(sender=sender, created_at__gte=timezone.now() - window)
    counted = recent.aggregate(count=Count("id"), oldest=Min("created_at"))
    if counted["count"] >= limit:
        raise MessageRateLimited(
            ngettext(
                "You have sent %(limit)d message in the last hour, which is the limit. "
                "Please wait a while before sending more; your message is kept below.",
                "You have sent %(limit)d messages in the last hour, which is the limit. "
                "Please wait a while before sending more; your message is kept below.",
                limit,
            )
            % {"limit": limit},
            retry_after_seconds=sliding_window_wait(counted["oldest"], window),
        )


def _post(*, conversation: Conversation, sender, body: str) -> Message:
    recipient = conversation.listing.seller if sender.pk == conversation.buyer_id else conversation.buyer
    if recipient.deleted_at is not None:
        raise NotAllowed(gettext("This member has left Trova, so nobody would read your message."))
    _check_rate_limit(sender)
    message = Message.objects.create(conversation=conversation, sender=sender, body=body)
    # Keeps the inbox ordered by the latest message.
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=message.created_at)
    transaction.on_commit(lambda: _email_later(message.pk))
    return message


def _email_later(message_id: int) -> None:
    from marketplace.services.notifications import enqueue_email
    from marketplace.tasks import message_email_task

    # A minute's wait: someone who has the conversation open reads the message live and gets no e-mail.
    enqueue_email(message_email_task, message_id, countdown=settings.MESSAGE_EMAIL_DELAY_SECONDS)


@transaction.atomic
def conversation_contact(*, listing: Listing, buyer, body: str) -> Message:
    """A buyer writes to a seller about a listing, starting the conversation or continuing it."""
    body = _clean_body(body)
    if listing.seller_id == buyer.pk:
        raise NotAllowed(gettext("This is your own listing."))
    conversation = Conversation.objects.filter(listing=listing, buyer=buyer).first()
    if conversation is None:
        if listing.status != Listing.Status.ACTIVE:
            raise NotAllowed(
                gettext("This listing is no longer available, so the seller cannot be contacted about it.")
            )
        conversation, _ = Conversation.objects.get_or_create(listing=listing, buyer=buyer)
    return _post(conversation=conversation, sender=buyer, body=body)


@transaction.atomic
def conversation_reply(*, conversation: Conversation, sender, body: str) -> Message:
    """Either participant adds a message to the conversation."""
    body = _clean_body(body)
    if not is_participant(conversation=conversation, user=sender):
        raise NotAllowed(gettext("Only the buyer and the seller can write in this conversation."))
    return _post(conversation=conversation, sender=sender, body=body)


def conversation_mark_read(*, conversation: Conversation, reader) -> int:
    """Mark the messages the other side sent as read by the reader; returns how many changed."""
    return (
        Message.objects.filter(conversation=conversation, read_at__isnull=True)
        .exclude(sender=reader)
        .update(read_at=timezone.now())
    )


def conversations_for_user(*, user) -> QuerySet[Conversation]:
    """The user's conversations as buyer or seller, newest first, with what the inbox row shows."""
    last = Message.objects.filter(conversation=OuterRef("pk")).order_by("-created_at", "-id")
    thumbnail = Photo.objects.filter(listing=OuterRef("listing_id")).order_by("-is_main", "position", "id")
    return (
        Conversation.objects.filter(Q(buyer=user) | Q(listing__seller=user))
        .select_related("listing__seller", "buyer")
        .annotate(
            unread=Count("messages", filter=Q(messages__read_at__isnull=True) & ~Q(messages__sender=user)),
            last_body=Subquery(last.values("body")[:1]),
            last_sender_id=Subquery(last.values("sender_id")[:1]),
            listing_thumbnail=Subquery(thumbnail.values("thumbnail")[:1]),
        )
        .order_by("-updated_at", "-id")
    )
