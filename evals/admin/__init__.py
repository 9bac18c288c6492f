"""Evaluation in Django admin: the cases, runs and results."""

from evals.admin import eval_cases, eval_runs  # noqa: F401  (registering the ModelAdmins)
