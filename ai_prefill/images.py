"""The photo as the model sees it: small, JPEG, no metadata."""

from marketplace.services.photos import decode_photo, encode_jpeg

# With detail "low" the model looks at 512 px anyway; 1024 keeps room for "high" without resending.
MODEL_IMAGE_MAX_SIDE = 1024
MODEL_IMAGE_QUALITY = 85


def prepare_model_image(data: bytes) -> bytes:
    """JPEG bytes, long side at most 1024 px, no EXIF; big JPEGs are decoded at reduced scale (draft mode)."""
    return encode_jpeg(decode_photo(data, max_side=MODEL_IMAGE_MAX_SIDE), quality=MODEL_IMAGE_QUALITY)
