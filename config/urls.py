from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from config.api import api
from core.urls import probe_urlpatterns
from marketplace.ratelimit import limit_failed_logins
from marketplace.views.languages import language_switch

# Staff accounts are the ones most worth guessing: the admin's log-in counts failures like the site's.
admin.site.login = limit_failed_logins(admin.site.login)

handler500 = "core.error_pages.server_error"
handler404 = "core.error_pages.page_not_found"

urlpatterns = [
    path("", include((probe_urlpatterns, "monitoring"))),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    # The language switcher posts to i18n/setlang/ (Django's set_language, which also saves a signed-in
    # person's choice); the JavaScript's strings come from jsi18n/ (gettext() and interpolate() for
    # static/*.js, from locale/*/djangojs.po).
    path("i18n/setlang/", language_switch, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("staff/ai/", include("insights.urls")),
    path("staff/", include("feedback.urls")),
    path("feedback/", include("feedback.urls_public")),
    path("", include("ai_prefill.urls")),
    path("", include("marketplace.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
