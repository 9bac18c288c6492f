"""Dashboard URLs, included under /staff/ai/ (namespace ai_monitoring)."""

from django.urls import path

from insights import views

app_name = "ai_monitoring"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
