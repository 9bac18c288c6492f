"""Sign up, log in, log out."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from marketplace.errors import DomainError
from marketplace.forms import SignupForm, add_domain_error
from marketplace.services.accounts import user_signup


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


def signup(request):
    if request.user.is_authenticated:
        return redirect("marketplace:browse")
    form = SignupForm(request.POST) if request.method == "POST" else SignupForm()
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                user = user_signup(
                    username=data["username"],
                    display_name=data["display_name"],
                    email=data["email"],
                    password=data["password"],
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, f"Welcome to Trova, {user.public_name}!")
                return redirect(_next_url(request) or "marketplace:browse")
        return render(request, "marketplace/signup.html", {"form": form, "next": _next_url(request)}, status=400)
    return render(request, "marketplace/signup.html", {"form": form, "next": _next_url(request)})


class LoginView(auth_views.LoginView):
    template_name = "marketplace/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are logged out. See you soon!")
        return response
