"""Where photos are stored: local disk by default, S3-compatible object storage with MEDIA_STORAGE=s3."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOW_STORAGE = (
    "import django; django.setup(); from django.conf import settings; from django.core.files.storage import storages; "
    "s = storages['default']; print(type(s).__name__, s.url('photos/ab/cd.jpg'), settings.SECURE_CSP['img-src'][-1])"
)


def _run(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "MEDIA_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.base", "DEBUG": "1", **env_overrides})
    return subprocess.run(
        [sys.executable, "-c", SHOW_STORAGE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_it_keeps_photos_on_local_disk_by_default():
    result = _run({})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["FileSystemStorage", "/media/photos/ab/cd.jpg", "blob:"]


def test_it_serves_local_photos_from_another_domain_when_media_url_says_so():
    result = _run({"MEDIA_URL": "https://media.trova.example/"})
    assert result.stdout.split() == [
        "FileSystemStorage",
        "https://media.trova.example/photos/ab/cd.jpg",
        "https://media.trova.example",  # the pages' Content-Security-Policy lets those images in
    ]


def test_it_stores_photos_in_s3_compatible_storage_when_asked():
    result = _run(
        {
            "MEDIA_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": "trova-photos",
            "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
            "AWS_S3_CUSTOM_DOMAIN": "media.trova.example",
        }
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "S3Storage",
        "https://media.trova.example/photos/ab/cd.jpg",
        "https://media.trova.example",
    ]


def test_it_refuses_s3_without_a_bucket():
    result = _run({"MEDIA_STORAGE": "s3"})
    assert result.returncode != 0
    assert "MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME" in result.stderr


def test_it_refuses_s3_when_the_photos_host_is_unknown():
    # Without it, the Content-Security-Policy would block every photo.
    result = _run({"MEDIA_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "trova-photos"})
    assert result.returncode != 0
    assert "needs AWS_S3_CUSTOM_DOMAIN or an absolute MEDIA_URL" in result.stderr
