"""Sign up, log in, log out."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from marketplace.forms import SignupForm, add_domain_error
from marketplace.ratelimit import (
    RateLimit,
    client_address,
    login_failure_count,
    login_failure_limit,
    login_refusal,
    ratelimit_count,
    ratelimit_exceeded,
    signup_limit,
)
from marketplace.services.accounts import user_signup

TYPED_FIELDS = ("username", "display_name", "email")
# Why a page sent the person to log in, by the path it sends them back to (the URL names are other apps',
# reversed by name: no import). The first prefix that matches wins.
LOGIN_REASONS = (
    (
        "ai_prefill:sell",
        _(
            "To sell, please log in or create an account: buyers write to you through it, and only you can edit or "
            "take down your listing. You come straight back to the sell page after."
        ),
    ),
    ("marketplace:saved", _("Log in to see the listings you saved.")),
    ("marketplace:saved_searches", _("Log in to see your saved searches.")),
)


def login_reason(next_url: str) -> str:
    """The sentence that says why a page asks the person to log in, or an empty one."""
    from django.urls import NoReverseMatch, reverse

    for name, sentence in LOGIN_REASONS:
        try:
            if next_url.startswith(reverse(name)):
                return sentence
        except NoReverseMatch:
            continue
    return ""


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


def _limited(request, form_class, template: str, sentence: str, next_url: str, limit: RateLimit):
    """429 with the sentence above the form, and what was typed (never the password) kept."""
    messages.error(request, sentence)
    form = form_class(initial={name: request.POST.get(name, "") for name in TYPED_FIELDS})
    context = {"form": form, "next": next_url, "reason": login_reason(next_url)}
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(limit.seconds_left())
    return response


def signup(request):
    if request.user.is_authenticated:
        return redirect("marketplace:browse")
    form = SignupForm(request.POST) if request.method == "POST" else SignupForm()
    if request.method == "POST":
        # Every attempt counts, not only the successful ones: a failed one still probes which names exist.
        limit, address = signup_limit(), client_address(request)
        if ratelimit_exceeded(limit=limit, key=address):
            minutes = limit.minutes_left()
            sentence = ngettext(
                "Too many sign-ups from your network in the last hour. Please try again in %(minutes)d minute.",
                "Too many sign-ups from your network in the last hour. Please try again in %(minutes)d minutes.",
                minutes,
            ) % {"minutes": minutes}
            return _limited(request, SignupForm, "marketplace/signup.html", sentence, _next_url(request), limit)
        ratelimit_count(limit=limit, key=address)
        if form.is_valid():
            data = form.cleaned_data
            try:
                user = user_signup(
                    username=data["username"],
                    display_name=data["display_name"],
                    email=data["email"],
                    password=data["password"],
                    base_url=request.build_absolute_uri("/"),
                    language=translation.get_language(),
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, gettext("Welcome to Trova, %(name)s!") % {"name": user.public_name})
                return redirect(_next_url(request) or "marketplace:browse")
        context = {"form": form, "next": _next_url(request), "reason": login_reason(_next_url(request))}
        return render(request, "marketplace/signup.html", context, status=400)
    context = {"form": form, "next": _next_url(request), "reason": login_reason(_next_url(request))}
    return render(request, "marketplace/signup.html", context)


class LoginView(auth_views.LoginView):
    template_name = "marketplace/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["reason"] = login_reason(self.get_redirect_url())
        return context

    def post(self, request, *args, **kwargs):
        # Checked before the password is: past the limit, a guess gets no answer, right or wrong.
        if sentence := login_refusal(request):
            form_class, next_url = self.get_form_class(), self.get_redirect_url()
            return _limited(request, form_class, self.template_name, sentence, next_url, login_failure_limit())
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        login_failure_count(self.request)
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, gettext("You are logged out. See you soon!"))
        return response
