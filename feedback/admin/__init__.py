"""Feedback in Django admin: the suggestion review screen, the evaluation cases, runs and results."""

from feedback.admin import eval_cases, eval_runs, review  # noqa: F401  (registering the ModelAdmins)
