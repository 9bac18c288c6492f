"""Template filters for the marketplace pages: prices, ages and stored photo URLs, in the active language."""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.timesince import timesince
from django.utils.translation import gettext, pgettext

register = template.Library()


@register.filter
def euro(value) -> str:
    """A price in the active language's format: €1,250 and €12.50 in English, 1.250 € and 12,50 € in Italian.

    The digits are Django's localised number format (separators from the language's formats module); where the
    sign goes is the translation of "€%(amount)s", since Django's formats have no currency.
    """
    if value is None or value == "":
        return ""
    try:
        digits = _digits(value)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    return pgettext("price", "€%(amount)s") % {"amount": digits}


@register.filter
def euro_range(low, high) -> str:
    """A price range in the active language: €40-60 in English, 40-60 € in Italian (with an en dash)."""
    if low in (None, "") or high in (None, ""):
        return euro(high if low in (None, "") else low)
    try:
        if Decimal(low) == Decimal(high):
            return euro(low)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    return pgettext("price range", "€%(low)s–%(high)s") % {"low": _digits(low), "high": _digits(high)}


def _digits(value) -> str:
    """Whole amounts without cents (1,250), others with two decimals (12.50), grouped in thousands."""
    # Rounded to cents first (a float's binary digits, a third decimal): number_format cuts, it does not round.
    amount = Decimal(str(value) if isinstance(value, float) else value).quantize(Decimal("0.01"), ROUND_HALF_UP)
    places = 0 if amount == amount.to_integral_value() else 2
    return number_format(amount, decimal_pos=places, use_l10n=True, force_grouping=True)


@register.filter
def age(value: datetime | None) -> str:
    """'3 hours ago', with only the largest unit."""
    if value is None:
        return ""
    if (timezone.now() - value).total_seconds() < 60:
        return gettext("just now")
    return gettext("%(time)s ago") % {"time": timesince(value, depth=1)}


@register.filter
def storage_url(name: str | None) -> str:
    """The public URL of a stored file name (e.g. a photo thumbnail from a query annotation)."""
    return default_storage.url(name) if name else ""


@register.simple_tag
def page_numbers(page) -> list:
    """Page numbers around the current one, with the paginator's ellipsis in the gaps."""
    return list(page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1))


@register.filter
def km(value: float | None) -> str:
    """'under 1 km', '4.2 km' under ten, '37 km' beyond: towns are points, so metres would be false precision."""
    if value is None or value == "":
        return ""
    value = float(value)
    if value < 1:
        return gettext("under 1 km")
    # Rounded first: number_format cuts decimals off rather than rounding them.
    distance = number_format(round(value, 1), decimal_pos=1) if value < 10 else number_format(round(value))
    return gettext("%(distance)s km") % {"distance": distance}


@register.filter
def stars(value) -> str:
    """'★★★★☆' for 4 of 5."""
    try:
        count = max(0, min(5, int(value)))
    except (TypeError, ValueError):
        return ""
    return "★" * count + "☆" * (5 - count)
