"""Feedback in Django admin: the suggestion review screen and the evaluation cases."""

from feedback.admin import eval_cases, review  # noqa: F401  (registering the ModelAdmins)
