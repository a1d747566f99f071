"""Read ``.osm.pbf`` extracts with pyosmium into Overpass-style elements."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import osmium
from shapely.geometry import MultiPolygon, Polygon

from yushu_circle.errors import InputError

_MEMBER_TYPES = {"n": "node", "w": "way", "r": "relation"}


def read_pbf(path: Path, area: Polygon | MultiPolygon | None) -> list[dict[str, Any]]:
    """Read every node, way and relation of a PBF file, clipped to ``area`` when given.

    Parameters
    ----------
    path : Path
        The ``.osm.pbf`` file.
    area : shapely Polygon, optional
        Study area in EPSG:4326.

    Returns
    -------
    list of dict
        Overpass-JSON style elements.
    """
    from yushu_circle.sources import _clip_elements

    elements: list[dict[str, Any]] = []
    try:
        for obj in osmium.FileProcessor(str(path)):
            if obj.is_node():
                if not obj.location.valid():
                    continue
                element: dict[str, Any] = {
                    "type": "node",
                    "id": obj.id,
                    "lat": obj.location.lat,
                    "lon": obj.location.lon,
                }
            elif obj.is_way():
                element = {"type": "way", "id": obj.id, "nodes": [n.ref for n in obj.nodes]}
            elif obj.is_relation():
                element = {
                    "type": "relation",
                    "id": obj.id,
                    "members": [
                        {"type": _MEMBER_TYPES[m.type], "ref": m.ref, "role": m.role}
                        for m in obj.members
                    ],
                }
            else:
                continue
            if len(obj.tags):
                element["tags"] = {tag.k: tag.v for tag in obj.tags}
            elements.append(element)
    except RuntimeError as exc:
        raise InputError(
            f"{path} is not a readable OSM PBF file ({exc})",
            "the file may be truncated or corrupt: download the extract again",
        ) from None
    if area is not None:
        elements = _clip_elements(elements, area)
    return elements
