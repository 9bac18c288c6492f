"""Run every benchmark: python -m bench (or make bench); or some of them: python -m bench filters worker."""

import os
import shutil
import sys
import tempfile

scratch = tempfile.mkdtemp(prefix="trova-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.update(
    {
        "DEBUG": "0",  # no query log growing in memory, as in production
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "benchmark-only-secret-key",
        "ALLOWED_HOSTS": "testserver",
        "AI_PROVIDER": "openai",  # the fake OpenAI server stands in for the model
        "AI_ANALYSES_PER_HOUR": "1000000",
        "TROVA_VAR_DIR": scratch,
        "MEDIA_ROOT": os.path.join(scratch, "media"),
        "LOG_LEVEL": "WARNING",  # the worker's own log goes to a file at INFO, as in production
    }
)

import django  # noqa: E402

django.setup()

from bench import attributes, filters, preprocess, resize, search, seller_wait, worker  # noqa: E402

BENCHMARKS = {
    "preprocess": preprocess,
    "resize": resize,
    "search": search,
    "worker": worker,
    "filters": filters,
    "attributes": attributes,
    "seller_wait": seller_wait,
}
chosen = sys.argv[1:] or list(BENCHMARKS)
unknown = [name for name in chosen if name not in BENCHMARKS]
if unknown:
    sys.exit(f"Unknown benchmark {', '.join(unknown)}: use any of {', '.join(BENCHMARKS)}.")
try:
    for name in chosen:
        BENCHMARKS[name].run()
finally:
    shutil.rmtree(scratch, ignore_errors=True)
