"""A small synthetic town shaped like Jiegu's real OSM (示例数据): many streets, few buildings.

Real OSM around the 结古街道 seat maps 242 street segments but 4 buildings and a handful of
facilities (OSMChina's 2025 feature counts); the embedded demo (1,442 mapped buildings) looks
nothing like it. This made-up town has the real shape, so the path real Yushu data takes —
residences as sample points along residential streets, a census total spread over them, age
shares for the children and the elderly — can be run and tested offline. Its layout is fixed
and documented here so tests can count by hand:

- :data:`ROWS` east-west ``highway=residential`` streets and :data:`COLS` north-south
  ``highway=unclassified`` streets, :data:`SPACING_M` apart (600 m × 400 m);
- 4 ``building=yes`` huts (too few: the residences become sample points along the
  residential streets, one per 100 m street segment);
- one kindergarten on the south-west corner (:data:`KINDERGARTEN_M`), one primary school,
  one clinic, two shops; no elderly care.

Everything is synthetic and says so: every name ends in ``(synthetic)`` and the data's label
is :data:`SPARSE_LABEL`.
"""

from __future__ import annotations

import math
from typing import Any

from yushu_circle.osm.data import OSMData

SPARSE_LABEL = (
    "synthetic sparse town 示例数据 (shaped like Jiegu's OSM: streets, 4 buildings — "
    "not survey data)"
)
CENTER = (97.01, 33.0)
"""Where the town sits by default (lon, lat): Jiegu, Yushu."""
COLS = 7
ROWS = 5
SPACING_M = 100.0
KINDERGARTEN_M = (-300.0, -200.0)
"""The kindergarten, metres east and north of the centre: the south-west street corner."""
_HUTS_M = ((-150.0, -150.0), (50.0, -50.0), (150.0, 50.0), (-50.0, 150.0))
_FACILITIES = (
    ({"amenity": "kindergarten", "name": "示例稀疏幼儿园 (synthetic)"}, KINDERGARTEN_M),
    ({"amenity": "school", "isced:level": "1", "name": "示例稀疏小学 (synthetic)"}, (250.0, 150.0)),
    ({"amenity": "clinic", "name": "示例稀疏诊所 (synthetic)"}, (0.0, 40.0)),
    ({"shop": "convenience", "name": "示例稀疏商店1 (synthetic)"}, (-100.0, 40.0)),
    ({"shop": "convenience", "name": "示例稀疏商店2 (synthetic)"}, (150.0, -40.0)),
)


def lonlat(center: tuple[float, float], east_m: float, north_m: float) -> tuple[float, float]:
    """The point ``east_m``/``north_m`` metres from ``center`` (lon, lat), as the town is laid."""
    lon, lat = center
    return (
        round(lon + east_m / (111_320.0 * math.cos(math.radians(lat))), 7),
        round(lat + north_m / 111_320.0, 7),
    )


def sparse_town_elements(
    center: tuple[float, float] = CENTER, first_id: int = 1
) -> list[dict[str, Any]]:
    """The town as Overpass-JSON elements (ids from ``first_id``)."""
    elements: list[dict[str, Any]] = []
    next_id = [first_id]

    def node(east: float, north: float, tags: dict[str, str] | None = None) -> int:
        lon, lat = lonlat(center, east, north)
        element: dict[str, Any] = {"type": "node", "id": next_id[0], "lat": lat, "lon": lon}
        if tags:
            element["tags"] = tags
        elements.append(element)
        next_id[0] += 1
        return int(element["id"])

    def way(refs: list[int], tags: dict[str, str]) -> None:
        elements.append({"type": "way", "id": next_id[0], "nodes": refs, "tags": tags})
        next_id[0] += 1

    half_x, half_y = (COLS - 1) * SPACING_M / 2, (ROWS - 1) * SPACING_M / 2
    grid = [
        [node(i * SPACING_M - half_x, j * SPACING_M - half_y) for j in range(ROWS)]
        for i in range(COLS)
    ]
    for j in range(ROWS):
        tags = {"highway": "residential", "name": f"示例稀疏东西路 {j} (synthetic)"}
        way([grid[i][j] for i in range(COLS)], tags)
    for i in range(COLS):
        way(grid[i], {"highway": "unclassified", "name": f"示例稀疏南北路 {i} (synthetic)"})
    for east, north in _HUTS_M:
        corners = [node(east + dx, north + dy) for dx, dy in ((-6, -6), (6, -6), (6, 6), (-6, 6))]
        way([*corners, corners[0]], {"building": "yes"})
    for tags, (east, north) in _FACILITIES:
        node(east, north, dict(tags))
    return elements


def sparse_town(center: tuple[float, float] = CENTER) -> OSMData:
    """The synthetic sparse town as OSM data (示例数据; ``synthetic`` is True)."""
    return OSMData(sparse_town_elements(center), SPARSE_LABEL, synthetic=True)
