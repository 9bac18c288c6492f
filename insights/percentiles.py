"""Percentiles computed by the database, per group, with the same interpolation on every backend.

PostgreSQL has percentile_cont. Elsewhere (SQLite in development and tests) a window query numbers the
rows of each group in order and returns only the one or two rows around each wanted rank, so the database
still sorts and the Python side interpolates between at most two values per group and fraction.
"""

import math
from collections import defaultdict
from collections.abc import Hashable, Sequence

from django.db import connections
from django.db.models import Aggregate, Count, F, FloatField, Q, QuerySet, Window
from django.db.models.functions import RowNumber


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError(f"A percentile fraction must be between 0 and 1, not {fraction!r}.")
        # Interpolated into the SQL as a literal: it is a float we checked, never user input.
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def percentiles_by_group(
    queryset: QuerySet, *, value: str, group: str | None, fractions: Sequence[float]
) -> dict[Hashable, dict[float, float]]:
    """{group value: {fraction: percentile of `value`}} over the queryset's rows (rows with a NULL value
    are left out); `group` names a field or annotation, or None for one group keyed None."""
    queryset = queryset.filter(**{f"{value}__isnull": False}).order_by()
    if connections[queryset.db].vendor == "postgresql":
        return _percentile_cont(queryset, value=value, group=group, fractions=fractions)
    return _nearest_rows(queryset, value=value, group=group, fractions=fractions)


def _percentile_cont(queryset, *, value, group, fractions):
    aggregates = {f"p{index}": PercentileCont(value, fraction) for index, fraction in enumerate(fractions)}
    if group is None:
        row = queryset.aggregate(**aggregates, n=Count("pk"))
        return {None: _pick(row, fractions)} if row["n"] else {}
    rows = queryset.values(group).annotate(**aggregates)
    return {row[group]: _pick(row, fractions) for row in rows}


def _pick(row: dict, fractions: Sequence[float]) -> dict[float, float]:
    return {fraction: float(row[f"p{index}"]) for index, fraction in enumerate(fractions)}


def _nearest_rows(queryset, *, value, group, fractions):
    partition = [F(group)] if group else []
    ranked = queryset.annotate(
        _rows=Window(Count("pk"), partition_by=partition),
        _rank=Window(RowNumber(), partition_by=partition, order_by=F(value).asc()),
    )
    # For a fraction p the interpolation needs the rows ranked floor(p(n-1))+1 and the one after it,
    # which are exactly the ranks strictly between p(n-1) and p(n-1)+2.
    wanted = Q()
    for fraction in fractions:
        position = (F("_rows") - 1) * fraction
        wanted |= Q(_rank__gt=position, _rank__lt=position + 2)
    columns = ("_rows", "_rank", value, *([group] if group else []))

    values_by_group: dict[Hashable, dict[int, float]] = defaultdict(dict)
    sizes: dict[Hashable, int] = {}
    for size, rank, row_value, *group_value in ranked.filter(wanted).values_list(*columns):
        key = group_value[0] if group else None
        values_by_group[key][rank] = float(row_value)
        sizes[key] = size
    result = {}
    for key, by_rank in values_by_group.items():
        result[key] = {}
        for fraction in fractions:
            position = fraction * (sizes[key] - 1)
            lower = math.floor(position)
            low = by_rank[lower + 1]
            high = by_rank.get(lower + 2, low)
            result[key][fraction] = low + (high - low) * (position - lower)
    return result
