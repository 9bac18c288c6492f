"""E-mails to people: each is claimed with a compare-and-set before it is sent, so a rerun sends nothing twice."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from marketplace.languages import in_language_of
from marketplace.models import Conversation, Message, Notice

MESSAGE_EMAIL_INTERVAL = timedelta(minutes=15)
logger = logging.getLogger(__name__)


def enqueue_email(task, *args, countdown: float = 0) -> bool:
    """Publish an e-mail task (called on commit); with the broker down the e-mail is lost, not the request.

    What it tells stays on the site (the message, the notice): a 500 after the write committed would only
    make the person send it again.
    """
    try:
        task.apply_async(args, countdown=countdown or None)
    except Exception:
        logger.exception("Could not enqueue %s%r; that e-mail is not sent", task.name, args)
        return False
    return True


def absolute_url(path: str) -> str:
    """A link for an e-mail: SITE_URL (the public address of the site) and the path."""
    return settings.SITE_URL.rstrip("/") + path


def notices_email(*, notice_ids: list[int]) -> int:
    """E-mail the notices not yet e-mailed to people who accept e-mails; returns how many were sent."""
    sent = 0
    notices = Notice.objects.filter(pk__in=notice_ids, emailed_at__isnull=True).select_related("user", "listing")
    for notice in notices:
        user = notice.user
        # Only a confirmed address of a current member (User.notification_email), and only if they want these.
        if not (user.notification_email and user.email_notifications):
            continue
        if Notice.objects.filter(pk=notice.pk, emailed_at__isnull=True).update(emailed_at=timezone.now()) != 1:
            continue  # another run of the task took it
        link = absolute_url(notice.listing.get_absolute_url() if notice.listing else reverse("marketplace:notices"))
        settings_link = absolute_url(reverse("marketplace:settings"))
        # The notice's text is in the person's language already (services/favourites.py); so is the rest.
        with in_language_of(user):
            body = gettext(
                "Hello %(name)s,\n\n%(notice)s\n\n%(link)s\n\n"
                "You get this because you saved the listing. Turn these e-mails off: %(settings_link)s\n"
            ) % {"name": user.public_name, "notice": notice.text, "link": link, "settings_link": settings_link}
        send_mail(
            subject=f"{settings.EMAIL_SUBJECT_PREFIX}{notice.text}",
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.notification_email],
        )
        sent += 1
    return sent


def message_email(*, message_id: int) -> bool:
    """E-mail the recipient of a new message, unless they read it already, turned e-mails off, or were
    e-mailed about this conversation in the last 15 minutes. True when an e-mail went out."""
    message = Message.objects.select_related("conversation__listing__seller", "conversation__buyer", "sender").filter(
        pk=message_id
    )
    message = message.first()
    if message is None or message.read_at is not None:
        return False
    conversation = message.conversation
    to_seller = message.sender_id == conversation.buyer_id
    recipient = conversation.listing.seller if to_seller else conversation.buyer
    if not (recipient.notification_email and recipient.email_notifications):
        return False
    field = "seller_emailed_at" if to_seller else "buyer_emailed_at"
    now = timezone.now()
    # The compare-and-set is the limit: of several messages (or task runs) within 15 minutes, one e-mail.
    recent = Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lte": now - MESSAGE_EMAIL_INTERVAL})
    if Conversation.objects.filter(recent, pk=conversation.pk).update(**{field: now}) != 1:
        return False
    link = absolute_url(reverse("marketplace:conversation", args=[conversation.pk]))
    settings_link = absolute_url(reverse("marketplace:settings"))
    names = {"sender": message.sender.public_name, "title": conversation.listing.title}
    with in_language_of(recipient):
        subject = gettext("%(sender)s wrote about “%(title)s”") % names
        body = gettext(
            "Hello %(name)s,\n\n%(sender)s wrote about “%(title)s”:\n\n%(body)s\n\nRead and reply: %(link)s\n\n"
            "We e-mail you at most once every 15 minutes per conversation. Turn these e-mails off: %(settings_link)s\n"
        ) % {
            **names,
            "name": recipient.public_name,
            "body": message.body[:500],
            "link": link,
            "settings_link": settings_link,
        }
    send_mail(
        subject=f"{settings.EMAIL_SUBJECT_PREFIX}{subject}",
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[recipient.notification_email],
    )
    return True
