"""The Celery app. Settings come from Django's settings, the CELERY_ ones (config/settings/base.py).

Recommended worker command (production), one such process per CPU core:

    celery -A config worker --pool threads --concurrency 100 --loglevel INFO

Why threads: an analysis waits seconds on the model and computes for tens of milliseconds, so one
process keeps ~100 calls in flight (at a 2 s model latency that caps it at 50 analyses a second).
What limits a process in practice is CPU, mostly the photo's downscaling; `make bench` measures it
(worker_throughput, worker_max_calls_in_flight). More throughput: more processes or machines on the
same broker and database, not more threads. Prefetch is one task per thread (acks_late). Threads let
go of their database connection while they wait on the model, so 100 threads do not need 100
PostgreSQL connections. Run beat once per deployment (`celery -A config beat`), or `-B` on a single
worker, for the periodic stale-analysis sweep. Celery's time limits do not apply to the thread pool:
the SDK timeout per attempt bounds each analysis, the lease lets another worker take over one whose
worker died, and the sweep fails anything left behind.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("trova")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
