"""The values the pre-fill's model layer takes and gives back."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from ai_prefill.llm.prompt import Prompt

# Worth another try after a wait: the service was busy or unreachable.
TRANSIENT_ERRORS = frozenset({"rate_limited", "server_error", "timeout", "connection_error"})
# The model answered, but not with a usable suggestion: worth one more try, no more.
# output_truncated is retried with a larger cap (suggest.TRUNCATED_CAP_FACTOR); wrong_language is text in another
# language than the one asked for (ai_prefill.llm.language).
OUTPUT_ERRORS = frozenset({"invalid_output", "schema_violation", "refusal", "output_truncated", "wrong_language"})

# The photos of one analysis the model is sent, in the seller's order (settings.PHOTOS_PER_LISTING at most).
MAX_IMAGES = 8

_BUSY = _("The suggestion service is busy right now. Please fill in the form yourself.")
_NO_SUGGESTION = _("We couldn't suggest details for this photo. Please fill in the form yourself.")
_UNAVAILABLE = _("Suggestions are not available right now. Please fill in the form yourself.")
USER_MESSAGES = {
    "rate_limited": _BUSY,
    "server_error": _BUSY,
    "timeout": _("The suggestion took too long. Please fill in the form yourself."),
    "connection_error": _BUSY,
    "invalid_output": _NO_SUGGESTION,
    "schema_violation": _NO_SUGGESTION,
    "refusal": _NO_SUGGESTION,
    "output_truncated": _NO_SUGGESTION,
    "wrong_language": _("We couldn't write the suggestion in your language. Please fill in the form yourself."),
}


@dataclass(frozen=True)
class ModelConfig:
    provider: str  # "openai" | "demo"
    model: str
    api_style: str  # "responses" | "chat"
    prompt_version: str
    timeout_seconds: float
    # As checked against the model (ai_prefill.llm.capabilities), e.g. {"reasoning_effort": "low",
    # "max_output_tokens": 2000}; the provider gives them each API's names.
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PrefillResult:
    # {"title", "description", "category" (slug), "price" (str, euros, 2 decimals), "condition"}, and from
    # prefill-v4 on also: "attributes" ({slug: str | None} for exactly the category's CategoryAttributes),
    # "confidence" ({field or attribute slug: "high" | "medium" | "low"}), "category_candidates" (1 to 3 slugs,
    # best first, the category first) and "language" (the code the text was asked in, "en", "it"). A value
    # of None means the model could not see it ("not visible"); only the title is never None.
    # ai_prefill.confidence.suggestion_split decides which values fill the form.
    suggestion: dict
    attempts: int
    call_ids: tuple[int, ...] = ()  # the LLMCall rows of the attempts, in order


class PrefillFailed(Exception):
    """The model gave no usable suggestion, after the retries the error allows."""

    def __init__(self, error_type: str, detail: str = "", *, attempts: int = 0, call_ids: tuple[int, ...] = ()) -> None:
        super().__init__(f"{error_type}: {detail}" if detail else error_type)
        self.error_type = error_type  # machine-readable, e.g. "rate_limited", "schema_violation"
        self.user_message = USER_MESSAGES.get(error_type, _UNAVAILABLE)  # one sentence for the seller
        self.detail = detail  # for logs and staff, never for the seller
        self.attempts = attempts
        self.call_ids = call_ids  # the LLMCall rows of the attempts, in order


@dataclass
class Attempt:
    """What one call to the model produced; it becomes one LLMCall row."""

    started_at: datetime
    request: dict = field(default_factory=dict)
    latency_ms: int = 0
    suggestion: dict | None = None
    error_type: str = ""
    error_message: str = ""
    http_status: int | None = None
    retry_after: float | None = None
    input_tokens: int = 0  # all of them, the cached ones included
    cached_input_tokens: int = 0
    output_tokens: int = 0  # all of them, the reasoning ones included
    reasoning_tokens: int = 0
    raw_output: str = ""

    def fail(self, error_type: str, message: str) -> None:
        self.error_type = error_type
        self.error_message = message


@dataclass(frozen=True)
class AttributeSpec:
    """A category attribute as the model is told it: slug, name in the seller's language, choices, hint."""

    slug: str
    name: str
    choices: tuple[str, ...] = ()  # empty: free text
    hint: str = ""


@dataclass(frozen=True)
class Taxonomy:
    """The categories and their attributes as read at call time, names in the seller's language."""

    categories: tuple[tuple[str, str], ...]  # (slug, name), in the taxonomy's order
    attributes: tuple[tuple[str, tuple[AttributeSpec, ...]], ...] = ()  # (category slug, its attributes)

    @property
    def category_slugs(self) -> tuple[str, ...]:
        return tuple(slug for slug, _ in self.categories)

    def attributes_of(self, category_slug: str) -> tuple[AttributeSpec, ...]:
        return dict(self.attributes).get(category_slug, ())

    @property
    def schema_attributes(self) -> tuple[AttributeSpec, ...]:
        """One per slug across the taxonomy (a slug means the same in every category): the first category's
        name and hint, the choices of every category that has them (free text when one has none)."""
        by_slug: dict[str, AttributeSpec] = {}
        for _category, specs in self.attributes:
            for spec in specs:
                known = by_slug.get(spec.slug)
                if known is None:
                    by_slug[spec.slug] = spec
                elif known.choices and spec.choices:
                    merged = known.choices + tuple(choice for choice in spec.choices if choice not in known.choices)
                    by_slug[spec.slug] = AttributeSpec(known.slug, known.name, merged, known.hint)
                else:
                    by_slug[spec.slug] = AttributeSpec(known.slug, known.name, (), known.hint)
        return tuple(by_slug.values())


@dataclass(frozen=True)
class AttemptInput:
    """What one attempt sends: every photo in order (model-ready JPEGs) with what the call record says instead
    of its bytes, the model config, the prompt version, the taxonomy and the language of the text."""

    images: tuple[bytes, ...]
    image_refs: tuple[str, ...]
    config: ModelConfig
    prompt: "Prompt"
    taxonomy: Taxonomy
    language: str = "en"
