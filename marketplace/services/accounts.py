"""Accounts: signing up. Logging in and out are Django's own views."""

import logging

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from core.errors import DomainError
from marketplace.models import User
from marketplace.text import text_clean

logger = logging.getLogger(__name__)

WELCOME_SUBJECT = "Welcome to Trova"
ADDRESS_IN_USE_SUBJECT = "Someone tried to sign up to Trova with your e-mail address"


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


def _mail_signup(*, user: User, email: str, owner: User | None) -> None:
    if owner is None:
        body = (
            f"Hello {user.public_name},\n\nyour Trova account {user.username} is ready. Happy selling!\n\n"
            "If you did not sign up, you can ignore this mail."
        )
        _mail(subject=WELCOME_SUBJECT, body=body, to=email)
        return
    body = (
        f"Hello {owner.public_name},\n\nsomeone just signed up to Trova with this e-mail address, which already "
        f"belongs to your account {owner.username}. The new account did not get the address.\n\n"
        "If it was you, log in with that username instead. If it was not, you need not do anything: your account "
        "is unchanged."
    )
    _mail(subject=ADDRESS_IN_USE_SUBJECT, body=body, to=owner.email)


def user_signup(*, username: str, display_name: str, email: str, password: str) -> User:
    """Create an account; usernames and e-mail addresses are unique regardless of case.

    Whether an address is registered is never revealed: a sign-up with a taken one answers as any other (the
    account is made without the address) and the address's owner gets a mail about it instead.
    """
    username, display_name = text_clean(username).strip(), text_clean(display_name).strip()
    email = User.objects.normalize_email(email.strip())
    if User.objects.filter(username__iexact=username).exists():
        raise _reject("username", "That username is taken. Please choose another one.")
    owner = User.objects.filter(email__iexact=email).first() if email else None
    user = User(username=username, display_name=display_name, email="" if owner else email)
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
        raise _reject("username", "That username is taken. Please choose another one.") from None
    transaction.on_commit(lambda: _mail_signup(user=user, email=email, owner=owner))
    return user
