"""The Celery app. Settings come from Django's settings, the CELERY_ ones (config/settings/base.py).

Recommended worker command (production), one such process per CPU core:

    celery -A config worker --pool threads --concurrency 200 --loglevel INFO

Why threads: an analysis waits seconds on the model and computes for a few milliseconds (the photo
arrives model-ready, made at upload), so one process keeps ~200 calls in flight: at a 2 s model latency
that allows 100 analyses a second, and the CPU, not the threads, sets the real ceiling (`make bench`:
worker_throughput, worker_max_calls_in_flight). Fewer threads cap a process below its CPU: 100 threads
at 2 s can never pass 50 a second. More throughput beyond that: more processes or machines on the
same broker and database. Prefetch is one task per thread (acks_late). Threads let go of their
database connection while they wait on the model, so 200 threads do not need 200 PostgreSQL
connections. Run beat once per deployment (`celery -A config beat`), or `-B` on a single worker, for
the periodic stale-analysis sweep. Celery's time limits do not apply to the thread pool: the SDK
timeout per attempt bounds each analysis, the lease lets another worker take over one whose worker
died, and the sweep fails anything left behind.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("trova")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
