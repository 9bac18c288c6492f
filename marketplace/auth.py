"""API authentication: the session cookie (with CSRF) or `Authorization: Bearer <token>`."""

import hashlib
import secrets

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from marketplace.models import ApiToken


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_issue(*, user) -> str:
    """Create a token for the user and return it; only its hash is stored, so it is shown once."""
    token = secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, key_hash=token_hash(token))
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
        return api_token.user


# Bearer first: a script with a token should not need a CSRF token because a cookie is also present.
api_auth = [BearerTokenAuth(), SessionAuth()]
