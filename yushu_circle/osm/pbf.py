"""Reading ``.osm.pbf`` extracts with pyosmium into the one ``Extract`` form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import osmium
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
    ways: list[Any] = []
    points: list[tuple[int, float, float, dict[str, str]]] = []
    absent = 0
    for obj in processor:
        if obj.is_way():
            tags = _tags(obj)
            if not tags and obj.id not in members:
                continue
            refs, lon, lat = _way_nodes(obj)
            absent += bool(np.isnan(lon).any())
            ways.append((int(obj.id), refs, tags, lon, lat))
        elif obj.location.valid():
            points.append((int(obj.id), obj.location.lon, obj.location.lat, _tags(obj)))
    return ways, points, absent


def _way_nodes(way: Any) -> tuple[list[int], np.ndarray, np.ndarray]:
    """A way's node ids and locations (NaN for nodes absent from the file)."""
    refs = []
    lon = []
    lat = []
    for node in way.nodes:
        refs.append(int(node.ref))
        location = node.location
        if location.valid():
            lon.append(location.lon)
            lat.append(location.lat)
        else:
            lon.append(np.nan)
            lat.append(np.nan)
    return refs, np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def _tags(obj: Any) -> dict[str, str]:
    return {tag.k: tag.v for tag in obj.tags}
