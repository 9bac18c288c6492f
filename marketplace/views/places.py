"""Town suggestions for the place inputs (a datalist filled by htmx as the person types)."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from marketplace.places import place_search

SUGGESTIONS = 12


@require_GET
def place_suggest(request):
    # htmx sends the input's own value under the input's name (place, near, ...): take whichever came.
    query = next((value for value in request.GET.values() if value.strip()), "")[:120]
    places = place_search(query=query, limit=SUGGESTIONS)
    return render(request, "marketplace/_place_options.html", {"places": places})
