"""Variants and A/B rollout: prompt registration, experiments, sticky assignment, per-variant numbers and
the guardrail. Services write (services.py), selectors read (selectors.py), stats.py is plain maths."""
