"""Read ``.osm.pbf`` extracts with pyosmium straight into arrays (no per-node dicts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon

from yushu_circle.errors import DataError, InputError

_EARTH_RADIUS_M = 6_371_009.0  # osmnx's great-circle radius, so lengths match its graphs


@dataclass
class PBFExtract:
    """The walkable streets and tagged features of a PBF file, as flat arrays.

    Attributes
    ----------
    street_refs : ndarray of int64
        Node ids of every walkable way, concatenated.
    street_offsets : ndarray of int64
        Start of each way in ``street_refs`` (one more entry than ways).
    street_lon, street_lat : ndarray of float64
        Coordinates of each entry of ``street_refs``.
    street_highway : ndarray of object
        The ``highway`` value of each way.
    point_ids, point_lon, point_lat, point_tags
        Tagged nodes (tags as dicts).
    way_ids, way_tags, way_lon, way_lat, way_offsets
        Tagged ways that are not walkable streets, with their coordinates.
    """

    street_refs: np.ndarray
    street_offsets: np.ndarray
    street_lon: np.ndarray
    street_lat: np.ndarray
    street_highway: np.ndarray
    point_ids: np.ndarray
    point_lon: np.ndarray
    point_lat: np.ndarray
    point_tags: list[dict[str, str]]
    way_ids: np.ndarray
    way_tags: list[dict[str, str]]
    way_lon: np.ndarray
    way_lat: np.ndarray
    way_offsets: np.ndarray
    notes: list[str] = field(default_factory=list)

    @property
    def street_way_count(self) -> int:
        """Number of walkable ways."""
        return len(self.street_offsets) - 1

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """(west, south, east, north) of the street nodes."""
        if len(self.street_lon) == 0:
            return None
        return (
            float(self.street_lon.min()),
            float(self.street_lat.min()),
            float(self.street_lon.max()),
            float(self.street_lat.max()),
        )


def read_pbf(path: Path, area: Polygon | MultiPolygon | None = None) -> PBFExtract:
    """Read the walkable streets and tagged features of a PBF file, in one pass.

    pyosmium's C++ side decodes the file, keeps every node location in its cache and
    drops untagged objects before Python sees them; Python touches only tagged nodes and
    ways, and way geometries come back as WKB built in C++.

    Parameters
    ----------
    path : Path
        The ``.osm.pbf`` file.
    area : shapely Polygon, optional
        Keep only ways and nodes touching this area (EPSG:4326).

    Returns
    -------
    PBFExtract

    Raises
    ------
    InputError
        When the file cannot be read as PBF.
    """
    from yushu_circle.network import is_walkable

    factory = osmium.geom.WKBFactory()
    every_node = osmium.geom.ALL
    street_refs: list[list[int]] = []
    street_wkb: list[str] = []
    street_highway: list[str] = []
    point_ids: list[int] = []
    point_lon: list[float] = []
    point_lat: list[float] = []
    point_tags: list[dict[str, str]] = []
    way_ids: list[int] = []
    way_wkb: list[str] = []
    way_tags: list[dict[str, str]] = []
    skipped = 0
    relations = 0
    try:
        processor: Any = (
            osmium.FileProcessor(str(path))
            .with_locations()
            .with_filter(osmium.filter.EmptyTagFilter())
        )
        for obj in processor:
            if obj.is_way():
                tags = _tags(obj)
                if "highway" in tags and is_walkable(tags):
                    try:
                        wkb = factory.create_linestring(obj, every_node)
                    except (osmium.InvalidLocationError, RuntimeError):
                        skipped += 1
                        continue
                    street_refs.append(_refs(obj))
                    street_wkb.append(wkb)
                    street_highway.append(tags["highway"])
                    continue
                try:
                    wkb = factory.create_linestring(obj, every_node)
                except (osmium.InvalidLocationError, RuntimeError):
                    skipped += 1
                    continue
                way_ids.append(obj.id)
                way_wkb.append(wkb)
                way_tags.append(tags)
            elif obj.is_node():
                location = obj.location
                if not location.valid():
                    continue
                point_ids.append(obj.id)
                point_lon.append(location.lon)
                point_lat.append(location.lat)
                point_tags.append(_tags(obj))
            elif obj.is_relation():
                relations += 1
    except RuntimeError as exc:
        raise InputError(
            f"{path} is not a readable OSM PBF file ({exc})",
            "the file may be truncated or corrupt: download the extract again",
        ) from None
    notes = []
    if skipped:
        notes.append(f"{skipped:,} way(s) in {path.name} reference nodes missing from the file")
    if relations:
        notes.append(
            f"{relations:,} tagged relation(s) in {path.name} were not read "
            "(the PBF reader takes streets and features from nodes and ways)"
        )
    s_lon, s_lat, s_offsets = _coordinates(street_wkb)
    w_lon, w_lat, w_offsets = _coordinates(way_wkb)
    refs = np.fromiter(
        (ref for way in street_refs for ref in way), dtype=np.int64, count=len(s_lon)
    )
    extract = PBFExtract(
        street_refs=refs,
        street_offsets=s_offsets,
        street_lon=s_lon,
        street_lat=s_lat,
        street_highway=np.asarray(street_highway, dtype=object),
        point_ids=np.asarray(point_ids, dtype=np.int64),
        point_lon=np.asarray(point_lon, dtype=float),
        point_lat=np.asarray(point_lat, dtype=float),
        point_tags=point_tags,
        way_ids=np.asarray(way_ids, dtype=np.int64),
        way_tags=way_tags,
        way_lon=w_lon,
        way_lat=w_lat,
        way_offsets=w_offsets,
        notes=notes,
    )
    if area is not None:
        extract = _clip(extract, area)
    return extract


def _tags(obj: Any) -> dict[str, str]:
    """An object's tags as a dict, through pyosmium's C accessors (twice as fast as ``dict``)."""
    data = obj._pyosmium_data
    cursor = data.tags_begin()
    step = data.tags_next
    tags = {}
    for _ in range(data.tags_size()):
        key, value = step(cursor)
        tags[key] = value
    return tags


def _refs(way: Any) -> list[int]:
    """A way's node ids, through pyosmium's C accessors."""
    data = way._pyosmium_data
    nodes = data.nodes()
    get = nodes.get
    return [get(data, i).ref for i in range(nodes.size(data))]


def _coordinates(wkbs: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat lon, lat and per-line offsets of hex-WKB linestrings (vectorized in GEOS)."""
    offsets = np.zeros(len(wkbs) + 1, dtype=np.int64)
    if not wkbs:
        return np.empty(0), np.empty(0), offsets
    lines = shapely.from_wkb(np.asarray(wkbs, dtype=object))
    coords = shapely.get_coordinates(lines)
    np.cumsum(shapely.get_num_coordinates(lines), out=offsets[1:])
    return coords[:, 0].copy(), coords[:, 1].copy(), offsets


def _clip(extract: PBFExtract, area: Polygon | MultiPolygon) -> PBFExtract:
    """Keep ways with a node inside ``area`` (with all their nodes) and nodes inside it."""
    keep_streets = _any_inside(area, extract.street_lon, extract.street_lat, extract.street_offsets)
    keep_ways = _any_inside(area, extract.way_lon, extract.way_lat, extract.way_offsets)
    keep_points = shapely.contains_xy(area, extract.point_lon, extract.point_lat)
    s_sel, s_offsets = _select_runs(extract.street_offsets, keep_streets)
    w_sel, w_offsets = _select_runs(extract.way_offsets, keep_ways)
    return PBFExtract(
        street_refs=extract.street_refs[s_sel],
        street_offsets=s_offsets,
        street_lon=extract.street_lon[s_sel],
        street_lat=extract.street_lat[s_sel],
        street_highway=extract.street_highway[keep_streets],
        point_ids=extract.point_ids[keep_points],
        point_lon=extract.point_lon[keep_points],
        point_lat=extract.point_lat[keep_points],
        point_tags=[t for t, k in zip(extract.point_tags, keep_points, strict=True) if k],
        way_ids=extract.way_ids[keep_ways],
        way_tags=[t for t, k in zip(extract.way_tags, keep_ways, strict=True) if k],
        way_lon=extract.way_lon[w_sel],
        way_lat=extract.way_lat[w_sel],
        way_offsets=w_offsets,
        notes=extract.notes,
    )


def _any_inside(
    area: Polygon | MultiPolygon, lon: np.ndarray, lat: np.ndarray, offsets: np.ndarray
) -> np.ndarray:
    if len(offsets) < 2:
        return np.zeros(0, dtype=bool)
    inside = shapely.contains_xy(area, lon, lat).astype(np.int64)
    counts = np.add.reduceat(inside, offsets[:-1]) if len(inside) else np.zeros(len(offsets) - 1)
    return np.asarray(counts > 0)


def _select_runs(offsets: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Element mask and new offsets keeping the runs flagged in ``keep``."""
    lengths = np.diff(offsets)
    mask = np.repeat(keep, lengths)
    new_offsets = np.zeros(int(keep.sum()) + 1, dtype=np.int64)
    np.cumsum(lengths[keep], out=new_offsets[1:])
    return mask, new_offsets


def street_edges(extract: PBFExtract) -> dict[str, Any]:
    """Split the walkable ways into street edges between intersections and dead ends.

    A way is cut at every node that another way (or the same way again) also uses, and at
    its ends; the pieces are the edges. Their lengths are great-circle sums over the
    nodes, as osmnx measures them, so walk minutes match osmnx's simplified graph.

    Parameters
    ----------
    extract : PBFExtract

    Returns
    -------
    dict
        ``node_ids``, ``lon``, ``lat`` (per network node), ``edge_u``, ``edge_v``
        (node indices), ``edge_length`` (metres), ``edge_lon``, ``edge_lat``,
        ``edge_offsets`` (flat edge geometry) and ``edge_highway`` — the arguments of
        :meth:`yushu_circle.network.WalkNetwork.from_arrays`.

    Raises
    ------
    DataError
        When there is no walkable street.
    """
    refs = extract.street_refs
    offsets = extract.street_offsets
    if len(refs) == 0 or extract.street_way_count == 0:
        raise DataError(
            "the study area has no walkable streets (no OSM way with a walkable highway=* tag)",
            "check that the area covers the town, or use a wider --bbox",
        )
    node_ids, first, node_of = np.unique(refs, return_index=True, return_inverse=True)
    uses = np.bincount(node_of, minlength=len(node_ids))
    way_of = np.repeat(np.arange(extract.street_way_count), np.diff(offsets))
    is_first = np.zeros(len(refs), dtype=bool)
    is_first[offsets[:-1]] = True
    is_last = np.zeros(len(refs), dtype=bool)
    is_last[offsets[1:] - 1] = True
    cut = (uses[node_of] > 1) | is_first | is_last
    # Segments run from position p to p + 1 inside a way; each belongs to the edge that
    # began at the last cut at or before p.
    seg = np.flatnonzero(~is_last)
    cut_before = np.cumsum(cut) - 1  # index of the last cut at or before each position
    edge_of_seg = cut_before[seg]
    _, edge_of_seg = np.unique(edge_of_seg, return_inverse=True)
    edge_count = int(edge_of_seg.max()) + 1 if len(seg) else 0
    seg_len = _haversine(
        extract.street_lon[seg],
        extract.street_lat[seg],
        extract.street_lon[seg + 1],
        extract.street_lat[seg + 1],
    )
    edge_length = np.bincount(edge_of_seg, weights=seg_len, minlength=edge_count)
    starts = np.flatnonzero(np.r_[True, edge_of_seg[1:] != edge_of_seg[:-1]])
    ends = np.r_[starts[1:], len(seg)] - 1
    start_pos = seg[starts]
    end_pos = seg[ends] + 1
    # Geometry: every segment's start point, plus each edge's final point.
    point_pos = np.concatenate([seg, end_pos])
    point_edge = np.concatenate([edge_of_seg, np.arange(edge_count)])
    order = np.lexsort((point_pos, point_edge))
    point_pos = point_pos[order]
    edge_offsets = np.zeros(edge_count + 1, dtype=np.int64)
    np.cumsum(np.bincount(point_edge, minlength=edge_count), out=edge_offsets[1:])
    return {
        "node_ids": node_ids,
        "lon": extract.street_lon[first],
        "lat": extract.street_lat[first],
        "edge_u": node_of[start_pos],
        "edge_v": node_of[end_pos],
        "edge_length": edge_length,
        "edge_lon": extract.street_lon[point_pos],
        "edge_lat": extract.street_lat[point_pos],
        "edge_offsets": edge_offsets,
        "edge_highway": extract.street_highway[way_of[start_pos]],
    }


def _haversine(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> Any:
    """Great-circle metres, osmnx's formula and radius."""
    y1, y2 = np.radians(lat1), np.radians(lat2)
    dy = y2 - y1
    dx = np.radians(lon2) - np.radians(lon1)
    h = np.sin(dy / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin(dx / 2) ** 2
    h = np.minimum(1.0, h)
    return 2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(h))


def features_frame(extract: PBFExtract, tag_keys: set[str]) -> gpd.GeoDataFrame:
    """Tagged features carrying any of ``tag_keys``, like osmnx's features GeoDataFrame.

    Nodes become points; closed ways of four or more nodes polygons; other ways lines.

    Parameters
    ----------
    extract : PBFExtract
    tag_keys : set of str
        Keep features with at least one of these keys.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by (``element``, ``id``), one column per tag, EPSG:4326.
    """
    keys = frozenset(tag_keys)
    p_keep = np.fromiter(
        (not keys.isdisjoint(t) for t in extract.point_tags), bool, len(extract.point_tags)
    )
    w_keep = np.fromiter(
        (not keys.isdisjoint(t) for t in extract.way_tags), bool, len(extract.way_tags)
    )
    p_idx = np.flatnonzero(p_keep)
    w_idx = np.flatnonzero(w_keep)
    points = shapely.points(extract.point_lon[p_idx], extract.point_lat[p_idx])
    sel, offsets = _select_runs(extract.way_offsets, w_keep)
    lon, lat = extract.way_lon[sel], extract.way_lat[sel]
    counts = np.diff(offsets)
    starts, ends = offsets[:-1], offsets[1:] - 1
    closed = (counts >= 4) & (lon[starts] == lon[ends]) & (lat[starts] == lat[ends])
    shapes = np.empty(len(w_idx), dtype=object)
    line_of = np.repeat(np.arange(len(w_idx)), counts)
    coords = np.column_stack([lon, lat])
    ring_pts = np.repeat(closed, counts)
    if closed.any():
        _, ring_of = np.unique(line_of[ring_pts], return_inverse=True)
        shapes[closed] = shapely.polygons(shapely.linearrings(coords[ring_pts], indices=ring_of))
    open_pts = ~ring_pts & np.repeat(counts >= 2, counts)
    if open_pts.any():
        _, open_of = np.unique(line_of[open_pts], return_inverse=True)
        shapes[~closed & (counts >= 2)] = shapely.linestrings(coords[open_pts], indices=open_of)
    records = [extract.point_tags[i] for i in p_idx] + [extract.way_tags[i] for i in w_idx]
    index = pd.MultiIndex.from_arrays(
        [
            np.array(["node"] * len(p_idx) + ["way"] * len(w_idx), dtype=object),
            np.concatenate([extract.point_ids[p_idx], extract.way_ids[w_idx]]),
        ],
        names=["element", "id"],
    )
    frame = (
        pd.DataFrame.from_records(records, index=index) if records else pd.DataFrame(index=index)
    )
    geometry = np.concatenate([points, shapes])
    valid = np.asarray([g is not None for g in geometry]) if len(geometry) else np.zeros(0, bool)
    result = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    return result[valid]
