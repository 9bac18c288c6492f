"""Place: a listing's town from the shipped list, the distance filter and sort, on pages and in the API."""

import html
import math
from decimal import Decimal

import pytest
from django.urls import reverse

from marketplace.models import Category, Listing
from marketplace.places import EARTH_RADIUS_KM, NEAREST_AT_LEAST, bounding_box, distance_km, place_find
from marketplace.selectors import ListingFilters, listing_search
from tests.factories import ListingFactory, UserFactory, listing_form_data, photo_upload

pytestmark = pytest.mark.django_db

BOLOGNA = place_find("Bologna")


def _destination(latitude: float, longitude: float, *, bearing_degrees: float, km: float) -> tuple[float, float]:
    """The point km away from the start along a great circle (the standard spherical formula)."""
    angle, bearing = km / EARTH_RADIUS_KM, math.radians(bearing_degrees)
    phi, lam = math.radians(latitude), math.radians(longitude)
    phi2 = math.asin(math.sin(phi) * math.cos(angle) + math.cos(phi) * math.sin(angle) * math.cos(bearing))
    lam2 = lam + math.atan2(
        math.sin(bearing) * math.sin(angle) * math.cos(phi), math.cos(angle) - math.sin(phi) * math.sin(phi2)
    )
    return math.degrees(phi2), math.degrees(lam2)


def _listing_at(latitude: float, longitude: float, **fields) -> Listing:
    return ListingFactory(**{"place_name": "Somewhere", "latitude": latitude, "longitude": longitude, **fields})


def _titles(listings) -> list[str]:
    return [listing.title for listing in listings]


def test_the_shipped_list_knows_towns_with_their_coordinates():
    assert BOLOGNA.latitude == pytest.approx(44.494, abs=0.01)
    assert BOLOGNA.longitude == pytest.approx(11.339, abs=0.01)
    assert place_find("bologna") == BOLOGNA
    assert place_find(str(BOLOGNA.geonameid)) == BOLOGNA
    assert place_find("Atlantis") is None
    # Bologna to Florence is about 80 km as the crow flies.
    florence = place_find("Florence")
    assert distance_km(BOLOGNA.latitude, BOLOGNA.longitude, florence.latitude, florence.longitude) == pytest.approx(
        80, abs=3
    )


@pytest.mark.parametrize("radius", [10, 25, 50])
def test_the_radius_includes_listings_just_inside_and_drops_those_just_outside(radius):
    # Sixteen bearings, so the box's corners and its widest longitude (poleward of the centre) are crossed.
    for bearing in range(0, 360, 360 // 16):
        inside = _destination(BOLOGNA.latitude, BOLOGNA.longitude, bearing_degrees=bearing, km=radius - 0.02)
        outside = _destination(BOLOGNA.latitude, BOLOGNA.longitude, bearing_degrees=bearing, km=radius + 0.02)
        _listing_at(*inside, title=f"in {bearing}")
        _listing_at(*outside, title=f"out {bearing}")

    found = _titles(listing_search(filters=ListingFilters(near=BOLOGNA, within_km=radius)))

    assert sorted(found) == sorted(f"in {bearing}" for bearing in range(0, 360, 360 // 16))


def test_the_box_encloses_the_whole_circle():
    min_lat, max_lat, min_lon, max_lon = bounding_box(latitude=60.0, longitude=10.0, radius_km=200)
    for bearing in range(0, 360, 5):
        latitude, longitude = _destination(60.0, 10.0, bearing_degrees=bearing, km=199.99)
        assert min_lat <= latitude <= max_lat and min_lon <= longitude <= max_lon


def test_nearest_first_sorts_by_distance_and_leaves_out_listings_without_a_place():
    _listing_at(*_destination(BOLOGNA.latitude, BOLOGNA.longitude, bearing_degrees=0, km=30), title="30 km")
    _listing_at(*_destination(BOLOGNA.latitude, BOLOGNA.longitude, bearing_degrees=90, km=3), title="3 km")
    _listing_at(*_destination(BOLOGNA.latitude, BOLOGNA.longitude, bearing_degrees=200, km=12), title="12 km")
    ListingFactory(title="nowhere")

    found = listing_search(filters=ListingFilters(near=BOLOGNA, sort="distance"))

    assert _titles(found) == ["3 km", "12 km", "30 km"]
    assert [round(listing.distance) for listing in found] == [3, 12, 30]


def test_the_browse_page_filters_within_a_distance_of_a_town_and_shows_town_and_distance(client):
    casalecchio, florence = place_find("Casalecchio di Reno"), place_find("Florence")
    _listing_at(casalecchio.latitude, casalecchio.longitude, title="Near lamp", place_name=casalecchio.label)
    _listing_at(florence.latitude, florence.longitude, title="Far lamp", place_name=florence.label)

    page = html.unescape(
        client.get(reverse("marketplace:browse"), {"near": "Bologna", "within": "25"}).content.decode()
    )

    assert "Near lamp" in page and "Far lamp" not in page
    assert "Casalecchio di Reno" in page and "5.5 km" in page
    assert f"?near={BOLOGNA.geonameid}" in page  # the listing's page is told the buyer's town


def test_the_browse_page_notes_an_unknown_town_and_searches_everywhere(client):
    ListingFactory(title="Lamp")

    response = client.get(reverse("marketplace:browse"), {"near": "Atlantis", "within": "10"})

    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "We don't know that town, so we searched everywhere." in page
    assert "Lamp" in page


def test_the_listing_page_shows_the_town_and_the_distance_from_the_buyers_town(client):
    modena = place_find("Modena")
    listing = _listing_at(modena.latitude, modena.longitude, place_name="Modena")

    page = html.unescape(client.get(listing.get_absolute_url(), {"near": BOLOGNA.geonameid}).content.decode())

    assert "Modena" in page
    assert "from Bologna" in page and "37 km" in page


def test_the_api_filters_and_sorts_by_distance():
    from django.test import Client

    client = Client()
    imola, florence = place_find("Imola"), place_find("Florence")
    _listing_at(imola.latitude, imola.longitude, title="Imola bike", place_name="Imola")
    _listing_at(florence.latitude, florence.longitude, title="Florence bike", place_name="Florence")
    _listing_at(BOLOGNA.latitude, BOLOGNA.longitude, title="Bologna bike", place_name="Bologna")

    body = client.get("/api/listings", {"near": "Bologna", "within_km": 50, "sort": "distance"}).json()

    assert [item["title"] for item in body["items"]] == ["Bologna bike", "Imola bike"]
    assert body["count"] == 2
    assert [item["place"] for item in body["items"]] == ["Bologna", "Imola"]
    assert body["items"][0]["distance_km"] == 0.0
    assert 30 < body["items"][1]["distance_km"] < 35


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"near": "Atlantis"}, "We don't know a town called 'Atlantis'"),
        ({"within_km": 10}, "within_km needs near"),
    ],
)
def test_the_api_refuses_an_unknown_town_or_a_radius_without_one(client, params, words):
    response = client.get("/api/listings", params)

    assert response.status_code == 400
    assert words in response.json()["detail"]


def test_the_api_lists_towns_by_name():
    from django.test import Client

    towns = Client().get("/api/places", {"q": "bolo"}).json()

    assert towns[0] == {
        "id": BOLOGNA.geonameid,
        "name": "Bologna",
        "region": "Emilia-Romagna",
        "latitude": BOLOGNA.latitude,
        "longitude": BOLOGNA.longitude,
    }


def test_the_place_input_suggests_towns_as_one_types(client):
    page = client.get(reverse("marketplace:place_suggest"), {"place": "Casal"}).content.decode()

    assert '<option value="Casalecchio di Reno">' in page


def test_a_new_listing_takes_the_sellers_last_place_by_default(client, seller):
    client.force_login(seller)
    sell = reverse("ai_prefill:sell")
    client.post(sell, {**listing_form_data(title="First"), "place": "Imola", "photos": [photo_upload()]})

    second_form = client.get(sell).content.decode()
    client.post(sell, {**listing_form_data(title="Second"), "photos": [photo_upload()]})

    assert 'value="Imola"' in second_form
    assert Listing.objects.get(title="First").place_name == "Imola"
    second = Listing.objects.get(title="Second")
    assert (second.place_name, second.latitude) == ("Imola", place_find("Imola").latitude)


def test_the_sell_page_refuses_an_unknown_town_and_keeps_the_fields(client, seller):
    client.force_login(seller)

    response = client.post(
        reverse("ai_prefill:sell"),
        {**listing_form_data(title="Kept title"), "place": "Atlantis", "photos": [photo_upload()]},
    )

    page = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert "We don't know a town called “Atlantis”" in page
    assert 'value="Kept title"' in page
    assert not Listing.objects.exists()


def test_the_api_posts_and_changes_a_listings_town(client):
    from marketplace.auth import token_issue

    seller = UserFactory(username="apiseller")
    token = token_issue(user=seller)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    fields = {"title": "Lamp", "category": "home-garden", "price": "10", "condition": "good", "place": "Ferrara"}

    created = client.post("/api/listings", {**fields, "images": [photo_upload()]}, **auth)
    changed = client.patch(
        f"/api/listings/{created.json()['id']}", {"place": "Budrio"}, content_type="application/json", **auth
    )

    assert created.status_code == 201 and created.json()["place"] == "Ferrara"
    assert changed.status_code == 200 and changed.json()["place"] == "Budrio"


def test_nearest_first_at_any_distance_widens_its_circle_until_it_holds_enough_matching_listings():
    """The circle stops at the first radius holding NEAREST_AT_LEAST listings; what is inside is the nearest of all."""
    seller, furniture = UserFactory(), Category.objects.get(slug="furniture")
    crowd = [_destination(BOLOGNA.latitude, BOLOGNA.longitude, bearing_degrees=b % 360, km=20) for b in range(1000)]
    Listing.objects.bulk_create(
        Listing(
            seller=seller, title=f"crowd {n}", category=furniture, price=Decimal(5), condition="good",
            place_name="Somewhere", latitude=latitude, longitude=longitude,
        )
        for n, (latitude, longitude) in enumerate(crowd)
    )  # fmt: skip
    books = Category.objects.get(slug="books")
    _listing_at(*_destination(BOLOGNA.latitude, BOLOGNA.longitude, bearing_degrees=90, km=2), title="2 km")
    _listing_at(
        *_destination(BOLOGNA.latitude, BOLOGNA.longitude, bearing_degrees=0, km=600), title="far", category=books
    )
    _listing_at(
        *_destination(BOLOGNA.latitude, BOLOGNA.longitude, bearing_degrees=0, km=9), title="9 km", category=books
    )

    nearest = listing_search(filters=ListingFilters(near=BOLOGNA, sort="distance"))
    # 1,002 within 25 km: the one 600 km away is past the circle, and past page 41 of any page.
    assert nearest.count() == NEAREST_AT_LEAST + 2
    assert _titles(nearest[:2]) == ["2 km", "9 km"]
    assert "far" not in _titles(nearest)
    # Filtered, too few anywhere: the circle spans every matching listing.
    books_nearest = listing_search(filters=ListingFilters(near=BOLOGNA, sort="distance", category="books"))
    assert _titles(books_nearest) == ["9 km", "far"]
