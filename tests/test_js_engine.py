"""The in-browser engine (render/js/) agrees with Python, in headless Chromium, network cut.

Two pages are opened in Debian chromium: a minimal harness (``network_payload.engine_page``:
the demo's payload and the engine's scripts, no map) and the real ``map.html`` that
``write_study`` writes (the engine embedded in the folium map, its what-if updating the
map). Their answers are compared with ``Study.demo().access()`` (= residences.parquet),
Python's own searches and the what-if of ``Study.with_facilities``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from browser import chromium

from yushu_circle import Study
from yushu_circle.access import coverage_summary, multi_source_minutes, point_sources
from yushu_circle.errors import InputError
from yushu_circle.isochrones import isochrones
from yushu_circle.network import WalkNetwork
from yushu_circle.render.network_payload import engine_page, read_scenario
from yushu_circle.results.engine import network_payload, payload_json, read_payload

REPO = Path(__file__).resolve().parents[1]

MINUTES_TOL = 0.01
SHARE_TOL = 0.001  # 0.1 percentage point


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless chromium through selenium, every network route closed."""
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def harness(study: Study, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("js_engine") / "harness.html"
    path.write_text(engine_page(_engine(study)), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def map_page(study: Study, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real map.html of the demo, as ``write_study`` writes it (engine embedded)."""
    from yushu_circle import write_study

    out = tmp_path_factory.mktemp("js_map") / "out"
    write_study(study, out, isochrones=False)
    return out / "map.html"


@pytest.fixture(params=["harness", "map.html"])
def page(
    request: pytest.FixtureRequest, browser: Any, harness: Path, map_page: Path
) -> Iterator[Any]:
    """The harness or the real map freshly opened; fails when the console logged an error."""
    browser.get((harness if request.param == "harness" else map_page).as_uri())
    deadline = time.monotonic() + 30
    ready = "return window.engineReady === true || window.yushuMapReady === true"
    while not browser.execute_script(ready):
        if time.monotonic() > deadline:
            pytest.fail(f"the engine never became ready; console: {browser.get_log('browser')}")
        time.sleep(0.05)
    yield browser
    severe = [e for e in browser.get_log("browser") if e["level"] in {"SEVERE", "ERROR"}]
    assert severe == [], severe


def _picked(study: Study, count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(len(study.residences), size=count, replace=False))


def _same_minutes(js: Any, python: np.ndarray, where: str) -> None:
    got = np.array([np.nan if v is None else v for v in js], dtype=float)
    assert np.array_equal(np.isnan(got), np.isnan(python)), where
    both = ~np.isnan(python)
    worst = float(np.max(np.abs(got[both] - python[both]), initial=0.0))
    assert worst <= MINUTES_TOL, f"{where}: off by {worst:.4f} min"


def _same_coverage(js: dict[str, Any], python: pd.DataFrame) -> None:
    assert set(js) == set(python.index)
    for key, row in python.iterrows():
        assert js[key]["facilities"] == row["facilities"], key
        for column in python.columns:
            if column.startswith("share_"):
                assert abs(js[key][column] - row[column]) <= SHARE_TOL, (key, column)


@pytest.mark.browser
def test_minutes_of_50_residences_equal_residences_parquet(page: Any, study: Study) -> None:
    access = study.access()
    picked = _picked(study, 50, seed=16)
    ids = access["residence_id"].to_numpy()[picked].tolist()
    keys = [c.key for c in study.catalog]
    table = page.execute_script(
        "return arguments[1].map(k => arguments[0].map(id => yushuMap.minutesFrom(id, k)));",
        ids,
        keys,
    )
    for key, column in zip(keys, table, strict=True):
        _same_minutes(column, access[f"walk_min_{key}"].to_numpy()[picked], key)


@pytest.mark.browser
def test_routes_take_the_minutes_and_their_length_walks_them(page: Any, study: Study) -> None:
    access = study.access()
    picked = _picked(study, 50, seed=17)
    ids = access["residence_id"].to_numpy()[picked].tolist()
    keys = [c.key for c in study.catalog]
    routes = page.execute_script(
        "return arguments[1].map(k => arguments[0].map(id => yushuMap.routeFrom(id, k)));",
        ids,
        keys,
    )
    mpm = study.network.metres_per_minute
    checked = 0
    for key, column in zip(keys, routes, strict=True):
        expected = access[f"walk_min_{key}"].to_numpy()[picked]
        for route, minutes in zip(column, expected, strict=True):
            if np.isnan(minutes):
                assert route is None
                continue
            assert abs(route["minutes"] - minutes) <= MINUTES_TOL
            line = np.asarray(route["lonlat"])
            # Edge lengths (so edge minutes) are measured in the study's UTM zone: alike here.
            x, y = study.network.to_projected(line[:, 0], line[:, 1])
            length = float(np.hypot(np.diff(x), np.diff(y)).sum())
            assert abs(length / mpm - minutes) <= MINUTES_TOL, (key, length / mpm, minutes)
            checked += 1
    assert checked > 500


@pytest.mark.browser
def test_reach_holds_every_node_python_reaches_in_15_minutes(page: Any, study: Study) -> None:
    network = study.network
    snap = study.residence_snap
    picked = _picked(study, 20, seed=18)
    ids = study.residences["residence_id"].to_numpy()[picked].tolist()
    reach = page.execute_script("return arguments[0].map(id => yushuMap.reach(id));", ids)
    polygons = isochrones(network, snap.subset(picked)).polygons
    for row, (i, result) in enumerate(zip(picked, reach, strict=True)):
        one = snap.subset(np.array([i]))
        # The start minutes include the access leg.
        nodes, start = point_sources(network, one, toward=False)
        dist = multi_source_minutes(network.csr(), nodes, start)
        python = set(np.flatnonzero(dist <= 15.0).tolist())
        level = result["levels"][2]
        assert level["minutes"] == 15
        js = set(level["nodes"])
        assert python <= js, f"residence {ids[row]}: JS misses {sorted(python - js)}"
        # ... and nothing beyond float32 rounding of the edge minutes.
        assert js <= set(np.flatnonzero(dist <= 15.0 + 1e-4).tolist())
        # Drawn with the study's buffer, the reached pieces cover isochrones' polygon.
        lines = [np.asarray(line) for line in level["lines"]]
        drawn = shapely.union_all(
            gpd.GeoSeries([shapely.LineString(line) for line in lines], crs="EPSG:4326")
            .to_crs(network.crs)
            .buffer(result["bufferM"], quad_segs=4)
        )
        official = polygons[row, 2]
        if official.is_empty:
            assert drawn.is_empty
            continue
        mismatch = drawn.symmetric_difference(official).area / official.area
        # (isochrones' buffer corners have a mean, not an inner, radius of buffer_m: ~0.5 %.)
        assert mismatch < 0.01, f"residence {ids[row]}: drawn reach differs by {mismatch:.1%}"


def _points_in_town(study: Study, count: int, seed: int) -> list[tuple[float, float]]:
    west, south, east, north = study.network.edges_frame().total_bounds
    rng = np.random.default_rng(seed)
    return [
        (float(round(rng.uniform(west, east), 7)), float(round(rng.uniform(south, north), 7)))
        for _ in range(count)
    ]


@pytest.mark.browser
def test_add_kindergartens_equals_python_what_if(page: Any, study: Study) -> None:
    points = _points_in_town(study, 3, seed=19)
    for k in range(1, len(points) + 1):
        coverage = page.execute_script(
            "yushuMap.reset(); let c;"
            "for (const [lon, lat] of arguments[0])"
            "  c = yushuMap.addFacility('kindergarten', lon, lat);"
            "return c;",
            points[:k],
        )
        added = gpd.GeoDataFrame(
            {"category": ["kindergarten"] * k},
            geometry=gpd.points_from_xy(*zip(*points[:k], strict=True)),
            crs="EPSG:4326",
        )
        scenario = study.with_facilities(added=added)
        after = scenario.access()
        js = page.execute_script(
            "return Array.from(yushuMap.engine.residenceMinutes('kindergarten'),"
            " m => isNaN(m) ? null : m);"
        )
        _same_minutes(js, after["walk_min_kindergarten"].to_numpy(), f"{k} added")
        _same_coverage(coverage, scenario.summary())
    before = study.access()["walk_min_kindergarten"].to_numpy()
    assert np.nanmean(after["walk_min_kindergarten"].to_numpy()) < np.nanmean(before)


@pytest.mark.browser
def test_table_computed_in_the_page_equals_the_study_summary(page: Any, study: Study) -> None:
    # Without Python's rows in the payload, every category's row is the page's own.
    table = page.execute_script(
        "const doc = JSON.parse(document.querySelector('script[id$=network]').textContent);"
        "return yushuEngine.loadPayload(doc).then((p) => {"
        "  p.coverage = null; return yushuEngine.createEngine(p).coverage(); });"
    )
    summary = study.summary()
    _same_coverage(table, summary)
    for key, row in summary.iterrows():
        for column in ("median_min", "p90_min"):
            assert abs(table[key][column] - row[column]) <= MINUTES_TOL, (key, column)
        assert table[key]["unreachable"] == row["unreachable"]


@pytest.mark.browser
def test_remove_facilities_equals_python_what_if(page: Any, study: Study) -> None:
    facilities = study.facilities
    gone = facilities.loc[facilities["category"] == "kindergarten", "facility_id"].tolist()[:2]
    gone += facilities.loc[facilities["category"] == "clinic", "facility_id"].tolist()[:1]
    coverage = page.execute_script(
        "let c; for (const id of arguments[0]) c = yushuMap.removeFacility(id); return c;", gone
    )
    scenario = study.with_facilities(removed=gone)
    after = scenario.access()
    for key in ("kindergarten", "clinic"):
        js = page.execute_script(
            "return Array.from(yushuMap.engine.residenceMinutes(arguments[0]),"
            " m => isNaN(m) ? null : m);",
            key,
        )
        _same_minutes(js, after[f"walk_min_{key}"].to_numpy(), f"{key} removed")
    _same_coverage(coverage, scenario.summary())
    back = page.execute_script("return yushuMap.reset();")
    _same_coverage(back, study.summary())


@pytest.mark.browser
def test_downloaded_scenario_reproduces_the_coverage_table(
    page: Any, study: Study, tmp_path: Path
) -> None:
    points = _points_in_town(study, 2, seed=20)
    gone = study.facilities.loc[study.facilities["category"] == "clinic", "facility_id"].iloc[0]
    csv, coverage = page.execute_script(
        "yushuMap.addFacility('kindergarten', ...arguments[0][0]);"
        "yushuMap.addFacility('clinic', ...arguments[0][1]);"
        "const c = yushuMap.removeFacility(arguments[1]);"
        "return [yushuMap.scenarioCsv(), c];",
        points,
        gone,
    )
    path = tmp_path / "scenario.csv"
    path.write_text(csv, encoding="utf-8")
    scenario = read_scenario(path)
    assert scenario.removed == [gone]
    assert scenario.added["category"].tolist() == ["kindergarten", "clinic"]
    after = study.with_facilities(added=scenario.added, removed=scenario.removed)
    counts = after.facilities["category"].value_counts().to_dict()
    _same_coverage(coverage, coverage_summary(after.access(), after.catalog, counts))


@pytest.mark.browser
def test_plan_command_reads_the_scenario_back(page: Any, study: Study, tmp_path: Path) -> None:
    from yushu_circle.cli import main

    points = _points_in_town(study, 1, seed=21)
    gone = study.facilities.loc[study.facilities["category"] == "clinic", "facility_id"].iloc[1]
    csv, coverage = page.execute_script(
        "yushuMap.addFacility('kindergarten', ...arguments[0][0]);"
        "const c = yushuMap.removeFacility(arguments[1]);"
        "return [yushuMap.scenarioCsv(), c];",
        points,
        gone,
    )
    path = tmp_path / "scenario.csv"
    path.write_text(csv, encoding="utf-8")
    out = tmp_path / "plan"
    assert main(["--quiet", "plan", "--out", str(out), "--scenario", str(path)]) == 0
    whatif = pd.read_csv(out / "whatif.csv", encoding="utf-8-sig").set_index("category")
    assert sorted(whatif.index) == ["clinic", "kindergarten"]
    for key, row in whatif.iterrows():
        level = f"{row['level_min']:g}"
        assert row["facilities_after"] == coverage[key]["facilities"]
        # whatif.csv keeps four decimals: within 0.1 percentage point either way.
        assert abs(row["share_pop_after"] - coverage[key][f"share_pop_{level}min"]) <= SHARE_TOL


# --- without a browser -------------------------------------------------------------------


def _engine(study: Study) -> str:
    """The study's engine payload as JSON text, as map.html carries it."""
    engine = study.results().engine
    assert engine is not None
    return engine


def _profile_engine(study: Study, network: WalkNetwork) -> str:
    """The engine payload of a walker profile's network (its own coverage table)."""
    counts = study.facilities["category"].value_counts().to_dict()
    coverage = coverage_summary(study.access(network=network), study.catalog, counts)
    payload = network_payload(
        network,
        study.residences,
        study.residence_snap,
        study.facilities,
        study.facility_snaps,
        study.catalog,
        snap_limit_m=study.options.snap_limit_m,
        synthetic=study.synthetic,
        coverage=coverage,
    )
    return payload_json(payload)


def test_payload_keeps_the_study_to_the_stated_precision(study: Study) -> None:
    payload = read_payload(_engine(study))
    network = study.network
    edges = payload["edges"]
    for name, exact in (("time_uv", network.time_uv), ("time_vu", network.time_vu)):
        assert np.allclose(edges[name], exact, rtol=2**-23, atol=0)
    assert np.array_equal(edges["u"], network.edge_u)
    lonlat = network.edges_frame().geometry.get_coordinates().to_numpy()
    ptr = edges["geom_ptr"]
    assert ptr[-1] == len(lonlat) - 2 * network.edge_count
    node_lon = payload["nodes"]["lon"] / payload["coord_scale"]
    first = network.edges_frame().geometry.apply(lambda g: g.coords[0][0]).to_numpy()
    assert np.max(np.abs(node_lon[network.edge_u] - first)) <= 0.5e-7 + 1e-12
    res = payload["residences"]
    snap = study.residence_snap
    assert np.allclose(res["frac"], snap.frac, rtol=0, atol=6e-8)
    access = snap.snap_m / network.metres_per_minute
    assert np.allclose(res["access"], np.where(snap.on_network, access, 0), rtol=1e-7)
    assert res["id"] == [str(i) for i in study.residences["residence_id"]]
    assert payload["synthetic"] is True
    assert sum(payload["coverage"][k]["facilities"] for k in payload["coverage"]) == len(
        study.facilities
    )


def test_payload_is_byte_identical_under_any_hash_seed(tmp_path: Path) -> None:
    script = (
        "import hashlib, sys; from yushu_circle import Study;"
        "print(hashlib.sha256(Study.demo().results().engine.encode()).hexdigest())"
    )
    digests = set()
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        digests.add(done.stdout.strip())
    assert len(digests) == 1


def test_payload_json_cannot_close_its_script_element(study: Study) -> None:
    from yushu_circle.render.network_payload import payload_script

    payload = json.loads(_engine(study))
    payload["facilities"]["name"][0] = "</script><script>alert(1)</script>"
    element = payload_script(payload_json(payload))
    assert element.count("</script>") == 1 and element.endswith("</script>")
    inner = element.split(">", 1)[1].rsplit("<", 1)[0]
    assert json.loads(inner)["facilities"]["name"][0] == payload["facilities"]["name"][0]
    assert payload_json(payload) != inner  # escaped, same JSON


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("action,facility_id,category\nadd,a,clinic\n", "lacks column(s) name, lon, lat"),
        ("action,facility_id,category,name,lon,lat\nmove,a,clinic,,97,33\n", "row 2: action"),
        ("action,facility_id,category,name,lon,lat\nadd,a,clinic,,east,33\n", "row 2:"),
        ("action,facility_id,category,name,lon,lat\nadd,a,,,97,33\n", "needs a category"),
    ],
)
def test_bad_scenario_files_say_which_row_and_value(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "scenario.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(message)) as caught:
        read_scenario(path)
    assert str(path) in str(caught.value)


def test_scenario_reader_keeps_ids_names_and_removed(tmp_path: Path) -> None:
    path = tmp_path / "scenario.csv"
    path.write_text(
        "action,facility_id,category,name,lon,lat\n"
        'add,added-1,kindergarten,"新园, ""东""",97.0109901,33.0050002\n'
        "remove,osm-node-1-clinic,clinic,,97.0017420,33.0056170\n",
        encoding="utf-8",
    )
    scenario = read_scenario(path)
    assert scenario.removed == ["osm-node-1-clinic"]
    assert scenario.added["name"].tolist() == ['新园, "东"']
    assert scenario.added.geometry.x.tolist() == [97.0109901]


def test_node_unit_tests_pass() -> None:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        if os.environ.get("YUSHU_REQUIRE_NODE") == "1":
            pytest.fail("node is not installed (Debian package nodejs)")
        pytest.skip("node is not installed (Debian package nodejs)")
    files = sorted(str(p) for p in (REPO / "tests" / "js").glob("*.test.mjs"))
    done = subprocess.run(
        [node, "--test", *files], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout


@pytest.mark.browser
def test_a_profile_network_with_asymmetric_minutes(
    browser: Any, study: Study, tmp_path: Path
) -> None:
    network = study.network
    slow = network.with_times(network.time_uv * 1.3, network.time_vu * 0.9, profile_name="test")
    engine = _profile_engine(study, slow)
    payload = json.loads(engine)
    assert payload["profile"] == "test"
    path = tmp_path / "profile.html"
    path.write_text(engine_page(engine), encoding="utf-8")
    browser.get(path.as_uri())
    deadline = time.monotonic() + 30
    while not browser.execute_script("return window.engineReady === true"):
        assert time.monotonic() < deadline, browser.get_log("browser")
        time.sleep(0.05)
    access = study.access(network=slow)
    for key in ("kindergarten", "clinic", "bus_stop"):
        js = browser.execute_script(
            "return Array.from(yushuMap.engine.residenceMinutes(arguments[0]),"
            " m => isNaN(m) ? null : m);",
            key,
        )
        _same_minutes(js, access[f"walk_min_{key}"].to_numpy(), key)
    assert payload["coverage"]["clinic"]["share_pop_15min"] == pytest.approx(
        browser.execute_script(
            "const doc = JSON.parse(document.querySelector('script[id$=network]').textContent);"
            "return yushuEngine.loadPayload(doc).then((p) => { p.coverage = null;"
            "  return yushuEngine.createEngine(p).coverage().clinic.share_pop_15min; });"
        ),
        abs=SHARE_TOL,
    )


def test_plan_refuses_add_and_scenario_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from yushu_circle.cli import main

    scenario = tmp_path / "scenario.csv"
    scenario.write_text("action,facility_id,category,name,lon,lat\n", encoding="utf-8")
    extra = tmp_path / "extra.csv"
    extra.write_text("name,category,lon,lat\nx,clinic,97.01,33.0\n", encoding="utf-8")
    args = ["--quiet", "plan", "--out", str(tmp_path / "out"), "--scenario", str(scenario)]
    assert main([*args, "--add", str(extra)]) == 2
    assert "--add and --scenario" in capsys.readouterr().err


def test_write_study_and_the_map_command_write_the_same_live_page(
    study: Study, tmp_path: Path
) -> None:
    from yushu_circle import write_study
    from yushu_circle.io import rebuild_maps

    out = tmp_path / "out"
    write_study(study, out, isochrones=False)
    first = (out / "map.html").read_bytes()
    assert b"yushuEngine" in first
    assert _engine(study).encode() == (out / "map_network.json").read_bytes()
    (out / "map.html").unlink()
    rebuild_maps(out)
    assert (out / "map.html").read_bytes() == first
    # An older folder without the network file: the precomputed view, and it says why.
    (out / "map_network.json").unlink()
    rebuild_maps(out)
    older = (out / "map.html").read_text(encoding="utf-8")
    assert "yushuEngine" not in older and "no map_network.json in the folder" in older
