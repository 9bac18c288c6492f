"""Photo validation and renditions: checked by content, re-encoded without EXIF, never served as uploaded."""

import io
import math
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import PhotoRejected
from marketplace.models import Photo

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
DISPLAY_MAX_SIDE = 1600
MEDIUM_MAX_SIDE = 1024
THUMBNAIL_MAX_SIDE = 480
JPEG_QUALITY = 85

# Pillow's own guard fires at twice this many pixels as an error, and warns above it; we treat the
# warning as an error too (see decode_photo), so this is the hard ceiling for anything Pillow opens.
Image.MAX_IMAGE_PIXELS = max(settings.PHOTO_MAX_PIXELS, 1)


@dataclass(frozen=True)
class Renditions:
    display: ContentFile
    medium: ContentFile
    thumbnail: ContentFile
    width: int
    height: int


def _too_large(limit: int) -> str:
    return gettext("The photo is larger than %(megabytes)d MB. Please pick a smaller one.") % {
        "megabytes": limit // (1024 * 1024)
    }


def read_upload(upload) -> bytes:
    """Read an uploaded file, refusing empty and oversized ones before anything decodes them."""
    limit = settings.PHOTO_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise PhotoRejected(_too_large(limit))
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise PhotoRejected(_too_large(limit))
    if not data:
        raise PhotoRejected(gettext("The file is empty. Please pick a photo."))
    return data


def decode_photo(data: bytes, *, max_side: int, min_long_side: int | None = None) -> Image.Image:
    """Decode a JPEG, PNG or WebP into an upright RGB image whose long side is at most max_side.

    Big JPEGs are decoded at a reduced scale (draft mode: 1/2, 1/4 or 1/8 in the decoder itself), so a
    12-megapixel photo is never held at full size; the scale keeps the long side at least min_long_side
    (default max_side). Raises PhotoRejected for anything that is not such a photo, whatever its name says.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
            width, height = image.size
            if width * height > settings.PHOTO_MAX_PIXELS:
                raise PhotoRejected(
                    gettext("The photo is %(width)d × %(height)d pixels; we accept at most %(megapixels)d megapixels.")
                    % {"width": width, "height": height, "megapixels": settings.PHOTO_MAX_PIXELS // 1_000_000}
                )
            if width < 1 or height < 1:
                raise PhotoRejected(gettext("The file is not a photo we can read."))
            if image.format == "JPEG":
                # A box of the photo's own shape: a square one would keep a 4:3 photo at full scale.
                # Rotating by EXIF later swaps the sides but not the scale.
                ratio = (min_long_side or max_side) / max(width, height)
                if ratio < 1:
                    image.draft("RGB", (math.ceil(width * ratio), math.ceil(height * ratio)))
            exif_orientation = image.getexif().get(0x0112)
            image.load()
        except PhotoRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoRejected(
                gettext("The photo has too many pixels; we accept at most %(megapixels)d megapixels.")
                % {"megapixels": settings.PHOTO_MAX_PIXELS // 1_000_000}
            ) from None
        except UnidentifiedImageError:
            raise PhotoRejected(
                gettext("The file is not a photo we can read. Please upload a JPEG, PNG or WebP image.")
            ) from None
        except (OSError, SyntaxError, ValueError, EOFError, Image.UnidentifiedImageError):
            raise PhotoRejected(gettext("The photo file is damaged or incomplete. Please try another one.")) from None

    if exif_orientation and exif_orientation != 1:
        image = ImageOps.exif_transpose(image)
    image = _to_rgb(image)
    # Only the pixels go on: Pillow would copy a JPEG or PNG comment into every JPEG we write (a stranger's
    # markup served as ours), and fail on one longer than a JPEG segment holds.
    image.info = {}
    if max(image.size) > max_side:
        scale = max_side / max(image.size)
        size = (max(round(image.width * scale), 1), max(round(image.height * scale), 1))
        # After the draft decode this is a small step down (2000 to 1600 px for a 12 MP photo), where bicubic
        # keeps as much detail as Lanczos at two thirds of the time. Banding it over threads did not pay
        # (bench/resize.py).
        image = image.resize(size, Image.Resampling.BICUBIC)
    return image


def encode_jpeg(image: Image.Image, *, quality: int = JPEG_QUALITY, for_web: bool = True) -> bytes:
    """JPEG bytes with no metadata: Pillow writes EXIF only when asked to.

    for_web: optimised Huffman tables, 10-15% smaller for browsers at twice the encoding time; off for
    the model. Baseline, not progressive: progressive would save another 2% and take twice as long again.
    """
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, optimize=for_web)
    return out.getvalue()


def make_renditions(upload) -> Renditions:
    """Validate an upload and make the display, medium and thumbnail JPEGs; the original bytes are dropped.

    One decode serves all three: each smaller rendition is made from the one before it, so a 12 MP photo
    is decoded once, at half scale, and only that half-scale image is resampled in full.
    """
    data = read_upload(upload)
    display = decode_photo(data, max_side=DISPLAY_MAX_SIDE)
    display_jpeg = encode_jpeg(display)
    # An integer factor (1600 to 800 px) is a plain box average, ten times faster than resampling.
    medium = display.reduce(math.ceil(max(display.size) / MEDIUM_MAX_SIDE))
    thumbnail = medium.copy()
    thumbnail.thumbnail((THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE), Image.Resampling.LANCZOS)
    return Renditions(
        display=ContentFile(display_jpeg, name="photo.jpg"),
        medium=ContentFile(display_jpeg if medium.size == display.size else encode_jpeg(medium), name="medium.jpg"),
        thumbnail=ContentFile(encode_jpeg(thumbnail, quality=80), name="thumb.jpg"),
        width=display.width,
        height=display.height,
    )


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def photo_create(*, owner, renditions: Renditions, listing=None, position: int = 0, is_main: bool = False) -> Photo:
    """Store a validated photo's renditions under random names."""
    photo = Photo(owner=owner, listing=listing, position=position, is_main=is_main)
    photo.image.save("photo.jpg", renditions.display, save=False)
    photo.medium.save("medium.jpg", renditions.medium, save=False)
    photo.thumbnail.save("thumb.jpg", renditions.thumbnail, save=False)
    try:
        photo.save()
    except Exception:
        photo_delete_files(photo)
        raise
    return photo


def photo_delete_files(photo: Photo) -> None:
    """Remove a photo's stored renditions (its row is the caller's business)."""
    for field in (photo.image, photo.medium, photo.thumbnail):
        if field:
            field.delete(save=False)
