"""Prompt versions: registered from the files, immutable, and sent exactly as the config names them."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ai_prefill.images import prepare_model_image
from ai_prefill.llm import ModelConfig, PrefillFailed, model_config_for, prefill_suggest
from ai_prefill.llm.prompt import (
    PromptVersionChanged,
    UnknownPromptVersion,
    current_prompt_version,
    prompt_cache_clear,
    prompt_get,
    prompt_read,
    prompt_versions,
)
from ai_prefill.models import LLMCall, PromptVersion
from ai_prefill.rollout.services import prompt_versions_register
from tests.ai_prefill.llm_helpers import photo_jpeg
from tests.ai_prefill.rollout_helpers import write_prompt
from tests.fake_openai import request_json_schema

pytestmark = pytest.mark.django_db


def instructions_sent(body: dict) -> str:
    if "instructions" in body:
        return body["instructions"]
    return next(message["content"] for message in body["messages"] if message["role"] == "system")


def suggest_with(config: ModelConfig):
    return prefill_suggest(images=[prepare_model_image(photo_jpeg())], config=config, image_refs=["photos/x.jpg"])


# Registration


def test_migrate_registered_the_shipped_versions_as_their_files_say():
    for version in ("prefill-v1", "prefill-v2"):
        stored = PromptVersion.objects.get(version=version)
        from_files = prompt_read(version)
        assert stored.content_hash == from_files.content_hash
        assert stored.instructions == from_files.instructions
        assert stored.output_schema["properties"]["category"]["enum"] == ["{category slugs}"]
    assert prompt_versions()[:2] == ["prefill-v1", "prefill-v2"]


# Pinned: the hash is ours (the instructions with LF line ends, schema.suggestion_json_schema, the params as
# sorted compact JSON), so an upgrade of openai or pydantic must not move it. A change here means a shipped,
# registered version would be refused after the upgrade: find what changed the canonical form instead.
SHIPPED_HASHES = {
    "prefill-v1": "d428bb264cb2c62f981c1ea2d5b84ae1aa0e2649a3ccbf947fc8948401b38936",
    "prefill-v2": "f138bdd305d25bd59740bf2184d44cc5538b15f6f82d71d6dcad942b5f403118",
    "prefill-v3": "f64b05de60c589e43f495701f10d609b2c7fd95c219d35c47c48a9fd39443f39",
    "prefill-v4": "6864411cdb678846067dbb96e453eff81bf2ba5420e973208616dfd3d78cba7a",
}


@pytest.mark.parametrize(("version", "content_hash"), SHIPPED_HASHES.items())
def test_each_shipped_version_keeps_its_content_hash(version, content_hash):
    assert prompt_read(version).content_hash == content_hash
    assert PromptVersion.objects.get(version=version).as_prompt().content_hash == content_hash


def test_the_hash_does_not_depend_on_line_endings(tmp_path):
    write_prompt(tmp_path, "prefill-x1", instructions="Describe the item.\n{categories}\n")
    unix = prompt_read("prefill-x1", directory=tmp_path).content_hash
    (tmp_path / "prefill-x1.md").write_bytes(b"Describe the item.\r\n{categories}\r\n")

    assert prompt_read("prefill-x1", directory=tmp_path).content_hash == unix


def test_registering_the_same_files_again_changes_nothing(tmp_path):
    write_prompt(tmp_path, "test-v1")
    write_prompt(tmp_path, "test-v2", price="A round used price.")

    first = prompt_versions_register(directory=tmp_path)
    test_rows = PromptVersion.objects.filter(version__startswith="test-").values_list("pk", "version", "content_hash")
    rows = list(test_rows)
    second = prompt_versions_register(directory=tmp_path)

    assert (first.created, first.unchanged) == (["test-v1", "test-v2"], [])
    assert (second.created, second.unchanged) == ([], ["test-v1", "test-v2"])
    assert (
        list(PromptVersion.objects.filter(version__startswith="test-").values_list("pk", "version", "content_hash"))
        == rows
    )


@pytest.mark.parametrize(
    "change",
    [
        {"instructions": "Describe the item briefly.\n{categories}\n"},
        {"price": "A new-price estimate in euros."},
        {"temperature": 0.7},
    ],
    ids=["instructions", "schema description", "model parameter"],
)
def test_it_refuses_a_changed_version_under_a_registered_id_and_registers_nothing(tmp_path, change):
    write_prompt(tmp_path, "test-v1")
    prompt_versions_register(directory=tmp_path)
    registered_hash = PromptVersion.objects.get(version="test-v1").content_hash
    write_prompt(tmp_path, "test-v1", **change)
    write_prompt(tmp_path, "test-v2")

    with pytest.raises(PromptVersionChanged, match="test-v1 changed after it was registered"):
        prompt_versions_register(directory=tmp_path)

    assert PromptVersion.objects.get(version="test-v1").content_hash == registered_hash
    assert not PromptVersion.objects.filter(version="test-v2").exists()


def test_the_command_registers_and_lists_the_versions(capsys):
    PromptVersion.objects.filter(version="prefill-v2").delete()

    call_command("prompts", "register")
    call_command("prompts", "list")

    out = capsys.readouterr().out
    assert "Registered: prefill-v2." in out
    assert "Already registered, unchanged: prefill-v1" in out
    assert f"{current_prompt_version()}  registered" in out and "(AI_PROMPT_VERSION)" in out


def test_the_command_fails_loudly_when_a_shipped_version_drifted():
    PromptVersion.objects.filter(version="prefill-v1").update(content_hash="0" * 64)

    with pytest.raises(CommandError, match="prefill-v1 changed after it was registered"):
        call_command("prompts", "register")


# Sending


@pytest.mark.parametrize("api_style", ["responses", "chat"])
def test_prefill_suggest_sends_the_requested_prompt_version(fake_openai, api_style):
    suggest_with(model_config_for(prompt_version="prefill-v1", api_style=api_style))
    suggest_with(model_config_for(prompt_version="prefill-v2", api_style=api_style))

    v1_body, v2_body = (request.body for request in fake_openai.requests)
    assert "Work it out like this" not in instructions_sent(v1_body)
    assert "Work it out like this" in instructions_sent(v2_body)
    assert "electronics" in instructions_sent(v2_body)  # the taxonomy is filled in
    v2 = PromptVersion.objects.get(version="prefill-v2")
    assert (
        request_json_schema(v2_body)["properties"]["price"]["description"]
        == v2.output_schema["properties"]["price"]["description"]
        != request_json_schema(v1_body)["properties"]["price"]["description"]
    )
    calls = LLMCall.objects.order_by("started_at")
    assert [(call.prompt_version, call.prompt_hash) for call in calls] == [
        ("prefill-v1", PromptVersion.objects.get(version="prefill-v1").content_hash),
        ("prefill-v2", v2.content_hash),
    ]


def test_an_unknown_prompt_version_fails_clearly_before_any_request(fake_openai):
    with pytest.raises(UnknownPromptVersion, match=r"no prompt version 'prefill-v99' \(known: prefill-v1, prefill-v2"):
        model_config_for(prompt_version="prefill-v99")
    config = ModelConfig("openai", "gpt-4o-mini", "responses", "prefill-v99", 5, {})

    with pytest.raises(PrefillFailed) as failure:
        suggest_with(config)

    assert failure.value.error_type == "prompt_version"
    assert "prefill-v99" in failure.value.detail
    assert fake_openai.requests == []


def _registered_with_other_instructions(version: str) -> None:
    """As if the version had been registered from other files: a stored row consistent with itself."""
    stored = PromptVersion.objects.get(version=version)
    stored.instructions = "An older text.\n{categories}\n"
    stored.content_hash = stored.as_prompt().content_hash
    stored.save()


def _registered_with_another_schema(version: str) -> None:
    """As if the code building the output schema had changed since registration."""
    PromptVersion.objects.filter(version=version).update(content_hash="f" * 64)


@pytest.mark.parametrize(
    ("drift", "message"),
    [
        (
            _registered_with_other_instructions,
            "files of prompt version 'prefill-v2' differ from the registered version",
        ),
        (_registered_with_another_schema, "the output schema the code builds has changed"),
    ],
    ids=["files changed", "schema code changed"],
)
def test_a_version_that_would_not_be_sent_as_registered_is_not_sent(fake_openai, drift, message):
    drift("prefill-v2")

    with pytest.raises(PromptVersionChanged, match=message):
        prompt_get("prefill-v2")
    with pytest.raises(PrefillFailed) as failure:
        suggest_with(ModelConfig("openai", "gpt-4o-mini", "responses", "prefill-v2", 5, {}))

    assert failure.value.error_type == "prompt_version"
    assert fake_openai.requests == []


def test_a_process_checks_a_registered_version_once_then_keeps_it(django_assert_num_queries):
    checked = prompt_get("prefill-v2")
    with django_assert_num_queries(0):
        assert prompt_get("prefill-v2") is checked
    _registered_with_another_schema("prefill-v2")

    prompt_cache_clear()  # what a new worker process starts with

    with pytest.raises(PromptVersionChanged, match="the output schema the code builds has changed"):
        prompt_get("prefill-v2")
    with pytest.raises(PromptVersionChanged):
        prompt_get("prefill-v2")  # a refused version is not kept: it is refused again


def test_model_config_for_fills_in_settings_and_the_prompt_versions_parameters(settings):
    settings.AI_PROVIDER = "openai"
    settings.AI_MODEL = "gpt-4o-mini"
    settings.AI_PROMPT_VERSION = "prefill-v1"
    settings.AI_API_STYLE = "chat"
    settings.AI_MAX_OUTPUT_TOKENS = 700

    default = model_config_for()
    candidate = model_config_for(model="gpt-5-mini", prompt_version="prefill-v2", params={"max_output_tokens": 900})

    assert (default.provider, default.model, default.api_style) == ("openai", "gpt-4o-mini", "chat")
    assert default.prompt_version == current_prompt_version() == "prefill-v1"
    assert default.params == {"temperature": 0.2, "max_output_tokens": 700}
    assert (candidate.model, candidate.prompt_version) == ("gpt-5-mini", "prefill-v2")
    assert candidate.params == {"max_output_tokens": 900}  # a reasoning model takes no temperature
    assert model_config_for(model="demo").provider == "demo"
    settings.AI_MODEL, settings.AI_PROMPT_VERSION = "gpt-6-luna", "prefill-v3"
    assert model_config_for().params == {"reasoning_effort": "none", "max_output_tokens": 700}
    with pytest.raises(ValueError, match="Unknown API style 'soap'"):
        model_config_for(api_style="soap")
