import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _check(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "AI_PROVIDER"}}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.base", **env_overrides})
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_it_refuses_to_start_without_secret_key_when_debug_is_off():
    result = _check({"DEBUG": "0", "AI_PROVIDER": "demo"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_it_names_the_variable_when_a_value_is_bad():
    result = _check({"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a yes/no value" in result.stderr


def test_it_refuses_the_implicit_demo_provider_in_production():
    result = _check({"DEBUG": "0", "SECRET_KEY": "x" * 50})
    assert result.returncode != 0
    assert "AI_PROVIDER=demo" in result.stderr


def test_it_starts_in_development_with_no_configuration():
    result = _check({"DEBUG": "1"})
    assert result.returncode == 0, result.stderr


def _database_settings(env_overrides: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_POOL_MAX_SIZE"}
    env.update({"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings.base", **env_overrides})
    code = "from django.conf import settings; d = settings.DATABASES['default']; print(d['CONN_MAX_AGE'], d['OPTIONS'])"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_it_pools_postgresql_connections_by_default():
    printed = _database_settings({"DATABASE_URL": "postgres://u@127.0.0.1:5432/trova"})
    assert printed.startswith("0 ") and "'max_size': 10" in printed


def test_the_pool_can_be_turned_off():
    printed = _database_settings({"DATABASE_URL": "postgres://u@127.0.0.1:5432/trova", "DATABASE_POOL_MAX_SIZE": "0"})
    assert "pool" not in printed


def _setting(name: str, env_overrides: dict[str, str]) -> str:
    unset = {"DEBUG", "EMAIL_BACKEND", "TRUSTED_PROXY_COUNT", "DATABASE_URL"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.base", "SECRET_KEY": "x" * 50, "AI_PROVIDER": "demo"})
    env.update(env_overrides)
    code = f"from django.conf import settings; print(settings.{name})"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_development_mails_go_to_the_console():
    assert _setting("EMAIL_BACKEND", {"DEBUG": "1"}) == "django.core.mail.backends.console.EmailBackend"


def test_no_forwarding_header_is_trusted_unless_configured_also_in_production():
    assert _setting("TRUSTED_PROXY_COUNT", {"DEBUG": "0"}) == "0"
    assert _setting("TRUSTED_PROXY_COUNT", {"DEBUG": "0", "TRUSTED_PROXY_COUNT": "1"}) == "1"


def test_the_embedded_sqlite_database_is_set_up_for_web_and_worker_together():
    options = _setting("DATABASES['default']['OPTIONS']", {"DEBUG": "1"})
    assert "journal_mode=WAL" in options and "'transaction_mode': 'IMMEDIATE'" in options and "'timeout': 20" in options


def _cache_in_a_second_process(env_overrides: dict[str, str], code: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "AI_PROVIDER", "CACHE_URL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.base", "DEBUG": "1", **env_overrides})
    script = "import django; django.setup(); from django.core.cache import cache; " + code
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_a_file_cache_is_shared_by_the_processes_of_one_machine(tmp_path):
    # What make run relies on: the worker writes a streamed answer's fields, the web process reads them.
    env = {"CACHE_URL": f"file://{tmp_path}/cache"}
    written = _cache_in_a_second_process(env, "cache.set('live:1', {'title': 'Mug'}, 60)")
    read = _cache_in_a_second_process(env, "print(cache.get('live:1'))")

    assert written.returncode == 0, written.stderr
    assert read.stdout.strip() == "{'title': 'Mug'}"


def test_a_cache_url_that_is_neither_redis_nor_a_directory_is_refused():
    result = _check({"DEBUG": "1", "CACHE_URL": "memcached://127.0.0.1:11211"})
    assert result.returncode != 0
    assert "neither a Redis URL nor a directory" in result.stderr
