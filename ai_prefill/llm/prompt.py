"""Prompt versions: the instructions, the output schema and the model parameters, under one id.

A version is two files in ai_prefill/prompts/ with the same name: NAME.md holds the instructions
({categories} marks where the taxonomy goes; from prefill-v4 on {attributes} where the categories' attributes
go and {language} the seller's language, "Italian") and NAME.toml the description, the output shape
(`output = "v4"`; "v1" when absent), the model [params] and the [schema] field descriptions. Every `migrate`
registers the files into the database (PromptVersion), and a registered version is immutable: its content
hash covers the instructions, the output schema as sent and the parameters, and a version whose files or
schema no longer give that hash is refused.
Each process checks a registered version once, on its first use, and keeps it (prompt_get).
"""

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from django.conf import settings
from django.utils import translation
from pydantic import BaseModel

from ai_prefill.llm.capabilities import ModelParamsInvalid, prompt_params_check
from ai_prefill.llm.schema import (
    ATTRIBUTE_MARKS,
    OUTPUT_SHAPES,
    SHAPE_FIELDS,
    output_shape_of,
    suggestion_check,
    suggestion_check_v4,
    suggestion_json_schema,
    suggestion_json_schema_v4,
    suggestion_model,
    suggestion_model_v4,
)
from ai_prefill.llm.types import Taxonomy
from ai_prefill.models import PromptVersion

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
CATEGORIES_MARK = "{categories}"
ATTRIBUTES_MARK = "{attributes}"
LANGUAGE_MARK = "{language}"
# The output schema is stored with this in place of the category slugs, which are read at call time, and
# schema.ATTRIBUTE_MARKS in place of the attributes.
CATEGORY_SLUGS_MARK = "{category slugs}"
STORED_TAXONOMY = Taxonomy(
    categories=((CATEGORY_SLUGS_MARK, ""),), attributes=((CATEGORY_SLUGS_MARK, ATTRIBUTE_MARKS),)
)
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
    field_descriptions: tuple[tuple[str, str], ...]  # (field, description) in SHAPE_FIELDS[output] order
    output: str = "v1"  # the output shape (schema.OUTPUT_SHAPES)

    @property
    def takes_language(self) -> bool:
        """Whether the version asks for the text in the seller's language (and its answers are checked for it)."""
        return LANGUAGE_MARK in self.instructions

    def render(self, *, taxonomy: Taxonomy, language: str = "en") -> str:
        """The instructions for the model, naming exactly the taxonomy's categories (and attributes), in the
        names it holds (the seller's language), and asking for the text in the given language."""
        category_lines = "\n".join(f"  - {slug}: {name}" for slug, name in taxonomy.categories)
        text = self.instructions.replace(CATEGORIES_MARK, category_lines)
        if ATTRIBUTES_MARK in text:
            text = text.replace(ATTRIBUTES_MARK, _attribute_lines(taxonomy))
        return text.replace(LANGUAGE_MARK, language_name(language))

    def output_model(self, taxonomy: Taxonomy) -> type[BaseModel]:
        if self.output == "v4":
            return suggestion_model_v4(taxonomy.category_slugs)
        return suggestion_model(taxonomy.category_slugs, self.field_descriptions)

    def output_json_schema(self, taxonomy: Taxonomy) -> dict:
        """The strict JSON schema sent to the model, with the category an enum of the taxonomy's slugs (and, from
        v4 on, the attributes those of its categories)."""
        if self.output == "v4":
            return suggestion_json_schema_v4(
                taxonomy.category_slugs, taxonomy.schema_attributes, self.field_descriptions
            )
        return suggestion_json_schema(taxonomy.category_slugs, self.field_descriptions)

    def output_check(self, output: BaseModel, *, taxonomy: Taxonomy, language: str) -> dict:
        """The parsed answer as stored, or schema.SuggestionInvalid."""
        if self.output == "v4":
            return suggestion_check_v4(output, taxonomy=taxonomy, language=language)
        return suggestion_check(output, category_slugs=taxonomy.category_slugs)

    @property
    def output_schema(self) -> dict:
        """The JSON schema as sent, with the category enum and the attributes standing for the taxonomy."""
        return self.output_json_schema(STORED_TAXONOMY)

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
        if self.output != "v1":
            content["output"] = self.output  # absent for the first shape, so prefill-v1 to v3 hash as registered
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
    output = header.get("output", "v1")
    if output not in OUTPUT_SHAPES:
        raise PromptVersionError(f"{header_path}: output must be one of {', '.join(OUTPUT_SHAPES)}, not {output!r}.")
    fields = SHAPE_FIELDS[output]
    descriptions = header.get("schema") or {}
    if set(descriptions) != set(fields) or not all(isinstance(text, str) for text in descriptions.values()):
        raise PromptVersionError(
            f"{header_path} needs a [schema] table with a description for each of {', '.join(fields)}."
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
        field_descriptions=tuple((name, descriptions[name]) for name in fields),
        output=output,
    )


def prompt_from_stored(
    *, version: str, description: str, instructions: str, output_schema: dict, params: dict
) -> Prompt:
    """A registered version, rebuilt through today's code (its content hash tells whether that still matches)."""
    properties = output_schema.get("properties", {})
    output = output_shape_of(output_schema)
    return Prompt(
        version=version,
        description=description,
        instructions=instructions,
        params=dict(params),
        field_descriptions=tuple(
            (name, properties.get(name, {}).get("description", "")) for name in SHAPE_FIELDS[output]
        ),
        output=output,
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


def user_text(photo_count: int = 1) -> str:
    """The user message beside the photos; not part of a version (its hash), so it may follow the count."""
    if photo_count == 1:
        return "Suggest the listing details for the item in this photo."
    return f"Suggest the listing details for the item in these {photo_count} photos, which all show the same item."


USER_TEXT = user_text(1)


def language_name(code: str) -> str:
    """The language's English name for the model ("it" -> "Italian"); the code itself when Django has none."""
    try:
        return translation.get_language_info(code)["name"]
    except KeyError:
        return code


def _attribute_lines(taxonomy: Taxonomy) -> str:
    """Each category's attributes as "slug (name)" in the taxonomy's names, a closed list with its values."""
    lines = []
    for category_slug, _ in taxonomy.categories:
        specs = taxonomy.attributes_of(category_slug)
        described = [
            f"{spec.slug} ({spec.name}{': one of ' + ', '.join(spec.choices) if spec.choices else ''})"
            for spec in specs
        ]
        lines.append(f"  - {category_slug}: {'; '.join(described) if described else 'none'}")
    return "\n".join(lines)
