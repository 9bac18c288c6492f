"""E-mails to people: each is claimed with a compare-and-set before it is sent, so a rerun sends nothing twice."""

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from marketplace.models import Notice


def absolute_url(path: str) -> str:
    """A link for an e-mail: SITE_URL (the public address of the site) and the path."""
    return settings.SITE_URL.rstrip("/") + path


def notices_email(*, notice_ids: list[int]) -> int:
    """E-mail the notices not yet e-mailed to people who accept e-mails; returns how many were sent."""
    sent = 0
    notices = Notice.objects.filter(pk__in=notice_ids, emailed_at__isnull=True).select_related("user", "listing")
    for notice in notices:
        user = notice.user
        if not (user.email and user.email_notifications and user.is_active):
            continue
        if Notice.objects.filter(pk=notice.pk, emailed_at__isnull=True).update(emailed_at=timezone.now()) != 1:
            continue  # another run of the task took it
        link = absolute_url(notice.listing.get_absolute_url() if notice.listing else reverse("marketplace:notices"))
        settings_link = absolute_url(reverse("marketplace:settings"))
        send_mail(
            subject=f"{settings.EMAIL_SUBJECT_PREFIX}{notice.text}",
            message=f"Hello {user.public_name},\n\n{notice.text}\n\n{link}\n\n"
            f"You get this because you saved the listing. Turn these e-mails off: {settings_link}\n",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
        )
        sent += 1
    return sent
