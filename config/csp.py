"""Content-Security-Policy: every response says where scripts, styles and images may come from.

Shaped like Django 6.0's built-in CSP (the SECURE_CSP setting, directive -> list of sources), so on that
upgrade this middleware gives way to django.middleware.csp.ContentSecurityPolicyMiddleware. Our pages have
no inline script, style or event handler (tests/security checks the templates), so no nonce is needed.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


def csp_header_value(policy: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # A view that needs its own policy sets the header itself.
        if settings.SECURE_CSP and HEADER not in response:
            response[HEADER] = csp_header_value(settings.SECURE_CSP)
        return response
