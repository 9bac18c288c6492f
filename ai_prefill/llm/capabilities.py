"""What each model family accepts: sampling parameters, reasoning efforts, the name of its token cap.

The one home of these facts. A prompt version's parameters are defaults: each model is sent only
those it accepts (prefill-v1's temperature is left out for gpt-6-luna, prefill-v3's effort for
gpt-4o-mini). A variant's parameters are a deliberate choice, so they are checked strictly when the
variant is saved and when the worker starts (params_check), rather than failing as a 400 per analysis.

Sources (looked up, December 2026):
- The efforts `none` … `max` and the default `medium`: the SDK's ReasoningEffort type
  (openai/types/shared/reasoning_effort.py) and the OpenAPI spec's ReasoningEffort ("Not all reasoning
  models support every value").
- gpt-6-* and gpt-5.6-* reject temperature/top_p unless the effort is `none`, and Chat Completions wants
  max_completion_tokens: issue 17, from OpenAI's model pages as reported late 2026 (not in the docs we
  can reach).
- gpt-5.1 takes none/low/medium/high; gpt-5 and earlier reasoning models default to medium and do not take
  `none`; xhigh arrived after gpt-5.1: Azure's ReasoningEffort reference and OpenAI's 400 for
  "'minimal' is not supported with the 'gpt-5.1' model".
"""

import re
from dataclasses import dataclass

SAMPLING_PARAMS = ("temperature", "top_p")
# Every parameter a prompt version or variant may set; the provider turns them into each API's names.
PARAMS = ("temperature", "top_p", "max_output_tokens", "reasoning_effort", "verbosity")
ALL_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")


class ModelParamsInvalid(ValueError):
    pass


@dataclass(frozen=True)
class ModelFamily:
    name: str
    pattern: str  # a regular expression matched at the start of the model id
    efforts: tuple[str, ...] = ()  # () for a model that does not reason
    # Chat Completions' name for the output cap; the Responses API always says max_output_tokens.
    chat_token_cap: str = "max_tokens"

    @property
    def reasons(self) -> bool:
        return bool(self.efforts)

    def accepts_sampling(self, effort: str | None) -> bool:
        """Whether temperature/top_p may go with this effort (None: the model's default effort)."""
        if not self.reasons:
            return True
        return "none" in self.efforts and effort == "none"


FAMILIES = (
    ModelFamily("gpt-6", r"gpt-6|gpt-5\.6", ALL_EFFORTS, "max_completion_tokens"),
    ModelFamily("gpt-5.2", r"gpt-5\.[2-5]", ("none", "low", "medium", "high", "xhigh"), "max_completion_tokens"),
    ModelFamily("gpt-5.1", r"gpt-5\.1", ("none", "low", "medium", "high"), "max_completion_tokens"),
    ModelFamily("gpt-5", r"gpt-5(?!\.)", ("minimal", "low", "medium", "high"), "max_completion_tokens"),
    ModelFamily("o-series", r"o[1-9](?![0-9])", ("low", "medium", "high"), "max_completion_tokens"),
    ModelFamily("gpt-4", r"gpt-4|gpt-3\.5|chatgpt-"),
)
# A model we know nothing about (a local or compatible server): sent what it is given, as compatible
# servers (Ollama, vLLM) take max_tokens and sampling parameters.
UNKNOWN = ModelFamily("unknown", "")
_COMPILED = tuple((re.compile(family.pattern), family) for family in FAMILIES)


def model_family(model: str) -> ModelFamily:
    for pattern, family in _COMPILED:
        if pattern.match(model):
            return family
    return UNKNOWN


def params_check(*, model: str, params: dict) -> None:
    """ModelParamsInvalid, with a sentence naming the parameter, unless the model accepts all of params."""
    unknown = sorted(set(params) - set(PARAMS))
    if unknown:
        raise ModelParamsInvalid(f"{unknown[0]!r} is not a parameter Trova sends; use {', '.join(PARAMS)}.")
    family = model_family(model)
    effort = params.get("reasoning_effort")
    if effort is not None:
        if not family.reasons and family is not UNKNOWN:
            raise ModelParamsInvalid(f"{model} does not reason, so it refuses reasoning_effort; leave it out.")
        allowed = family.efforts or ALL_EFFORTS
        if effort not in allowed:
            raise ModelParamsInvalid(f"reasoning_effort {effort!r} is not one {model} takes: use {', '.join(allowed)}.")
    for name in SAMPLING_PARAMS:
        if name in params and not family.accepts_sampling(effort):
            when = ' only with reasoning_effort "none"' if "none" in family.efforts else " at any reasoning effort"
            raise ModelParamsInvalid(f"{model} is a reasoning model: it takes {name}{when}. Leave {name} out.")
    cap = params.get("max_output_tokens")
    if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool) or cap < 1):
        raise ModelParamsInvalid(f"max_output_tokens must be a whole number of tokens, not {cap!r}.")


def prompt_params_check(params: dict) -> None:
    """ModelParamsInvalid unless a prompt version's parameters could be sent to some model: known names,
    a known effort, and no sampling parameters beside an effort other than none (no model takes that)."""
    params_check(model="", params=params)  # "" is no known family: names, effort and cap only
    effort = params.get("reasoning_effort")
    sampling = [name for name in SAMPLING_PARAMS if name in params]
    if sampling and effort not in (None, "none"):
        raise ModelParamsInvalid(
            f"{sampling[0]} goes with reasoning_effort {effort!r}, which no model takes: reasoning models take "
            f'{sampling[0]} only at effort "none". Leave one of them out.'
        )


def params_for_model(*, model: str, defaults: dict, chosen: dict) -> dict:
    """The parameters to send: the defaults (a prompt version's) the model accepts, then the chosen ones.

    Raises ModelParamsInvalid when the chosen ones (a variant's, a command's) do not suit the model.
    """
    family = model_family(model)
    merged = {name: value for name, value in defaults.items() if name in PARAMS}
    if "reasoning_effort" in merged and (
        (not family.reasons and family is not UNKNOWN)
        or (family.efforts and merged["reasoning_effort"] not in family.efforts)
    ):
        del merged["reasoning_effort"]
    merged.update(chosen)
    if not family.accepts_sampling(merged.get("reasoning_effort")):
        if any(name in chosen for name in SAMPLING_PARAMS):
            params_check(model=model, params=merged)  # raises, naming the parameter
        for name in SAMPLING_PARAMS:
            merged.pop(name, None)
    params_check(model=model, params=merged)
    return merged


def wire_params(*, model: str, api_style: str, params: dict) -> dict:
    """The parameters under each API's own names: reasoning.effort and max_output_tokens in the Responses
    API; reasoning_effort and max_completion_tokens (or max_tokens) in Chat Completions."""
    wire = dict(params)
    effort = wire.pop("reasoning_effort", None)
    # text.verbosity in the Responses API (its text.format is the provider's), verbosity in Chat Completions.
    if api_style != "chat" and "verbosity" in wire:
        wire["text"] = {"verbosity": wire.pop("verbosity")}
    if api_style == "chat":
        if "max_output_tokens" in wire:
            wire[model_family(model).chat_token_cap] = wire.pop("max_output_tokens")
        if effort is not None:
            wire["reasoning_effort"] = effort
    elif effort is not None:
        wire["reasoning"] = {"effort": effort}
    return wire
