import pytest
from django.db.models import F

from ai_prefill.models import LLMCall
from insights.percentiles import percentiles_by_group


def test_it_interpolates_percentiles_like_percentile_cont(rows):
    for latency in range(10, 210, 10):  # 20 calls: 10, 20, ..., 200 ms
        rows.call(latency_ms=latency)

    result = percentiles_by_group(LLMCall.objects.all(), value="latency_ms", group=None, fractions=(0.5, 0.95))

    # percentile_cont: position p*(n-1) between the sorted values, linear in between.
    assert result == {None: {0.5: pytest.approx(105.0), 0.95: pytest.approx(190.5)}}


def test_it_computes_percentiles_per_group(rows):
    for latency in (100, 200, 300):
        rows.call(latency_ms=latency, model="small")
    for latency in (1000, 5000):
        rows.call(latency_ms=latency, model="large")
    rows.call(latency_ms=7, model="single")

    result = percentiles_by_group(
        LLMCall.objects.annotate(group=F("model")), value="latency_ms", group="group", fractions=(0.5, 0.95)
    )

    assert result == {
        "small": {0.5: pytest.approx(200.0), 0.95: pytest.approx(290.0)},
        "large": {0.5: pytest.approx(3000.0), 0.95: pytest.approx(4800.0)},
        "single": {0.5: pytest.approx(7.0), 0.95: pytest.approx(7.0)},
    }


def test_it_returns_nothing_for_no_rows(db):
    assert percentiles_by_group(LLMCall.objects.all(), value="latency_ms", group=None, fractions=(0.5,)) == {}
