# The worker tests' Redis broker (skipped without CELERY_BROKER_URL=redis://…, failed under TROVA_REQUIRE_SERVICES=1).
from tests.ai_prefill.test_worker_integration import redis_broker  # noqa: F401
