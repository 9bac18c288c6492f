"""Settings for the test suite: the base settings with a throwaway key, fast hashing and local media."""

import os
import tempfile

# Whatever the shell says (make run exports DEBUG=1): the suite tests production behaviour.
os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("AI_PROVIDER", "demo")
# The suite's model tests read whole answers; the streaming tests turn it on where they need it.
os.environ.setdefault("AI_STREAM", "0")
# Tests open and close connections across threads on purpose (e.g. that a waiting worker holds none);
# the pool is exercised by the benchmarks and drills, which run the real worker command.
os.environ["DATABASE_POOL_MAX_SIZE"] = "0"
os.environ.setdefault("TROVA_VAR_DIR", tempfile.mkdtemp(prefix="trova-test-"))

from .base import *  # noqa: F403

# Tests speak plain HTTP through the test client.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Unit tests publish to an in-memory broker; the integration tests point a real worker at Redis
# (TROVA_TEST_BROKER_URL, taken from CELERY_BROKER_URL when that is set).
# Popped, not read: Celery prefers the CELERY_BROKER_URL environment variable to any setting, so
# leaving it would send every unit test's tasks to the real Redis.
TROVA_TEST_BROKER_URL = os.environ.pop("CELERY_BROKER_URL", "")
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
