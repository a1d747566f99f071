"""The hand-built street the planning tests count by hand, and their test standard.

Not a test file: the planning tests import it (``from street_town import ...``); a second
``conftest.py`` here would shadow ``tests/conftest.py`` (both are the module ``conftest``).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from oracle import CRS, projected_graph
from shapely.geometry import Point

from yushu_circle import Study, StudyOptions
from yushu_circle.osm.sources import OSMData

X0, Y0 = 500_000.0, 3_650_000.0  # UTM 47N, near Yushu
STANDARD = """
key = "test"
title = "hand-made test standard"
[[level]]
minutes = 5
radius_m = 300
verified = true
source = "R: test"
[[level]]
minutes = 10
radius_m = 600
verified = false
source = "M: test"
[[requirement]]
level = 5
category = "kindergarten"
required = true
verified = true
source = "R: test"
[[requirement]]
level = 10
category = "primary_school"
required = true
verified = false
source = "M: test"
[[requirement]]
level = 5
category = "clinic"
required = false
verified = false
source = "M: test"
[[requirement]]
level = 5
category = "recycling_point"
required = true
verified = false
source = "M: test"
"""


def points(xy: list[tuple[float, float]], **columns: list) -> gpd.GeoDataFrame:
    geometry = [Point(X0 + x, Y0 + y) for x, y in xy]
    return gpd.GeoDataFrame(columns, geometry=geometry, crs=CRS)


def street_town() -> Study:
    """One straight street, 0–2,000 m east, nodes every 200 m; walking 60 m/min.

    Residences 6 m north of the street at x = 100, 500, 1500, 1900 (population 10, 20, 30,
    40); kindergartens at x = 0 and 1600, a primary school at x = 1000 (on the street).
    """
    nodes = {i: (X0 + 200.0 * i, Y0) for i in range(11)}
    graph = projected_graph(nodes, [(i, i + 1) for i in range(10)])
    residences = points(
        [(100, 6), (500, 6), (1500, 6), (1900, 6)],
        residence_id=["r1", "r2", "r3", "r4"],
        population=[10.0, 20.0, 30.0, 40.0],
    )
    facilities = points(
        [(0, 0), (1600, 0), (1000, 0)],
        facility_id=["k1", "k2", "p1"],
        category=["kindergarten", "kindergarten", "primary_school"],
        name=["K west", "K east", "School"],
        source=["test"] * 3,
    )
    return Study(
        OSMData(elements=[], label="hand-built test street 示例数据", graph=graph),
        residences=residences,
        facilities=facilities,
        options=StudyOptions(speed_kmh=3.6),
    )


def write_standard(folder: Path) -> Path:
    """:data:`STANDARD` written as ``test_standard.toml`` in ``folder``."""
    path = folder / "test_standard.toml"
    path.write_text(STANDARD, encoding="utf-8")
    return path
