"""Hostile uploads on every surface that takes a photo.

Refused files: a 4xx with a sentence (never a 500), no row, no file left in MEDIA_ROOT or the upload temp
folder, nothing sent to the model. Odd but real photos: stored only as our own re-encoded JPEG, without the
markup or metadata they carried, under random names inside MEDIA_ROOT. And whatever sits in storage, the
analysis task ends succeeded or failed, never raising.
"""

import html
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from ai_prefill.models import Analysis
from ai_prefill.tasks import analyze_task
from marketplace.models import Listing, Photo
from marketplace.services.photos import make_renditions, photo_create
from tests.factories import jpeg_bytes, listing_with_photo, photo_upload
from tests.fake_openai import FakeOpenAI
from tests.security.hostile_files import HostileFile, accepted_files, refused_files

pytestmark = [
    pytest.mark.django_db,
    # Pillow warns about the broken EXIF these files carry on purpose; what matters is how we answer.
    pytest.mark.filterwarnings("ignore::UserWarning:PIL.TiffImagePlugin"),
]

FIELDS = {
    "title": "Road bike",
    "description": "Aluminium frame.",
    "category": "sports",
    "price": "250",
    "condition": "good",
}
TOO_MANY_FILES_PAGE = "That request did not make sense"
TOO_MANY_FILES_API = "The request has too many files or fields."


@dataclass(frozen=True)
class Surface:
    name: str
    url: Callable  # (seller) -> the URL to post to; may create what the surface needs (a listing)
    data: Callable  # (files) -> the form data
    refused_status: int
    accepted_status: int
    api: bool = False
    headers: dict | None = None


def _listing_photos_url(seller) -> str:
    return reverse("marketplace:listing_photos_add", args=[listing_with_photo(seller=seller).pk])


SURFACES = [
    Surface(
        "sell page", lambda seller: reverse("ai_prefill:sell"), lambda files: {**FIELDS, "photos": files}, 400, 302
    ),
    Surface("listing edit: add photos", _listing_photos_url, lambda files: {"photos": files}, 400, 302),
    Surface(
        "POST /api/listings", lambda seller: "/api/listings", lambda files: {**FIELDS, "images": files}, 400, 201, True
    ),
    # The sell page without JavaScript: "Analyse photos" stores the picked files and starts the analysis.
    Surface(
        "sell page: analyse photos",
        lambda seller: reverse("ai_prefill:sell"),
        lambda files: {**FIELDS, "photos": files, "intent": "analyse"},
        400,
        200,
    ),
    # With JavaScript each picked photo is sent on its own as soon as it is picked.
    Surface(
        "photo-first /sell/photo/ with htmx",
        lambda seller: reverse("ai_prefill:sell_photo"),
        lambda files: {"photo": files},
        422,
        200,
        headers={"HTTP_HX_REQUEST": "true"},
    ),
    Surface("POST /api/analyses", lambda seller: "/api/analyses", lambda files: {"image": files}, 400, 202, True),
]
SURFACE_IDS = [surface.name for surface in SURFACES]


@dataclass
class Before:
    media: set[Path]
    rows: tuple[int, int, int]


def _media_files() -> set[Path]:
    return {path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()}


def _rows() -> tuple[int, int, int]:
    return Listing.objects.count(), Photo.objects.count(), Analysis.objects.count()


@pytest.fixture(scope="module")
def _model_server():
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def model(settings, _model_server):
    """The fake OpenAI server, as tests/conftest.py's model, started once for these ~300 cases."""
    _model_server.reset()
    settings.AI_PROVIDER = "openai"
    settings.OPENAI_BASE_URL = _model_server.base_url
    settings.OPENAI_API_KEY = ""
    settings.AI_TIMEOUT_SECONDS = 5
    return _model_server


@pytest.fixture
def upload_temp_dir(settings, tmp_path) -> Path:
    """Django's temporary files for big uploads go here, so the test can see that none is left behind."""
    folder = tmp_path / "upload-temp"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


@pytest.fixture
def send(client, seller, model, upload_temp_dir, published_tasks, django_capture_on_commit_callbacks):
    """send(surface, files) -> (response, state before): posts as the seller, then runs whatever was enqueued."""
    client.force_login(seller)

    def send(surface: Surface, files: list[SimpleUploadedFile]):
        url = surface.url(seller)
        before = Before(_media_files(), _rows())
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, surface.data(files), **(surface.headers or {}))
        for name, args in published_tasks():
            assert name == "ai_prefill.tasks.analyze_task"
            assert not analyze_task.apply(args=args).failed()
        return response, before

    return send


def _upload(hostile: HostileFile) -> SimpleUploadedFile:
    return SimpleUploadedFile(hostile.name, hostile.data, content_type=hostile.content_type)


def _sentence(response, api: bool) -> str:
    if api:
        assert response["Content-Type"].startswith("application/json")
        return response.json()["detail"]
    return html.unescape(response.content.decode())


def _assert_nothing_kept(before: Before, upload_temp_dir: Path, model) -> None:
    assert _rows() == before.rows
    assert _media_files() == before.media
    assert not list(upload_temp_dir.iterdir())
    assert model.requests == []


@pytest.mark.parametrize("surface", SURFACES, ids=SURFACE_IDS)
@pytest.mark.parametrize("case", list(refused_files()))
def test_it_refuses_a_hostile_file_with_a_sentence_and_keeps_nothing(send, surface, case, upload_temp_dir, model):
    hostile = refused_files()[case]

    response, before = send(surface, [_upload(hostile)])

    assert response.status_code == surface.refused_status, response.content[:300]
    sentence = _sentence(response, surface.api)
    assert sentence.startswith(hostile.sentence) if surface.api else hostile.sentence in sentence, sentence[:300]
    _assert_nothing_kept(before, upload_temp_dir, model)


@pytest.mark.parametrize("surface", SURFACES, ids=SURFACE_IDS)
def test_it_refuses_101_files_in_one_request(send, surface, upload_temp_dir, model):
    files = [photo_upload(f"photo{number}.jpg", jpeg_bytes(8, 8)) for number in range(101)]

    response, before = send(surface, files)

    assert response.status_code == 400
    expected = TOO_MANY_FILES_API if surface.api else TOO_MANY_FILES_PAGE
    assert expected in _sentence(response, surface.api)
    _assert_nothing_kept(before, upload_temp_dir, model)


@pytest.mark.parametrize("surface", SURFACES, ids=SURFACE_IDS)
@pytest.mark.parametrize("case", list(accepted_files()))
def test_an_odd_but_real_photo_is_kept_only_as_our_own_jpeg(send, surface, case, tmp_path, upload_temp_dir):
    hostile = accepted_files()[case]

    response, before = send(surface, [_upload(hostile)])

    assert response.status_code == surface.accepted_status, response.content[:300]
    new_photos = Photo.objects.exclude(image__in=[path.relative_to(settings.MEDIA_ROOT) for path in before.media])
    stored = [name for photo in new_photos for name in (photo.image.name, photo.thumbnail.name)]
    assert len(stored) == 2
    for name in stored:
        assert name.startswith("photos/") and name.endswith(".jpg") and ".." not in name
        data = (Path(settings.MEDIA_ROOT) / name).read_bytes()
        assert Image.open(io.BytesIO(data)).format == "JPEG"
        assert b"Exif\0\0" not in data and b"<script" not in data and b"<html" not in data
        assert not hostile.payload or hostile.payload not in data
    # Nothing was written outside MEDIA_ROOT, whatever the file's name said.
    media = Path(settings.MEDIA_ROOT)
    assert [path for path in tmp_path.rglob("*") if path.is_file() and media not in path.parents] == []
    assert not list(upload_temp_dir.iterdir())
    for analysis in Analysis.objects.all():
        assert analysis.status in (Analysis.Status.SUCCEEDED, Analysis.Status.FAILED)


def _stored_analysis(seller, data: bytes) -> Analysis:
    """A pending analysis whose stored photo file holds `data`, as if it had got past the upload check."""
    photo = photo_create(owner=seller, renditions=make_renditions(photo_upload()))
    Path(photo.image.path).write_bytes(data)
    return Analysis.objects.create(user=seller, photo=photo)


@pytest.mark.parametrize("case", [*refused_files(), *accepted_files()])
def test_the_worker_survives_any_stored_file(seller, model, case):
    hostile = {**refused_files(), **accepted_files()}[case]
    analysis = _stored_analysis(seller, hostile.data)

    result = analyze_task.apply(args=[str(analysis.pk)])

    assert not result.failed(), result.traceback
    analysis.refresh_from_db()
    assert analysis.status in (Analysis.Status.SUCCEEDED, Analysis.Status.FAILED)
    # A photo the worker could not read never reached the model.
    assert len(model.requests) == (1 if analysis.status == Analysis.Status.SUCCEEDED else 0)
