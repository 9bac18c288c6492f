from django import template

from feedback.models import Vote
from feedback.selectors import vote_current
from feedback.services import vote_reasons_for

register = template.Library()


@register.simple_tag
def current_vote(analysis, user) -> Vote | None:
    """The user's current vote on the analysis: the sell page (ai_prefill) shows the widget without knowing votes."""
    return vote_current(analysis=analysis, user=user) if analysis is not None else None


@register.simple_tag
def vote_state(vote: Vote | None = None, form=None, analysis=None) -> dict:
    """What the vote widget shows: the current thumbs, the reasons ticked and the comment.

    After a rejected post the seller's own input wins, so nothing they typed is lost.
    """
    if getattr(form, "is_bound", False):
        current = form.data.get("vote", "")
        chosen = form.data.getlist("reasons") if hasattr(form.data, "getlist") else []
        comment = form.data.get("comment", "")
    else:
        current = vote.value if vote else ""
        chosen = vote.reasons if vote else []
        comment = vote.comment if vote else ""
    return {
        "current": current,
        "reasons": [(value, label, value in chosen) for value, label in _reasons(analysis).items()],
        "comment": comment,
    }


def _reasons(analysis) -> dict[str, str]:
    return vote_reasons_for(analysis) if analysis is not None else {v: str(label) for v, label in Vote.Reason.choices}
