from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """Reads across analyses, feedback and evals: the AI dashboard, experiment results, guardrail, alerts."""

    name = "insights"

    def ready(self) -> None:
        from core.metrics import scrape_collector_register

        scrape_collector_register(_database_collector)


def _database_collector(cache_seconds: float):
    from insights.metrics import DatabaseCollector

    return DatabaseCollector(cache_seconds=cache_seconds)
