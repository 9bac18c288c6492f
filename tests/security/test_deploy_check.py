"""Production settings pass Django's deployment checklist (`check --deploy`), as .ci/run also checks."""

import os
import secrets
import subprocess
import sys

from tests.security.inline_code import ROOT

# What a production machine sets; everything else keeps its production default (DEBUG off).
PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "trova.example",
    "OPENAI_API_KEY": "sk-test-not-a-real-key",
}


def _check_deploy(tmp_path, **overrides: str) -> subprocess.CompletedProcess:
    # Nothing from this process's environment leaks in: the test settings set DEBUG and a weak key.
    kept = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    env = {**kept, "DJANGO_SETTINGS_MODULE": "config.settings.base", "TROVA_VAR_DIR": str(tmp_path), **PRODUCTION}
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checklist(tmp_path):
    result = _check_deploy(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_checklist_fails_on_a_weak_key_no_hsts_and_no_https_redirect(tmp_path):
    # The same command must be able to fail, or its pass above would prove nothing.
    result = _check_deploy(tmp_path, SECRET_KEY="short-and-guessable", SECURE_HSTS_SECONDS="0", SECURE_SSL_REDIRECT="0")

    assert result.returncode != 0
    for warning in ("security.W009", "security.W004", "security.W008"):
        assert warning in result.stderr, result.stderr
