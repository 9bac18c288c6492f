"""One line per result, `name: value unit (goal …)`, so runs can be compared."""

import statistics


def report(name: str, value: float, unit: str, goal: str = "", *, digits: int = 1) -> None:
    goal_text = f" (goal {goal})" if goal else ""
    print(f"{name}: {value:.{digits}f} {unit}{goal_text}", flush=True)


def skipped(name: str, reason: str) -> None:
    print(f"{name}: skipped ({reason})", flush=True)


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the values fall (inclusive method, no interpolation surprises)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]
