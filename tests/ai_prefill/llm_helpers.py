"""Shared helpers for the model-layer tests: photos and a look at what the fake server received."""

import io

from PIL import ExifTags, Image

from tests.fake_openai import decode_data_url, request_image_urls


def photo_jpeg(width: int = 640, height: int = 480, color=(200, 40, 30), exif: Image.Exif | None = None) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="JPEG", quality=90, **({"exif": exif} if exif else {}))
    return out.getvalue()


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (45.0, 27.0, 50.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (9.0, 11.0, 26.0)
    return exif


def received_image(body: dict) -> bytes:
    """The one image in a request the fake server recorded, as bytes."""
    (url,) = request_image_urls(body)
    media_type, data = decode_data_url(url)
    assert media_type == "image/jpeg"
    return data
