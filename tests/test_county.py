"""A county-sized place is studied settlement by settlement (recorded synthetic answers)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from conftest import CONTRACT, CliResult, RecordedOSM
from shapely.geometry import Point, shape

from yushu_circle.osm.area import CLIP_MARGIN_M, bbox_area_km2
from yushu_circle.osm.overpass import MAX_QUERY_AREA_KM2
from yushu_circle.osm.settlements import PLACE_RADIUS_M, find_settlements, search_query

COUNTY = "示例县 Demo County"


def _county(recorded: RecordedOSM) -> dict:
    return recorded.areas[COUNTY]


def _polygon(recorded: RecordedOSM) -> shapely.Polygon:
    return shape(_county(recorded)["nominatim"][0]["geojson"])


@pytest.mark.recorded("county_recorded.json")
def test_a_county_place_runs_settlement_by_settlement(
    cli: Callable[..., CliResult], recorded_osm: RecordedOSM, tmp_path: Path
) -> None:
    county = _polygon(recorded_osm)
    out = tmp_path / "county"
    result = cli("run", "--place", COUNTY, "--no-isochrones", "--out", out)
    assert result.code == 0, result.err
    assert {p.name for p in out.iterdir()} >= CONTRACT

    # One geocoding, one settlement search, then one query per settlement: four found (the
    # town and the village 1.2 km east of it are one), the hamlet's answer has no street.
    kinds = [kind for kind, _ in recorded_osm.requests]
    assert kinds.count("nominatim") == 1 and kinds.count("search") == 1
    assert kinds.count("overpass") == 4
    search = next(text for kind, text in recorded_osm.requests if kind == "search")
    assert 'rel(9100000);node(r:"admin_centre")' in search  # the seat of the boundary

    # The recorded requests prove only the settlements' surroundings were read: every study
    # box is small, holds a settlement, and all of them together are a sliver of the county.
    boxes = recorded_osm.boxes("overpass")
    county_km2 = bbox_area_km2(county.bounds)
    assert county_km2 > MAX_QUERY_AREA_KM2
    sizes = [bbox_area_km2(b) for b in boxes]
    assert max(sizes) < 60 and sum(sizes) < 0.1 * county_km2, sizes
    towns = {t["name"]: Point(t["center"]) for t in recorded_osm.towns}
    for box in boxes:
        assert any(shapely.box(*box).contains(p) for p in towns.values()), box
    # ... and no box reaches the grassland far from every settlement.
    middle = Point(97.25, 32.70)  # 11 km south of the town, 7+ km from the others
    assert not any(shapely.box(*b).contains(middle) for b in boxes)

    # It says what it did, names the settlements and the area studied.
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    notes = summary["meta"]["notes"]
    head = next(n for n in notes if n.startswith(COUNTY))
    assert "4 settlement(s) 聚落 (3 studied, 1 skipped 跳过)" in head
    assert "km² studied 已研究" in head and "5 Overpass request(s)" in head
    # Hand-computed: the town's 1.5 km disc with a 0.5 km disc 1.2 km east, the village's
    # 0.25 km disc and the estate's 300 m square (polygon discs are a little under π r²).
    studied = float(re.search(r"\), ([\d.,]+) km² studied", head).group(1))
    low = 0.99 * (3.14159 * (1.5**2 + 0.25**2)) + 0.09
    assert low < studied < 3.14159 * (1.5**2 + 0.5**2 + 0.25**2) + 0.09, studied
    lines = [n for n in notes if n.startswith("settlement 聚落")]
    assert len(lines) == 4
    assert any("示例县城 Demo County Town" in n and "km² studied" in n for n in lines)
    assert any("示例稀疏村" in n and "km² studied" in n for n in lines)
    assert any("示例新村居住区" in n and "landuse=residential" in n for n in lines)
    skipped = [n for n in lines if "skipped" in n]
    assert len(skipped) == 1 and "示例牧点" in skipped[0] and "no walkable street" in skipped[0]
    assert not any("示例邻县村" in n for n in notes)  # outside the county
    assert head in result.out  # printed as the run's notes too

    # Residences of all three settlements are studied (each settlement's own streets).
    residences = gpd.read_parquet(out / "residences.parquet")
    centers = {name: towns[name] for name in ("town", "sparse", "estate")}
    for name, center in centers.items():
        near = residences.geometry.distance(center) < 0.01
        assert near.sum() > 0, name
        assert residences.loc[near, "on_network"].all(), name
    # The town's kindergarten is walked to from the town, not from 16 km away.
    town_near = residences.geometry.distance(centers["town"]) < 0.01
    assert residences.loc[town_near, "walk_min_kindergarten"].notna().all()
    sparse_near = residences.geometry.distance(centers["sparse"]) < 0.01
    assert residences.loc[sparse_near, "walk_min_clinic"].max() < 15


def test_settlements_from_a_search_answer_merge_and_filter() -> None:
    recorded = RecordedOSM.load("county_recorded.json")
    county = _polygon(recorded)
    found = find_settlements(_county(recorded)["search"]["elements"], county)
    assert [s.kind for s in found] == ["town", "village", "hamlet", "residential"]
    assert [s.settlement_id for s in found] == ["s01", "s02", "s03", "s04"]
    town = found[0]
    assert town.name == "示例县城 Demo County Town"
    assert set(town.osm_ids) == {"node/9000001", "node/9000002"}  # the suburb village joined
    # The town's core: its 1,500 m disc and the village's 500 m disc, 1.2 km apart.
    assert town.core.contains(Point(97.25, 32.80))
    utm = gpd.GeoSeries([town.core], crs="EPSG:4326").to_crs(32647)
    disc = 3.14159 * PLACE_RADIUS_M["town"] ** 2
    assert disc < float(utm.area.iloc[0]) < disc + 3.14159 * PLACE_RADIUS_M["village"] ** 2
    assert all(county.buffer(1e-9).contains(s.core) for s in found)
    assert not any("9000005" in i for s in found for i in s.osm_ids)  # outside the county


def test_the_search_asks_for_places_land_use_and_the_seat() -> None:
    area = shapely.box(97.0, 32.6, 97.5, 33.0)
    query = search_query(area, 42, "[out:json][timeout:5]")
    assert query.startswith("[out:json][timeout:5];node[")
    assert 'node["place"~"^(city|town|village|hamlet)$"](32.6000000,97.0000000' in query
    assert 'way["landuse"="residential"]' in query and "out tags bb;" in query
    assert 'rel(42);node(r:"admin_centre");out;' in query
    assert 'rel(42);node(r:"label");out;' in query
    assert "rel(" not in search_query(area, None, "[out:json]")


@pytest.mark.recorded("county_recorded.json")
def test_a_polygon_over_the_limit_runs_by_settlement_and_a_box_is_refused(
    cli: Callable[..., CliResult],
    recorded_osm: RecordedOSM,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("YUSHU_CIRCLE_ALLOW_LARGE_AREA", "")
    county = _polygon(recorded_osm)
    path = tmp_path / "county.geojson"
    gpd.GeoDataFrame(geometry=[county], crs="EPSG:4326").to_file(path)
    out = tmp_path / "by_polygon"
    result = cli("--quiet", "run", "--polygon", path, "--no-isochrones", "--out", out)
    assert result.code == 0, result.err
    kinds = [kind for kind, _ in recorded_osm.requests]
    assert kinds.count("search") == 1 and kinds.count("overpass") == 4
    assert "nominatim" not in kinds
    # The same area as one box stays refused: a box is one dense area, not a county.
    west, south, east, north = county.bounds
    refused = cli("run", "--bbox", f"{west},{south},{east},{north}", "--out", tmp_path / "box")
    assert refused.code == 2
    line = refused.err.strip().splitlines()[-1]
    assert "limit for one Overpass query" in line and "settlement by settlement" in line
    assert [k for k, _ in recorded_osm.requests].count("overpass") == 4  # nothing more asked


@pytest.mark.recorded("county_recorded.json")
def test_a_county_without_settlements_is_one_clear_error(
    cli: Callable[..., CliResult], recorded_osm: RecordedOSM, tmp_path: Path
) -> None:
    recorded_osm.areas[COUNTY]["search"] = {"elements": []}
    result = cli("run", "--place", COUNTY, "--out", tmp_path / "out")
    assert result.code == 2, result.err
    line = result.err.strip().splitlines()[-1]
    assert "no settlement" in line and COUNTY in line and " — fix: " in line
    assert [k for k, _ in recorded_osm.requests].count("overpass") == 0
    assert not (tmp_path / "out").exists()


@pytest.mark.recorded("county_recorded.json")
def test_settlements_without_any_street_are_one_clear_error(
    cli: Callable[..., CliResult], recorded_osm: RecordedOSM, tmp_path: Path
) -> None:
    recorded_osm.towns[:] = [t for t in recorded_osm.towns if t["name"] == "hamlet"]
    result = cli("run", "--place", COUNTY, "--out", tmp_path / "out")
    assert result.code == 2, result.err
    line = result.err.strip().splitlines()[-1]
    assert "none of its 4 settlement(s) has a walkable street" in line


def test_each_settlement_keeps_its_own_streets() -> None:
    # Two grids 5 km apart in one study area of two parts: both are kept (one network of
    # two parts), where a single area keeps only its largest connected part.
    from yushu_circle.network import WalkNetwork

    graph_a = _grid_graph(97.00, 33.00, 4)
    graph_b = _grid_graph(97.06, 33.00, 3)
    import networkx as nx

    graph = nx.union(graph_a, graph_b)
    graph.graph["crs"] = "EPSG:4326"
    parts = shapely.MultiPolygon(
        [shapely.box(96.995, 32.995, 97.005, 33.005), shapely.box(97.055, 32.995, 97.065, 33.005)]
    )
    single = WalkNetwork.from_graph(graph)
    assert single.node_count == 16 and single.dropped_components == [9]
    lon = [graph.nodes[n]["x"] for n in graph.nodes]
    lat = [graph.nodes[n]["y"] for n in graph.nodes]
    ids = {n: i for i, n in enumerate(graph.nodes)}
    edges = list(graph.edges())
    both = WalkNetwork.from_arrays(
        lon=pd.Series(lon).to_numpy(),
        lat=pd.Series(lat).to_numpy(),
        edge_u=pd.Series([ids[u] for u, _ in edges]).to_numpy(),
        edge_v=pd.Series([ids[v] for _, v in edges]).to_numpy(),
        edge_lon=pd.Series([c for u, v in edges for c in (lon[ids[u]], lon[ids[v]])]).to_numpy(),
        edge_lat=pd.Series([c for u, v in edges for c in (lat[ids[u]], lat[ids[v]])]).to_numpy(),
        edge_offsets=pd.Series(range(0, 2 * len(edges) + 1, 2)).to_numpy(),
        within=parts,
    )
    assert both.node_count == 25 and both.dropped_components == []
    assert CLIP_MARGIN_M > 0


def _grid_graph(lon: float, lat: float, n: int) -> object:
    import networkx as nx

    graph = nx.MultiDiGraph()
    step = 0.001
    for i in range(n):
        for j in range(n):
            graph.add_node((lon, i, j), x=lon + i * step, y=lat + j * step)
    for i in range(n):
        for j in range(n):
            if i + 1 < n:
                graph.add_edge((lon, i, j), (lon, i + 1, j))
            if j + 1 < n:
                graph.add_edge((lon, i, j), (lon, i, j + 1))
    return nx.convert_node_labels_to_integers(graph, first_label=int(lon * 1000) * 100)
