"""The model-ready image: small, JPEG, without metadata."""

import io

import pytest
from PIL import Image

from ai_prefill.images import prepare_model_image
from core.errors import PhotoRejected
from tests.ai_prefill.llm_helpers import gps_exif, photo_jpeg
from tests.factories import png_bytes


def test_it_shrinks_a_big_photo_to_1024_on_the_long_side_and_drops_its_exif():
    original = photo_jpeg(6000, 4000, exif=gps_exif())
    assert Image.open(io.BytesIO(original)).getexif()  # the test photo does carry GPS tags

    prepared = Image.open(io.BytesIO(prepare_model_image(original)))

    assert prepared.format == "JPEG"
    assert prepared.size == (1024, 683)
    assert not prepared.getexif()
    assert "exif" not in prepared.info


def test_it_keeps_a_small_photo_at_its_size():
    prepared = Image.open(io.BytesIO(prepare_model_image(photo_jpeg(640, 480))))

    assert prepared.size == (640, 480)


def test_it_turns_a_transparent_png_into_a_jpeg():
    prepared = Image.open(io.BytesIO(prepare_model_image(png_bytes(300, 200))))

    assert prepared.format == "JPEG"
    assert prepared.mode == "RGB"


def test_it_rejects_bytes_that_are_not_a_photo():
    with pytest.raises(PhotoRejected):
        prepare_model_image(b"not a photo at all")
