"""Forms parse and check the shape of input; the rules live in the services they feed."""

import re
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.urls import reverse
from django.utils.formats import get_format
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.translation import get_language_info, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from marketplace.attributes import ATTRIBUTE_VALUE_MAX_LENGTH, attribute_choice_label
from marketplace.languages import in_language_of
from marketplace.models import (
    DESCRIPTION_MAX_LENGTH,
    MESSAGE_MAX_LENGTH,
    PRICE_MAX,
    TITLE_MAX_LENGTH,
    ApiToken,
    Category,
    CategoryAttribute,
    Condition,
    Report,
    User,
)
from marketplace.places import RADII_KM, Place, place_find, place_get
from marketplace.selectors import SORTS, ListingFilters, category_attributes
from marketplace.services.listings import ListingData
from marketplace.services.reports import COMMENT_MAX_LENGTH
from marketplace.templatetags.trova import euro
from marketplace.text import price_digits_ascii, text_clean

DECIMAL_COMMA = re.compile(r"\d*,\d{1,2}")
DOTTED_THOUSANDS = re.compile(r"\d{1,3}(\.\d{3})+")
# Formatted when shown, in the language of the page (the price's format too).
PRICE_TOO_HIGH = lazy(lambda: gettext("The price can be at most %(price)s.") % {"price": euro(PRICE_MAX)}, str)()
PRICE_ERRORS = {
    "required": _("Please enter a price."),
    "invalid": _("Please enter the price as a number, like 25 or 12.50."),
    "min_value": _("The price cannot be negative."),
    "max_value": PRICE_TOO_HIGH,
    "max_digits": PRICE_TOO_HIGH,
    "max_decimal_places": _("Please use at most two decimals for cents."),
    "max_whole_digits": PRICE_TOO_HIGH,
}


def price_number(text: str) -> str:
    """A typed price with "." as its decimal point and no grouping, whether typed the English or the Italian way.

    With both marks, the last one is the decimal point ("1,250.50", "1.250,50"). A lone comma before one or two
    digits is a decimal comma ("12,50"), otherwise it groups thousands ("1,250"). Dots in thousands ("1.250",
    "1.250.000") group only where the page's language writes numbers so; elsewhere "1.250" is one and a quarter.
    """
    if "," in text and "." in text:
        grouping = "," if text.rfind(".") > text.rfind(",") else "."
        return text.replace(grouping, "").replace(",", ".")
    if "," in text:
        return text.replace(",", "." if DECIMAL_COMMA.fullmatch(text) else "")
    if get_format("DECIMAL_SEPARATOR") == "," and DOTTED_THOUSANDS.fullmatch(text):
        return text.replace(".", "")
    return text


def add_domain_error(form: forms.Form, error: DomainError, *, field: str | None = None) -> None:
    """Show a service's sentence on the form: on the fields it names, else on `field`, else on top."""
    field_errors = getattr(error, "errors", None) or {}
    shown = False
    for name, messages in field_errors.items():
        if name in form.fields:
            for message in messages:
                form.add_error(name, message)
            shown = True
    if not shown:
        form.add_error(field if field in form.fields else None, error.message)


class TextField(forms.CharField):
    """A CharField under the site's text rule (marketplace.text): normalised and cleaned before its length check."""

    def to_python(self, value):
        return super().to_python(text_clean(value) if isinstance(value, str) else value)


class CategoryChoiceField(forms.ModelChoiceField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("error_messages", {"invalid_choice": _("Please pick a category from the list.")})
        super().__init__(queryset=Category.objects.all(), to_field_name="slug", **kwargs)


class PriceField(forms.DecimalField):
    """A euro amount as people type it: "12,50", "€ 1,250" and "1 250" are read as numbers too."""

    widget = forms.TextInput

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        # A text input: a number input would silently blank what it cannot parse, losing what was typed.
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
        # A stored price is shown the page's way ("12,50" in Italian), without grouping. Only the widget: a localized
        # field would also run Django's sanitize_separators on input, which reads "12.50" as 1250 in Italian.
        self.widget.is_localized = True

    def to_python(self, value):
        if isinstance(value, str):
            value = price_number(re.sub(r"[\s€]", "", price_digits_ascii(value)))
        return super().to_python(value)


class PlaceInput(forms.TextInput):
    """A text input whose suggestions (a datalist) come from the place list as the person types, via htmx."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = dict(attrs or {})
        options_id = f"{attrs.get('id') or name}_options"
        attrs.update(
            {
                "list": options_id,
                "autocomplete": "off",
                "placeholder": gettext("Town, e.g. Bologna"),
                "hx-get": reverse("marketplace:place_suggest"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": f"#{options_id}",
                "hx-sync": "this:replace",
            }
        )
        return super().render(name, value, attrs, renderer) + format_html('<datalist id="{}"></datalist>', options_id)


class PlaceField(forms.CharField):
    """A town from marketplace/places.py, typed by its name; cleaned to a Place (or None when left empty)."""

    widget = PlaceInput

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 120)
        super().__init__(**kwargs)

    def clean(self, value) -> Place | None:
        text = super().clean(value)
        if not text:
            return None
        place = place_find(text)
        if place is None:
            raise forms.ValidationError(
                gettext("We don't know a town called “%(town)s”. Please pick one from the list.") % {"town": text}
            )
        return place


def place_initial(user) -> str:
    """The label of the user's last place, the default of their next listing."""
    place = place_get(getattr(user, "last_place_geonameid", None))
    return place.label if place else ""


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.Field):
    """Several uploaded files. Only their number is checked here; photos.py checks their content."""

    widget = MultipleFileInput

    def __init__(self, *, maximum: int = settings.PHOTOS_PER_LISTING, **kwargs) -> None:
        self.maximum = maximum
        kwargs.setdefault("error_messages", {"required": _("Please add at least one photo.")})
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", "image/jpeg,image/png,image/webp")

    def to_python(self, data) -> list:
        if not data:
            return []
        return list(data) if isinstance(data, list | tuple) else [data]

    def validate(self, value: list) -> None:
        super().validate(value)
        if len(value) > self.maximum:
            sentence = ngettext(
                "Please pick at most %(maximum)d photo (you picked %(count)d).",
                "Please pick at most %(maximum)d photos (you picked %(count)d).",
                self.maximum,
            )
            raise forms.ValidationError(sentence % {"maximum": self.maximum, "count": len(value)})


def attribute_field(attribute: CategoryAttribute, *, filter_: bool = False) -> forms.Field:
    """The input of an item detail: a select for a closed list (the colours), else free text."""
    label = attribute.name_translated
    if attribute.choices:
        empty = gettext("Any %(detail)s") if filter_ else gettext("Choose %(detail)s")
        choices = [("", empty % {"detail": label.lower()})]
        choices += [(choice, attribute_choice_label(choice)) for choice in attribute.choices]
        return forms.ChoiceField(
            label=label,
            required=False,
            choices=choices,
            error_messages={
                "invalid_choice": gettext("Please pick a %(detail)s from the list.") % {"detail": label.lower()}
            },
        )
    return TextField(
        label=label,
        required=False,
        max_length=ATTRIBUTE_VALUE_MAX_LENGTH,
        error_messages={
            # %% survives this formatting as the %(show_value)d that Django's validator fills in.
            "max_length": gettext("%(detail)s can be at most %(limit)d characters long (it has %%(show_value)d).")
            % {"detail": label, "limit": ATTRIBUTE_VALUE_MAX_LENGTH}
        },
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


def attribute_fields_by_slug(attributes_by_category: dict[str, list[CategoryAttribute]]) -> dict:
    """One CategoryAttribute per slug, in taxonomy order: a slug means the same in every category."""
    by_slug: dict[str, CategoryAttribute] = {}
    for attributes in attributes_by_category.values():
        for attribute in attributes:
            by_slug.setdefault(attribute.slug, attribute)
    return by_slug


class ListingFieldsForm(forms.Form):
    """The listing's own fields, shared by the sell and edit pages (and the pre-fill's targets).

    Beside them, one input per item detail of any category, named by its slug (`brand`, id `id_brand`):
    the page shows those of the chosen category (marketplace/listing_fields.js), and only those are kept.
    """

    title = TextField(
        label=_("Title"),
        max_length=TITLE_MAX_LENGTH,
        error_messages={
            "required": _("Please give your listing a title."),
            "max_length": _("The title can be at most %(limit_value)d characters long (it has %(show_value)d)."),
        },
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Oak dining table, seats 6"), "autocomplete": "off"}),
    )
    description = TextField(
        label=_("Description"),
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        error_messages={
            "max_length": _("The description can be at most %(limit_value)d characters long (it has %(show_value)d).")
        },
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": _("Size, age, condition, what is included…")}),
    )
    category = CategoryChoiceField(
        label=_("Category"),
        empty_label=_("Choose a category"),
        error_messages={
            "required": _("Please pick a category."),
            "invalid_choice": _("Please pick a category from the list."),
        },
    )
    price = PriceField(
        label=_("Price"),
        min_value=Decimal("0"),
        max_value=PRICE_MAX,
        max_digits=10,
        decimal_places=2,
        error_messages=PRICE_ERRORS,
    )
    condition = forms.ChoiceField(
        label=_("Condition"),
        choices=[("", _("Choose a condition")), *Condition.choices],
        error_messages={
            "required": _("Please pick a condition."),
            "invalid_choice": _("Please pick a condition from the list."),
        },
    )

    place = PlaceField(
        required=False,
        label=_("Town"),
        help_text=_("Only the town is shown, never an address. Buyers search by distance from it."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.attributes_by_category = {
            slug: [attribute for attribute in attributes if attribute.slug not in self.fields]
            for slug, attributes in category_attributes().items()
        }
        self.attribute_slugs = list(attribute_fields_by_slug(self.attributes_by_category))
        for slug, attribute in attribute_fields_by_slug(self.attributes_by_category).items():
            self.fields[slug] = attribute_field(attribute)

    def attribute_rows(self) -> list[tuple[forms.BoundField, bool]]:
        """Each detail's input, and whether the chosen category has it (the others are rendered hidden)."""
        shown = set(self.category_attribute_slugs().get(self.shown_category(), []))
        return [(self[slug], slug in shown) for slug in self.attribute_slugs]

    def attributes_shown(self) -> bool:
        return bool(self.category_attribute_slugs().get(self.shown_category()))

    def category_attribute_slugs(self) -> dict[str, list[str]]:
        """For the page's script: which inputs each category shows."""
        return {slug: [a.slug for a in attributes] for slug, attributes in self.attributes_by_category.items()}

    def shown_category(self) -> str:
        """The category whose details are shown before any script runs: the chosen one, posted or initial."""
        value = self["category"].value()
        return getattr(value, "slug", value) or ""

    def listing_data(self) -> ListingData:
        data = self.cleaned_data
        category = data["category"]
        slugs = [attribute.slug for attribute in self.attributes_by_category.get(category.slug, [])]
        return ListingData(
            title=data["title"],
            description=data["description"],
            category=category,
            price=data["price"],
            condition=data["condition"],
            place=data.get("place"),
            attributes={slug: data.get(slug) or "" for slug in slugs},
        )


class PhotosAddForm(forms.Form):
    photos = PhotosField(label=_("Add photos"))


class BrowseForm(forms.Form):
    """The browse filters. A bad value is dropped with a note; the rest of the search still runs."""

    q = forms.CharField(required=False, max_length=200, label=_("Search"))
    category = forms.ChoiceField(required=False)
    min_price = PriceField(required=False, min_value=Decimal("0"), max_digits=12, decimal_places=2)
    max_price = PriceField(required=False, min_value=Decimal("0"), max_digits=12, decimal_places=2)
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("", _("Best match")),
            ("newest", _("Newest first")),
            ("price_asc", _("Lowest price")),
            ("price_desc", _("Highest price")),
            ("distance", _("Nearest first")),
        ],
    )
    near = PlaceField(required=False, label=_("Near"))
    within = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label=_("Within"),
        choices=[("", _("Any distance")), *((km, f"{km} km") for km in RADII_KM)],
    )

    NOTES = {
        "q": _("The search text was too long, so we searched without it."),
        "category": _("We don't know that category, so we show every category."),
        "min_price": _("The minimum price is not a number of 0 or more, so we ignored it."),
        "max_price": _("The maximum price is not a number of 0 or more, so we ignored it."),
        "sort": _("We don't know that sort order, so we show the newest first."),
        "near": _("We don't know that town, so we searched everywhere."),
        "within": _("We don't know that distance, so we searched at any distance from the town."),
    }

    def __init__(self, *args, categories: list[Category], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories"))] + [
            (c.slug, c.name_translated) for c in categories
        ]
        # From the categories the page has already read: one query for the details, not two.
        self.attributes_by_category = {category.slug: [] for category in categories}
        slug_of = {category.pk: category.slug for category in categories}
        for attribute in CategoryAttribute.objects.filter(category__in=categories).order_by("position", "slug"):
            if attribute.slug not in self.fields:
                self.attributes_by_category[slug_of[attribute.category_id]].append(attribute)
        self.attribute_slugs = list(attribute_fields_by_slug(self.attributes_by_category))
        for slug, attribute in attribute_fields_by_slug(self.attributes_by_category).items():
            self.fields[slug] = attribute_field(attribute, filter_=True)
        self.fields["min_price"].widget.attrs["placeholder"] = gettext("Min €")
        self.fields["max_price"].widget.attrs["placeholder"] = gettext("Max €")
        self.fields["q"].widget.attrs["placeholder"] = gettext("Search listings")
        self.fields["q"].widget.input_type = "search"

    def filters(self) -> tuple[ListingFilters, list[str]]:
        """The valid filters and a note for each value that was ignored."""
        self.is_valid()
        data = self.cleaned_data
        notes = [str(self.NOTES[name]) for name in self.errors if name in self.NOTES]
        min_price, max_price = data.get("min_price"), data.get("max_price")
        if min_price is not None and max_price is not None and min_price > max_price:
            notes.append(gettext("The minimum price is above the maximum, so we swapped them."))
            min_price, max_price = max_price, min_price
        sort = data.get("sort") or ""
        near = data.get("near")
        if near is None and sort == "distance":
            notes.append(
                gettext("Pick a town to sort by distance from it; here are the best matches, or the newest, first.")
            )
        if near is None and data.get("within") and "near" not in self.errors:
            notes.append(gettext("Pick a town to search within a distance of it."))
        attribute_notes = {slug: self.fields[slug].label for slug in self.attribute_slugs if slug in self.errors}
        notes += [
            gettext("We can't search by that %(detail)s, so we ignored it.") % {"detail": label.lower()}
            for label in attribute_notes.values()
        ]
        filters = ListingFilters(
            attributes={slug: data[slug] for slug in self.attribute_slugs if data.get(slug)},
            q=data.get("q") or "",
            category=data.get("category") or "",
            min_price=min_price,
            max_price=max_price,
            sort=sort if sort in SORTS else "",
            near=near,
            within_km=data.get("within") if near is not None else None,
        )
        return filters, notes

    def category_attribute_slugs(self) -> dict[str, list[str]]:
        """For the page's script: which filters each category shows ("": no category, the common ones)."""
        by_category = {slug: [a.slug for a in attributes] for slug, attributes in self.attributes_by_category.items()}
        return {"": self.common_attribute_slugs(), **by_category}

    def common_attribute_slugs(self) -> list[str]:
        """The details more than half the categories have (brand, colour): the filters shown for all categories."""
        counts: dict[str, int] = {}
        for attributes in self.attributes_by_category.values():
            for attribute in attributes:
                counts[attribute.slug] = counts.get(attribute.slug, 0) + 1
        return [slug for slug in self.attribute_slugs if counts[slug] * 2 > len(self.attributes_by_category)]

    def attribute_rows(self) -> list[tuple[forms.BoundField, bool]]:
        """Each detail's filter, and whether it is shown: the chosen category's (or the common ones), or in use."""
        category = self.data.get("category", "") if self.is_bound else ""
        slugs = self.category_attribute_slugs()
        shown = set(slugs.get(category, slugs[""]))
        return [(self[slug], slug in shown or bool(self[slug].value())) for slug in self.attribute_slugs]


class MessageForm(forms.Form):
    body = TextField(
        label=_("Message"),
        max_length=MESSAGE_MAX_LENGTH,
        error_messages={
            "required": _("Please write a message."),
            "max_length": _("A message can be at most %(limit_value)d characters long (it has %(show_value)d)."),
        },
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        choices=Report.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please pick a reason."),
            "invalid_choice": _("Please pick a reason from the list."),
        },
    )
    comment = TextField(
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        label=_("Anything else we should know?"),
        error_messages={
            "max_length": _("The comment can be at most %(limit_value)d characters long (it has %(show_value)d).")
        },
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class SignupForm(forms.Form):
    username = TextField(
        max_length=150,
        label=_("Username"),
        help_text=_("Letters, digits and @ . + - _ only. You log in with it."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    display_name = TextField(
        max_length=User._meta.get_field("display_name").max_length,
        label=_("Display name"),
        help_text=_("What buyers and sellers see, e.g. “Anna R.”"),
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    email = forms.EmailField(
        label=_("E-mail"),
        help_text=_("Never shown to other people."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        strip=False, label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password_again = forms.CharField(
        strip=False, label=_("Password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", gettext("The two passwords are not the same."))
        return data


class ProfileForm(forms.Form):
    display_name = SignupForm.base_fields["display_name"]


class EmailChangeForm(forms.Form):
    email = forms.EmailField(
        label=_("New e-mail address"),
        help_text=_("We send a link there; your account keeps the current address until you follow it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        strip=False,
        label=_("Current password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class NotificationsForm(forms.Form):
    email_notifications = forms.BooleanField(
        required=False, label=User._meta.get_field("email_notifications").verbose_name
    )


def language_choices() -> list[tuple[str, str]]:
    """Each language named in itself ("Italiano"), so a person who cannot read the page still finds theirs."""
    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        required=False,
        label=_("Language of the site and of our e-mails"),
        help_text=_("“The browser's” follows your browser's language on pages; e-mails are then in English."),
        error_messages={"invalid_choice": _("Please pick a language from the list.")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("The browser's")), *language_choices()]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=ApiToken._meta.get_field("name").max_length,
        required=False,
        label=_("Token name"),
        help_text=_("So you know later which script uses it, e.g. “price export”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        strip=False,
        label=_("Your password"),
        help_text=_("To be sure it is you."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's, with the mail in the account's language rather than that of the page it was asked from."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs) -> None:
        with in_language_of(context["user"]):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)
