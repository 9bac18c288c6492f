"""The site's URLs plus /load/bare/, a view that does no work: what a page costs beyond Django's own overhead."""

from django.http import HttpResponse
from django.urls import path

from config import urls as site_urls

handler500 = site_urls.handler500


def bare(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("load/bare/", bare), *site_urls.urlpatterns]
