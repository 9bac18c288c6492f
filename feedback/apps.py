import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        from ai_prefill.posting import on_analysis_posted
        from feedback.account_data import votes_anonymise, votes_export
        from marketplace.services.account_data import (
            account_deletion_hook_register,
            account_export_contributor_register,
        )

        on_analysis_posted(_enqueue_derivation)
        # A person's data download and account deletion (marketplace's) cover their votes too.
        account_export_contributor_register(name="votes", contributor=votes_export)
        account_deletion_hook_register(name="votes", hook=votes_anonymise)


def _enqueue_derivation(analysis_id: str) -> None:
    # Runs after the posting's commit: the worker always finds the posting facts.
    from feedback.tasks import derive_corrections_task

    try:
        derive_corrections_task.delay(analysis_id)
    except Exception:
        # The listing is posted whatever the broker says; the periodic sweep derives what was not enqueued.
        logger.warning("Could not enqueue the corrections of analysis %s; the sweep will derive them", analysis_id,
                       exc_info=True)  # fmt: skip
