import re
import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

FORMER_MEMBER_NAME = _("Former member")


class User(AbstractUser):
    display_name = models.CharField(max_length=60, blank=True, verbose_name=_("display name"))
    # The place of the seller's last listing: the default of the next one (a GeoNames id, marketplace/places.py).
    last_place_geonameid = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("last place geonameid"))
    # E-mails about new messages and saved listings (saved-search digests have their own unsubscribe link).
    email_notifications = models.BooleanField(
        default=True, verbose_name=_("E-mail me about new messages and my saved listings")
    )
    # Null until the person follows the link mailed to their address (services/accounts.py). Until then the
    # account works, but no mail other than the confirmation and a password reset is sent to the address.
    email_confirmed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("email confirmed at"))
    # Set when the person deleted their account: the row stays, emptied of personal data, so that
    # conversations, reports and the AI records that point at it keep their meaning ("Former member").
    deleted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("deleted at"))
    # The site's language for this person (a code of settings.LANGUAGES), also that of the mail they get; blank:
    # the browser's (or the switcher's) on pages, settings.LANGUAGE_CODE in mail (marketplace.middleware).
    language = models.CharField(max_length=10, blank=True, default="", verbose_name=_("language"))

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        """The name other people see; never the e-mail address."""
        if self.deleted_at is not None:
            return str(FORMER_MEMBER_NAME)
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


def name_translated(name: str, names: dict) -> str:
    """A taxonomy name in the active language: its translation where staff gave one (names = {"it": ...}), else name."""
    language = (translation.get_language() or "").split("-")[0]
    return (names or {}).get(language) or name


class Category(models.Model):
    slug = models.SlugField(max_length=50, unique=True, verbose_name=_("slug"))
    name = models.CharField(max_length=80, verbose_name=_("name"))
    # The name in other languages, by language code ({"it": "Elettronica"}); name is the English one.
    names = models.JSONField(default=dict, blank=True, verbose_name=_("names"))
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        verbose_name = _("category")
        ordering = ["position", "name"]
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name_translated

    @property
    def name_translated(self) -> str:
        return name_translated(self.name, self.names)


# A listing's own fields: an item detail (CategoryAttribute) may not take one of these names, so a field
# name means one thing in forms, filters, suggestions, confidence and corrections. The other names are the
# parameters the listing forms, the browse filters and the API already read beside an attribute's slug.
ATTRIBUTE_SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
LISTING_FIELD_NAMES = frozenset({"title", "description", "category", "price", "condition", "q", "sort", "page"})
ATTRIBUTE_RESERVED_NAMES = LISTING_FIELD_NAMES | {
    *("place", "photos", "main_photo", "main_image", "images", "analysis_id", "intent", "status", "buyer_id"),
    *("attributes", "min_price", "max_price", "near", "within", "within_km"),
}


class CategoryAttribute(models.Model):
    """An item detail a category's listings have (brand, size, colour...): data, edited by staff in admin.

    The same slug means the same thing in every category (brand is a brand), so the pre-fill's output schema
    and the filters use one name per slug across the taxonomy.
    """

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="attributes", verbose_name=_("category")
    )
    slug = models.SlugField(
        max_length=40, help_text="Lower case, letters, digits and underscores: brand, size.", verbose_name=_("slug")
    )
    name = models.CharField(max_length=60, verbose_name=_("name"))
    names = models.JSONField(default=dict, blank=True, verbose_name=_("names"))
    # A closed list of values (the colours), or empty for free text (a brand).
    choices = models.JSONField(default=list, blank=True, verbose_name=_("choices"))
    # What the model is told about the attribute, in the output schema ("The maker's name as printed on it").
    hint = models.CharField(max_length=200, blank=True, verbose_name=_("hint"))
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        verbose_name = _("item detail")
        verbose_name_plural = _("item details")
        ordering = ["category", "position", "slug"]
        constraints = [models.UniqueConstraint(fields=["category", "slug"], name="category_attribute_unique")]

    def __str__(self) -> str:
        return f"{self.category.slug}: {self.slug}"

    @property
    def name_translated(self) -> str:
        return name_translated(self.name, self.names)

    def clean(self) -> None:
        if not ATTRIBUTE_SLUG_PATTERN.match(self.slug or ""):
            raise ValidationError(
                {"slug": gettext("Use lower-case letters, digits and underscores, starting with a letter.")}
            )
        if self.slug in ATTRIBUTE_RESERVED_NAMES:
            message = gettext(
                "“%(slug)s” is a listing field already, or a parameter of the listing pages; choose another."
            ) % {"slug": self.slug}
            raise ValidationError({"slug": message})


class Condition(models.TextChoices):
    NEW = "new", pgettext_lazy("condition", "New")
    LIKE_NEW = "like_new", pgettext_lazy("condition", "Like new")
    GOOD = "good", pgettext_lazy("condition", "Good")
    FAIR = "fair", pgettext_lazy("condition", "Fair")
    FOR_PARTS = "for_parts", pgettext_lazy("condition", "For parts")


TITLE_MAX_LENGTH = 80
DESCRIPTION_MAX_LENGTH = 4000
PRICE_MAX = Decimal("1000000")


class Listing(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("listing state", "Active")
        SOLD = "sold", pgettext_lazy("listing state", "Sold")
        HIDDEN = "hidden", pgettext_lazy("listing state", "Hidden by staff")

    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="listings", verbose_name=_("seller")
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH, verbose_name=_("title"))
    description = models.TextField(max_length=DESCRIPTION_MAX_LENGTH, blank=True, verbose_name=_("description"))
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="listings", verbose_name=_("category")
    )
    price = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(PRICE_MAX)],
        verbose_name=_("price"),
    )
    condition = models.CharField(max_length=16, choices=Condition.choices, verbose_name=_("condition"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE, verbose_name=_("status"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    sold_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sold at"))
    # Reserved is a mark on an active listing, not a status of its own: it stays in the browse results
    # ("Reserved" on its card), so every browse index, which starts with status, still serves it.
    reserved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reserved at"))
    # The buyer the seller named when marking it sold (one who wrote about it): who may rate the seller.
    sold_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="purchases",
        verbose_name=_("sold to"),
    )
    # The town only (marketplace/places.py), never an address: its name is copied so a page shows it
    # without the list, its coordinates so the database filters by distance.
    place_geonameid = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("place geonameid"))
    place_name = models.CharField(max_length=120, blank=True, verbose_name=_("place name"))
    latitude = models.FloatField(null=True, blank=True, verbose_name=_("latitude"))
    longitude = models.FloatField(null=True, blank=True, verbose_name=_("longitude"))
    # The item details, by CategoryAttribute slug ({"brand": "Sony", "colour": "black"}); only the details of
    # the listing's category, and only those with a value.
    attributes = models.JSONField(default=dict, blank=True, verbose_name=_("attributes"))
    # The same with each value case-folded (marketplace.attributes), written by the services beside attributes:
    # what the filters match, by containment through a GIN index on PostgreSQL (0016_listing_attributes_search).
    attributes_search = models.JSONField(default=dict, blank=True, editable=False, verbose_name=_("attributes search"))

    class Meta:
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The distance filter's bounding box: a latitude range, then longitude, among active listings.
            models.Index(fields=["status", "latitude", "longitude"], name="listing_status_lat_lon"),
            models.Index(fields=["status", "-created_at", "-id"], name="listing_status_newest"),
            models.Index(fields=["status", "category", "-created_at"], name="listing_status_cat_newest"),
            models.Index(fields=["status", "price"], name="listing_status_price"),
            models.Index(fields=["seller", "-created_at"], name="listing_seller_newest"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("marketplace:listing_detail", args=[self.pk])

    @property
    def state(self) -> str:
        """available, reserved, sold or hidden: what buyers and the API are told."""
        if self.status == self.Status.ACTIVE:
            return "reserved" if self.reserved_at else "available"
        return self.status


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

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="photos", verbose_name=_("owner")
    )
    listing = models.ForeignKey(
        Listing, on_delete=models.CASCADE, related_name="photos", null=True, blank=True, verbose_name=_("listing")
    )
    # Display size (long side <= 1600 px), EXIF stripped, orientation applied. The original is not kept.
    image = models.ImageField(
        upload_to=photo_image_path, width_field="width", height_field="height", verbose_name=_("image")
    )
    thumbnail = models.ImageField(upload_to=photo_thumbnail_path, verbose_name=_("thumbnail"))
    # Long side at most 1024 px (a half or less of the display size): phones' screens, and what the
    # pre-fill sends the vision model, so its worker never decodes a photo. Empty on photos stored before it.
    medium = models.ImageField(upload_to=photo_medium_path, blank=True, verbose_name=_("medium"))
    width = models.PositiveIntegerField(default=0, verbose_name=_("width"))
    height = models.PositiveIntegerField(default=0, verbose_name=_("height"))
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))
    is_main = models.BooleanField(default=False, verbose_name=_("is main"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["-is_main", "position", "id"]

    def __str__(self) -> str:
        return f"Photo {self.pk}"


class Conversation(models.Model):
    """One conversation per listing and buyer."""

    listing = models.ForeignKey(
        Listing, on_delete=models.CASCADE, related_name="conversations", verbose_name=_("listing")
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations", verbose_name=_("buyer")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    # When each side was last e-mailed about a new message here: at most one e-mail per side every 15 minutes.
    buyer_emailed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("buyer emailed at"))
    seller_emailed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("seller emailed at"))

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-updated_at"]
        constraints = [models.UniqueConstraint(fields=["listing", "buyer"], name="one_conversation_per_listing_buyer")]

    def __str__(self) -> str:
        return f"{self.buyer} about {self.listing}"


MESSAGE_MAX_LENGTH = 2000


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages", verbose_name=_("conversation")
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("sender")
    )
    body = models.TextField(max_length=MESSAGE_MAX_LENGTH, verbose_name=_("body"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    read_at = models.DateTimeField(null=True, blank=True, verbose_name=_("read at"))

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "read_at"], name="message_unread")]

    def __str__(self) -> str:
        return self.body[:50]


class Report(models.Model):
    class Reason(models.TextChoices):
        SCAM = "scam", _("Scam or fraud")
        PROHIBITED = "prohibited", _("Prohibited item")
        WRONG_CATEGORY = "wrong_category", _("Wrong category")
        DUPLICATE = "duplicate", _("Duplicate")
        OTHER = "other", _("Other")

    # A report outlives its listing: a seller deleting a reported listing must not erase what was reported, so
    # who sold it and its title are kept on the report itself.
    listing = models.ForeignKey(
        Listing, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports", verbose_name=_("listing")
    )
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports_received",
        verbose_name=_("seller"),
    )
    listing_title = models.CharField(max_length=TITLE_MAX_LENGTH, blank=True, verbose_name=_("listing title"))
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports", verbose_name=_("reporter")
    )
    reason = models.CharField(max_length=20, choices=Reason.choices, verbose_name=_("reason"))
    comment = models.TextField(max_length=1000, blank=True, verbose_name=_("comment"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    resolved = models.BooleanField(default=False, verbose_name=_("resolved"))

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["resolved", "-created_at"]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.listing or self.listing_title}"


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token itself is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    key_hash = models.CharField(max_length=64, unique=True, verbose_name=_("key hash"))
    # What the person called it on the settings page ("laptop script"), so they know which one to revoke.
    name = models.CharField(max_length=60, blank=True, verbose_name=_("name"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last used at"))

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"Token for {self.user}"


class Favourite(models.Model):
    """A listing a buyer saved (the heart): the Saved page, and news when its price drops or it is sold."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites", verbose_name=_("user")
    )
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="favourites", verbose_name=_("listing"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("saved listing")
        verbose_name_plural = _("saved listings")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "listing"], name="one_favourite_per_user_listing")]

    def __str__(self) -> str:
        return f"{self.user} saved {self.listing}"


class Notice(models.Model):
    """Something the site tells one person (shown on /notices/, and e-mailed once by a task)."""

    class Kind(models.TextChoices):
        PRICE_DROP = "price_drop", _("Price drop")
        SOLD = "sold", pgettext_lazy("listing state", "Sold")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices", verbose_name=_("user")
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, verbose_name=_("kind"))
    listing = models.ForeignKey(
        Listing, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("listing")
    )
    text = models.CharField(max_length=300, verbose_name=_("text"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    read_at = models.DateTimeField(null=True, blank=True, verbose_name=_("read at"))
    emailed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("emailed at"))

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notice_unread")]

    def __str__(self) -> str:
        return self.text


class SavedSearch(models.Model):
    """A buyer's search with its filters: a daily digest of new matches, and their count on the page."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches", verbose_name=_("user")
    )
    name = models.CharField(max_length=200, verbose_name=_("name"))
    # The browse page's own parameters (q, category, min_price, max_price, near, within, sort), as strings:
    # read back through the same form, so a search saved today still means what the page means.
    params = models.JSONField(default=dict, verbose_name=_("params"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    # "New" matches are those posted after the person last opened the search.
    seen_at = models.DateTimeField(verbose_name=_("seen at"))
    # The last listing's created_at that a digest included: the next digest starts after it.
    digested_until = models.DateTimeField(verbose_name=_("digested until"))
    digest_enabled = models.BooleanField(default=True, verbose_name=_("digest enabled"))

    class Meta:
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class SavedSearchDigest(models.Model):
    """One digest e-mail sent for a search on a day; the unique pair is what makes a second one impossible."""

    search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="digests", verbose_name=_("search"))
    day = models.DateField(verbose_name=_("day"))
    listing_count = models.PositiveIntegerField(verbose_name=_("listing count"))
    sent_at = models.DateTimeField(auto_now_add=True, verbose_name=_("sent at"))

    class Meta:
        verbose_name = _("saved search digest")
        verbose_name_plural = _("saved search digests")
        constraints = [models.UniqueConstraint(fields=["search", "day"], name="one_digest_per_search_day")]

    def __str__(self) -> str:
        return f"{self.search} on {self.day}"


RATING_COMMENT_MAX_LENGTH = 500


class Rating(models.Model):
    """The buyer a sale named rates the seller once (1 to 5 and a comment); the seller may answer once."""

    listing = models.OneToOneField(Listing, on_delete=models.CASCADE, related_name="rating", verbose_name=_("listing"))
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings_received", verbose_name=_("seller")
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings_given", verbose_name=_("buyer")
    )
    stars = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)], verbose_name=_("stars")
    )
    comment = models.TextField(max_length=RATING_COMMENT_MAX_LENGTH, blank=True, verbose_name=_("comment"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    answer = models.TextField(max_length=RATING_COMMENT_MAX_LENGTH, blank=True, verbose_name=_("answer"))
    answered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("answered at"))

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["seller", "-created_at"], name="rating_seller_newest")]
        constraints = [
            models.CheckConstraint(condition=models.Q(stars__gte=1, stars__lte=5), name="rating_stars_1_to_5")
        ]

    def __str__(self) -> str:
        return f"{self.stars}/5 for {self.seller} by {self.buyer}"
