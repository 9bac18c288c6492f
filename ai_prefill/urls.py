app_name = "ai_prefill"

urlpatterns: list = []
