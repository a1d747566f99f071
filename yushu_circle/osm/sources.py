"""Getting OSM data: XML and PBF files, GraphML, and Overpass through osmnx's cache."""

from __future__ import annotations

import bz2
import gzip
import math
import os
import time
import xml.sax
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import networkx as nx
import osmnx as ox
import requests
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from yushu_circle._resources import data_path
from yushu_circle.errors import DataError, InputError

DEMO_OSM = "demo/jiegu_synthetic_demo.osm.bz2"
DEMO_DEM = "demo/jiegu_synthetic_dem.tif"
BACKOFF_ENV = "YUSHU_CIRCLE_OVERPASS_BACKOFF_S"
"""Environment variable: first pause (s) between Overpass retries (default 5)."""
DEMO_LABEL = "synthetic demo data 示例数据 (Jiegu, Yushu — not survey data)"

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
CLIP_MARGIN_M = 1500.0
"""Streets and facilities are read this far beyond a clipped study area, so residents near
its edge still reach the services just outside it (15 minutes at 4 km/h is 1,000 m)."""
_OSM_FILE_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".xml", ".osm.pbf", ".pbf", ".graphml")


@dataclass
class OSMData:
    """OSM elements for one study area, read once for both the network and the features.

    Parameters
    ----------
    elements : list of dict
        Overpass-JSON style elements (``type``, ``id``, ``tags``, ``lat``/``lon`` or
        ``nodes`` or ``members``).
    label : str
        Human-readable description of where the data came from.
    synthetic : bool
        True for the embedded synthetic demo.
    area : shapely Polygon or MultiPolygon, optional
        The study area in EPSG:4326 (a bbox, polygon or geocoded place), if known.
    graph : networkx.MultiDiGraph, optional
        A ready walk graph (from GraphML), used instead of building one from ``elements``.
    extract : yushu_circle.osm.pbf.PBFExtract, optional
        Streets and features read from a PBF file as arrays (the fast path for large
        files); ``elements`` is then empty.
    """

    elements: list[dict[str, Any]]
    label: str
    synthetic: bool = False
    area: Polygon | MultiPolygon | None = None
    graph: nx.MultiDiGraph | None = None
    notes: list[str] = field(default_factory=list)
    extract: Any = None

    @property
    def reach_area(self) -> Polygon | MultiPolygon | None:
        """The study area widened by ``CLIP_MARGIN_M``: where streets and facilities are read."""
        return None if self.area is None else with_margin(self.area, CLIP_MARGIN_M)

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """(west, south, east, north) of the data's nodes, or of the area."""
        if self.area is not None:
            return tuple(self.area.bounds)
        if self.extract is not None:
            return self.extract.bounds
        lons = [e["lon"] for e in self.elements if e.get("type") == "node"]
        lats = [e["lat"] for e in self.elements if e.get("type") == "node"]
        if not lons:
            return None
        return min(lons), min(lats), max(lons), max(lats)


def demo() -> OSMData:
    """Load the embedded synthetic demo town at Jiegu (结古), Yushu.

    Returns
    -------
    OSMData
        Marked ``synthetic=True``: the town, its names and numbers are made up.
    """
    data = read_osm_file(data_path(DEMO_OSM))
    data.label = DEMO_LABEL
    data.synthetic = True
    return data


def demo_dem_path() -> Path:
    """The synthetic DEM GeoTIFF of the demo town (示例数据), for slope-aware walking."""
    return data_path(DEMO_DEM)


def read_osm_file(
    path: str | Path,
    bbox: Sequence[float] | None = None,
    polygon: Polygon | MultiPolygon | None = None,
) -> OSMData:
    """Read a local OSM file: ``.osm``/``.osm.bz2``/``.osm.gz`` XML, ``.osm.pbf`` or GraphML.

    Parameters
    ----------
    path : str or Path
        The file.
    bbox : sequence of float, optional
        (west, south, east, north) in degrees to clip a PBF extract to.
    polygon : shapely Polygon, optional
        Area (EPSG:4326) to clip a PBF extract to.

    Returns
    -------
    OSMData

    Raises
    ------
    InputError
        When the file is missing, empty, of an unknown kind or not readable OSM data.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"OSM file {path} does not exist", "check the path passed to --osm-file")
    if path.is_dir():
        raise InputError(f"OSM file {path} is a folder", "pass an .osm, .osm.pbf or .graphml file")
    if path.stat().st_size == 0:
        raise InputError(f"OSM file {path} is empty", "export the area again")
    name = path.name.lower()
    area = _area_from(bbox, polygon)
    if name.endswith(".graphml"):
        return _read_graphml(path)
    if name.endswith(".pbf"):
        from yushu_circle.osm.pbf import read_pbf

        extract = read_pbf(path, None if area is None else with_margin(area, CLIP_MARGIN_M))
        if extract.street_way_count == 0 and not extract.way_tags:
            raise DataError(
                f"{path} holds no OSM ways (streets or buildings) in the study area",
                "check that the file covers the area, or widen --bbox/--polygon",
            )
        label = f"OSM PBF file {path.name}"
        return OSMData([], label, area=area, notes=list(extract.notes), extract=extract)
    if not name.endswith((".osm", ".osm.bz2", ".osm.gz", ".xml")):
        raise InputError(
            f"{path} is not a known OSM file type",
            f"use one of {', '.join(_OSM_FILE_SUFFIXES)}",
        )
    elements = _read_osm_xml(path)
    data = OSMData(elements, f"OSM XML file {path.name}", area=area)
    if data.reach_area is not None:
        data.elements = _clip_elements(data.elements, data.reach_area)
    return _checked(data, path)


def _read_osm_xml(path: Path) -> list[dict[str, Any]]:
    head = _open_bytes(path, 64)
    if b"<" not in head:
        raise InputError(
            f"{path} is not OSM XML (it does not start with an XML tag)",
            "pass an OSM XML export (.osm), a .osm.pbf or a .graphml file",
        )
    try:
        document = ox._osm_xml._overpass_json_from_xml(path, "utf-8")
    except xml.sax.SAXParseException as exc:
        raise InputError(
            f"{path} is not valid OSM XML (line {exc.getLineNumber()}: {exc.getMessage()})",
            "the file may be truncated or corrupt: export or download it again",
        ) from None
    except ElementTree.ParseError as exc:
        line, _ = exc.position
        raise InputError(
            f"{path} is not valid OSM XML (line {line}: {exc})",
            "the file may be truncated or corrupt: export or download it again",
        ) from None
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(
            f"{path} cannot be read as OSM XML ({exc})",
            "the file may be truncated or corrupt: export or download it again",
        ) from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise InputError(
            f"{path} is XML but not OSM XML: a <tag>, <nd> or <member> is out of place "
            f"or lacks an attribute ({type(exc).__name__}: {exc})",
            "export the area again as OSM XML (.osm)",
        ) from None
    elements = document.get("elements", [])
    if not isinstance(elements, list):
        raise InputError(f"{path} holds no OSM elements", "export the area again")
    return _valid_elements(elements, path)


def _valid_elements(elements: list[dict[str, Any]], path: Path) -> list[dict[str, Any]]:
    """Check every node has an id and a position in range, every way an id and node list."""
    for element in elements:
        kind = element.get("type")
        if not isinstance(element.get("id"), int):
            raise InputError(
                f"{path}: a <{kind}> has no whole-number id ({element.get('id')!r})",
                "export the area again as OSM XML (.osm)",
            )
        if kind == "node":
            lon, lat = element.get("lon"), element.get("lat")
            if not (
                isinstance(lon, float)
                and isinstance(lat, float)
                and -180 <= lon <= 180
                and -90 <= lat <= 90
            ):
                raise InputError(
                    f"{path}: node {element['id']} has no valid position "
                    f"(lon={lon!r}, lat={lat!r})",
                    "export the area again as OSM XML (.osm)",
                )
    return elements


def _open_bytes(path: Path, count: int) -> bytes:
    name = path.name.lower()
    try:
        if name.endswith(".bz2"):
            with bz2.open(path, "rb") as handle:
                return handle.read(count)
        if name.endswith(".gz"):
            with gzip.open(path, "rb") as handle:
                return handle.read(count)
        with path.open("rb") as handle:
            return handle.read(count)
    except (OSError, EOFError) as exc:
        raise InputError(
            f"{path} cannot be decompressed ({exc})",
            "the file may be truncated or not really compressed: download it again",
        ) from None


def _read_graphml(path: Path) -> OSMData:
    try:
        graph = ox.load_graphml(path)
    except Exception as exc:
        raise InputError(
            f"{path} is not a readable OSMnx GraphML file ({type(exc).__name__}: {exc})",
            "save it with osmnx.save_graphml or pass an OSM XML/PBF file",
        ) from None
    if graph.number_of_nodes() == 0:
        raise DataError(f"GraphML file {path} has no nodes", "save a non-empty graph")
    notes = ["GraphML holds only the street network: pass --facilities and --residences files"]
    return OSMData([], f"GraphML file {path.name}", graph=graph, notes=notes)


def _checked(data: OSMData, path: Path) -> OSMData:
    if not any(e.get("type") == "way" for e in data.elements):
        raise DataError(
            f"{path} holds no OSM ways (streets or buildings) in the study area",
            "check that the file covers the area, or widen --bbox/--polygon",
        )
    return data


def _area_from(
    bbox: Sequence[float] | None, polygon: Polygon | MultiPolygon | None
) -> Polygon | MultiPolygon | None:
    if polygon is not None:
        return polygon
    if bbox is not None:
        return bbox_polygon(bbox)
    return None


def with_margin(area: Polygon | MultiPolygon, metres: float) -> Polygon | MultiPolygon:
    """An EPSG:4326 area widened by at least ``metres`` in every direction."""
    latitude = abs(area.centroid.y)
    degrees = metres / (111_320.0 * max(math.cos(math.radians(latitude)), 0.05))
    widened = area.buffer(degrees, quad_segs=4)
    assert isinstance(widened, Polygon | MultiPolygon)
    return widened


def bbox_polygon(bbox: Sequence[float]) -> Polygon:
    """Validate a (west, south, east, north) box in degrees and return it as a polygon.

    Raises
    ------
    InputError
        When the box has the wrong length, is outside lon/lat ranges or is empty.
    """
    values = list(bbox)
    if len(values) != 4:
        raise InputError(
            f"bbox {bbox!r} does not have 4 numbers", "write --bbox WEST,SOUTH,EAST,NORTH"
        )
    west, south, east, north = (float(v) for v in values)
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InputError(
            f"bbox {west},{south},{east},{north} is not a valid WEST,SOUTH,EAST,NORTH box",
            "use degrees with west < east and south < north, e.g. 96.99,32.99,97.03,33.02",
        )
    return box(west, south, east, north)


def read_polygons(path: str | Path, what: str, fix: str) -> Any:
    """Read the polygons of a GeoJSON, GeoPackage or Shapefile as an EPSG:4326 GeoDataFrame.

    Parameters
    ----------
    path : str or Path
        The file (a file without a CRS is taken as EPSG:4326).
    what : str
        What the file holds, for messages (``polygon file``, ``areas file``).
    fix : str
        What to do when it holds no polygon.

    Raises
    ------
    InputError
        When the file is missing, unreadable or holds no polygon.
    """
    import geopandas as gpd

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} {path} does not exist", "check the path")
    try:
        frame = gpd.read_file(path)
    except Exception as exc:
        raise InputError(
            f"{what} {path} cannot be read ({type(exc).__name__}: {exc})",
            "pass a GeoJSON, GeoPackage or Shapefile with polygons",
        ) from None
    frame = frame.set_crs("EPSG:4326") if frame.crs is None else frame.to_crs("EPSG:4326")
    frame = frame[frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if frame.empty:
        raise InputError(f"{what} {path} holds no polygon", fix)
    return frame


def read_polygon_file(path: str | Path) -> Polygon | MultiPolygon:
    """Read a study-area polygon (GeoJSON, GeoPackage, Shapefile) as one EPSG:4326 shape.

    Raises
    ------
    InputError
        When the file is missing, unreadable or holds no polygon.
    """
    frame = read_polygons(path, "polygon file", "draw the study area as a polygon")
    shape = shapely.union_all(frame.geometry.values)
    if not isinstance(shape, Polygon | MultiPolygon):
        raise InputError(f"polygon file {path} holds no polygon", "draw the area as a polygon")
    return shape


def _clip_elements(
    elements: list[dict[str, Any]], area: Polygon | MultiPolygon
) -> list[dict[str, Any]]:
    """Keep ways and relations touching the area, and every node they use."""
    import numpy as np

    nodes = [e for e in elements if e["type"] == "node"]
    if not nodes:
        return elements
    lon = np.array([n["lon"] for n in nodes])
    lat = np.array([n["lat"] for n in nodes])
    inside_mask = shapely.contains_xy(area, lon, lat)
    inside = {n["id"] for n, keep in zip(nodes, inside_mask, strict=True) if keep}
    ways = [e for e in elements if e["type"] == "way" and any(ref in inside for ref in e["nodes"])]
    way_ids = {w["id"] for w in ways}
    relations = [
        e
        for e in elements
        if e["type"] == "relation"
        and any(
            (m["type"] == "way" and m["ref"] in way_ids)
            or (m["type"] == "node" and m["ref"] in inside)
            for m in e.get("members", [])
        )
    ]
    used = set(inside)
    for way in ways:
        used.update(way["nodes"])
    kept_nodes = [n for n in nodes if n["id"] in used]
    return kept_nodes + ways + relations


# --- Overpass ---------------------------------------------------------------------------


def from_overpass(
    place: str | None = None,
    bbox: Sequence[float] | None = None,
    polygon: Polygon | MultiPolygon | None = None,
    tag_keys: Sequence[str] = (),
    retries: int = 3,
    backoff_s: float | None = None,
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

    Returns
    -------
    OSMData

    Raises
    ------
    InputError
        When the place cannot be geocoded or the area is invalid.
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
    query = overpass_query(with_margin(area, CLIP_MARGIN_M), tag_keys)
    if backoff_s is None:
        backoff_s = _env_seconds(BACKOFF_ENV, 5.0)
    response = _overpass_json(query, retries=retries, backoff_s=backoff_s)
    elements = response.get("elements", [])
    data = OSMData(elements, label, area=area)
    if not any(e.get("type") == "way" and "highway" in e.get("tags", {}) for e in elements):
        raise DataError(
            f"Overpass returned no streets for {label}",
            "check the place name or widen the area",
        )
    return data


def geocode(place: str) -> Polygon | MultiPolygon:
    """Geocode a place name to its boundary polygon with osmnx (Nominatim).

    Raises
    ------
    InputError
        When the geocoder does not find the place or finds only a point.
    """
    try:
        frame = ox.geocode_to_gdf(place)
    except ox._errors.ResponseStatusCodeError:
        raise DataError(
            f"the geocoder at {ox.settings.nominatim_url} answered with an HTTP error "
            f"for {place!r}",
            "try again later, set another server with --nominatim-url, or pass --bbox",
        ) from None
    except (ox._errors.InsufficientResponseError, TypeError, ValueError) as exc:
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

    Parameters
    ----------
    area : shapely Polygon or MultiPolygon
        The study area in EPSG:4326.
    tag_keys : sequence of str
        Facility tag keys (from the catalog).
    """
    west, south, east, north = area.bounds
    bbox = f"{south:.7f},{west:.7f},{north:.7f},{east:.7f}"
    keys = sorted(set(_PLACE_TAG_KEYS) | set(tag_keys) - {"name", "admin_level", "population"})
    parts = [f'way["highway"]({bbox});']
    parts += [f'nwr["{key}"]({bbox});' for key in keys]
    settings = ox._overpass._make_overpass_settings()
    return f"{settings};({''.join(parts)});(._;>;);out;"


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
    url = ox.settings.overpass_url.rstrip("/") + "/interpreter"
    data = OrderedDict(data=query)
    cache_key = str(requests.Request("GET", url, params=data).prepare().url)
    cached = ox._http._retrieve_from_cache(cache_key)
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
                    elif isinstance(document, dict) and "elements" in document:
                        ox._http._save_to_cache(cache_key, document, True)
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
