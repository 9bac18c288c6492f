"""Model capabilities: each model is sent only what it accepts, and a variant it would refuse is refused when saved."""

import pytest
from django.urls import reverse

from ai_prefill.llm import model_config_for
from ai_prefill.llm.capabilities import ModelParamsInvalid, model_family, params_for_model, wire_params
from ai_prefill.llm.prompt import PromptVersionError, prompt_read
from ai_prefill.models import Variant
from tests.ai_prefill.rollout_helpers import write_prompt

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("model", "family", "reasons"),
    [
        ("gpt-6-luna", "gpt-6", True),
        ("gpt-6-sol", "gpt-6", True),
        ("gpt-5.6-terra", "gpt-6", True),
        ("gpt-5-mini", "gpt-5", True),
        ("o4-mini", "o-series", True),
        ("gpt-4o-mini", "gpt-4", False),
        ("gpt-4o-mini-2024-07-18", "gpt-4", False),
        ("llava:13b", "unknown", False),
    ],
)
def test_it_knows_the_family_of_a_model(model, family, reasons):
    assert (model_family(model).name, model_family(model).reasons) == (family, reasons)


def test_a_prompt_versions_temperature_is_left_out_for_a_reasoning_model():
    params = params_for_model(model="gpt-6-luna", defaults={"temperature": 0.2, "max_output_tokens": 2000}, chosen={})

    assert params == {"max_output_tokens": 2000}


def test_a_prompt_versions_effort_is_left_out_for_a_model_that_does_not_reason():
    params = params_for_model(model="gpt-4o-mini", defaults={"reasoning_effort": "low"}, chosen={})

    assert params == {}


def test_sampling_goes_to_a_reasoning_model_at_effort_none():
    params = params_for_model(model="gpt-6-luna", defaults={}, chosen={"temperature": 0.4, "reasoning_effort": "none"})

    assert params == {"temperature": 0.4, "reasoning_effort": "none"}


@pytest.mark.parametrize(
    ("model", "chosen", "message"),
    [
        ("gpt-6-luna", {"temperature": 0.4}, 'reasoning model: it takes temperature only with reasoning_effort "none"'),
        ("gpt-6-luna", {"top_p": 0.9, "reasoning_effort": "low"}, "it takes top_p only with"),
        ("gpt-5-mini", {"temperature": 0.4}, "it takes temperature at any reasoning effort"),
        ("gpt-4o-mini", {"reasoning_effort": "low"}, "gpt-4o-mini does not reason, so it refuses reasoning_effort"),
        ("gpt-5-mini", {"reasoning_effort": "none"}, "reasoning_effort 'none' is not one gpt-5-mini takes"),
        ("gpt-6-luna", {"seed": 4}, "'seed' is not a parameter Trova sends"),
        ("gpt-6-luna", {"max_output_tokens": "lots"}, "max_output_tokens must be a whole number"),
    ],
)
def test_chosen_parameters_a_model_refuses_are_named(model, chosen, message):
    with pytest.raises(ModelParamsInvalid, match=message):
        params_for_model(model=model, defaults={}, chosen=chosen)


def test_each_api_gets_its_own_names():
    params = {"reasoning_effort": "low", "max_output_tokens": 900}

    assert wire_params(model="gpt-6-luna", api_style="responses", params=params) == {
        "reasoning": {"effort": "low"},
        "max_output_tokens": 900,
    }
    assert wire_params(model="gpt-6-luna", api_style="chat", params=params) == {
        "reasoning_effort": "low",
        "max_completion_tokens": 900,
    }
    # Compatible servers (Ollama, vLLM) take max_tokens.
    assert wire_params(model="llava:13b", api_style="chat", params={"max_output_tokens": 900}) == {"max_tokens": 900}


def test_the_reasoning_prompt_runs_on_the_old_model_without_its_effort(settings):
    settings.AI_PROVIDER = "openai"

    old = model_config_for(model="gpt-4o-mini", prompt_version="prefill-v3")
    new = model_config_for(model="gpt-6-luna", prompt_version="prefill-v1")

    assert "reasoning_effort" not in old.params
    assert "temperature" not in new.params and new.params["max_output_tokens"] == settings.AI_MAX_OUTPUT_TOKENS


def test_a_prompt_version_with_sampling_beside_an_effort_is_refused(tmp_path):
    write_prompt(tmp_path, "prefill-x1")
    header = tmp_path / "prefill-x1.toml"
    header.write_text(header.read_text().replace("[params]", '[params]\nreasoning_effort = "high"'))

    with pytest.raises(PromptVersionError, match="temperature goes with reasoning_effort 'high', which no model takes"):
        prompt_read("prefill-x1", directory=tmp_path)


def _variant_form(client, **fields):
    data = {
        "name": "luna-warm",
        "provider": "openai",
        "model": "gpt-6-luna",
        "api_style": "responses",
        "prompt_version": "prefill-v3",
        "params": "{}",
        **fields,
    }
    return client.post(reverse("admin:ai_prefill_variant_add"), data)


def test_a_variant_with_temperature_on_a_reasoning_model_is_refused_with_a_sentence(client, staff):
    client.force_login(staff)

    # prefill-v1 sets no effort, so gpt-6-luna would reason at its default (medium) and refuse the temperature.
    response = _variant_form(client, prompt_version="prefill-v1", params='{"temperature": 0.4}')

    assert response.status_code == 200
    assert (
        "gpt-6-luna is a reasoning model: it takes temperature only with reasoning_effort &quot;none&quot;."
        in response.content.decode()
    )
    assert not Variant.objects.filter(name="luna-warm").exists()


def test_temperature_goes_with_the_reasoning_prompts_effort_none(client, staff):
    client.force_login(staff)

    response = _variant_form(client, params='{"temperature": 0.4}')  # prefill-v3: reasoning_effort = "none"

    assert response.status_code == 302


def test_a_variant_with_an_effort_the_model_takes_is_saved(client, staff):
    client.force_login(staff)

    response = _variant_form(client, params='{"reasoning_effort": "medium"}')

    assert response.status_code == 302
    assert Variant.objects.get(name="luna-warm").params == {"reasoning_effort": "medium"}
