import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from evals.models import EvalCase
from feedback.models import Annotation, Review
from feedback.selectors import annotation_queue
from feedback.services import (
    AlreadyAnnotated,
    AnnotationInvalid,
    FieldVerdict,
    annotation_claim,
    annotation_claim_next,
    annotation_record,
    annotation_skip,
    reviews_ensure,
    sample_key,
    vote_record,
)
from tests.conftest import require_service
from tests.factories import UserFactory, category, suggested_analysis
from tests.feedback.helpers import post_from_suggestion

pytestmark = pytest.mark.django_db


@pytest.fixture
def annotators(db):
    return UserFactory(username="ann", is_staff=True), UserFactory(username="bob", is_staff=True)


@pytest.fixture
def no_sample(settings):
    settings.ANNOTATION_SAMPLE_RATE = 0


def thumbs_down(seller, **fields):
    analysis = suggested_analysis(user=seller, **fields)
    vote_record(analysis=analysis, user=seller, value="down", reasons=["wrong_item"])
    return analysis


def test_the_queue_takes_thumbs_down_and_corrected_category_or_price(seller, annotators, no_sample):
    down = thumbs_down(seller)
    price_changed, _ = post_from_suggestion(seller, price=Decimal("35.00"))
    title_only_changed, _ = post_from_suggestion(seller, title="Headphones")
    up = suggested_analysis(user=seller)
    vote_record(analysis=up, user=seller, value="up")
    failed = suggested_analysis(user=seller, status="failed")
    reviews_ensure()

    queued = set(annotation_queue(user=annotators[0], now=timezone.now()).values_list("pk", flat=True))

    assert queued == {down.pk, price_changed.pk}
    assert not {title_only_changed.pk, up.pk, failed.pk} & queued


def test_the_random_sample_is_decided_once_per_analysis(seller, annotators, settings):
    analyses = [suggested_analysis(user=seller) for _ in range(40)]
    reviews_ensure()
    settings.ANNOTATION_SAMPLE_RATE = 0.5

    queued = set(annotation_queue(user=annotators[0], now=timezone.now()).values_list("pk", flat=True))

    expected = {a.pk for a in analyses if sample_key(a.pk) < 5000}
    assert queued == expected and 0 < len(expected) < 40
    assert sample_key(analyses[0].pk) == sample_key(str(analyses[0].pk))
    settings.ANNOTATION_SAMPLE_RATE = 1
    assert annotation_queue(user=annotators[0], now=timezone.now()).count() == 40


def test_thumbs_down_come_first(seller, annotators, no_sample):
    corrected, _ = post_from_suggestion(seller, category=category("other"))
    down = thumbs_down(seller)

    assert annotation_claim_next(user=annotators[0]) == down
    assert annotation_claim_next(user=annotators[1]) == corrected


def test_two_annotators_get_different_items(seller, annotators, no_sample):
    first, second = thumbs_down(seller), thumbs_down(seller)
    ann, bob = annotators

    got_ann = annotation_claim_next(user=ann)
    got_bob = annotation_claim_next(user=bob)

    assert {got_ann, got_bob} == {first, second}
    assert annotation_claim_next(user=UserFactory(username="cy", is_staff=True)) is None


def test_an_annotator_keeps_their_item_on_reload(seller, annotators, no_sample):
    thumbs_down(seller)
    thumbs_down(seller)
    ann, _ = annotators

    assert annotation_claim_next(user=ann) == annotation_claim_next(user=ann)


def test_the_claim_is_a_compare_and_set(seller, annotators, no_sample):
    analysis = thumbs_down(seller)
    ann, bob = annotators
    now = timezone.now()
    # Both read the queue before either claims: only one claim can win.
    assert [a.pk for a in annotation_queue(user=ann, now=now)] == [a.pk for a in annotation_queue(user=bob, now=now)]

    assert annotation_claim(analysis_id=analysis.pk, user=ann, now=now) is True
    assert annotation_claim(analysis_id=analysis.pk, user=bob, now=now) is False
    assert Review.objects.get(pk=analysis.pk).claimed_by == ann


def test_a_lease_expires_and_the_item_goes_to_someone_else(seller, annotators, no_sample, settings):
    analysis = thumbs_down(seller)
    ann, bob = annotators
    start = timezone.now()
    annotation_claim_next(user=ann, now=start)

    assert annotation_claim_next(user=bob, now=start + timedelta(seconds=settings.ANNOTATION_LEASE_SECONDS - 1)) is None
    assert annotation_claim_next(user=bob, now=start + timedelta(seconds=settings.ANNOTATION_LEASE_SECONDS + 1)) == (
        analysis
    )


def test_skipping_moves_on_and_leaves_the_item_to_others(seller, annotators, no_sample):
    first, second = thumbs_down(seller), thumbs_down(seller)
    ann, bob = annotators
    assert annotation_claim_next(user=ann) == first

    annotation_skip(analysis=first, user=ann)

    assert annotation_claim_next(user=ann) == second
    assert annotation_claim_next(user=bob) == first


def test_saving_an_annotation_takes_it_out_of_the_queue(seller, annotators, no_sample):
    analysis = thumbs_down(seller)
    ann, bob = annotators
    annotation_claim_next(user=ann)

    annotation = annotation_record(
        analysis=analysis,
        annotator=ann,
        verdicts={"title": FieldVerdict(correct=False, value="Desk lamp"), "price": FieldVerdict(correct=True)},
        notes="It is a lamp.",
    )

    assert annotation.wrong_fields == ["title"]
    assert annotation.verdicts["title"] == {"correct": False, "value": "Desk lamp"}
    review = Review.objects.get(pk=analysis.pk)
    assert review.reviewed_by == ann and review.claimed_by is None
    assert annotation_claim_next(user=bob) is None
    with pytest.raises(AlreadyAnnotated):
        annotation_record(analysis=analysis, annotator=bob, verdicts={})
    assert Annotation.objects.count() == 1


def test_an_annotation_can_become_an_evaluation_case(seller, annotators, no_sample):
    analysis = thumbs_down(seller)
    verdicts = {
        "title": FieldVerdict(correct=False, value="Brass desk lamp"),
        "description": FieldVerdict(correct=True),
        "category": FieldVerdict(correct=False, value="home-garden"),
        "price": FieldVerdict(correct=False, value="40.00"),
        "condition": FieldVerdict(correct=True),
    }

    annotation = annotation_record(
        analysis=analysis, annotator=annotators[0], verdicts=verdicts, add_to_eval_set=True, dataset="lamps"
    )

    case = EvalCase.objects.get()
    assert annotation.eval_case == case
    assert (case.dataset, case.source, case.source_analysis) == ("lamps", "annotation", analysis)
    assert (case.expected_category, case.expected_price_min, case.expected_price_max) == (
        "home-garden",
        Decimal("28.00"),
        Decimal("52.00"),
    )
    assert case.title_must_mention == ["lamp"]
    assert case.expected_condition == "good" and case.expected_title == "Brass desk lamp"
    assert case.image.read() == analysis.photo.image.open("rb").read()
    assert case.image.name != analysis.photo.image.name


def test_an_eval_case_needs_a_category(seller, annotators, no_sample):
    analysis = thumbs_down(seller)

    with pytest.raises(AnnotationInvalid, match="choose the right category"):
        annotation_record(
            analysis=analysis,
            annotator=annotators[0],
            verdicts={"category": FieldVerdict(correct=False)},
            add_to_eval_set=True,
        )

    assert not Annotation.objects.exists() and not EvalCase.objects.exists()


# No serialized_rollback: after a committing test without it, its setup fails on re-created content types.
@pytest.mark.django_db(transaction=True)
def test_two_annotators_claiming_at_the_same_instant_never_share_an_item(settings):
    require_service(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL=postgres://…)")
    settings.ANNOTATION_SAMPLE_RATE = 0
    seller = UserFactory(username="seller")
    for _ in range(6):
        thumbs_down(seller)
    staff = [UserFactory(username=f"annotator{n}", is_staff=True) for n in range(6)]
    reviews_ensure()
    barrier = threading.Barrier(len(staff))
    claimed, errors = {}, []

    def claim(user):
        try:
            barrier.wait()
            analysis = annotation_claim_next(user=user)
            claimed[user.pk] = analysis.pk if analysis else None
        except Exception as error:  # surfaced below; a thread must not swallow it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(user,)) for user in staff]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    got = [pk for pk in claimed.values() if pk]
    assert len(got) == len(set(got)) == 6
