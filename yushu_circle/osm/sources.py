"""Where OSM data comes from: the public readers of every source, in one import.

The readers live in modules named for what they read (:mod:`~yushu_circle.osm.xml`,
:mod:`~yushu_circle.osm.pbf`, :mod:`~yushu_circle.osm.overpass`,
:mod:`~yushu_circle.osm.graphml`, :mod:`~yushu_circle.osm.demo`); this module gathers the
names the rest of the package imports.
"""

from __future__ import annotations

from yushu_circle.osm.area import (
    CLIP_MARGIN_M,
    area_from,
    bbox_area_km2,
    bbox_polygon,
    read_polygon_file,
    read_polygons,
    with_margin,
)
from yushu_circle.osm.data import OSMData
from yushu_circle.osm.demo import DEMO_DEM, DEMO_LABEL, DEMO_OSM, demo, demo_dem_path
from yushu_circle.osm.files import OSM_FILE_SUFFIXES, read_osm_file
from yushu_circle.osm.overpass import (
    ALLOW_LARGE_AREA_ENV,
    BACKOFF_ENV,
    MAX_QUERY_AREA_KM2,
    check_query_area,
    from_overpass,
    geocode,
    overpass_query,
)

__all__ = [
    "ALLOW_LARGE_AREA_ENV",
    "BACKOFF_ENV",
    "CLIP_MARGIN_M",
    "DEMO_DEM",
    "DEMO_LABEL",
    "DEMO_OSM",
    "MAX_QUERY_AREA_KM2",
    "OSM_FILE_SUFFIXES",
    "OSMData",
    "area_from",
    "bbox_area_km2",
    "bbox_polygon",
    "check_query_area",
    "demo",
    "demo_dem_path",
    "from_overpass",
    "geocode",
    "overpass_query",
    "read_osm_file",
    "read_polygon_file",
    "read_polygons",
    "with_margin",
]
