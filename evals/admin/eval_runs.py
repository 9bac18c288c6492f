"""Evaluation runs and their per-case results: records of what a model said, read-only for staff."""

from django.contrib import admin
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from ai_prefill.admin import llm_calls_table
from ai_prefill.llm.schema import SuggestedField
from core.admin import ReadOnlyAdminMixin
from evals.compare import verdict_changes
from evals.metrics import METRIC_NAMES
from evals.models import EvalResult, EvalRun
from evals.report import breakdowns, format_delta, format_value, run_findings

RESULTS_CHANGELIST = "admin:evals_evalresult_changelist"


class RecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What a run produced: staff may look and delete, never invent or rewrite."""

    class Media:
        css = {"all": ["feedback/review.css"]}


def _metric_column(name: str, description: str):
    @admin.display(description=description)
    def column(self, run: EvalRun) -> str:
        return format_value(name, run.metrics.get(name))

    return column


@admin.register(EvalRun)
class EvalRunAdmin(RecordAdmin):
    list_display = [
        "run_number",
        "created_at",
        "dataset",
        "model",
        "prompt_version",
        "n_cases",
        "schema_valid",
        "category_accuracy",
        "attribute_accuracy",
        "price_in_range",
        "title_mentions",
        "tone_flags",
        "errors",
        "latency_p50",
        "cost",
        "baseline_link",
    ]
    list_filter = ["dataset", "model", "prompt_version", "api_style", "status", "created_at"]
    search_fields = ["dataset", "model", "prompt_version"]
    list_select_related = ["baseline"]
    date_hierarchy = "created_at"
    fields = [
        ("dataset", "status"),
        ("provider", "model", "api_style"),
        ("prompt_version", "prompt_hash"),
        "params",
        "concurrency",
        ("created_at", "finished_at"),
        "baseline_link",
        "metrics_table",
        "breakdown_tables",
        "results_link",
        "changed_verdicts",
    ]
    readonly_fields = [
        "dataset",
        "status",
        "provider",
        "model",
        "api_style",
        "prompt_version",
        "prompt_hash",
        "params",
        "concurrency",
        "created_at",
        "finished_at",
        "baseline_link",
        "metrics_table",
        "breakdown_tables",
        "results_link",
        "changed_verdicts",
    ]

    list_display_links = ["run_number", "created_at"]

    n_cases = _metric_column("n_cases", _("cases"))
    schema_valid = _metric_column("schema_valid_rate", _("schema valid"))
    category_accuracy = _metric_column("category_accuracy", _("category"))
    attribute_accuracy = _metric_column("attribute_accuracy", _("details"))
    price_in_range = _metric_column("price_in_range_rate", _("price in range"))
    title_mentions = _metric_column("title_mention_rate", _("title words"))
    tone_flags = _metric_column("tone_flag_rate", _("tone flagged"))
    errors = _metric_column("error_rate", _("errors"))
    latency_p50 = _metric_column("latency_p50_ms", _("p50 latency"))
    cost = _metric_column("cost_total", _("cost"))

    @admin.display(description=_("run"), ordering="id")
    def run_number(self, run: EvalRun) -> str:
        return f"#{run.pk}" if run.status == EvalRun.Status.FINISHED else f"#{run.pk} (running)"

    @admin.display(description=_("baseline"))
    def baseline_link(self, run: EvalRun) -> str:
        if run.baseline_id is None:
            return "—"
        url = reverse("admin:evals_evalrun_change", args=[run.baseline_id])
        return format_html('<a href="{}">{}</a>', url, run.baseline)

    @admin.display(description=_("metrics"))
    def metrics_table(self, run: EvalRun) -> str:
        baseline = run.baseline
        rows = [
            (
                name,
                format_value(name, run.metrics.get(name)),
                format_value(name, baseline.metrics.get(name)) if baseline else "",
                format_delta(name, baseline.metrics.get(name), run.metrics.get(name)) if baseline else "",
            )
            for name in METRIC_NAMES
        ]
        return format_html(
            "<table class='review-calls'><thead><tr><th>{}</th><th>{}</th><th>{}</th>"
            "<th>{}</th></tr></thead><tbody>{}</tbody></table>",
            gettext("metric"),
            gettext("this run"),
            gettext("baseline"),
            gettext("change"),
            format_html_join("", "<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    @admin.display(description=_("attributes, confidence, languages"))
    def breakdown_tables(self, run: EvalRun) -> str:
        runs = [run.baseline, run] if run.baseline else [run]
        headers = ("", gettext("baseline"), gettext("this run")) if run.baseline else ("", gettext("this run"))
        sections = [
            format_html(
                "<table class='review-calls'><caption>{}</caption><thead><tr>{}</tr></thead><tbody>{}</tbody></table>",
                title,
                format_html_join("", "<th>{}</th>", ((header,) for header in headers)),
                format_html_join(
                    "",
                    "<tr>{}</tr>",
                    ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows),
                ),
            )
            for title, rows in breakdowns(runs)
        ]
        sections += [format_html("<p class='review-finding'>{}</p>", finding) for finding in run_findings(runs)]
        return format_html_join("", "{}", ((section,) for section in sections)) or "—"

    @admin.display(description=_("results"))
    def results_link(self, run: EvalRun) -> str:
        url = reverse(RESULTS_CHANGELIST) + f"?run__id__exact={run.pk}"
        wrong = reverse(RESULTS_CHANGELIST) + f"?run__id__exact={run.pk}&category_correct__exact=0"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            url,
            ngettext("All %(count)d result", "All %(count)d results", run.results.count())
            % {"count": run.results.count()},
            wrong,
            gettext("wrong category"),
        )

    @admin.display(description=_("cases that changed verdict since the baseline"))
    def changed_verdicts(self, run: EvalRun) -> str:
        if run.baseline is None:
            return "—"
        changes = verdict_changes(baseline=run.baseline, candidate=run)
        if not changes:
            return gettext("None.")
        results = dict(run.results.values_list("case_id", "pk"))
        lines = (
            (reverse("admin:evals_evalresult_change", args=[results[change.case_id]]), str(change))
            for change in changes
        )
        return format_html_join("", '<div><a href="{}">{}</a></div>', lines)


@admin.register(EvalResult)
class EvalResultAdmin(RecordAdmin):
    list_display = [
        "__str__",
        "thumbnail",
        "expected_summary",
        "produced_summary",
        "schema_valid",
        "category_correct",
        "price_in_range",
        "title_mentions",
        "tone_clean",
        "error_type",
        "latency_ms",
        "cost",
    ]
    list_filter = [
        "run",
        "schema_valid",
        "category_correct",
        "price_in_range",
        "title_mentions",
        "tone_flagged",
        "error_type",
        "run__dataset",
        "run__model",
    ]
    list_select_related = ["run", "case"]
    list_per_page = 50
    fields = [
        "run_link",
        "case_link",
        "photo",
        "comparison",
        ("schema_valid", "category_correct", "price_in_range", "title_mentions", "tone_clean"),
        ("price_error", "tone_words"),
        ("error_type", "error_message"),
        ("attempts", "latency_ms", "input_tokens", "output_tokens", "cost"),
        "calls",
    ]
    readonly_fields = [
        "run_link",
        "case_link",
        "photo",
        "comparison",
        "schema_valid",
        "category_correct",
        "price_in_range",
        "title_mentions",
        "tone_clean",
        "price_error",
        "tone_words",
        "error_type",
        "error_message",
        "attempts",
        "latency_ms",
        "input_tokens",
        "output_tokens",
        "cost",
        "calls",
    ]

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).order_by("-run_id", "case_id")

    @admin.display(description=_("tone clean"), boolean=True)
    def tone_clean(self, result: EvalResult) -> bool | None:
        # Shown the other way round from the stored flag, so that green means good like every other verdict.
        return None if result.tone_flagged is None else not result.tone_flagged

    @admin.display(description=_("price error vs the range's middle"))
    def price_error(self, result: EvalResult) -> str:
        return "—" if result.price_abs_pct_error is None else f"{result.price_abs_pct_error:.1%}"

    @admin.display(description=_("photo"))
    def thumbnail(self, result: EvalResult) -> str:
        if result.case is None or not result.case.image:
            return "—"
        return format_html('<img src="{}" alt="" class="review-thumb" loading="lazy">', result.case.image.url)

    @admin.display(description=_("expected"))
    def expected_summary(self, result: EvalResult) -> str:
        expected = result.expected
        words = ", ".join(expected.get("title_must_mention", []))
        return f"{expected.get('category')} · {_price_range(expected)} · {words or 'no title words'}"

    @admin.display(description=_("produced"))
    def produced_summary(self, result: EvalResult) -> str:
        if result.produced is None:
            return f"no answer ({result.error_type})"
        produced = result.produced
        return f"{produced.get('category')} · {produced.get('price')} · {produced.get('title')}"

    @admin.display(description=_("run"))
    def run_link(self, result: EvalResult) -> str:
        url = reverse("admin:evals_evalrun_change", args=[result.run_id])
        return format_html('<a href="{}">{}</a>', url, result.run)

    @admin.display(description=_("case"))
    def case_link(self, result: EvalResult) -> str:
        if result.case_id is None:
            return gettext("deleted")
        url = reverse("admin:evals_evalcase_change", args=[result.case_id])
        return format_html('<a href="{}">{}</a>', url, result.case)

    @admin.display(description=_("photos"))
    def photo(self, result: EvalResult) -> str:
        if result.case is None or not result.case.image:
            return gettext("The case was deleted.")
        photos = [(photo.url,) for photo in result.case.photos if photo]
        alt = gettext("A photo of the case")
        return format_html_join("", '<img src="{}" alt="{}" class="review-photo">', ((url, alt) for (url,) in photos))

    @admin.display(description=_("expected vs produced"))
    def comparison(self, result: EvalResult) -> str:
        expected, produced = result.expected, result.produced or {}
        rows = [
            (_label("title"), expected.get("title") or "", produced.get("title", "")),
            (gettext("title must mention"), ", ".join(expected.get("title_must_mention", [])), ""),
            (_label("category"), expected.get("category", ""), produced.get("category", "")),
            (_label("price"), _price_range(expected), produced.get("price", "")),
            (_label("description"), "", produced.get("description", "")),
            (_label("condition"), expected.get("condition", ""), produced.get("condition", "")),
            *_attribute_rows(expected, produced, result.attribute_verdicts),
            (pgettext("suggestion field", "language"), expected.get("language", ""), produced.get("language", "")),
        ]
        return format_html(
            "<table class='review-compare'><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            gettext("field"),
            gettext("expected"),
            gettext("produced"),
            format_html_join(
                "", "<tr><th>{}</th><td class='review-text'>{}</td><td class='review-text'>{}</td></tr>", rows
            ),
        )

    @admin.display(description=_("model calls"))
    def calls(self, result: EvalResult) -> str:
        return llm_calls_table(result.llm_calls.order_by("attempt", "started_at"), show_output=True)


NOT_VISIBLE = "not visible"


def _label(field: str) -> str:
    """A suggested field as staff read it in their language ("title", "titolo")."""
    return str(SuggestedField(field).label).lower()


def _attribute_rows(expected: dict, produced: dict, verdicts: dict) -> list[tuple[str, str, str]]:
    """One row per attribute either side has, the produced value with its confidence and the verdict."""
    wanted = expected.get("attributes") or {}
    answered = produced.get("attributes") or {}
    confidence = produced.get("confidence") or {}
    rows = []
    for slug in [*wanted, *(slug for slug in answered if slug not in wanted)]:
        value = answered.get(slug, "") if slug in answered else "—"
        shown = NOT_VISIBLE if slug in answered and value is None else str(value)
        if slug in confidence:
            shown += f" ({confidence[slug]})"
        if slug in verdicts:
            shown += " ✓" if verdicts[slug] else " ✗"
        rows.append((slug, NOT_VISIBLE if slug in wanted and wanted[slug] is None else wanted.get(slug, ""), shown))
    return rows


def _price_range(expected: dict) -> str:
    low, high = expected.get("price_min"), expected.get("price_max")
    if low is None and high is None:
        return gettext("any price")
    return f"{low or 0} – {high or '∞'}"
