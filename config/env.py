"""Reading settings from environment variables, failing loudly on values we cannot use."""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a yes/no value: use 1 or 0 (true/false, yes/no, on/off).")


def env_number(name: str, default: float, *, minimum: float = 0, integer: bool = False) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        kind = "a whole number" if integer else "a number"
        raise ImproperlyConfigured(f"{name}={raw!r} is not {kind}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    return int(env_number(name, default, minimum=minimum, integer=True))


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default) or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of: {', '.join(choices)}.")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_prices(name: str) -> dict[str, dict[str, str]]:
    """A JSON object of per-model prices: {"model": {"input": "0.1", "output": "0.5", "cached_input"?: ...}}."""
    import json
    from decimal import Decimal, InvalidOperation

    raw = env_str(name)
    if not raw:
        return {}
    example = '{"llava:13b": {"input": "0", "output": "0"}}'
    try:
        prices = json.loads(raw)
        if not isinstance(prices, dict) or not all(
            isinstance(price, dict) and {"input", "output"} <= set(price) <= {"input", "cached_input", "output"}
            for price in prices.values()
        ):
            raise ValueError
        for price in prices.values():
            for key, value in price.items():
                price[key] = str(value)
                Decimal(price[key])
    except (ValueError, InvalidOperation):
        raise ImproperlyConfigured(
            f"{name} must be a JSON object of US dollars per million tokens per model, e.g. {example}."
        ) from None
    return prices
