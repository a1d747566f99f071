"""The planner's map: embedded data, escaping, offline assets, sizes and ``yushu-circle map``."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import HOSTILE_NAME, JIEGU, CliResult, snapshot

from yushu_circle import access
from yushu_circle.errors import InputError
from yushu_circle.network import WalkNetwork
from yushu_circle.render import maps, vendor
from yushu_circle.results import StudyResults
from yushu_circle.results.basemap import basemap_frame

SCRIPT_BREAKER = "</script><script>window.__yc_pwned = 1</script>"
_DATA_RE = re.compile(r'<script type="application/json" id="[a-z_0-9]+_data">(.*?)</script>', re.S)
_ENGINE_RE = re.compile(
    r'<script type="application/json" id="live_engine_[0-9a-f]+_network">(.*?)</script>', re.S
)


def map_data(html: str) -> dict[str, Any]:
    """The data embedded in a map document (what the page's script parses)."""
    found = _DATA_RE.findall(html)
    assert len(found) == 1
    return dict(json.loads(found[0]))


def _inputs(count: int = 40, seed: int = 0, names: list[str] | None = None) -> StudyResults:
    rng = np.random.default_rng(seed)
    lon = JIEGU[0] + rng.uniform(-0.005, 0.005, count)
    lat = JIEGU[1] + rng.uniform(-0.005, 0.005, count)
    clinic = rng.uniform(0, 25, count)
    clinic[::7] = np.nan
    residences = gpd.GeoDataFrame(
        {
            "residence_id": np.arange(count),
            "population": rng.integers(1, 9, count).astype(float),
            "walk_min_clinic": clinic,
            "walk_min_kindergarten": rng.uniform(0, 12, count),
            "score": rng.uniform(0, 1, count),
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )
    names = names or ["诊所一 Clinic 1", HOSTILE_NAME, SCRIPT_BREAKER]
    facilities = gpd.GeoDataFrame(
        {
            "facility_id": [f"f{i}" for i in range(len(names))],
            "category": ["clinic"] * (len(names) - 1) + ["kindergarten"],
            "name": names,
            "source": "osm",
        },
        geometry=gpd.points_from_xy(lon[: len(names)], lat[: len(names)]),
        crs="EPSG:4326",
    )
    summary = pd.DataFrame(
        {
            "category": ["kindergarten", "clinic"],
            "facilities": [1, 2],
            "share_pop_5min": [0.5, 0.1],
            "share_pop_10min": [0.9, 0.3],
            "share_pop_15min": [1.0, 0.6],
            "median_min": [5.0, 12.0],
        }
    ).set_index("category")
    meta = {
        "synthetic": True,
        "data": "测试数据 test data",
        "catalog": [
            {"key": "kindergarten", "name_zh": "幼儿园", "name_en": "Kindergarten", "level": 5},
            {"key": "clinic", "name_zh": "诊所", "name_en": "Clinic", "level": 15},
        ],
        "notes": [],
    }
    return StudyResults(residences, facilities, summary, meta)


def _buffer_isochrones(residences: gpd.GeoDataFrame, quad_segs: int = 16) -> gpd.GeoDataFrame:
    """Stand-in isochrones: discs of 300/500/800 m around each residence."""
    projected = residences.to_crs(32647)
    parts = [
        gpd.GeoDataFrame(
            {"residence_id": residences["residence_id"].to_numpy(), "minutes": float(minutes)},
            geometry=projected.buffer(radius, quad_segs=quad_segs).to_numpy(),
            crs=projected.crs,
        )
        for minutes, radius in ((5, 300), (10, 500), (15, 800))
    ]
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=projected.crs).to_crs(4326)


# --- escaping and offline assets -------------------------------------------------------------


def test_script_json_cannot_end_the_script_element() -> None:
    payload = {
        "name": SCRIPT_BREAKER,
        "comment": "<!-- x -->",
        "sep": "a\u2028b\u2029c",
        "amp": "&",
    }
    text = maps.script_json(payload)
    assert "<" not in text and ">" not in text and "\u2028" not in text
    assert json.loads(text) == payload


def test_hostile_names_are_data_not_markup() -> None:
    html = maps.coverage_map(_inputs())
    assert HOSTILE_NAME not in html
    assert "<img src=x onerror" not in html
    assert html.count("</script>") == html.count("<script")  # nothing closed a script early
    data = map_data(html)
    assert HOSTILE_NAME in data["fac"]["name"]
    assert SCRIPT_BREAKER in data["fac"]["name"]


def test_map_loads_nothing_from_the_network() -> None:
    html = maps.coverage_map(_inputs())
    assert not re.search(r"<script[^>]*\bsrc=", html, re.I)
    assert not re.search(r"<link\b", html, re.I)
    assert "@import" not in html
    urls = re.findall(r"url\(([^)]*)\)", html)
    assert urls and all(u.startswith(("data:", "#default#VML")) for u in urls)
    assert "sourceMappingURL" not in html


def test_embedded_data_matches_the_inputs() -> None:
    results = _inputs()
    residences, facilities = results.access, results.facilities
    data = map_data(maps.coverage_map(results))
    assert [c["key"] for c in data["cats"]] == ["kindergarten", "clinic"]
    res = data["res"]
    assert len(res["lon"]) == len(residences)
    assert np.allclose(res["lon"], residences.geometry.x, atol=5.1e-7)
    assert np.allclose(res["lat"], residences.geometry.y, atol=5.1e-7)
    clinic = np.array([np.nan if v is None else v for v in res["min"]["clinic"]])
    expected = residences["walk_min_clinic"].to_numpy()
    assert np.array_equal(np.isnan(clinic), np.isnan(expected))
    assert np.allclose(clinic, expected, atol=0.051, equal_nan=True)
    assert data["fac"]["cat"] == facilities["category"].tolist()
    assert {c["key"]: c["count"] for c in data["cats"]} == {"kindergarten": 1, "clinic": 2}


def test_synthetic_banner_only_for_synthetic_data() -> None:
    results = _inputs()
    assert map_data(maps.coverage_map(results))["banner"] == (
        "合成示例数据 Synthetic demo data — not survey data"
    )
    real = dataclasses.replace(results, meta={**results.meta, "synthetic": False})
    assert map_data(maps.coverage_map(real))["banner"] == ""


def test_tianditu_offered_only_with_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    assert map_data(maps.coverage_map(_inputs()))["tianditu"] is None
    monkeypatch.setenv("TIANDITU_KEY", "abc123")
    assert map_data(maps.coverage_map(_inputs()))["tianditu"] == "abc123"


def test_unknown_start_category_names_the_choices() -> None:
    with pytest.raises(InputError, match="clinic"):
        maps.coverage_map(_inputs(), maps.MapView(category="hospital"))


def test_bad_catalog_colour_is_replaced() -> None:
    results = _inputs()
    results.meta["catalog"][0]["color"] = "red;background:url(http://x)"
    data = map_data(maps.coverage_map(results))
    assert all(re.fullmatch(r"#[0-9a-fA-F]{6}", c["color"]) for c in data["cats"])


# --- isochrones ------------------------------------------------------------------------------


def test_isochrones_all_embedded_within_budget_and_keep_their_shape() -> None:
    results = _inputs(count=10)
    iso = _buffer_isochrones(results.access)
    data = map_data(maps.coverage_map(dataclasses.replace(results, isochrones=iso)))["iso"]
    assert data["embedded"] == data["total"] == 10
    first = data["by"]["3"]
    assert [item[0] for item in first] == [15, 10, 5]
    for minutes, polygons in first:
        ring = np.cumsum(np.asarray(polygons[0][0]).reshape(-1, 2), axis=0) / data["scale"]
        decoded = shapely.Polygon(ring)
        original = iso[(iso["residence_id"] == 3) & (iso["minutes"] == minutes)].geometry.iloc[0]
        # ≈ 7 m simplification on a 300 m disc: a few percent of its area at most
        assert decoded.symmetric_difference(original).area < 0.04 * original.area


def test_isochrone_budget_caps_the_embedded_data() -> None:
    results = _inputs(count=60)
    iso = _buffer_isochrones(results.access)
    budget = 20_000
    data = map_data(
        maps.coverage_map(
            dataclasses.replace(results, isochrones=iso),
            maps.MapView(isochrone_budget_bytes=budget),
        )
    )["iso"]
    assert 0 < data["embedded"] < 60
    assert len(json.dumps(data["by"], separators=(",", ":"))) <= budget


# --- per-edge minutes ------------------------------------------------------------------------


def test_edge_minutes_match_networkx_shortest_paths() -> None:
    graph = nx.MultiDiGraph(crs="EPSG:32647")
    spots = {1: (0, 0), 2: (100, 0), 3: (100, 100), 4: (0, 100), 5: (250, 0)}
    for node, (x, y) in spots.items():
        graph.add_node(node, x=500_000.0 + x, y=3_650_000.0 + y)
    for u, v in [(1, 2), (2, 3), (3, 4), (4, 1), (2, 5)]:
        length = float(np.hypot(*np.subtract(spots[u], spots[v])))
        graph.add_edge(u, v, length=length)
        graph.add_edge(v, u, length=length)
    network = WalkNetwork.from_graph(graph, speed_kmh=6.0)
    facility = network.snap(np.array([500_000.0]), np.array([3_650_000.0]))  # at node 1
    minutes = access.edge_minutes(network, {"clinic": facility})["walk_min_clinic"].to_numpy()
    dist = nx.single_source_dijkstra_path_length(nx.Graph(graph), 1, weight="length")
    ids = network.node_ids
    for e in range(network.edge_count):
        u, v = ids[network.edge_u[e]], ids[network.edge_v[e]]
        half = network.edge_length[e] / 2
        expected = min(dist[u], dist[v]) + half
        assert minutes[e] == pytest.approx(expected / 100.0)  # 6 km/h = 100 m/min


# --- rebuilding from an output folder --------------------------------------------------------


def test_map_subcommand_rebuilds_from_outputs_without_touching_them(
    good_out: Path, cli: Callable[..., CliResult]
) -> None:
    before = snapshot(good_out)
    (good_out / "map.html").unlink()
    result = cli("map", good_out, "--png", "--category", "kindergarten")
    assert result.code == 0, result.err
    after = snapshot(good_out)
    for name, content in before.items():
        if name != "map.html":
            assert after[name] == content, name
    residences = gpd.read_parquet(good_out / "residences.parquet")
    facilities = gpd.read_parquet(good_out / "facilities.parquet")
    edges = gpd.read_parquet(good_out / "network.parquet")
    data = map_data((good_out / "map.html").read_text(encoding="utf-8"))
    assert len(data["res"]["lon"]) == len(residences)
    assert len(data["fac"]["lon"]) == len(facilities)
    assert len(data["edges"]["coords"]) == len(edges)
    assert data["initial"] == "kindergarten"
    assert HOSTILE_NAME in data["fac"]["name"]
    keys = [c["key"] for c in data["cats"]]
    # The page carries the in-page engine (map_network.json is in the folder): it computes
    # the streets' minutes itself, from each drawn street's edge position.
    assert data["edges"]["min"] == {} and data["edges"]["index"] == list(range(len(edges)))
    assert "yushuEngine" in (good_out / "map.html").read_text(encoding="utf-8")
    pngs = sorted(p.name for p in (good_out / "png").glob("*.png"))
    assert pngs == sorted(f"coverage_{k}.png" for k in keys)
    assert (good_out / "png" / "coverage_kindergarten.png").read_bytes()[:4] == b"\x89PNG"


def test_map_subcommand_on_a_folder_without_outputs(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    result = cli("map", tmp_path)
    assert result.code == 2
    assert "residences.parquet" in result.err and "fix:" in result.err
    assert not (tmp_path / "map.html").exists()


# --- Study.explore -------------------------------------------------------------------------


def test_explore_is_the_same_map_as_map_html(tmp_path: Path) -> None:
    import folium

    from yushu_circle import Study, write_study

    study = Study.demo()
    write_study(study, tmp_path, isochrones=False)
    written = (tmp_path / "map.html").read_text(encoding="utf-8")
    fmap = study.explore()
    assert isinstance(fmap, folium.Map)
    shown = fmap.get_root().render()
    # The same data, the same in-page engine (reach, route, what-if) on the same network.
    assert map_data(shown) == map_data(written)
    engines = [_ENGINE_RE.findall(page) for page in (shown, written)]
    assert len(engines[0]) == len(engines[1]) == 1
    engine = (tmp_path / "map_network.json").read_text(encoding="utf-8")
    assert json.loads(engines[0][0]) == json.loads(engines[1][0]) == json.loads(engine)
    for page in (shown, written):
        assert "YushuMap.addLive(" in page and 'window["yushuEngine"]' in page
    # With the engine the page computes every reach itself: no "not computed" isochrones.
    assert map_data(shown)["iso"] == map_data(written)["iso"]
    assert map_data(shown)["edges"]["min"] == {}


def test_explore_of_a_study_too_big_for_the_engine_says_so_and_keeps_its_isochrones() -> None:
    from yushu_circle import Study

    study = Study.demo()
    iso = study.isochrones(residences=study.residences["residence_id"].iloc[:5].tolist())
    results = dataclasses.replace(study.results(), isochrones=iso)
    html = maps.coverage_map(results, maps.MapView(page_budget_bytes=1_000))
    data = map_data(html)
    assert "YushuMap.addLive(" not in html
    assert any("Live reach and what-if are off" in note for note in data["notes"])
    assert data["iso"]["available"] and data["iso"]["embedded"] == 5
    assert data["edges"]["min"]  # the precomputed minutes travel instead


# --- sizes -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_demo_map_is_under_3_mb_with_isochrones(tmp_path: Path) -> None:
    from yushu_circle import Study, write_study

    write_study(Study.demo(), tmp_path)  # real isochrones of every residence
    html = (tmp_path / "map.html").read_text(encoding="utf-8")
    assert len(html.encode()) <= 3_000_000
    # The page carries the in-page engine, which computes every residence's reach itself,
    # so no precomputed isochrones travel in it.
    assert "yushuEngine" in html and 'type="application/json" id="live_engine_' in html
    assert map_data(html)["iso"]["embedded"] == 0


def _city(count: int, edges: int, seed: int = 0) -> tuple[Any, ...]:
    """A synthetic city's result tables (not routed: the map only draws what it is given)."""
    from yushu_circle.catalog import Catalog

    rng = np.random.default_rng(seed)
    catalog = Catalog.default()
    keys = catalog.keys
    residences = gpd.GeoDataFrame(
        {
            "residence_id": np.arange(count),
            "population": rng.integers(1, 8, count) * 1.0,
            **{f"walk_min_{k}": np.round(rng.gamma(2, 5, count), 1) for k in keys},
            "score": rng.uniform(0, 1, count),
        },
        geometry=gpd.points_from_xy(
            JIEGU[0] + rng.uniform(0, 0.3, count), JIEGU[1] + rng.uniform(0, 0.2, count)
        ),
        crs="EPSG:4326",
    )
    n = max(count // 50, len(keys))
    facilities = gpd.GeoDataFrame(
        {
            "facility_id": [f"f{i}" for i in range(n)],
            "category": rng.choice(keys, n),
            "name": [f"设施 facility {i}" for i in range(n)],
            "source": "osm",
        },
        geometry=gpd.points_from_xy(
            JIEGU[0] + rng.uniform(0, 0.3, n), JIEGU[1] + rng.uniform(0, 0.2, n)
        ),
        crs="EPSG:4326",
    )
    x0, y0 = JIEGU[0] + rng.uniform(0, 0.3, edges), JIEGU[1] + rng.uniform(0, 0.2, edges)
    x1, y1 = x0 + rng.normal(0, 5e-4, edges), y0 + rng.normal(0, 5e-4, edges)
    lines = shapely.linestrings(np.stack([np.stack([x0, y0], 1), np.stack([x1, y1], 1)], 1))
    streets = gpd.GeoDataFrame(
        {
            "highway": rng.choice(["residential", "primary", "footway"], edges),
            **{f"walk_min_{k}": np.round(rng.gamma(2, 5, edges), 1) for k in keys},
        },
        geometry=lines,
        crs="EPSG:4326",
    )
    summary = pd.DataFrame(
        {"category": keys, "facilities": [1] * len(keys), "median_min": [8.0] * len(keys)}
    ).set_index("category")
    meta = {
        "synthetic": True,
        "notes": [],
        "catalog": [
            {"key": c.key, "name_zh": c.name_zh, "name_en": c.name_en, "level": c.level}
            for c in catalog
        ],
    }
    boxes = shapely.box(x0[:30_000], y0[:30_000], x0[:30_000] + 1e-4, y0[:30_000] + 1e-4)
    buildings = gpd.GeoDataFrame({"kind": ["building"] * len(boxes)}, geometry=boxes, crs=4326)
    return residences, facilities, summary, meta, streets, buildings


@pytest.mark.slow
def test_a_city_of_a_million_residences_maps_in_15_mb() -> None:
    residences, facilities, summary, meta, streets, buildings = _city(1_000_000, 1_500_000)
    drawn = np.unique(np.linspace(0, len(residences) - 1, maps.MAX_MAP_RESIDENCES).astype(np.int64))
    iso = _buffer_isochrones(residences.iloc[drawn[::4]])  # 10,000 drawn: more than the budget
    html = maps.coverage_map(
        StudyResults(
            residences,
            facilities,
            summary,
            meta,
            edges=streets,
            isochrones=iso,
            basemap=buildings,
        )
    )
    assert len(html.encode()) <= 15_000_000
    data = map_data(html)
    assert len(data["res"]["lon"]) == maps.MAX_MAP_RESIDENCES
    assert len(data["edges"]["coords"]) == maps.MAX_MAP_EDGES
    assert 0 < data["iso"]["embedded"] < 10_000  # the budget was filled
    print(f"1M-residence city map: {len(html.encode()) / 1e6:.2f} MB")
    assert any("1,000,000" in note for note in data["notes"])


# --- folium, offline and deterministic -------------------------------------------------------


def test_the_map_is_a_folium_map_with_every_asset_inlined() -> None:
    html = maps.coverage_map(_inputs())
    assert re.search(r'<div class="folium-map" id="map_[0-9a-f]+" ></div>', html)
    assert "L.control.layers(" in html  # folium's LayerControl
    for name in ("yushu_core.js", "yushu_layers.js", "yushu_controls.js"):
        assert vendor.asset(name).strip() in html
    assert vendor.leaflet_js().strip()[:2000] in html
    assert "cdn.jsdelivr" not in html and "code.jquery" not in html


def test_vendored_assets_match_their_recorded_sha256() -> None:
    import hashlib

    from yushu_circle._resources import data_path

    recorded = vendor.manifest()
    assert {"leaflet.js", "leaflet.css"} <= set(recorded)
    for name, entry in recorded.items():
        digest = hashlib.sha256(data_path("vendor", name).read_bytes()).hexdigest()
        assert digest == entry["sha256"], name
        assert entry["version"] and entry["package"]


def test_the_same_inputs_give_the_same_bytes() -> None:
    inputs = _inputs()
    assert maps.coverage_map(inputs) == maps.coverage_map(inputs)


def test_subtitle_and_palette_in_the_payload() -> None:
    from yushu_circle.render.plots import MINUTE_COLORS

    results = _inputs()
    results.meta["map_subtitle"] = "老年人 · elderly · 坡度 slope"
    facilities = results.facilities
    data = map_data(maps.coverage_map(results))
    assert data["subtitle"] == "老年人 · elderly · 坡度 slope"
    colours = [c["color"].lower() for c in data["cats"]]
    assert len(set(colours)) == len(colours)
    assert not set(colours) & {c.lower() for c in MINUTE_COLORS}
    assert data["fac"]["id"] == facilities["facility_id"].tolist()


# --- overlays and the basemap ----------------------------------------------------------------


def _decode(geom: list[Any], scale: int) -> list[np.ndarray]:
    """Every line or ring of an encoded overlay feature as absolute lon/lat arrays."""
    kind, parts = geom[0], geom[1:]
    if kind == 0:
        return [np.array([parts]) / scale]
    flat = parts if kind == 1 else [ring for polygon in parts for ring in polygon]
    return [np.cumsum(np.reshape(steps, (-1, 2)), axis=0) / scale for steps in flat]


def _overlay_frame() -> gpd.GeoDataFrame:
    x, y = JIEGU
    square = shapely.Polygon([(x, y), (x + 0.001, y), (x + 0.001, y + 0.001), (x, y + 0.001)])
    line = shapely.LineString([(x, y), (x + 0.002, y + 0.0005), (x + 0.003, y - 0.001)])
    point = shapely.Point(x + 0.0012345678, y - 0.0007654321)
    return gpd.GeoDataFrame(
        {"rate": [0.1, 0.95, np.nan], "label": ["甲 A", HOSTILE_NAME, None], "n": [1, 2, 3]},
        geometry=[square, line, point],
        crs="EPSG:4326",
    )


def test_overlay_payload_matches_the_data() -> None:
    frame = _overlay_frame()
    overlay = maps.Overlay(
        "达标率",
        "Compliance rate",
        frame.to_crs(32647),  # any CRS: the map reprojects
        column="rate",
        breaks=(0.2, 0.4, 0.6, 0.8),
        value_format="{:.0%}",
        popup={"名称 Name": "label", "数量 Count": "n"},
        shown=False,
    )
    data = map_data(maps.coverage_map(_inputs(), maps.MapView(overlays=[overlay])))
    (layer,) = data["overlays"]
    assert (layer["zh"], layer["en"], layer["shown"], layer["ground"]) == (
        "达标率",
        "Compliance rate",
        False,
        False,
    )
    assert [g[0] for g in layer["geom"]] == [2, 1, 0]
    for geom, shape in zip(layer["geom"], frame.geometry, strict=True):
        coords = shapely.get_coordinates(shape)
        if shape.geom_type == "Polygon":
            coords = coords[:-1]  # the closing vertex is implied
        (decoded,) = _decode(geom, layer["scale"])
        assert np.abs(decoded - coords).max() <= 1e-6  # 6 decimals, after reprojection
    assert layer["values"] == [0.1, 0.95, None]
    assert [b["max"] for b in layer["bins"]] == [0.2, 0.4, 0.6, 0.8, None]
    labels = [b["label"] for b in layer["bins"]]
    assert labels == ["≤ 20%", "20% – 40%", "40% – 60%", "60% – 80%", "> 80%"]
    assert layer["popup"]["labels"] == ["名称 Name", "数量 Count"]
    assert layer["popup"]["values"] == [["甲 A", HOSTILE_NAME, None], [1, 2, 3]]


def test_overlay_default_breaks_span_the_values_and_fixed_colour_has_no_bins() -> None:
    frame = _overlay_frame()
    ramped = maps.Overlay("人口", "Population", frame, column="n")
    fixed = maps.Overlay("水系", "Water", frame, color="#a9cfee", ground=True)
    data = map_data(maps.coverage_map(_inputs(), maps.MapView(overlays=[ramped, fixed])))
    first, second = data["overlays"]
    # n = 1, 2, 3: five equal classes between 1 and 3
    assert [b["max"] for b in first["bins"][:4]] == pytest.approx([1.4, 1.8, 2.2, 2.6])
    assert first["bins"][-1]["max"] is None and len(first["bins"]) == 5
    assert second["bins"] is None and second["values"] is None and second["color"] == "#a9cfee"
    assert second["popup"]["labels"] == [] and second["ground"] is True


def test_hostile_overlay_names_and_popups_are_data_not_markup() -> None:
    hostile = "<img src=x onerror=alert(1)>"
    frame = _overlay_frame()
    overlay = maps.Overlay(
        hostile + "图层", hostile + " layer", frame, popup={hostile + "标签": "label"}
    )
    html = maps.coverage_map(_inputs(), maps.MapView(overlays=[overlay]))
    assert hostile not in html and "<img" not in html
    assert html.count("</script>") == html.count("<script")
    (layer,) = map_data(html)["overlays"]
    assert layer["zh"] == hostile + "图层" and layer["en"] == hostile + " layer"
    assert layer["popup"]["labels"] == [hostile + "标签"]
    assert HOSTILE_NAME in layer["popup"]["values"][0]


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"column": "nope"}, "nope"),
        ({"popup": {"x": "missing_col"}}, "missing_col"),
        ({"color": "red;background:url(x)"}, "red;background"),
        ({"column": "rate", "breaks": (0.5, 0.2, 0.6, 0.8)}, "breaks"),
        ({"column": "rate", "breaks": (0.5,)}, "breaks"),
    ],
)
def test_bad_overlays_are_refused_with_a_fix(kwargs: dict[str, Any], needle: str) -> None:
    overlay = maps.Overlay("坏", "bad", _overlay_frame(), **kwargs)
    with pytest.raises(InputError, match=re.escape(needle)) as info:
        maps.coverage_map(_inputs(), maps.MapView(overlays=[overlay]))
    assert info.value.fix


def test_basemap_frame_keeps_water_and_buildings_only() -> None:
    x, y = JIEGU
    box = shapely.box(x, y, x + 0.0003, y + 0.0002)
    features = gpd.GeoDataFrame(
        {
            "building": ["yes", "house", None, None, None, None],
            "natural": [None, None, "water", "tree", None, None],
            "waterway": [None, None, None, None, "river", None],
            "amenity": [None, None, None, None, None, "clinic"],
        },
        geometry=[
            box,
            shapely.Point(x, y),  # a building node: no footprint
            shapely.box(x + 0.001, y, x + 0.002, y + 0.001),
            shapely.Point(x + 0.0001, y),
            shapely.LineString([(x, y - 0.001), (x + 0.003, y - 0.001)]),
            shapely.box(x + 0.004, y, x + 0.0041, y + 0.0001),
        ],
        crs="EPSG:4326",
    )
    frame, notes = basemap_frame(features)
    assert frame["kind"].tolist() == ["building", "water", "water"]
    assert notes == []
    assert frame.geometry.iloc[0].equals_exact(box, 1e-9)
    capped, notes = basemap_frame(features, max_buildings=0)
    assert capped["kind"].tolist() == ["water", "water"]
    assert len(notes) == 1 and "1" in notes[0] and "buildings" in notes[0]
    layers = maps.basemap_overlays(frame)
    assert [(o.name_en, len(o.frame), o.ground, o.shown) for o in layers] == [
        ("Water", 2, True, True),
        ("Buildings", 1, True, True),
    ]


def test_basemap_parquet_is_written_and_used_by_the_map_subcommand(
    good_out: Path, town_osm: Path, cli: Callable[..., CliResult]
) -> None:
    buildings = town_osm.read_text(encoding="utf-8").count('k="building"')
    assert buildings > 0
    basemap = gpd.read_parquet(good_out / "basemap.parquet")
    assert (basemap["kind"] == "building").sum() == buildings
    (good_out / "map.html").unlink()
    assert cli("map", good_out).code == 0
    layers = map_data((good_out / "map.html").read_text(encoding="utf-8"))["overlays"]
    assert [(o["en"], len(o["geom"]), o["ground"], o["shown"]) for o in layers] == [
        ("Buildings", buildings, True, True)
    ]
    (good_out / "basemap.parquet").unlink()  # an older run's folder still maps
    assert cli("map", good_out).code == 0
    assert map_data((good_out / "map.html").read_text(encoding="utf-8"))["overlays"] == []
