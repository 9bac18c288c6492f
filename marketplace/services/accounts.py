"""Accounts: signing up. Logging in and out are Django's own views."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.errors import DomainError
from marketplace.models import User
from marketplace.text import text_clean


class SignupInvalid(DomainError):
    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


def _reject(field: str, message: str) -> SignupInvalid:
    return SignupInvalid(message, {field: [message]})


def user_signup(*, username: str, display_name: str, email: str, password: str) -> User:
    """Create an account; usernames and e-mail addresses are unique regardless of case."""
    username, display_name = text_clean(username).strip(), text_clean(display_name).strip()
    email = User.objects.normalize_email(email.strip())
    if User.objects.filter(username__iexact=username).exists():
        raise _reject("username", "That username is taken. Please choose another one.")
    if User.objects.filter(email__iexact=email).exists():
        raise _reject("email", "An account with that e-mail address already exists. Try logging in.")
    user = User(username=username, display_name=display_name, email=email)
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
    return user
