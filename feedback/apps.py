import logging

from django.apps import AppConfig

logger = logging.getLogger(__name__)


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = "Feedback"

    def ready(self) -> None:
        from ai_prefill.posting import on_analysis_posted

        on_analysis_posted(_enqueue_derivation)


def _enqueue_derivation(analysis_id: str) -> None:
    # Runs after the posting's commit: the worker always finds the posting facts.
    from feedback.tasks import derive_corrections_task

    try:
        derive_corrections_task.delay(analysis_id)
    except Exception:
        # The listing is posted whatever the broker says; the periodic sweep derives what was not enqueued.
        logger.warning("Could not enqueue the corrections of analysis %s; the sweep will derive them", analysis_id,
                       exc_info=True)  # fmt: skip
