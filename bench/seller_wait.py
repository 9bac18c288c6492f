"""The seller's wait, measured as a person feels it: headless Chromium on /sell/ with a phone's network.

For each network profile (Chrome DevTools Protocol Network.emulateNetworkConditions) it picks a 12 MP
phone photo (bench.preprocess.phone_photo, about 3.3 MB) and times, in the page, pick -> upload done,
pick -> the first suggested field filled, pick -> all five, and the bytes of the photo file the POST sent.
Two paths in the same run, each with its own web server (runserver) and worker process:
- today's: the photo sent as picked (/sell/?resize=0) and the whole answer at once (AI_STREAM=0);
- the new one: the photo resized in the browser, the answer streamed and shown field by field.
The fake model sends its first token 0.5 s after the request and the rest over 1.5 s (2 s in all when
not streamed). Needs Chromium, Redis (the broker, and the cache the worker publishes fields to) and
PostgreSQL, like bench.worker; prints "skipped" with the reason without them.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import redis
from django.conf import settings
from django.db import connection
from django.test import Client

from bench.preprocess import phone_photo
from bench.report import report, skipped
from bench.worker import _create_bench_database
from marketplace.models import Category, User
from tests.e2e.conftest import CHROMIUM_ARGS, chromium_path
from tests.fake_openai import DEFAULT_ANSWER, FakeOpenAI

ROOT = Path(__file__).resolve().parent.parent
# Chrome DevTools' throughput is in bytes per second; latency in milliseconds.
PROFILES = {
    "4g": {"offline": False, "latency": 60, "downloadThroughput": 9e6 / 8, "uploadThroughput": 1.5e6 / 8},
    "slow_3g": {"offline": False, "latency": 400, "downloadThroughput": 0.4e6 / 8, "uploadThroughput": 0.4e6 / 8},
}
FIRST_TOKEN_SECONDS = 0.5
REST_OF_ANSWER_SECONDS = 1.5
CHUNK_CHARS = 4
WAIT_SECONDS = int(os.environ.get("BENCH_SELLER_WAIT_SECONDS", "180"))
NAMES = ("seller_wait",)
# Set in the page before its own scripts: when the photo was picked, when its POST came back, and when
# the first and the last of the five fields had a value (checked every 10 ms), and when the resized photo was ready.
TIMING_SCRIPT = """
window.__wait = {};
document.addEventListener("change", (event) => {
  if (event.target.matches && event.target.matches("#photo-form input[type=file]") && !window.__wait.pick) {
    window.__wait.pick = performance.now();
  }
}, true);
document.addEventListener("htmx:configRequest", (event) => {
  const data = event.detail.formData;
  const file = data ? data.get("photo") : event.detail.parameters.photo;
  if (file && file.size) window.__wait.bytes = file.size;
});
document.addEventListener("photo-ready", () => { window.__wait.resized = performance.now(); });
document.addEventListener("htmx:beforeOnLoad", (event) => {
  if (event.detail.elt && event.detail.elt.id === "photo-form") window.__wait.uploaded = performance.now();
});
setInterval(() => {
  if (!window.__wait.pick) return;
  const names = ["title", "description", "category", "price", "condition"];
  const filled = names.filter((name) => {
    const input = document.getElementById("id_" + name);
    return input && input.value;
  });
  if (filled.length && !window.__wait.first) window.__wait.first = performance.now();
  if (filled.length === names.length && !window.__wait.all) window.__wait.all = performance.now();
}, 10);
"""


def run() -> None:
    reason = _missing()
    if reason:
        skipped("seller_wait", reason)
        return
    original_database = _create_bench_database()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            photo = Path(scratch) / "phone-photo.jpg"
            photo.write_bytes(phone_photo())
            user = User.objects.create_user(username="seller", password="bench-password-unused")
            answer = {**DEFAULT_ANSWER, "category": Category.objects.order_by("position", "name").first().slug}
            deltas = -(-len(json.dumps(answer)) // CHUNK_CHARS)
            fake = FakeOpenAI(
                answer=answer,
                latency=FIRST_TOKEN_SECONDS + REST_OF_ANSWER_SECONDS,
                first_token_delay=FIRST_TOKEN_SECONDS,
                token_pace=REST_OF_ANSWER_SECONDS / max(1, deltas - 1),
                stream_chunk_chars=CHUNK_CHARS,
            )
            with fake:
                results = {}
                for path, stream, query in (("today", "0", "?resize=0"), ("new", "1", "")):
                    with _site(fake, Path(scratch) / path, stream=stream) as base_url:
                        # Not counted: a fresh worker's first analysis builds the SDK's types and connections.
                        _measure(base_url, query, user, photo, None)
                        for profile in PROFILES:
                            results[path, profile] = _measure(base_url, query, user, photo, profile)
            _report(results, photo.stat().st_size)
    finally:
        connection.creation.destroy_test_db(original_database, verbosity=0)


def _missing() -> str:
    if chromium_path() is None:
        return "needs Chromium: apt-get install chromium, or TROVA_CHROMIUM=/path/to/chromium"
    broker_url = os.environ.get("CELERY_BROKER_URL", "")
    if not broker_url.startswith(("redis://", "rediss://")) or connection.vendor != "postgresql":
        return "needs CELERY_BROKER_URL=redis://… and DATABASE_URL=postgres://…"
    try:
        redis.Redis.from_url(broker_url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis is not reachable: {error}"
    return ""


def _measure(base_url: str, query: str, user: User, photo: Path, profile: str | None) -> dict:
    """One photo picked on /sell/ with the network as `profile` says (None: not throttled)."""
    from playwright.sync_api import sync_playwright

    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(base_url=base_url)
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}])
            context.add_init_script(TIMING_SCRIPT)
            page = context.new_page()
            page.goto("/sell/" + query)
            if profile is not None:
                devtools = context.new_cdp_session(page)
                devtools.send("Network.enable")
                devtools.send("Network.emulateNetworkConditions", PROFILES[profile])
            page.locator("#id_photo").set_input_files(photo)
            try:
                page.wait_for_function("() => window.__wait.all && window.__wait.uploaded", timeout=WAIT_SECONDS * 1000)
            except Exception as error:
                status = page.locator("#analysis-status").inner_text()
                seen = page.evaluate("() => window.__wait")
                raise SystemExit(f"The page did not fill the form: {seen}, {status!r}") from error
            timings = page.evaluate("() => window.__wait")
        finally:
            browser.close()
    return {
        "resize": (timings["resized"] - timings["pick"]) / 1000,
        "upload": (timings["uploaded"] - timings["pick"]) / 1000,
        "first": (timings["first"] - timings["pick"]) / 1000,
        "all": (timings["all"] - timings["pick"]) / 1000,
        "bytes": timings["bytes"],
    }


def _report(results: dict, photo_bytes: int) -> None:
    goals = {"first": "<= 2.5 s on 4g, >= 3x faster", "all": "<= 4 s on 4g, >= 3x faster"}
    for profile in PROFILES:
        today, new = results["today", profile], results["new", profile]
        for key, label in (("upload", "upload_done"), ("first", "first_field"), ("all", "all_fields")):
            goal = goals.get(key, "none") if profile == "4g" else "none"
            report(f"seller_wait_{profile}_{label}_today", today[key], "s", "baseline", digits=2)
            report(f"seller_wait_{profile}_{label}_new", new[key], "s", goal, digits=2)
            report(f"seller_wait_{profile}_{label}_speedup", today[key] / new[key], "x", goal, digits=1)
    today, new = results["today", "4g"], results["new", "4g"]
    report("seller_wait_4g_resize_in_browser_new", new["resize"], "s", "none; pick -> resized photo ready", digits=2)
    report("seller_wait_photo_bytes_sent_today", today["bytes"] / 1000, "kB", f"the photo is {photo_bytes // 1000} kB")
    report("seller_wait_photo_bytes_sent_new", new["bytes"] / 1000, "kB", "none")
    report("seller_wait_bytes_fewer", today["bytes"] / new["bytes"], "x", ">= 8x")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, log: Path, process: subprocess.Popen) -> None:
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"The web server exited; see {log}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"The web server did not answer in 60 s; see {log}")


@contextmanager
def _site(fake: FakeOpenAI, scratch: Path, *, stream: str):
    """A web server and a worker process on the bench database, with AI_STREAM as given."""
    scratch.mkdir(parents=True, exist_ok=True)
    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
    broker_url = os.environ["CELERY_BROKER_URL"]
    port = _free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "OPENAI_BASE_URL": fake.base_url,
        "OPENAI_API_KEY": "",
        "AI_STREAM": stream,
        # The worker publishes the streamed fields where the web server reads them.
        "CACHE_URL": broker_url,
        # runserver serves the static files and photos only with DEBUG on, and speaks plain HTTP.
        "DEBUG": "1",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    redis.Redis.from_url(broker_url).flushdb()
    processes = []
    try:
        for name, command in (
            ("worker", ["-m", "celery", "-A", "config", "worker", "--pool", "threads", "--concurrency", "8"]),
            ("web", ["manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]),
        ):
            log = scratch / f"{name}.log"
            with log.open("ab") as output:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, *command],
                        cwd=ROOT,
                        env=environment,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        base_url = f"http://127.0.0.1:{port}"
        _wait_for(base_url, scratch / "web.log", processes[-1])
        time.sleep(2)  # the worker connects to the broker meanwhile
        yield base_url
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
