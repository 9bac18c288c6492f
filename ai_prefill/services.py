"""The analysis lifecycle: from a seller's photos to a stored suggestion, or a failure a seller can read."""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Min, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from ai_prefill.comparables import comparables_apply
from ai_prefill.images import photo_model_image
from ai_prefill.live import live_analysis
from ai_prefill.llm import MAX_ATTEMPTS, ModelConfig, PrefillFailed, prefill_suggest
from ai_prefill.llm.capabilities import ModelParamsInvalid
from ai_prefill.llm.prompt import PromptVersionError
from ai_prefill.models import Analysis, AnalysisPhoto
from ai_prefill.rollout.selectors import analysis_model_config
from ai_prefill.rollout.services import variant_assign
from core.context import log_context
from core.db import connection_release, through_database_outage
from core.errors import DomainError, NotFound, PhotoRejected, RateLimited, sliding_window_wait
from marketplace.models import Photo, User
from marketplace.services.photos import make_renditions, photo_create, photo_delete_files

logger = logging.getLogger(__name__)

QUEUE_UNAVAILABLE_MESSAGE = _("We couldn't start the suggestion; please fill in the form yourself.")
TIMED_OUT_MESSAGE = _("The suggestion took too long; please fill in the form yourself.")
INTERNAL_ERROR_MESSAGE = _("Something went wrong on our side with the suggestion; please fill in the form yourself.")

# Time for everything around the model calls: loading and downscaling the photo, the database writes.
_HOUSEKEEPING_SECONDS = 5
# Past the budget the task gets a soft then a hard time limit (prefork); the lease outlasts both, so it
# only expires once the holder has been stopped, by the limits or by its own SDK timeouts.
HARD_LIMIT_MARGIN_SECONDS = 5
LEASE_MARGIN_SECONDS = 10


class AnalysisRateLimited(RateLimited):
    pass


@dataclass(frozen=True)
class LeaseHeld:
    seconds_left: float


@dataclass(frozen=True)
class SweepResult:
    timed_out: int
    requeued: int


def analysis_time_budget_seconds() -> float:
    """The longest one delivery may work on an analysis: every attempt timing out, plus the waits between."""
    waits = (MAX_ATTEMPTS - 1) * max(settings.AI_RETRY_MAX_SECONDS, settings.AI_RETRY_AFTER_MAX_SECONDS)
    return settings.AI_TIMEOUT_SECONDS * MAX_ATTEMPTS + waits + _HOUSEKEEPING_SECONDS


def seller_language() -> str:
    """The language the suggestion is asked in: the request's active one (a code of settings.LANGUAGES)."""
    active = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    known = {code for code, _ in settings.LANGUAGES}
    return active if active in known else settings.LANGUAGE_CODE


class TooManyPhotos(DomainError):
    status_code = 400


def analysis_photos(analysis: Analysis) -> list[Photo]:
    """Every photo of the analysis still stored, in the order the model is (or was) sent them."""
    photos = [row.photo for row in analysis.analysis_photos.select_related("photo").order_by("position")]
    if not photos and analysis.photo is not None:
        return [analysis.photo]  # a row made with its photo only (tests, admin): that photo is the whole set
    return photos


def _photos_check(*, user: User, photos: Sequence[Photo], count: int) -> None:
    limit = settings.PHOTOS_PER_LISTING
    if count == 0:
        raise PhotoRejected(_("Please add at least one photo."))
    if count > limit:
        raise TooManyPhotos(
            _("An item can have up to %(limit)d photos; these are %(count)d. Please leave out %(extra)d.")
            % {"limit": limit, "count": count, "extra": count - limit}
        )
    for photo in photos:
        if photo.owner_id != user.pk or photo.listing_id is not None:
            raise NotFound(_("We could not find one of those photos. Please add it again."))


def analysis_start(
    *,
    user: User,
    uploads: Sequence = (),
    photos: Sequence[Photo] = (),
    session_key: str = "",
    language: str | None = None,
) -> Analysis:
    """Store the uploads, create a pending analysis of `photos` then the uploads (1 to PHOTOS_PER_LISTING in all, in
    that order) and enqueue it once the transaction has committed.

    The suggestion is asked in `language`, by default the active language (seller_language)."""
    _photos_check(user=user, photos=photos, count=len(photos) + len(uploads))
    # Decoding is the slow part; it holds no lock and no transaction. Every upload is checked before any is stored.
    renditions = [_renditions(upload, number=number, of=len(uploads)) for number, upload in enumerate(uploads, 1)]
    stored: list[Photo] = []
    try:
        with transaction.atomic():
            # One user's uploads queue up here, so parallel requests cannot slip past the limit together.
            User.objects.select_for_update().filter(pk=user.pk).exists()
            _check_rate_limit(user)
            for rendition in renditions:
                stored.append(photo_create(owner=user, renditions=rendition))
            analysis = _analysis_create(
                user=user, session_key=session_key, photos=[*photos, *stored], language=language or seller_language()
            )
            transaction.on_commit(lambda: analysis_enqueue(analysis_id=analysis.pk))
    except Exception:
        for photo in stored:
            photo_delete_files(photo)
        raise
    return analysis


def _renditions(upload, *, number: int, of: int):
    try:
        return make_renditions(upload)
    except PhotoRejected as error:
        if of > 1:  # which of the photos it is, so the seller knows which one to replace
            error.message = _("Photo %(number)d: %(reason)s") % {"number": number, "reason": error.message}
            error.args = (error.message,)
        raise


def _analysis_create(*, user: User, session_key: str, photos: Sequence[Photo], language: str) -> Analysis:
    analysis = Analysis.objects.create(
        user=user,
        session_key=session_key or "",
        photo=photos[0],
        language=language,
        **_assigned_variant(user, session_key),
    )
    AnalysisPhoto.objects.bulk_create(
        AnalysisPhoto(analysis=analysis, photo=photo, position=position) for position, photo in enumerate(photos)
    )
    return analysis


def photo_store(*, user: User, upload) -> Photo:
    """Store one photo the seller picked for an item not posted yet (the sell page uploads each as it is picked)."""
    renditions = make_renditions(upload)
    limit, window = settings.AI_ANALYSES_PER_HOUR * settings.PHOTOS_PER_LISTING, timedelta(hours=1)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).exists()
        # Photos not in a listing cost storage and nobody sees them: as many an hour as the analyses allow.
        recent = Photo.objects.filter(owner=user, listing=None, created_at__gte=timezone.now() - window)
        counted = recent.aggregate(count=Count("id"), oldest=Min("created_at"))
        if counted["count"] >= limit:
            raise AnalysisRateLimited(
                _("You have added %(limit)d photos in the last hour, which is the limit. Please try again later.")
                % {"limit": limit},
                retry_after_seconds=sliding_window_wait(counted["oldest"], window),
            )
        return photo_create(owner=user, renditions=renditions)


def draft_photos_get(*, user: User, photo_ids: Sequence) -> list[Photo]:
    """The seller's own photos not in a listing yet, in the order of `photo_ids`; NotFound for any other."""
    try:
        ids = [int(photo_id) for photo_id in photo_ids]
    except (TypeError, ValueError):
        raise NotFound(_("We could not find one of those photos. Please add it again.")) from None
    found = Photo.objects.filter(pk__in=ids, owner=user, listing=None).in_bulk()
    if len(set(ids)) != len(ids) or any(photo_id not in found for photo_id in ids):
        raise NotFound(_("We could not find one of those photos. Please add it again."))
    return [found[photo_id] for photo_id in ids]


def draft_photos_present(*, user: User, photo_ids: Sequence) -> list[Photo]:
    """The same photos as draft_photos_get, leaving out any that are no longer the seller's drafts (posted meanwhile,
    or not theirs) instead of failing: what a page that posts its photo ids back still shows."""
    wanted = [int(photo_id) for photo_id in photo_ids if str(photo_id).strip().isdigit()]
    found = Photo.objects.filter(pk__in=wanted, owner=user, listing=None).in_bulk()
    return [found[photo_id] for photo_id in dict.fromkeys(wanted) if photo_id in found]


def _assigned_variant(user: User | None, session_key: str) -> dict:
    """The experiment arm this seller sticks to, as Analysis fields; none outside experiments."""
    user_id = user.pk if user is not None and user.is_authenticated else None
    assignment = variant_assign(user_id=user_id, session_key=session_key or "")
    if assignment is None:
        return {}
    return {"experiment": assignment.experiment, "variant": assignment.variant}


def _check_rate_limit(user: User) -> None:
    limit, window = settings.AI_ANALYSES_PER_HOUR, timedelta(hours=1)
    # Counted in the database, so the limit holds across web processes and machines.
    recent = Analysis.objects.filter(user=user, created_at__gte=timezone.now() - window)
    counted = recent.aggregate(count=Count("id"), oldest=Min("created_at"))
    if counted["count"] >= limit:
        raise AnalysisRateLimited(
            _(
                "You have asked for %(limit)d photo suggestions in the last hour, which is the limit. "
                "Please fill in the form yourself, or try again later."
            )
            % {"limit": limit},
            retry_after_seconds=sliding_window_wait(counted["oldest"], window),
        )


def analysis_enqueue(*, analysis_id: uuid.UUID | str) -> bool:
    """Publish the analysis task; when the broker is down, mark the analysis instead of raising."""
    from ai_prefill.tasks import analyze_task  # the tasks module imports this one

    try:
        # The task's headers carry this context (and the upload request's id) into the worker's logs.
        with log_context(analysis_id=analysis_id):
            analyze_task.delay(str(analysis_id))
    except Exception:
        # This runs after the upload committed: raising here would turn a stored upload into a 500.
        logger.exception("Could not enqueue analysis %s; the seller gets the manual form", analysis_id)
        Analysis.objects.filter(pk=analysis_id, status=Analysis.Status.PENDING).update(enqueue_failed_at=timezone.now())
        return False
    return True


def analysis_run(*, analysis_id: uuid.UUID | str) -> LeaseHeld | None:
    """Claim the analysis, ask the model (the llm layer retries) and store how it ended.

    Returns LeaseHeld when another delivery holds a live lease on it: the caller should look again once
    that lease expires, in case its holder died. A finished analysis is left alone (None): a stored
    result is never paid for twice.
    """
    with log_context(analysis_id=analysis_id):
        return _run_claimed(analysis_id)


def _run_claimed(analysis_id: uuid.UUID | str) -> LeaseHeld | None:
    config_error = None
    try:
        config, variant = through_database_outage(
            lambda: analysis_model_config(analysis_id=analysis_id), what="reading the analysis"
        )
    except (PromptVersionError, ModelParamsInvalid) as error:
        config, variant, config_error = None, None, error
    lease_token = through_database_outage(lambda: _claim(analysis_id, config, variant), what="claiming the analysis")
    if lease_token is None:
        return _lease_held_by_another(analysis_id)
    try:
        if config_error is not None:
            logger.error("Analysis %s: its prompt version or parameters cannot be sent: %s", analysis_id, config_error)
            raise PrefillFailed("prompt_version", str(config_error))
        analysis = through_database_outage(
            lambda: Analysis.objects.select_related("photo").get(pk=analysis_id), what="reading the analysis"
        )
        photos = through_database_outage(lambda: analysis_photos(analysis), what="reading the analysis's photos")
        if not photos:
            raise PrefillFailed("photo_missing", "The analysis's photos are gone.")
        images = [photo_model_image(photo) for photo in photos]
        # prefill_suggest lets go of this thread's database connection while it waits for the model; a streamed
        # answer publishes its completed fields for the sell page meanwhile (ai_prefill.live).
        with live_analysis(analysis_id=analysis_id):
            result = prefill_suggest(
                images=[image for image, _ref in images],
                config=config,
                analysis=analysis,
                image_refs=[ref for _image, ref in images],
                language=analysis.language,
            )
        # After the model answered: comparable listings within a time budget; it never fails the analysis.
        suggestion = comparables_apply(analysis_id=analysis_id, suggestion=result.suggestion)
    except PrefillFailed as failure:
        _finish(
            analysis_id,
            lease_token,
            status=Analysis.Status.FAILED,
            error_type=failure.error_type,
            error_message=str(failure.user_message)[:300],
            attempts=failure.attempts,
        )
    except SoftTimeLimitExceeded:
        logger.warning("Analysis %s hit the task's soft time limit", analysis_id)
        _finish(
            analysis_id,
            lease_token,
            status=Analysis.Status.FAILED,
            error_type="timed_out",
            error_message=TIMED_OUT_MESSAGE,
            attempts=_attempts_recorded(analysis_id),
        )
    except Exception:
        logger.exception("Analysis %s failed unexpectedly", analysis_id)
        _finish(
            analysis_id,
            lease_token,
            status=Analysis.Status.FAILED,
            error_type="internal_error",
            error_message=INTERNAL_ERROR_MESSAGE,
            attempts=_attempts_recorded(analysis_id),
        )
    else:
        _finish(
            analysis_id,
            lease_token,
            status=Analysis.Status.SUCCEEDED,
            suggestion=suggestion,
            attempts=result.attempts,
        )
    finally:
        connection_release()
    return None


def _claim(analysis_id: uuid.UUID | str, config: ModelConfig | None, variant: str | None) -> uuid.UUID | None:
    """Compare-and-set pending -> running, or take over a running analysis whose lease has expired.

    Why a lease, not pending -> running alone: with acks_late a worker killed mid-analysis has its task
    redelivered (reject_on_worker_lost on prefork, the visibility timeout on Redis), but the row still
    says running and nobody would ever finish it. Why not "redelivered means take over": Redis also
    redelivers tasks that are merely slow, so a live holder would be doubled. The lease outlasts the
    longest a live delivery can take (analysis_time_budget_seconds: the SDK timeout for every attempt
    plus the waits, then the task's time limits), so a takeover happens only once the holder is
    certainly gone, and only the current lease holder's result is stored.

    The config and variant actually used are recorded with the claim (the variant changes when the
    experiment's kill switch went on after assignment); None leaves them as they are.
    """
    now = timezone.now()
    lease_token = uuid.uuid4()
    lease_seconds = analysis_time_budget_seconds() + LEASE_MARGIN_SECONDS
    claimed = (
        Analysis.objects.filter(pk=analysis_id)
        .filter(Q(status=Analysis.Status.PENDING) | Q(status=Analysis.Status.RUNNING, lease_expires_at__lt=now))
        .update(
            status=Analysis.Status.RUNNING,
            started_at=now,
            lease_token=lease_token,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            enqueue_failed_at=None,
            **_config_fields(config, variant),
        )
    )
    return lease_token if claimed == 1 else None


def _config_fields(config: ModelConfig | None, variant: str | None) -> dict:
    if config is None:
        return {}
    return {
        "provider": config.provider,
        "model": config.model,
        "api_style": config.api_style,
        "prompt_version": config.prompt_version,
        "variant": variant,
    }


def _lease_held_by_another(analysis_id: uuid.UUID | str) -> LeaseHeld | None:
    lease_expires_at = (
        Analysis.objects.filter(pk=analysis_id, status=Analysis.Status.RUNNING)
        .values_list("lease_expires_at", flat=True)
        .first()
    )
    if lease_expires_at is None:
        return None
    return LeaseHeld(seconds_left=max((lease_expires_at - timezone.now()).total_seconds(), 0))


def _finish(analysis_id: uuid.UUID | str, lease_token: uuid.UUID, **fields) -> None:
    stored = through_database_outage(
        lambda: Analysis.objects.filter(pk=analysis_id, status=Analysis.Status.RUNNING, lease_token=lease_token).update(
            finished_at=timezone.now(), lease_expires_at=None, **fields
        ),
        what="storing how the analysis ended",
    )
    if not stored:
        logger.warning("Analysis %s: result dropped, its lease was taken over or it was swept", analysis_id)


def _attempts_recorded(analysis_id: uuid.UUID | str) -> int:
    return through_database_outage(
        lambda: Analysis.objects.get(pk=analysis_id).llm_calls.count(), what="counting the model calls"
    )


def analysis_sweep_stale() -> SweepResult:
    """Fail analyses stuck pending or running past AI_STALE_AFTER_SECONDS; re-enqueue those the broker refused."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.AI_STALE_AFTER_SECONDS)
    finished = {"status": Analysis.Status.FAILED, "finished_at": now, "lease_expires_at": None}
    never_queued = Analysis.objects.filter(status=Analysis.Status.PENDING, created_at__lt=cutoff).exclude(
        enqueue_failed_at=None
    )
    timed_out = never_queued.update(error_type="queue_unavailable", error_message=QUEUE_UNAVAILABLE_MESSAGE, **finished)
    # A running analysis whose lease is still valid has a live worker on it, whatever its age.
    timed_out += Analysis.objects.filter(
        Q(status=Analysis.Status.PENDING, created_at__lt=cutoff)
        | Q(status=Analysis.Status.RUNNING, started_at__lt=cutoff, lease_expires_at__lt=now)
    ).update(error_type="timed_out", error_message=TIMED_OUT_MESSAGE, **finished)

    requeued = 0
    refused = Analysis.objects.filter(status=Analysis.Status.PENDING).exclude(enqueue_failed_at=None)
    for analysis_id in refused.order_by("created_at").values_list("pk", flat=True)[:1000]:
        if not analysis_enqueue(analysis_id=analysis_id):
            break  # the broker is still down; the next sweep tries again
        Analysis.objects.filter(pk=analysis_id, status=Analysis.Status.PENDING).update(enqueue_failed_at=None)
        requeued += 1
    if timed_out or requeued:
        logger.info("Analysis sweep: %d failed as stale, %d enqueued again", timed_out, requeued)
    return SweepResult(timed_out=timed_out, requeued=requeued)


class AnalysisAlreadyPosted(DomainError):
    status_code = 409


def analysis_regenerate(*, user: User, analysis_id: uuid.UUID | str, language: str | None = None) -> Analysis:
    """Ask again about the same photos: a new pending analysis, counted against the rate limit, enqueued on commit;
    in `language`, by default the active language (the seller may have switched since)."""
    with transaction.atomic():
        # The same lock as analysis_start, so uploads and regenerate clicks share one limit.
        User.objects.select_for_update().filter(pk=user.pk).exists()
        previous = Analysis.objects.select_related("photo").filter(pk=analysis_id, user=user).first()
        photos = analysis_photos(previous) if previous is not None else []
        if not photos:
            raise NotFound(_("We could not find that photo analysis."))
        if previous.listing_id is not None or any(photo.listing_id is not None for photo in photos):
            raise AnalysisAlreadyPosted(
                _("These photos are already in a listing, so there is nothing to suggest again.")
            )
        _check_rate_limit(user)
        Analysis.objects.filter(pk=previous.pk).update(regenerate_count=F("regenerate_count") + 1)
        analysis = _analysis_create(
            user=user, session_key=previous.session_key, photos=photos, language=language or seller_language()
        )
        transaction.on_commit(lambda: analysis_enqueue(analysis_id=analysis.pk))
    return analysis
