"""The Content-Security-Policy: on every response, strict, and kept by pages that have no inline code."""

import json
import os
import re
import subprocess
import sys

import pytest

from tests.security.inline_code import ROOT, page_findings, source_findings

pytestmark = pytest.mark.django_db

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


@pytest.mark.parametrize(
    "path", ["/", "/login/", "/signup/", "/api/listings", "/api/docs", "/no-such-page/", "/healthz", "/admin/login/"]
)
def test_every_response_carries_the_strict_policy(client, path):
    response = client.get(path)

    assert response["Content-Security-Policy"] == POLICY


def test_signed_in_and_staff_pages_carry_it_too(client, seller, staff):
    client.force_login(seller)
    assert client.get("/sell/")["Content-Security-Policy"] == POLICY
    client.force_login(staff)
    for path in ("/admin/", "/staff/ai/", "/staff/annotate/"):
        assert client.get(path)["Content-Security-Policy"] == POLICY, path


def test_photos_served_from_another_domain_are_allowed_as_images_only():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "MEDIA_URL": "https://uploads.trova.example/m/",
    }
    code = "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps(s.SECURE_CSP))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    policy = json.loads(result.stdout.strip().splitlines()[-1])
    assert policy["img-src"] == ["'self'", "data:", "blob:", "https://uploads.trova.example"]
    assert policy["script-src"] == ["'self'"] and policy["default-src"] == ["'self'"]


def test_templates_and_python_code_have_no_inline_script_style_or_event_handlers():
    templates = sorted((ROOT / "templates").rglob("*.html"))
    apps = ("marketplace", "ai_prefill", "feedback", "config")
    code = sorted(path for app in apps for path in (ROOT / app).rglob("*.py"))
    assert templates and code

    assert source_findings([*templates, *code]) == []


def test_htmx_is_told_not_to_inject_its_style_element_or_eval(client):
    page = client.get("/").content.decode()

    config = re.search(r'<meta name="htmx-config" content=\'([^\']*)\'>', page)
    assert config and '"includeIndicatorStyles": false' in config.group(1) and '"allowEval": false' in config.group(1)
    # The meta tag must come before htmx reads it (htmx merges it when the document is ready, but be plain).
    assert page.index('name="htmx-config"') < page.index("htmx-2.min.js")


def test_the_api_docs_load_swagger_from_our_own_static_files(client):
    page = client.get("/api/docs").content.decode()

    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn." not in page and "https://" not in page
    assert page_findings(page) == []
