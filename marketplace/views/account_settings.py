"""The account settings page (/account/) and what hangs off it: e-mail confirmation, password reset and change,
API tokens, the data download and account deletion."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from core.errors import DomainError
from marketplace.forms import (
    AccountDeleteForm,
    ApiTokenForm,
    EmailChangeForm,
    LanguageForm,
    NotificationsForm,
    PasswordResetForm,
    ProfileForm,
    add_domain_error,
)
from marketplace.languages import language_cookie_set
from marketplace.models import ApiToken
from marketplace.ratelimit import account_mail_limit, client_address, ratelimit_count, ratelimit_exceeded
from marketplace.services.account_data import account_delete, account_export, account_export_filename
from marketplace.services.accounts import (
    api_token_create,
    api_token_revoke,
    email_change_request,
    email_confirm,
    email_confirmation_send,
    email_mark_confirmed,
    user_language_update,
    user_notifications_update,
    user_profile_update,
)


def _base_url(request) -> str:
    return request.build_absolute_uri("/")


def _mail_refusal(key: str) -> str | None:
    """Count one mail for `key`; past the hour's allowance, the sentence to show instead of sending."""
    limit = account_mail_limit()
    if ratelimit_exceeded(limit=limit, key=key):
        minutes = limit.minutes_left()
        return ngettext(
            "We sent several mails in the last hour already. Please try again in %(minutes)d minute.",
            "We sent several mails in the last hour already. Please try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
    ratelimit_count(limit=limit, key=key)
    return None


def _settings_page(request, *, status: int = 200, new_token: str = "", **forms):
    user = request.user
    context = {
        "profile_form": ProfileForm(initial={"display_name": user.display_name}),
        "email_form": EmailChangeForm(),
        "notifications_form": NotificationsForm(initial={"email_notifications": user.email_notifications}),
        "language_form": LanguageForm(initial={"language": user.language}),
        "token_form": ApiTokenForm(),
        "tokens": ApiToken.objects.filter(user=user).order_by("-created_at"),
        "new_token": new_token,
        **forms,
    }
    return render(request, "marketplace/account_settings.html", context, status=status)


@login_required
def settings_page(request):
    return _settings_page(request)


@login_required
@require_POST
def profile(request):
    form = ProfileForm(request.POST)
    if form.is_valid():
        try:
            user_profile_update(user=request.user, display_name=form.cleaned_data["display_name"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, gettext("Your display name is saved."))
            return redirect("marketplace:account")
    return _settings_page(request, status=400, profile_form=form)


@login_required
@require_POST
def email_change(request):
    form = EmailChangeForm(request.POST)
    if form.is_valid() and (sentence := _mail_refusal(f"user:{request.user.pk}")):
        form.add_error(None, sentence)
        return _settings_page(request, status=429, email_form=form)
    if form.is_valid():
        try:
            email = email_change_request(
                user=request.user,
                password=form.cleaned_data["password"],
                email=form.cleaned_data["email"],
                base_url=_base_url(request),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.info(
                request,
                gettext("We sent a link to %(email)s. Your address changes when you follow it; until then it stays.")
                % {"email": email},
            )
            return redirect("marketplace:account")
    return _settings_page(request, status=400, email_form=form)


@login_required
@require_POST
def email_confirmation_resend(request):
    if request.user.email_confirmed:
        messages.info(request, gettext("Your e-mail address is already confirmed."))
    elif sentence := _mail_refusal(f"user:{request.user.pk}"):
        messages.error(request, sentence)
    else:
        email_confirmation_send(user=request.user, email=request.user.email, base_url=_base_url(request))
        messages.info(request, gettext("We sent a new confirmation link to %(email)s.") % {"email": request.user.email})
    return redirect("marketplace:account")


def email_confirmation(request, token: str):
    """The link in the mail. It works logged out too: people open mail on another device."""
    try:
        user = email_confirm(token=token)
    except DomainError as error:
        return render(request, "marketplace/email_confirm_failed.html", {"sentence": error.message}, status=400)
    messages.success(request, gettext("Thank you: %(email)s is confirmed.") % {"email": user.email})
    return redirect("marketplace:account" if request.user == user else "marketplace:login")


@login_required
@require_POST
def notifications(request):
    form = NotificationsForm(request.POST)
    form.is_valid()  # a checkbox: absent means off, nothing can be invalid
    user_notifications_update(user=request.user, email_notifications=form.cleaned_data["email_notifications"])
    messages.success(request, gettext("Your notification choices are saved."))
    return redirect("marketplace:account")


@login_required
@require_POST
def language(request):
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, status=400, language_form=form)
    user = user_language_update(user=request.user, language=form.cleaned_data["language"])
    if user.language:
        translation.activate(user.language)  # the message is read on the next page, in the new language
    messages.success(request, gettext("Your language is saved."))
    response = redirect("marketplace:account")
    # The switcher's cookie follows the setting, so it also holds on this browser after logging out; "the
    # browser's" removes it, or the last switch would keep winning over the browser's Accept-Language.
    if user.language:
        language_cookie_set(response, user.language)
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, path=settings.LANGUAGE_COOKIE_PATH)
    return response


@login_required
@require_POST
def token_create(request):
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, status=400, token_form=form)
    token = api_token_create(user=request.user, name=form.cleaned_data["name"])
    # Rendered, not redirected: the token exists only in this response, never in a session or a log.
    response = _settings_page(request, new_token=token)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request, token_id: int):
    try:
        api_token_revoke(user=request.user, token_id=token_id)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("marketplace:account")
    messages.success(request, gettext("The token is revoked: scripts using it are refused from now on."))
    return redirect("marketplace:account")


@login_required
def data_download(request):
    archive = account_export(user=request.user)
    return FileResponse(
        archive,
        as_attachment=True,
        filename=account_export_filename(user=request.user),
        content_type="application/zip",
    )


@login_required
def delete(request):
    form = AccountDeleteForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                account_delete(user=request.user, password=form.cleaned_data["password"])
            except DomainError as error:
                add_domain_error(form, error)
            else:
                logout(request)
                messages.info(request, gettext("Your account is deleted. Thank you for having been part of Trova."))
                return redirect("marketplace:browse")
        return render(request, "marketplace/account_delete.html", {"form": form}, status=400)
    return render(request, "marketplace/account_delete.html", {"form": form})


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "marketplace/password_change.html"
    success_url = reverse_lazy("marketplace:account")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, gettext("Your password is changed."))
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    template_name = "marketplace/password_reset_form.html"
    email_template_name = "marketplace/email/password_reset.txt"
    subject_template_name = "marketplace/email/password_reset_subject.txt"
    success_url = reverse_lazy("marketplace:password_reset_done")

    def form_valid(self, form):
        # Counted per client address: the answer never says whether the address has an account.
        if sentence := _mail_refusal(f"address:{client_address(self.request)}"):
            form.add_error(None, sentence)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "marketplace/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "marketplace/password_reset_confirm.html"
    success_url = reverse_lazy("marketplace:password_reset_complete")

    def form_valid(self, form):
        # The link reached them at the account's address, so the address is theirs.
        email_mark_confirmed(user=form.user)
        return super().form_valid(form)


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "marketplace/password_reset_complete.html"
