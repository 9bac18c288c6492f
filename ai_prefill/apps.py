from django.apps import AppConfig


class AiPrefillConfig(AppConfig):
    name = "ai_prefill"
    verbose_name = "AI pre-fill"
