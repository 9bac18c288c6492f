"""Evaluation cases told apart by colour, and a fake-model answer chosen by the photo's colour and the model asked."""

import io
import json
from decimal import Decimal
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from evals.models import EvalCase
from marketplace.services.photos import make_renditions
from tests.ai_prefill.llm_helpers import photo_jpeg, received_image

COLOURS = {"red": (200, 40, 30), "green": (40, 160, 60), "blue": (40, 70, 200), "yellow": (230, 200, 40)}


def make_case(dataset: str, colour: str, category: str, price=(None, None), words=(), title: str = "") -> EvalCase:
    """A case whose photo is one flat colour, stored as an import would store it."""
    renditions = make_renditions(SimpleUploadedFile("case.jpg", photo_jpeg(color=COLOURS[colour])))
    case = EvalCase(
        dataset=dataset,
        expected_category=category,
        expected_price_min=None if price[0] is None else Decimal(price[0]),
        expected_price_max=None if price[1] is None else Decimal(price[1]),
        title_must_mention=list(words),
        expected_title=title or f"{colour} thing",
        source=EvalCase.Source.IMPORT,
    )
    case.image.save("case.jpg", renditions.display, save=False)
    case.save()
    return case


def photo_colour(body: dict) -> str:
    """The name of the colour nearest to the middle of the photo the model was sent."""
    return image_colour(received_image(body))


def image_colour(data: bytes) -> str:
    """The name of the colour nearest to the middle of the image."""
    with Image.open(io.BytesIO(data)) as image:
        pixel = image.convert("RGB").getpixel((image.width // 2, image.height // 2))
    return min(COLOURS, key=lambda name: sum((a - b) ** 2 for a, b in zip(COLOURS[name], pixel, strict=True)))


def answer_by_model_and_colour(answers: dict[str, dict[str, dict]]):
    """server.answer for the fake: answers[model][colour] is the answer's fields; unknown models get the first."""
    first = next(iter(answers.values()))

    def answer(body: dict) -> dict:
        return answers.get(body["model"], first)[photo_colour(body)]

    return answer


def write_case_dir(directory: Path, lines: list, photos: dict[str, bytes] | None = None) -> Path:
    """DIR/cases.jsonl with these lines (dicts become JSON, strings go as they are) and the photos beside it."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in (photos or {}).items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(data)
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    (directory / "cases.jsonl").write_text(text + "\n", encoding="utf-8")
    return directory
