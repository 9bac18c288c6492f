"""Deriving the corrections of a posting, and the periodic sweeps for what no request sees happen: later edits of
a listing, and sellers who walked away."""

from celery import shared_task

from feedback import services


@shared_task(ignore_result=True)
def derive_corrections_task(analysis_id: str) -> int:
    """Enqueued once a posting has committed (ai_prefill's posted hook); safe to run again."""
    return len(services.corrections_derive(analysis_id=analysis_id))


@shared_task(ignore_result=True)
def record_late_corrections_task() -> int:
    return services.corrections_record_late()


@shared_task(ignore_result=True)
def mark_abandoned_task() -> int:
    services.corrections_derive_missing()
    marked = services.outcomes_mark_abandoned()
    # The queue also fills its sample from these rows, so new suggestions get theirs here too.
    services.reviews_ensure()
    return marked
