"""Settlements inside a county-sized area: where people live, found with one small query.

A county (县/县级市) or a rural township (乡/镇) spans hundreds to thousands of km², almost
all of it grassland, forest or mountain; one Overpass query for all of it would bring
gigabytes. Its settlements are found instead with one query for ``place=city/town/village/
hamlet`` (nodes and areas), ``landuse=residential`` and the area's seat (its boundary
relation's ``admin_centre``/``label`` node); pieces whose reach areas touch form one
settlement, and each settlement is then read with its reach margin only
(:func:`yushu_circle.osm.overpass.from_overpass`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyproj
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from yushu_circle.osm.area import CLIP_MARGIN_M
from yushu_circle.osm.streets import utm_crs

PLACE_KINDS = ("city", "town", "village", "hamlet")
"""The ``place=*`` values that are settlements."""
PLACE_RADIUS_M = {"city": 3000.0, "town": 1500.0, "village": 500.0, "hamlet": 250.0, "seat": 500.0}
"""Radius studied around a place node (and a seat node without a ``place`` tag), metres: an
assumption standing in for an extent OSM does not give; mapped residential land use around
the node widens it."""
MAX_SETTLEMENTS = 300
"""More settlements than this in one area are refused: split it (e.g. ``batch`` by township)."""
SEARCH_MAX_KM2 = 250_000.0
"""Largest area (its box) searched for settlements: a county, not a province."""

_RANK = {"city": 0, "town": 1, "village": 2, "hamlet": 3, "seat": 4, "residential": 5}
_KIND_TEXT = {
    "city": "place=city 城市",
    "town": "place=town 镇",
    "village": "place=village 村",
    "hamlet": "place=hamlet 自然村",
    "seat": "seat node 驻地",
    "residential": "landuse=residential 居住用地",
}


@dataclasses.dataclass(frozen=True)
class Settlement:
    """One settlement of a large area: what is studied, with its reach margin around it.

    Attributes
    ----------
    settlement_id : str
        ``s01``, ``s02``, … (cities and towns first).
    name : str
        The name of its principal place (``name:zh``, else ``name``; ``""`` when none).
    kind : str
        ``city``, ``town``, ``village``, ``hamlet``, ``seat`` (the area's seat node) or
        ``residential`` (residential land use without a place node).
    lon, lat : float
        Its principal point (the place node, else the middle of its land use).
    core : shapely Polygon or MultiPolygon
        The area studied (EPSG:4326): discs of :data:`PLACE_RADIUS_M` around its place
        nodes and the boxes of its residential land use, inside the searched area.
    osm_ids : tuple of str
        The OSM elements it was found from (``node/123``, ``way/456``).
    """

    settlement_id: str
    name: str
    kind: str
    lon: float
    lat: float
    core: Polygon | MultiPolygon
    osm_ids: tuple[str, ...]

    @property
    def title(self) -> str:
        """``s01 结古镇 (place=town 镇, 97.0100 E 33.0000 N)`` — for messages."""
        name = self.name or "(无名 unnamed)"
        return (
            f"{self.settlement_id} {name} ({_KIND_TEXT[self.kind]}, "
            f"{self.lon:.4f} E {self.lat:.4f} N)"
        )


def search_query(area: Polygon | MultiPolygon, relation: int | None, header: str) -> str:
    """The one Overpass QL query for the settlements of ``area`` (its box; filtered after).

    Parameters
    ----------
    area : shapely Polygon or MultiPolygon
        The area searched (EPSG:4326).
    relation : int, optional
        The OSM id of the area's boundary relation: its ``admin_centre`` and ``label``
        member nodes (the seat) are asked for too.
    header : str
        The ``[out:json][timeout:…]`` settings.
    """
    west, south, east, north = area.bounds
    bbox = f"({south:.7f},{west:.7f},{north:.7f},{east:.7f})"
    places = f'["place"~"^({"|".join(PLACE_KINDS)})$"]'
    parts = [
        f"node{places}{bbox};out;",
        f'(way["landuse"="residential"]{bbox};relation["landuse"="residential"]{bbox};'
        f"way{places}{bbox};relation{places}{bbox};);out tags bb;",
    ]
    if relation is not None:
        parts += [f'rel({relation});node(r:"admin_centre");out;']
        parts += [f'rel({relation});node(r:"label");out;']
    return header + ";" + "".join(parts)


def find_settlements(
    elements: Sequence[Mapping[str, Any]], area: Polygon | MultiPolygon
) -> list[Settlement]:
    """The settlements of an area from the answer to :func:`search_query`.

    Each place node gives a disc (:data:`PLACE_RADIUS_M`; a node without a settlement
    ``place`` tag came as the seat), each residential or place area its box; pieces
    outside ``area`` are left out, and pieces whose reach areas (:data:`CLIP_MARGIN_M`
    around them) overlap are one settlement — their queries would overlap too.

    Parameters
    ----------
    elements : sequence of dict
        Overpass JSON elements: nodes with ``lat``/``lon``, ways and relations with
        ``bounds``.
    area : shapely Polygon or MultiPolygon
        The searched area (EPSG:4326).

    Returns
    -------
    list of Settlement
        Cities and towns first, then by size; ids ``s01``, ``s02``, ….
    """
    west, south, east, north = area.bounds
    crs = utm_crs((west + east) / 2, (south + north) / 2)
    forward = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    back = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

    def project(shape: Any, transformer: pyproj.Transformer) -> Any:
        return shapely.transform(shape, lambda c: np.column_stack(transformer.transform(*c.T)))

    local_area = project(area, forward)
    pieces = _pieces(elements, forward)
    pieces = [p for p in pieces if p["shape"].intersects(local_area)]
    if not pieces:
        return []
    reach = shapely.union_all([p["shape"].buffer(CLIP_MARGIN_M) for p in pieces])
    groups: dict[int, list[dict[str, Any]]] = {}
    clusters = list(shapely.get_parts(reach))
    tree = shapely.STRtree(clusters)
    for piece in pieces:
        hits = tree.query(piece["shape"], predicate="intersects")
        groups.setdefault(int(hits.min()), []).append(piece)
    found = []
    for members in groups.values():
        best = min(members, key=lambda p: (_RANK[p["kind"]], p["name"] == "", p["id"]))
        core = shapely.union_all([p["shape"] for p in members]).intersection(local_area)
        if core.is_empty:
            continue
        point = best["point"] if best["point"] is not None else core.representative_point()
        lon, lat = back.transform(point.x, point.y)
        found.append(
            (
                (_RANK[best["kind"]], -core.area, best["name"], round(lon, 6), round(lat, 6)),
                best,
                project(core, back),
                sorted({p["id"] for p in members}),
                (float(lon), float(lat)),
            )
        )
    found.sort(key=lambda item: item[0])
    width = max(2, len(str(len(found))))
    return [
        Settlement(f"s{i + 1:0{width}d}", best["name"], best["kind"], lon, lat, core, tuple(ids))
        for i, (_, best, core, ids, (lon, lat)) in enumerate(found)
    ]


def _pieces(
    elements: Sequence[Mapping[str, Any]], forward: pyproj.Transformer
) -> list[dict[str, Any]]:
    """Each usable element as a piece: its kind, name, metric shape and point."""
    pieces: dict[str, dict[str, Any]] = {}
    for element in elements:
        tags = element.get("tags") or {}
        kind_tag = tags.get("place")
        ident = f"{element.get('type')}/{element.get('id')}"
        name = str(tags.get("name:zh") or tags.get("name") or "")
        if element.get("type") == "node" and "lat" in element and "lon" in element:
            kind = kind_tag if kind_tag in PLACE_KINDS else "seat"
            x, y = forward.transform(float(element["lon"]), float(element["lat"]))
            point = shapely.Point(x, y)
            shape = point.buffer(PLACE_RADIUS_M[kind], quad_segs=8)
        elif isinstance(element.get("bounds"), Mapping):
            bounds = element["bounds"]
            kind = kind_tag if kind_tag in PLACE_KINDS else "residential"
            (x0, x1), (y0, y1) = forward.transform(
                [float(bounds["minlon"]), float(bounds["maxlon"])],
                [float(bounds["minlat"]), float(bounds["maxlat"])],
            )
            shape, point = box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)), None
            if kind in PLACE_RADIUS_M:
                point = shape.centroid
        else:
            continue
        previous = pieces.get(ident)
        if previous is None or _RANK[kind] < _RANK[previous["kind"]]:
            pieces[ident] = {
                "id": ident,
                "kind": kind,
                "name": name,
                "shape": shape,
                "point": point,
            }
    return [pieces[key] for key in sorted(pieces)]


def area_km2(shape: Polygon | MultiPolygon) -> float:
    """Area of an EPSG:4326 shape on the WGS-84 ellipsoid, km²."""
    return abs(pyproj.Geod(ellps="WGS84").geometry_area_perimeter(shape)[0]) / 1e6
