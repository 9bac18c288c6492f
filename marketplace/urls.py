from django.urls import path

from marketplace.views import (
    accounts,
    browse,
    favourites,
    item_states,
    listings,
    live,
    messaging,
    places,
    reports,
    saved_searches,
)

app_name = "marketplace"

urlpatterns = [
    path("", browse.browse, name="browse"),
    path("listings/<int:pk>/", listings.detail, name="listing_detail"),
    path("listings/<int:pk>/contact/", messaging.contact, name="listing_contact"),
    path("listings/<int:pk>/report/", reports.report, name="listing_report"),
    path("listings/<int:pk>/edit/", listings.edit, name="listing_edit"),
    path("listings/<int:pk>/photos/", listings.photos_add, name="listing_photos_add"),
    path("listings/<int:pk>/photos/<int:photo_id>/remove/", listings.photo_remove, name="listing_photo_remove"),
    path("listings/<int:pk>/photos/<int:photo_id>/main/", listings.photo_main, name="listing_photo_main"),
    path("listings/<int:pk>/sold/", listings.mark_sold, name="listing_mark_sold"),
    path("listings/<int:pk>/state/", item_states.listing_state, name="listing_state"),
    path("listings/<int:pk>/delete/", listings.delete, name="listing_delete"),
    path("my/listings/", listings.my_listings, name="my_listings"),
    path("messages/", messaging.inbox, name="messages"),
    path("messages/<int:pk>/", messaging.conversation, name="conversation"),
    path("messages/<int:pk>/live/", live.conversation_live, name="conversation_live"),
    path("messages/unread/", live.unread_badge, name="unread_badge"),
    path("listings/<int:pk>/save/", favourites.favourite, name="listing_favourite"),
    path("saved/", favourites.saved, name="saved"),
    path("notices/", favourites.notices, name="notices"),
    path("settings/", favourites.account_settings, name="settings"),
    path("searches/", saved_searches.saved_searches, name="saved_searches"),
    path("searches/<int:pk>/", saved_searches.saved_search_open, name="saved_search_open"),
    path("searches/<int:pk>/change/", saved_searches.saved_search_change, name="saved_search_change"),
    path("searches/unsubscribe/<str:token>/", saved_searches.saved_search_unsubscribe, name="saved_search_unsubscribe"),
    path("places/suggest/", places.place_suggest, name="place_suggest"),
    path("signup/", accounts.signup, name="signup"),
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", accounts.LogoutView.as_view(), name="logout"),
]
