"""Seller profiles and trust: the public facts about a seller, and ratings after a sale (one each, one answer)."""

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone
from django.utils.translation import gettext

from core.errors import DomainError, NotAllowed
from marketplace.models import RATING_COMMENT_MAX_LENGTH, Conversation, Listing, Message, Rating, User

# Below this many ratings a seller is shown as "new seller": one or two ratings say little.
RATINGS_TO_TRUST = 3
REPLY_TIME_CONVERSATIONS = 50


class RatingInvalid(DomainError):
    pass


@dataclass(frozen=True)
class SellerProfile:
    seller: User
    member_since: datetime
    active_count: int
    sold_count: int
    reply_time: str | None  # "within an hour", ...; None before anyone wrote
    rating_count: int
    rating_average: float | None

    @property
    def new_seller(self) -> bool:
        return self.rating_count < RATINGS_TO_TRUST


def _reply_delays(seller: User) -> list[timedelta]:
    """How long the seller took to answer the first message of each of their latest conversations."""
    conversations = list(
        Conversation.objects.filter(listing__seller=seller)
        .order_by("-created_at")
        .values_list("pk", "buyer_id")[:REPLY_TIME_CONVERSATIONS]
    )
    buyers = dict(conversations)
    first_question: dict[int, datetime] = {}
    delays: list[timedelta] = []
    answered: set[int] = set()
    messages = Message.objects.filter(conversation_id__in=buyers).order_by("created_at", "id")
    for conversation_id, sender_id, created_at in messages.values_list("conversation_id", "sender_id", "created_at"):
        if sender_id == buyers[conversation_id]:
            first_question.setdefault(conversation_id, created_at)
        elif conversation_id in first_question and conversation_id not in answered:
            answered.add(conversation_id)
            delays.append(created_at - first_question[conversation_id])
    return delays


def _reply_time_text(delays: list[timedelta]) -> str | None:
    if not delays:
        return None
    typical = statistics.median(delays)
    for limit, text in (
        (timedelta(hours=1), gettext("within an hour")),
        (timedelta(hours=6), gettext("within a few hours")),
        (timedelta(days=1), gettext("within a day")),
        (timedelta(days=3), gettext("within a few days")),
    ):
        if typical <= limit:
            return text
    return gettext("after a few days or more")


def seller_profile(*, seller: User) -> SellerProfile:
    """What the profile page shows about a seller."""
    counts = Listing.objects.filter(seller=seller).aggregate(
        active=Count("pk", filter=Q(status=Listing.Status.ACTIVE)),
        sold=Count("pk", filter=Q(status=Listing.Status.SOLD)),
    )
    ratings = Rating.objects.filter(seller=seller).aggregate(count=Count("pk"), average=Avg("stars"))
    return SellerProfile(
        seller=seller,
        member_since=seller.date_joined,
        active_count=counts["active"],
        sold_count=counts["sold"],
        reply_time=_reply_time_text(_reply_delays(seller)),
        rating_count=ratings["count"],
        rating_average=round(ratings["average"], 1) if ratings["average"] is not None else None,
    )


def rating_can_rate(*, user, listing: Listing) -> bool:
    """Whether this user may rate the sale now: they are its named buyer and have not rated it."""
    return (
        getattr(user, "is_authenticated", False)
        and listing.status == Listing.Status.SOLD
        and listing.sold_to_id == user.pk
        and not Rating.objects.filter(listing=listing).exists()
    )


def rating_create(*, buyer, listing: Listing, stars: int, comment: str) -> Rating:
    """The sale's named buyer rates its seller, once."""
    if not (listing.status == Listing.Status.SOLD and listing.sold_to_id == buyer.pk):
        raise NotAllowed(gettext("Only the buyer the seller named when marking the item sold can rate this sale."))
    if not 1 <= stars <= 5:
        raise RatingInvalid(gettext("Please give from 1 to 5 stars."))
    comment = comment.strip()
    if len(comment) > RATING_COMMENT_MAX_LENGTH:
        raise RatingInvalid(
            gettext("A comment can be at most %(limit)d characters long.") % {"limit": RATING_COMMENT_MAX_LENGTH}
        )
    try:
        with transaction.atomic():
            return Rating.objects.create(
                listing=listing, seller_id=listing.seller_id, buyer=buyer, stars=stars, comment=comment
            )
    except IntegrityError:
        raise RatingInvalid(gettext("You have already rated this sale.")) from None


def rating_answer(*, seller, rating: Rating, text: str) -> Rating:
    """The rated seller answers, once."""
    if rating.seller_id != seller.pk:
        raise NotAllowed(gettext("Only the rated seller can answer this rating."))
    text = text.strip()
    if not text:
        raise RatingInvalid(gettext("Please write an answer."))
    if len(text) > RATING_COMMENT_MAX_LENGTH:
        raise RatingInvalid(
            gettext("An answer can be at most %(limit)d characters long.") % {"limit": RATING_COMMENT_MAX_LENGTH}
        )
    # Compare-and-set: of two answers sent at once, one is kept.
    if not Rating.objects.filter(pk=rating.pk, answered_at__isnull=True).update(
        answer=text, answered_at=timezone.now()
    ):
        raise RatingInvalid(gettext("You have already answered this rating."))
    rating.refresh_from_db()
    return rating
