"""Fixtures for the browser tests: Chromium driven by Playwright, a live server, a real worker, the fake model.

See tests/e2e/test_journey.py for why the pieces are put together this way.
"""

import os
import re
import shutil
import threading
from pathlib import Path

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection
from playwright.sync_api import expect, sync_playwright

from config.celery import app
from tests.conftest import require_service
from tests.fake_openai import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = ROOT / "test-results"
AXE_SCRIPT = Path(__file__).parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# No sandbox: CI runs as root, where Chromium refuses to start with one. The rest keeps a headless
# browser from reaching for the network (updates, sync, QUIC) on a machine that has none.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--disable-sync",
]
# Generous for a loaded CI machine; every wait ends as soon as its condition holds.
WAIT_MS = 15_000
PASSWORD = "correct horse battery"  # tests.factories.UserFactory's

_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        item.stash[_FAILED] = True
    return report


def chromium_path() -> str | None:
    for candidate in (os.environ.get("TROVA_CHROMIUM", ""), *CHROMIUM_CANDIDATES):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite: a test database in a file, so the worker's threads share it with the live server's."""
    # An in-memory test database is one connection that Django lends to the live server; the worker's
    # threads would open their own, and SQLite's shared-cache mode answers "table is locked" at once
    # instead of waiting. A file in WAL mode lets readers and one writer work side by side.
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("e2e-db") / "trova.sqlite3")
        database.setdefault("OPTIONS", {}).update(
            {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE", "timeout": 20}
        )


@pytest.fixture(scope="session")
def browser():
    """Chromium from the machine (Playwright's own download needs the internet)."""
    path = chromium_path()
    require_service(path is not None, "Chromium (apt-get install chromium)")
    expect.set_options(timeout=WAIT_MS)
    # Playwright's sync API keeps an event loop on the test's thread, and Django refuses ORM calls from a
    # thread with a running loop. The test thread only makes rows and reads them back, one call at a time.
    allow_before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if allow_before is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = allow_before


class GatedFakeOpenAI(FakeOpenAI):
    """The fake model, holding its answers while `gate` is clear: the test sees the analysis in progress."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.gate = threading.Event()
        self.gate.set()

    def _answer(self, *args, **kwargs):
        self.gate.wait(WAIT_MS / 1000)
        return super()._answer(*args, **kwargs)


@pytest.fixture
def model(settings):
    """The fake OpenAI server on loopback, with the pre-fill pointed at it (the real SDK, over HTTP)."""
    with GatedFakeOpenAI() as server:
        settings.AI_PROVIDER = "openai"
        settings.OPENAI_BASE_URL = server.base_url
        settings.OPENAI_API_KEY = ""
        # Long enough that a held answer is never retried: one photo, one request.
        settings.AI_TIMEOUT_SECONDS = 30
        try:
            yield server
        finally:
            server.gate.set()


def _redis_up(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def worker(transactional_db, celery_broker, model):
    """A Celery worker (thread pool) in this process, on Redis when CELERY_BROKER_URL names one."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("The worker's threads cannot share an in-memory SQLite database: run these alone (make e2e).")
    url = settings.TROVA_TEST_BROKER_URL
    if url.startswith("redis://"):
        require_service(_redis_up(url), "Redis (CELERY_BROKER_URL=redis://…)")
        celery_broker(url)
        redis.Redis.from_url(url).delete(app.conf.task_default_queue, "unacked", "unacked_index")
    with start_worker(
        app, pool="threads", concurrency=4, perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30
    ) as running:
        yield running


@pytest.fixture
def site(live_server, worker, model, seeded_categories):
    """Everything a person meets: the web server, the worker behind it and the model behind that."""
    return live_server


def _record_problems(context, problems: list[str]) -> None:
    """Collect what the browser saw go wrong, to print when the test fails."""

    def console(message) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text}")

    def answer(response) -> None:
        if response.status >= 400:
            problems.append(f"{response.status}: {response.request.method} {response.url}")

    context.on("console", console)
    context.on("response", answer)
    context.on("requestfailed", lambda request: problems.append(f"{request.failure}: {request.method} {request.url}"))
    context.on("weberror", lambda error: problems.append(f"page error: {error.error}"))


@pytest.fixture
def open_page(request, browser, live_server):
    """open_page(**context options) -> a page in a fresh browser context (its own cookies) on the live server.

    When the test fails, every page it opened is saved as a screenshot in test-results/.
    """
    contexts, problems = [], []

    def open_page(**options):
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(WAIT_MS)
        _record_problems(context, problems)
        contexts.append(context)
        return context.new_page()

    yield open_page
    if request.node.stash.get(_FAILED, False):
        print("What went wrong in the browser:", *problems or ["nothing it reported"], sep="\n  ")
        RESULTS_DIR.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "-", request.node.nodeid.split("::", 1)[-1])
        for index, context in enumerate(contexts):
            for number, page in enumerate(context.pages):
                path = RESULTS_DIR / f"{name}-{index}-{number}.png"
                try:
                    page.screenshot(path=path, full_page=True)
                except Exception as error:  # a crashed page must not hide the test's own failure
                    print(f"Could not save {path}: {error}")
                else:
                    print(f"Screenshot of the failed page: {path}")
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    require_service(AXE_SCRIPT.exists(), "axe-core (`npm ci` in tests/e2e/js; make e2e runs it)")
    return AXE_SCRIPT


def log_in(page, username: str, password: str = PASSWORD) -> None:
    """Log in through the site's own form, as a person would."""
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)


@pytest.fixture
def mug_photo(tmp_path) -> Path:
    """A camera-like JPEG of a green mug (drawn by the demo-data code) to pick in the browser."""
    from marketplace.demo_photos import demo_photo_jpeg

    path = tmp_path / "mug.jpg"
    path.write_bytes(demo_photo_jpeg("mug", color=(60, 150, 90)))
    return path


def wait_for_model_request(model: FakeOpenAI, page) -> None:
    """Until the worker has asked the model (which holds its answer while its gate is clear)."""
    for _ in range(WAIT_MS // 100):
        if model.requests:
            return
        page.wait_for_timeout(100)  # the browser keeps working meanwhile
    pytest.fail("The worker never asked the model about the photo.")
