"""The resident's check (`yushu-circle check --at LON,LAT`): minutes and routes from one place."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pyproj
import pytest
import shapely
from conftest import CliResult
from shapely.geometry import Point

from yushu_circle import Study
from yushu_circle._core.route import path_to, route_tree
from yushu_circle.catalog import Catalog
from yushu_circle.check import ACCESS_LEG, LocationCheck, check_location
from yushu_circle.columns import walk_min

# A point in the synthetic demo's community A (north bank, west): 示例数据, not a real place.
AT = (97.0, 33.006)


def _one_residence(lon: float, lat: float) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"residence_id": ["here"], "population": [1.0]}, geometry=[Point(lon, lat)], crs=4326
    )


@pytest.fixture(scope="module")
def here() -> tuple[Study, LocationCheck]:
    study = Study.demo(residences=_one_residence(*AT))
    return study, check_location(study, *AT)


# --- the compiled route search against networkx ---------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_route_tree_matches_networkx_and_its_paths_add_up(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = 40, 90
    u = rng.integers(0, n, m)
    v = rng.integers(0, n, m)
    t_uv = rng.uniform(0.1, 5.0, m)
    t_vu = np.where(rng.random(m) < 0.15, np.inf, rng.uniform(0.1, 5.0, m))  # some one-way
    sources = np.array([3, 7], dtype=np.int64)
    offsets = np.array([0.4, 1.3])
    dist, pred_edge, pred_node = route_tree(u, v, t_uv, t_vu, n, sources, offsets, np.inf)

    graph = nx.MultiDiGraph()
    graph.add_nodes_from(range(n + 1))
    for e in range(m):
        if u[e] != v[e]:
            graph.add_edge(int(u[e]), int(v[e]), weight=float(t_uv[e]))
            if np.isfinite(t_vu[e]):
                graph.add_edge(int(v[e]), int(u[e]), weight=float(t_vu[e]))
    for s, offset in zip(sources, offsets, strict=True):  # a virtual source n
        graph.add_edge(n, int(s), weight=float(offset))
    expected = nx.single_source_dijkstra_path_length(graph, n, weight="weight")
    for node in range(n):
        if node in expected:
            assert dist[node] == pytest.approx(expected[node], abs=1e-9)
            nodes, edges = path_to(pred_edge, pred_node, node)
            assert nodes[-1] == node and int(nodes[0]) in sources.tolist()
            walked = offsets[sources.tolist().index(int(nodes[0]))]
            for a, e in zip(nodes[:-1], edges, strict=True):
                walked += t_uv[e] if a == u[e] else t_vu[e]
            assert walked == pytest.approx(dist[node], abs=1e-9)
        else:
            assert np.isinf(dist[node]) and pred_edge[node] == -1

    # The bound: nodes beyond it are unreached, those within it keep their minutes.
    bounded, _, _ = route_tree(u, v, t_uv, t_vu, n, sources, offsets, 4.0)
    within = dist <= 4.0
    np.testing.assert_allclose(bounded[within], dist[within])
    assert np.isinf(bounded[~within]).all()


# --- the check on the synthetic demo ----------------------------------------------------------


def test_minutes_match_access_for_a_residence_at_that_point(
    here: tuple[Study, LocationCheck],
) -> None:
    study, result = here
    access = study.access()
    assert len(access) == 1
    checked = 0
    for route in result.routes:
        expected = float(access[walk_min(route.category)].iloc[0])
        if math.isnan(expected):
            assert math.isnan(route.minutes), route
            continue
        assert abs(route.minutes - expected) < 0.01, (route.category, route.minutes, expected)
        checked += 1
    assert checked == len(result.routes) >= 10
    assert abs(result.snap_m - float(access["snap_m"].iloc[0])) < 0.01


def test_route_length_over_speed_is_the_minutes(here: tuple[Study, LocationCheck]) -> None:
    study, result = here
    speed = study.network.metres_per_minute
    for route in result.routes:
        assert route.streets[0].name == ACCESS_LEG and route.streets[-1].name == ACCESS_LEG
        assert route.streets[0].length_m == pytest.approx(result.snap_m)
        assert route.length_m == pytest.approx(sum(s.length_m for s in route.streets))
        assert route.length_m / speed == pytest.approx(route.minutes, abs=1e-9)
        assert sum(s.minutes for s in route.streets) == pytest.approx(route.minutes, abs=1e-9)
        assert route.facility.startswith("示例")  # the demo's facilities say they are synthetic
        # Most of it runs along named demo streets.
        named = [s for s in route.streets if s.name.startswith("示例")]
        assert named, route.streets


def test_route_geometry_runs_from_the_location_to_the_facility(
    here: tuple[Study, LocationCheck],
) -> None:
    study, result = here
    to_metric = pyproj.Transformer.from_crs("EPSG:4326", study.network.crs, always_xy=True)
    facilities = study.facilities
    for route in result.routes:
        assert route.geometry is not None
        coords = np.asarray(route.geometry.coords)
        assert tuple(coords[0]) == pytest.approx(AT)
        facility = facilities[facilities["name"] == route.facility].geometry
        assert any(math.dist(tuple(coords[-1]), (p.x, p.y)) < 1e-7 for p in facility), (
            route.category
        )
        line = shapely.transform(
            route.geometry, lambda c: np.column_stack(to_metric.transform(c[:, 0], c[:, 1]))
        )
        # Drawn length and walked length agree (edge lengths are measured on the sphere).
        assert line.length == pytest.approx(route.length_m, rel=0.01, abs=1.0)
        # A route is never shorter than the straight line between its ends.
        ends = [to_metric.transform(*c) for c in (coords[0], coords[-1])]
        assert route.length_m >= math.dist(*ends) - 1e-6


def test_several_demo_residences_match_access() -> None:
    study = Study.demo()
    residences = study.residences.iloc[::150].reset_index(drop=True)
    picked = Study.demo(residences=residences[["residence_id", "population", "geometry"]])
    access = picked.access()
    for i, point in enumerate(residences.geometry):
        result = check_location(picked, point.x, point.y)
        for route in result.routes:
            expected = float(access[walk_min(route.category)].iloc[i])
            if math.isnan(expected):
                assert math.isnan(route.minutes)
            else:
                assert abs(route.minutes - expected) < 0.01, (i, route.category)


def test_a_facility_on_the_same_street_stretch_is_walked_to_directly(
    here: tuple[Study, LocationCheck],
) -> None:
    study, _ = here
    facilities = study.facilities
    kindergarten = facilities[facilities["category"] == "kindergarten"].geometry.iloc[0]
    lon, lat = kindergarten.x + 0.00002, kindergarten.y
    result = check_location(study, lon, lat, categories=["kindergarten"])
    route = result.routes[0]
    own = Study.demo(residences=_one_residence(lon, lat)).access()
    assert abs(route.minutes - float(own[walk_min("kindergarten")].iloc[0])) < 0.01
    # Access leg, a couple of metres along the shared street, the facility's access leg.
    assert len(route.streets) == 3 and route.streets[1].length_m < 10, route.streets


# --- the command line ------------------------------------------------------------------------


def test_cli_prints_minutes_and_routes_and_writes_geojson(
    cli: Callable[..., CliResult], here: tuple[Study, LocationCheck], tmp_path: Path
) -> None:
    _, result = here
    out = tmp_path / "routes.geojson"
    ran = cli("--quiet", "check", "--at", f"{AT[0]},{AT[1]}", "--geojson", out)
    assert ran.code == 0, ran.err
    assert "示例数据 synthetic" in ran.out
    for route in result.routes:
        assert f"{route.label}: {route.minutes:.1f} 分钟 min" in ran.out
    assert ran.out.count("路线 route:") == len(result.routes)
    document = json.loads(out.read_text(encoding="utf-8"))
    kinds = [f["properties"]["kind"] for f in document["features"]]
    assert kinds == ["location"] + ["route"] * len(result.routes)
    first = document["features"][1]
    assert first["geometry"]["type"] == "LineString"
    assert first["properties"]["minutes"] == round(result.routes[0].minutes, 2)
    assert all(f["properties"]["synthetic"] for f in document["features"])


@pytest.mark.parametrize(
    ("at", "fragment"),
    [("97.0", "is not LON,LAT"), ("abc,33", "is not LON,LAT"), ("97.2,33.2", "from the nearest")],
)
def test_cli_bad_location_is_one_clear_line(
    cli: Callable[..., CliResult], at: str, fragment: str
) -> None:
    ran = cli("--quiet", "check", "--at", at)
    assert ran.code == 2
    lines = ran.err.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and " — fix: " in lines[0], lines


def test_cli_unknown_category_names_the_choices(cli: Callable[..., CliResult]) -> None:
    ran = cli("--quiet", "check", "--at", f"{AT[0]},{AT[1]}", "--category", "spaceport")
    assert ran.code == 2 and "spaceport" in ran.err and "kindergarten" in ran.err


_TIERS_READY = "civilization_station" in Catalog.default()


@pytest.mark.skipif(
    not _TIERS_READY, reason="needs the catalog's practice tiers and Chinese aliases (#20)"
)
def test_a_planners_csv_with_chinese_tier_names_works_from_the_cli(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    # Two made-up stations (示例) near the demo point, named by the tier's Chinese name.
    stations = tmp_path / "stations.csv"
    stations.write_text(
        "name,category,lon,lat\n"
        "示例自录实践站1 Demo inventory station 1 (synthetic),新时代文明实践站,97.0005,33.0061\n"
        "示例自录实践所 Demo inventory institute (synthetic),新时代文明实践所,97.0010,33.0058\n",
        encoding="utf-8",
    )
    ran = cli(
        "--quiet", "check", "--at", f"{AT[0]},{AT[1]}", "--facilities", stations,
        "--category", "civilization_station", "--category", "civilization_institute",
    )  # fmt: skip
    assert ran.code == 0, ran.err
    assert "示例自录实践站1" in ran.out and "示例自录实践所" in ran.out
    out = tmp_path / "run"
    ran = cli("--quiet", "run", "--facilities", stations, "--no-isochrones", "--out", out)
    assert ran.code == 0, ran.err
    facilities = gpd.read_parquet(out / "facilities.parquet")
    mine = facilities[facilities["name"].str.contains("示例自录")]
    assert sorted(mine["category"]) == ["civilization_institute", "civilization_station"]


def test_the_readme_example_is_what_the_command_prints(cli: Callable[..., CliResult]) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Yushu 玉树") :]
    shown = [line for line in section.splitlines() if " 分钟 min, " in line]
    assert len(shown) == 5
    ran = cli(
        "--quiet", "check", "--at", f"{AT[0]},{AT[1]}", "--category", "kindergarten",
        "--category", "supermarket", "--category", "mall", "--category", "fitness",
        "--category", "bank",
    )  # fmt: skip
    assert ran.code == 0, ran.err
    printed = ran.out.splitlines()
    # The README shows the catalog with the standard's split categories, where `fitness` is
    # 健身房 (a gym) only; until that catalog is in, the gym line is the one not compared.
    split = "civilization_station" in Catalog.default()
    compared = [line for line in shown if split or not line.startswith("健身房 Gym:")]
    assert len(compared) >= 4
    for line in compared:
        assert line in printed, line
    first_route = printed[printed.index(shown[0]) + 1]
    assert first_route in section.splitlines()
