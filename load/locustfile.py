"""Shoppers browse, search, filter and open listings; a few sellers upload a photo and wait for its suggestion.

Run by `make load` (python -m load), which starts the stack and writes the file TROVA_LOAD_CONFIG points to:
listing ids, category slugs, search words, the sellers' API tokens and the photo to upload.
"""

import json
import os
import random
import time
from pathlib import Path

from locust import HttpUser, between, task

CONFIG = json.loads(Path(os.environ["TROVA_LOAD_CONFIG"]).read_text())
PHOTO = Path(CONFIG["photo"]).read_bytes()
FINISHED = ("succeeded", "failed")
SUGGESTION_WAIT_SECONDS = 60


class Shopper(HttpUser):
    weight = 9
    wait_time = between(1, 3)

    @task(4)
    def browse(self) -> None:
        self.client.get("/", name="browse")

    @task(2)
    def browse_further(self) -> None:
        self.client.get(f"/?page={random.randint(2, 40)}", name="browse, page 2-40")

    @task(3)
    def search(self) -> None:
        self.client.get("/", params={"q": random.choice(CONFIG["words"])}, name="search")

    @task(2)
    def category(self) -> None:
        sort = random.choice(["newest", "price_asc", "price_desc"])
        price = random.choice(["", "100"])
        params = {"category": random.choice(CONFIG["categories"]), "sort": sort, "max_price": price}
        self.client.get("/", params=params, name="category, sorted")

    @task(4)
    def listing(self) -> None:
        self.client.get(f"/listings/{random.choice(CONFIG['listing_ids'])}/", name="listing")

    @task(1)
    def api_search(self) -> None:
        self.client.get("/api/listings", params={"q": random.choice(CONFIG["words"])}, name="api listings")


class Seller(HttpUser):
    """Uploads a phone photo through the API, as the sell page does, and polls until the suggestion is there."""

    fixed_count = 5
    wait_time = between(3, 6)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {random.choice(CONFIG['tokens'])}"

    @task
    def sell(self) -> None:
        photo = {"image": ("photo.jpg", PHOTO, "image/jpeg")}
        with self.client.post("/api/analyses", files=photo, name="upload photo", catch_response=True) as response:
            if response.status_code != 202:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return
            analysis_id = response.json()["id"]
        deadline = time.monotonic() + SUGGESTION_WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(1)  # the sell page polls once a second
            status = self.client.get(f"/api/analyses/{analysis_id}", name="analysis status").json()["status"]
            if status in FINISHED:
                return
