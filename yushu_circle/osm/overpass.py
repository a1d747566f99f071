"""Fetching a study area from Overpass (one query, or one per settlement of a county; retried,
cached) and geocoding place names."""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import requests
import shapely
from shapely.geometry import MultiPolygon, Polygon

from yushu_circle.errors import DataError, InputError
from yushu_circle.osm import settlements
from yushu_circle.osm.area import CLIP_MARGIN_M, bbox_area_km2, bbox_polygon, with_margin
from yushu_circle.osm.data import OSMData
from yushu_circle.osm.servers import Servers
from yushu_circle.osm.walkfilter import is_walkable
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
    servers: Servers | None = None,
    by_settlement: bool | None = None,
) -> OSMData:
    """Fetch one study area from Overpass, through osmnx's response cache.

    An area whose box (with its reach margin) is within :data:`MAX_QUERY_AREA_KM2` is read
    in one query. A larger place or polygon — a county, a rural township — is read
    settlement by settlement (:func:`from_settlements`): one small query finds its
    settlements, then each is read with its reach margin, never the land between. A box
    over the limit is refused (a box is one dense area), unless ``allow_large_area``.

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
        Query areas over :data:`MAX_QUERY_AREA_KM2` in one query; default from the
        environment variable ``YUSHU_CIRCLE_ALLOW_LARGE_AREA`` (``1``), else False.
    servers : Servers, optional
        The Overpass and Nominatim servers and the cache (default: osmnx's settings).
    by_settlement : bool, optional
        True: study the area's settlements whatever its size; False: the whole area in
        one query; None (default): settlements when a place or polygon is over the limit.

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
    if allow_large_area is None:
        allow_large_area = os.environ.get(ALLOW_LARGE_AREA_ENV, "").strip() == "1"
    if backoff_s is None:
        backoff_s = _env_seconds(BACKOFF_ENV, 5.0)
    from yushu_circle.osm import _osmnx  # osmnx loads when data is fetched, not on import

    fetch = _Fetch(tag_keys, retries, backoff_s)
    with _osmnx.using(servers):
        relation = None
        if place is not None:
            area, relation = _geocode(place)
            label, name = f"OpenStreetMap (Overpass) for {place}", place
        elif polygon is not None:
            area = polygon
            label, name = "OpenStreetMap (Overpass) for the given polygon", "the given polygon"
        elif bbox is not None:
            area = bbox_polygon(bbox)
            name = "bbox " + ",".join(f"{v:g}" for v in bbox)
            label = f"OpenStreetMap (Overpass) for {name}"
        else:
            raise InputError("no study area given", "pass --place, --bbox, --polygon or --osm-file")
        reach = with_margin(area, CLIP_MARGIN_M)
        large = bbox_area_km2(reach.bounds) > MAX_QUERY_AREA_KM2 and not allow_large_area
        if by_settlement or (by_settlement is None and large and bbox is None):
            return from_settlements(area, name, label, fetch, relation)
        check_query_area(reach.bounds, label, allow_large_area)
        elements = fetch.elements(reach, label)
    if not any(e.get("type") == "way" and "highway" in e.get("tags", {}) for e in elements):
        raise DataError(
            f"Overpass returned no streets for {label}",
            "check the place name or widen the area",
        )
    return OSMData(elements, label, area=area)


@dataclasses.dataclass(frozen=True)
class _Fetch:
    """How one area's Overpass queries are sent: the facility tags, retries and backoff."""

    tag_keys: Sequence[str]
    retries: int
    backoff_s: float

    def answer(self, query: str) -> list[dict[str, Any]]:
        """The valid elements of one query's answer."""
        response = _overpass_json(query, retries=self.retries, backoff_s=self.backoff_s)
        return valid_elements(response.get("elements", []), "the Overpass answer")

    def elements(self, reach: Polygon | MultiPolygon, label: str) -> list[dict[str, Any]]:
        """Streets, buildings, land use and facilities of an area (its box)."""
        response = _overpass_json(
            overpass_query(reach, self.tag_keys), retries=self.retries, backoff_s=self.backoff_s
        )
        return valid_elements(response.get("elements", []), f"the Overpass answer for {label}")


def from_settlements(
    area: Polygon | MultiPolygon,
    name: str,
    label: str,
    fetch: _Fetch,
    relation: int | None = None,
) -> OSMData:
    """Read a large area settlement by settlement (:mod:`yushu_circle.osm.settlements`).

    One query finds the settlements; each is then read with its reach margin
    (:data:`CLIP_MARGIN_M`). A settlement whose answer holds no walkable street, or whose
    box is over :data:`MAX_QUERY_AREA_KM2`, is skipped with the reason; the others are
    studied as one area of several parts (their cores), and the notes say what was done
    and list every settlement.

    Raises
    ------
    InputError
        When the area is too large to search, or holds too many settlements.
    DataError
        When no settlement is found, or none has a walkable street.
    """
    from yushu_circle.osm import _osmnx

    searched_km2 = bbox_area_km2(area.bounds)
    if searched_km2 > settlements.SEARCH_MAX_KM2:
        raise InputError(
            f"{name} spans {searched_km2:,.0f} km²: over the "
            f"{settlements.SEARCH_MAX_KM2:,.0f} km² searched for settlements (a county, not a "
            "province)",
            "pass one county or township at a time (batch lists several)",
        )
    query = settlements.search_query(area, relation, _osmnx.overpass_settings())
    found = settlements.find_settlements(fetch.answer(query), area)
    total_km2 = settlements.area_km2(area)
    if not found:
        raise DataError(
            f"{name} ({total_km2:,.0f} km²): OSM maps no settlement in it (no place=city/"
            "town/village/hamlet, no landuse=residential, no seat node) 未找到聚落",
            "pass a smaller --polygon around the built-up area, or --osm-file with an extract",
        )
    if len(found) > settlements.MAX_SETTLEMENTS:
        raise InputError(
            f"{name}: {len(found):,} settlements found, over the "
            f"{settlements.MAX_SETTLEMENTS} studied in one run",
            "split the area: list its townships in an AREAS file for `yushu-circle batch`",
        )
    elements: dict[tuple[str, int], dict[str, Any]] = {}
    studied, lines, queried_km2, requests_sent = [], [], 0.0, 1
    for settlement in found:
        reach = with_margin(settlement.core, CLIP_MARGIN_M)
        box_km2 = bbox_area_km2(reach.bounds)
        reason = ""
        if box_km2 > MAX_QUERY_AREA_KM2:
            reason = (
                f"its box with the margin spans {box_km2:,.0f} km², over the "
                f"{MAX_QUERY_AREA_KM2:,.0f} km² limit for one query 超过单次查询上限"
            )
        else:
            queried_km2 += box_km2
            requests_sent += 1
            answer = fetch.elements(reach, f"{label}, settlement {settlement.title}")
            if any(
                e.get("type") == "way" and "highway" in e.get("tags", {}) and is_walkable(e["tags"])
                for e in answer
            ):
                for element in answer:
                    elements.setdefault((str(element["type"]), int(element["id"])), element)
                studied.append(settlement)
            else:
                reason = "Overpass returned no walkable street 无可步行街道"
        core_km2 = settlements.area_km2(settlement.core)
        lines.append(
            f"settlement 聚落 {settlement.title}: "
            + (f"skipped 跳过 — {reason}" if reason else f"{core_km2:,.2f} km² studied 已研究")
        )
    if not studied:
        raise DataError(
            f"{name}: none of its {len(found)} settlement(s) has a walkable street in OSM "
            "(无可步行街道)",
            "check the area, or pass --osm-file with an extract that maps its streets",
        )
    core = shapely.union_all([s.core for s in studied])
    studied_km2 = settlements.area_km2(core)
    summary = (
        f"{name} {total_km2:,.0f} km²: {len(found)} settlement(s) 聚落 ({len(studied)} studied, "
        f"{len(found) - len(studied)} skipped 跳过), {studied_km2:,.1f} km² studied 已研究; "
        f"{requests_sent} Overpass request(s) read {queried_km2:,.0f} km² (each settlement with "
        f"its {CLIP_MARGIN_M:,.0f} m reach margin, not the land between 仅读取聚落及其周边)"
    )
    return OSMData(
        list(elements.values()),
        f"{label}: {len(studied)} settlement(s) 聚落",
        area=core,
        notes=[summary, *lines],
    )


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
            "pass a smaller --bbox, or the area as --place/--polygon (one over the limit is "
            "read settlement by settlement), use a local extract with --osm-file, or add "
            "--allow-large-area",
        )
    return km2


def geocode(place: str) -> Polygon | MultiPolygon:
    """Geocode a place name to its boundary polygon with osmnx (Nominatim).

    Raises
    ------
    InputError
        When the geocoder does not find the place or finds only a point.
    """
    return _geocode(place)[0]


def _geocode(place: str) -> tuple[Polygon | MultiPolygon, int | None]:
    """The place's boundary polygon, and its OSM relation id when it is one."""
    import osmnx as ox

    from yushu_circle.osm import _osmnx

    try:
        frame = ox.geocode_to_gdf(place)
    except _osmnx.GeocoderHTTPError:
        raise DataError(
            f"the geocoder at {_osmnx.settings_value('nominatim_url')} answered with an HTTP "
            f"error for {place!r}",
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
    relation = None
    if "osm_type" in frame and str(frame["osm_type"].iloc[0]) == "relation":
        try:
            relation = int(frame["osm_id"].iloc[0])
        except (TypeError, ValueError):
            relation = None
    return geometry, relation


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
    from yushu_circle.osm import _osmnx

    url = str(_osmnx.settings_value("overpass_url")).rstrip("/") + "/interpreter"
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
                url,
                data=data,
                timeout=_osmnx.settings_value("requests_timeout"),
                **_osmnx.settings_value("requests_kwargs"),
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
