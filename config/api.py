"""The one NinjaAPI instance; each app contributes a Router."""

from ninja import NinjaAPI

from ai_prefill.api import router as analyses_router
from feedback.api import router as feedback_router
from marketplace.api import router as marketplace_router

api = NinjaAPI(title="Trova API", version="1.0", urls_namespace="api")
api.add_router("/", marketplace_router)
api.add_router("/", analyses_router)
api.add_router("/", feedback_router)
