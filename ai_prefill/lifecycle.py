"""The model lifecycle watch: which models are in use, when the provider shuts each down, who is told.

The provider answers GET /v1/models/{id} with a `shutdown_date` (YYYY-MM-DD or null; the SDK's
openai.types.Model). The daily beat task stores it in one ModelLifecycle row per model; the dashboard,
/metrics and `manage.py models` read those rows, and staff get an e-mail at ALERT_DAYS before the date,
each threshold once. A server with no models endpoint (a local one) is recorded as "unknown".
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta

import openai
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ai_prefill.llm.capabilities import ModelParamsInvalid
from ai_prefill.llm.openai_provider import openai_client
from ai_prefill.llm.prompt import PromptVersionError
from ai_prefill.models import LLMCall, ModelLifecycle
from ai_prefill.rollout.selectors import running_experiment_arms, variant_model_config

logger = logging.getLogger(__name__)

ALERT_DAYS = (60, 30, 14, 7)
# The models of evaluation runs (their calls have purpose "eval") count as in use this long.
EVAL_MODELS_DAYS = 30
UPGRADE_HINT = _('Run the upgrade path (README, "Model upgrades").')


@dataclass(frozen=True)
class ModelInUse:
    model: str
    uses: tuple[str, ...]  # "default", "variant NAME", "eval runs"


def models_in_use(*, now=None) -> list[ModelInUse]:
    """The OpenAI models Trova calls: the default, every variant of the running experiment, recent eval runs."""
    now = now or timezone.now()
    uses: dict[str, list[str]] = {}
    if settings.AI_PROVIDER == "openai":
        uses.setdefault(settings.AI_MODEL, []).append("default")
    for arm in running_experiment_arms():
        if arm.variant.provider == "openai":
            uses.setdefault(arm.variant.model, []).append(f"variant {arm.variant.name}")
    evaluated = (
        LLMCall.objects.filter(
            purpose=LLMCall.Purpose.EVAL, provider="openai", started_at__gte=now - timedelta(days=EVAL_MODELS_DAYS)
        )
        .order_by("model")  # not the default -started_at, which would make each call distinct
        .values_list("model", flat=True)
        .distinct()
    )
    for model in evaluated:
        uses.setdefault(model, []).append("eval runs")
    return [ModelInUse(model, tuple(found)) for model, found in sorted(uses.items())]


def model_lifecycle_check(*, models: list[str] | None = None) -> list[ModelLifecycle]:
    """Ask the provider about each model (all in use by default) and store what it says."""
    names = models if models is not None else [use.model for use in models_in_use()]
    return [_lifecycle_store(model, *_provider_says(model)) for model in names]


def _provider_says(model: str) -> tuple[str, date | None, str]:
    client = openai_client(settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY, float(settings.AI_TIMEOUT_SECONDS))
    try:
        answer = client.models.retrieve(model)
    except openai.NotFoundError as error:
        if error.code == "model_not_found":
            return ModelLifecycle.Status.UNKNOWN, None, "The provider does not know this model."
        return ModelLifecycle.Status.UNKNOWN, None, "The provider has no models endpoint (a local server?)."
    except openai.APIError as error:
        return ModelLifecycle.Status.UNKNOWN, None, f"The provider could not be asked: {error}"[:300]
    shutdown = getattr(answer, "shutdown_date", None)
    if not shutdown:
        return ModelLifecycle.Status.ACTIVE, None, ""
    try:
        return ModelLifecycle.Status.RETIRING, date.fromisoformat(shutdown), ""
    except ValueError:
        return ModelLifecycle.Status.UNKNOWN, None, f"The provider gave a shutdown date we cannot read: {shutdown!r}"


def _lifecycle_store(model: str, status: str, shutdown: date | None, detail: str) -> ModelLifecycle:
    with transaction.atomic():
        row = ModelLifecycle.objects.select_for_update().filter(model=model).first()
        if row is None:
            row = ModelLifecycle(model=model)
        elif status == ModelLifecycle.Status.UNKNOWN and row.shutdown_date and detail.startswith("The provider could"):
            # One failed look-up does not forget an announced date.
            status, shutdown = row.status, row.shutdown_date
        if shutdown != row.shutdown_date:
            row.alerted_days = []  # a new date starts the countdown afresh
        row.status, row.shutdown_date, row.detail, row.checked_at = status, shutdown, detail, timezone.now()
        row.save()
    return row


def days_left(row: ModelLifecycle, *, today: date | None = None) -> int | None:
    if row.shutdown_date is None:
        return None
    return (row.shutdown_date - (today or timezone.localdate())).days


def shutdown_sentence(row: ModelLifecycle, *, today: date | None = None) -> str:
    """ "gpt-4o-mini shuts down on 14 Jan 2027: 43 days left." """
    left = days_left(row, today=today)
    if left is None:
        return (gettext("%(model)s: shutdown date unknown.") % {"model": row.model} + f" {row.detail}").strip()
    when = date_format(row.shutdown_date, "j M Y")
    if left < 0:
        return ngettext(
            "%(model)s shut down on %(when)s, %(days)d day ago.",
            "%(model)s shut down on %(when)s, %(days)d days ago.",
            -left,
        ) % {"model": row.model, "when": when, "days": -left}
    return ngettext(
        "%(model)s shuts down on %(when)s: %(days)d day left.",
        "%(model)s shuts down on %(when)s: %(days)d days left.",
        left,
    ) % {"model": row.model, "when": when, "days": left}


def lifecycle_rows(*, today: date | None = None) -> list[tuple[str, str, int | None]]:
    """(model, status, days left) of every model the watch has checked, for /metrics."""
    return [(row.model, row.status, days_left(row, today=today)) for row in ModelLifecycle.objects.all()]


def retiring_models() -> list[ModelLifecycle]:
    """The rows of models in use with an announced shutdown, soonest first (the dashboard's banners)."""
    in_use = [use.model for use in models_in_use()]
    return list(ModelLifecycle.objects.filter(model__in=in_use, shutdown_date__isnull=False).order_by("shutdown_date"))


def lifecycle_alerts_send(*, today: date | None = None) -> list[str]:
    """E-mail staff once per threshold crossed (60, 30, 14, 7 days before); the subjects sent."""
    today = today or timezone.localdate()
    sent = []
    for row in retiring_models():
        left = days_left(row, today=today)
        due = [days for days in ALERT_DAYS if left <= days and days not in row.alerted_days]
        if not due:
            continue
        with transaction.atomic():
            # Two beats at once: only the one that marks the thresholds sends.
            locked = ModelLifecycle.objects.select_for_update().get(pk=row.pk)
            if set(due) <= set(locked.alerted_days):
                continue
            locked.alerted_days = sorted(set(locked.alerted_days) | set(due), reverse=True)
            locked.save(update_fields=["alerted_days"])
        subject = shutdown_sentence(row, today=today)
        _mail_staff(subject, f"{subject} Trova uses it ({_uses(row.model)}). {UPGRADE_HINT}")
        logger.warning("Model lifecycle: %s", subject)
        sent.append(subject)
    return sent


def _uses(model: str) -> str:
    return ", ".join(next((use.uses for use in models_in_use() if use.model == model), ()))


def _mail_staff(subject: str, message: str) -> None:
    staff = get_user_model().objects.filter(is_staff=True, is_active=True).exclude(email="")
    recipients = sorted({user.email for user in staff} | {email for _name, email in settings.ADMINS})
    if not recipients:
        return
    try:
        send_mail(f"{settings.EMAIL_SUBJECT_PREFIX}{subject}", message, None, recipients)
    except Exception:
        logger.exception("Could not mail staff about %s", subject)


def configs_check() -> list[str]:
    """The problems of the configs in use (the default, the running experiment's variants), as sentences.

    Run when a worker starts, so a variant a model refuses is named once in the log, not as a 400 per analysis.
    """
    from ai_prefill.llm import default_model_config

    problems = []
    try:
        default_model_config()
    except (PromptVersionError, ModelParamsInvalid, ValueError) as error:
        problems.append(f"The default config (AI_MODEL={settings.AI_MODEL}): {error}")
    for arm in running_experiment_arms():
        try:
            variant_model_config(arm.variant)
        except (PromptVersionError, ModelParamsInvalid, ValueError) as error:
            problems.append(f"Variant {arm.variant.name!r} ({arm.variant.model}): {error}")
    return problems
