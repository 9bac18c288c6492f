"""The runs as a table for people, and as JSON for scripts: {"runs": [{"model", "prompt", "metrics"}, ...]}."""

from collections.abc import Sequence

from evals.compare import GATED_METRICS, GateResult, VerdictChange
from evals.metrics import (
    BREAKDOWN_NAMES,
    CONFIDENCE_LEVELS,
    LANGUAGE_METRIC_NAMES,
    METRIC_NAMES,
    confidence_findings,
)
from evals.models import EvalRun

COUNTS = {"n_cases", "tokens_total"}
MILLISECONDS = {"latency_p50_ms", "latency_p95_ms", "model_latency_p50_ms", "model_latency_p95_ms"}
DOLLARS = {"cost_total", "cost_per_analysis"}
UNKNOWN_PRICE = "unknown price"
EMPTY = "—"


def format_value(name: str, value) -> str:
    if value is None:
        return UNKNOWN_PRICE if name in DOLLARS else EMPTY
    if name in COUNTS:
        return f"{value:,}"
    if name in MILLISECONDS:
        return f"{value:,.0f} ms"
    if name in DOLLARS:
        return f"${value:.6f}"
    return f"{value:.1%}"


def format_delta(name: str, before, after) -> str:
    if before is None or after is None:
        return EMPTY
    delta = after - before
    if name in COUNTS:
        return f"{delta:+,}"
    if name in MILLISECONDS:
        return f"{delta:+,.0f} ms"
    if name in DOLLARS:
        return f"{'+' if delta >= 0 else '-'}${abs(delta):.6f}"
    return f"{delta * 100:+.1f} pp"


def describe(run: EvalRun) -> str:
    variant = f"variant {run.variant} ({run.params or 'no parameters'}): " if run.variant else ""
    effort = run.params.get("reasoning_effort")
    return f"run {run.pk}: {variant}model {run.model}, prompt {run.prompt_version}, API {run.api_style}" + (
        f", effort {effort}" if effort else ""
    )


def run_headers(runs: Sequence[EvalRun], first: str) -> list[str]:
    return [first, *(["baseline", "candidate", "change"] if len(runs) == 2 else ["value"])]


def metrics_rows(runs: Sequence[EvalRun]) -> list[list[str]]:
    """Per metric: its name, each run's value and, with two runs, the candidate minus the baseline."""
    rows = []
    for name in METRIC_NAMES:
        values = [run.metrics.get(name) for run in runs]
        row = [name, *(format_value(name, value) for value in values)]
        if len(runs) == 2:
            row.append(format_delta(name, *values))
        rows.append(row)
    return rows


def _cell(cell: dict | None) -> str:
    return EMPTY if not cell else f"{cell['rate']:.0%} ({cell['right']}/{cell['n']})"


def confidence_rows(runs: Sequence[EvalRun]) -> list[list[str]]:
    """Per field and stated confidence level: how often the suggested value was right, "72% (18/25)", per run."""
    tables = [run.metrics.get("accuracy_by_confidence") or {} for run in runs]
    fields = sorted({name for table in tables for name in table})
    return [
        [f"{name} {level}", *(_cell(table.get(name, {}).get(level)) for table in tables)]
        for name in fields
        for level in CONFIDENCE_LEVELS
        if any(level in table.get(name, {}) for table in tables)
    ]


def attribute_rows(runs: Sequence[EvalRun]) -> list[list[str]]:
    """Per attribute: the share of expected values given exactly, per run."""
    tables = [run.metrics.get("attribute_accuracy_by_slug") or {} for run in runs]
    slugs = sorted({slug for table in tables for slug in table})
    return [[slug, *(format_value("rate", table.get(slug)) for table in tables)] for slug in slugs]


def language_rows(runs: Sequence[EvalRun]) -> list[list[str]]:
    """Per case language and metric of the split, each run's value."""
    tables = [run.metrics.get("by_language") or {} for run in runs]
    languages = sorted({language for table in tables for language in table})
    return [
        [f"{language or '-'} {name}", *(format_value(name, table.get(language, {}).get(name)) for table in tables)]
        for language in languages
        for name in LANGUAGE_METRIC_NAMES
    ]


def breakdowns(runs: Sequence[EvalRun]) -> list[tuple[str, list[list[str]]]]:
    """The sections after the metrics, each (title, rows), leaving out those with nothing to show."""
    sections = [
        ("Attribute accuracy, per attribute (expected values given exactly)", attribute_rows(runs)),
        ("Accuracy by confidence (suggested values that were right, per field and level)", confidence_rows(runs)),
        ("By the cases' language", language_rows(runs) if _languages(runs) > 1 else []),
    ]
    return [(title, rows) for title, rows in sections if rows]


def run_findings(runs: Sequence[EvalRun]) -> list[str]:
    """The confidence findings of each run, naming the run when there are two."""
    roles = ["baseline: ", "candidate: "] if len(runs) == 2 else [""]
    return [
        f"{role}{finding}"
        for run, role in zip(runs, roles, strict=True)
        for finding in confidence_findings(run.metrics.get("accuracy_by_confidence") or {})
    ]


def _languages(runs: Sequence[EvalRun]) -> int:
    return len({language for run in runs for language in run.metrics.get("by_language") or {}})


def table(headers: list[str], rows: list[list[str]]) -> str:
    """Plain text columns: the first left-aligned, the others right-aligned."""
    widths = [max(len(row[column]) for row in [headers, *rows]) for column in range(len(headers))]
    lines = [
        "  ".join(
            cell.ljust(width) if column == 0 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in [headers, *rows]
    ]
    return "\n".join([lines[0], "  ".join("-" * width for width in widths), *lines[1:]])


def metrics_table(runs: Sequence[EvalRun]) -> str:
    """One column per run; with two runs, a last column with the candidate minus the baseline."""
    return table(run_headers(runs, "metric"), metrics_rows(runs))


def text_report(
    *, runs: Sequence[EvalRun], changes: Sequence[VerdictChange] = (), gate: GateResult | None = None
) -> str:
    first = runs[0]
    lines = [f"Dataset {first.dataset!r}, {first.metrics.get('n_cases', 0)} cases."]
    if len(runs) == 2:
        lines += [f"  baseline  ({describe(runs[0])})", f"  candidate ({describe(runs[1])})"]
    else:
        lines.append(f"  {describe(first)}")
    lines += ["", metrics_table(runs)]
    headers = run_headers(runs, "")[: len(runs) + 1]
    for title, rows in breakdowns(runs):
        lines += ["", f"{title}:", table(headers, rows)]
    findings = run_findings(runs)
    if findings:
        lines += ["", "Confidence that does not rise with accuracy:", *(f"  {finding}" for finding in findings)]
    if len(runs) == 2:
        lines += ["", f"Cases that changed verdict, baseline → candidate: {len(changes) or 'none'}"]
        lines += [f"  {change}" for change in changes]
    if gate is not None:
        allowed = f"{gate.max_drop * 100:.1f} points"
        verdict = "passed" if gate.passed else "FAILED"
        gated = ", ".join(GATED_METRICS[:-1]) + f" and {GATED_METRICS[-1]}"
        lines += ["", f"Gate ({gated} may drop by {allowed} at most): {verdict}"]
        lines += [f"  {failure}" for failure in gate.failures]
    return "\n".join(lines)


def json_report(
    *, runs: Sequence[EvalRun], changes: Sequence[VerdictChange] = (), gate: GateResult | None = None
) -> dict:
    roles = ["baseline", "candidate"] if len(runs) == 2 else ["run"]
    return {
        "dataset": runs[0].dataset,
        "runs": [
            {
                "run_id": run.pk,
                "role": role,
                "model": run.model,
                "prompt": run.prompt_version,
                "api_style": run.api_style,
                "params": run.params,
                "provider": run.provider,
                "metrics": {name: run.metrics.get(name) for name in METRIC_NAMES},
                **{name: run.metrics.get(name) for name in BREAKDOWN_NAMES},
                "confidence_findings": confidence_findings(run.metrics.get("accuracy_by_confidence") or {}),
                "pricing": run.metrics.get("pricing"),  # feedback.evals.pricing: model, comparables, blend
            }
            for run, role in zip(runs, roles, strict=True)
        ],
        "changed_verdicts": [change.as_json() for change in changes],
        "gate": gate.as_json() if gate is not None else None,
    }
