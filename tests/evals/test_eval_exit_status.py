"""The exit status a CI job or deploy script sees from `manage.py eval`: 0 fine, 1 regression, 2 misuse.

A real process against its own SQLite file (a file database takes the runner's parallel writers) and the
fake OpenAI server of this process.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ai_prefill.llm_helpers import photo_jpeg
from tests.evals.eval_cases import COLOURS, answer_by_model_and_colour, write_case_dir

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"red": {"category": "electronics"}, "blue": {"category": "clothing"}}
WORSE = {"red": {"category": "other"}, "blue": {"category": "clothing"}}


@pytest.fixture
def manage(tmp_path, fake_openai):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_", "AI_", "OPENAI_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DEBUG="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'eval.sqlite3'}",
        TROVA_VAR_DIR=str(tmp_path / "var"),
        OPENAI_BASE_URL=fake_openai.base_url,
        AI_RETRY_BASE_SECONDS="0",
    )

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )

    assert run("migrate", "--noinput").returncode == 0
    return run


def test_a_regression_exits_1_and_a_usage_error_exits_2(manage, fake_openai, tmp_path):
    fake_openai.answer = answer_by_model_and_colour({"gpt-4o-mini": GOOD, "worse-model": WORSE})
    photos = {f"{colour}.jpg": photo_jpeg(color=COLOURS[colour]) for colour in GOOD}
    cases = write_case_dir(
        tmp_path / "set", [{"image": name, "category": GOOD[name[:-4]]["category"]} for name in photos], photos
    )
    common = ["eval", "--dataset", str(cases), "--model", "gpt-4o-mini"]

    regressed = manage(*common, "--compare-model", "worse-model", "--concurrency", "2")
    misused = manage(*common, "--concurrency", "0")
    unparsable = manage(*common, "--concurrency", "many")

    assert regressed.returncode == 1, regressed.stderr
    assert "category_accuracy" in regressed.stdout and "FAILED" in regressed.stdout
    assert "CommandError: The candidate regressed" in regressed.stderr
    assert len(fake_openai.requests) == 4
    assert misused.returncode == 2 and "concurrency must be between 1 and 64, not 0" in misused.stderr
    assert unparsable.returncode == 2 and "invalid int value: 'many'" in unparsable.stderr
