"""What the pre-fill holds about a person, for marketplace's data download and account deletion (registered in
AiPrefillConfig.ready)."""

from ai_prefill.models import Analysis
from marketplace.models import User


def analyses_export(user: User) -> list[dict]:
    """The person's photo analyses: what the model suggested and what they posted."""
    return [
        {
            "id": str(analysis.id),
            "status": analysis.status,
            "created_at": analysis.created_at.isoformat(),
            "suggestion": analysis.suggestion,
            "posted_at": analysis.posted_at.isoformat() if analysis.posted_at else None,
            "posted_values": analysis.posted_values,
        }
        for analysis in Analysis.objects.filter(user=user).order_by("created_at")
    ]


def analyses_detach_from_user(user: User) -> None:
    """An account is being deleted: its analyses stay, with their model calls, costs and outcomes, but no person."""
    Analysis.objects.filter(user=user).update(user=None, session_key="")
