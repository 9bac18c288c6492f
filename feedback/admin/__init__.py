"""Feedback in Django admin: the suggestion review screen."""

from feedback.admin import review  # noqa: F401  (registering the ModelAdmins)
