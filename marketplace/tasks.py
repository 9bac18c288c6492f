"""Background work of the marketplace: e-mails. Each task takes ids and is safe to run twice."""

from celery import shared_task

from marketplace.services import notifications


@shared_task(ignore_result=True)
def notices_email_task(notice_ids: list[int]) -> None:
    notifications.notices_email(notice_ids=notice_ids)


@shared_task(ignore_result=True)
def message_email_task(message_id: int) -> None:
    notifications.message_email(message_id=message_id)


@shared_task(ignore_result=True)
def saved_search_digests_task() -> None:
    """Periodic (beat): today's digest for each saved search with new matches; safe to run as often as wanted."""
    from marketplace.services.saved_searches import saved_search_digests_send

    saved_search_digests_send()
