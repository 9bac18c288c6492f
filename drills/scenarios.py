"""The four fault drills. Each starts web, worker and beat afresh with its own settings, breaks one thing,
and checks what sellers and shoppers saw and what the database holds afterwards."""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

import requests
from django.db import connections

from drills.client import (
    FINISHED,
    Paced,
    Seller,
    analyses_wait,
    model_requests_per_analysis,
    statuses,
    successful_calls_per_analysis,
    unique_photo,
)
from drills.stack import Stack
from tests.fake_openai import FakeOpenAI

MODEL_SECONDS = 2.0


@dataclass
class Verdict:
    name: str
    checks: list[tuple[bool, str]] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)

    def check(self, passed: bool, text: str) -> None:
        self.checks.append((bool(passed), text))

    def fact(self, text: str) -> None:
        self.facts.append(text)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(passed for passed, _ in self.checks)

    def render(self) -> str:
        lines = [f"drill {self.name}: {'PASS' if self.passed else 'FAIL'}"]
        lines += [f"  [{'ok' if passed else 'FAILED'}] {text}" for passed, text in self.checks]
        lines += [f"  - {text}" for text in self.facts]
        return "\n".join(lines)


@contextmanager
def live(stack: Stack, fake: FakeOpenAI, settings: dict[str, str]):
    """Web, the recommended worker and one beat with the drill's settings; stopped afterwards."""
    env = {"OPENAI_BASE_URL": fake.base_url, **settings}
    try:
        web = stack.start_web(env)
        worker = stack.start_worker(env)
        stack.start_beat(env)
        yield env, web, worker
    finally:
        stack.stop_services()


def _upload_all(sellers: list[Seller], count: int, *, first_photo: int, threads: int = 8) -> list:
    results = [None] * count

    def one(index: int) -> None:
        results[index] = sellers[index % len(sellers)].upload(unique_photo(first_photo + index))

    workers = [threading.Thread(target=lambda i=i: one(i)) for i in range(count)]
    for start in range(0, count, threads):
        batch = workers[start : start + threads]
        for worker in batch:
            worker.start()
        for worker in batch:
            worker.join()
    return results


def _last_end(rows: dict[str, dict]) -> float:
    """Wall-clock time the last of these analyses finished (0 when none has)."""
    return max((row["finished_at"].timestamp() for row in rows.values() if row["finished_at"]), default=0.0)


def _charged_once(verdict: Verdict, ids: list[str]) -> None:
    good_answers = successful_calls_per_analysis(ids)
    doubles = sum(1 for count in good_answers.values() if count > 1)
    verdict.check(doubles == 0, f"no analysis stored two good model answers ({doubles} did)")


# 1. kill -9 a worker mid-analysis

KILL_SETTINGS = {
    # Short timeouts so the lease (3 x 5 s + 2 x 2 s + 5 s + 10 s = 34 s) and the redelivery (30 s) come
    # within a minute; production keeps the defaults (lease 125 s, redelivery 180 s).
    "AI_TIMEOUT_SECONDS": "5",
    "AI_RETRY_MAX_SECONDS": "2",
    "AI_RETRY_AFTER_MAX_SECONDS": "2",
    "CELERY_VISIBILITY_TIMEOUT": "30",
    "CELERY_UNACKED_RESTORE_INTERVAL": "2",
    "AI_STALE_AFTER_SECONDS": "120",
    "AI_SWEEP_EVERY_SECONDS": "5",
}
KILL_UPLOADS = 40


def kill_worker(stack: Stack, sellers: list[Seller]) -> Verdict:
    verdict = Verdict("kill_worker")
    with FakeOpenAI(latency=MODEL_SECONDS) as fake, live(stack, fake, KILL_SETTINGS) as (env, _, worker):
        uploads = _upload_all(sellers, KILL_UPLOADS, first_photo=1000)
        ids = [upload.analysis_id for upload in uploads if upload and upload.analysis_id]
        verdict.check(len(ids) == KILL_UPLOADS, f"{len(ids)}/{KILL_UPLOADS} uploads answered 202")
        time.sleep(0.5)  # every analysis claimed, the model thinking on most of them
        at_kill = statuses(analyses_wait(ids, seconds=0))
        calls_in_flight = fake.in_flight
        worker.kill_hard()
        killed_at = time.time()
        verdict.fact(
            f"at the kill -9, 0.5 s after the last of {len(ids)} uploads: {dict(at_kill)}, "
            f"{calls_in_flight} model calls in flight"
        )
        stack.start_worker(env, name="worker-replacement")
        rows = analyses_wait(ids, seconds=150)
        ended = statuses(rows)
        stuck = sum(count for status, count in ended.items() if status not in FINISHED)
        verdict.check(stuck == 0, f"every analysis ended: {dict(ended)} ({stuck} stuck)")
        last_seconds = _last_end(rows) - killed_at
        verdict.fact(f"the last one ended {last_seconds:.0f} s after the kill (lease 34 s, redelivery 30 s)")
        _charged_once(verdict, ids)
        requests_per = model_requests_per_analysis(fake, ids)
        repeated = sum(1 for count in requests_per.values() if count > 1)
        verdict.check(
            max(requests_per.values(), default=0) <= 2 and repeated <= calls_in_flight,
            f"model requests per analysis at most 2, and a second one only where the first was cut by the kill "
            f"({repeated} analyses asked twice, {calls_in_flight} calls were cut; {sum(requests_per.values())} "
            f"requests for {len(ids)} analyses)",
        )
    return verdict


# 2. Redis stopped for 30 s during uploads

REDIS_SETTINGS = {
    "AI_TIMEOUT_SECONDS": "10",
    "CELERY_VISIBILITY_TIMEOUT": "60",
    "CELERY_UNACKED_RESTORE_INTERVAL": "2",
    "AI_STALE_AFTER_SECONDS": "180",
    "AI_SWEEP_EVERY_SECONDS": "5",
}
REDIS_DOWN_AT, REDIS_DOWN_FOR, REDIS_UPLOADS_FOR = 5.0, 30.0, 45.0


def redis_outage(stack: Stack, sellers: list[Seller]) -> Verdict:
    verdict = Verdict("redis_outage")
    with FakeOpenAI(latency=MODEL_SECONDS) as fake, live(stack, fake, REDIS_SETTINGS):

        def upload_and_look(number: int):
            seller = sellers[number % len(sellers)]
            upload = seller.upload(unique_photo(2000 + number))
            if upload.analysis_id:
                upload.note = (seller.analysis(upload.analysis_id)["error"] or {}).get("type", "")
            return upload

        started = time.monotonic()
        traffic = Paced(upload_and_look, interval=1.0, threads=4).start()
        time.sleep(REDIS_DOWN_AT)
        stack.redis.stop()
        down_at = time.monotonic()
        time.sleep(REDIS_DOWN_FOR)
        stack.redis.start()
        up_at, up_wall = time.monotonic(), time.time()
        time.sleep(max(0.0, started + REDIS_UPLOADS_FOR - time.monotonic()))
        uploads = traffic.stop()

        answered = Counter(upload.status for upload in uploads)
        verdict.check(
            set(answered) == {202}, f"{len(uploads)} uploads, answers: {dict(answered)} (goal: every one 202)"
        )
        during = [upload for upload in uploads if down_at <= upload.started and upload.started + upload.seconds < up_at]
        told = sum(1 for upload in during if upload.note == "queue_unavailable")
        verdict.check(
            during and told == len(during),
            f"{told}/{len(during)} uploads during the outage showed the manual-form note (queue_unavailable)",
        )
        slowest = max((upload.seconds for upload in during), default=0)
        verdict.fact(f"slowest upload during the outage {slowest:.1f} s (broker connect timeout 2 s)")
        ids = [upload.analysis_id for upload in uploads if upload.analysis_id]
        rows = analyses_wait(ids, seconds=120)
        ended = statuses(rows)
        verdict.check(ended == Counter({"succeeded": len(ids)}), f"every analysis ended succeeded: {dict(ended)}")
        back = _last_end(rows) - up_wall
        verdict.fact(f"the last analysis finished {back:.0f} s after Redis came back (sweep every 5 s)")
        _charged_once(verdict, ids)
    return verdict


# 3. The model answers 429 for a minute

RATE_LIMIT_SETTINGS = {
    "AI_TIMEOUT_SECONDS": "10",
    "CELERY_VISIBILITY_TIMEOUT": "60",
    "CELERY_UNACKED_RESTORE_INTERVAL": "2",
    "AI_STALE_AFTER_SECONDS": "180",
    "AI_SWEEP_EVERY_SECONDS": "5",
}
LIMITED_FOR, UPLOADS_FOR, RETRY_AFTER, UPLOADS_PER_SECOND = 60.0, 70.0, 5.0, 1.0
MAX_ATTEMPTS = 3


def llm_rate_limited(stack: Stack, sellers: list[Seller]) -> Verdict:
    from ai_prefill.models import LLMCall

    verdict = Verdict("llm_429")
    with (
        FakeOpenAI(latency=0.1, retry_after=RETRY_AFTER) as fake,
        live(stack, fake, RATE_LIMIT_SETTINGS),
    ):
        fake.default = "429"
        started = time.monotonic()
        traffic = Paced(
            lambda number: sellers[number % len(sellers)].upload(unique_photo(3000 + number)),
            interval=1 / UPLOADS_PER_SECOND,
        ).start()
        time.sleep(LIMITED_FOR)
        fake.latency, fake.default = MODEL_SECONDS, "ok"
        recovered_at = time.time()
        time.sleep(max(0.0, started + UPLOADS_FOR - time.monotonic()))
        uploads = traffic.stop()
        ids = [upload.analysis_id for upload in uploads if upload.analysis_id]
        verdict.check(len(ids) == len(uploads), f"{len(ids)}/{len(uploads)} uploads answered 202")
        rows = analyses_wait(ids, seconds=90)

        ended = statuses(rows)
        stuck = sum(count for status, count in ended.items() if status not in FINISHED)
        failures = Counter(row["error_type"] for row in rows.values() if row["status"] == "failed")
        verdict.check(stuck == 0, f"the backlog drained: {dict(ended)}, {stuck} stuck")
        verdict.check(
            set(failures) <= {"rate_limited"},
            f"every failure is rate_limited after {MAX_ATTEMPTS} tries: {dict(failures)}",
        )
        verdict.fact(f"the last analysis ended {_last_end(rows) - recovered_at:.0f} s after the model recovered")
        received = fake.requests
        verdict.check(
            len(received) <= MAX_ATTEMPTS * len(ids),
            f"no retry storm: the model got {len(received)} requests for {len(ids)} analyses "
            f"(at most {MAX_ATTEMPTS} x {len(ids)} = {MAX_ATTEMPTS * len(ids)})",
        )
        limited = [request.received_at for request in received if request.behaviour == "429"]
        per_second = Counter(int(at - started) for at in limited)
        # Offered load: one upload a second, each asking at most MAX_ATTEMPTS times. A storm would grow past it.
        bound = MAX_ATTEMPTS * UPLOADS_PER_SECOND
        windows = [sum(per_second[second + step] for step in range(10)) / 10 for second in range(int(LIMITED_FOR) - 9)]
        verdict.check(
            max(windows, default=0) <= bound * 1.2,
            f"the request rate stayed bounded while limited: {len(limited) / LIMITED_FOR:.1f}/s on average, at most "
            f"{max(windows, default=0):.1f}/s over any 10 s (offered: {bound:g}/s = {MAX_ATTEMPTS} tries x "
            f"{UPLOADS_PER_SECOND:g} upload/s), {max(per_second.values(), default=0)} in the busiest second",
        )
        gaps = _retry_gaps(LLMCall, ids)
        verdict.check(
            gaps and min(gaps) >= RETRY_AFTER,
            f"each retry after a 429 waited its Retry-After ({RETRY_AFTER:g} s): shortest gap "
            f"{min(gaps, default=0):.1f} s over {len(gaps)} retries",
        )
        _charged_once(verdict, ids)
    return verdict


def _retry_gaps(llm_call_model, ids: list[str]) -> list[float]:
    calls: dict[str, list] = {}
    for call in llm_call_model.objects.filter(analysis_id__in=ids).order_by("started_at"):
        calls.setdefault(str(call.analysis_id), []).append(call)
    gaps = []
    for attempts in calls.values():
        for earlier, later in itertools.pairwise(attempts):
            if earlier.error_type == "rate_limited":
                gaps.append((later.started_at - earlier.started_at).total_seconds())
    return gaps


# 4. PostgreSQL restarted under load

PG_SETTINGS = {
    "AI_TIMEOUT_SECONDS": "10",
    "CELERY_VISIBILITY_TIMEOUT": "60",
    "CELERY_UNACKED_RESTORE_INTERVAL": "2",
    "AI_STALE_AFTER_SECONDS": "60",
    "AI_SWEEP_EVERY_SECONDS": "5",
}
# A quick restart (pg_ctl restart -m fast), then a longer one: stopped for DOWN_FOR seconds, as an upgrade
# or a failover would be; traffic runs throughout.
RESTART_AT, STOP_AT, DOWN_FOR, TRAFFIC_FOR = 8.0, 20.0, 10.0, 45.0
RECOVERY_GOAL, HUNG_AFTER = 5.0, 15.0
CLIENTS = 6


@dataclass
class Hit:
    kind: str
    started: float
    seconds: float
    status: int | None
    clean: bool
    analysis_id: str | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and self.status < 400

    @property
    def ended(self) -> float:
        return self.started + self.seconds


def _browse_hit(session: requests.Session, base_url: str, kind: str, path: str) -> Hit:
    started = time.monotonic()
    try:
        response = session.get(base_url + path, timeout=HUNG_AFTER)
    except requests.Timeout:
        return Hit(kind, started, time.monotonic() - started, None, False, problem="no answer (hung)")
    except requests.RequestException as error:
        return Hit(kind, started, time.monotonic() - started, None, False, problem=type(error).__name__)
    return _judge(kind, started, response.status_code, response.text, response.headers.get("content-type", ""))


def _judge(kind: str, started: float, status: int, body: str, content_type: str) -> Hit:
    seconds = time.monotonic() - started
    if status < 400:
        return Hit(kind, started, seconds, status, True)
    # A clean failure: our own error page or a JSON sentence, never a traceback or a proxy's default page.
    ours = ('"detail"' in body) if content_type.startswith("application/json") else ("Trova" in body)
    clean = status in (500, 503) and ours and "Traceback" not in body
    return Hit(kind, started, seconds, status, clean, problem="" if clean else f"{status}: {body[:160]}")


def _upload_hit(seller: Seller, number: int) -> Hit:
    started = time.monotonic()
    upload = seller.upload(unique_photo(number), timeout=HUNG_AFTER)
    if upload.status is None:
        return Hit("upload", started, upload.seconds, None, False, problem=upload.error)
    hit = _judge("upload", started, upload.status, upload.error, "application/json")
    hit.seconds, hit.analysis_id = upload.seconds, upload.analysis_id
    return hit


def postgres_restart(stack: Stack, sellers: list[Seller]) -> Verdict:
    from marketplace.models import Listing

    verdict = Verdict("postgres_restart")
    listing_ids = list(Listing.objects.filter(status=Listing.Status.ACTIVE).values_list("pk", flat=True)[:30])
    with FakeOpenAI(latency=MODEL_SECONDS) as fake, live(stack, fake, PG_SETTINGS):
        base_url = stack.web_url
        hits: list[Hit] = []
        lock = threading.Lock()
        stop = threading.Event()

        def client(number: int) -> None:
            session, choice = requests.Session(), random.Random(number)
            seller = sellers[number % len(sellers)]
            count = 0
            while not stop.is_set():
                count += 1
                roll = choice.random()
                if roll < 0.1:
                    hit = _upload_hit(seller, 4000 + number * 1000 + count)
                elif roll < 0.4:
                    hit = _browse_hit(session, base_url, "browse", "/")
                elif roll < 0.6:
                    hit = _browse_hit(session, base_url, "search", "/?q=" + choice.choice(["chair", "lamp", "bike"]))
                elif roll < 0.85:
                    hit = _browse_hit(session, base_url, "detail", f"/listings/{choice.choice(listing_ids)}/")
                else:
                    hit = _browse_hit(session, base_url, "api", "/api/listings?sort=price_asc")
                with lock:
                    hits.append(hit)
                time.sleep(0.05)

        threads = [threading.Thread(target=client, args=(number,), daemon=True) for number in range(CLIENTS)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        outages = []
        time.sleep(RESTART_AT)
        began = time.monotonic()
        stack.postgres.restart()
        outages.append(("pg_ctl restart -m fast", began, time.monotonic()))
        time.sleep(max(0.0, started + STOP_AT - time.monotonic()))
        began = time.monotonic()
        stack.postgres.stop("fast")
        time.sleep(DOWN_FOR)
        stack.postgres.resume()
        outages.append((f"stopped for {DOWN_FOR:g} s", began, time.monotonic()))
        connections.close_all()  # the drill's own connection did not survive the restarts either
        time.sleep(max(0.0, started + TRAFFIC_FOR - time.monotonic()))
        stop.set()
        for thread in threads:
            thread.join(timeout=HUNG_AFTER + 5)

        verdict.fact(f"{len(hits)} requests from {CLIENTS} clients over {TRAFFIC_FOR:g} s")
        before = [hit for hit in hits if hit.ended < outages[0][1]]
        verdict.check(all(hit.ok for hit in before), f"all {len(before)} requests before the first restart succeeded")
        hung = [hit for hit in hits if hit.seconds >= HUNG_AFTER]
        verdict.check(not hung, f"no request hung ({len(hung)} took {HUNG_AFTER:g} s or more)")
        failed = [hit for hit in hits if not hit.ok]
        unclean = [hit for hit in failed if not hit.clean]
        verdict.check(
            not unclean,
            f"{len(failed)} requests failed, all cleanly: {dict(Counter(hit.status for hit in failed))}"
            + (f"; not cleanly: {[(hit.kind, hit.problem[:100]) for hit in unclean[:3]]}" if unclean else ""),
        )
        for index, (name, began, ended) in enumerate(outages):
            until = outages[index + 1][1] if index + 1 < len(outages) else started + TRAFFIC_FOR
            during = [hit for hit in hits if hit.ended >= began and hit.started <= ended]
            after = [hit for hit in hits if hit.started > ended + RECOVERY_GOAL and hit.ended < until]
            last_failure = max((hit.ended for hit in failed if began <= hit.ended < until), default=None)
            if last_failure is None:
                recovered = "none failed"
            elif last_failure <= ended:
                recovered = "none failed once it was back"
            else:
                recovered = f"failures until {last_failure - ended:.1f} s after it was back"
            verdict.check(
                after and all(hit.ok for hit in after),
                f"{name} ({ended - began:.1f} s): {sum(not hit.ok for hit in during)}/{len(during)} requests across it "
                f"failed, the slowest took {max((hit.seconds for hit in during), default=0):.1f} s; {recovered}; all "
                f"{len(after)} requests from {RECOVERY_GOAL:g} s after it succeeded",
            )

        ids = [hit.analysis_id for hit in hits if hit.analysis_id]
        rows = analyses_wait(ids, seconds=120)
        ended_statuses = statuses(rows)
        stuck = sum(count for status, count in ended_statuses.items() if status not in FINISHED)
        failures = Counter(row["error_type"] for row in rows.values() if row["status"] == "failed")
        verdict.check(
            stuck == 0,
            f"every analysis uploaded under load ended: {dict(ended_statuses)} (failures: {dict(failures)})",
        )
        _charged_once(verdict, ids)
    return verdict


DRILLS = {
    "kill_worker": kill_worker,
    "redis_outage": redis_outage,
    "llm_429": llm_rate_limited,
    "postgres_restart": postgres_restart,
}
