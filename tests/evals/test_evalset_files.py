"""evalset import and export: DIR/cases.jsonl with the photos beside it, checked whole before anything is stored."""

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from evals.models import EvalCase
from tests.ai_prefill.llm_helpers import photo_jpeg
from tests.evals.eval_cases import write_case_dir
from tests.factories import bad_photo_files, stored_media_files

pytestmark = pytest.mark.django_db

PHOTOS = {"red.jpg": photo_jpeg(color=(200, 40, 30))}
CASES = [
    {
        "image": "red.jpg",
        "category": "electronics",
        "price_min": 20,
        "price_max": 80.5,
        "title_must_mention": ["headphones"],
        "notes": "Über-ear, the seller's own words — kept as written.",
    },
    {
        "image": "photos/blue.png",
        "category": "clothing",
        "price_min": None,
        "price_max": 30,
        "title_must_mention": ["jeans", "blue"],
        "notes": "",
        "title": "Blue jeans, size 32",
        "description": "Straight cut.",
        "condition": "good",
    },
    {"image": "red.jpg", "category": "other"},
]


@pytest.fixture
def case_dir(tmp_path) -> Path:
    blue = io.BytesIO()
    Image.new("RGBA", (300, 500), (40, 70, 200, 255)).save(blue, format="PNG")
    return write_case_dir(tmp_path / "Shop Set", CASES, {**PHOTOS, "photos/blue.png": blue.getvalue()})


def evalset(*args: str) -> str:
    out = io.StringIO()
    call_command("evalset", *[str(arg) for arg in args], stdout=out)
    return out.getvalue()


def refused(*args) -> CommandError:
    with pytest.raises(CommandError) as raised:
        evalset(*args)
    return raised.value


def case_values(dataset: str) -> list[tuple]:
    return [
        (
            case.expected_category,
            case.expected_price_min,
            case.expected_price_max,
            case.title_must_mention,
            case.notes,
            case.expected_title,
            case.expected_description,
            case.expected_condition,
            case.source,
            Image.open(case.image).size,
        )
        for case in EvalCase.objects.filter(dataset=dataset).order_by("id")
    ]


def test_it_imports_every_case_into_a_dataset_named_after_the_directory(case_dir):
    output = evalset("import", case_dir)

    assert "Imported 3 cases into the dataset 'shop-set'" in output
    red, blue, other = case_values("shop-set")
    assert red[:5] == (
        "electronics", Decimal("20.00"), Decimal("80.50"), ["headphones"], CASES[0]["notes"]
    )  # fmt: skip
    assert blue[:8] == ("clothing", None, Decimal("30.00"), ["jeans", "blue"], "", "Blue jeans, size 32",
                        "Straight cut.", "good")  # fmt: skip
    assert other[:4] == ("other", None, None, [])
    assert red[-1] == (640, 480) and blue[-1] == (300, 500)  # stored as our re-encoded JPEG renditions
    assert all(case.image.name.endswith(".jpg") for case in EvalCase.objects.all())
    assert {case.source for case in EvalCase.objects.all()} == {"import"}


def test_export_then_import_gives_the_same_cases(case_dir, tmp_path):
    evalset("import", case_dir, "--dataset", "first")

    output = evalset("export", tmp_path / "out", "--dataset", "first")
    evalset("import", tmp_path / "out", "--dataset", "second")

    assert "Wrote 3 cases of 'first'" in output
    assert case_values("second") == [(*values[:8], "import", values[9]) for values in case_values("first")]
    lines = [json.loads(line) for line in (tmp_path / "out" / "cases.jsonl").read_text().splitlines()]
    assert lines[0] == {**CASES[0], "image": "case-0001.jpg"}
    assert lines[1] == {**CASES[1], "image": "case-0002.jpg"}
    assert lines[2] == {"image": "case-0003.jpg", "category": "other", "price_min": None, "price_max": None,
                        "title_must_mention": [], "notes": ""}  # fmt: skip


def test_export_refuses_a_directory_with_files_in_it_and_an_unknown_dataset(case_dir, tmp_path):
    evalset("import", case_dir)

    assert "not an empty directory" in str(refused("export", case_dir, "--dataset", "shop-set"))
    error = refused("export", tmp_path / "new", "--dataset", "nothing-here")
    assert error.returncode == 2 and "There is no dataset 'nothing-here'" in str(error)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            {"image": "../../etc/passwd", "category": "books"},
            "must name a file inside the directory, not '../../etc/passwd'",
        ),
        ({"image": "/etc/passwd", "category": "books"}, "must name a file inside the directory"),
        ({"image": "outside.jpg", "category": "books"}, "must name a file inside the directory"),  # a symlink out
        ({"image": "red.jpg", "category": "spaceships"}, "unknown category 'spaceships'; ours are books, clothing"),
        ('{"image": "red.jpg", "category": "books"', "not valid JSON"),
        ('["red.jpg", "books"]', "each line must be a JSON object"),
        ({"image": "gone.jpg", "category": "books"}, "the photo 'gone.jpg' is missing"),
        ({"image": "notes.jpg", "category": "books"}, "the photo 'notes.jpg' was refused: The file is not a photo"),
        ({"image": "red.jpg", "category": "books", "price_min": "cheap"}, '"price_min" must be a number'),
        ({"image": "red.jpg", "category": "books", "price_max": True}, '"price_max" must be a number'),
        ({"image": "red.jpg", "category": "books", "price_min": -5}, "between 0 and 1000000 euros, not -5"),
        ('{"image": "red.jpg", "category": "books", "price_max": NaN}', '"price_max" must be a number'),
        ({"image": "red.jpg", "category": "books", "price_min": 50, "price_max": 20}, "is above price_max"),
        ({"image": "red.jpg", "category": "books", "title_must_mention": "lamp"}, "must be a list of words"),
        ({"image": "red.jpg", "category": "books", "catgory": "books"}, "unknown key 'catgory'"),
        ({"image": "red.jpg", "category": "books", "condition": "mint"}, "unknown condition 'mint'"),
    ],
)
def test_a_bad_line_is_named_and_nothing_is_imported(tmp_path, settings, line, message):
    outside = tmp_path / "outside.jpg"
    outside.write_bytes(PHOTOS["red.jpg"])
    directory = write_case_dir(
        tmp_path / "set",
        [CASES[0], line],
        {"red.jpg": PHOTOS["red.jpg"], "notes.jpg": bad_photo_files()["text renamed .jpg"][1]},
    )
    (directory / "outside.jpg").symlink_to(outside)

    error = refused("import", directory)

    assert error.returncode == 2
    assert "cases.jsonl line 2: " in str(error) and message in str(error)
    assert "line 1" not in str(error)
    assert not EvalCase.objects.exists() and not stored_media_files()


def test_it_names_every_bad_line_at_once(tmp_path, settings):
    directory = write_case_dir(
        tmp_path / "set",
        [{"image": "a.jpg", "category": "nope"}, "", {"image": "../x.jpg", "category": "books"}, "{"],
        {"a.jpg": PHOTOS["red.jpg"]},
    )

    message = str(refused("import", directory))

    assert "Nothing was imported" in message
    assert [line.split(":")[0] for line in message.splitlines()[1:]] == [
        "cases.jsonl line 1",
        "cases.jsonl line 3",
        "cases.jsonl line 4",
    ]


def test_an_empty_set_or_a_directory_without_cases_is_refused(tmp_path):
    assert "has no cases" in str(refused("import", write_case_dir(tmp_path / "empty", [""])))
    (tmp_path / "bare").mkdir()
    assert "There is no cases.jsonl" in str(refused("import", tmp_path / "bare"))


def test_it_keeps_an_existing_dataset_unless_told_to_replace_it(
    case_dir, tmp_path, settings, django_capture_on_commit_callbacks
):
    evalset("import", case_dir)
    smaller = write_case_dir(tmp_path / "smaller", [CASES[2]], {"red.jpg": PHOTOS["red.jpg"]})

    error = refused("import", smaller, "--dataset", "shop-set")
    assert "already has 3 cases" in str(error) and "--replace" in str(error)
    assert EvalCase.objects.filter(dataset="shop-set").count() == 3

    with django_capture_on_commit_callbacks(execute=True):
        evalset("import", smaller, "--dataset", "shop-set", "--replace")

    assert [values[0] for values in case_values("shop-set")] == ["other"]
    assert len(stored_media_files()) == 1  # the replaced cases' photos went with them


def test_a_bad_dataset_name_is_refused(case_dir):
    assert "cannot name a dataset" in str(refused("import", case_dir, "--dataset", "no spaces/please"))
