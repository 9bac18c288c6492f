"""Photo validation and renditions at the service level, with real (and really broken) files."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.errors import PhotoRejected
from marketplace.services.photos import (
    DISPLAY_MAX_SIDE,
    MEDIUM_MAX_SIDE,
    THUMBNAIL_MAX_SIDE,
    make_renditions,
    photo_create,
)
from tests.factories import bad_photo_files, jpeg_bytes

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def _upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def _encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def _open(content_file) -> Image.Image:
    content_file.seek(0)
    image = Image.open(io.BytesIO(content_file.read()))
    image.load()
    return image


def _jpeg_with_gps_and_orientation(orientation: int = 1, size=(120, 60)) -> bytes:
    image = Image.new("RGB", size, (10, 200, 10))
    # Left half red, so the test can tell which way the result was turned.
    image.paste((220, 0, 0), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "SpyCam Inc."  # Make
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (45.0, 27.0, 50.0), 3: "E", 4: (9.0, 11.0, 22.0)})
    return _encode(image, "JPEG", exif=exif.tobytes())


@pytest.mark.parametrize("case", list(bad_photo_files()))
def test_it_rejects_bad_files_with_a_sentence(case):
    name, data, content_type, sentence = bad_photo_files()[case]
    with pytest.raises(PhotoRejected) as caught:
        make_renditions(_upload(data, name, content_type))
    assert caught.value.message.startswith(sentence)


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_it_rejects_formats_other_than_jpeg_png_webp(fmt):
    data = _encode(Image.new("RGB", (40, 30), (1, 2, 3)), fmt)
    with pytest.raises(PhotoRejected) as caught:
        make_renditions(_upload(data, "photo.jpg"))
    assert "JPEG, PNG or WebP" in caught.value.message


def test_it_rejects_a_photo_above_the_megapixel_limit(settings):
    settings.PHOTO_MAX_PIXELS = 1000
    with pytest.raises(PhotoRejected) as caught:
        make_renditions(_upload(jpeg_bytes(50, 50)))
    assert "megapixels" in caught.value.message


def test_it_strips_exif_and_gps():
    renditions = make_renditions(_upload(_jpeg_with_gps_and_orientation()))
    for rendition in (renditions.display, renditions.medium, renditions.thumbnail):
        image = _open(rendition)
        assert image.format == "JPEG"
        exif = image.getexif()
        assert len(exif) == 0
        assert not exif.get_ifd(GPS_IFD)
        rendition.seek(0)
        assert b"SpyCam" not in rendition.read()


def test_it_applies_the_exif_orientation():
    # Orientation 6: the camera was turned, the picture must be rotated 90° clockwise to stand upright.
    renditions = make_renditions(_upload(_jpeg_with_gps_and_orientation(orientation=6, size=(120, 60))))
    image = _open(renditions.display)
    assert image.size == (60, 120)
    assert (renditions.width, renditions.height) == (60, 120)
    top_pixel = image.getpixel((30, 5))
    assert top_pixel[0] > 150 and top_pixel[1] < 100  # the red half is now on top


def test_it_flattens_png_transparency_onto_white():
    image = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    image.paste((0, 0, 255, 255), (0, 0, 20, 40))
    renditions = make_renditions(_upload(_encode(image, "PNG"), "photo.png", "image/png"))
    display = _open(renditions.display)
    assert display.mode == "RGB"
    assert all(channel > 240 for channel in display.getpixel((35, 20)))  # transparent -> white
    assert display.getpixel((5, 20))[2] > 200  # opaque blue stays blue


def test_it_accepts_webp():
    data = _encode(Image.new("RGB", (80, 60), (50, 100, 150)), "WEBP")
    renditions = make_renditions(_upload(data, "photo.webp", "image/webp"))
    assert _open(renditions.display).format == "JPEG"
    assert (renditions.width, renditions.height) == (80, 60)


def test_it_checks_content_not_the_name_or_content_type():
    renditions = make_renditions(_upload(jpeg_bytes(), "notes.txt", "text/plain"))
    assert _open(renditions.display).format == "JPEG"


def test_it_makes_a_display_size_a_medium_size_and_a_thumbnail():
    renditions = make_renditions(_upload(jpeg_bytes(3000, 2000)))
    assert _open(renditions.display).size == (DISPLAY_MAX_SIDE, 1067)
    assert _open(renditions.medium).size == (800, 534)  # half the display size: at most MEDIUM_MAX_SIDE
    assert _open(renditions.thumbnail).size == (THUMBNAIL_MAX_SIDE, 320)


@pytest.mark.parametrize(
    ("size", "medium"),
    [((1024, 700), (1024, 700)), ((1025, 700), (513, 350)), ((1500, 3000), (400, 800)), ((300, 200), (300, 200))],
)
def test_the_medium_size_is_the_display_size_divided_to_fit_1024_pixels(size, medium):
    renditions = make_renditions(_upload(jpeg_bytes(*size)))
    assert _open(renditions.medium).size == medium
    assert max(medium) <= MEDIUM_MAX_SIDE


@pytest.mark.django_db
def test_it_stores_photos_under_random_names(seller):
    first = photo_create(owner=seller, renditions=make_renditions(_upload(jpeg_bytes(), "my-house-address.jpg")))
    second = photo_create(owner=seller, renditions=make_renditions(_upload(jpeg_bytes(), "my-house-address.jpg")))
    names = {photo.image.name for photo in (first, second)}
    names |= {photo.medium.name for photo in (first, second)} | {photo.thumbnail.name for photo in (first, second)}
    assert len(names) == 6
    assert not any("my-house-address" in name for name in names)
    assert all(name.startswith("photos/") and name.endswith(".jpg") for name in names)
