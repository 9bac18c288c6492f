"""What pages poll with htmx so they update without a reload: an open conversation and the unread badge."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from marketplace.models import Conversation
from marketplace.selectors import unread_message_count
from marketplace.services.messaging import conversation_mark_read


@login_required
@require_GET
def conversation_live(request, pk: int):
    """The conversation's messages, read by the one polling (they have it open)."""
    user = request.user
    thread = get_object_or_404(
        Conversation.objects.select_related("listing__seller", "buyer").filter(Q(buyer=user) | Q(listing__seller=user)),
        pk=pk,
    )
    conversation_mark_read(conversation=thread, reader=user)
    other_party = thread.buyer if thread.listing.seller_id == user.pk else thread.listing.seller
    context = {"thread": thread, "thread_messages": list(thread.messages.all()), "other_party": other_party}
    return render(request, "marketplace/_thread_messages.html", context)


@login_required
@require_GET
def unread_badge(request):
    return render(request, "marketplace/_unread_badge.html", {"unread": unread_message_count(user=request.user)})
