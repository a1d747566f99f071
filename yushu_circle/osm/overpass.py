"""Fetching a study area from Overpass (one query, retried, cached) and geocoding place names."""

from __future__ import annotations

import math
import os
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import requests
from shapely.geometry import MultiPolygon, Polygon

from yushu_circle.errors import DataError, InputError
from yushu_circle.osm.area import CLIP_MARGIN_M, bbox_area_km2, bbox_polygon, with_margin
from yushu_circle.osm.data import OSMData
from yushu_circle.osm.xml import valid_elements

BACKOFF_ENV = "YUSHU_CIRCLE_OVERPASS_BACKOFF_S"
"""Environment variable: first pause (s) between Overpass retries (default 5)."""
ALLOW_LARGE_AREA_ENV = "YUSHU_CIRCLE_ALLOW_LARGE_AREA"
"""Environment variable: ``1`` lets :func:`from_overpass` query areas over the limit
(what ``--allow-large-area`` sets)."""
MAX_QUERY_AREA_KM2 = 1000.0
"""Largest Overpass query box (the area plus its margin) sent without ``--allow-large-area``:
a city's built-up area is a few hundred km²."""
ASSUMED_MB_PER_KM2 = 2.0
"""Rough size of an Overpass answer per km² of town (streets, buildings, POIs): an
assumption used only to estimate a download in messages; open country is far less."""

# Tags fetched for features besides the catalog's own (residences, communities, basemap).
_PLACE_TAG_KEYS = (
    "building",
    "landuse",
    "boundary",
    "admin_level",
    "place",
    "waterway",
    "natural",
    "population",
)


def from_overpass(
    place: str | None = None,
    bbox: Sequence[float] | None = None,
    polygon: Polygon | MultiPolygon | None = None,
    tag_keys: Sequence[str] = (),
    retries: int = 3,
    backoff_s: float | None = None,
    allow_large_area: bool | None = None,
) -> OSMData:
    """Fetch one study area from Overpass in a single query, through osmnx's response cache.

    Parameters
    ----------
    place : str, optional
        A place name geocoded with Nominatim (e.g. ``"玉树市, 青海省, 中国"``).
    bbox : sequence of float, optional
        (west, south, east, north) in degrees.
    polygon : shapely Polygon, optional
        The area in EPSG:4326.
    tag_keys : sequence of str
        Feature tag keys to fetch besides streets, buildings and land use.
    retries : int
        Attempts after a timeout, HTTP 429 or 5xx answer.
    backoff_s : float, optional
        First pause between attempts, doubled each time; default from the environment
        variable ``YUSHU_CIRCLE_OVERPASS_BACKOFF_S``, else 5 s.
    allow_large_area : bool, optional
        Query areas over :data:`MAX_QUERY_AREA_KM2`; default from the environment
        variable ``YUSHU_CIRCLE_ALLOW_LARGE_AREA`` (``1``), else False.

    Returns
    -------
    OSMData

    Raises
    ------
    InputError
        When the place cannot be geocoded, the area is invalid or too large.
    DataError
        When Overpass fails after the retries or returns no streets.
    """
    if place is not None:
        area = geocode(place)
        label = f"OpenStreetMap (Overpass) for {place}"
    elif polygon is not None:
        area = polygon
        label = "OpenStreetMap (Overpass) for the given polygon"
    elif bbox is not None:
        area = bbox_polygon(bbox)
        label = "OpenStreetMap (Overpass) for bbox " + ",".join(f"{v:g}" for v in bbox)
    else:
        raise InputError("no study area given", "pass --place, --bbox, --polygon or --osm-file")
    reach = with_margin(area, CLIP_MARGIN_M)
    if allow_large_area is None:
        allow_large_area = os.environ.get(ALLOW_LARGE_AREA_ENV, "").strip() == "1"
    check_query_area(reach.bounds, label, allow_large_area)
    query = overpass_query(reach, tag_keys)
    if backoff_s is None:
        backoff_s = _env_seconds(BACKOFF_ENV, 5.0)
    response = _overpass_json(query, retries=retries, backoff_s=backoff_s)
    elements = valid_elements(response.get("elements", []), f"the Overpass answer for {label}")
    if not any(e.get("type") == "way" and "highway" in e.get("tags", {}) for e in elements):
        raise DataError(
            f"Overpass returned no streets for {label}",
            "check the place name or widen the area",
        )
    return OSMData(elements, label, area=area)


def check_query_area(bounds: Sequence[float], label: str, allow_large_area: bool) -> float:
    """Refuse an Overpass query box over :data:`MAX_QUERY_AREA_KM2` (before any query).

    Returns
    -------
    float
        The box's area, km².

    Raises
    ------
    InputError
        Naming the area, the limit, the estimated download and the fix.
    """
    km2 = bbox_area_km2(bounds)
    if km2 > MAX_QUERY_AREA_KM2 and not allow_large_area:
        megabytes = km2 * ASSUMED_MB_PER_KM2
        size = f"{megabytes / 1000:,.0f} GB" if megabytes >= 1000 else f"{megabytes:,.0f} MB"
        raise InputError(
            f"{label} spans {km2:,.0f} km² with its {CLIP_MARGIN_M:g} m margin, over the "
            f"{MAX_QUERY_AREA_KM2:,.0f} km² limit for one Overpass query (a city is a few "
            f"hundred km²; the download would be roughly {size} at an assumed "
            f"{ASSUMED_MB_PER_KM2:g} MB/km² of town)",
            "pass a smaller --bbox/--polygon/--place, use a local extract with --osm-file, "
            "or add --allow-large-area",
        )
    return km2


def geocode(place: str) -> Polygon | MultiPolygon:
    """Geocode a place name to its boundary polygon with osmnx (Nominatim).

    Raises
    ------
    InputError
        When the geocoder does not find the place or finds only a point.
    """
    import osmnx as ox

    from yushu_circle.osm import _osmnx

    try:
        frame = ox.geocode_to_gdf(place)
    except _osmnx.GeocoderHTTPError:
        raise DataError(
            f"the geocoder at {ox.settings.nominatim_url} answered with an HTTP error "
            f"for {place!r}",
            "try again later, set another server with --nominatim-url, or pass --bbox",
        ) from None
    except (_osmnx.InsufficientResponse, TypeError, ValueError) as exc:
        raise InputError(
            f"the geocoder found no area named {place!r} ({exc})",
            "check the spelling, add the province and country "
            "(e.g. '玉树市, 青海省, 中国'), or pass --bbox",
        ) from None
    except requests.RequestException as exc:
        raise DataError(
            f"the geocoder could not be reached for {place!r} ({type(exc).__name__})",
            "check the network connection, or pass --osm-file with a local extract",
        ) from None
    geometry = frame.geometry.iloc[0]
    if not isinstance(geometry, Polygon | MultiPolygon):
        raise InputError(
            f"the geocoder found {place!r} only as a point, not an area",
            "pass --bbox or --polygon for the study area",
        )
    return geometry


def overpass_query(area: Polygon | MultiPolygon, tag_keys: Sequence[str] = ()) -> str:
    """Build one Overpass QL query for the streets, buildings, land use and facilities of an area.

    Relations come with their member ways and those ways' nodes (``(._;>;)``), so
    multipolygon buildings and parks are complete inside the box.

    Parameters
    ----------
    area : shapely Polygon or MultiPolygon
        The study area in EPSG:4326.
    tag_keys : sequence of str
        Facility tag keys (from the catalog).
    """
    from yushu_circle.osm import _osmnx

    west, south, east, north = area.bounds
    bbox = f"{south:.7f},{west:.7f},{north:.7f},{east:.7f}"
    keys = sorted(set(_PLACE_TAG_KEYS) | set(tag_keys) - {"name", "admin_level", "population"})
    parts = [f'way["highway"]({bbox});']
    parts += [f'nwr["{key}"]({bbox});' for key in keys]
    return f"{_osmnx.overpass_settings()};({''.join(parts)});(._;>;);out;"


def _env_seconds(name: str, default: float) -> float:
    """A non-negative number of seconds from an environment variable, else ``default``."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value >= 0 and math.isfinite(value)):
        raise InputError(
            f"environment variable {name}={text!r} is not a number of seconds ≥ 0",
            f"set {name} to e.g. 5, or unset it",
        )
    return value


def _overpass_json(query: str, retries: int, backoff_s: float) -> dict[str, Any]:
    """POST one query with retries on timeouts, 429 and 5xx; cache only complete answers."""
    import osmnx as ox

    from yushu_circle.osm import _osmnx

    url = ox.settings.overpass_url.rstrip("/") + "/interpreter"
    data = OrderedDict(data=query)
    cache_key = str(requests.Request("GET", url, params=data).prepare().url)
    cached = _osmnx.cached_answer(cache_key)
    if isinstance(cached, dict):
        return cached
    pause = backoff_s
    last_problem = ""
    for attempt in range(retries + 1):
        try:
            response = requests.post(
                url, data=data, timeout=ox.settings.requests_timeout, **ox.settings.requests_kwargs
            )
        except requests.RequestException as exc:
            last_problem = f"{type(exc).__name__}"
        else:
            if response.status_code == 200:
                try:
                    document = response.json()
                except ValueError:
                    last_problem = "an answer that is not JSON"
                else:
                    remark = str(document.get("remark", "")) if isinstance(document, dict) else ""
                    if "error" in remark.lower():
                        # Overpass reports its own timeouts and memory limits as HTTP 200
                        # with a remark and partial elements: retry, never cache.
                        last_problem = f"remark: {remark[:120]}"
                    elif isinstance(document, dict) and isinstance(document.get("elements"), list):
                        _osmnx.save_answer(cache_key, document)
                        return document
                    else:
                        last_problem = "JSON without elements"
            elif response.status_code == 429 or response.status_code >= 500:
                last_problem = f"HTTP {response.status_code}"
            else:
                raise DataError(
                    f"Overpass at {url} answered HTTP {response.status_code}",
                    "check the query area; the server refused it",
                )
        if attempt < retries:
            time.sleep(pause)
            pause *= 2
    raise DataError(
        f"Overpass at {url} failed after {retries + 1} attempts ({last_problem})",
        "try again later, set a different server with --overpass-url, "
        "or pass --osm-file with a local extract",
    )
