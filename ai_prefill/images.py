"""The photo as the model sees it: small, JPEG, no metadata."""

from marketplace.models import Photo
from marketplace.services.photos import decode_photo, encode_jpeg

# With detail "low" the model looks at 512 px anyway; 1024 keeps room for "high" without resending.
MODEL_IMAGE_MAX_SIDE = 1024
# Decoding at 1/4 scale makes a 4000 px photo 1000 px: still more than "low" detail looks at, and about
# a sixteenth of the pixels a 1/2-scale decode would produce.
MODEL_IMAGE_MIN_SIDE = 768
MODEL_IMAGE_QUALITY = 85


def prepare_model_image(data: bytes) -> bytes:
    """JPEG bytes, long side at most 1024 px, no EXIF; big JPEGs are decoded at reduced scale (draft mode)."""
    image = decode_photo(data, max_side=MODEL_IMAGE_MAX_SIDE, min_long_side=MODEL_IMAGE_MIN_SIDE)
    return encode_jpeg(image, quality=MODEL_IMAGE_QUALITY, for_web=False)


def photo_model_image(photo: Photo) -> tuple[bytes, str]:
    """The model-ready JPEG of a stored photo and the stored file's name (what the call record refers to).

    The medium rendition made at upload is one already (long side at most 1024 px, no EXIF), so the worker
    sends it as it is; only photos stored before it existed are decoded and downscaled here.
    """
    if photo.medium:
        with photo.medium.open("rb") as medium:
            return medium.read(), photo.medium.name
    with photo.image.open("rb") as image_file:
        return prepare_model_image(image_file.read()), photo.image.name
