"""A private production-like stack on loopback: PostgreSQL and Redis of its own, gunicorn, Celery worker and beat.

Nothing here touches a developer's own services: the database cluster and Redis are started from temporary
folders on their own ports (TROVA_DRILL_PG_PORT, default 55432; TROVA_DRILL_REDIS_PORT, default 56379) and
removed at the end. The drills and the load test (load/) build on it.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_PORT = int(os.environ.get("TROVA_DRILL_PG_PORT", "55432"))
REDIS_PORT = int(os.environ.get("TROVA_DRILL_REDIS_PORT", "56379"))
WEB_PORT = int(os.environ.get("TROVA_DRILL_WEB_PORT", "58000"))
# The recommended worker command (config/celery.py).
WORKER_CONCURRENCY = 200


class StackError(RuntimeError):
    pass


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_until(condition, *, seconds: float, what: str, every: float = 0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise StackError(f"Gave up after {seconds:g} s waiting for {what}.")


def _require_free(port: int, what: str, variable: str) -> None:
    if not port_is_free(port):
        raise StackError(f"Port {port} for the private {what} is taken; free it or set {variable} to another port.")


def _pg_bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise StackError("PostgreSQL's initdb was not found (apt-get install postgresql).")


class PrivatePostgres:
    """A throwaway cluster in a temporary folder. As root it runs as the `postgres` user, as initdb demands."""

    def __init__(self, port: int = PG_PORT) -> None:
        self.port = port
        self.bindir = _pg_bindir()
        self.folder = Path(tempfile.mkdtemp(prefix="trova-drill-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.folder, user="postgres", group="postgres")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/trova"

    def _run(self, *command: str, timeout: float = 120) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self._as_postgres else []
        result = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise StackError(f"{' '.join(command[:2])} failed: {result.stderr.strip() or result.stdout.strip()}")

    def start(self) -> PrivatePostgres:
        _require_free(self.port, "PostgreSQL", "TROVA_DRILL_PG_PORT")
        initdb = str(self.bindir / "initdb")
        self._run(initdb, "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        self._ctl("start")
        self._run(str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "trova")
        return self

    def _ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=300"
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", action, *extra
        )

    def restart(self) -> None:
        """A fast restart: sessions are cut, the server is back once it accepts connections (pg_ctl -w)."""
        self._ctl("restart", "-m", "fast")

    def stop(self, mode: str = "immediate") -> None:
        if (self.data / "postmaster.pid").exists():
            self._ctl("stop", "-m", mode)

    def resume(self) -> None:
        self._ctl("start")

    def cleanup(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


class PrivateRedis:
    """A throwaway Redis with the append-only file on, as a production broker has: a restart keeps the queue."""

    def __init__(self, port: int = REDIS_PORT) -> None:
        self.port = port
        self.folder = Path(tempfile.mkdtemp(prefix="trova-drill-redis-"))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        _require_free(self.port, "Redis", "TROVA_DRILL_REDIS_PORT")
        redis_server = shutil.which("redis-server")
        if redis_server is None:
            raise StackError("redis-server was not found (apt-get install redis-server).")
        command = [redis_server, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
        command += ["--save", "", "--appendonly", "yes", "--appendfsync", "everysec", "--protected-mode", "no"]
        with (self.folder / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(lambda: not port_is_free(self.port), seconds=10, what="Redis to listen")
        return self

    def stop(self) -> None:
        """SIGTERM, as a service manager stops it: Redis flushes its append-only file and exits."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None

    def cleanup(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


class Service:
    """One of our own processes (web, worker, beat) in its own session, its output in a log file."""

    def __init__(self, name: str, command: list[str], *, env: dict[str, str], log_folder: Path) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.log = log_folder / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Service:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill_hard(self) -> None:
        """kill -9 the whole process group: no cleanup, no acknowledgements, as when a machine dies."""
        if self.running():
            os.killpg(self.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout: float = 20) -> None:
        if not self.running():
            return
        os.killpg(self.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill_hard()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def gunicorn_command(port: int = WEB_PORT, *, workers: int = 3, threads: int = 4) -> list[str]:
    """The production web command (README): gthread workers, a worker's requests bounded by --timeout."""
    return [
        str(BIN / "gunicorn"),
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--timeout",
        "30",
        "--graceful-timeout",
        "10",
        "--backlog",
        "2048",
        # Longer than a client's pause between requests: a connection closed just as the client reuses it is
        # reset. Behind nginx (the README) this is nginx's concern, not the client's.
        "--keep-alive",
        "10",
    ]


def worker_command(concurrency: int = WORKER_CONCURRENCY) -> list[str]:
    return [str(BIN / "celery"), "-A", "config", "worker", "--pool", "threads", "--concurrency", str(concurrency)]


class Stack:
    """The private PostgreSQL and Redis, plus web, worker and beat processes started on demand."""

    def __init__(self) -> None:
        self.postgres = PrivatePostgres()  # first: it fails without PostgreSQL, before any folder is made
        self.redis = PrivateRedis()
        self.scratch = Path(tempfile.mkdtemp(prefix="trova-drill-"))
        self.logs = self.scratch / "logs"
        self.logs.mkdir()
        self.services: list[Service] = []
        self._cleanup = ExitStack()
        self.web_url = f"http://127.0.0.1:{WEB_PORT}"

    def base_env(self) -> dict[str, str]:
        """What every process of the stack (and the drill's own Django) runs with: production settings on loopback."""
        return {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DEBUG": "0",
            "SECRET_KEY": "drill-only-secret-key-not-for-production-0123456789abcdef",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Plain HTTP on loopback: no reverse proxy terminates TLS here.
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            "DATABASE_URL": self.postgres.url,
            "CELERY_BROKER_URL": self.redis.url,
            "TROVA_VAR_DIR": str(self.scratch / "var"),
            "MEDIA_ROOT": str(self.scratch / "media"),
            "AI_PROVIDER": "openai",
            "OPENAI_API_KEY": "",
            # Many uploads from few sellers; the per-user limit is not under test.
            "AI_ANALYSES_PER_HOUR": "1000000",
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "json",
            "PYTHONUNBUFFERED": "1",
        }

    def __enter__(self) -> Stack:
        self._cleanup.callback(shutil.rmtree, self.scratch, ignore_errors=True)
        self._cleanup.callback(self.postgres.cleanup)
        self._cleanup.callback(self.redis.cleanup)
        self._cleanup.callback(self.stop_services)
        _require_free(WEB_PORT, "web server", "TROVA_DRILL_WEB_PORT")
        self.postgres.start()
        self.redis.start()
        env = {**os.environ, **self.base_env()}
        os.environ.update(self.base_env())
        self.manage("migrate", "--noinput", env=env)
        return self

    def __exit__(self, *exc_info) -> None:
        self._cleanup.close()

    def manage(self, *arguments: str, env: dict[str, str] | None = None, timeout: float = 600) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=ROOT,
            env=env or {**os.environ, **self.base_env()},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise StackError(f"manage.py {arguments[0]} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def service(self, name: str, command: list[str], extra_env: dict[str, str]) -> Service:
        service = Service(name, command, env={**os.environ, **self.base_env(), **extra_env}, log_folder=self.logs)
        self.services.append(service)
        return service.start()

    def start_web(self, extra_env: dict[str, str], **gunicorn_options) -> Service:
        web = self.service("web", gunicorn_command(**gunicorn_options), extra_env)
        wait_until(lambda: self._healthy(web), seconds=30, what=f"gunicorn to answer /healthz (log: {web.log})")
        return web

    def _healthy(self, web: Service) -> bool:
        import requests

        if not web.running():
            raise StackError(f"gunicorn exited; its log:\n{web.log_text()[-3000:]}")
        try:
            return requests.get(f"{self.web_url}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def start_worker(self, extra_env: dict[str, str], name: str = "worker") -> Service:
        worker = self.service(name, [*worker_command(), "--hostname", f"{name}@%h", "--loglevel", "INFO"], extra_env)
        wait_until(
            lambda: _ready(worker), seconds=60, what=f"the Celery worker to be ready (log: {worker.log})", every=0.2
        )
        return worker

    def start_beat(self, extra_env: dict[str, str]) -> Service:
        schedule = self.scratch / f"celerybeat-schedule-{len(self.services)}"
        command = [str(BIN / "celery"), "-A", "config", "beat", "--schedule", str(schedule), "--loglevel", "INFO"]
        return self.service("beat", command, extra_env)

    def stop_services(self) -> None:
        while self.services:
            self.services.pop().stop()


def _ready(worker: Service) -> bool:
    if not worker.running():
        raise StackError(f"The Celery worker exited; its log:\n{worker.log_text()[-3000:]}")
    return " ready." in worker.log_text()
