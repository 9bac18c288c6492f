"""Seller-facing feedback endpoints, mounted at /feedback/ (feedback.urls holds the staff pages)."""

from django.urls import path

from feedback import views

app_name = "feedback_public"

urlpatterns = [
    path("analyses/<uuid:analysis_id>/vote", views.vote, name="vote"),
]
