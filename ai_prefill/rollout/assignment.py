"""Sticky assignment: the same seller (or anonymous session) always lands in the same arm of an experiment.

bucket = sha256(salt:unit) mod 10,000; the arms own consecutive ranges of buckets in proportion to their
weights, the control first. A new experiment has a new salt, so it splits sellers afresh.
"""

import hashlib
from collections.abc import Sequence
from typing import Protocol, TypeVar

BUCKETS = 10_000


class Weighted(Protocol):
    weight: int


ArmT = TypeVar("ArmT", bound=Weighted)


def assignment_unit(*, user_id: int | None, session_key: str) -> str | None:
    """Who is assigned: the signed-in user, else the browser session; None when there is neither."""
    if user_id is not None:
        return f"user:{user_id}"
    if session_key:
        return f"session:{session_key}"
    return None


def assignment_bucket(*, salt: str, unit: str) -> int:
    digest = hashlib.sha256(f"{salt}:{unit}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def arm_for_bucket(arms: Sequence[ArmT], bucket: int) -> ArmT:
    """The arm whose share of the buckets holds this one (weights are relative: 90 and 10, or 9 and 1)."""
    total = sum(arm.weight for arm in arms)
    if total <= 0:
        raise ValueError("An experiment needs at least one arm with a weight above 0.")
    cumulative = 0
    for arm in arms:
        cumulative += arm.weight
        # bucket / BUCKETS < cumulative / total, in integers.
        if bucket * total < cumulative * BUCKETS:
            return arm
    raise AssertionError("unreachable: the last arm's range ends at BUCKETS")
