from django.db.models import Q

from marketplace.models import Message


def unread_message_count(*, user) -> int:
    """Messages sent to this user (as buyer or as seller) that they have not read."""
    return (
        Message.objects.filter(read_at__isnull=True)
        .filter(Q(conversation__buyer=user) | Q(conversation__listing__seller=user))
        .exclude(sender=user)
        .count()
    )
