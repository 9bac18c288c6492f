from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = "Marketplace"

    def ready(self) -> None:
        from marketplace.search.sqlite import ensure_schema_after_migrate, register_functions

        connection_created.connect(register_functions, dispatch_uid="marketplace_search_functions")
        post_migrate.connect(ensure_schema_after_migrate, sender=self, dispatch_uid="marketplace_search_schema")
