"""`make screenshots`: the README's three pictures (browse, a pre-filled sell form, the staff dashboard).

Taken in Chromium on the same live server, worker and fake model as the browser tests (see test_journey.py),
from data that is the same on every run: the demo data (seed_demo), one photo analysed by the worker, and a
day of analyses for the dashboard written with a seeded random generator. The file name keeps it out of
`make test` and `make e2e`; the make target names it.
"""

import io
import math
import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from ai_prefill.llm.schema import SUGGESTED_FIELDS
from ai_prefill.models import Analysis, LLMCall
from feedback.models import Correction, Vote
from marketplace.demo_photos import demo_photo_jpeg
from marketplace.models import User
from tests.e2e.conftest import ROOT, log_in

pytestmark = pytest.mark.e2e

SCREENSHOTS = ROOT / "docs" / "screenshots"
DESKTOP = {"viewport": {"width": 1280, "height": 860}, "device_scale_factor": 1}
CHAIR = {
    "title": "Beech dining chair",
    "description": "Solid beech dining chair with a curved back rest. Sturdy, no wobble; light marks on the seat.",
    "category": "furniture",
    "price": 35,
    "condition": "good",
}
ERRORS = ["rate_limited", "timeout", "invalid_output", "server_error"]


def test_it_takes_the_readme_screenshots(site, model, open_page, tmp_path):
    call_command("seed_demo", "--allow-without-debug", stdout=io.StringIO())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page = open_page(**DESKTOP)
    page.goto("/")
    expect(page.locator(".card")).to_have_count(24)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=SCREENSHOTS / "browse.png")

    model.answer = CHAIR
    photo = tmp_path / "chair.jpg"
    photo.write_bytes(demo_photo_jpeg("chair", color=(176, 120, 70)))
    log_in(page, "demo", "demo-pass-123")
    page.goto("/sell/")
    page.locator("#id_photos").set_input_files(photo)
    expect(page.get_by_label("Title")).to_have_value(CHAIR["title"])
    expect(page.get_by_alt_text("Photo 1")).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=SCREENSHOTS / "sell-prefilled.png", full_page=True)

    _a_day_of_analyses(owner=User.objects.get(username="demo"), photo=Analysis.objects.get().photo)
    staff = open_page(**{**DESKTOP, "viewport": {"width": 1280, "height": 1000}})
    log_in(staff, "staff", "staff-pass-123")
    staff.goto("/staff/ai/")
    expect(staff.locator("#chart-latency")).to_be_visible()
    staff.wait_for_load_state("networkidle")
    staff.screenshot(path=SCREENSHOTS / "dashboard.png")


def _a_day_of_analyses(*, owner: User, photo) -> None:
    """A day of traffic, busier in the daytime: a few failures, some retries, votes and corrections."""
    rng = random.Random(7)
    now = timezone.now()
    for hours_ago in range(24):
        started = now - timedelta(hours=hours_ago)
        daylight = 1 + math.sin((started.hour - 9) / 24 * 2 * math.pi)
        for _ in range(rng.randint(4, 8) + round(12 * daylight)):
            created_at = started - timedelta(seconds=rng.randint(0, 3599))
            failed = rng.random() < 0.04
            variant = rng.choice(["prompt-v1", "prompt-v2"]) if hours_ago < 12 else ""
            _analysis(owner=owner, photo=photo, created_at=created_at, rng=rng, failed=failed, variant=variant)


def _analysis(*, owner: User, photo, created_at, rng: random.Random, failed: bool, variant: str) -> None:
    prompt_version = "prefill-v2" if variant == "prompt-v2" else "prefill-v1"
    latencies = [round(rng.lognormvariate(math.log(2100), 0.35)) for _ in range(1 + (rng.random() < 0.08))]
    error_type = rng.choice(ERRORS) if failed else ""
    suggestion = None if failed else {**CHAIR, "price": str(CHAIR["price"])}
    analysis = Analysis.objects.create(
        user=owner,
        photo=photo,
        status=Analysis.Status.FAILED if failed else Analysis.Status.SUCCEEDED,
        provider="openai",
        model="gpt-4o-mini",
        api_style="responses",
        prompt_version=prompt_version,
        variant=variant,
        suggestion=suggestion,
        error_type=error_type,
        attempts=len(latencies),
        started_at=created_at + timedelta(milliseconds=300),
        finished_at=created_at + timedelta(milliseconds=400 + sum(latencies)),
    )
    Analysis.objects.filter(pk=analysis.pk).update(created_at=created_at)
    at = created_at + timedelta(milliseconds=300)
    for attempt, latency in enumerate(latencies, start=1):
        last = attempt == len(latencies)
        answered = last and not failed
        LLMCall.objects.create(
            analysis=analysis,
            attempt=attempt,
            provider="openai",
            model="gpt-4o-mini",
            api_style="responses",
            prompt_version=prompt_version,
            started_at=at,
            latency_ms=latency,
            input_tokens=rng.randint(780, 900),
            output_tokens=rng.randint(50, 90) if answered else 0,
            cost=Decimal("0.000170") if answered else Decimal(0),
            http_status=200 if answered else 429,
            error_type="" if answered else (error_type if last else "rate_limited"),
        )
        at += timedelta(milliseconds=latency)
    if failed:
        return
    if rng.random() < 0.45:
        Vote.objects.create(analysis=analysis, user=owner, value="up" if rng.random() < 0.78 else "down")
    for field in SUGGESTED_FIELDS:
        changed = rng.random() < {"title": 0.3, "price": 0.45}.get(field, 0.12)
        similarity = rng.uniform(0.4, 0.9) if changed else 1.0
        suggested = str(suggestion[field])
        Correction.objects.create(
            analysis=analysis, field=field, suggested=suggested, final=suggested, changed=changed, similarity=similarity
        )
