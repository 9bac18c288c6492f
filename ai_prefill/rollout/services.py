"""Writes of the rollout: registering prompt versions, starting, stopping, killing and promoting experiments."""

import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from ai_prefill.llm.prompt import PROMPTS_DIR, VERSION_PATTERN, PromptVersionChanged, prompt_read, version_sort_key
from ai_prefill.models import PromptVersion

logger = logging.getLogger(__name__)


@dataclass
class RegisterResult:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


@transaction.atomic
def prompt_versions_register(*, directory: Path = PROMPTS_DIR) -> RegisterResult:
    """Register every prompt version in the directory; the same content again is a no-op.

    Raises PromptVersionChanged, and registers nothing, when a registered version's content differs.
    """
    names = sorted(
        (path.stem for path in directory.glob("*.md") if VERSION_PATTERN.match(path.stem)), key=version_sort_key
    )
    prompts = [prompt_read(name, directory=directory) for name in names]
    registered = {row.version: row for row in PromptVersion.objects.filter(version__in=names)}
    changed = [
        prompt.version
        for prompt in prompts
        if prompt.version in registered and registered[prompt.version].content_hash != prompt.content_hash
    ]
    if changed:
        raise PromptVersionChanged(
            f"Prompt version {', '.join(changed)} changed after it was registered (files in {directory}). "
            "Registered versions are immutable: restore the files and put the change in a new version "
            "(a new NAME.md and NAME.toml)."
        )
    result = RegisterResult()
    for prompt in prompts:
        if prompt.version in registered:
            result.unchanged.append(prompt.version)
            continue
        PromptVersion.objects.create(
            version=prompt.version,
            description=prompt.description,
            instructions=prompt.instructions,
            output_schema=prompt.output_schema,
            params=prompt.params,
            content_hash=prompt.content_hash,
        )
        result.created.append(prompt.version)
    if result.created:
        logger.info("Registered prompt versions: %s", ", ".join(result.created))
    return result
