"""Reading ``.osm.pbf`` extracts with pyosmium into the one ``Extract`` form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import osmium
import shapely
from shapely.geometry import MultiPolygon, Polygon

from yushu_circle.errors import InputError
from yushu_circle.osm.extract import Extract, Relation, absent_note, area_relation, build_extract
from yushu_circle.osm.features import features_frame
from yushu_circle.osm.streets import street_edges

PBFExtract = Extract
"""The former name of :class:`Extract` (every reader now produces one)."""

__all__ = ["PBFExtract", "features_frame", "read_pbf", "street_edges"]

_KINDS = {"n": "node", "w": "way", "r": "relation"}


def read_pbf(path: Path, area: Polygon | MultiPolygon | None = None) -> Extract:
    """Read the ways, tagged nodes and area relations of a PBF file.

    Two passes: the first reads only relations, to learn which untagged ways are members
    of a multipolygon; the second reads nodes (untagged ones are dropped in C++) and ways
    with their node locations. A way whose nodes are partly absent (an extract clipped at
    its edge) keeps NaN coordinates for them, exactly as the XML reader does.

    Parameters
    ----------
    path : Path
        The ``.osm.pbf`` file.
    area : shapely Polygon, optional
        Keep only what touches this area (EPSG:4326), see :meth:`Extract.clip`.

    Raises
    ------
    InputError
        When the file cannot be read as PBF.
    """
    try:
        relations = _relations(path)
        members = {ref for r in relations for kind, ref, _ in r.members if kind == "way"}
        ways, points, absent = _ways_and_points(path, members)
    except RuntimeError as exc:
        raise InputError(
            f"{path} is not a readable OSM PBF file ({exc})",
            "the file may be truncated or corrupt: download the extract again",
        ) from None
    notes = [absent_note(absent, path.name)] if absent else []
    extract = build_extract(ways, points, relations, notes)
    return extract if area is None else extract.clip(area)


def _relations(path: Path) -> list[Relation]:
    result = []
    obj: Any
    for obj in osmium.FileProcessor(str(path), osmium.osm.RELATION):
        tags = _tags(obj)
        if area_relation(tags):
            members = tuple((_KINDS[m.type], int(m.ref), str(m.role)) for m in obj.members)
            result.append(Relation(int(obj.id), tags, members))
    return result


def _ways_and_points(
    path: Path, members: set[int]
) -> tuple[list[Any], list[tuple[int, float, float, dict[str, str]]], int]:
    untagged_nodes = osmium.filter.EmptyTagFilter()
    untagged_nodes.enable_for(osmium.osm.NODE)
    processor: Any = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(untagged_nodes)
    )
    factory = osmium.geom.WKBFactory()
    every_node = osmium.geom.ALL
    complete: list[tuple[int, list[int], dict[str, str]]] = []
    wkbs: list[str] = []
    ways: list[Any] = []
    points: list[tuple[int, float, float, dict[str, str]]] = []
    absent = 0
    for obj in processor:
        if obj.is_way():
            tags = _tags(obj)
            if not tags and obj.id not in members:
                continue
            refs = _refs(obj)
            try:
                # Fast path: every location known, geometry built in C++ (decoded in bulk below).
                wkbs.append(factory.create_linestring(obj, every_node))
                complete.append((int(obj.id), refs, tags))
                continue
            except (osmium.InvalidLocationError, RuntimeError):
                pass
            lon, lat = _locations(obj)
            absent += bool(np.isnan(lon).any())
            ways.append((int(obj.id), refs, tags, lon, lat))
        elif obj.location.valid():
            points.append((int(obj.id), obj.location.lon, obj.location.lat, _tags(obj)))
    if wkbs:
        lines = shapely.from_wkb(np.asarray(wkbs, dtype=object))
        coords = shapely.get_coordinates(lines)
        ends = np.cumsum(shapely.get_num_coordinates(lines))
        starts = ends - shapely.get_num_coordinates(lines)
        for (way_id, refs, tags), s, e in zip(complete, starts, ends, strict=True):
            if e - s != len(refs):  # never expected: fall back to the node ids alone
                raise RuntimeError(f"way {way_id}: geometry and node list differ in length")
            ways.append((way_id, refs, tags, coords[s:e, 0], coords[s:e, 1]))
    return ways, points, absent


def _locations(way: Any) -> tuple[np.ndarray, np.ndarray]:
    """A way's node locations, NaN for nodes absent from the file."""
    lon = []
    lat = []
    for node in way.nodes:
        location = node.location
        if location.valid():
            lon.append(location.lon)
            lat.append(location.lat)
        else:
            lon.append(np.nan)
            lat.append(np.nan)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


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
