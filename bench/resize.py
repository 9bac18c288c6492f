"""The upload's resize: Pillow's plain bicubic resize against the banded, threaded one Trova used to have.

The banded resize cut the image into one horizontal band per core and resized the bands in threads
(resampling releases the GIL). It is kept here only as the baseline, to show it was not worth its code:
both run in this one process, interleaved, on the draft-decoded 12-megapixel photo an upload resizes.
"""

import functools
import io
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from bench.preprocess import phone_photo
from bench.report import report
from marketplace.services.photos import DISPLAY_MAX_SIDE, make_renditions

ROUNDS = 15
# Bring the banded resize back only if it makes a whole upload at least this much faster.
WORTH_ITS_CODE = 1.3
BANDS = min(os.cpu_count() or 1, 4)


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=BANDS, thread_name_prefix="bench-resize")


def banded_resize(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The removed one: each band resizes its part of the source (box=) in a thread, pasted together."""
    width, height = size
    rows = [round(height * index / BANDS) for index in range(BANDS + 1)]
    source_rows_per_row = image.height / height

    def band(index: int) -> Image.Image:
        top, bottom = rows[index], rows[index + 1]
        box = (0, top * source_rows_per_row, image.width, bottom * source_rows_per_row)
        return image.resize((width, bottom - top), Image.Resampling.BICUBIC, box=box)

    resized = Image.new(image.mode, size)
    for index, part in enumerate(_pool().map(band, range(BANDS))):
        resized.paste(part, (0, rows[index]))
    return resized


def plain_resize(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    return image.resize(size, Image.Resampling.BICUBIC)


def _milliseconds(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return (time.perf_counter() - started) * 1000


def run() -> None:
    data = phone_photo()
    # What decode_photo resizes: the JPEG decoded at half scale (2000 x 1500), down to the display size.
    source = Image.open(io.BytesIO(data))
    width, height = source.size
    size = (DISPLAY_MAX_SIDE, round(height * DISPLAY_MAX_SIDE / width))
    source.draft("RGB", size)
    source.load()
    assert source.size == (width // 2, height // 2)
    assert banded_resize(source, size).size == plain_resize(source, size).size == size
    banded, plain, upload = [], [], []
    for _ in range(ROUNDS):
        banded.append(_milliseconds(banded_resize, source, size))
        plain.append(_milliseconds(plain_resize, source, size))
        upload.append(_milliseconds(make_renditions, SimpleUploadedFile("photo.jpg", data)))
    banded_ms, plain_ms, upload_ms = (statistics.median(values) for values in (banded, plain, upload))
    detail = f"none; {source.width}x{source.height} to {size[0]}x{size[1]} bicubic, {BANDS} bands, median of {ROUNDS}"
    report("resize_plain", plain_ms, "ms", detail)
    report("resize_banded", banded_ms, "ms", "none; the removed banded, threaded resize, median")
    report("resize_banded_speedup", plain_ms / banded_ms, "x", "none; plain / banded, the resize alone", digits=2)
    # The upload makes its renditions with the plain resize; with the banded one it would differ by the
    # difference between the two resizes, everything else (decode, reduce, thumbnail, 3 encodes) being the same.
    with_banded_ms = upload_ms - plain_ms + banded_ms
    report(
        "upload_banded_speedup",
        upload_ms / with_banded_ms,
        "x",
        f"< {WORTH_ITS_CODE} x keeps the plain resize; whole upload's renditions, {upload_ms:.0f} ms",
        digits=2,
    )
