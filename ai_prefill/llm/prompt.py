"""The prompt: a version id and its text file under ai_prefill/prompts/."""

from collections.abc import Sequence
from functools import cache
from pathlib import Path

PROMPT_VERSION = "prefill-v1"
PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
USER_TEXT = "Suggest the listing details for the item in this photo."


@cache
def _template(version: str) -> str:
    return (PROMPTS_DIR / f"{version}.md").read_text(encoding="utf-8")


def prompt_render(*, version: str, categories: Sequence[tuple[str, str]]) -> str:
    """The instructions for the model, naming exactly the given (slug, name) categories."""
    category_lines = "\n".join(f"  - {slug}: {name}" for slug, name in categories)
    return _template(version).replace("{categories}", category_lines)
