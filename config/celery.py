"""The Celery app. Settings come from Django's settings, the CELERY_ ones (config/settings/base.py).

Recommended worker command (production):

    celery -A config worker --pool threads --concurrency 100 --loglevel INFO

Why threads: an analysis spends seconds waiting on the model and milliseconds computing, so one
process keeps ~100 calls in flight; the image work (Pillow) releases the GIL. At a model latency of
2 s that is up to 50 analyses a second per process (bench/: `make bench`). Prefetch is one task per
thread (acks_late). Database connections are let go while a thread waits on the model, so 100 threads
do not need 100 PostgreSQL connections. Run beat once per deployment (`celery -A config beat`) or
`-B` on a single worker for the periodic stale-analysis sweep. Scale out with more worker processes
or machines on the same broker and database. Celery's time limits do not apply to the thread pool:
the SDK timeout per attempt bounds each analysis, and the sweep catches anything left behind.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("trova")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
