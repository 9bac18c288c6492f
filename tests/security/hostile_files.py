"""Hostile uploads, made here byte by byte: files we must refuse, and odd but real photos we may accept.

Each refused file carries the start of the sentence a person gets; the accepted ones carry bytes that must
never reach the stored photo (markup, metadata), since we keep only our own re-encoding.
"""

import functools
import io
import random
import struct
import zlib
from dataclasses import dataclass

from PIL import Image, PngImagePlugin

from tests.factories import bad_photo_files, jpeg_bytes, png_bytes

NOT_READABLE = "The file is not a photo we can read. Please upload a JPEG, PNG or WebP image."
DAMAGED = "The photo file is damaged or incomplete."
TOO_MANY_PIXELS = "The photo has too many pixels"
SCRIPT = b"<script>alert(document.cookie)</script>"


@dataclass(frozen=True)
class HostileFile:
    name: str
    data: bytes
    content_type: str
    sentence: str = ""  # refused: how the sentence starts; accepted: empty
    payload: bytes = b""  # accepted: bytes that must not survive into the stored photo


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def _png_chunk(kind: bytes, body: bytes, crc: int | None = None) -> bytes:
    crc = zlib.crc32(kind + body) if crc is None else crc
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def _png_header(width: int = 64, height: int = 48) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)


def _jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(jpeg_bytes(8, 8))
    start_of_frame = data.index(b"\xff\xc0")
    data[start_of_frame + 5 : start_of_frame + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def _noisy_jpeg(width: int = 64, height: int = 48) -> bytes:
    return _encode(Image.frombytes("RGB", (width, height), _garbage(width * height * 3)), "JPEG")


def _psd(width: int = 8, height: int = 8) -> bytes:
    """A minimal Photoshop file (Pillow reads PSD but cannot write it): RGB, 8 bits, raw pixels."""
    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, height, width, 8, 3)
    sections = struct.pack(">III", 0, 0, 0) + struct.pack(">H", 0)
    return header + sections + bytes(width * height * 3)


def _animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (40, 30), color) for color in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    if fmt == "GIF":
        frames = [frame.convert("P") for frame in frames]
    return _encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)


def _exif_jpeg(tiff: bytes) -> bytes:
    """A JPEG whose APP1 segment holds the given (possibly broken) TIFF structure as its EXIF."""
    payload = b"Exif\0\0" + tiff
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    data = jpeg_bytes()
    return data[:2] + segment + data[2:]


def _tiff(entries: list[bytes], *, next_ifd: int = 0, extra: bytes = b"") -> bytes:
    return b"MM" + struct.pack(">HIH", 42, 8, len(entries)) + b"".join(entries) + struct.pack(">I", next_ifd) + extra


def _ifd_entry(tag: int, kind: int, count: int, value: bytes) -> bytes:
    return struct.pack(">HHI", tag, kind, count) + value


ORIENTATION_6 = _ifd_entry(0x0112, 3, 1, struct.pack(">HH", 6, 0))
MAKE = 0x010F


@functools.cache
def refused_files() -> dict[str, HostileFile]:
    """Uploads every photo surface must refuse with a sentence (and store nothing of)."""
    files = {
        name: HostileFile(file_name, data, content_type, sentence)
        for name, (file_name, data, content_type, sentence) in bad_photo_files().items()
    }
    png = png_bytes()
    jpeg = _noisy_jpeg()
    start_of_scan = jpeg.index(b"\xff\xda")
    webp = _encode(Image.new("RGB", (64, 48), (5, 5, 5)), "WEBP")
    picture = Image.new("RGB", (40, 30), (1, 2, 3))
    files |= {
        "30,000 x 30,000 jpeg header": HostileFile(
            "bomb.jpg", _jpeg_claiming(30_000, 30_000), "image/jpeg", TOO_MANY_PIXELS
        ),
        "polyglot: png header, then html": HostileFile(
            "photo.png", _png_header() + b"<html><body>" + SCRIPT + b"</body></html>", "image/png", NOT_READABLE
        ),
        "html named .png": HostileFile("photo.png", b"<html>" + SCRIPT + b"</html>", "image/png", NOT_READABLE),
        "png whose header fails its checksum": HostileFile(
            "photo.png", png[:29] + b"\0\0\0\0" + png[33:], "image/png", NOT_READABLE
        ),
        "png with corrupt pixel data": HostileFile(
            "photo.png",
            _png_header() + _png_chunk(b"IDAT", b"\x78\x9c" + _garbage(200)) + _png_chunk(b"IEND", b""),
            "image/png",
            DAMAGED,
        ),
        "png with no pixel data": HostileFile(
            "photo.png", _png_header() + _png_chunk(b"IEND", b""), "image/png", DAMAGED
        ),
        "jpeg with garbage for its scan": HostileFile(
            "photo.jpg", jpeg[: start_of_scan + 20] + _garbage(3000) + b"\xff\xd9", "image/jpeg", DAMAGED
        ),
        "jpeg that ends before its scan": HostileFile(
            "photo.jpg", jpeg[:start_of_scan] + b"\xff\xd9", "image/jpeg", DAMAGED
        ),
        "truncated webp": HostileFile("photo.webp", webp[:30], "image/webp", DAMAGED),
        "tiff": HostileFile("photo.tiff", _encode(picture, "TIFF"), "image/tiff", NOT_READABLE),
        "eps": HostileFile("photo.eps", _encode(picture, "EPS"), "application/postscript", NOT_READABLE),
        "psd": HostileFile("photo.psd", _psd(), "image/vnd.adobe.photoshop", NOT_READABLE),
        "ico": HostileFile("favicon.ico", _encode(picture, "ICO"), "image/x-icon", NOT_READABLE),
        "bmp": HostileFile("photo.bmp", _encode(picture, "BMP"), "image/bmp", NOT_READABLE),
        "animated gif": HostileFile("anim.gif", _animated("GIF"), "image/gif", NOT_READABLE),
        "pdf": HostileFile("photo.pdf", _encode(picture, "PDF"), "application/pdf", NOT_READABLE),
        "tiff named .jpg": HostileFile("photo.jpg", _encode(picture, "TIFF"), "image/jpeg", NOT_READABLE),
    }
    return files


@functools.cache
def accepted_files() -> dict[str, HostileFile]:
    """Real photos with something odd about them: accepted, but only as our own re-encoded JPEG."""
    picture = Image.new("RGB", (40, 30), (20, 120, 200))
    long_comment = PngImagePlugin.PngInfo()
    long_comment.add_text("comment", SCRIPT.decode() + "x" * 100_000)
    traversal_name = "../" * 50 + "a" * 146 + ".jpg"
    return {
        "jpeg whose comment holds a script": HostileFile(
            "photo.jpg", _encode(picture, "JPEG", comment=SCRIPT), "image/jpeg", payload=SCRIPT
        ),
        "polyglot: complete png, then html": HostileFile(
            "photo.png", png_bytes() + b"<html>" + SCRIPT + b"</html>", "image/png", payload=SCRIPT
        ),
        "png with a 100 KB script comment": HostileFile(
            "photo.png", _encode(picture, "PNG", pnginfo=long_comment), "image/png", payload=SCRIPT
        ),
        "exif with 65,535 entries claimed": HostileFile(
            "photo.jpg", _exif_jpeg(b"MM" + struct.pack(">HIH", 42, 8, 0xFFFF)), "image/jpeg", payload=b"Exif\0\0"
        ),
        "exif ifd offset past the end": HostileFile(
            "photo.jpg", _exif_jpeg(b"MM" + struct.pack(">HI", 42, 0xFFFFFFF0)), "image/jpeg", payload=b"Exif\0\0"
        ),
        "exif ifd that loops onto itself": HostileFile(
            "photo.jpg", _exif_jpeg(_tiff([ORIENTATION_6], next_ifd=8)), "image/jpeg", payload=b"Exif\0\0"
        ),
        "exif tag claiming 2 GB of data": HostileFile(
            "photo.jpg",
            _exif_jpeg(_tiff([ORIENTATION_6, _ifd_entry(MAKE, 2, 0x7FFFFFFF, struct.pack(">I", 8))])),
            "image/jpeg",
            payload=b"Exif\0\0",
        ),
        "exif orientation as text": HostileFile(
            "photo.jpg", _exif_jpeg(_tiff([_ifd_entry(0x0112, 2, 4, b"<b>\0")])), "image/jpeg", payload=b"Exif\0\0"
        ),
        "exif sub-ifd pointing at itself": HostileFile(
            "photo.jpg",
            _exif_jpeg(_tiff([ORIENTATION_6, _ifd_entry(0x8769, 4, 1, struct.pack(">I", 8))])),
            "image/jpeg",
            payload=b"Exif\0\0",
        ),
        "cmyk jpeg": HostileFile(
            "photo.jpg", _encode(Image.new("CMYK", (40, 30), (0, 90, 90, 0)), "JPEG"), "image/jpeg"
        ),
        "16-bit grey png": HostileFile("photo.png", _encode(Image.new("I;16", (40, 30), 30_000), "PNG"), "image/png"),
        "20,000 x 1 jpeg": HostileFile("line.jpg", _encode(Image.new("RGB", (20_000, 1)), "JPEG"), "image/jpeg"),
        "animated webp": HostileFile("anim.webp", _animated("WEBP"), "image/webp"),
        "300-character name climbing out with ../": HostileFile(traversal_name, jpeg_bytes(), "image/jpeg"),
    }


def _garbage(size: int) -> bytes:
    """Fixed bytes, not os.urandom: libjpeg decodes about one random scan in fifteen without complaint,
    which made the "damaged JPEG" case fail at random."""
    return random.Random(size).randbytes(size)
