"""Template filters for the marketplace pages: prices, ages and stored photo URLs."""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django import template
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()


@register.filter
def euro(value) -> str:
    """€1,250 for whole amounts, €12.50 otherwise."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    places = 0 if amount == amount.to_integral_value() else 2
    return f"€{amount:,.{places}f}"


@register.filter
def age(value: datetime | None) -> str:
    """'3 hours ago', with only the largest unit."""
    if value is None:
        return ""
    if (timezone.now() - value).total_seconds() < 60:
        return "just now"
    return f"{timesince(value, depth=1)} ago"


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
        return "under 1 km"
    return f"{value:.1f} km" if value < 10 else f"{value:.0f} km"


@register.filter
def stars(value) -> str:
    """'★★★★☆' for 4 of 5."""
    try:
        count = max(0, min(5, int(value)))
    except (TypeError, ValueError):
        return ""
    return "★" * count + "☆" * (5 - count)
