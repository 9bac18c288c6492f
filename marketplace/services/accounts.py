"""Accounts: signing up, confirming the e-mail address, the settings page. Logging in and out, password reset
and change are Django's own views; leaving (export, deletion) is services/account_data.py."""

import logging

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError, NotFound
from marketplace.auth import token_issue
from marketplace.languages import in_language_of, language_supported
from marketplace.models import ApiToken, User
from marketplace.text import text_clean

logger = logging.getLogger(__name__)

WELCOME_SUBJECT = "Welcome to Trova"  # for the log; the mail's subject is email_confirm_subject.txt
ADDRESS_IN_USE_SUBJECT = _("Someone tried to sign up to Trova with your e-mail address")


class SignupInvalid(DomainError):
    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


def _reject(field: str, message: str) -> SignupInvalid:
    return SignupInvalid(message, {field: [message]})


def _mail(*, subject: str, body: str, to: str) -> None:
    try:
        send_mail(subject, body, None, [to])
    except Exception:
        # The account exists either way; a mail server that is down must not turn the sign-up into a 500.
        logger.exception("Could not send the sign-up mail %r", subject)


def _mail_signup(*, user: User, email: str, owner: User | None, base_url: str) -> None:
    if owner is None:
        # The welcome (subject WELCOME_SUBJECT) carries the link that confirms the address.
        try:
            email_confirmation_send(user=user, email=email, base_url=base_url)
        except Exception:
            logger.exception("Could not send the sign-up mail %r", WELCOME_SUBJECT)
        return
    with in_language_of(owner):
        body = gettext(
            "Hello %(name)s,\n\nsomeone just signed up to Trova with this e-mail address, which already "
            "belongs to your account %(username)s. The new account did not get the address.\n\n"
            "If it was you, log in with that username instead. If it was not, you need not do anything: your "
            "account is unchanged."
        ) % {"name": owner.public_name, "username": owner.username}
        _mail(subject=str(ADDRESS_IN_USE_SUBJECT), body=body, to=owner.email)


def user_signup(
    *, username: str, display_name: str, email: str, password: str, base_url: str, language: str = ""
) -> User:
    """Create an account; usernames and e-mail addresses are unique regardless of case.

    `language` is the one the sign-up page was read in: kept as the account's (mail has no browser to follow),
    so the welcome and every later mail are in it; the settings page changes it.

    Whether an address is registered is never revealed: a sign-up with a taken one answers as any other (the
    account is made without the address) and the address's owner gets a mail about it instead.
    """
    username, display_name = text_clean(username).strip(), text_clean(display_name).strip()
    email = User.objects.normalize_email(email.strip())
    if User.objects.filter(username__iexact=username).exists():
        raise _reject("username", gettext("That username is taken. Please choose another one."))
    owner = User.objects.filter(email__iexact=email).first() if email else None
    user = User(username=username, display_name=display_name, email="" if owner else email)
    user.language = language if language_supported(language) else ""
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        errors = exc.message_dict
        raise SignupInvalid(next(iter(errors.values()))[0], errors) from None
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise SignupInvalid(exc.messages[0], {"password": exc.messages}) from None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Two sign-ups raced for the same username; the loser gets the same sentence as above.
        raise _reject("username", gettext("That username is taken. Please choose another one.")) from None
    transaction.on_commit(lambda: _mail_signup(user=user, email=email, owner=owner, base_url=base_url))
    return user


# E-mail confirmation. The signed token carries the address it confirms and the address the account had when it
# was mailed: once the account's address changes, older links stop working, so each is good for one change.
EMAIL_CONFIRMATION_SALT = "marketplace.email-confirmation"


class EmailConfirmationInvalid(DomainError):
    pass


class AccountChangeRefused(DomainError):
    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


def email_confirmation_token(*, user: User, email: str) -> str:
    return signing.dumps({"user": user.pk, "email": email, "from": user.email}, salt=EMAIL_CONFIRMATION_SALT)


def email_confirmation_send(*, user: User, email: str, base_url: str) -> None:
    """Mail a link that confirms `email` for the account: the sign-up address, or a new one it asked for."""
    token = email_confirmation_token(user=user, email=email)
    context = {
        "user": user,
        "email": email,
        "changing": email != user.email,
        "link": base_url.rstrip("/") + reverse("marketplace:email_confirm", args=[token]),
        "days": settings.EMAIL_CONFIRMATION_TIMEOUT // 86400,
    }
    with in_language_of(user):
        subject = render_to_string("marketplace/email/email_confirm_subject.txt", context).strip()
        body = render_to_string("marketplace/email/email_confirm.txt", context)
    send_mail(subject, body, None, [email])


@transaction.atomic
def email_confirm(*, token: str) -> User:
    """Confirm the address a mailed link names, switching the account to it when it was a change."""
    try:
        payload = signing.loads(token, salt=EMAIL_CONFIRMATION_SALT, max_age=settings.EMAIL_CONFIRMATION_TIMEOUT)
    except signing.SignatureExpired:
        raise EmailConfirmationInvalid(
            gettext("This confirmation link has expired. Log in and ask for a new one from your account settings.")
        ) from None
    except signing.BadSignature:
        raise EmailConfirmationInvalid(
            gettext("This confirmation link is not valid. Please copy the whole link.")
        ) from None
    user = User.objects.select_for_update().filter(pk=payload["user"], deleted_at__isnull=True).first()
    if user is None:
        raise EmailConfirmationInvalid(gettext("This confirmation link belongs to an account that no longer exists."))
    if user.email == payload["email"] and user.email_confirmed:
        return user  # a second click on the same link
    if user.email != payload["from"]:
        raise EmailConfirmationInvalid(
            gettext("This link was replaced by a newer change of address. Please use the latest link we sent.")
        )
    if User.objects.filter(email__iexact=payload["email"]).exclude(pk=user.pk).exists():
        raise EmailConfirmationInvalid(
            gettext("Another account uses that e-mail address now, so we kept your old one.")
        )
    user.email = payload["email"]
    user.email_confirmed_at = timezone.now()
    user.save(update_fields=["email", "email_confirmed_at"])
    return user


def email_mark_confirmed(*, user: User) -> None:
    """Record that the person reads the account's address (they followed a password-reset link sent to it)."""
    if not user.email_confirmed:
        user.email_confirmed_at = timezone.now()
        user.save(update_fields=["email_confirmed_at"])


def email_change_request(*, user: User, password: str, email: str, base_url: str) -> str:
    """Mail a confirmation link to a new address; the account keeps the old one until it is followed."""
    if not user.check_password(password):
        sentence = gettext("That is not your current password.")
        raise AccountChangeRefused(sentence, {"password": [sentence]})
    email = User.objects.normalize_email(email.strip())
    if email.lower() == user.email.lower():
        raise AccountChangeRefused(
            gettext("That is already your address."),
            {"email": [gettext("That is already the address of your account.")]},
        )
    # The same answer whether or not another account has the address: this page must not tell who is registered.
    email_confirmation_send(user=user, email=email, base_url=base_url)
    return email


def user_profile_update(*, user: User, display_name: str) -> User:
    """Change the name other people see."""
    display_name = display_name.strip()
    if not display_name:
        sentence = gettext("Please enter a display name.")
        raise AccountChangeRefused(sentence, {"display_name": [sentence]})
    user.display_name = display_name
    user.save(update_fields=["display_name"])
    return user


def user_notifications_update(*, user: User, email_notifications: bool) -> User:
    """Store which mails the person wants."""
    user.email_notifications = email_notifications
    user.save(update_fields=["email_notifications"])
    return user


def user_language_update(*, user: User, language: str) -> User:
    """Store the site's language for the person ("" follows the browser); their mail is written in it too."""
    if language and not language_supported(language):
        raise AccountChangeRefused(
            gettext("Please pick a language from the list."),
            {"language": [gettext("Please pick a language from the list.")]},
        )
    user.language = language
    user.save(update_fields=["language"])
    return user


def api_token_create(*, user: User, name: str) -> str:
    """A new API token for the person; the caller shows it once, only its hash is kept."""
    return token_issue(user=user, name=name.strip())


def api_token_revoke(*, user: User, token_id: int) -> None:
    """Delete one of the person's own tokens; scripts using it get 401 from now on."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    if not deleted:
        raise NotFound(gettext("That token does not exist, or it was already revoked."))
