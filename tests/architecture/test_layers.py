"""The layers contract in pyproject.toml (import-linter), checked by `make lint`: it holds, and it catches an
upward import."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("config", "core", "marketplace", "ai_prefill", "evals", "feedback", "insights")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env={"PATH": str(LINT_IMPORTS.parent), "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of the apps and the contract, so a test can break it without touching the repository."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_code_keeps_the_layers_contract(tree):
    result = lint_imports(tree)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("lower", "higher"),
    [("marketplace", "ai_prefill"), ("ai_prefill", "feedback"), ("core", "marketplace"), ("evals", "insights")],
)
def test_an_upward_import_breaks_the_contract(tree, lower, higher):
    (tree / lower / "upward.py").write_text(f"import {higher}.models  # noqa\n")

    result = lint_imports(tree)

    assert result.returncode == 1
    assert f"{lower} is not allowed to import {higher}" in result.stdout
    assert f"{lower}.upward -> {higher}" in result.stdout
