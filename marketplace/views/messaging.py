"""The inbox, one conversation, and a buyer's first message from a listing's page."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainError, with_retry_after
from marketplace.forms import MessageForm, add_domain_error
from marketplace.models import Conversation
from marketplace.services.messaging import (
    MessageInvalid,
    MessageRateLimited,
    conversation_contact,
    conversation_mark_read,
    conversation_reply,
    conversations_for_user,
)
from marketplace.views.listings import render_detail, visible_listing

INBOX_PER_PAGE = 30


@login_required
def inbox(request):
    page = Paginator(conversations_for_user(user=request.user), INBOX_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "marketplace/inbox.html", {"page": page})


@login_required
def conversation(request, pk: int):
    """Only the buyer and the seller see a conversation; for anyone else it does not exist."""
    user = request.user
    thread = get_object_or_404(
        Conversation.objects.select_related("listing__seller", "listing__category", "buyer").filter(
            Q(buyer=user) | Q(listing__seller=user)
        ),
        pk=pk,
    )
    form = MessageForm(request.POST) if request.method == "POST" else MessageForm()
    status, refusal = 400, None
    if request.method == "POST":
        if form.is_valid():
            try:
                conversation_reply(conversation=thread, sender=user, body=form.cleaned_data["body"])
            except DomainError as error:
                add_domain_error(form, error, field="body")
                status, refusal = error.status_code, error
            else:
                return redirect("marketplace:conversation", pk=thread.pk)
    else:
        conversation_mark_read(conversation=thread, reader=user)
    is_seller = thread.listing.seller_id == user.pk
    context = {
        "thread": thread,
        "thread_messages": list(thread.messages.all()),
        "other_party": thread.buyer if is_seller else thread.listing.seller,
        "form": form,
        "is_seller": is_seller,
    }
    response = render(request, "marketplace/conversation.html", context, status=status if form.errors else 200)
    return with_retry_after(response, refusal)


@login_required
@require_POST
def contact(request, pk: int):
    """A buyer's message from the listing's page: starts or continues their conversation."""
    listing = visible_listing(request, pk)
    form = MessageForm(request.POST)
    status, refusal = 400, None
    if form.is_valid():
        try:
            message = conversation_contact(listing=listing, buyer=request.user, body=form.cleaned_data["body"])
        except DomainError as error:
            add_domain_error(form, error, field="body" if isinstance(error, MessageInvalid) else None)
            # A client is told to slow down with 429; the other refusals of this form stay 400.
            status = error.status_code if isinstance(error, MessageRateLimited) else 400
            refusal = error
        else:
            return redirect("marketplace:conversation", pk=message.conversation_id)
    return with_retry_after(render_detail(request, listing, contact_form=form, status=status), refusal)
