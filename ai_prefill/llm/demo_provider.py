"""Demo suggestions, drawn from the photo itself, so the whole flow runs offline without a model.

Deterministic: the same photo always gives the same suggestion, in the prefill-v4 shape whatever the prompt
version (it sends no prompt). The analysis records provider "demo", and the page says beside the form that
the suggestions are a demo; nothing inside a field says so, nor tells the seller what to do.
"""

import colorsys
import io
import json
import time

from django.utils import timezone
from PIL import Image

from ai_prefill.confidence import CATEGORY_CANDIDATES_MAX
from ai_prefill.llm.schema import SUGGESTED_FIELDS
from ai_prefill.llm.types import Attempt, AttemptInput, Taxonomy

SAMPLE_SIDE = 64
_NEUTRAL_SATURATION = 0.18
# Hue boundaries in degrees: the name of every hue up to the boundary.
_HUES = ((15, "red"), (40, "orange"), (70, "yellow"), (165, "green"), (255, "blue"), (290, "purple"), (335, "pink"))
COLOURS = ("black", "grey", "white", "red", "orange", "yellow", "green", "blue", "purple", "pink", "brown")
SHAPES = ("square", "rectangular", "tall")
COLOUR_ATTRIBUTE = "colour"


def demo_attempt(sent_input: AttemptInput) -> Attempt:
    """A suggestion from the first photo's dominant colour and shape (the seller's main photo shows the item)."""
    attempt = Attempt(started_at=timezone.now())
    started = time.monotonic()
    features = photo_features(sent_input.images[0])
    attempt.suggestion = demo_suggestion(features, taxonomy=sent_input.taxonomy, language=sent_input.language)
    attempt.raw_output = json.dumps(attempt.suggestion)
    attempt.request = {"provider": "demo", "image_refs": list(sent_input.image_refs), "features": features}
    attempt.latency_ms = round((time.monotonic() - started) * 1000)
    return attempt


def photo_features(image_jpeg: bytes) -> dict:
    """Dominant colour name and shape of the photo."""
    with Image.open(io.BytesIO(image_jpeg)) as image:
        width, height = image.size
        image.draft("RGB", (SAMPLE_SIDE, SAMPLE_SIDE))
        sample = image.convert("RGB")
    sample.thumbnail((SAMPLE_SIDE, SAMPLE_SIDE))
    # The most frequent of a few palette colours is the dominant one; the mean would blend them to grey.
    palette_image = sample.quantize(colors=4)
    _, index = max(palette_image.getcolors())
    palette = palette_image.getpalette()
    dominant = tuple(palette[index * 3 : index * 3 + 3])
    ratio = width / height
    shape = "rectangular" if ratio > 1.25 else "tall" if ratio < 0.8 else "square"
    return {"colour": colour_name(dominant), "shape": shape, "width": width, "height": height}


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


def demo_suggestion(features: dict, *, taxonomy: Taxonomy, language: str) -> dict:
    """Only what the pixels honestly say: the colour, when the category has that attribute, and a category guessed
    from colour and shape at low confidence (offered to the seller as a choice, never filled). No text at all:
    anything written here could be published as if the seller had written it (issue 13), so the title, the
    description, the price and the condition stay empty (None, "not visible") for the seller to fill in.
    The title is None too, unlike a model's suggestion: the form's title field is required, so it is typed.
    """
    slugs = taxonomy.category_slugs
    # The same colour and shape always land in the same categories; spread over the whole taxonomy.
    cell = COLOURS.index(features["colour"]) * len(SHAPES) + SHAPES.index(features["shape"])
    candidates = [slugs[(cell + step) % len(slugs)] for step in range(min(CATEGORY_CANDIDATES_MAX, len(slugs)))]
    category = candidates[0]
    attributes = {spec.slug: None for spec in taxonomy.attributes_of(category)}
    confidence = dict.fromkeys((*SUGGESTED_FIELDS, *attributes), "low")
    colour = next((spec for spec in taxonomy.attributes_of(category) if spec.slug == COLOUR_ATTRIBUTE), None)
    if colour is not None and (not colour.choices or features["colour"] in colour.choices):
        attributes[COLOUR_ATTRIBUTE] = features["colour"]
        # The dominant colour of the photo, which may be the background's: likely the item's, not certain.
        confidence[COLOUR_ATTRIBUTE] = "medium"
    return {
        "title": None,
        "description": None,
        "category": category,
        "price": None,
        "condition": None,
        "attributes": attributes,
        "confidence": confidence,
        "category_candidates": candidates,
        "language": language,
    }
