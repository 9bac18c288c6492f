"""Background work of the marketplace: e-mails. Each task takes ids and is safe to run twice, so it is
acknowledged late: a worker that dies mid-task leaves it to be delivered again, and the claim inside
(a compare-and-set, or the digest's unique row) keeps the second delivery from sending it again."""

from celery import shared_task

from marketplace.services import notifications


@shared_task(ignore_result=True, acks_late=True)
def notices_email_task(notice_ids: list[int]) -> None:
    notifications.notices_email(notice_ids=notice_ids)


@shared_task(ignore_result=True, acks_late=True)
def message_email_task(message_id: int) -> None:
    notifications.message_email(message_id=message_id)


@shared_task(ignore_result=True, acks_late=True)
def saved_search_digests_task() -> None:
    """Periodic (beat): today's digest for each saved search with new matches; safe to run as often as wanted."""
    from marketplace.services.saved_searches import saved_search_digests_send

    saved_search_digests_send()
