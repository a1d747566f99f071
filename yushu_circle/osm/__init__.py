"""Reading OSM: XML, PBF, Overpass JSON and GraphML into one ``OSMData``; the walk filter.

The public readers are re-exported here lazily (importing :mod:`yushu_circle.osm.walkfilter`
does not load osmnx)::

    from yushu_circle.osm import read_osm_file, from_overpass, demo, OSMData
"""

from __future__ import annotations

from typing import Any

_PUBLIC = (
    "CLIP_MARGIN_M",
    "OSMData",
    "bbox_polygon",
    "demo",
    "demo_dem_path",
    "from_overpass",
    "read_osm_file",
    "read_polygon_file",
    "read_polygons",
)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        from yushu_circle.osm import sources

        return getattr(sources, name)
    raise AttributeError(f"module 'yushu_circle.osm' has no attribute {name!r}")
