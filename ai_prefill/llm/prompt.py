"""Prompt versions: the instructions, the output schema and the model parameters, under one id.

A version is two files in ai_prefill/prompts/ with the same name: NAME.md holds the instructions
({categories} marks where the taxonomy goes) and NAME.toml the description, the model [params] and the
[schema] field descriptions. Every `migrate` registers the files into the database (PromptVersion),
and a registered version is immutable: its content hash covers the instructions, the output schema
as sent and the parameters, and a version whose files or schema no longer give that hash is refused.
Each process checks a registered version once, on its first use, and keeps it (prompt_get).
"""

import hashlib
import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from django.conf import settings
from pydantic import BaseModel

from ai_prefill.llm.capabilities import ModelParamsInvalid, prompt_params_check
from ai_prefill.llm.schema import SUGGESTED_FIELDS, suggestion_json_schema, suggestion_model
from ai_prefill.models import PromptVersion

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
USER_TEXT = "Suggest the listing details for the item in this photo."
CATEGORIES_MARK = "{categories}"
# The output schema is stored with this in place of the category slugs, which are read at call time.
CATEGORY_SLUGS_MARK = "{category slugs}"
VERSION_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,49}$")

# Registered versions that passed prompt_get's checks in this process, by version id. Checking once is
# enough: registration refuses a change, the admin cannot edit a version and deletes only unused ones,
# and a drifted file or schema only arrives with a deploy, which starts new processes.
_checked_prompts: dict[str, "Prompt"] = {}


class PromptVersionError(ValueError):
    pass


class UnknownPromptVersion(PromptVersionError):
    pass


class PromptVersionChanged(PromptVersionError):
    pass


@dataclass(frozen=True)
class Prompt:
    version: str
    description: str
    instructions: str
    params: dict
    field_descriptions: tuple[tuple[str, str], ...]  # (field, description) in SUGGESTED_FIELDS order

    def render(self, *, categories: Sequence[tuple[str, str]]) -> str:
        """The instructions for the model, naming exactly the given (slug, name) categories."""
        category_lines = "\n".join(f"  - {slug}: {name}" for slug, name in categories)
        return self.instructions.replace(CATEGORIES_MARK, category_lines)

    def output_model(self, category_slugs: tuple[str, ...]) -> type[BaseModel]:
        return suggestion_model(category_slugs, self.field_descriptions)

    def output_json_schema(self, category_slugs: tuple[str, ...]) -> dict:
        """The strict JSON schema sent to the model, with the category an enum of the given slugs."""
        return suggestion_json_schema(category_slugs, self.field_descriptions)

    @property
    def output_schema(self) -> dict:
        """The JSON schema as sent, with the category enum standing for the taxonomy."""
        return self.output_json_schema((CATEGORY_SLUGS_MARK,))

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 of our canonical form of the instructions, the output schema and the parameters.

        Built only from our own code (schema.suggestion_json_schema, sorted compact JSON, LF line ends), so an
        upgrade of openai or pydantic cannot change it; tests/ai_prefill/test_prompts.py pins each shipped one.
        """
        content = {
            "instructions": self.instructions.replace("\r\n", "\n"),
            "output_schema": self.output_schema,
            "params": self.params,
        }
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def prompt_read(version: str, *, directory: Path = PROMPTS_DIR) -> Prompt | None:
    """The version as its files say, or None when there are no files for it."""
    if not VERSION_PATTERN.match(version):
        return None
    instructions_path, header_path = directory / f"{version}.md", directory / f"{version}.toml"
    if not instructions_path.is_file():
        return None
    if not header_path.is_file():
        raise PromptVersionError(f"The prompt {instructions_path} has no {header_path.name} beside it.")
    try:
        header = tomllib.loads(header_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise PromptVersionError(f"{header_path} is not valid TOML: {error}") from None
    descriptions = header.get("schema") or {}
    if set(descriptions) != set(SUGGESTED_FIELDS) or not all(isinstance(text, str) for text in descriptions.values()):
        raise PromptVersionError(
            f"{header_path} needs a [schema] table with a description for each of {', '.join(SUGGESTED_FIELDS)}."
        )
    if not isinstance(header.get("params", {}), dict):
        raise PromptVersionError(f"{header_path}: params must be a table, e.g. [params] temperature = 0.2.")
    try:
        prompt_params_check(dict(header.get("params", {})))
    except ModelParamsInvalid as error:
        raise PromptVersionError(f"{header_path}: {error}") from None
    return Prompt(
        version=version,
        description=str(header.get("description", "")),
        instructions=instructions_path.read_text(encoding="utf-8"),
        params=dict(header.get("params", {})),
        field_descriptions=tuple((name, descriptions[name]) for name in SUGGESTED_FIELDS),
    )


def prompt_from_stored(
    *, version: str, description: str, instructions: str, output_schema: dict, params: dict
) -> Prompt:
    """A registered version, rebuilt through today's code (its content hash tells whether that still matches)."""
    properties = output_schema.get("properties", {})
    return Prompt(
        version=version,
        description=description,
        instructions=instructions,
        params=dict(params),
        field_descriptions=tuple((name, properties.get(name, {}).get("description", "")) for name in SUGGESTED_FIELDS),
    )


def prompt_get(version: str) -> Prompt:
    """The prompt version to send: the registered one, checked against its files and today's schema code.

    A version not registered yet (tests, a fresh checkout before `migrate`) is read from its files, every time.
    Raises UnknownPromptVersion, or PromptVersionChanged when the version would not be sent as registered.
    """
    checked = _checked_prompts.get(version)
    if checked is not None:
        return checked
    stored = PromptVersion.objects.filter(version=version).first()
    from_files = prompt_read(version)
    if stored is None:
        if from_files is None:
            known = ", ".join(prompt_versions()) or "none"
            raise UnknownPromptVersion(f"There is no prompt version {version!r} (known: {known}).")
        return from_files
    prompt = stored.as_prompt()
    if prompt.content_hash != stored.content_hash:
        raise PromptVersionChanged(
            f"Prompt version {version!r} would no longer be sent as registered: the output schema the code "
            "builds has changed. Registered versions are immutable; add a new version."
        )
    if from_files is not None and from_files.content_hash != stored.content_hash:
        raise PromptVersionChanged(
            f"The files of prompt version {version!r} differ from the registered version. Registered versions "
            "are immutable: restore the files and put the change in a new version."
        )
    _checked_prompts[version] = prompt
    return prompt


def prompt_cache_clear() -> None:
    """Forget the versions this process has checked, so the next prompt_get checks again, as a new process would."""
    _checked_prompts.clear()


def version_sort_key(version: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", version)]


def prompt_versions() -> list[str]:
    """Every known version id, in the files or registered, oldest first (prefill-v2 before prefill-v10)."""
    in_files = {path.stem for path in PROMPTS_DIR.glob("*.md") if VERSION_PATTERN.match(path.stem)}
    registered = set(PromptVersion.objects.values_list("version", flat=True))
    return sorted(in_files | registered, key=version_sort_key)


def current_prompt_version() -> str:
    """The version analyses use outside experiments (AI_PROMPT_VERSION)."""
    return settings.AI_PROMPT_VERSION
