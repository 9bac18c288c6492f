"""What the drills do as sellers and shoppers, over HTTP against the live web server, and what they read back."""

from __future__ import annotations

import hashlib
import io
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import requests
from PIL import Image

from tests.fake_openai import FakeOpenAI, decode_data_url, request_image_urls

FINISHED = ("succeeded", "failed")


def unique_photo(number: int) -> bytes:
    """A small JPEG no other upload shares, so the model requests can be traced back to their analysis."""
    shades = random.Random(number)
    image = Image.new("RGB", (16, 12))
    image.putdata([tuple(shades.randrange(256) for _ in range(3)) for _ in range(16 * 12)])
    out = io.BytesIO()
    image.resize((640, 480), Image.Resampling.NEAREST).save(out, format="JPEG", quality=90)
    return out.getvalue()


@dataclass
class Upload:
    started: float  # time.monotonic()
    seconds: float
    status: int | None  # None: no HTTP answer at all (connection refused or reset, or the client's timeout)
    analysis_id: str | None = None
    error: str = ""
    note: str = ""  # the analysis's error type right after the upload, when asked


class Seller:
    """One seller with an API token; thread-safe, one HTTP session per thread."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.headers = {"Authorization": f"Bearer {token}"}
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def upload(self, photo: bytes, *, timeout: float = 30) -> Upload:
        started = time.monotonic()
        try:
            response = self.session.post(
                f"{self.base_url}/api/analyses",
                files={"image": ("photo.jpg", photo, "image/jpeg")},
                headers=self.headers,
                timeout=timeout,
            )
        except requests.RequestException as error:
            return Upload(started, time.monotonic() - started, None, error=type(error).__name__)
        upload = Upload(started, time.monotonic() - started, response.status_code)
        if response.status_code == 202:
            upload.analysis_id = response.json()["id"]
        else:
            upload.error = response.text[:200]
        return upload

    def analysis(self, analysis_id: str) -> dict:
        response = self.session.get(f"{self.base_url}/api/analyses/{analysis_id}", headers=self.headers, timeout=10)
        response.raise_for_status()
        return response.json()


def sellers_create(base_url: str, count: int, prefix: str) -> list[Seller]:
    """Sellers made in the database directly (the drill's Django talks to the same private PostgreSQL)."""
    from marketplace.auth import token_issue
    from marketplace.models import User

    sellers = []
    for number in range(count):
        user = User.objects.create_user(username=f"{prefix}{number:02d}", password=None)
        sellers.append(Seller(base_url, token_issue(user=user)))
    return sellers


def analyses_wait(ids: list[str], *, seconds: float) -> dict[str, dict]:
    """Rows of the analyses once every one has finished, or as they are when the time is up."""
    from ai_prefill.models import Analysis

    deadline = time.monotonic() + seconds
    while True:
        rows = {
            str(row["id"]): row
            for row in Analysis.objects.filter(pk__in=ids).values(
                "id", "status", "error_type", "created_at", "started_at", "finished_at", "attempts"
            )
        }
        if all(row["status"] in FINISHED for row in rows.values()) or time.monotonic() > deadline:
            return rows
        time.sleep(0.5)


def statuses(rows: dict[str, dict]) -> Counter:
    return Counter(row["status"] for row in rows.values())


def successful_calls_per_analysis(ids: list[str]) -> Counter:
    """How many model answers were stored as good for each analysis: more than one would be paid twice."""
    from ai_prefill.models import LLMCall

    return Counter(
        str(analysis_id)
        for analysis_id in LLMCall.objects.filter(analysis_id__in=ids, error_type="").values_list(
            "analysis_id", flat=True
        )
    )


def model_requests_per_analysis(fake: FakeOpenAI, ids: list[str]) -> Counter:
    """How many requests the fake model received for each analysis, matched by the photo it was sent."""
    from ai_prefill.images import photo_model_image
    from ai_prefill.models import Analysis

    by_image = {}
    for analysis in Analysis.objects.filter(pk__in=ids).select_related("photo"):
        image_jpeg, _ = photo_model_image(analysis.photo)  # what the worker sends
        by_image[hashlib.sha256(image_jpeg).hexdigest()] = str(analysis.pk)
    counts: Counter = Counter()
    for request in fake.requests:
        for url in request_image_urls(request.body or {}):
            digest = hashlib.sha256(decode_data_url(url)[1]).hexdigest()
            counts[by_image.get(digest, "unknown")] += 1
    return counts


@dataclass
class Paced:
    """Runs `action(number)` every `interval` seconds on a few threads until stopped; keeps the results."""

    action: object
    interval: float
    threads: int = 4
    results: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._next = 0
        self._workers = [threading.Thread(target=self._run, daemon=True) for _ in range(self.threads)]
        self._started = 0.0

    def start(self) -> Paced:
        self._started = time.monotonic()
        for worker in self._workers:
            worker.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                number = self._next
                self._next += 1
            # Each number has its slot in time; a slow answer delays only its own thread.
            delay = self._started + number * self.interval - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                return
            result = self.action(number)
            with self._lock:
                self.results.append(result)

    def stop(self) -> list:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=60)
        return self.results
