"""The embedded synthetic demo town at Jiegu (结古), Yushu — 示例数据, not survey data."""

from __future__ import annotations

from pathlib import Path

from yushu_circle._resources import data_path
from yushu_circle.osm.data import OSMData
from yushu_circle.osm.files import read_osm_file

DEMO_OSM = "demo/jiegu_synthetic_demo.osm.bz2"
DEMO_DEM = "demo/jiegu_synthetic_dem.tif"
DEMO_LABEL = "synthetic demo data 示例数据 (Jiegu, Yushu — not survey data)"


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
