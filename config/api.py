"""The one NinjaAPI instance; each app contributes a Router. Errors come back as {"detail": sentence}."""

from ninja import NinjaAPI
from ninja.errors import ValidationError

from ai_prefill.api import router as analyses_router
from feedback.api import router as feedback_router
from marketplace.api import router as marketplace_router
from marketplace.errors import DomainError

api = NinjaAPI(title="Trova API", version="1.0", urls_namespace="api")


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return api.create_response(request, {"detail": exc.message}, status=exc.status_code)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    """Pydantic's errors turned into one readable sentence, with the details kept for programs."""
    parts = []
    for error in exc.errors:
        field = ".".join(str(part) for part in error.get("loc", ())[1:] if part != "__root__") or "request"
        parts.append(f"{field}: {error.get('msg', 'is not valid')}")
    return api.create_response(
        request, {"detail": "Please check the request. " + "; ".join(parts) + ".", "errors": exc.errors}, status=422
    )


api.add_router("/", marketplace_router)
api.add_router("/", analyses_router)
api.add_router("/", feedback_router)
