"""Writing evaluation cases from what happened in production: a posted analysis, or a staff annotation."""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.db import transaction

from ai_prefill.models import Analysis
from ai_prefill.posting import listing_values
from ai_prefill.services import analysis_photos
from evals.models import EvalCase, EvalCasePhoto
from marketplace.models import Listing

# Eval cases made from one posted price accept this much either side of it.
EVAL_PRICE_TOLERANCE = Decimal("0.3")
_TITLE_STOPWORDS = {"the", "used", "new", "old", "very", "like", "good", "great", "condition", "working"}


def _price(value) -> Decimal | None:
    try:
        number = Decimal(str(value)) if value not in (None, "") else None
    except (InvalidOperation, ValueError):
        return None
    return number if number is not None and number.is_finite() else None


# --- Evaluation cases ------------------------------------------------------------------------------


def title_words(title: str) -> list[str]:
    """The word a good suggestion's title must name: the head noun of the title's first phrase, which in
    English comes last ("Brass desk lamp, barely used" -> "lamp"). Staff can edit it in admin."""
    first_phrase = re.split(r"[,;:(|/\u2013\u2014]| - | with | for | and ", title.lower(), maxsplit=1)[0]
    words = [word for word in re.findall(r"[^\W\d_]{3,}", first_phrase) if word not in _TITLE_STOPWORDS]
    return words[-1:]


def price_range(price: Decimal | None) -> tuple[Decimal | None, Decimal | None]:
    if price is None:
        return None, None
    cents = Decimal("0.01")
    low = (price * (1 - EVAL_PRICE_TOLERANCE)).quantize(cents, rounding=ROUND_HALF_UP)
    high = (price * (1 + EVAL_PRICE_TOLERANCE)).quantize(cents, rounding=ROUND_HALF_UP)
    return low, high


def evalcase_create(
    *, analysis: Analysis, source: str, dataset: str, values: dict, notes: str, attributes: dict | None = None
) -> EvalCase:
    """A case expecting the given values (the suggestion's terms) and item details, in the analysis's language,
    with its own copies of the analysis's photos, in their order."""
    low, high = price_range(_price(values.get("price")))
    case = EvalCase(
        dataset=dataset,
        expected_category=values["category"],
        expected_price_min=low,
        expected_price_max=high,
        title_must_mention=title_words(values.get("title", "")),
        expected_title=values.get("title", "")[:200],
        expected_description=values.get("description", ""),
        expected_condition=values.get("condition", ""),
        expected_attributes=dict(attributes or {}),
        language=analysis.language,
        notes=notes,
        source=source,
        source_analysis=analysis,
    )
    # Copies of the bytes, not references: the listing's photo files go when the listing is deleted.
    first, *others = analysis_photos(analysis)
    saved_files = [case.image]
    try:
        with first.image.open("rb") as photo_file:
            case.image.save("case.jpg", ContentFile(photo_file.read()), save=False)
        with transaction.atomic():
            case.save()
            for position, photo in enumerate(others, start=1):
                more = EvalCasePhoto(case=case, position=position)
                saved_files.append(more.image)
                with photo.image.open("rb") as photo_file:
                    more.image.save("case.jpg", ContentFile(photo_file.read()), save=False)
                more.save()
    except Exception:
        for saved in saved_files:
            if saved:
                saved.delete(save=False)
        raise
    return case


def evalcase_create_from_analysis(*, analysis: Analysis, dataset: str = "default") -> EvalCase | None:
    """An evaluation case whose expected values are what the seller posted. None if not posted or already in."""
    listing = Listing.objects.select_related("category").filter(analysis=analysis).first()
    if listing is None or EvalCase.objects.filter(source_analysis=analysis, dataset=dataset).exists():
        return None
    return evalcase_create(
        analysis=analysis,
        source=EvalCase.Source.CORRECTION,
        dataset=dataset,
        values=listing_values(listing),
        # What the seller posted; an empty detail is not "not visible" (they may not have bothered), so none is null.
        attributes=listing.attributes,
        notes="From the seller's posted values; the title word was picked automatically, edit it if it is wrong.",
    )
