"""Planning: compliance counted by hand, gaps, completeness, siting against brute force, what-if."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import scipy.sparse as sp
from oracle import CRS, oracle_distances, projected_graph, random_planar_graph
from shapely.geometry import Point, box

from yushu_circle import Study, StudyOptions, WalkNetwork
from yushu_circle.errors import InputError
from yushu_circle.osm.sources import OSMData
from yushu_circle.planning import (
    NOT_ASSESSED,
    compare,
    completeness,
    compliance,
    coverage_matrix,
    exact_cover,
    gaps,
    greedy_cover,
    milp_cover,
    node_candidates,
    point_candidates,
    site_facilities,
)

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


def _points(xy: list[tuple[float, float]], **columns: list) -> gpd.GeoDataFrame:
    geometry = [Point(X0 + x, Y0 + y) for x, y in xy]
    return gpd.GeoDataFrame(columns, geometry=geometry, crs=CRS)


def _street_town() -> Study:
    """One straight street, 0–2,000 m east, nodes every 200 m; walking 60 m/min.

    Residences 6 m north of the street at x = 100, 500, 1500, 1900 (population 10, 20, 30,
    40); kindergartens at x = 0 and 1600, a primary school at x = 1000 (on the street).
    """
    nodes = {i: (X0 + 200.0 * i, Y0) for i in range(11)}
    graph = projected_graph(nodes, [(i, i + 1) for i in range(10)])
    residences = _points(
        [(100, 6), (500, 6), (1500, 6), (1900, 6)],
        residence_id=["r1", "r2", "r3", "r4"],
        population=[10.0, 20.0, 30.0, 40.0],
    )
    facilities = _points(
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


@pytest.fixture
def standard_file(tmp_path: Path) -> Path:
    path = tmp_path / "test_standard.toml"
    path.write_text(STANDARD, encoding="utf-8")
    return path


def test_compliance_counted_by_hand(standard_file: Path) -> None:
    # Walks (m): r1 → K 106, School 906; r2 → K 506, School 506; r3 → K 106, School 506;
    # r4 → K 306 (5.1 min > 5), School 906. Kindergarten ≤ 5 min: r1, r3; school ≤ 10: r2, r3.
    study = _street_town()
    west = box(X0 - 50, Y0 - 50, X0 + 1000, Y0 + 50)
    east = box(X0 + 1000, Y0 - 50, X0 + 2050, Y0 + 50)
    areas = gpd.GeoDataFrame({"name": ["西社区", "东社区"]}, geometry=[west, east], crs=CRS)
    result = compliance(study, standard_file, areas=areas)
    meets = result.residences.set_index("residence_id")
    assert meets["meets_kindergarten_5min"].tolist() == [True, False, True, False]
    assert meets["meets_primary_school_10min"].tolist() == [False, True, True, False]
    assert meets["meets_all"].tolist() == [False, False, True, False]
    table = result.table.set_index(["area", "requirement"])
    assert table.loc[("全部 all", "kindergarten_5min"), "share_pop"] == pytest.approx(0.4)
    assert table.loc[("全部 all", "kindergarten_5min"), "share_res"] == pytest.approx(0.5)
    assert table.loc[("全部 all", "primary_school_10min"), "share_pop"] == pytest.approx(0.5)
    assert table.loc[("全部 all", "overall"), "share_pop"] == pytest.approx(0.3)
    assert table.loc[("西社区", "kindergarten_5min"), "share_pop"] == pytest.approx(10 / 30)
    assert table.loc[("西社区", "overall"), "share_pop"] == 0.0
    assert table.loc[("东社区", "primary_school_10min"), "share_pop"] == pytest.approx(30 / 70)
    rates = result.areas.set_index("area")["rate_pop"]
    assert rates.to_dict() == pytest.approx({"全部 all": 0.3, "西社区": 0.0, "东社区": 30 / 70})
    # the recommended clinic row is not assessed by default; recycling points have no data
    assert [r.label for r in result.skipped] == ["recycling_point_5min"]
    assert table.loc[("全部 all", "recycling_point_5min"), "status"] == NOT_ASSESSED
    assert [r.label for r in result.unverified] == ["primary_school_10min"]
    # per level: every assessed ▲ item of the level (recycling: no data, so not counted)
    assert table.loc[("全部 all", "level_5min"), "share_pop"] == pytest.approx(0.4)
    assert table.loc[("全部 all", "level_10min"), "share_pop"] == pytest.approx(0.5)
    assert table.loc[("东社区", "level_5min"), "share_pop"] == pytest.approx(30 / 70)
    assert table.loc[("全部 all", "level_10min"), "flag"].startswith("unverified")
    assert table.loc[("全部 all", "level_5min"), "flag"] == ""
    assert table.loc[("全部 all", "primary_school_10min"), "flag"].startswith("unverified")
    by_area = result.areas.set_index("area")
    assert by_area.loc["东社区", "level_10min"] == pytest.approx(30 / 70)
    assert by_area.loc["西社区", "item_kindergarten_5min"] == pytest.approx(10 / 30)
    assert result.first_failing().label == "kindergarten_5min"
    kinds = result.table.groupby("area")["row_kind"].value_counts().unstack()
    assert kinds.loc["西社区"].to_dict() == {"item": 2, "level": 2, "overall": 1}


def test_one_area_per_community_same_name_mostly_overlapping() -> None:
    from yushu_circle.planning import merge_same_communities

    big = box(X0, Y0, X0 + 1000, Y0 + 1000)
    inner = box(X0 + 50, Y0 + 50, X0 + 1000, Y0 + 1000)  # 90 % of the big one
    elsewhere = box(X0 + 5000, Y0, X0 + 6000, Y0 + 1000)
    areas = gpd.GeoDataFrame(
        {
            "area": [
                "示例社区A居住区 Demo Community A Residential Area (synthetic)",
                "示例社区A Demo Community A (synthetic)",
                "示例社区B Demo Community B",  # overlaps A fully but another name
                "示例社区A Demo Community A (synthetic)",  # same name, far away
            ],
            "area_kind": ["residential", "admin", "place", "place"],
        },
        geometry=[big, inner, inner, elsewhere],
        crs=CRS,
    )
    merged = merge_same_communities(areas, CRS)
    assert merged["area"].tolist() == [
        "示例社区A Demo Community A (synthetic)",
        "示例社区B Demo Community B",
        "示例社区A Demo Community A (synthetic)",
    ]
    assert merged["area_kind"].tolist() == ["admin", "place", "place"]
    assert merged["merged"].tolist() == ["admin+residential", "place", "place"]
    assert merged.to_crs(CRS).area.iloc[0] == pytest.approx(1e6)


def test_metres_measure_uses_the_standards_radius(standard_file: Path) -> None:
    # 600 m for the 10-minute level at 60 m/min is 10 minutes: same answer; kindergarten
    # 300 m = 5 min. Then a 1 km/h slower speed must not change a metres-based verdict.
    study = _street_town()
    by_minutes = compliance(study, standard_file, measure="minutes").residences
    by_metres = compliance(study, standard_file, measure="metres").residences
    assert by_minutes["meets_all"].tolist() == by_metres["meets_all"].tolist()
    with pytest.raises(InputError):
        compliance(study, standard_file, measure="furlongs")


def test_gaps_and_their_clusters_by_hand() -> None:
    found = gaps(_street_town(), categories=["kindergarten"], buffer_m=100.0)
    row = found.table.loc["kindergarten"]
    assert row["unserved_residences"] == 2
    assert row["unserved_population"] == 60.0
    # r2 (x=500, pop 20) and r4 (x=1900, pop 40) are 1.4 km apart: two clusters
    assert found.clusters["population"].tolist() == [40.0, 20.0]
    assert found.clusters["residences"].tolist() == [1, 1]


def test_completeness_flags_thin_categories_by_its_documented_rule() -> None:
    table = completeness(_street_town())
    # 2 kindergartens (< 3) and only 40 % of people within 5 min: thin
    assert table.loc["kindergarten", "thin"]
    assert "only 2" in table.loc["kindergarten", "warning"]
    # 1 school (< 3) but 50 % within 10 min, and 100 residents imply 1: not thin
    assert not table.loc["primary_school", "thin"]
    assert table.loc["clinic", "thin"] and table.loc["clinic", "facilities"] == 0


# --- siting ------------------------------------------------------------------------------


def _brute_force(coverage: np.ndarray, weights: np.ndarray, k: int) -> float:
    best = 0.0
    for combo in itertools.combinations(range(coverage.shape[0]), min(k, coverage.shape[0])):
        covered = coverage[list(combo)].any(axis=0)
        best = max(best, float(weights[covered].sum()))
    return best


def _covered(coverage: np.ndarray, weights: np.ndarray, picks: list[int]) -> float:
    return float(weights[coverage[picks].any(axis=0)].sum()) if picks else 0.0


@pytest.mark.parametrize("seed", range(40))
def test_greedy_and_milp_against_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m, d = int(rng.integers(3, 9)), int(rng.integers(4, 15))
    coverage = rng.random((m, d)) < rng.uniform(0.15, 0.5)
    weights = rng.integers(1, 50, size=d).astype(float)
    weights[rng.random(d) < 0.2] = 0.0  # already covered residences weigh nothing
    matrix = sp.csr_matrix(coverage)
    picks, gains = greedy_cover(matrix, weights, 1)
    assert sum(gains) == _brute_force(coverage, weights, 1)  # greedy is exact for k = 1
    for k in (2, 3):
        optimum = _brute_force(coverage, weights, k)
        exact, exact_value, proven = exact_cover(matrix, weights, k)
        assert proven and len(exact) <= k
        assert exact_value == pytest.approx(optimum)
        assert _covered(coverage, weights, exact) == pytest.approx(optimum)
        chosen, value, optimal = milp_cover(matrix, weights, k)
        assert optimal
        assert len(chosen) <= k
        assert value == pytest.approx(optimum)
        assert _covered(coverage, weights, chosen) == pytest.approx(optimum)
        picks, gains = greedy_cover(matrix, weights, k)
        assert sum(gains) == pytest.approx(_covered(coverage, weights, picks))
        assert sum(gains) >= (1 - 1 / math.e) * optimum - 1e-9


def test_greedy_can_miss_the_optimum_but_stays_within_its_bound() -> None:
    # The classic trap: the big middle set first, then only one of the two halves.
    coverage = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 0, 1], [0, 0, 1, 1, 1, 0]], dtype=bool)
    weights = np.array([1, 1, 1, 1, 1, 1.0])
    _, gains = greedy_cover(sp.csr_matrix(coverage), weights, 2)
    _, value, _ = milp_cover(sp.csr_matrix(coverage), weights, 2)
    picks, exact, proven = exact_cover(sp.csr_matrix(coverage), weights, 2)
    assert sum(gains) == 5.0 and value == exact == 6.0 == _brute_force(coverage, weights, 2)
    assert proven and picks == [1, 2]


@pytest.mark.parametrize("seed", [3, 11])
def test_coverage_matrix_matches_networkx(seed: int) -> None:
    rng = np.random.default_rng(seed)
    graph = random_planar_graph(rng, 40)
    network = WalkNetwork.from_graph(graph, speed_kmh=3.6, keep_all_components=True)
    homes = [tuple(p) for p in rng.uniform(0, 1000, size=(25, 2))]
    sites = [tuple(p) for p in rng.uniform(0, 1000, size=(6, 2))]
    snap = network.snap(*np.array(homes).T)
    site_snap = network.snap(*np.array(sites).T)
    threshold = 6.0  # minutes = 360 m
    pools = {
        "points": (point_candidates(network, site_snap, *np.array(sites).T, np.arange(6)), sites),
        "nodes": (
            node_candidates(network, np.arange(0, 40, 7)),
            [tuple(network.node_xy[i]) for i in range(0, 40, 7)],
        ),
    }
    for pool, where in pools.values():
        matrix = coverage_matrix(
            network,
            snap,
            pool,
            threshold,
        ).toarray()
        for c, site in enumerate(where):
            minutes = oracle_distances(graph, homes, [site]) / 60.0
            clear = np.abs(minutes - threshold) > 1e-6
            assert np.array_equal(matrix[c][clear], (minutes <= threshold)[clear])


def test_siting_adds_what_the_what_if_then_measures() -> None:
    study = _street_town()
    siting = site_facilities(study, "kindergarten", k=1, method="milp")
    assert siting.covered_before == 40.0
    # one new kindergarten can reach r2 or r4 (1.4 km apart), never both: r4 has 40 people
    assert siting.sites["added_population"].tolist() == [40.0]
    after = study.with_facilities(added=siting.as_facilities())
    minutes = after.access()["walk_min_kindergarten"].to_numpy()
    assert float(study.residences["population"][minutes <= 5].sum()) == siting.covered_after


# --- what-if -----------------------------------------------------------------------------


def test_facility_at_a_residences_door_leaves_only_its_access_leg() -> None:
    study = _street_town()
    before = study.access()
    snap = study.residence_snap
    door = gpd.GeoDataFrame(
        {"category": ["clinic"]}, geometry=[Point(snap.x[1], snap.y[1])], crs=CRS
    )
    after = study.with_facilities(added=door)
    assert after.network is study.network and after.residences is study.residences
    access = after.access()
    leg = snap.snap_m[1] / study.network.metres_per_minute
    assert access["walk_min_clinic"].iloc[1] == pytest.approx(leg, abs=1e-6)
    diff = compare(study, after)
    assert diff.categories == ["clinic"]
    assert diff.summary.loc["clinic", "facilities_after"] == 1
    assert diff.summary.loc["clinic", "residences_better"] == 4
    assert before["walk_min_clinic"].isna().all()  # the original study is untouched
    assert study.access()["walk_min_clinic"].isna().all()


def test_removing_facilities_and_unknown_ids() -> None:
    study = _street_town()
    after = study.with_facilities(removed=["k2"])
    minutes = after.access()["walk_min_kindergarten"].to_numpy()
    assert minutes[2] == pytest.approx((1500 + 6) / 60)  # r3 now walks to x = 0
    diff = compare(study, after)
    assert diff.summary.loc["kindergarten", "population_no_longer_within"] == 30.0
    with pytest.raises(InputError, match="nope"):
        study.with_facilities(removed=["nope"])


# --- command line ------------------------------------------------------------------------


def test_plan_command_writes_its_tables(cli, town_osm: Path, tmp_path: Path) -> None:
    import json

    import pandas as pd

    out = tmp_path / "plan"
    result = cli(
        "--quiet", "plan", "--osm-file", town_osm, "--profile", "elderly",
        "--site", "kindergarten", "--k", "2", "--method", "milp", "--out", out,
    )  # fmt: skip
    assert result.code == 0, result.err
    names = {p.name for p in out.iterdir()}
    assert {"compliance.csv", "profiles.csv", "gaps.parquet", "siting.csv"} <= names
    assert "达标率" in result.out and "unverified 未核实" in result.out
    table = pd.read_csv(out / "compliance.csv", encoding="utf-8-sig")
    assert set(table["verified"]) == {True, False}
    profiles = pd.read_csv(out / "profiles.csv", encoding="utf-8-sig")
    assert set(profiles["profile"]) == {"adult", "elderly", "child", "wheelchair"}
    summary = json.loads((out / "plan_summary.json").read_text(encoding="utf-8"))
    assert summary["profile"]["name"] == "elderly" and summary["unverified_rows"]
    siting = pd.read_csv(out / "siting.csv", encoding="utf-8-sig")
    assert siting["added_population"].is_monotonic_decreasing


@pytest.mark.slow
def test_plan_on_the_synthetic_demo_with_slope(cli, tmp_path: Path) -> None:
    from yushu_circle._resources import data_path

    out = tmp_path / "plan"
    dem = data_path("demo", "jiegu_synthetic_dem.tif")
    result = cli("--quiet", "plan", "--dem", dem, "--site", "clinic", "--k", "1", "--out", out)
    assert result.code == 0, result.err
    assert "SYNTHETIC" in result.out and "坡度" in result.out
    assert (out / "compliance_areas.parquet").exists()


def test_candidate_at_the_end_of_closed_steps_covers_as_access_measures() -> None:
    # Wheelchair: highway=steps closed (inf both ways). A candidate exactly at the steps'
    # end snaps onto the closed edge at fraction 1; 0 × inf must cost nothing, not NaN.
    from yushu_circle.access import minutes_to_nearest
    from yushu_circle.profiles import profile_network

    nodes = {1: (X0, Y0), 2: (X0 + 100, Y0), 3: (X0 + 200, Y0), 4: (X0 + 300, Y0)}
    graph = projected_graph(nodes, [(1, 2), (2, 3), (3, 4)])
    for u, v, data in graph.edges(data=True):
        if {u, v} == {1, 2}:
            data["highway"] = "steps"
    network = profile_network(
        WalkNetwork.from_graph(graph, speed_kmh=3.6, keep_all_components=True), "wheelchair"
    )
    site = network.snap(np.array([X0 + 100.0]), np.array([Y0]))
    assert network.edge_highway[site.edge[0]] == "steps"
    assert not np.isfinite(network.time_uv[site.edge[0]])
    home = network.snap(np.array([X0 + 190.0]), np.array([Y0]))
    assert minutes_to_nearest(network, home, site)[0] == pytest.approx(1.5)
    pool = point_candidates(network, site, site.x, site.y, np.array(["steps-end"]))
    assert np.isfinite([pool.start_u[0], pool.start_v[0]]).any()
    assert not np.isnan([pool.start_u[0], pool.start_v[0]]).any()
    assert coverage_matrix(network, home, pool, 1.6).toarray().tolist() == [[True]]
    assert coverage_matrix(network, home, pool, 1.4).toarray().tolist() == [[False]]


def test_plan_map_carries_the_plans_walker_view_and_sites(
    standard_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yushu_circle.access import edge_minutes
    from yushu_circle.planning.plan import PlanOptions, plan_results, run_plan
    from yushu_circle.render import plan_map as plan_map_module
    from yushu_circle.render.plan_map import plan_map

    study = _street_town()
    options = PlanOptions(
        standard=standard_file, profile="elderly", site="kindergarten", k=1, removed=("k2",)
    )
    plan = run_plan(study, options)
    assert plan.network.speed_kmh < study.network.speed_kmh
    results = plan_results(study, plan)
    captured: dict = {}

    def fake_map(results, view):  # type: ignore[no-untyped-def]
        captured.update(results=results, view=view)
        return "<html></html>"

    monkeypatch.setattr(plan_map_module, "coverage_map", fake_map)
    assert plan_map(results) == "<html></html>"
    walker = captured["results"]
    assert walker.access is plan.access  # the plan's walker, not the study's adult
    assert walker.summary is plan.coverage
    assert walker.meta["map_subtitle"] == "老年人 · elderly"
    assert walker.meta["speed_kmh"] == plan.network.speed_kmh
    # The streets carry the walker's minutes, from the plan's own search: the same numbers
    # as searching the walker's network afresh.
    searched = edge_minutes(plan.network, study.facility_snaps)
    for column in searched.columns:
        assert np.array_equal(walker.edges[column], searched[column], equal_nan=True), column
    # opens on the first failing item (kindergarten within 5 min: 40 % of people)
    view = captured["view"]
    assert view.category == "kindergarten"
    layers = {o.name_en: o for o in view.overlays}
    sites = layers["Proposed sites: kindergarten (greedy)"]
    assert sites.frame is plan.siting.sites
    assert "added_population" in sites.popup.values()
    whatif = [o for o in view.overlays if o.name_en.startswith("What-if")]
    assert [o.name_en for o in whatif] == [
        f"What-if: walk minutes saved · kindergarten (share "
        f"{plan.whatif.summary.loc['kindergarten', 'share_pop_before']:.0%} → "
        f"{plan.whatif.summary.loc['kindergarten', 'share_pop_after']:.0%})"
    ]


def test_plan_results_read_back_from_their_folder(tmp_path: Path, standard_file: Path) -> None:
    from yushu_circle.io import read_plan, write_plan_results
    from yushu_circle.planning.plan import PlanOptions, plan_results, run_plan

    study = _street_town()
    options = PlanOptions(standard=standard_file, site="kindergarten", k=1, removed=("k2",))
    results = plan_results(study, run_plan(study, options))
    written = write_plan_results(results, tmp_path)
    assert [p.name for p in written][-2:] == ["plan_map.html", "plan_summary.json"]
    back = read_plan(tmp_path)
    assert back.summary == json.loads(json.dumps(results.summary))
    assert back.walker is None and back.layers is None and back.text == ""
    assert back.areas.equals(results.areas)
    assert back.sites is not None and results.sites is not None
    assert back.sites.equals(results.sites)
    # CSV tables come back indexed as written, their numbers to the four decimals written.
    assert back.compliance.index.equals(results.compliance.index)
    shares = results.compliance["share_pop"].to_numpy(float)
    assert np.allclose(back.compliance["share_pop"], shares, atol=5e-5, equal_nan=True)
    assert back.whatif is not None and results.whatif is not None
    assert list(back.whatif.index) == list(results.whatif.index)
    (tmp_path / "compliance.csv").unlink()
    with pytest.raises(InputError, match=r"missing compliance\.csv"):
        read_plan(tmp_path)


@pytest.mark.parametrize("seed", range(6))
def test_exact_cover_against_brute_force_on_larger_instances(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    m, d = 14, 40
    # overlapping neighbourhoods, like sites on a street grid: greedy often misses here
    centres = rng.uniform(0, 10, size=m)
    points = rng.uniform(0, 10, size=d)
    coverage = np.abs(centres[:, None] - points[None, :]) < rng.uniform(0.8, 2.5, size=(m, 1))
    weights = rng.integers(1, 30, size=d).astype(float)
    for k in (2, 3, 4):
        optimum = _brute_force(coverage, weights, k)
        picks, value, proven = exact_cover(sp.csr_matrix(coverage), weights, k)
        assert proven and len(picks) <= k
        assert value == pytest.approx(optimum)
        assert _covered(coverage, weights, picks) == pytest.approx(optimum)


def test_exact_cover_past_its_time_limit_returns_greedy_unproven() -> None:
    coverage = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 0, 1], [0, 0, 1, 1, 1, 0]], dtype=bool)
    weights = np.ones(6)
    picks, value, proven = exact_cover(sp.csr_matrix(coverage), weights, 2, time_limit=0.0)
    assert not proven
    assert value == 5.0 and picks == [0, 1]  # greedy's trap, honestly marked unproven


def test_the_plan_assesses_the_civilization_practice_tiers_beside_the_standard() -> None:
    from yushu_circle.planning.plan import run_plan

    plan = run_plan(Study.demo())
    table = plan.compliance.table
    tiers = table[table["requirement"].str.startswith("civilization_")]
    assert set(tiers["requirement"]) == {
        "civilization_center_15min",
        "civilization_institute_15min",
        "civilization_station_15min",
        "civilization_point_5min",
    }
    assert not tiers["verified"].astype(bool).any()  # the planner's own items, not the standard's
    # The demo's community F lies beyond 15 minutes of every station (示例, by construction).
    station = tiers[tiers["requirement"] == "civilization_station_15min"].set_index("area")
    assert any(station.loc[a, "share_pop"] == 0.0 for a in station.index if "F" in str(a))
    # They never count towards a level or the overall 达标率.
    assert all(not r.planner for r in plan.compliance.assessed if r.required)
