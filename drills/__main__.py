"""Fault drills: python -m drills [NAME ...] (or make drill). Prints a verdict per drill; exit status 1 if any fails.

Each drill runs against a live gunicorn web server, the recommended Celery worker command, one beat, and a
private PostgreSQL and Redis started for the run on their own ports (see drills/stack.py), with the fake
OpenAI server on loopback standing in for the model. Everything is removed at the end, also on failure or
Ctrl-C. Names: kill_worker, redis_outage, llm_429, postgres_restart (default: all, in that order).
"""

import shutil
import signal
import sys
import time
from pathlib import Path

from drills.stack import Stack, StackError


def _interrupted(signum, frame):
    # SIGTERM (make being stopped) unwinds like Ctrl-C, so the private services are removed too.
    raise KeyboardInterrupt


def main(names: list[str]) -> int:
    signal.signal(signal.SIGTERM, _interrupted)
    started = time.monotonic()
    with Stack() as stack:
        import django

        django.setup()
        from drills.client import sellers_create
        from drills.scenarios import DRILLS

        unknown = sorted(set(names) - set(DRILLS))
        if unknown:
            print(f"Unknown drill {unknown[0]!r}; the drills are: {', '.join(DRILLS)}.", file=sys.stderr)
            return 2
        stack.manage("seed_demo", "--allow-without-debug")
        sellers = sellers_create(stack.web_url, 8, prefix="drill-seller-")
        print(f"Private PostgreSQL on :{stack.postgres.port}, Redis on :{stack.redis.port}, logs in {stack.logs}")
        verdicts = []
        for name in names or list(DRILLS):
            drill_started = time.monotonic()
            verdict = DRILLS[name](stack, sellers)
            verdicts.append(verdict)
            print(verdict.render(), f"\n  ({time.monotonic() - drill_started:.0f} s)", flush=True)
        failed = [verdict.name for verdict in verdicts if not verdict.passed]
        summary = f"{len(verdicts) - len(failed)}/{len(verdicts)} drills passed in {time.monotonic() - started:.0f} s"
        print(summary + (f"; failed: {', '.join(failed)}" if failed else ""))
        if failed:
            kept = Path("var") / "drill-logs" / time.strftime("%Y%m%d-%H%M%S")
            shutil.copytree(stack.logs, kept)
            print(f"The processes' logs are kept in {kept}")
        return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except StackError as error:
        print(f"drill: {error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("drill: interrupted; the private services were stopped.", file=sys.stderr)
        sys.exit(130)
