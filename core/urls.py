"""The probes, at the site root: /metrics, /healthz and /readyz."""

from django.urls import path

from core import views

probe_urlpatterns = [
    path("metrics", views.prometheus_metrics, name="metrics"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
]
