"""One length metric: walk minutes are never below the straight line / speed (edges and access
legs measured alike), on random OSM-like street graphs anywhere on Earth and on West Oakland."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.spatial import Delaunay

from yushu_circle import Study
from yushu_circle.columns import walk_min
from yushu_circle.osm.sources import OSMData
from yushu_circle.study import StudyOptions

_TOLERANCE_MIN = 1e-9


def _street_elements(rng: np.random.Generator, lon0: float, lat0: float, n: int) -> list[dict]:
    """Random points in a 2 km square joined by Delaunay edges, as OSM nodes and ways; some
    ways bend through a middle node, so edges have inner vertices."""
    scale = 111_320.0 * math.cos(math.radians(lat0))
    xy = rng.uniform(0, 2000, size=(n, 2))
    lon = lon0 + xy[:, 0] / scale
    lat = lat0 + xy[:, 1] / 111_320.0
    elements: list[dict] = [
        {"type": "node", "id": i + 1, "lon": float(lon[i]), "lat": float(lat[i])} for i in range(n)
    ]
    pairs = sorted(
        {
            tuple(sorted((int(a), int(b))))
            for t in Delaunay(xy).simplices
            for a, b in ((t[0], t[1]), (t[1], t[2]), (t[0], t[2]))
        }
    )
    next_id = n + 1
    for k, (a, b) in enumerate(pairs):
        refs = [a + 1, b + 1]
        if k % 2:
            mid_lon = (lon[a] + lon[b]) / 2 + rng.normal(0, 30) / scale
            mid_lat = (lat[a] + lat[b]) / 2 + rng.normal(0, 30) / 111_320.0
            elements.append(
                {"type": "node", "id": next_id, "lon": float(mid_lon), "lat": float(mid_lat)}
            )
            refs = [a + 1, next_id, b + 1]
            next_id += 1
        elements.append(
            {"type": "way", "id": 10_000 + k, "nodes": refs, "tags": {"highway": "footway"}}
        )
    return elements


def _points(rng: np.random.Generator, lon0: float, lat0: float, count: int) -> tuple:
    scale = 111_320.0 * math.cos(math.radians(lat0))
    xy = rng.uniform(0, 2000, size=(count, 2))
    return lon0 + xy[:, 0] / scale, lat0 + xy[:, 1] / 111_320.0


def assert_walk_not_below_straight_line(study: Study) -> int:
    """Check every residence × category; return the number of finite walks checked."""
    access = study.access()
    net = study.network
    rx, ry = net.to_projected(access.geometry.x.to_numpy(), access.geometry.y.to_numpy())
    checked = 0
    for key in study.facilities["category"].unique():
        facilities = study.facilities[study.facilities["category"] == key]
        fx, fy = net.to_projected(
            facilities.geometry.x.to_numpy(), facilities.geometry.y.to_numpy()
        )
        straight = np.min(np.hypot(rx[:, None] - fx[None, :], ry[:, None] - fy[None, :]), axis=1)
        minutes = access[walk_min(str(key))].to_numpy()
        finite = np.isfinite(minutes)
        lower = straight[finite] / net.metres_per_minute
        assert np.all(minutes[finite] >= lower - _TOLERANCE_MIN), float(
            np.min(minutes[finite] - lower)
        )
        checked += int(finite.sum())
    return checked


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    lon0=st.floats(-179.0, 178.9),
    lat0=st.floats(-70.0, 70.0),
    n=st.integers(4, 25),
)
def test_walk_is_never_below_the_straight_line_on_random_graphs(
    seed: int, lon0: float, lat0: float, n: int
) -> None:
    rng = np.random.default_rng(seed)
    data = OSMData(_street_elements(rng, lon0, lat0, n), "random streets 示例数据 (synthetic)")
    hx, hy = _points(rng, lon0, lat0, 12)
    fx, fy = _points(rng, lon0, lat0, 6)
    residences = gpd.GeoDataFrame(
        {"residence_id": [f"r{i}" for i in range(12)], "population": 1.0},
        geometry=gpd.points_from_xy(hx, hy),
        crs="EPSG:4326",
    )
    facilities = gpd.GeoDataFrame(
        {
            "facility_id": [f"f{i}" for i in range(6)],
            "category": ["clinic", "clinic", "park", "park", "bank", "bank"],
            "name": "",
            "source": "test",
        },
        geometry=gpd.points_from_xy(fx, fy),
        crs="EPSG:4326",
    )
    study = Study(
        data,
        residences=residences,
        facilities=facilities,
        options=StudyOptions(snap_limit_m=5000.0, keep_all_components=True),
    )
    assert assert_walk_not_below_straight_line(study) > 0


def test_edge_lengths_are_the_length_of_their_geometry_in_the_metric_crs() -> None:
    rng = np.random.default_rng(5)
    data = OSMData(_street_elements(rng, 97.01, 33.0, 20), "random streets 示例数据 (synthetic)")
    net = Study(data).network
    lengths = np.array([g.length for g in net.edge_geometry])
    np.testing.assert_allclose(net.edge_length, lengths, rtol=0, atol=1e-9)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lon0=st.floats(-179.0, 178.0),
    lat0=st.floats(-70.0, 70.0),
    bearing=st.floats(0.0, math.pi),
    fractions=st.lists(st.floats(0.0, 1.0), min_size=2, max_size=6),
)
def test_walk_along_a_straight_street_is_not_below_the_straight_line(
    lon0: float, lat0: float, bearing: float, fractions: list[float]
) -> None:
    # The tightest case: residence and facility on one straight 3 km street, so the walk
    # is the straight line itself and any mismatch of metrics shows.
    scale = 111_320.0 * math.cos(math.radians(lat0))
    along = np.linspace(0.0, 3000.0, 7)
    lon = lon0 + along * math.cos(bearing) / scale
    lat = lat0 + along * math.sin(bearing) / 111_320.0
    elements: list[dict] = [
        {"type": "node", "id": i + 1, "lon": float(x), "lat": float(y)}
        for i, (x, y) in enumerate(zip(lon, lat, strict=True))
    ]
    elements.append(
        {"type": "way", "id": 100, "nodes": list(range(1, 8)), "tags": {"highway": "footway"}}
    )
    t = np.asarray(fractions) * 3000.0
    px = lon0 + t * math.cos(bearing) / scale
    py = lat0 + t * math.sin(bearing) / 111_320.0
    half = len(t) // 2
    residences = gpd.GeoDataFrame(
        {"residence_id": [f"r{i}" for i in range(half)], "population": 1.0},
        geometry=gpd.points_from_xy(px[:half], py[:half]),
        crs="EPSG:4326",
    )
    facilities = gpd.GeoDataFrame(
        {
            "facility_id": [f"f{i}" for i in range(len(t) - half)],
            "category": "clinic",
            "name": "",
            "source": "test",
        },
        geometry=gpd.points_from_xy(px[half:], py[half:]),
        crs="EPSG:4326",
    )
    study = Study(
        OSMData(elements, "one straight street 示例数据 (synthetic)"),
        residences=residences,
        facilities=facilities,
        options=StudyOptions(snap_limit_m=5000.0),
    )
    assert assert_walk_not_below_straight_line(study) > 0
