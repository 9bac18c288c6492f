"""The statistics behind the per-variant numbers: Wilson intervals and a two-proportion z-test.

Plain maths on counts, so it is tested against hand-computed values.
"""

import math
from dataclasses import dataclass

from django.utils.formats import get_format

Z_95 = 1.959963984540054  # the two-sided 95% quantile of the normal distribution

BETTER = "better"
WORSE = "worse"
NO_DIFFERENCE = "no significant difference"
NOT_ENOUGH_DATA = "not enough data yet"


def localized(text: str) -> str:
    """Python's formatting of numbers (the rounding the tests spell out) with the active language's decimal mark."""
    return text.replace(".", get_format("DECIMAL_SEPARATOR"))


@dataclass(frozen=True)
class Proportion:
    """part out of whole (failed of finished, kept of posted, spend of budget): the one ratio of the dashboard and
    the experiments. Prints as a percentage, with a decimal when it is small; with_interval adds the 95% Wilson
    interval and the sample size, for counts."""

    part: float
    whole: float

    @property
    def value(self) -> float | None:
        return float(self.part) / float(self.whole) if self.whole else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(int(self.part), int(self.whole))

    def __str__(self) -> str:
        if self.value is None:
            return "–"
        percent = self.value * 100
        return localized(f"{percent:.1f}%" if 0 < percent < 10 else f"{percent:.0f}%")

    @property
    def with_interval(self) -> str:
        if not self.whole:
            return "– (n=0)"
        low, high = self.interval
        # "12.5% [8.1%, 18.9%]"; in Italian "12,5% [8,1%; 18,9%]", the list separator as the comma is taken.
        separator = "; " if get_format("DECIMAL_SEPARATOR") == "," else ", "
        return localized(f"{self.value:.1%} [{low:.1%}{separator}{high:.1%}]") + f" (n={self.whole})"


def wilson_interval(successes: int, n: int, *, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval: unlike p ± z·se it stays inside [0, 1] and works near 0% and 100%."""
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"{successes} successes out of {n} is not a proportion.")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half_width), min(1.0, centre + half_width)


@dataclass(frozen=True)
class Comparison:
    """A candidate's rate against the control's: the difference, z, its two-sided p-value and the verdict."""

    difference: float | None
    z: float | None
    p_value: float | None
    verdict: str


def two_proportion_z_test(control: Proportion, candidate: Proportion) -> tuple[float, float]:
    """(z, two-sided p-value) for candidate minus control, with the pooled standard error."""
    pooled = (control.part + candidate.part) / (control.whole + candidate.whole)
    standard_error = math.sqrt(pooled * (1 - pooled) * (1 / control.whole + 1 / candidate.whole))
    difference = candidate.part / candidate.whole - control.part / control.whole
    if standard_error == 0:
        return 0.0, 1.0  # both arms all successes or all failures: no evidence of a difference
    z = difference / standard_error
    return z, math.erfc(abs(z) / math.sqrt(2))


def compare(control: Proportion, candidate: Proportion, *, min_sample: int, alpha: float = 0.05) -> Comparison:
    """Better or worse only when both arms have min_sample and the difference is significant at alpha."""
    difference = candidate.value - control.value if control.whole and candidate.whole else None
    if control.whole < min_sample or candidate.whole < min_sample:
        return Comparison(difference, None, None, NOT_ENOUGH_DATA)
    z, p_value = two_proportion_z_test(control, candidate)
    verdict = NO_DIFFERENCE if p_value >= alpha else BETTER if z > 0 else WORSE
    return Comparison(difference, z, p_value, verdict)
