"""What feedback holds about a person, for marketplace's data download and account deletion (registered in
FeedbackConfig.ready)."""

from feedback.models import Vote
from marketplace.models import User


def votes_export(user: User) -> list[dict]:
    """The person's thumbs up and down on suggestions, replaced ones included."""
    return [
        {
            "analysis_id": str(vote.analysis_id),
            "vote": vote.value,
            "reasons": vote.reasons,
            "comment": vote.comment,
            "created_at": vote.created_at.isoformat(),
            "replaced_at": vote.replaced_at.isoformat() if vote.replaced_at else None,
        }
        for vote in Vote.objects.filter(user=user).order_by("created_at", "id")
    ]


def votes_anonymise(user: User) -> None:
    """An account is being deleted: its votes keep counting, without the free text the person wrote.

    They stay on the emptied account row ("Former member"), which the one-current-vote constraint needs.
    """
    Vote.objects.filter(user=user).update(comment="")
