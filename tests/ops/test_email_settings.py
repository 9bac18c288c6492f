"""Where mail goes: the console in development, any SMTP server or a provider (django-anymail) in production."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOW_EMAIL = (
    "import django; django.setup(); from django.conf import settings; from django.core.mail import get_connection; "
    "c = get_connection(); print(type(c).__module__, getattr(c, 'host', '-'), getattr(c, 'port', '-'), "
    "getattr(c, 'use_tls', '-'), getattr(c, 'timeout', '-'), sorted(getattr(settings, 'ANYMAIL', {}).items()))"
)


def _run(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("EMAIL_", "ANYMAIL_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.base", **env_overrides})
    return subprocess.run(
        [sys.executable, "-c", SHOW_EMAIL], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


PRODUCTION = {"DEBUG": "0", "SECRET_KEY": "a-production-like-secret-key", "ALLOWED_HOSTS": "trova.example"}


def test_development_prints_mail_on_the_console():
    result = _run({"DEBUG": "1"})

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "django.core.mail.backends.console"


def test_production_sends_through_the_smtp_server_the_environment_names():
    result = _run({**PRODUCTION, "EMAIL_HOST": "smtp.example.com", "EMAIL_PORT": "587", "EMAIL_USE_TLS": "1"})

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:5] == ["django.core.mail.backends.smtp", "smtp.example.com", "587", "True", "10"]


def test_a_port_that_is_not_a_number_stops_the_start():
    result = _run({**PRODUCTION, "EMAIL_PORT": "submission"})

    assert result.returncode != 0
    assert "EMAIL_PORT='submission' is not a whole number." in result.stderr


def test_tls_and_ssl_together_stop_the_start():
    result = _run({**PRODUCTION, "EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"})

    assert result.returncode != 0
    assert "EMAIL_USE_TLS and EMAIL_USE_SSL are both on" in result.stderr


def test_a_provider_is_reached_through_anymail_with_its_settings_from_the_environment():
    result = _run(
        {
            **PRODUCTION,
            "EMAIL_BACKEND": "anymail.backends.mailgun.EmailBackend",
            "ANYMAIL_MAILGUN_API_KEY": "key-123",
            "ANYMAIL_MAILGUN_SENDER_DOMAIN": "mg.trova.example",
        }
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("anymail.backends.mailgun ")
    assert "[('MAILGUN_API_KEY', 'key-123'), ('MAILGUN_SENDER_DOMAIN', 'mg.trova.example')]" in result.stdout
