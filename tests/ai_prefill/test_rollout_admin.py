"""Prompt versions, variants and experiments in Django admin: staff pages, actions and who did what."""

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.urls import reverse

from ai_prefill.models import Experiment, ExperimentChange, PromptVersion, Variant
from ai_prefill.rollout.services import prompt_versions_register
from tests.ai_prefill.rollout_helpers import arm_analysis, experiment, variant, write_prompt
from tests.security.inline_code import page_findings

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def running():
    control, candidate = variant("control"), variant("candidate", model="gpt-4.1-mini", prompt_version="prefill-v2")
    running = experiment((control, 90), (candidate, 10), name="price guidance")
    for number in range(6):
        arm_analysis(running, "control", category_kept=number < 3, posted=True, cost="0.001", latency_ms=900)
        arm_analysis(running, "candidate", category_kept=True, posted=True, vote="up", cost="0.002", latency_ms=1200)
    return running


def test_staff_read_a_prompt_version_and_its_diff_with_the_previous(staff_client):
    v2 = PromptVersion.objects.get(version="prefill-v2")

    response = staff_client.get(reverse("admin:ai_prefill_promptversion_change", args=[v2.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert '<span class="diff-file">--- prefill-v1</span>' in page
    assert '<span class="diff-added">+  - Start from what the item usually sells for used' in page
    assert '<span class="diff-removed">-  more. Think of what it sells for used, not new.</span>' in page
    assert v2.content_hash in page
    assert page_findings(page) == []  # nothing the Content-Security-Policy would block
    changelist = staff_client.get(reverse("admin:ai_prefill_promptversion_changelist")).content.decode()
    assert "prefill-v1" in changelist and "prefill-v2" in changelist


def test_prompt_text_is_escaped_in_the_diff(staff_client, tmp_path):
    write_prompt(tmp_path, "zz-test-v1")
    write_prompt(tmp_path, "zz-test-v2", instructions='Describe it. <script>alert("x")</script>\n{categories}\n')
    prompt_versions_register(directory=tmp_path)
    version = PromptVersion.objects.get(version="zz-test-v2")

    page = staff_client.get(reverse("admin:ai_prefill_promptversion_change", args=[version.pk])).content.decode()

    assert "<script>alert" not in page
    assert "+Describe it. &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_prompt_versions_cannot_be_added_or_edited_in_admin(staff_client):
    v1 = PromptVersion.objects.get(version="prefill-v1")

    assert staff_client.get(reverse("admin:ai_prefill_promptversion_add")).status_code == 403
    staff_client.post(reverse("admin:ai_prefill_promptversion_change", args=[v1.pk]), {"instructions": "Other."})
    assert PromptVersion.objects.get(pk=v1.pk).instructions == v1.instructions


def test_staff_add_a_variant_and_the_log_says_who(staff_client, staff):
    response = staff_client.post(
        reverse("admin:ai_prefill_variant_add"),
        {
            "name": "gpt-41-mini-v2",
            "description": "The next model with the price guidance.",
            "provider": "openai",
            "model": "gpt-4.1-mini",
            "api_style": "responses",
            "prompt_version": "prefill-v2",
            "params": '{"temperature": 0.3}',
        },
    )

    assert response.status_code == 302
    created = Variant.objects.get(name="gpt-41-mini-v2")
    assert (created.model, created.prompt_version_id, created.params) == (
        "gpt-4.1-mini",
        "prefill-v2",
        {"temperature": 0.3},
    )
    entry = LogEntry.objects.get(object_id=str(created.pk), content_type__model="variant")
    assert (entry.user, entry.action_flag) == (staff, ADDITION)


def test_a_bad_variant_form_says_what_is_wrong_and_keeps_what_was_typed(staff_client):
    response = staff_client.post(
        reverse("admin:ai_prefill_variant_add"),
        {
            "name": "no-model",
            "provider": "openai",
            "model": "",
            "api_style": "responses",
            "prompt_version": "prefill-v2",
            "params": "[1, 2]",
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Name the model this variant asks" in page
    assert "Write the parameters as a JSON object" in page
    assert 'value="no-model"' in page
    assert not Variant.objects.filter(name="no-model").exists()


def test_a_variant_that_served_analyses_is_read_only(staff_client, running):
    candidate = Variant.objects.get(name="candidate")

    form = staff_client.get(reverse("admin:ai_prefill_variant_change", args=[candidate.pk])).context["adminform"]

    assert set(form.readonly_fields) >= {"model", "prompt_version", "params"}


def test_an_arm_whose_model_has_no_known_price_shows_unknown_price_not_zero(staff_client, running):
    arm_analysis(running, "candidate", posted=True, cost=None, latency_ms=800)

    page = staff_client.get(reverse("admin:ai_prefill_experiment_change", args=[running.pk])).content.decode()

    assert page.count("unknown price") == 2  # the candidate's LLM cost and its cost per posted listing
    assert "0.0010" in page  # the control's cost per posted listing is still counted


def test_the_experiment_page_shows_the_numbers_per_variant(staff_client, running):
    response = staff_client.get(reverse("admin:ai_prefill_experiment_change", args=[running.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Category accepted unchanged: the primary metric" in page
    assert "50.0% [18.8%, 81.2%] (n=6)" in page  # control: 3 of 6 kept the category
    assert "100.0% [61.0%, 100.0%] (n=6)" in page  # candidate: 6 of 6
    assert "not enough data yet" in page
    assert "0.0010" in page and "0.0020" in page  # cost per posted listing
    assert f"experiment__id__exact={running.pk}&amp;variant__exact=candidate" in page
    assert page_findings(page) == []


def test_staff_pages_load(staff_client, running):
    for name in (
        "experiment_changelist",
        "experiment_add",
        "variant_changelist",
        "variant_add",
        "promptversion_changelist",
    ):
        assert staff_client.get(reverse(f"admin:ai_prefill_{name}")).status_code == 200


def test_people_who_are_not_staff_are_sent_to_log_in(client, seller, running):
    client.force_login(seller)

    response = client.get(reverse("admin:ai_prefill_experiment_change", args=[running.pk]))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_the_kill_switch_action_records_who_and_why(staff_client, staff, running):
    response = staff_client.post(
        reverse("admin:ai_prefill_experiment_changelist"),
        {"action": "kill_switch", "_selected_action": [running.pk]},
        follow=True,
    )

    assert "kill switch on" in response.content.decode()
    running.refresh_from_db()
    assert running.killed_at is not None
    change = running.changes.get()
    assert (change.action, change.by) == (ExperimentChange.Action.KILLED, staff)
    entry = LogEntry.objects.get(object_id=str(running.pk), content_type__model="experiment")
    assert (entry.user, entry.action_flag) == (staff, CHANGE)


def test_starting_a_second_experiment_is_refused_with_a_message(staff_client, running):
    draft = experiment((variant("other"), 1), name="draft", status=Experiment.Status.DRAFT)

    response = staff_client.post(
        reverse("admin:ai_prefill_experiment_changelist"),
        {"action": "start", "_selected_action": [draft.pk]},
        follow=True,
    )

    assert "&#x27;price guidance&#x27; is running; stop it before starting another." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Experiment.Status.DRAFT


def test_staff_set_up_a_5_percent_experiment_and_start_it(staff_client, staff):
    current, candidate = variant("current"), variant("candidate", model="gpt-4.1-mini", prompt_version="prefill-v2")
    arms = {
        "arms-TOTAL_FORMS": "2",
        "arms-INITIAL_FORMS": "0",
        "arms-0-variant": current.pk,
        "arms-0-weight": "95",
        "arms-0-is_control": "on",
        "arms-1-variant": candidate.pk,
        "arms-1-weight": "5",
        "changes-TOTAL_FORMS": "0",
        "changes-INITIAL_FORMS": "0",
    }

    response = staff_client.post(
        reverse("admin:ai_prefill_experiment_add"), {"name": "gpt-4.1-mini at 5%", "description": "", **arms}
    )
    assert response.status_code == 302
    created = Experiment.objects.get(name="gpt-4.1-mini at 5%")
    staff_client.post(
        reverse("admin:ai_prefill_experiment_changelist"), {"action": "start", "_selected_action": [created.pk]}
    )

    created.refresh_from_db()
    assert created.status == Experiment.Status.RUNNING
    assert sorted(created.arms.values_list("variant__name", "weight", "is_control")) == [
        ("candidate", 5, False),
        ("current", 95, True),
    ]
    assert created.changes.get().details["arms"][0] == {"variant": "current", "weight": 95, "control": True}
    # Once running, the split is fixed: the arms are shown, not offered for editing.
    page = staff_client.get(reverse("admin:ai_prefill_experiment_change", args=[created.pk])).content.decode()
    assert 'name="arms-0-weight"' not in page
