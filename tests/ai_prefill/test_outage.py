"""Database work that waits out a short outage: the stored model answer must not be lost to a restart."""

import pytest
from django.db import OperationalError, transaction

from core.db import through_database_outage


class FlakyDatabase:
    """Work that meets an unreachable database `failures` times, then succeeds."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise OperationalError("server closed the connection unexpectedly")
        return "stored"


@pytest.mark.django_db(transaction=True)
def test_it_runs_the_work_again_once_the_database_is_back():
    work = FlakyDatabase(failures=2)

    assert through_database_outage(work, what="storing", first_wait=0.01) == "stored"
    assert work.calls == 3


@pytest.mark.django_db(transaction=True)
def test_it_gives_up_when_the_outage_outlasts_its_time():
    work = FlakyDatabase(failures=1000)

    with pytest.raises(OperationalError):
        through_database_outage(work, what="storing", seconds=0.05, first_wait=0.01)
    assert 1 < work.calls < 1000


@pytest.mark.django_db(transaction=True)
def test_it_does_not_retry_inside_a_transaction():
    work = FlakyDatabase(failures=1)

    with pytest.raises(OperationalError), transaction.atomic():
        through_database_outage(work, what="storing", first_wait=0.01)
    assert work.calls == 1


def test_it_lets_other_errors_through_at_once():
    calls = []

    def bug():
        calls.append(1)
        raise ValueError("not a database problem")

    with pytest.raises(ValueError):
        through_database_outage(bug, what="storing", first_wait=0.01)
    assert calls == [1]
