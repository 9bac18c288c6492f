"""Demo suggestions, drawn from the photo itself, so the whole flow runs offline without a model.

Deterministic: the same photo always gives the same suggestion. The page labels them demo suggestions.
"""

import colorsys
import io
import json
import time
from collections.abc import Sequence
from decimal import Decimal

from django.utils import timezone
from PIL import Image, ImageStat

from ai_prefill.llm.types import Attempt
from marketplace.models import Condition

SAMPLE_SIDE = 64
_NEUTRAL_SATURATION = 0.18
# Hue boundaries in degrees: the name of every hue up to the boundary.
_HUES = ((15, "red"), (40, "orange"), (70, "yellow"), (165, "green"), (255, "blue"), (290, "purple"), (335, "pink"))
COLOURS = ("black", "grey", "white", "red", "orange", "yellow", "green", "blue", "purple", "pink", "brown")
SHAPES = ("square", "rectangular", "tall")


def demo_attempt(*, image_jpeg: bytes, categories: Sequence[tuple[str, str]], image_ref: str) -> Attempt:
    """A suggestion from the photo's dominant colour, shape and brightness."""
    attempt = Attempt(started_at=timezone.now())
    started = time.monotonic()
    features = photo_features(image_jpeg)
    attempt.suggestion = demo_suggestion(features, category_slugs=[slug for slug, _ in categories])
    attempt.raw_output = json.dumps(attempt.suggestion)
    attempt.request = {"provider": "demo", "image_ref": image_ref, "features": features}
    attempt.latency_ms = round((time.monotonic() - started) * 1000)
    return attempt


def photo_features(image_jpeg: bytes) -> dict:
    """Dominant colour name and how much of the photo it fills, shape, and mean brightness (0-255)."""
    with Image.open(io.BytesIO(image_jpeg)) as image:
        width, height = image.size
        image.draft("RGB", (SAMPLE_SIDE, SAMPLE_SIDE))
        sample = image.convert("RGB")
    sample.thumbnail((SAMPLE_SIDE, SAMPLE_SIDE))
    # The most frequent of a few palette colours is the dominant one; the mean would blend them to grey.
    palette_image = sample.quantize(colors=4)
    count, index = max(palette_image.getcolors())
    palette = palette_image.getpalette()
    dominant = tuple(palette[index * 3 : index * 3 + 3])
    ratio = width / height
    shape = "rectangular" if ratio > 1.25 else "tall" if ratio < 0.8 else "square"
    brightness = round(ImageStat.Stat(sample.convert("L")).mean[0])
    return {
        "colour": colour_name(dominant),
        "shape": shape,
        "brightness": brightness,
        # How much of the photo the dominant colour fills: a rough stand-in for the item's size.
        "coverage": round(count / (sample.width * sample.height), 2),
        "width": width,
        "height": height,
    }


def colour_name(rgb: tuple[int, int, int]) -> str:
    hue, lightness, saturation = colorsys.rgb_to_hls(*(channel / 255 for channel in rgb))
    if lightness < 0.15:
        return "black"
    if lightness > 0.9:
        return "white"
    if saturation < _NEUTRAL_SATURATION:
        return "grey"
    degrees = hue * 360
    if 15 <= degrees < 45 and lightness < 0.4:
        return "brown"
    return next((name for boundary, name in _HUES if degrees < boundary), "red")


def demo_suggestion(features: dict, *, category_slugs: Sequence[str]) -> dict:
    colour, shape, brightness = features["colour"], features["shape"], features["brightness"]
    # The same colour and shape always land in the same category; spread over the whole taxonomy.
    cell = COLOURS.index(colour) * len(SHAPES) + SHAPES.index(shape)
    category = category_slugs[cell % len(category_slugs)]
    condition = Condition.LIKE_NEW if brightness >= 170 else Condition.GOOD if brightness >= 85 else Condition.FAIR
    price = Decimal(5 + (cell * 7) % 40 + round(features["coverage"] * 20)) + Decimal("0.00")
    light = "bright" if brightness >= 170 else "even" if brightness >= 85 else "dim"
    extent = "fills most of the photo" if features["coverage"] >= 0.5 else "takes up part of the photo"
    return {
        "title": f"{colour.capitalize()} {shape} item",
        "description": (
            f"{colour.capitalize()} item with a {shape} outline that {extent}, photographed in {light} light. "
            "Demo suggestion made from the photo's colours and shape: please say what it is and its condition."
        ),
        "category": category,
        "price": str(price),
        "condition": str(condition.value),
    }
