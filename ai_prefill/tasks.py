"""Celery tasks: thin; the ids come in as JSON, the services do the work."""

import logging

from celery import shared_task
from celery.signals import worker_init, worker_ready

from ai_prefill import lifecycle, services
from ai_prefill.llm.language import language_model_load

# Limits are read when the worker starts. They only bite on the prefork pool (Celery's thread pool
# has no time limits); on threads the SDK timeout per attempt bounds the work, and the lease covers it.
_BUDGET_SECONDS = services.analysis_time_budget_seconds()


@shared_task(
    bind=True,
    acks_late=True,
    # A worker killed mid-analysis has the task redelivered; the lease in analysis_run lets the new
    # delivery take over, and keeps two live deliveries from both calling the model.
    reject_on_worker_lost=True,
    soft_time_limit=_BUDGET_SECONDS,
    time_limit=_BUDGET_SECONDS + services.HARD_LIMIT_MARGIN_SECONDS,
    # Each retry waits out a live lease; a few suffice, the sweep catches the rest.
    max_retries=3,
    ignore_result=True,
)
def analyze_task(self, analysis_id: str) -> None:
    lease_held = services.analysis_run(analysis_id=analysis_id)
    if lease_held is not None:
        # A redelivery, usually of a task whose worker died: its lease still runs, so look again once it
        # has expired. If the holder is alive after all, it will have finished and the retry does nothing.
        raise self.retry(countdown=lease_held.seconds_left + 1)


@shared_task(ignore_result=True)
def sweep_stale_analyses_task() -> dict[str, int]:
    result = services.analysis_sweep_stale()
    return {"timed_out": result.timed_out, "requeued": result.requeued}


@shared_task(ignore_result=True)
def model_lifecycle_task() -> list[str]:
    """Daily: ask the provider for the shutdown date of every model in use, then alert staff as it nears."""
    lifecycle.model_lifecycle_check()
    return lifecycle.lifecycle_alerts_send()


@worker_ready.connect
def _check_configs_at_start(**kwargs) -> None:
    # Parameters a model refuses are named once here, rather than failing as a 400 per analysis.
    for problem in lifecycle.configs_check():
        logging.getLogger(__name__).error("Model config refused at worker start: %s", problem)


@worker_init.connect
def _load_the_language_model(**kwargs) -> None:
    # Before the pool starts: prefork children inherit it, and no seller's analysis waits for the load.
    language_model_load()
