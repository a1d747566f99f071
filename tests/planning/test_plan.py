"""The whole plan (:mod:`yushu_circle.planning.plan`): the ``plan`` command's tables, the plan
map's walker view and sites, results read back from their folder, the civilization-practice
tiers beside the standard."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from street_town import street_town, write_standard

from yushu_circle import Study
from yushu_circle.errors import InputError


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


def test_plan_map_carries_the_plans_walker_view_and_sites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    standard_file = write_standard(tmp_path)
    from yushu_circle.access import edge_minutes
    from yushu_circle.planning.plan import PlanOptions, plan_results, run_plan
    from yushu_circle.render import plan_map as plan_map_module
    from yushu_circle.render.plan_map import plan_map

    study = street_town()
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


def test_plan_results_read_back_from_their_folder(tmp_path: Path) -> None:
    standard_file = write_standard(tmp_path)
    from yushu_circle.io import read_plan, write_plan_results
    from yushu_circle.planning.plan import PlanOptions, plan_results, run_plan

    study = street_town()
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
