"""Trova settings. Everything that differs between environments comes from environment variables."""

import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_choice, env_int, env_list, env_number, env_prices, env_str
from config.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("TROVA_VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", False)
# With DEBUG on, a missing page shows the site's own 404 page; this (or ?technical_404) shows Django's debug one.
DEBUG_TECHNICAL_404 = env_bool("DEBUG_TECHNICAL_404", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off the site will not start without one: "
            "set SECRET_KEY to a long random string, or set DEBUG=1 for development."
        )
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    # Listed so /api/docs serves Swagger UI from our static files (otherwise ninja loads it from a CDN).
    "ninja",
    "marketplace",
    "ai_prefill",
    "evals",
    "feedback",
    "insights",
]

MIDDLEWARE = [
    # Outermost: every log line of the request carries its id, and the timing covers the whole stack.
    "core.middleware.RequestIdMiddleware",
    "core.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The page's language: the switcher's cookie, else the browser's Accept-Language, else LANGUAGE_CODE.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in person's language setting (User.language), which wins over the cookie and Accept-Language.
    "marketplace.languages.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Innermost, so the error answers it makes pass every other middleware (session, CSRF, headers) on the way out.
    "core.error_pages.ErrorPagesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "marketplace.context_processors.header",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'trova.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# A connection pool per process on PostgreSQL (0 turns it off). The worker's threads give their
# connection back while they wait seconds for the model, so ~200 threads share a few connections
# instead of opening a new one per analysis (about 5 ms each) or holding 200 of them.
DATABASE_POOL_MAX_SIZE = env_int("DATABASE_POOL_MAX_SIZE", 10)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DATABASE_POOL_MAX_SIZE:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django refuses persistent connections alongside a pool
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_MAX_SIZE,
        "timeout": env_int("DATABASE_POOL_TIMEOUT", 10, minimum=1),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web and worker share the file. WAL lets readers work beside the one writer; IMMEDIATE takes the write
    # lock when a transaction begins, so a writer waits its turn (up to the timeout) instead of failing with
    # "database is locked" when a read lock cannot be upgraded. Django 5.1+ options (SQLite "Notes" in the docs).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("SQLITE_BUSY_TIMEOUT_SECONDS", 20, minimum=1),
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "marketplace.User"
LOGIN_URL = "marketplace:login"
LOGIN_REDIRECT_URL = "marketplace:browse"
LOGOUT_REDIRECT_URL = "marketplace:browse"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The languages the site and the pre-fill speak; the pre-fill's language check chooses among these only.
LANGUAGES = [("en", _("English")), ("it", _("Italian"))]
# The catalogues: locale/<code>/LC_MESSAGES/django.po (and djangojs.po for static/*.js), written by
# `make messages`, compiled to .mo by `make install` (the README's "Adding a language").
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Rome"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT") or VAR_DIR / "staticfiles")
MEDIA_URL = env_str("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
# Photos on local disk (MEDIA_ROOT), or with MEDIA_STORAGE=s3 in S3-compatible object storage through
# django-storages (the optional extra: pip install ".[s3]"); boto3 reads AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY from the environment itself.
MEDIA_STORAGE = env_choice("MEDIA_STORAGE", "local", ("local", "s3"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if MEDIA_STORAGE == "s3":
    if not env_str("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME, the bucket the photos go to.")
    if env_str("AWS_S3_CUSTOM_DOMAIN") and not env_str("MEDIA_URL"):
        MEDIA_URL = f"https://{env_str('AWS_S3_CUSTOM_DOMAIN')}/"
    if not urlsplit(MEDIA_URL).netloc:
        # The Content-Security-Policy (below) lets images in only from MEDIA_URL's host.
        raise ImproperlyConfigured(
            "MEDIA_STORAGE=s3 needs AWS_S3_CUSTOM_DOMAIN or an absolute MEDIA_URL (the photos' host, e.g. "
            "https://trova-photos.s3.eu-west-1.amazonaws.com/), so the pages may show the photos."
        )
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,  # MinIO, Cloudflare R2, Scaleway, ...
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            # Photos served from their own domain (a CDN or the bucket's), never the site's: see the README.
            "custom_domain": env_str("AWS_S3_CUSTOM_DOMAIN") or None,
            # Photo names are random and written once; public URLs without signatures can be cached.
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", False),
            "file_overwrite": False,
        },
    }

# Uploads: photos are at most 15 MB each; a request may carry up to 8 of them plus the form.
PHOTO_MAX_BYTES = env_int("PHOTO_MAX_BYTES", 15 * 1024 * 1024, minimum=1)
PHOTO_MAX_PIXELS = env_int("PHOTO_MAX_PIXELS", 40_000_000, minimum=1)
PHOTOS_PER_LISTING = 8
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 100

# The cache holds the sign-up and log-in counters (marketplace/ratelimit.py), the /metrics snapshot and the fields
# a streamed answer has completed (ai_prefill/live.py, which the web and the worker must share). Local memory by
# default, which is per process; CACHE_URL=redis://host:6379/1 makes every process share it, and
# file:///path a directory that the processes of one machine share (make run: web and worker, no Redis).
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://", "unix://", "file:///")):
    raise ImproperlyConfigured(
        f"CACHE_URL={CACHE_URL!r} is neither a Redis URL nor a directory: use redis://host:6379/1, "
        "file:///absolute/path, or leave it empty for a memory cache."
    )
if CACHE_URL.startswith("file:///"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": CACHE_URL.removeprefix("file://"),
        }
    }
elif CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            # A cache that stopped answering must not hold up requests (the rate limits then let them through).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rate limits: sign-ups and failed log-ins per client address (in the cache), messages per sender and reports per
# reporter (in the database); photo analyses have AI_ANALYSES_PER_HOUR. Past a limit the answer is 429 with
# Retry-After and what was typed kept.
SIGNUPS_PER_HOUR = env_int("SIGNUPS_PER_HOUR", 10, minimum=1)
# Password-reset requests per client address, and confirmation mails per account (a change of address, a resend).
ACCOUNT_MAILS_PER_HOUR = env_int("ACCOUNT_MAILS_PER_HOUR", 10, minimum=1)
LOGIN_FAILURES_PER_HOUR = env_int("LOGIN_FAILURES_PER_HOUR", 20, minimum=1)
MESSAGES_PER_HOUR = env_int("MESSAGES_PER_HOUR", 60, minimum=1)
REPORTS_PER_HOUR = env_int("REPORTS_PER_HOUR", 10, minimum=1)
# How many reverse proxies in front of the web process append to X-Forwarded-For: the client's address is the
# one the outermost saw. 0 (the default) uses the connection's own address and trusts no forwarding header,
# which a client could otherwise forge for a fresh address per request; behind nginx set it to 1 (README).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Celery. The default broker needs no server (files under var/broker) so `make run` works anywhere.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # Otherwise kombu keeps its exchange tables in ./control, wherever the process was started.
        "control_folder": str(_broker_dir / "control"),
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Redelivery of unacknowledged (acks_late) tasks after a worker dies waits this long. Keep it above
    # the analysis time budget (ai_prefill.services.analysis_time_budget_seconds, 115 s by default) or
    # slow live analyses are delivered twice (harmless: the lease makes the copy wait, then do nothing),
    # and below AI_STALE_AFTER_SECONDS so a lost analysis is finished before the sweep gives up on it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 180, minimum=10),
        # How often a worker looks for unacknowledged tasks past the visibility timeout (kombu's
        # default is about 100 s); a lost analysis is picked up again within this.
        "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10, minimum=1),
        "unacked_restore_throttle": 1,
        # Publishing happens inside web requests: a broker that vanished without closing the TCP
        # connection must not hang the request.
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Fail fast when the broker is down: the upload still succeeds and the page offers the manual form,
# instead of the request waiting on Celery's default retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
# A worker keeps retrying until the broker is up, also at startup.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Tasks are acks_late: reserve only what the pool can start now, so a busy worker does not sit on
# messages that an idle one could run (the pool size, e.g. --concurrency 200, is the prefetch count).
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# No task keeps a result (ignore_result), so the result backend is the stateless "disabled" one. Shared,
# it is made once per process, not once per thread (each time a scan of the installed packages' entry
# points, a few ms holding the GIL, 200 times over when a worker starts).
CELERY_RESULT_BACKEND_THREAD_SAFE = True
CELERY_BEAT_SCHEDULE = {
    "sweep-stale-analyses": {
        "task": "ai_prefill.tasks.sweep_stale_analyses_task",
        "schedule": env_int("AI_SWEEP_EVERY_SECONDS", 60, minimum=1),
    },
    "feedback-record-late-corrections": {
        "task": "feedback.tasks.record_late_corrections_task",
        "schedule": env_int("FEEDBACK_SWEEP_EVERY_SECONDS", 900, minimum=1),
    },
    "feedback-mark-abandoned": {
        "task": "feedback.tasks.mark_abandoned_task",
        "schedule": env_int("FEEDBACK_SWEEP_EVERY_SECONDS", 900, minimum=1),
    },
    "check-ai-alerts": {
        "task": "insights.check_alerts",
        "schedule": env_int("AI_ALERT_EVERY_SECONDS", 60, minimum=1),
    },
    "model-lifecycle": {
        "task": "ai_prefill.tasks.model_lifecycle_task",
        "schedule": env_int("AI_MODEL_LIFECYCLE_EVERY_SECONDS", 24 * 3600, minimum=60),
    },
    # One digest per search and day at most (a unique row claims it), so running it hourly is safe.
    "saved-search-digests": {
        "task": "marketplace.tasks.saved_search_digests_task",
        "schedule": env_int("SAVED_SEARCH_DIGEST_EVERY_SECONDS", 3600, minimum=60),
    },
    "rollout-guardrail": {
        "task": "insights.tasks.rollout_guardrail_task",
        "schedule": env_int("ROLLOUT_GUARDRAIL_EVERY_SECONDS", 300, minimum=10),
    },
}


# The AI pre-fill.
OPENAI_API_KEY = env_str("OPENAI_API_KEY")
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL")
AI_PROVIDER = env_choice("AI_PROVIDER", "openai" if (OPENAI_API_KEY or OPENAI_BASE_URL) else "demo", ("openai", "demo"))
AI_PROVIDER_EXPLICIT = bool(env_str("AI_PROVIDER"))
# gpt-6-luna: OpenAI's replacement for gpt-4o-mini, which shuts down on 2027-01-14 (deprecations page, via
# issue 17); chosen by the eval in the README's "Model upgrades". `python manage.py models` shows the dates.
AI_MODEL = env_str("AI_MODEL") or "gpt-6-luna"
AI_API_STYLE = env_choice("AI_API_STYLE", "responses", ("responses", "chat"))
# The prompt version (ai_prefill/prompts/NAME.md and NAME.toml) analyses use outside experiments; prefill-v4 since
# the eval in the README's "Model upgrades" (attributes, confidence, the seller's language) passed its gate.
AI_PROMPT_VERSION = env_str("AI_PROMPT_VERSION") or "prefill-v4"
if not (BASE_DIR / "ai_prefill" / "prompts" / f"{AI_PROMPT_VERSION}.md").is_file():
    raise ImproperlyConfigured(
        f"AI_PROMPT_VERSION={AI_PROMPT_VERSION!r} names no prompt: use the name of a file in ai_prefill/prompts/ "
        "without .md, e.g. prefill-v1."
    )
# How sure the model must be for a suggested value to fill its field (ai_prefill.confidence): "high", "medium"
# or "low", per field, as FIELD=LEVEL pairs (AI_FILL_THRESHOLDS="category=high,brand=high"); a field not
# named takes AI_FILL_THRESHOLD. Below it the sell page offers the value as a choice the seller taps.
AI_FILL_THRESHOLD = env_choice("AI_FILL_THRESHOLD", "medium", ("high", "medium", "low"))
AI_FILL_THRESHOLDS = {}
for _pair in env_list("AI_FILL_THRESHOLDS", "brand=high,model=high"):
    _field, _, _level = _pair.partition("=")
    if _level.strip() not in ("high", "medium", "low") or not _field.strip():
        raise ImproperlyConfigured(
            f"AI_FILL_THRESHOLDS: {_pair!r} is not FIELD=LEVEL with LEVEL high, medium or low (e.g. category=high)."
        )
    AI_FILL_THRESHOLDS[_field.strip()] = _level.strip()
# Ask the model with a streamed answer, so the sell page shows each field as it completes (AI_STREAM=0: one
# answer at the end, as before streaming; the benchmark bench/seller_wait.py compares the two).
AI_STREAM = env_bool("AI_STREAM", True)
AI_TIMEOUT_SECONDS = env_number("AI_TIMEOUT_SECONDS", 30, minimum=0.1)
AI_ANALYSES_PER_HOUR = env_int("AI_ANALYSES_PER_HOUR", 30, minimum=1)
AI_STALE_AFTER_SECONDS = env_int("AI_STALE_AFTER_SECONDS", 300, minimum=10)
# Retries of the model call (ai_prefill.llm, the only retry layer): exponential backoff with jitter from
# the base, each wait at most AI_RETRY_MAX_SECONDS; a 429's Retry-After is honoured up to its own cap.
AI_RETRY_BASE_SECONDS = env_number("AI_RETRY_BASE_SECONDS", 1, minimum=0)
AI_RETRY_MAX_SECONDS = env_number("AI_RETRY_MAX_SECONDS", 8, minimum=0)
AI_RETRY_AFTER_MAX_SECONDS = env_number("AI_RETRY_AFTER_MAX_SECONDS", 10, minimum=0)
# A guard against runaway answers; a suggestion is about 150 tokens, reasoning models need room to think.
AI_MAX_OUTPUT_TOKENS = env_int("AI_MAX_OUTPUT_TOKENS", 2000, minimum=100)
# Prices come from pydantic's genai-prices (ai_prefill.llm.pricing), which keeps OpenAI's list prices. For a
# private or local model it does not know, AI_PRICES (JSON) gives US dollars per million tokens, e.g.
# {"llava:13b": {"input": "0", "output": "0"}} or {"my-ft": {"input": "0.3", "cached_input": "0.03", "output": "1.2"}};
# a model with neither has an unknown cost, never $0.
AI_PRICES = env_prices("AI_PRICES")
if not DEBUG and AI_PROVIDER == "demo" and not AI_PROVIDER_EXPLICIT:
    raise ImproperlyConfigured(
        "No OPENAI_API_KEY or OPENAI_BASE_URL is set, so the pre-fill would use the demo provider. "
        "With DEBUG off that needs AI_PROVIDER=demo set explicitly."
    )

# Search and comparables (marketplace.search). SEARCH_BACKEND: "auto" uses the database's own full-text
# search (PostgreSQL, or SQLite FTS5), in English and Italian (marketplace.search.stems.LANGUAGES).
# SEARCH_TEXT_CONFIG is only the configuration migration 0012 made PostgreSQL's column with (0015 makes it
# again with both languages, and its reverse with this one again).
SEARCH_BACKEND = env_choice("SEARCH_BACKEND", "auto", ("auto", "postgresql", "sqlite"))
SEARCH_TEXT_CONFIG = env_choice("SEARCH_TEXT_CONFIG", "english", ("english", "italian", "simple"))
# The pre-fill's price from comparable listings: used (AI_COMPARABLES, or a variant's own flag) when at least
# AI_COMPARABLES_MIN are found within AI_COMPARABLES_BUDGET_MS; otherwise the model's price stands.
AI_COMPARABLES = env_bool("AI_COMPARABLES", True)
AI_COMPARABLES_MIN = env_int("AI_COMPARABLES_MIN", 5, minimum=1)
AI_COMPARABLES_BUDGET_MS = env_int("AI_COMPARABLES_BUDGET_MS", 200, minimum=1)

# A/B rollout (ai_prefill.rollout). No variant is called better or worse on the primary metric (category
# accepted unchanged) before each arm has ROLLOUT_MIN_SAMPLE posted suggestions; then a two-proportion
# z-test at the 5% level decides.
ROLLOUT_MIN_SAMPLE = env_int("ROLLOUT_MIN_SAMPLE", 200, minimum=1)
# The guardrail (every ROLLOUT_GUARDRAIL_EVERY_SECONDS) sends all traffic to the control when a candidate
# with at least ROLLOUT_GUARDRAIL_MIN_SAMPLE finished analyses fails more often than this share (and than
# the control), or with as many posted listings costs more than this many US dollars per posted listing
# (0 turns the cost limit off).
ROLLOUT_GUARDRAIL_MIN_SAMPLE = env_int("ROLLOUT_GUARDRAIL_MIN_SAMPLE", 50, minimum=1)
ROLLOUT_GUARDRAIL_MAX_ERROR_RATE = env_number("ROLLOUT_GUARDRAIL_MAX_ERROR_RATE", 0.1, minimum=0)
if ROLLOUT_GUARDRAIL_MAX_ERROR_RATE > 1:
    raise ImproperlyConfigured(
        f"ROLLOUT_GUARDRAIL_MAX_ERROR_RATE={ROLLOUT_GUARDRAIL_MAX_ERROR_RATE!r} is a share: use a number from 0 to 1."
    )
ROLLOUT_GUARDRAIL_MAX_COST_PER_POSTED = env_number("ROLLOUT_GUARDRAIL_MAX_COST_PER_POSTED", 0.05, minimum=0)

# Feedback: the annotation queue takes every thumbs-down and corrected category or price, plus this share
# of the other suggestions (0 to 1, decided per analysis from a hash of its id); a claim lasts the lease.
ANNOTATION_SAMPLE_RATE = env_number("ANNOTATION_SAMPLE_RATE", 0.1, minimum=0)
if ANNOTATION_SAMPLE_RATE > 1:
    raise ImproperlyConfigured(
        f"ANNOTATION_SAMPLE_RATE={ANNOTATION_SAMPLE_RATE!r} is a share: use a number from 0 to 1."
    )
ANNOTATION_LEASE_SECONDS = env_int("ANNOTATION_LEASE_SECONDS", 600, minimum=30)

# Monitoring: the probes and /metrics (core), the /staff/ai/ dashboard and the alerts (insights).
# Daily LLM budget in US dollars (the currency of AI_PRICES); 0 turns the budget alert off.
AI_DAILY_BUDGET = env_number("AI_DAILY_BUDGET", 20, minimum=0)
# Alert when, of the analyses of the last AI_ALERT_WINDOW_MINUTES that finished, at least
# AI_ALERT_MIN_SAMPLE did and this share failed; the same alert is repeated at most every REPEAT minutes.
AI_ALERT_ERROR_RATE = env_number("AI_ALERT_ERROR_RATE", 0.2, minimum=0)
if AI_ALERT_ERROR_RATE > 1:
    raise ImproperlyConfigured(f"AI_ALERT_ERROR_RATE={AI_ALERT_ERROR_RATE!r} is a share: use a number from 0 to 1.")
AI_ALERT_WINDOW_MINUTES = env_int("AI_ALERT_WINDOW_MINUTES", 15, minimum=1)
AI_ALERT_MIN_SAMPLE = env_int("AI_ALERT_MIN_SAMPLE", 20, minimum=1)
AI_ALERT_REPEAT_MINUTES = env_int("AI_ALERT_REPEAT_MINUTES", 60, minimum=1)
ADMINS = [(address, address) for address in env_list("ADMINS")]
SERVER_EMAIL = env_str("SERVER_EMAIL") or "trova@localhost"
# The sender of the mails to people (the sign-up mails); SERVER_EMAIL sends the ones to ADMINS.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or SERVER_EMAIL
EMAIL_SUBJECT_PREFIX = "[Trova] "
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "Trova <trova@localhost>"
# The site's public address, for the links in e-mails (a task has no request to take it from).
SITE_URL = env_str("SITE_URL") or "http://localhost:8000"
MESSAGE_EMAIL_DELAY_SECONDS = env_int("MESSAGE_EMAIL_DELAY_SECONDS", 60, minimum=0)
# /metrics is open with DEBUG on; otherwise it needs "Authorization: Bearer METRICS_TOKEN" or a client
# address inside METRICS_ALLOWED_IPS (addresses or networks, comma-separated).
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS")
for _network in METRICS_ALLOWED_IPS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_IPS contains {_network!r}, which is not an IP address or network (e.g. 10.0.0.0/8)."
        ) from None
# The database part of /metrics (full-table totals: about half a second of database time at a million
# analyses) is cached this long, so several scrapers and frequent scrapes cost one set of queries.
METRICS_CACHE_SECONDS = env_number("METRICS_CACHE_SECONDS", 30, minimum=0)
HEALTH_BROKER_TIMEOUT_SECONDS = env_number("HEALTH_BROKER_TIMEOUT_SECONDS", 1.5, minimum=0.1)

# Production hardening; switched by DEBUG so development over plain HTTP keeps working.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Probes and scrapers talk plain HTTP to the process, behind the TLS-terminating proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (config/csp.py): no inline script or style anywhere, so injected markup cannot run.
# Photos may come from MEDIA_URL's own host when uploads are served from another domain.
_media_url = urlsplit(MEDIA_URL)
_media_origin = [f"{_media_url.scheme}://{_media_url.netloc}"] if _media_url.scheme and _media_url.netloc else []
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:", *_media_origin],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}

# E-mail (README "E-mail"): the console in development; in production any SMTP server (EMAIL_HOST...), or a
# provider's API through django-anymail (pip install .[email]; EMAIL_BACKEND=anymail.backends.<esp>.EmailBackend
# and its settings as ANYMAIL_<NAME> variables, e.g. ANYMAIL_MAILGUN_API_KEY).
EMAIL_BACKEND = env_str("EMAIL_BACKEND") or (
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = env_str("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured(
        "EMAIL_USE_TLS and EMAIL_USE_SSL are both on: use one, TLS (STARTTLS, usually port 587) or SSL (port 465)."
    )
# Seconds; without it a hung mail server would hang the request that sends.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
if EMAIL_BACKEND.startswith("anymail."):
    import importlib.util

    if importlib.util.find_spec("anymail") is None:
        raise ImproperlyConfigured(
            f"EMAIL_BACKEND={EMAIL_BACKEND!r} needs django-anymail: install Trova with pip install '.[email]'."
        )
    INSTALLED_APPS.append("anymail")
    ANYMAIL = {name.removeprefix("ANYMAIL_"): env_str(name) for name in os.environ if name.startswith("ANYMAIL_")}
# How long a link confirming an e-mail address works (password-reset links: PASSWORD_RESET_TIMEOUT, 3 days).
EMAIL_CONFIRMATION_TIMEOUT = env_int("EMAIL_CONFIRMATION_DAYS", 3, minimum=1) * 86400

# One JSON object per line in production, readable lines in development (LOG_FORMAT=json|text overrides).
LOG_FORMAT = env_choice("LOG_FORMAT", "text" if DEBUG else "json", ("json", "text"))
LOGGING = logging_config(json_lines=LOG_FORMAT == "json", level=env_str("LOG_LEVEL") or "INFO")
