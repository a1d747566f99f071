"""Supply and demand (2SFCA, enhanced 2SFCA): an independent formula, the identity, PySAL."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from oracle import CRS, oracle_distances, projected_graph, random_planar_graph
from shapely.geometry import Point, box

from yushu_circle import Study, StudyOptions
from yushu_circle._resources import data_path
from yushu_circle.assumptions import (
    CapacityAssumption,
    CapacityAssumptions,
    load_capacity_assumptions,
)
from yushu_circle.errors import InputError
from yushu_circle.osm.sources import OSMData
from yushu_circle.planning.supply import (
    CAPACITY_ASSUMED,
    CAPACITY_FROM_FILE,
    CAPACITY_UNIT,
    DECAY_STEPS,
    assumed_column,
    decay_weights,
    sfca_column,
    supply_demand,
    two_step_ratio,
)
from yushu_circle.standards import Level, Requirement, Standard, load_standard

LIMIT = 8.0  # minutes at 60 m/min: 480 m catchments on a 1 km square town


def _assume(per_1000: float, served: float) -> CapacityAssumptions:
    row = CapacityAssumption("kindergarten", per_1000, "seats", "residents", served, "test", "t")
    return CapacityAssumptions((row,), "test assumptions", "t")


def _standard() -> Standard:
    level = Level(int(LIMIT), 480.0, "测试", "", True, "test")
    row = Requirement(int(LIMIT), "kindergarten", "幼儿园", True, True, "test")
    return Standard("test", "test standard", "测试标准", {int(LIMIT): level}, (row,), "test")


def _town(seed: int) -> tuple[Study, np.ndarray, np.ndarray]:
    """A random street town: 30 residences, 5 kindergartens with capacities (one missing)."""
    rng = np.random.default_rng(seed)
    graph = random_planar_graph(rng, 45, keep=0.9)
    homes = rng.uniform(0, 1000, size=(30, 2))
    sites = rng.uniform(0, 1000, size=(5, 2))
    population = rng.integers(5, 80, size=30).astype(float)
    capacity = np.array([40.0, 25.0, np.nan, 60.0, 10.0])
    residences = gpd.GeoDataFrame(
        {"residence_id": [f"r{i}" for i in range(30)], "population": population},
        geometry=[Point(x, y) for x, y in homes],
        crs=CRS,
    )
    facilities = gpd.GeoDataFrame(
        {
            "facility_id": [f"k{j}" for j in range(5)],
            "category": "kindergarten",
            "name": [f"K{j}" for j in range(5)],
            "source": "test",
            "capacity": capacity,
        },
        geometry=[Point(x, y) for x, y in sites],
        crs=CRS,
    )
    study = Study(
        OSMData(elements=[], label="random test town 示例", graph=graph),
        residences=residences,
        facilities=facilities,
        options=StudyOptions(speed_kmh=3.6, keep_all_components=True),
    )
    # walk minutes residence -> facility, by networkx on the split graph (the oracle)
    minutes = np.column_stack(
        [oracle_distances(graph, [tuple(p) for p in homes], [tuple(s)]) / 60.0 for s in sites]
    )
    return study, minutes, population


def _by_hand(
    minutes: np.ndarray, population: np.ndarray, capacity: np.ndarray, enhanced: bool
) -> np.ndarray:
    """2SFCA written out with loops over the dense matrix (Luo & Wang 2003; Luo & Qi 2009)."""

    def w(t: float) -> float:
        if not t <= LIMIT:
            return 0.0
        if not enhanced:
            return 1.0
        for upper, weight in DECAY_STEPS:
            if t <= upper * LIMIT:
                return weight
        return 0.0

    homes, sites = minutes.shape
    ratio = np.zeros(sites)
    for j in range(sites):
        demand = sum(population[i] * w(minutes[i, j]) for i in range(homes))
        ratio[j] = capacity[j] / demand if demand > 0 else 0.0
    return np.array([sum(ratio[j] * w(minutes[i, j]) for j in range(sites)) for i in range(homes)])


@pytest.mark.parametrize("seed", [1, 4])
def test_2sfca_against_the_formula_on_networkx_distances(seed: int) -> None:
    study, minutes, population = _town(seed)
    steps = [LIMIT * upper for upper, _ in DECAY_STEPS]
    assert not any(np.isclose(minutes, s, atol=1e-6).any() for s in steps)  # no ties
    assert ((minutes <= LIMIT).sum(axis=0) > 0).sum() >= 3  # most facilities have demand
    supply = supply_demand(study, _standard(), assumptions=_assume(5.0, 100_000))
    # the missing capacity is the assumption's: 5 per 1,000 × 100,000 served / 1,000
    capacity = supply.facilities["capacity"].to_numpy()
    assert capacity[2] == 500.0
    assert (
        supply.facilities["capacity_source"].tolist()
        == [CAPACITY_FROM_FILE] * 2 + [CAPACITY_ASSUMED] + [CAPACITY_FROM_FILE] * 2
    )
    assert supply.facilities["capacity_assumed"].tolist() == [False] * 2 + [True] + [False] * 2
    for enhanced in (False, True):
        got = supply.residences[sfca_column("kindergarten", enhanced)].to_numpy() / 1000
        expected = _by_hand(minutes, population, capacity, enhanced)
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    demand = supply.facilities["catchment_population"].to_numpy()
    np.testing.assert_allclose(demand, (population[:, None] * (minutes <= LIMIT)).sum(axis=0))
    needed = demand * 5.0 / 1000
    assert supply.facilities["overloaded"].tolist() == (needed > capacity).tolist()


@pytest.mark.parametrize("seed", [1, 4, 9])
def test_2sfca_identity_population_times_ratio_sums_to_served_capacity(seed: int) -> None:
    study, _, population = _town(seed)
    supply = supply_demand(study, _standard())
    facilities = supply.facilities
    served = facilities["capacity"][facilities["catchment_population"] > 0].sum()
    assert served > 0
    for enhanced in (False, True):
        ratio = supply.residences[sfca_column("kindergarten", enhanced)].to_numpy() / 1000
        assert float(np.sum(population * ratio)) == pytest.approx(served, rel=1e-12)
    whole = supply.areas[supply.areas["area_kind"] == "study"].iloc[0]
    assert whole["sfca_per_1000"] == pytest.approx(1000 * served / population.sum())


def test_2sfca_matches_pysal_access_on_the_same_travel_times() -> None:
    access = pytest.importorskip("access")
    _, minutes, population = _town(4)
    capacity = np.array([40.0, 25.0, 30.0, 60.0, 10.0])
    homes, sites = np.nonzero(np.isfinite(minutes))
    cost = pd.DataFrame({"origin": homes, "dest": sites, "cost": minutes[homes, sites]})
    model = access.Access(
        demand_df=pd.DataFrame({"rid": range(30), "pop": population}),
        demand_index="rid",
        demand_value="pop",
        supply_df=pd.DataFrame({"sid": range(5), "cap": capacity}),
        supply_index="sid",
        supply_value="cap",
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    theirs = model.two_stage_fca(name="2sfca", max_cost=LIMIT)["2sfca_cap"]
    step = access.weights.step_fn({LIMIT * u: w for u, w in DECAY_STEPS})
    theirs_e = model.enhanced_two_stage_fca(name="e2sfca", max_cost=LIMIT, weight_fn=step)[
        "e2sfca_cap"
    ]
    near = cost["cost"].to_numpy() <= LIMIT
    pair_f, pair_p = sites[near], homes[near]
    ours, _, _ = two_step_ratio(pair_f, pair_p, np.ones(near.sum()), capacity, population)
    weights = decay_weights(cost["cost"].to_numpy()[near], LIMIT)
    ours_e, _, _ = two_step_ratio(pair_f, pair_p, weights, capacity, population)
    np.testing.assert_allclose(ours, theirs.reindex(range(30)).fillna(0).to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(ours_e, theirs_e.reindex(range(30)).fillna(0).to_numpy(), rtol=1e-9)


def test_norms_are_the_planners_assumptions_not_the_standards() -> None:
    shipped = load_capacity_assumptions()
    assert shipped.file == "data/assumptions/capacity.toml"
    assert {r.category: (r.per_1000, r.capacity) for r in shipped.rows} == {
        "kindergarten": (30.0, 360.0),
        "primary_school": (60.0, 1500.0),
        "middle_school": (30.0, 3000.0),
        "nursing_home": (40.0, 4000.0),
    }
    # a norm per 1,000 of an age group waits for that population: not applied
    assert shipped.applied("nursing_home") is None and shipped.applied("bank") is None
    kindergarten = shipped.applied("kindergarten")
    assert kindergarten is not None
    text = kindergarten.text()
    assert "30 seats per 1,000 residents × 12,000 served = 360 seats" in text
    assert "not a GB 50180" in text and "data/assumptions/capacity.toml" in text
    for key in ("gb50180", "tdt1062"):  # no standard file carries a capacity norm
        assert not any(hasattr(r, "per_1000") for r in load_standard(key).requirements)


def test_a_standards_file_with_a_norm_is_sent_to_the_assumptions(tmp_path) -> None:
    from helpers import SMALL_STANDARD

    path = tmp_path / "s.toml"
    path.write_text(
        SMALL_STANDARD.replace("required = true", "required = true\nper_1000 = { value = 3 }", 1),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="capacity assumptions file"):
        load_standard(path)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (("per_1000 = 30", "per_1000 = -30"), ("[[capacity]] #1", "per_1000 = -30", "positive")),
        (("per_1000 = 30", 'per_1000 = "30"'), ("per_1000 = '30'", "a number")),
        (("population_served = 12000\n", ""), ("has no 'population_served'",)),
        (('unit = "seats"', 'unit = "seats"\nverified = true'), ("unknown key 'verified'",)),
        (('category = "primary_school"', 'category = "kindergarten"'), ("appears twice",)),
    ],
)  # fmt: skip
def test_bad_capacity_assumptions_name_file_row_and_fix(
    tmp_path, change: tuple[str, str], words: tuple[str, ...]
) -> None:
    from yushu_circle._resources import data_path

    text = data_path("assumptions", "capacity.toml").read_text(encoding="utf-8")
    assert change[0] in text
    path = tmp_path / "capacity.toml"
    path.write_text(text.replace(*change, 1), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_capacity_assumptions(path)
    message = caught.value.message
    assert str(path) in message and "fix:" in message, message
    for word in words:
        assert word in message, message


def _street(capacity: float | None = 40.0) -> tuple[Study, gpd.GeoDataFrame]:
    """One straight 1 km street; a kindergarten at 50 m (its capacity known or not); two homes
    in two areas.

    Home A (100 people) is 60 m from it (1 min at 60 m/min), home B (300 people) 420 m
    (7 min) — inside the 8-minute catchment, but in its last third (decay weight 0.22).
    """
    graph = projected_graph({0: (0.0, 0.0), 1: (1000.0, 0.0)}, [(0, 1)])
    residences = gpd.GeoDataFrame(
        {"residence_id": ["A", "B"], "population": [100.0, 300.0]},
        geometry=[Point(110.0, 0.0), Point(470.0, 0.0)],
        crs=CRS,
    )
    facilities = gpd.GeoDataFrame(
        {
            "facility_id": ["k"],
            "category": "kindergarten",
            "name": ["K"],
            "source": "test",
        }
        | ({} if capacity is None else {"capacity": [capacity]}),
        geometry=[Point(50.0, 0.0)],
        crs=CRS,
    )
    study = Study(
        OSMData(elements=[], label="one street 示例", graph=graph),
        residences=residences,
        facilities=facilities,
        options=StudyOptions(speed_kmh=3.6, keep_all_components=True),
    )
    areas = gpd.GeoDataFrame(
        {"area": ["west", "east"], "area_kind": "admin"},
        geometry=[box(-100, -100, 300, 100), box(300, -100, 1100, 100)],
        crs=CRS,
    ).to_crs("EPSG:4326")
    return study, areas


def test_2sfca_and_e2sfca_differ_where_a_catchment_spans_areas_and_agree_study_wide() -> None:
    """Why the demo's study-wide rows are equal: both methods share out the whole capacity."""
    study, areas = _street()
    supply = supply_demand(study, _standard(), areas=areas, assumptions=CapacityAssumptions.none())
    # by hand: 2SFCA R = 40 / 400; E2SFCA R = 40 / (100 × 1.00 + 300 × 0.22) = 40 / 166
    plain = {"A": 1000 * 40 / 400, "B": 1000 * 40 / 400}
    decayed = {"A": 1000 * 40 / 166, "B": 1000 * 0.22 * 40 / 166}
    homes = supply.residences.set_index("residence_id")
    for home in "AB":
        assert homes.loc[home, sfca_column("kindergarten")] == pytest.approx(plain[home])
        assert homes.loc[home, sfca_column("kindergarten", True)] == pytest.approx(decayed[home])
    rows = supply.areas.set_index("area")
    assert rows.loc["west", "sfca_per_1000"] == pytest.approx(100.0)
    assert rows.loc["east", "sfca_per_1000"] == pytest.approx(100.0)
    assert rows.loc["west", "e2sfca_per_1000"] == pytest.approx(1000 * 40 / 166)  # 241
    assert rows.loc["east", "e2sfca_per_1000"] == pytest.approx(1000 * 0.22 * 40 / 166)  # 53
    whole = supply.areas[supply.areas["area_kind"] == "study"].iloc[0]
    # the identity: Σ P·A = 40 seats for both, over 400 people
    assert whole["sfca_per_1000"] == pytest.approx(100.0)
    assert whole["e2sfca_per_1000"] == pytest.approx(100.0)
    assert not whole["capacity_assumed"] and whole["capacity_from"] == f"{CAPACITY_FROM_FILE}: 1"


def test_every_figure_on_an_assumed_capacity_is_flagged() -> None:
    study, areas = _street(capacity=None)  # nobody gave the kindergarten's capacity
    supply = supply_demand(study, _standard(), areas=areas, assumptions=_assume(30.0, 12_000))
    row = supply.facilities.iloc[0]
    assert row["capacity"] == 360.0 and row["capacity_source"] == CAPACITY_ASSUMED
    assert row["capacity_assumed"] and "360 seats" in row["assumption"]
    assert row["assumed_per_1000"] == 30.0
    assert supply.residences[assumed_column("kindergarten")].tolist() == [True, True]
    assert supply.areas["capacity_assumed"].all()
    assert all("not a GB 50180" in a for a in supply.areas["assumption"])
    brief = supply.brief()["kindergarten"]
    assert brief["capacity_assumed"] and brief["assumption"]["capacity"] == 360.0
    # without an assumption: one per facility, nothing assumed, no assumed column
    supply = supply_demand(study, _standard(), areas=areas, assumptions=CapacityAssumptions.none())
    assert supply.facilities["capacity_source"].tolist() == [CAPACITY_UNIT]
    assert not supply.facilities["capacity_assumed"].any()
    assert assumed_column("kindergarten") not in supply.residences
    assert supply.brief()["kindergarten"]["assumption"] is None


def test_plan_takes_the_planners_own_capacity_file(cli, tmp_path) -> None:
    text = data_path("assumptions", "capacity.toml").read_text(encoding="utf-8")
    mine = tmp_path / "bureau.toml"
    # the bureau's own figure: 45 kindergarten seats per 1,000 residents
    mine.write_text(
        text.replace('per_1000 = 30\nunit = "seats"', 'per_1000 = 45\nunit = "seats"', 1),
        encoding="utf-8",
    )
    out = tmp_path / "plan"
    result = cli("--quiet", "plan", "--capacity", mine, "--out", out)
    assert result.code == 0, result.err
    facilities = pd.read_csv(out / "supply_facilities.csv", encoding="utf-8-sig")
    kindergartens = facilities[facilities["category"] == "kindergarten"]
    assert len(kindergartens) and (kindergartens["capacity"] == 45 * 12_000 / 1000).all()
    assert kindergartens["assumption"].str.contains("45 seats per 1,000 residents").all()
    assert kindergartens["assumption"].str.contains(str(mine), regex=False).all()
    summary = json.loads((out / "plan_summary.json").read_text(encoding="utf-8"))
    assert summary["supply"]["kindergarten"]["assumption"]["file"] == str(mine)
    primary = facilities[facilities["category"] == "primary_school"]
    assert (primary["capacity"] == 60 * 25_000 / 1000).all()  # the rows left as shipped


def test_a_bad_capacity_file_fails_before_any_work(cli, tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('title = "x"\n[[capacity]]\ncategory = "kindergarten"\n', encoding="utf-8")
    out = tmp_path / "plan"
    result = cli("plan", "--capacity", bad, "--out", out)
    assert result.code == 2
    assert str(bad) in result.err and "per_1000" in result.err
    assert "loading OSM data" not in result.out + result.err  # refused before the study loads
    assert not out.exists()
