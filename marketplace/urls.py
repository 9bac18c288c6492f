from django.urls import path

from marketplace.views import account_settings, accounts, browse, listings, messaging, reports

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
    path("listings/<int:pk>/delete/", listings.delete, name="listing_delete"),
    path("my/listings/", listings.my_listings, name="my_listings"),
    path("messages/", messaging.inbox, name="messages"),
    path("messages/<int:pk>/", messaging.conversation, name="conversation"),
    path("signup/", accounts.signup, name="signup"),
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", accounts.LogoutView.as_view(), name="logout"),
    path("password-reset/", account_settings.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", account_settings.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        account_settings.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", account_settings.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("confirm-email/<str:token>/", account_settings.email_confirmation, name="email_confirm"),
    path("account/", account_settings.settings_page, name="account"),
    path("account/profile/", account_settings.profile, name="account_profile"),
    path("account/email/", account_settings.email_change, name="account_email"),
    path("account/email/resend/", account_settings.email_confirmation_resend, name="account_email_resend"),
    path("account/notifications/", account_settings.notifications, name="account_notifications"),
    path("account/password/", account_settings.PasswordChangeView.as_view(), name="account_password"),
    path("account/tokens/", account_settings.token_create, name="account_token_create"),
    path("account/tokens/<int:token_id>/revoke/", account_settings.token_revoke, name="account_token_revoke"),
    path("account/data/", account_settings.data_download, name="account_data"),
    path("account/delete/", account_settings.delete, name="account_delete"),
]
