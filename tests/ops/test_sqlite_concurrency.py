"""The embedded default (`make run`) under concurrent uploads: SQLite in a file, the filesystem broker, the
development web server and a real Celery worker, each its own process, and the fake model on loopback.

The processes get the same settings `make run` gives them (config.settings.base, DEBUG=1, no DATABASE_URL), so
this checks the SQLite options in the settings themselves rather than ones a test fixture would add.
"""

import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.ai_prefill.test_worker_integration import _stop, wait_for
from tests.factories import jpeg_bytes

ROOT = Path(__file__).resolve().parents[2]
UPLOADS = 40


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def embedded_stack(tmp_path, fake_openai):
    """(base URL, API token) of a web server and a worker sharing one SQLite file, as `make run` starts them."""
    var = tmp_path / "var"
    for folder in ("broker/queue", "broker/processed", "media"):
        (var / folder).mkdir(parents=True)
    environment = {
        name: value for name, value in os.environ.items() if name not in ("DATABASE_URL", "CELERY_BROKER_URL")
    }
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DEBUG": "1",
            "TROVA_VAR_DIR": str(var),
            "AI_PROVIDER": "openai",
            "OPENAI_BASE_URL": fake_openai.base_url,
            "OPENAI_API_KEY": "",
            "AI_ANALYSES_PER_HOUR": "1000",
        }
    )

    def manage(*arguments: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *arguments], cwd=ROOT, env=environment, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    manage("migrate", "--noinput")
    create_user = "from marketplace.models import User; User.objects.create_user('uploader', password='x-9-long-pw')"
    manage("shell", "-c", create_user)
    token = manage("issue_token", "uploader").strip()

    log_path = tmp_path / "stack.log"
    log = log_path.open("ab")
    port = _free_port()
    worker_command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "threads"]
    worker_command += ["--concurrency", "8", "--without-mingle", "--without-gossip", "--loglevel", "WARNING"]
    web_command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
        for command in (worker_command, web_command)
    ]
    base_url = f"http://127.0.0.1:{port}"

    def web_answers() -> bool:
        try:
            return requests.get(f"{base_url}/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_for(web_answers, seconds=60, what=f"the web server to start\n{log_path}")
        yield base_url, token, log_path
    finally:
        for process in processes:
            _stop(process)


def test_concurrent_uploads_on_sqlite_all_succeed(embedded_stack, fake_openai):
    base_url, token, log_path = embedded_stack
    fake_openai.latency = 0.05
    headers = {"Authorization": f"Bearer {token}"}
    photo = jpeg_bytes(800, 600)
    start = threading.Barrier(UPLOADS)

    def upload(number: int) -> requests.Response:
        start.wait()
        # Connections opened 10 ms apart: the development server's listen backlog is 10 (Django's WSGIServer), and
        # a burst of 40 connects would be reset by the kernel before any request reached Django. Each upload
        # takes longer than the 0.4 s spread, so all 40 are still in flight together.
        time.sleep(number * 0.01)
        files = {"image": ("photo.jpg", photo, "image/jpeg")}
        return requests.post(f"{base_url}/api/analyses", files=files, headers=headers, timeout=60)

    with ThreadPoolExecutor(max_workers=UPLOADS) as pool:
        answers = list(pool.map(upload, range(UPLOADS)))

    statuses = [answer.status_code for answer in answers]
    assert statuses == [202] * UPLOADS, [answer.text[:200] for answer in answers if answer.status_code != 202]

    def status_of(analysis_id: str) -> str:
        return requests.get(f"{base_url}/api/analyses/{analysis_id}", headers=headers, timeout=30).json()["status"]

    ids = [answer.json()["id"] for answer in answers]

    def all_finished() -> list[str] | None:
        states = [status_of(analysis_id) for analysis_id in ids]
        return states if all(state in ("succeeded", "failed") for state in states) else None

    states = wait_for(all_finished, seconds=180, what=f"the worker to finish every analysis\n{log_path}")
    assert states == ["succeeded"] * UPLOADS, log_path.read_text()[-3000:]
