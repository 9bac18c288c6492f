"""Per-address limits for requests that leave no row to count (sign-ups, failed log-ins): fixed-window counters
in Django's cache, which every web process shares when CACHE_URL points at Redis.

Messages and photo analyses are limited per user in their services, counted in the database.
"""

import functools
import hashlib
import ipaddress
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import ngettext

logger = logging.getLogger(__name__)

HOUR = 3600


@dataclass(frozen=True)
class RateLimit:
    scope: str
    limit: int
    window_seconds: int = HOUR

    def cache_key(self, key: str, now: float) -> str:
        window = int(now // self.window_seconds)
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        return f"ratelimit:{self.scope}:{window}:{digest}"

    def seconds_left(self, now: float | None = None) -> int:
        """Seconds until the current window ends and the count starts again (the 429's Retry-After)."""
        now = time.time() if now is None else now
        return max(1, math.ceil(self.window_seconds - now % self.window_seconds))

    def minutes_left(self, now: float | None = None) -> int:
        """Minutes until the current window ends and the count starts again."""
        return max(1, math.ceil(self.seconds_left(now) / 60))


def signup_limit() -> RateLimit:
    return RateLimit("signup", settings.SIGNUPS_PER_HOUR)


def login_failure_limit() -> RateLimit:
    return RateLimit("login-failure", settings.LOGIN_FAILURES_PER_HOUR)


def account_mail_limit() -> RateLimit:
    """Password-reset requests per client address, and confirmation links per account: each sends a mail."""
    return RateLimit("account-mail", settings.ACCOUNT_MAILS_PER_HOUR)


def client_address(request: HttpRequest) -> str:
    """Who is asking: the connection's address, or behind TRUSTED_PROXY_COUNT proxies the one the outermost saw.

    Each proxy appends the address it was connected from to X-Forwarded-For, so the client's own entries
    (which anyone can forge) sit to the left of the ones our proxies wrote.
    """
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        # One IPv6 subscriber usually holds a whole /64: counting single addresses would be no limit at all.
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def ratelimit_exceeded(*, limit: RateLimit, key: str) -> bool:
    """Whether `key` has used up its allowance in this window (without counting this request)."""
    try:
        return (cache.get(limit.cache_key(key, time.time())) or 0) >= limit.limit
    except Exception:
        # A cache outage must not lock everybody out of signing up or logging in.
        logger.warning("Rate limit %s: the cache is unavailable, not limiting", limit.scope, exc_info=True)
        return False


def ratelimit_count(*, limit: RateLimit, key: str) -> None:
    """Count one request for `key` in this window."""
    cache_key = limit.cache_key(key, time.time())
    try:
        # add() is a no-op when the counter exists; incr() is atomic in Redis and in the local memory cache.
        cache.add(cache_key, 0, timeout=limit.window_seconds + 60)
        try:
            cache.incr(cache_key)
        except ValueError:  # the counter expired between the two calls
            cache.set(cache_key, 1, timeout=limit.window_seconds + 60)
    except Exception:
        logger.warning("Rate limit %s: the cache is unavailable, not counting", limit.scope, exc_info=True)


def login_refusal(request: HttpRequest) -> str | None:
    """The sentence for an address that failed to log in too often this hour, or None."""
    limit = login_failure_limit()
    if not ratelimit_exceeded(limit=limit, key=client_address(request)):
        return None
    minutes = limit.minutes_left()
    return ngettext(
        "Too many failed log-ins from your network in the last hour. Please try again in %(minutes)d minute.",
        "Too many failed log-ins from your network in the last hour. Please try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def login_failure_count(request: HttpRequest) -> None:
    ratelimit_count(limit=login_failure_limit(), key=client_address(request))


def limit_failed_logins(login_view):
    """Put a log-in view we do not own (the admin's) under the same limit as the site's log-in page."""

    @functools.wraps(login_view)
    def limited(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "POST":
            return login_view(request, *args, **kwargs)
        if sentence := login_refusal(request):
            response = HttpResponse(sentence, status=429, content_type="text/plain; charset=utf-8")
            response["Retry-After"] = str(login_failure_limit().seconds_left())
            return response
        response = login_view(request, *args, **kwargs)
        if response.status_code != 302:  # a log-in that worked redirects; any other answer is a failure
            login_failure_count(request)
        return response

    return limited
