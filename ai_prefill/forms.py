"""The sell page's forms: one picked photo (uploaded as soon as it is picked), and the listing posted with them."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from marketplace.forms import ListingFieldsForm, MultipleFileInput, PhotosField

# Phones offer their camera for image/*; the server still takes only JPEG, PNG and WebP (and says so).
PHOTO_ACCEPT = "image/*"


class PhotoForm(forms.Form):
    """One photo for the page. Only its presence is checked here; photo_store checks its content."""

    photo = forms.FileField(
        label=_("Photo"),
        error_messages={
            "required": _("Please pick a photo."),
            "empty": _("The file is empty. Please pick a photo."),
            "invalid": _("Please pick a photo."),
        },
    )


class SellForm(ListingFieldsForm):
    """The listing's fields and the photos not uploaded yet (without JavaScript): with the page's draft photos,
    1 to 8 in all."""

    photos = PhotosField(
        label=_("Add photos"),
        required=False,
        widget=MultipleFileInput(
            attrs={
                "aria-describedby": "id_photos_helptext",
                "accept": PHOTO_ACCEPT,
                "form": "sell-form",
                "class": "photo-drop-input",
            }
        ),
    )

    def __init__(self, *args, draft_count: int = 0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.draft_count = draft_count
        self.fields["photos"].maximum = max(settings.PHOTOS_PER_LISTING - draft_count, 0)

    def clean(self) -> dict:
        data = super().clean()
        if not self.draft_count and not data.get("photos") and "photos" not in self.errors:
            self.add_error("photos", _("Please add at least one photo."))
        return data
