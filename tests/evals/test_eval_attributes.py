"""Cases with several photos, expected item details and a language, through the real runner and the fake model."""

import io
import json
from importlib import import_module

import pytest
from django.apps import apps
from django.core.management import call_command

from ai_prefill.images import prepare_model_image
from ai_prefill.llm.prompt import prompt_read
from evals.models import EvalCase, EvalResult, EvalRun
from tests.ai_prefill.llm_helpers import photo_jpeg
from tests.evals.eval_cases import COLOURS, image_colour, write_case_dir
from tests.fake_openai import decode_data_url, request_image_urls

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("seeded_categories")]

PHOTOS = {f"{colour}.jpg": photo_jpeg(color=rgb) for colour, rgb in COLOURS.items()}
CASES = [
    {
        "images": ["red.jpg", "green.jpg", "blue.jpg"],
        "category": "electronics",
        "title_must_mention": ["headphones"],
        "attributes": {"brand": "Sony", "model": None, "colour": "black"},
        "language": "it",
    },
    {"image": "yellow.jpg", "category": "books", "attributes": {"author": "Italo Calvino"}},
]


def _prompt_in_files(version: str) -> bool:
    return prompt_read(version) is not None


@pytest.fixture
def attributes_seeded(seeded_categories):
    """The item details from their seed migration, again: a transactional test's flush empties every table."""
    import_module("marketplace.migrations.0014_category_attributes").seed(apps, None)


@pytest.fixture
def dataset_dir(tmp_path, attributes_seeded):
    return write_case_dir(tmp_path / "details", CASES, PHOTOS)


def run_eval(*args: str) -> str:
    out = io.StringIO()
    call_command("eval", "--concurrency", "1", *args, stdout=out)
    return out.getvalue()


def test_an_import_keeps_every_photo_in_order_with_the_details_and_the_language(dataset_dir):
    call_command("evalset", "import", str(dataset_dir), "--dataset", "details", stdout=io.StringIO())

    headphones, book = EvalCase.objects.order_by("id")
    assert [photo.position for photo in headphones.more_photos.all()] == [1, 2]
    colours = [_colour_of(photo) for photo in headphones.photos]
    assert colours == ["red", "green", "blue"]
    assert headphones.expected_attributes == {"brand": "Sony", "model": None, "colour": "black"}
    assert (headphones.language, book.language) == ("it", "")
    assert [_colour_of(photo) for photo in book.photos] == ["yellow"]


def test_an_export_writes_the_photos_in_order_and_imports_back_the_same(dataset_dir, tmp_path):
    call_command("evalset", "import", str(dataset_dir), "--dataset", "details", stdout=io.StringIO())
    call_command("evalset", "export", str(tmp_path / "out"), "--dataset", "details", stdout=io.StringIO())

    first, second = [json.loads(line) for line in (tmp_path / "out" / "cases.jsonl").read_text().splitlines()]
    assert first["images"] == ["case-0001.jpg", "case-0001-2.jpg", "case-0001-3.jpg"]
    assert (first["attributes"], first["language"]) == (CASES[0]["attributes"], "it")
    assert second["image"] == "case-0002.jpg" and "images" not in second
    call_command("evalset", "import", str(tmp_path / "out"), "--dataset", "again", stdout=io.StringIO())
    again = EvalCase.objects.filter(dataset="again").order_by("id").first()
    assert [_colour_of(photo) for photo in again.photos] == ["red", "green", "blue"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"images": []}, '"images" must list 1 to 8 photo files'),
        ({"images": ["red.jpg"] * 9}, '"images" must list 1 to 8 photo files'),
        ({"image": "red.jpg"}, 'as "images" or the one photo as "image", not both'),
        ({"images": ["red.jpg", "missing.jpg"]}, "the photo 'missing.jpg' is missing"),
        ({"attributes": {"author": "Calvino"}}, "electronics has no attribute 'author'"),
        ({"attributes": {"colour": "ultraviolet"}}, "'ultraviolet' is not one of colour's choices"),
        ({"attributes": {"brand": 3}}, 'attribute "brand" must be text, or null for "not visible"'),
        ({"language": "tlh"}, "unknown language 'tlh'"),
    ],
)
def test_a_bad_photo_list_detail_or_language_is_refused_naming_the_line(tmp_path, attributes_seeded, change, problem):
    directory = write_case_dir(tmp_path / "bad", [{**CASES[0], **change}], PHOTOS)
    error = io.StringIO()

    with pytest.raises(Exception) as raised:
        call_command("evalset", "import", str(directory), stdout=io.StringIO(), stderr=error)

    assert "cases.jsonl line 1" in str(raised.value) and problem in str(raised.value)
    assert not EvalCase.objects.exists()


def test_expected_details_are_scored_even_when_the_prompt_asks_for_none(fake_openai, dataset_dir, tmp_path):
    """A prompt before prefill-v4 answers no attributes: every expected value is wrong, no null came back."""
    fake_openai.answer = {"title": "Headphones", "category": "electronics", "price": 40}

    output = run_eval("--dataset", str(dataset_dir), "--model", "gpt-4o-mini", "--json", str(tmp_path / "r.json"))

    run = EvalRun.objects.get()
    assert (run.metrics["attribute_accuracy"], run.metrics["not_visible_recall"]) == (0.0, 0.0)
    assert run.metrics["not_visible_precision"] is None  # no null came back to judge
    assert run.metrics["by_language"]["it"]["n_cases"] == 1 and run.metrics["by_language"]["en"]["n_cases"] == 1
    assert "attribute_accuracy" in output and "not_visible_recall" in output
    assert "By the cases' language:" in output and "it category_accuracy" in output
    result = EvalResult.objects.get(case__expected_category="electronics")
    assert result.expected["attributes"] == CASES[0]["attributes"] and result.expected["language"] == "it"
    assert result.attribute_verdicts == {"brand": False, "model": False, "colour": False}
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["runs"][0]["metrics"]["attribute_accuracy"] == 0.0
    assert report["runs"][0]["attribute_accuracy_by_slug"] == {"author": 0.0, "brand": 0.0, "colour": 0.0}


def test_the_model_is_sent_every_photo_of_a_case_in_order(fake_openai, dataset_dir):
    fake_openai.answer = {"title": "Headphones", "category": "electronics", "price": 40}

    run_eval("--dataset", str(dataset_dir), "--model", "gpt-4o-mini")

    case = EvalCase.objects.get(expected_category="electronics")
    request = next(request for request in fake_openai.requests if photo_colour_first(request.body) == "red")
    sent = [decode_data_url(url)[1] for url in request_image_urls(request.body)]
    assert sent == [_model_image(photo) for photo in case.photos]


@pytest.mark.skipif(not _prompt_in_files("prefill-v4"), reason="prompt prefill-v4 (attributes) is not written yet")
def test_details_and_confidence_from_prefill_v4_are_scored_by_hand(fake_openai, dataset_dir):
    def answer(body: dict) -> dict:
        if photo_colour_first(body) == "yellow":
            return {
                "title": "Paperback", "category": "books", "price": 8, "attributes": {"author": "italo  calvino"},
                "confidence": {"category": "high", "author": "medium"}, "category_candidates": ["books"],
            }  # fmt: skip
        return {
            "title": "Headphones", "category": "electronics", "price": 40,
            "attributes": {"brand": "Sony", "model": None, "colour": None},
            "confidence": {"category": "low", "brand": "high", "model": "low", "colour": "low"},
            "category_candidates": ["electronics", "other"],
        }  # fmt: skip

    fake_openai.answer = answer
    run_eval("--dataset", str(dataset_dir), "--model", "gpt-4o-mini", "--prompt", "prefill-v4")

    metrics = EvalRun.objects.get().metrics
    assert metrics["attribute_accuracy"] == pytest.approx(2 / 3, abs=1e-6)  # brand, author right; colour not
    assert (metrics["not_visible_precision"], metrics["not_visible_recall"]) == (0.5, 1.0)  # model yes, colour no
    assert metrics["accuracy_by_confidence"]["category"] == {
        "high": {"right": 1, "n": 1, "rate": 1.0},
        "low": {"right": 1, "n": 1, "rate": 1.0},
    }
    assert metrics["accuracy_by_confidence"]["author"] == {"medium": {"right": 1, "n": 1, "rate": 1.0}}


def photo_colour_first(body: dict) -> str:
    """The colour of the first photo in a request."""
    return image_colour(decode_data_url(request_image_urls(body)[0])[1])


def _colour_of(photo) -> str:
    with photo.open("rb") as photo_file:
        return image_colour(photo_file.read())


def _model_image(photo) -> bytes:
    with photo.open("rb") as photo_file:
        return prepare_model_image(photo_file.read())
