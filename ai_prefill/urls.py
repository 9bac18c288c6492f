from django.urls import path

from ai_prefill import views

app_name = "ai_prefill"

urlpatterns = [
    path("sell/", views.sell, name="sell"),
    path("sell/photo/", views.sell_photo, name="sell_photo"),
    path("sell/analyse/", views.sell_analyse, name="sell_analyse"),
    path("sell/analysis/<uuid:analysis_id>/status/", views.sell_status, name="sell_status"),
    path("sell/analysis/<uuid:analysis_id>/regenerate/", views.sell_regenerate, name="sell_regenerate"),
]
