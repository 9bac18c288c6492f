import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

FORMER_MEMBER_NAME = "Former member"


class User(AbstractUser):
    display_name = models.CharField(max_length=60, blank=True)
    # Null until the person follows the link mailed to their address (services/accounts.py). Until then the
    # account works, but no mail other than the confirmation and a password reset is sent to the address.
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    # A stored preference other features read (the new-message notification mails).
    email_on_new_message = models.BooleanField(default=True, verbose_name="E-mail me about new messages")
    # Set when the person deleted their account: the row stays, emptied of personal data, so that
    # conversations, reports and the AI records that point at it keep their meaning ("Former member").
    deleted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        """The name other people see; never the e-mail address."""
        if self.deleted_at is not None:
            return FORMER_MEMBER_NAME
        return self.display_name or self.username

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def notification_email(self) -> str:
        """Where notification mails may go: the confirmed address of a current member, else "" (send nothing)."""
        if self.email and self.email_confirmed and self.is_active and self.deleted_at is None:
            return self.email
        return ""


class Category(models.Model):
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=80)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Condition(models.TextChoices):
    NEW = "new", "New"
    LIKE_NEW = "like_new", "Like new"
    GOOD = "good", "Good"
    FAIR = "fair", "Fair"
    FOR_PARTS = "for_parts", "For parts"


TITLE_MAX_LENGTH = 80
DESCRIPTION_MAX_LENGTH = 4000
PRICE_MAX = Decimal("1000000")


class Listing(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SOLD = "sold", "Sold"
        HIDDEN = "hidden", "Hidden by staff"

    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="listings")
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(max_length=DESCRIPTION_MAX_LENGTH, blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="listings")
    price = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(PRICE_MAX)],
    )
    condition = models.CharField(max_length=16, choices=Condition.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    sold_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at", "-id"], name="listing_status_newest"),
            models.Index(fields=["status", "category", "-created_at"], name="listing_status_cat_newest"),
            models.Index(fields=["status", "price"], name="listing_status_price"),
            models.Index(fields=["seller", "-created_at"], name="listing_seller_newest"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("marketplace:listing_detail", args=[self.pk])


def _photo_path(folder: str, filename: str) -> str:
    return f"photos/{folder}/{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}.jpg"


def photo_image_path(instance: "Photo", filename: str) -> str:
    return _photo_path("large", filename)


def photo_thumbnail_path(instance: "Photo", filename: str) -> str:
    return _photo_path("thumb", filename)


def photo_medium_path(instance: "Photo", filename: str) -> str:
    return _photo_path("medium", filename)


class Photo(models.Model):
    """A validated, re-encoded photo. It exists before its listing when the pre-fill analyses it."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="photos")
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="photos", null=True, blank=True)
    # Display size (long side <= 1600 px), EXIF stripped, orientation applied. The original is not kept.
    image = models.ImageField(upload_to=photo_image_path, width_field="width", height_field="height")
    thumbnail = models.ImageField(upload_to=photo_thumbnail_path)
    # Long side at most 1024 px (a half or less of the display size): phones' screens, and what the
    # pre-fill sends the vision model, so its worker never decodes a photo. Empty on photos stored before it.
    medium = models.ImageField(upload_to=photo_medium_path, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)
    is_main = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_main", "position", "id"]

    def __str__(self) -> str:
        return f"Photo {self.pk}"


class Conversation(models.Model):
    """One conversation per listing and buyer."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="conversations")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [models.UniqueConstraint(fields=["listing", "buyer"], name="one_conversation_per_listing_buyer")]

    def __str__(self) -> str:
        return f"{self.buyer} about {self.listing}"


MESSAGE_MAX_LENGTH = 2000


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(max_length=MESSAGE_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "read_at"], name="message_unread")]

    def __str__(self) -> str:
        return self.body[:50]


class Report(models.Model):
    class Reason(models.TextChoices):
        SCAM = "scam", "Scam or fraud"
        PROHIBITED = "prohibited", "Prohibited item"
        WRONG_CATEGORY = "wrong_category", "Wrong category"
        DUPLICATE = "duplicate", "Duplicate"
        OTHER = "other", "Other"

    # A report outlives its listing: a seller deleting a reported listing must not erase what was reported, so
    # who sold it and its title are kept on the report itself.
    listing = models.ForeignKey(Listing, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports")
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports_received"
    )
    listing_title = models.CharField(max_length=TITLE_MAX_LENGTH, blank=True)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    comment = models.TextField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved = models.BooleanField(default=False)

    class Meta:
        ordering = ["resolved", "-created_at"]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.listing or self.listing_title}"


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token itself is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    # What the person called it on the settings page ("laptop script"), so they know which one to revoke.
    name = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Token for {self.user}"
