"""The language a person reads: on pages (UserLanguageMiddleware) and in the mail they get (language_of)."""

from contextlib import AbstractContextManager

from django.conf import settings
from django.utils import translation


def language_supported(code: str) -> bool:
    return code in dict(settings.LANGUAGES)


def language_of(user) -> str:
    """The language of mail to `user`: the account's setting, else the site's default (mail has no browser)."""
    code = getattr(user, "language", "") or ""
    return code if language_supported(code) else settings.LANGUAGE_CODE


def in_language_of(user) -> AbstractContextManager:
    """Render a mail to `user` in their language: `with in_language_of(user): render and send`."""
    return translation.override(language_of(user))


def language_cookie_set(response, code: str) -> None:
    """The cookie Django's set_language writes, with the same settings (LANGUAGE_COOKIE_*)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class UserLanguageMiddleware:
    """After LocaleMiddleware and AuthenticationMiddleware: a signed-in person's own language wins over the
    switcher's cookie and the browser's Accept-Language (which LocaleMiddleware has already applied)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        code = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if code and language_supported(code):
            translation.activate(code)
            request.LANGUAGE_CODE = code
        return self.get_response(request)
