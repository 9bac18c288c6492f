"""With CACHE_URL the cache is a Redis server: while it is down, nothing that uses the cache fails.
(Sign-up and log-in: test_rate_limits.test_a_cache_that_is_down_does_not_lock_anybody_out.)"""

import pytest

from tests.ai_prefill.test_analysis_lifecycle import closed_port

pytestmark = pytest.mark.django_db


def test_metrics_are_scraped_without_the_cache(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.METRICS_TOKEN = "scraper-token"

    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scraper-token")

    assert response.status_code == 200
    assert "trova_ai_metrics_database_up 1.0" in response.content.decode()
