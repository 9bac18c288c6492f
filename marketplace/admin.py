from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from marketplace.models import (
    ApiToken,
    Category,
    CategoryAttribute,
    Conversation,
    Listing,
    Message,
    Photo,
    Rating,
    Report,
    SavedSearch,
    User,
)
from marketplace.services.listings import listing_hide
from marketplace.services.reports import listings_hide_reported, reports_resolve


def _thumbnail(storage_name: str | None, field) -> str:
    if not storage_name:
        return "—"
    return format_html(
        '<img src="{}" alt="" class="admin-thumb">',
        field.storage.url(storage_name),
    )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "display_name", "email", "is_staff", "is_active", "date_joined")
    list_filter = (*DjangoUserAdmin.list_filter, ("deleted_at", admin.EmptyFieldListFilter))
    search_fields = ("username", "display_name", "email")
    fieldsets = (
        *DjangoUserAdmin.fieldsets[:1],
        (_("Personal info"), {"fields": ("display_name", "first_name", "last_name", "email", "email_confirmed_at")}),
        (_("Settings"), {"fields": ("email_notifications", "language")}),
        *DjangoUserAdmin.fieldsets[2:],
        # Set by the member's own deletion (services/account_data.py), never by hand.
        (_("Account deleted"), {"fields": ("deleted_at",)}),
    )
    readonly_fields = ("deleted_at",)
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "display_name", "email", "password1", "password2")}),
    )


class CategoryAttributeInline(admin.TabularInline):
    model = CategoryAttribute
    extra = 0
    fields = ("position", "slug", "name", "names", "choices", "hint")
    ordering = ("position", "slug")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    inlines = [CategoryAttributeInline]
    list_display = ("__str__", "slug", "position", "active_listings")  # the name in the staff member's language
    list_editable = ("position",)
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name", "slug")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(active=Count("listings", filter=Q(listings__status=Listing.Status.ACTIVE)))
        )

    @admin.display(description=_("Active listings"), ordering="active")
    def active_listings(self, category) -> int:
        return category.active


class PhotoInline(admin.TabularInline):
    model = Photo
    extra = 0
    fields = ("preview", "is_main", "position", "width", "height", "created_at")
    readonly_fields = ("preview", "width", "height", "created_at")
    ordering = ("-is_main", "position", "id")

    def has_add_permission(self, request, obj=None) -> bool:
        # Photos are validated and re-encoded by the service; staff reorder or drop them, never upload here.
        return False

    @admin.display(description=_("Photo"))
    def preview(self, photo) -> str:
        return _thumbnail(photo.thumbnail.name, Photo._meta.get_field("thumbnail"))


class CreatedOnTheSiteAdmin(admin.ModelAdmin):
    """Rows people create on the site, through the services' checks; staff moderate them here."""

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Listing)
class ListingAdmin(CreatedOnTheSiteAdmin):
    list_display = ("thumbnail", "title", "price", "category", "condition", "status", "seller", "created_at")
    list_display_links = ("thumbnail", "title")
    list_filter = ("status", "category", "condition", "created_at")
    search_fields = ("title", "seller__username", "seller__display_name")
    list_select_related = ("category", "seller")
    raw_id_fields = ("seller",)
    readonly_fields = ("created_at", "updated_at", "sold_at")
    date_hierarchy = "created_at"
    inlines = (PhotoInline,)
    actions = ("hide_listings",)
    show_full_result_count = False

    class Media:
        css = {"all": ["marketplace/admin.css"]}

    def get_queryset(self, request):
        main = Photo.objects.filter(listing=OuterRef("pk")).order_by("-is_main", "position", "id")
        return super().get_queryset(request).annotate(main_thumbnail=Subquery(main.values("thumbnail")[:1]))

    @admin.display(description=_("Photo"))
    def thumbnail(self, listing) -> str:
        return _thumbnail(listing.main_thumbnail, Photo._meta.get_field("thumbnail"))

    @admin.action(description=_("Hide the selected listings from the site"))
    def hide_listings(self, request, queryset) -> None:
        hidden = 0
        for listing in queryset.exclude(status=Listing.Status.HIDDEN):
            listing_hide(listing=listing)
            hidden += 1
        sentence = ngettext("%(count)d listing hidden.", "%(count)d listings hidden.", hidden) % {"count": hidden}
        self.message_user(request, sentence, messages.SUCCESS)


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ("sender", "body", "created_at", "read_at")
    readonly_fields = ("sender", "body", "created_at", "read_at")
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sender")


@admin.register(Conversation)
class ConversationAdmin(CreatedOnTheSiteAdmin):
    list_display = ("listing", "buyer", "seller", "message_count", "updated_at")
    list_select_related = ("listing__seller", "buyer")
    search_fields = ("listing__title", "buyer__username", "listing__seller__username")
    raw_id_fields = ("listing", "buyer")
    readonly_fields = ("created_at", "updated_at")
    inlines = (MessageInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(messages_total=Count("messages"))

    @admin.display(description=_("Seller"))
    def seller(self, conversation) -> str:
        return conversation.listing.seller.public_name

    @admin.display(description=_("Messages"), ordering="messages_total")
    def message_count(self, conversation) -> int:
        return conversation.messages_total


@admin.register(Message)
class MessageAdmin(CreatedOnTheSiteAdmin):
    list_display = ("short_body", "sender", "conversation", "created_at", "read_at")
    list_select_related = ("sender", "conversation__listing", "conversation__buyer")
    list_filter = (("read_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("body", "sender__username", "conversation__listing__title")
    raw_id_fields = ("conversation", "sender")
    date_hierarchy = "created_at"

    @admin.display(description=_("Message"))
    def short_body(self, message) -> str:
        return message.body[:80]


@admin.register(Report)
class ReportAdmin(CreatedOnTheSiteAdmin):
    list_display = ("reported_listing", "listing_status", "seller", "reason", "reporter", "created_at", "resolved")
    list_filter = ("resolved", "reason", "listing__status")
    list_select_related = ("listing", "seller", "reporter")
    search_fields = ("listing_title", "listing__title", "seller__username", "reporter__username", "comment")
    raw_id_fields = ("listing", "seller", "reporter")
    readonly_fields = ("created_at",)

    @admin.display(description=_("Listing"), ordering="listing_title")
    def reported_listing(self, report) -> str:
        return str(report.listing) if report.listing is not None else report.listing_title

    actions = ("hide_listing", "mark_resolved")

    @admin.display(description=_("Listing status"), ordering="listing__status")
    def listing_status(self, report) -> str:
        return report.listing.get_status_display() if report.listing is not None else gettext("Deleted by the seller")

    @admin.action(description=_("Hide the reported listings (and resolve their reports)"))
    def hide_listing(self, request, queryset) -> None:
        count = listings_hide_reported(reports=queryset)
        sentence = ngettext(
            "%(count)d listing hidden and its reports resolved.",
            "%(count)d listings hidden and their reports resolved.",
            count,
        ) % {"count": count}
        self.message_user(request, sentence, messages.SUCCESS)

    @admin.action(description=_("Mark the selected reports as resolved"))
    def mark_resolved(self, request, queryset) -> None:
        count = reports_resolve(reports=queryset)
        sentence = ngettext("%(count)d report marked as resolved.", "%(count)d reports marked as resolved.", count) % {
            "count": count
        }
        self.message_user(request, sentence, messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Staff can see and revoke tokens; `manage.py issue_token` creates them (the secret is shown once)."""

    list_display = ("user", "name", "created_at", "last_used_at")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    fields = ("user", "name", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Rating)
class RatingAdmin(CreatedOnTheSiteAdmin):
    """Staff take down an abusive comment or answer by editing it; the stars stay the buyer's."""

    list_display = ("seller", "stars", "buyer", "listing", "created_at", "answered_at")
    list_select_related = ("seller", "buyer", "listing")
    list_filter = ("stars", "created_at")
    search_fields = ("seller__username", "buyer__username", "comment", "answer")
    raw_id_fields = ("listing", "seller", "buyer")
    readonly_fields = ("stars", "created_at", "answered_at")


@admin.register(SavedSearch)
class SavedSearchAdmin(CreatedOnTheSiteAdmin):
    list_display = ("name", "user", "digest_enabled", "created_at")
    list_select_related = ("user",)
    list_filter = ("digest_enabled",)
    raw_id_fields = ("user",)
