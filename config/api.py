"""The one NinjaAPI instance; each app contributes a Router. Errors come back as {"detail": sentence}."""

from ninja import NinjaAPI

from ai_prefill.api import router as analyses_router
from core.api import JsonOrFormParser, api_errors_handle
from feedback.api import router as feedback_router
from marketplace.api import router as marketplace_router

api = NinjaAPI(title="Trova API", version="1.0", urls_namespace="api", parser=JsonOrFormParser())
api_errors_handle(api)

api.add_router("/", marketplace_router)
api.add_router("/", analyses_router)
api.add_router("/", feedback_router)
