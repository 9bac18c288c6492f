from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AiPrefillConfig(AppConfig):
    name = "ai_prefill"
    verbose_name = _("AI pre-fill")

    def ready(self) -> None:
        # Deploy plumbing: every `migrate` registers the prompt files, and refuses changed ones.
        post_migrate.connect(_register_prompt_versions, sender=self)
        from ai_prefill.account_data import analyses_detach_from_user, analyses_export
        from ai_prefill.posting import listing_post_from_analysis
        from marketplace.services.account_data import (
            account_deletion_hook_register,
            account_export_contributor_register,
        )
        from marketplace.services.listings import analysis_poster_register

        # POST /api/listings with an analysis_id (marketplace's endpoint) posts through ai_prefill.
        analysis_poster_register(listing_post_from_analysis)
        # A person's data download and account deletion (marketplace's) cover their analyses too.
        account_export_contributor_register(name="analyses", contributor=analyses_export)
        account_deletion_hook_register(name="analyses", hook=analyses_detach_from_user)


def _register_prompt_versions(sender, using: str, **kwargs) -> None:
    from django.db import DEFAULT_DB_ALIAS, connections

    from ai_prefill.models import PromptVersion
    from ai_prefill.rollout.services import prompt_versions_register

    # Migrating the app backwards to zero also sends post_migrate, without the table.
    if using != DEFAULT_DB_ALIAS or PromptVersion._meta.db_table not in connections[using].introspection.table_names():
        return
    prompt_versions_register()
