"""The sell page's forms: the photo that starts an analysis, and the listing posted from it (or by hand)."""

from django import forms
from django.conf import settings

from marketplace.forms import ListingFieldsForm, MultipleFileInput, PhotosField

PHOTO_ACCEPT = "image/jpeg,image/png,image/webp"


class PhotoForm(forms.Form):
    """One photo to analyse. Only its presence is checked here; analysis_start checks its content."""

    photo = forms.FileField(
        label="Photo",
        error_messages={
            "required": "Please pick a photo.",
            "empty": "The file is empty. Please pick a photo.",
            "invalid": "Please pick a photo.",
        },
    )


class SellForm(ListingFieldsForm):
    """The listing's fields and its photos: 1 to 8 uploads, or the analysed photo plus up to 7 more."""

    photos = PhotosField(
        label="Photos",
        required=False,
        widget=MultipleFileInput(attrs={"aria-describedby": "id_photos_helptext", "accept": PHOTO_ACCEPT}),
    )
    main_photo = forms.TypedChoiceField(
        label="Main photo",
        coerce=int,
        initial=0,
        required=False,
        empty_value=0,
        help_text="The one shown first, in search results.",
        error_messages={"invalid_choice": "Please pick which photo is the main one."},
    )

    def __init__(self, *args, analysed_photo: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.analysed_photo = analysed_photo
        limit = settings.PHOTOS_PER_LISTING
        self.fields["photos"].maximum = limit - 1 if analysed_photo else limit
        if analysed_photo:
            self.fields["photos"].label = "More photos"
        choices = [(index, f"Photo {index + 1}") for index in range(limit)]
        if analysed_photo:
            choices[0] = (0, "Photo 1 (the analysed one)")
        self.fields["main_photo"].choices = choices

    def clean(self) -> dict:
        data = super().clean()
        if not self.analysed_photo and not data.get("photos") and "photos" not in self.errors:
            self.add_error("photos", "Please add at least one photo.")
        return data
