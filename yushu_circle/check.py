"""The resident's check: walk minutes and routes from one location to the nearest facilities."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj
import shapely
from shapely.geometry import LineString, Point, mapping
from shapely.ops import substring

from yushu_circle._core.route import path_to, route_tree
from yushu_circle.access import minutes_to_nearest, point_sources
from yushu_circle.errors import InputError
from yushu_circle.network import Snap, WalkNetwork

if TYPE_CHECKING:
    from yushu_circle.study import Study


ACCESS_LEG = "(直线接入 straight access leg)"
"""The name of a route's first and last stretch: between the point and its street."""


@dataclass(frozen=True)
class Street:
    """One stretch of a route along one street.

    Parameters
    ----------
    name : str
        The street's name, or ``"(footway)"``-style when it has none (its ``highway`` value).
    length_m : float
        Metres walked along it.
    minutes : float
        Minutes walked along it (at the study's flat walking speed, as the study's network
        times are).
    """

    name: str
    length_m: float
    minutes: float


@dataclass(frozen=True)
class Route:
    """The walk from the location to the nearest facility of one category.

    Parameters
    ----------
    category : str
        Category key.
    label : str
        Bilingual category name (``幼儿园 Kindergarten``).
    level : int
        The category's life-circle level, minutes.
    minutes : float
        Walk minutes (NaN when no facility of the category can be reached).
    length_m : float
        Metres walked: both access legs plus the streets (NaN likewise).
    facility : str
        The facility's name (empty when none is reached).
    streets : tuple of Street
        The stretches walked, in order: the access leg, the streets (consecutive stretches
        of one street merged), the facility's access leg.
    geometry : LineString or None
        The route in EPSG:4326, from the location to the facility.
    """

    category: str
    label: str
    level: int
    minutes: float
    length_m: float
    facility: str
    streets: tuple[Street, ...]
    geometry: LineString | None


@dataclass(frozen=True)
class LocationCheck:
    """Walk minutes and routes from one location to the nearest facility of every category.

    Parameters
    ----------
    lon, lat : float
        The location (EPSG:4326).
    snap_m : float
        Metres from the location to the nearest walkable street.
    routes : tuple of Route
        One per catalog category, in catalog order.
    synthetic : bool
        True on the embedded synthetic demo (示例数据).
    """

    lon: float
    lat: float
    snap_m: float
    routes: tuple[Route, ...]
    synthetic: bool = False

    def minutes(self) -> dict[str, float]:
        """Category key → walk minutes (NaN where unreachable)."""
        return {route.category: route.minutes for route in self.routes}

    def to_text(self) -> str:
        """The check as bilingual text: one block per category with its route."""
        head = (
            f"位置 Location {self.lon:.6f}, {self.lat:.6f} — 距街道 {self.snap_m:.0f} m "
            "to the nearest street"
        )
        lines = [head]
        if self.synthetic:
            lines.append("示例数据 synthetic demo data: not a real place")
        for route in self.routes:
            if math.isnan(route.minutes):
                lines.append(f"{route.label}: 不可达 not reachable")
                continue
            within = "✓" if route.minutes <= route.level else "✗"
            lines.append(
                f"{route.label}: {route.minutes:.1f} 分钟 min, {route.length_m:.0f} m "
                f"{within} {route.level} 分钟 min level — {route.facility}"
            )
            walked = " → ".join(
                f"{s.name} {s.length_m:.0f} m {s.minutes:.1f} min" for s in route.streets
            )
            lines.append(f"    路线 route: {walked}")
        return "\n".join(lines) + "\n"

    def to_geojson(self) -> dict[str, Any]:
        """A GeoJSON FeatureCollection: the location, then one LineString route per category."""
        features: list[dict[str, Any]] = [
            {
                "type": "Feature",
                "properties": {"kind": "location", "synthetic": self.synthetic},
                "geometry": {"type": "Point", "coordinates": [self.lon, self.lat]},
            }
        ]
        for route in self.routes:
            if route.geometry is None:
                continue
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "kind": "route",
                        "category": route.category,
                        "label": route.label,
                        "minutes": round(route.minutes, 2),
                        "length_m": round(route.length_m, 1),
                        "facility": route.facility,
                        "streets": [s.name for s in route.streets],
                        "synthetic": self.synthetic,
                    },
                    "geometry": mapping(route.geometry),
                }
            )
        return {"type": "FeatureCollection", "features": features}


def check_location(
    study: Study,
    lon: float,
    lat: float,
    categories: Sequence[str] | None = None,
    limit: float = math.inf,
) -> LocationCheck:
    """Walk minutes and the route from one location to the nearest facility of each category.

    The walk follows the same rule as :meth:`Study.access` for a residence standing at the
    location (its access leg, the part of its street, the network, the facility's part of
    its street and access leg), so the minutes match ``access()`` for that residence.

    Parameters
    ----------
    study : Study
        The study (its network, facilities and catalog).
    lon, lat : float
        The location, EPSG:4326 (WGS84).
    categories : sequence of str, optional
        Category keys to check (default: every category of the study's catalog).
    limit : float
        Minutes beyond which the search stops (farther facilities count as unreachable).

    Returns
    -------
    LocationCheck

    Raises
    ------
    InputError
        When the location is not a finite coordinate, or farther than the study's snap
        limit from every walkable street.
    """
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise InputError(
            f"location {lon!r},{lat!r} is not a longitude,latitude in degrees",
            "write it as LON,LAT, e.g. --at 97.0100,33.0050",
        )
    catalog = study.catalog
    keys = list(categories) if categories is not None else catalog.keys
    unknown = [key for key in keys if key not in catalog]
    if unknown:
        raise InputError(
            f"unknown category {unknown[0]!r}", f"use one of: {', '.join(catalog.keys)}"
        )
    network = study.network
    x, y = network.to_projected(np.array([lon]), np.array([lat]))
    origin = network.snap(x, y, study.options.snap_limit_m)
    if not origin.on_network[0]:
        raise InputError(
            f"location {lon:.6f},{lat:.6f} is {origin.snap_m[0]:.0f} m from the nearest "
            f"walkable street (snap limit {study.options.snap_limit_m:g} m)",
            "pick a point inside the study area, near a street",
        )
    nodes, start = point_sources(network, origin, toward=False)
    dist, pred_edge, pred_node = route_tree(
        network.edge_u,
        network.edge_v,
        network.time_uv,
        network.time_vu,
        network.node_count,
        nodes,
        start,
        float(limit),
    )
    facilities = study.facilities
    origin_xy = (float(x[0]), float(y[0]))
    to_wgs84 = pyproj.Transformer.from_crs(network.crs, "EPSG:4326", always_xy=True)
    routes = []
    for key in keys:
        category = catalog[key]
        frame = facilities[facilities["category"] == key]
        snaps = study.facility_snaps[key]
        best = _nearest(network, origin, dist, snaps, limit)
        if best is None:
            routes.append(
                Route(key, category.label, category.level, math.nan, math.nan, "", (), None)
            )
            continue
        index, via, minutes = best
        facility_xy = network.to_projected(
            np.array([frame.geometry.iloc[index].x]), np.array([frame.geometry.iloc[index].y])
        )
        walk = _walk(network, origin, snaps.subset(np.array([index])), via, pred_edge, pred_node)
        coords = [origin_xy, *walk.coords, (float(facility_xy[0][0]), float(facility_xy[1][0]))]
        streets = [
            (ACCESS_LEG, float(origin.snap_m[0])),
            *_merge((_street_name(network, edge), metres) for edge, metres in walk.stretches),
            (ACCESS_LEG, float(snaps.snap_m[index])),
        ]
        mpm = network.metres_per_minute
        line = shapely.transform(
            LineString(_dedupe(coords)),
            lambda c: np.column_stack(to_wgs84.transform(c[:, 0], c[:, 1])),
        )
        routes.append(
            Route(
                key,
                category.label,
                category.level,
                float(minutes),
                sum(metres for _, metres in streets),
                str(frame["name"].iloc[index] or ""),
                tuple(Street(name, metres, metres / mpm) for name, metres in streets),
                line,
            )
        )
    return LocationCheck(
        float(lon), float(lat), float(origin.snap_m[0]), tuple(routes), bool(study.synthetic)
    )


@dataclass(frozen=True)
class _Walk:
    """The network part of a route: coordinates (projected) and (edge, metres) stretches."""

    coords: list[tuple[float, float]]
    stretches: list[tuple[int, float]]


def _nearest(
    network: WalkNetwork, origin: Snap, dist: np.ndarray, snaps: Snap, limit: float
) -> tuple[int, int, float] | None:
    """(facility index, node the walk enters its edge from or -1 for a same-edge walk, minutes)."""
    usable = np.flatnonzero(snaps.on_network & (snaps.edge >= 0))
    if len(usable) == 0:
        return None
    nodes, minutes = point_sources(network, snaps.subset(usable), toward=True)
    arrival = dist[nodes] + minutes
    pick = int(np.argmin(arrival))
    best = (int(usable[pick % len(usable)]), int(nodes[pick]), float(arrival[pick]))
    # Facilities on the location's own street stretch are also reached directly along it.
    no_nodes = np.full(network.node_count, np.inf)
    for j in usable[snaps.edge[usable] == origin.edge[0]]:
        direct = minutes_to_nearest(network, origin, snaps.subset(np.array([j])), limit, no_nodes)
        if np.isfinite(direct[0]) and direct[0] < best[2]:
            best = (int(j), -1, float(direct[0]))
    if not (best[2] <= limit and np.isfinite(best[2])):
        return None
    return best


def _walk(
    network: WalkNetwork,
    origin: Snap,
    target: Snap,
    via: int,
    pred_edge: np.ndarray,
    pred_node: np.ndarray,
) -> _Walk:
    """The streets walked from the location's snapped point to the facility's."""
    e0, f0 = int(origin.edge[0]), float(origin.frac[0])
    e1, f1 = int(target.edge[0]), float(target.frac[0])
    start = (float(origin.x[0]), float(origin.y[0]))
    end = (float(target.x[0]), float(target.y[0]))
    if via < 0:  # along the location's own edge
        metres = abs(f1 - f0) * float(network.edge_length[e0])
        part = _part(network, e0, f0, f1)
        return _Walk([start, *part, end], [(e0, metres)])
    path_nodes, path_edges = path_to(pred_edge, pred_node, via)
    first = int(path_nodes[0])
    coords = [start]
    # The location's edge from its snapped point to the start node, then the path.
    to_end = 0.0 if first == network.edge_u[e0] else 1.0
    coords += _part(network, e0, f0, to_end)
    stretches = [(e0, abs(to_end - f0) * float(network.edge_length[e0]))]
    for a, edge in zip(path_nodes[:-1], path_edges, strict=True):
        forward = int(a) == network.edge_u[edge]
        coords += _part(network, int(edge), 0.0 if forward else 1.0, 1.0 if forward else 0.0)
        stretches.append((int(edge), float(network.edge_length[edge])))
    # The facility's edge from the node the walk enters it by to its snapped point.
    from_end = 0.0 if via == network.edge_u[e1] else 1.0
    coords += _part(network, e1, from_end, f1)
    stretches.append((e1, abs(f1 - from_end) * float(network.edge_length[e1])))
    coords.append(end)
    return _Walk(coords, [s for s in stretches if s[1] > 0])


def _part(network: WalkNetwork, edge: int, a: float, b: float) -> list[tuple[float, float]]:
    """Coordinates of an edge's geometry from fraction ``a`` to fraction ``b`` (either way)."""
    line = network.edge_geometry[edge]
    piece = substring(line, a, b, normalized=True)
    if piece.is_empty or isinstance(piece, Point):
        return []
    return [(float(px), float(py)) for px, py in piece.coords]


def _dedupe(coords: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for point in coords:
        if not out or math.dist(out[-1], point) > 1e-6:
            out.append(point)
    return out if len(out) > 1 else [*out, *out]


def _merge(stretches: Iterable[tuple[str, float]]) -> list[tuple[str, float]]:
    merged: list[tuple[str, float]] = []
    for name, metres in stretches:
        if merged and merged[-1][0] == name:
            merged[-1] = (name, merged[-1][1] + metres)
        else:
            merged.append((name, metres))
    return merged


def _street_name(network: WalkNetwork, edge: int) -> str:
    named = "" if network.edge_name is None else str(network.edge_name[edge] or "")
    if named:
        return named
    return f"(无名 unnamed {network.edge_highway[edge] or 'street'})"
