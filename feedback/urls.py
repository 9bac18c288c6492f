"""Staff pages, mounted at /staff/."""

from django.urls import path

from feedback import views

app_name = "feedback"

urlpatterns = [
    path("annotate/", views.annotate, name="annotate"),
]
