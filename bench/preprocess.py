"""Photo preprocessing: a 12-megapixel JPEG to the model-ready JPEG, against a naive full decode.

Both paths run in this one process, interleaved, so the ratio does not depend on the machine.
"""

import io
import random
import statistics
import time

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageOps

from ai_prefill.images import MODEL_IMAGE_MAX_SIDE, MODEL_IMAGE_QUALITY, prepare_model_image
from bench.report import report
from marketplace.services.photos import make_renditions

ROUNDS = 7


def phone_photo(width: int = 4000, height: int = 3000) -> bytes:
    """A 12-megapixel JPEG that compresses like a phone photo (about 3 MB): shapes, gradients, sensor noise.

    Pure noise would be a worst case no phone produces; JPEG decoding time grows with the file's entropy.
    """
    red, green = Image.linear_gradient("L").resize((width, height)), Image.radial_gradient("L").resize((width, height))
    photo = Image.merge("RGB", (red, green, red.transpose(Image.Transpose.ROTATE_180)))
    draw = ImageDraw.Draw(photo)
    shapes = random.Random(1)
    for _ in range(60):
        x, y, size = shapes.randrange(width), shapes.randrange(height), shapes.randrange(50, 600)
        draw.ellipse((x, y, x + size, y + size * 0.7), fill=tuple(shapes.randrange(256) for _ in range(3)))
    photo = Image.blend(photo, Image.effect_noise((width, height), 20).convert("RGB"), 0.3)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 1  # Orientation
    out = io.BytesIO()
    photo.save(out, format="JPEG", quality=90, exif=exif)
    return out.getvalue()


def naive_model_image(data: bytes) -> bytes:
    """What one writes first: decode every pixel, then shrink."""
    image = Image.open(io.BytesIO(data))
    image.load()
    image = ImageOps.exif_transpose(image).convert("RGB")
    scale = MODEL_IMAGE_MAX_SIDE / max(image.size)
    image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=MODEL_IMAGE_QUALITY)
    return out.getvalue()


def _seconds(function, data: bytes) -> float:
    started = time.perf_counter()
    function(data)
    return time.perf_counter() - started


def run() -> None:
    data = phone_photo()
    prepared = Image.open(io.BytesIO(prepare_model_image(data)))
    assert max(prepared.size) <= MODEL_IMAGE_MAX_SIDE and prepared.format == "JPEG"
    fast, naive, upload = [], [], []
    for _ in range(ROUNDS):
        fast.append(_seconds(prepare_model_image, data))
        naive.append(_seconds(naive_model_image, data))
        upload.append(_seconds(_renditions, data))
    fast_median, naive_median = statistics.median(fast), statistics.median(naive)
    detail = f"none; {len(data) / 1e6:.1f} MB 4000x3000 JPEG to <= 1024 px, median of {ROUNDS}"
    report("preprocess_model_image", fast_median * 1000, "ms", detail)
    report("preprocess_naive", naive_median * 1000, "ms", "none; full decode then resize, median")
    report("preprocess_speedup", naive_median / fast_median, "x", ">= 5 x")
    # What an upload does instead: one decode gives the display size, the medium size (which the worker
    # sends the model as it is) and the thumbnail.
    renditions = "none; display + medium (the model's image) + thumbnail, as an upload makes them, median"
    report("upload_renditions", statistics.median(upload) * 1000, "ms", renditions)


def _renditions(data: bytes) -> None:
    make_renditions(SimpleUploadedFile("photo.jpg", data, content_type="image/jpeg"))
