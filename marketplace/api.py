"""The marketplace's JSON API: categories and listings. Endpoints parse, call one service, shape the answer."""

from typing import Annotated

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext
from ninja import File, Path, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from core.api import FormOrJson, Json
from core.errors import NotFound
from marketplace.auth import api_auth, optional_auth
from marketplace.models import Category, Listing, Rating, SavedSearch, User
from marketplace.places import Place, place_find, place_search
from marketplace.schemas import (
    MAX_ID,
    PAGE_SIZE,
    BuyerOut,
    CategoryOut,
    ConversationDetailOut,
    ConversationOut,
    ListingCreateIn,
    ListingFiltersIn,
    ListingOut,
    ListingPageIn,
    ListingPageOut,
    ListingPatchIn,
    ListingSummaryOut,
    MessageIn,
    MessageOut,
    NoticeOut,
    PlaceOut,
    RatingAnswerIn,
    RatingIn,
    RatingOut,
    SavedSearchIn,
    SavedSearchOut,
    SellerProfileOut,
    UnreadOut,
)
from marketplace.selectors import (
    ListingFilters,
    attribute_filters_parse,
    listing_search,
    listing_search_spelling,
    unread_message_count,
)
from marketplace.services.favourites import favourite_add, favourite_listings, favourite_remove, notices_for_user
from marketplace.services.item_states import listing_buyer_candidates, listing_state_set
from marketplace.services.listings import (
    ListingData,
    ListingInvalid,
    listing_create,
    listing_delete,
    listing_post_from_analysis_id,
    listing_update,
)
from marketplace.services.messaging import (
    conversation_contact,
    conversation_mark_read,
    conversation_reply,
    conversations_for_user,
)
from marketplace.services.profiles import rating_answer, rating_create, seller_profile
from marketplace.services.saved_searches import (
    saved_search_create,
    saved_search_delete,
    saved_search_mark_seen,
    saved_search_matches,
    saved_search_new_count,
)

router = Router(tags=["marketplace"])

ListingId = Annotated[int, Path(ge=1, le=MAX_ID)]
LISTING_FILTER_NAMES = frozenset({*ListingFiltersIn.model_fields, *ListingPageIn.model_fields, "page"})


class ListingPages(PageNumberPagination):
    Input = ListingPageIn
    # The endpoint declares its page schema (ListingPageOut), so ninja generates no Paged… one.
    Output = None

    def paginate_queryset(self, queryset, pagination, request, **params) -> dict:
        page = super().paginate_queryset(queryset, pagination, request, **params)
        # Nothing found: the query with its typos corrected, as the browse page offers it.
        page["did_you_mean"] = None if page["count"] else listing_search_spelling(q=request.GET.get("q", ""))
        return page


def _category(slug: str) -> Category:
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        known = ", ".join(Category.objects.values_list("slug", flat=True))
        raise ListingInvalid(
            gettext("Unknown category '%(slug)s'. Use one of: %(known)s.") % {"slug": slug, "known": known}
        )
    return category


def _place(text: str) -> Place:
    place = place_find(text)
    if place is None:
        raise ListingInvalid(
            gettext("We don't know a town called '%(town)s'. GET /api/places?q=... lists the towns.") % {"town": text}
        )
    return place


def _listing_for(request, listing_id: int) -> Listing:
    """The listing as this user may see it: a hidden one exists only for its seller."""
    listing = Listing.objects.select_related("category", "seller").filter(pk=listing_id).first()
    if listing is None or (listing.status == Listing.Status.HIDDEN and listing.seller_id != request.user.pk):
        raise NotFound(gettext("There is no listing with id %(id)s.") % {"id": listing_id})
    return listing


def _listing_out(listing_id: int) -> Listing:
    return Listing.objects.select_related("category", "seller").prefetch_related("photos").get(pk=listing_id)


@router.get("/categories", response=list[CategoryOut], auth=None)
def list_categories(request):
    """The categories with their item details (`attributes`): the keys of a listing's `attributes`, and filters."""
    return Category.objects.prefetch_related("attributes")


@router.get("/places", response=list[PlaceOut], auth=None)
def list_places(request, q: Annotated[str, Query(max_length=120)] = ""):
    """Towns whose name starts with (then contains) `q`, the most populous first; at most 20."""
    return place_search(query=q, limit=20)


@router.get("/listings", response=ListingPageOut, auth=None)
@paginate(ListingPages, page_size=PAGE_SIZE)
def list_listings(request, filters: Query[ListingFiltersIn]):
    """Active listings, 24 a page. A page past the last one has no items (and the same count).

    Item details filter too, by their slug (GET /api/categories): `?brand=sony&colour=black` matches listings
    with that brand (whatever its case) and colour. Parameters that name no detail are ignored, as are empty ones.
    """
    if filters.category:
        _category(filters.category)
    attributes = attribute_filters_parse(request.GET, other_names=LISTING_FILTER_NAMES)
    near = _place(filters.near) if filters.near else None
    if near is None and filters.within_km is not None:
        raise ListingInvalid("within_km needs near: the town to measure the distance from.")
    return listing_search(
        filters=ListingFilters(
            q=filters.q,
            category=filters.category,
            min_price=filters.min_price,
            max_price=filters.max_price,
            sort=filters.sort or "",
            near=near,
            within_km=filters.within_km,
            attributes=attributes,
        )
    )


@router.get(
    "/listings/{listing_id}",
    response=ListingOut,
    auth=optional_auth,
    # The empty requirement tells OpenAPI clients that credentials are optional here.
    openapi_extra={"security": [{"BearerTokenAuth": []}, {"SessionCookieAuth": []}, {}]},
)
def get_listing(request, listing_id: ListingId):
    """Any listing except hidden ones, which only their seller sees."""
    listing = _listing_for(request, listing_id)
    prefetch_related_objects([listing], "photos")
    return listing


@router.post(
    "/listings",
    response={201: ListingOut},
    auth=api_auth,
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": ListingCreateIn.model_json_schema()}}}},
)
def create_listing(
    request,
    data: Annotated[ListingCreateIn, FormOrJson(...)],
    images: File[list[UploadedFile]] = None,
):
    """Post a listing: multipart fields with 1 to 8 `images`, or the fields plus `analysis_id` (JSON, or multipart
    with more `images`, up to 8 photos in all) to reuse the analysed photos, in their order."""
    uploads = images or []
    # With analysis_id the poster checks main_image against the analysis's photos, which only it knows.
    photo_count = len(uploads)
    if data.analysis_id is None and photo_count and data.main_image >= photo_count:
        last = photo_count - 1
        raise ListingInvalid(f"main_image must be a photo's number, from 0 to {last}; it was {data.main_image}.")
    listing_data = ListingData(
        title=data.title,
        description=data.description,
        category=_category(data.category),
        price=data.price,
        condition=data.condition,
        place=_place(data.place) if data.place else None,
        attributes=data.attributes,
    )
    if data.analysis_id is not None:
        listing = listing_post_from_analysis_id(
            seller=request.user,
            analysis_id=data.analysis_id,
            data=listing_data,
            uploads=uploads,
            main_index=data.main_image,
        )
    else:
        listing = listing_create(seller=request.user, data=listing_data, uploads=uploads, main_index=data.main_image)
    return Status(201, _listing_out(listing.pk))


@router.patch("/listings/{listing_id}", response=ListingOut, auth=api_auth)
def update_listing(request, listing_id: ListingId, changes: Annotated[ListingPatchIn, Json(...)]):
    """Change some fields of your listing, or mark it sold with `{"status": "sold"}`."""
    listing = _listing_for(request, listing_id)
    sent = changes.model_dump(exclude_unset=True)
    data = ListingData(
        title=sent.get("title", listing.title),
        description=sent.get("description", listing.description),
        category=_category(sent["category"]) if "category" in sent else listing.category,
        price=sent.get("price", listing.price),
        condition=sent.get("condition", listing.condition),
        place=_place(sent["place"]) if sent.get("place") else None,
        attributes=sent.get("attributes"),
    )
    with transaction.atomic():
        listing_update(listing=listing, actor=request.user, data=data)
        if "status" in sent or "buyer_id" in sent:
            state = sent.get("status") or listing.state
            listing_state_set(listing=listing, actor=request.user, state=state, buyer_id=sent.get("buyer_id"))
    return _listing_out(listing.pk)


@router.get("/listings/{listing_id}/buyers", response=list[BuyerOut], auth=api_auth)
def list_buyers(request, listing_id: ListingId):
    """Your listing's possible buyers: the people who wrote to you about it. Name one with PATCH `buyer_id`."""
    listing = _listing_for(request, listing_id)
    if listing.seller_id != request.user.pk:
        raise NotFound(gettext("There is no listing of yours with id %(id)s.") % {"id": listing_id})
    return listing_buyer_candidates(listing=listing)


@router.delete("/listings/{listing_id}", response={204: None}, auth=api_auth)
def delete_listing(request, listing_id: ListingId):
    """Delete your listing and its photos."""
    listing_delete(listing=_listing_for(request, listing_id), actor=request.user)
    return Status(204, None)


@router.get("/favourites", response=list[ListingSummaryOut], auth=api_auth)
def list_favourites(request):
    """Your saved listings, the latest saved first (at most 200)."""
    return list(favourite_listings(user=request.user)[:200])


@router.put("/favourites/{listing_id}", response={204: None}, auth=api_auth)
def save_favourite(request, listing_id: ListingId):
    """Save a listing; saving it again changes nothing."""
    favourite_add(user=request.user, listing=_listing_for(request, listing_id))
    return Status(204, None)


@router.delete("/favourites/{listing_id}", response={204: None}, auth=api_auth)
def delete_favourite(request, listing_id: ListingId):
    favourite_remove(user=request.user, listing=_listing_for(request, listing_id))
    return Status(204, None)


@router.get("/notices", response=list[NoticeOut], auth=api_auth)
def list_notices(request):
    """News about your saved listings (price drops, sales), the newest first (at most 100)."""
    return list(notices_for_user(user=request.user)[:100])


def _message_out(message, user) -> dict:
    return {
        "id": message.pk,
        "conversation_id": message.conversation_id,
        "sender": message.sender.public_name,
        "mine": message.sender_id == user.pk,
        "body": message.body,
        "created_at": message.created_at,
        "read": message.read_at is not None,
    }


def _conversation_out(conversation, user) -> dict:
    is_seller = conversation.listing.seller_id == user.pk
    return {
        "id": conversation.pk,
        "listing_id": conversation.listing_id,
        "listing_title": conversation.listing.title,
        "other_party": (conversation.buyer if is_seller else conversation.listing.seller).public_name,
        "unread": getattr(conversation, "unread", 0),
        "last_message": getattr(conversation, "last_body", None),
        "updated_at": conversation.updated_at,
    }


def _conversation_for(request, conversation_id: int):
    conversation = conversations_for_user(user=request.user).filter(pk=conversation_id).first()
    if conversation is None:
        raise NotFound(gettext("You have no conversation with id %(id)s.") % {"id": conversation_id})
    return conversation


@router.get("/messages/unread", response=UnreadOut, auth=api_auth)
def unread_messages(request):
    """How many messages sent to you are unread: poll it for a badge."""
    return {"count": unread_message_count(user=request.user)}


@router.get("/conversations", response=list[ConversationOut], auth=api_auth)
def list_conversations(request):
    """Your conversations as buyer or seller, the latest first (at most 100)."""
    return [
        _conversation_out(conversation, request.user)
        for conversation in conversations_for_user(user=request.user)[:100]
    ]


@router.get("/conversations/{conversation_id}", response=ConversationDetailOut, auth=api_auth)
def get_conversation(request, conversation_id: ListingId):
    """One conversation with its messages; the other side's messages count as read from now."""
    conversation = _conversation_for(request, conversation_id)
    conversation_mark_read(conversation=conversation, reader=request.user)
    messages = conversation.messages.select_related("sender")
    return {
        **_conversation_out(conversation, request.user),
        "unread": 0,
        "messages": [_message_out(message, request.user) for message in messages],
    }


@router.post("/conversations/{conversation_id}/messages", response={201: MessageOut}, auth=api_auth)
def reply(request, conversation_id: ListingId, data: Annotated[MessageIn, Json(...)]):
    """Write in a conversation, even about a sold listing: the deal can still be finished."""
    conversation = _conversation_for(request, conversation_id)
    message = conversation_reply(conversation=conversation, sender=request.user, body=data.body)
    return Status(201, _message_out(message, request.user))


@router.post("/listings/{listing_id}/messages", response={201: MessageOut}, auth=api_auth)
def contact_seller(request, listing_id: ListingId, data: Annotated[MessageIn, Json(...)]):
    """Write to the seller about a listing: starts your conversation (available or reserved listings only), or
    continues it."""
    message = conversation_contact(listing=_listing_for(request, listing_id), buyer=request.user, body=data.body)
    return Status(201, _message_out(message, request.user))


def _saved_search_out(search: SavedSearch) -> dict:
    return {
        "id": search.pk,
        "name": search.name,
        "params": search.params,
        "new_matches": saved_search_new_count(search=search),
        "digest_enabled": search.digest_enabled,
        "created_at": search.created_at,
    }


def _own_search(request, search_id: int) -> SavedSearch:
    search = SavedSearch.objects.filter(pk=search_id, user=request.user).first()
    if search is None:
        raise NotFound(gettext("You have no saved search with id %(id)s.") % {"id": search_id})
    return search


@router.get("/saved-searches", response=list[SavedSearchOut], auth=api_auth)
def list_saved_searches(request):
    """Your saved searches with the count of listings posted since you last opened each."""
    return [_saved_search_out(search) for search in SavedSearch.objects.filter(user=request.user)]


@router.post("/saved-searches", response={201: SavedSearchOut}, auth=api_auth)
def create_saved_search(request, data: Annotated[SavedSearchIn, Json(...)]):
    """Keep a search: a digest e-mail of its new matches at most once a day (the same search twice is kept once)."""
    if data.near:
        _place(data.near)
    if data.category:
        _category(data.category)
    sent = data.model_dump(exclude_none=True)
    params = {("within" if name == "within_km" else name): str(value) for name, value in sent.items() if value != ""}
    return Status(201, _saved_search_out(saved_search_create(user=request.user, params=params)))


@router.get("/saved-searches/{search_id}/new", response=list[ListingSummaryOut], auth=api_auth)
def saved_search_new(request, search_id: ListingId):
    """The listings posted since you last opened the search (at most 100); they count as seen from now."""
    search = _own_search(request, search_id)
    listings = list(saved_search_matches(search=search, since=search.seen_at)[:100])
    saved_search_mark_seen(search=search)
    return listings


@router.delete("/saved-searches/{search_id}", response={204: None}, auth=api_auth)
def delete_saved_search(request, search_id: ListingId):
    saved_search_delete(user=request.user, search=_own_search(request, search_id))
    return Status(204, None)


def _active_user(username: str) -> User:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound(gettext("There is nobody called '%(username)s'.") % {"username": username[:150]})
    return user


@router.get("/users/{username}", response=SellerProfileOut, auth=None)
def get_profile(request, username: Annotated[str, Path(max_length=150)]):
    """A seller's public profile: member since, listings for sale and sold, reply time, ratings."""
    profile = seller_profile(seller=_active_user(username))
    return {
        "name": profile.seller.public_name,
        "username": profile.seller.username,
        "member_since": profile.member_since,
        "active_listings": profile.active_count,
        "sold_listings": profile.sold_count,
        "reply_time": profile.reply_time,
        "rating_count": profile.rating_count,
        "rating_average": profile.rating_average,
        "new_seller": profile.new_seller,
    }


@router.get("/users/{username}/ratings", response=list[RatingOut], auth=None)
def list_ratings(request, username: Annotated[str, Path(max_length=150)]):
    """The seller's ratings, the newest first (at most 100)."""
    return list(Rating.objects.filter(seller=_active_user(username)).select_related("buyer", "listing")[:100])


@router.post("/listings/{listing_id}/rating", response={201: RatingOut}, auth=api_auth)
def rate_seller(request, listing_id: ListingId, data: Annotated[RatingIn, Json(...)]):
    """Rate the seller of a listing sold to you (the seller named you in the sale), once."""
    listing = _listing_for(request, listing_id)
    return Status(201, rating_create(buyer=request.user, listing=listing, stars=data.stars, comment=data.comment))


@router.post("/ratings/{rating_id}/answer", response=RatingOut, auth=api_auth)
def answer_rating(request, rating_id: ListingId, data: Annotated[RatingAnswerIn, Json(...)]):
    """Answer a rating of you, once."""
    rating = Rating.objects.select_related("buyer", "listing").filter(pk=rating_id, seller=request.user).first()
    if rating is None:
        raise NotFound(gettext("You have no rating with id %(id)s.") % {"id": rating_id})
    return rating_answer(seller=request.user, rating=rating, text=data.answer)
