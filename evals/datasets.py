"""Evaluation sets as files (DIR/cases.jsonl with the photos beside it) and from posted production listings.

One case per line:
    {"images": ["front.jpg", "label.jpg"], "category": "electronics", "price_min": 20, "price_max": 80,
     "title_must_mention": ["headphones"], "attributes": {"brand": "Sony", "model": null}, "language": "it",
     "notes": "..."}
"images" lists 1 to 8 photos in the order the model is sent them ("image": "photo.jpg" names a single one, as
files written before several photos did). "attributes" are the item details expected ({slug: value}, null for
"not visible": the model must answer null), only the category's; "language" the language the suggestion is
asked in (the site's default when absent). Optionally "title", "description" and "condition": the full
reference answer, for people reading results (the condition is also scored by confidence).
"""

import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from ai_prefill.models import Analysis
from core.errors import DomainError, PhotoRejected
from evals.models import EvalCase, EvalCasePhoto
from evals.services import evalcase_create_from_analysis
from marketplace.models import PRICE_MAX, Condition, Listing
from marketplace.selectors import category_attributes
from marketplace.services.photos import DISPLAY_MAX_SIDE, decode_photo, make_renditions, read_upload

CASES_FILE = "cases.jsonl"
KEYS = (
    *("images", "image", "category", "price_min", "price_max", "title_must_mention", "notes"),
    *("title", "description", "condition", "attributes", "language"),
)
# As many as a seller may upload for one listing.
MAX_PHOTOS = 8
DATASET_PATTERN = re.compile(r"^[-a-zA-Z0-9_]{1,50}$")
MAX_PROBLEMS_SHOWN = 20


class EvalSetInvalid(DomainError):
    pass


@dataclass(frozen=True)
class CaseLine:
    """One valid line of cases.jsonl."""

    line: int
    image_paths: list[Path]
    category: str
    price_min: Decimal | None
    price_max: Decimal | None
    title_must_mention: list[str]
    notes: str
    title: str
    description: str
    condition: str
    attributes: dict
    language: str


class _LineProblem(Exception):
    pass


def dataset_check_name(name: str) -> str:
    if not DATASET_PATTERN.match(name):
        raise EvalSetInvalid(f"{name!r} cannot name a dataset: use up to 50 letters, digits, hyphens and underscores.")
    return name


def dataset_name_for(directory: Path) -> str:
    """The dataset a directory imports into unless told otherwise: its own name."""
    return slugify(directory.resolve().name)[:50]


def evalset_read(*, directory: Path) -> list[CaseLine]:
    """Every case of DIR/cases.jsonl, checked, photos decoded; EvalSetInvalid naming each bad line otherwise."""
    cases_path = directory / CASES_FILE
    if not cases_path.is_file():
        raise EvalSetInvalid(f"There is no {CASES_FILE} in {directory}.")
    try:
        text = cases_path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise EvalSetInvalid(f"{cases_path} is not UTF-8 text.") from None
    categories = {
        slug: {attribute.slug: attribute for attribute in attributes}
        for slug, attributes in category_attributes().items()
    }
    root = directory.resolve()
    cases, problems = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            cases.append(_case_line(raw, number=number, root=root, categories=categories))
        except _LineProblem as problem:
            problems.append(f"{CASES_FILE} line {number}: {problem}")
    if problems:
        more = len(problems) - MAX_PROBLEMS_SHOWN
        shown = problems[:MAX_PROBLEMS_SHOWN] + ([f"... and {more} more."] if more > 0 else [])
        raise EvalSetInvalid("Nothing was imported:\n" + "\n".join(shown))
    if not cases:
        raise EvalSetInvalid(f"{cases_path} has no cases.")
    return cases


def _case_line(raw: str, *, number: int, root: Path, categories: dict[str, dict]) -> CaseLine:
    try:
        data = json.loads(raw)
    except ValueError as error:
        raise _LineProblem(f"not valid JSON ({error.msg} at column {error.colno}).") from None
    if not isinstance(data, dict):
        raise _LineProblem("each line must be a JSON object.")
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise _LineProblem(f"unknown key {unknown[0]!r}; the keys are {', '.join(KEYS)}.")
    category = data.get("category")
    if not isinstance(category, str) or category not in categories:
        raise _LineProblem(f"unknown category {category!r}; ours are {', '.join(sorted(categories))}.")
    price_min, price_max = _price(data, "price_min"), _price(data, "price_max")
    if price_min is not None and price_max is not None and price_min > price_max:
        raise _LineProblem(f"price_min ({price_min}) is above price_max ({price_max}).")
    words = data.get("title_must_mention", [])
    if not isinstance(words, list) or not all(isinstance(word, str) and word.strip() for word in words):
        raise _LineProblem('"title_must_mention" must be a list of words, like ["headphones"].')
    texts = {key: data.get(key, "") for key in ("notes", "title", "description", "condition")}
    for key, value in texts.items():
        if not isinstance(value, str):
            raise _LineProblem(f'"{key}" must be text.')
    if len(texts["title"]) > EvalCase._meta.get_field("expected_title").max_length:
        raise _LineProblem('"title" is too long.')
    if texts["condition"] and texts["condition"] not in Condition.values:
        raise _LineProblem(f"unknown condition {texts['condition']!r}; ours are {', '.join(Condition.values)}.")
    language = data.get("language", "")
    if language and language not in dict(settings.LANGUAGES):
        languages = ", ".join(code for code, _name in settings.LANGUAGES)
        raise _LineProblem(f"unknown language {language!r}; ours are {languages}.")
    return CaseLine(
        line=number,
        image_paths=[_image_path(name, root=root) for name in _image_names(data)],
        category=category,
        price_min=price_min,
        price_max=price_max,
        title_must_mention=[word.strip() for word in words],
        attributes=_attributes(data.get("attributes", {}), category=category, known=categories[category]),
        language=language,
        **texts,
    )


def _image_names(data: dict) -> list:
    if "images" in data and "image" in data:
        raise _LineProblem('give the photos as "images" or the one photo as "image", not both.')
    if "image" in data:
        return [data["image"]]
    names = data.get("images")
    if not isinstance(names, list) or not 1 <= len(names) <= MAX_PHOTOS:
        raise _LineProblem(f'"images" must list 1 to {MAX_PHOTOS} photo files, like ["front.jpg", "label.jpg"].')
    return names


def _attributes(value, *, category: str, known: dict) -> dict:
    if not isinstance(value, dict):
        raise _LineProblem('"attributes" must be an object, like {"brand": "Sony", "model": null}.')
    for slug, expected in value.items():
        if slug not in known:
            ours = ", ".join(known) or "none"
            raise _LineProblem(f"{category} has no attribute {slug!r}; its attributes are {ours}.")
        if expected is not None and (not isinstance(expected, str) or not expected.strip()):
            raise _LineProblem(f'attribute "{slug}" must be text, or null for "not visible".')
        choices = known[slug].choices
        if expected is not None and choices and expected.strip().casefold() not in {c.casefold() for c in choices}:
            raise _LineProblem(f"{expected!r} is not one of {slug}'s choices: {', '.join(choices)}.")
    return {slug: None if expected is None else expected.strip() for slug, expected in value.items()}


def _price(data: dict, key: str) -> Decimal | None:
    value = data.get(key)
    if value is None:
        return None
    # bool is an int in Python; true as a price is a mistake, not 1 euro.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _LineProblem(f'"{key}" must be a number of euros or null, not {json.dumps(value)}.')
    if not 0 <= value <= PRICE_MAX:
        raise _LineProblem(f'"{key}" must be between 0 and {PRICE_MAX} euros, not {value}.')
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _image_path(value, *, root: Path) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise _LineProblem('"image" must name the photo file, like "photo.jpg".')
    relative = PurePosixPath(value)
    path = (root / value).resolve()
    # resolve() follows symlinks too, so a link pointing out of the directory is refused like "../".
    if relative.is_absolute() or ".." in relative.parts or "\\" in value or not path.is_relative_to(root):
        raise _LineProblem(f'"image" must name a file inside the directory, not {value!r}.')
    if not path.is_file():
        raise _LineProblem(f"the photo {value!r} is missing.")
    try:
        with path.open("rb") as photo_file:
            decode_photo(read_upload(photo_file), max_side=DISPLAY_MAX_SIDE)
    except PhotoRejected as rejected:
        raise _LineProblem(f"the photo {value!r} was refused: {rejected.message}") from None
    return path


def evalset_import(*, directory: Path, dataset: str, replace: bool = False) -> list[EvalCase]:
    """Store every case of DIR/cases.jsonl in the dataset, all or nothing; photos go through our photo checks."""
    dataset_check_name(dataset)
    lines = evalset_read(directory=directory)
    existing = EvalCase.objects.filter(dataset=dataset)
    if existing.exists() and not replace:
        raise EvalSetInvalid(
            f"The dataset {dataset!r} already has {existing.count()} cases. Choose another name with --dataset, "
            "or --replace to swap them for these."
        )
    saved_files: list = []
    try:
        with transaction.atomic():
            if replace:
                old_files = [photo for case in existing.prefetch_related("more_photos") for photo in case.photos]
                existing.delete()
                transaction.on_commit(lambda: [image.delete(save=False) for image in old_files])
            cases = [_case_store(line, dataset=dataset, saved_files=saved_files) for line in lines]
    except Exception:
        for image in saved_files:
            image.delete(save=False)
        raise
    return cases


def _display_rendition(path: Path):
    with path.open("rb") as photo_file:
        return make_renditions(SimpleUploadedFile(path.name, photo_file.read())).display


def _case_store(line: CaseLine, *, dataset: str, saved_files: list) -> EvalCase:
    case = EvalCase(
        dataset=dataset,
        expected_category=line.category,
        expected_price_min=line.price_min,
        expected_price_max=line.price_max,
        title_must_mention=line.title_must_mention,
        expected_title=line.title,
        expected_description=line.description,
        expected_condition=line.condition,
        expected_attributes=line.attributes,
        language=line.language,
        notes=line.notes,
        source=EvalCase.Source.IMPORT,
    )
    first, *others = line.image_paths
    case.image.save("case.jpg", _display_rendition(first), save=False)
    saved_files.append(case.image)
    case.save()
    for position, path in enumerate(others, start=1):
        photo = EvalCasePhoto(case=case, position=position)
        photo.image.save("case.jpg", _display_rendition(path), save=False)
        saved_files.append(photo.image)
        photo.save()
    return case


def evalset_export(*, dataset: str, directory: Path) -> int:
    """Write the dataset as DIR/cases.jsonl and its photos; DIR must be empty or new. Returns the case count."""
    cases = list(EvalCase.objects.filter(dataset=dataset).prefetch_related("more_photos").order_by("id"))
    if not cases:
        raise EvalSetInvalid(f"There is no dataset {dataset!r} (or it has no cases).")
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise EvalSetInvalid(f"{directory} is not an empty directory; export into a new or empty one.")
    directory.mkdir(parents=True, exist_ok=True)
    lines = []
    for number, case in enumerate(cases, start=1):
        names = []
        for position, photo in enumerate(case.photos):
            names.append(f"case-{number:04d}.jpg" if position == 0 else f"case-{number:04d}-{position + 1}.jpg")
            with photo.open("rb") as photo_file:
                (directory / names[-1]).write_bytes(photo_file.read())
        lines.append(json.dumps(case_as_line(case, images=names), ensure_ascii=False))
    (directory / CASES_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(cases)


def case_as_line(case: EvalCase, *, images: list[str]) -> dict:
    # One photo is written as "image", as before several photos: files a one-photo tool wrote stay the same.
    line = {
        **({"image": images[0]} if len(images) == 1 else {"images": images}),
        "category": case.expected_category,
        "price_min": _number(case.expected_price_min),
        "price_max": _number(case.expected_price_max),
        "title_must_mention": list(case.title_must_mention),
        "notes": case.notes,
    }
    optional = {"title": case.expected_title, "description": case.expected_description}
    optional["condition"] = case.expected_condition
    optional["attributes"] = case.expected_attributes
    optional["language"] = case.language
    return {**line, **{key: value for key, value in optional.items() if value}}


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def evalset_resolve(*, name_or_dir: str) -> str:
    """The dataset to run: a name in the database, or a directory with a cases.jsonl, imported once under a
    name from its content's hash (the same files give the same dataset; changed files, a new one)."""
    directory = Path(name_or_dir)
    if (directory / CASES_FILE).is_file():
        name = f"{dataset_name_for(directory)[:36] or 'dir'}-{_directory_digest(directory)[:12]}"
        if not EvalCase.objects.filter(dataset=name).exists():
            evalset_import(directory=directory, dataset=name)
        return name
    if EvalCase.objects.filter(dataset=name_or_dir).exists():
        return name_or_dir
    known = ", ".join(EvalCase.objects.order_by("dataset").values_list("dataset", flat=True).distinct()) or "none yet"
    raise EvalSetInvalid(
        f"There is no dataset {name_or_dir!r} and no directory with a {CASES_FILE} there. Datasets: {known}."
    )


def _directory_digest(directory: Path) -> str:
    """A hash of cases.jsonl and the photos its lines name (lines that do not parse are hashed as text only)."""
    digest = hashlib.sha256()
    text = (directory / CASES_FILE).read_bytes()
    digest.update(text)
    root = directory.resolve()
    for raw in text.decode("utf-8", errors="replace").splitlines():
        try:
            data = json.loads(raw)
            names = data["images"] if "images" in data else [data.get("image")]
            paths = [(name, (root / name).resolve()) for name in names]
        except (ValueError, AttributeError, TypeError, KeyError):
            continue
        for name, path in paths:
            if path.is_relative_to(root) and path.is_file():
                digest.update(name.encode())
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def evalset_from_production(*, dataset: str, since_days: int = 30, limit: int = 200, sold: bool = False) -> int:
    """Cases from posted analyses (the seller's posted values are the expected answer), newest first.

    With sold, only listings that sold, with the sale price as the expected price. Analyses already in the
    dataset are left out; returns how many cases were added.
    """
    dataset_check_name(dataset)
    posted = Analysis.objects.filter(
        listing__isnull=False, photo__isnull=False, created_at__gte=timezone.now() - timedelta(days=since_days)
    )
    if sold:
        posted = posted.filter(listing__status=Listing.Status.SOLD)
    posted = posted.exclude(eval_cases__dataset=dataset).select_related("photo", "listing").order_by("-created_at")
    added = 0
    for analysis in posted[:limit]:
        case = evalcase_create_from_analysis(analysis=analysis, dataset=dataset)
        if case is not None and sold:
            # The listing's price when it sold is what it fetched (Trova records no separate sale price).
            case.expected_price_min = case.expected_price_max = analysis.listing.price
            case.save(update_fields=["expected_price_min", "expected_price_max"])
        added += case is not None
    return added
