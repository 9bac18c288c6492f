"""API authentication: the session cookie (with CSRF) or `Authorization: Bearer <token>`."""

import hashlib
import secrets

from django.utils import timezone, translation
from django.utils.translation import gettext
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from marketplace.languages import language_supported
from marketplace.models import ApiToken


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_issue(*, user, name: str = "") -> str:
    """Create a token for the user and return it; only its hash is stored, so it is shown once."""
    token = secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, key_hash=token_hash(token), name=name)
    return token


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        api_token = ApiToken.objects.select_related("user").filter(key_hash=token_hash(token)).first()
        if api_token is None or not api_token.user.is_active:
            return None
        # One write a minute at most per token, not one per request.
        now = timezone.now()
        if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = api_token.user
        # UserLanguageMiddleware ran before the token was read: the person's language is applied here.
        if language_supported(api_token.user.language):
            translation.activate(api_token.user.language)
            request.LANGUAGE_CODE = api_token.user.language
        return api_token.user


class SessionCookieAuth(SessionAuth):
    """The logged-in session. CSRF is checked only once the cookie has logged someone in, so a request
    with no credentials at all gets a 401 that says how to log in, not a CSRF error."""

    def __init__(self) -> None:
        super().__init__(csrf=False)

    def authenticate(self, request, key):
        if not request.user.is_authenticated:
            return None
        if check_csrf(request) is not None:
            raise HttpError(
                403,
                gettext(
                    "The CSRF check failed. With the session cookie, send the csrftoken cookie's value in "
                    "the X-CSRFToken header, or use an Authorization: Bearer token instead."
                ),
            )
        return request.user


def anyone(request) -> bool:
    """Last in an auth list, it lets anonymous requests through after the others had their chance."""
    return True


# Bearer first: a script with a token should not need a CSRF token because a cookie is also present.
api_auth = [BearerTokenAuth(), SessionCookieAuth()]
# For reads open to everyone where being logged in shows more (the owner sees a hidden listing).
optional_auth = [*api_auth, anyone]
