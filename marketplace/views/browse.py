from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.vary import vary_on_headers

from marketplace.forms import BrowseForm
from marketplace.models import Category
from marketplace.selectors import listing_search, listing_search_spelling
from marketplace.services.favourites import favourite_ids

PER_PAGE = 24


@vary_on_headers("HX-Request")
def browse(request):
    """Search and filter active listings; an htmx request gets only the results area."""
    categories = list(Category.objects.all())
    form = BrowseForm(request.GET, categories=categories)
    filters, notes = form.filters()
    page = Paginator(listing_search(filters=filters), PER_PAGE).get_page(request.GET.get("page"))
    requested_page = request.GET.get("page", "")
    if requested_page and requested_page != str(page.number):
        notes.append(
            gettext("There is no page %(requested)s, so here is page %(page)d.")
            % {"requested": requested_page[:10], "page": page.number}
        )
    did_you_mean = listing_search_spelling(q=filters.q) if filters.q and not page.paginator.count else None
    corrected = request.GET.copy()
    corrected["q"] = did_you_mean or ""
    corrected.pop("page", None)
    context = {
        "did_you_mean": did_you_mean,
        "did_you_mean_query": corrected.urlencode(),
        "form": form,
        "page": page,
        "notes": notes,
        "filtered": any(
            (
                filters.q,
                filters.category,
                filters.min_price is not None,
                filters.max_price is not None,
                filters.near,
                filters.attributes,
            )
        ),
        "near": filters.near,
        "categories": categories,
        "saved_ids": favourite_ids(user=request.user, listing_ids=[listing.pk for listing in page.object_list]),
        "category_name": next((c.name_translated for c in categories if c.slug == filters.category), ""),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "marketplace/_browse_results.html", context)
    return render(request, "marketplace/browse.html", context)
