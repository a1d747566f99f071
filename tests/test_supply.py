"""Supply and demand (2SFCA, enhanced 2SFCA): an independent formula, the identity, PySAL."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from oracle import CRS, oracle_distances, random_planar_graph
from shapely.geometry import Point

from yushu_circle import Study, StudyOptions
from yushu_circle.osm.sources import OSMData
from yushu_circle.planning.supply import (
    CAPACITY_FROM_FILE,
    CAPACITY_FROM_NORM,
    DECAY_STEPS,
    decay_weights,
    sfca_column,
    supply_demand,
    two_step_ratio,
)
from yushu_circle.standards import Level, Requirement, Standard

LIMIT = 8.0  # minutes at 60 m/min: 480 m catchments on a 1 km square town


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
    supply = supply_demand(study, _standard(), norms={"kindergarten": 5.0})
    # the missing capacity is a standard-sized kindergarten: 5 per 1,000 × 100,000 / 1,000
    capacity = supply.facilities["capacity"].to_numpy()
    assert capacity[2] == 500.0
    assert (
        supply.facilities["capacity_source"].tolist()
        == [CAPACITY_FROM_FILE] * 2 + [CAPACITY_FROM_NORM] + [CAPACITY_FROM_FILE] * 2
    )
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


def test_norms_only_where_the_basis_is_all_residents() -> None:
    from types import SimpleNamespace

    from yushu_circle.planning.supply import standard_norms

    def row(category: str, per_1000: object) -> SimpleNamespace:
        return SimpleNamespace(category=category, per_1000=per_1000)

    standard = SimpleNamespace(
        requirements=[
            row("kindergarten", SimpleNamespace(value=30.0, basis="residents")),
            row("elderly_care", SimpleNamespace(value=40.0, basis="residents aged 60+")),
            row("clinic", None),
            row("kindergarten", SimpleNamespace(value=99.0, basis="residents")),  # first wins
        ]
    )
    assert standard_norms(standard) == {"kindergarten": 30.0}  # type: ignore[arg-type]
