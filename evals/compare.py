"""A candidate run against its baseline: the regression gate and the cases whose verdict changed."""

from dataclasses import dataclass

from evals.models import EvalResult, EvalRun

DEFAULT_MAX_DROP = 0.02
# Attribute accuracy is gated because the item details are fields sellers now rely on; it is skipped when either
# run has none (a dataset expecting no attribute values). The "not visible" rates are reported, not gated: their
# denominators are the few nulls staff wrote by hand, too small for a 2-point bound.
GATED_METRICS = ("category_accuracy", "schema_valid_rate", "attribute_accuracy")
# (EvalResult field, what the verdict is about, its words for True and False)
VERDICTS = (
    ("schema_valid", "schema", "valid", "invalid"),
    ("category_correct", "category", "right", "wrong"),
    ("price_in_range", "price", "in range", "out of range"),
    ("title_mentions", "title", "mentions the words", "misses a word"),
    ("tone_flagged", "tone", "flagged", "clean"),
)
ATTRIBUTE_WORDS = ("right", "wrong")


@dataclass(frozen=True)
class GateResult:
    passed: bool
    max_drop: float
    failures: tuple[str, ...]  # one sentence per metric that dropped too far

    def as_json(self) -> dict:
        return {"passed": self.passed, "max_drop": self.max_drop, "metrics": GATED_METRICS, "failures": self.failures}


def gate_check(*, baseline: dict, candidate: dict, max_drop: float = DEFAULT_MAX_DROP) -> GateResult:
    """Fails when a gated rate of the candidate's is below the baseline's by more than max_drop."""
    failures = []
    for name in GATED_METRICS:
        if baseline.get(name) is None or candidate.get(name) is None:
            continue
        # Rounded: 1.0 - 0.98 is 0.020000000000000018 in floating point, which is not "more than 0.02".
        drop = round(baseline[name] - candidate[name], 9)
        if drop > max_drop:
            failures.append(
                f"{name} fell from {baseline[name]:.1%} to {candidate[name]:.1%}: {drop * 100:.1f} points, "
                f"more than the {max_drop * 100:.1f} allowed."
            )
    return GateResult(passed=not failures, max_drop=max_drop, failures=tuple(failures))


@dataclass(frozen=True)
class VerdictChange:
    case_id: int
    case_label: str
    verdict: str  # "category", "price", ...
    before: str
    after: str
    detail: str  # the produced values, baseline -> candidate

    def __str__(self) -> str:
        return f"case {self.case_id} {self.case_label}: {self.verdict} {self.before} → {self.after} ({self.detail})"

    def as_json(self) -> dict:
        return {
            "case_id": self.case_id,
            "case": self.case_label,
            "verdict": self.verdict,
            "baseline": self.before,
            "candidate": self.after,
            "detail": self.detail,
        }


def verdict_changes(*, baseline: EvalRun, candidate: EvalRun) -> list[VerdictChange]:
    """Per case present in both runs, each verdict that differs, in case order."""
    before_by_case = {result.case_id: result for result in baseline.results.exclude(case=None)}
    changes = []
    for after in candidate.results.exclude(case=None).order_by("case_id"):
        before = before_by_case.get(after.case_id)
        if before is None:
            continue
        label = repr(after.expected.get("title") or after.expected.get("category", ""))
        for field, verdict, true_word, false_word in VERDICTS:
            old, new = getattr(before, field), getattr(after, field)
            # None: the verdict does not apply (no expected price range, no answer to judge the tone of).
            if old is None or new is None or old == new:
                continue
            words = {True: true_word, False: false_word}
            changes.append(
                VerdictChange(
                    case_id=after.case_id,
                    case_label=label,
                    verdict=verdict,
                    before=words[old],
                    after=words[new],
                    detail=f"{_shown(before, verdict)} → {_shown(after, verdict)}",
                )
            )
        for slug, new in sorted(after.attribute_verdicts.items()):
            old = before.attribute_verdicts.get(slug)
            if old is None or old == new:
                continue
            words = dict(zip((True, False), ATTRIBUTE_WORDS, strict=True))
            changes.append(
                VerdictChange(
                    case_id=after.case_id,
                    case_label=label,
                    verdict=slug,
                    before=words[old],
                    after=words[new],
                    detail=f"{_attribute_shown(before, slug)} → {_attribute_shown(after, slug)}",
                )
            )
    return changes


def _attribute_shown(result: EvalResult, slug: str) -> str:
    if result.produced is None:
        return f"no answer: {result.error_type}"
    attributes = result.produced.get("attributes") or {}
    if slug not in attributes:
        return "not answered"
    return "not visible" if attributes[slug] is None else repr(attributes[slug])


def _shown(result: EvalResult, verdict: str) -> str:
    """What the result produced for this verdict, short."""
    if result.produced is None:
        return f"no answer: {result.error_type}"
    if verdict == "schema":
        return "valid" if result.schema_valid else "an answer was rejected, a retry worked"
    if verdict == "tone":
        return ", ".join(result.tone_words) or "no marketing words"
    return repr(result.produced.get(verdict, ""))
