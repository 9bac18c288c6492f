"""Dashboard URLs, included under /staff/ai/ (namespace ai_monitoring); the probes are at the site root."""

from django.urls import path

from ai_prefill.monitoring import views

app_name = "ai_monitoring"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]

probe_urlpatterns = [
    path("metrics", views.prometheus_metrics, name="metrics"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
]
