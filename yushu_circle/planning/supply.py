"""Supply and demand: two-step floating catchment (2SFCA, enhanced 2SFCA) per residence and area.

Why 2SFCA and E2SFCA agree for the whole study (and for any area holding whole catchments):
both share out every facility's whole capacity over the people in its catchment, so
Σᵢ Pᵢ·Aᵢ is the summed capacity of the facilities with demand, whatever the weights; the
population-weighted mean is that over the population. The distance decay moves supply
between the residences of one catchment — nearer ones get more — which shows per residence
(``supply_residences.parquet``) and per area where a catchment spans areas, not in the
study-wide figure. A property of the method, not a defect (tests/test_supply.py builds a
case where the areas must differ).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from yushu_circle.assumptions import (
    CapacityAssumption,
    CapacityAssumptions,
    load_capacity_assumptions,
)
from yushu_circle.network import Snap, WalkNetwork
from yushu_circle.planning.areas import area_members
from yushu_circle.planning.siting import candidate_reach, point_candidates
from yushu_circle.standards import Standard

if TYPE_CHECKING:
    from yushu_circle.study import Study

DECAY_STEPS = ((1 / 3, 1.0), (2 / 3, 0.68), (1.0, 0.22))
"""Enhanced 2SFCA's stepwise distance decay: (share of the catchment's minutes, weight).
The weights are Luo & Qi's (2009) Gaussian steps 1.00, 0.68, 0.22 over three equal zones."""
CAPACITY_FROM_FILE = "inventory 设施清单"
CAPACITY_ASSUMED = "assumed 假设"
"""A capacity from the planner's assumptions (``data/assumptions/capacity.toml``)."""
CAPACITY_UNIT = "unit 1 per facility 按个数"
"""No capacity known and none assumed: each facility counts one, ratios count facilities."""


def sfca_column(category: str, enhanced: bool = False) -> str:
    """Column of the 2SFCA ratio (capacity per 1,000 residents), e.g. ``sfca_kindergarten``."""
    return f"{'e2sfca' if enhanced else 'sfca'}_{category}"


def decay_weights(minutes: np.ndarray, limit: float) -> np.ndarray:
    """Enhanced 2SFCA's step weight of each walk (0 beyond ``limit``), :data:`DECAY_STEPS`."""
    weights = np.zeros(len(minutes))
    for upper, weight in reversed(DECAY_STEPS):
        weights[minutes <= upper * limit] = weight
    return weights


def two_step_ratio(
    facility: np.ndarray,
    point: np.ndarray,
    weight: np.ndarray,
    capacity: np.ndarray,
    population: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The two steps of the floating catchment over (facility, point, weight) pairs.

    Step 1: each facility's ratio ``R_j = S_j / Σ_i w_ij P_i`` over the points in its
    catchment; step 2: each point's ``A_i = Σ_j w_ij R_j``. With weights 1 this is 2SFCA;
    with :func:`decay_weights`, the enhanced variant. ``Σ_i P_i A_i`` equals the summed
    capacity of the facilities with demand in their catchment.

    Parameters
    ----------
    facility, point : ndarray of int
        Indices of each pair within the catchment.
    weight : ndarray of float
        Distance-decay weight of each pair.
    capacity : ndarray of float
        Capacity per facility.
    population : ndarray of float
        Population per point.

    Returns
    -------
    ratio : ndarray
        ``A_i`` per point (capacity per resident).
    facility_ratio : ndarray
        ``R_j`` per facility (NaN where no demand).
    demand : ndarray
        ``Σ_i w_ij P_i`` per facility.
    """
    demand = np.bincount(
        facility, weights=weight * population[point], minlength=len(capacity)
    ).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        facility_ratio = np.where(demand > 0, capacity / demand, np.nan)
    gain = weight * np.nan_to_num(facility_ratio[facility])
    ratio = np.bincount(point, weights=gain, minlength=len(population)).astype(float)
    return ratio, facility_ratio, demand


@dataclass(frozen=True)
class Supply:
    """Supply and demand of the standard's categories (2SFCA), per residence, facility, area.

    Attributes
    ----------
    residences : GeoDataFrame
        ``residence_id``, ``population`` and per category ``sfca_<key>`` and
        ``e2sfca_<key>``: capacity per 1,000 residents within reach.
        Per category with an assumed capacity, ``assumed_<key>``: a facility in reach has
        an assumed capacity, so the residence's ratios rest on it.
    facilities : GeoDataFrame
        Per facility: ``facility_id``, ``category``, ``name``, ``capacity``,
        ``capacity_source`` (inventory, assumed or unit), ``capacity_assumed``,
        ``catchment_min``, ``catchment_population`` (demand in the catchment),
        ``ratio_per_1000`` (capacity per 1,000 of them), ``assumed_per_1000`` (the
        assumption's per-1,000 figure), ``needed`` (catchment population × that figure),
        ``overloaded`` (needed > capacity) and ``assumption`` (the assumption in words, with
        its numbers and file, wherever a figure of the row rests on it; else empty).
    areas : DataFrame
        Per area and category: ``population``, ``sfca_per_1000`` and ``e2sfca_per_1000``
        (population-weighted means), ``share_pop_no_supply`` (no facility in reach),
        ``capacity_assumed`` (some capacity of the category is assumed),
        ``assumed_per_1000``, ``capacity_from`` (facilities by capacity source) and
        ``assumption``.
    assumptions : CapacityAssumptions
        The assumptions the run used.
    """

    residences: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    areas: pd.DataFrame
    assumptions: CapacityAssumptions

    def facilities_table(self) -> pd.DataFrame:
        """The facilities without geometry, with ``lon``/``lat`` (``supply_facilities.csv``)."""
        frame = pd.DataFrame(self.facilities.drop(columns="geometry"))
        return frame.assign(
            lon=self.facilities.geometry.x.round(6), lat=self.facilities.geometry.y.round(6)
        ).set_index("facility_id")

    @property
    def overloaded(self) -> gpd.GeoDataFrame:
        """The facilities whose catchment needs more than their capacity."""
        return self.facilities[self.facilities["overloaded"].astype(bool)]

    def brief(self) -> dict[str, Any]:
        """Per category, the study-wide ratios and the overloaded facilities (for JSON)."""
        study = self.areas[self.areas["area_kind"] == "study"]
        result: dict[str, Any] = {}
        over = self.overloaded
        for row in study.itertuples():
            assumption = self.assumptions.applied(str(row.category))
            result[str(row.category)] = {
                "sfca_per_1000": row.sfca_per_1000,
                "e2sfca_per_1000": row.e2sfca_per_1000,
                "share_pop_no_supply": row.share_pop_no_supply,
                "overloaded": over.loc[over["category"] == row.category, "facility_id"].tolist(),
                "capacity_assumed": bool(row.capacity_assumed),
                "capacity_from": row.capacity_from,
                "assumption": None if assumption is None else assumption.brief(),
            }
        return result


def supply_demand(
    study: Study,
    standard: Standard,
    network: WalkNetwork | None = None,
    areas: gpd.GeoDataFrame | None = None,
    categories: Sequence[str] | None = None,
    assumptions: CapacityAssumptions | None = None,
) -> Supply:
    """2SFCA and enhanced 2SFCA for the standard's required categories, within each level.

    A facility's catchment is the residences that walk to it within its item's level
    (minutes). Capacity: the facility's ``capacity`` (the planner's inventory) where given;
    else the planner's assumption for its category (``per_1000 × population_served /
    1,000``, :mod:`yushu_circle.assumptions`), flagged as assumed in every output; else 1
    per facility (the ratio is then facilities per 1,000 residents). Each facility says
    which (``capacity_source``).

    Parameters
    ----------
    study : Study
    standard : Standard
    network : WalkNetwork, optional
        The walker's network; default the study's.
    areas : GeoDataFrame, optional
        ``Compliance.areas`` (``area``, ``area_kind``, polygons); the whole study always.
    categories : sequence of str, optional
        Default: the categories of the standard's ▲ rows that the catalog holds.
    assumptions : CapacityAssumptions, optional
        Default: the shipped ``data/assumptions/capacity.toml``.

    Returns
    -------
    Supply
    """
    net = network or study.network
    assumed = load_capacity_assumptions() if assumptions is None else assumptions
    levels: dict[str, int] = {}
    for req in standard.requirements:
        if req.required and req.category in study.catalog:
            levels.setdefault(req.category, req.level)
    keys = [k for k in (categories if categories is not None else levels) if k in levels]
    residences = study.residence_snap
    population = study.residences["population"].to_numpy(dtype=float)
    facilities = study.facilities
    columns: dict[str, Any] = {
        "residence_id": study.residences["residence_id"].to_numpy(),
        "population": population,
    }
    facility_frames = []
    for key in keys:
        limit = float(levels[key])
        subset = facilities[facilities["category"] == key]
        snap = study.facility_snaps[key]
        assumption = assumed.applied(key)
        capacity, source = _capacities(subset, assumption)
        found, ratio, e_ratio, demand, reached = _catchments(
            net, residences, snap, capacity, population, limit, source == CAPACITY_ASSUMED
        )
        columns[sfca_column(key)] = 1000 * ratio
        columns[sfca_column(key, True)] = 1000 * e_ratio
        if (source == CAPACITY_ASSUMED).any():
            columns[assumed_column(key)] = reached
        norm = np.nan if assumption is None else assumption.per_1000
        needed = demand * norm / 1000
        facility_frames.append(
            gpd.GeoDataFrame(
                {
                    "facility_id": subset["facility_id"].astype(str).to_numpy(),
                    "category": key,
                    "name": subset["name"].astype(str).to_numpy(),
                    "capacity": capacity,
                    "capacity_source": source,
                    "capacity_assumed": source == CAPACITY_ASSUMED,
                    "catchment_min": limit,
                    "on_network": found,
                    "catchment_population": demand,
                    "ratio_per_1000": np.where(demand > 0, 1000 * capacity / demand, np.nan),
                    "assumed_per_1000": norm,
                    "needed": needed,
                    "overloaded": np.nan_to_num(needed) > capacity,
                    # needed and overloaded rest on the assumption even beside a known capacity
                    "assumption": "" if assumption is None else assumption.text(),
                },
                geometry=subset.geometry.values,
                crs="EPSG:4326",
            )
        )
    table = gpd.GeoDataFrame(columns, geometry=study.residences.geometry.values, crs="EPSG:4326")
    per_facility = (
        gpd.GeoDataFrame(pd.concat(facility_frames, ignore_index=True), crs="EPSG:4326")
        if facility_frames
        else gpd.GeoDataFrame({"facility_id": [], "overloaded": []}, geometry=[], crs="EPSG:4326")
    )
    return Supply(table, per_facility, _area_table(table, per_facility, areas, keys), assumed)


def assumed_column(category: str) -> str:
    """Per residence: its ratios of ``category`` rest on an assumed capacity (``assumed_<key>``)."""
    return f"assumed_{category}"


def _capacities(
    subset: gpd.GeoDataFrame, assumption: CapacityAssumption | None
) -> tuple[np.ndarray, np.ndarray]:
    given = (
        pd.to_numeric(subset["capacity"], errors="coerce").to_numpy(dtype=float)
        if "capacity" in subset
        else np.full(len(subset), np.nan)
    )
    fallback, fallback_source = 1.0, CAPACITY_UNIT
    if assumption is not None:
        fallback, fallback_source = assumption.capacity, CAPACITY_ASSUMED
    known = np.isfinite(given) & (given >= 0)
    capacity = np.where(known, given, fallback)
    source = np.where(known, CAPACITY_FROM_FILE, fallback_source)
    return capacity, source


def _catchments(
    network: WalkNetwork,
    residences: Snap,
    snap: Snap,
    capacity: np.ndarray,
    population: np.ndarray,
    limit: float,
    assumed: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """On-network flag, 2SFCA and E2SFCA ratios per residence, catchment demand per facility,
    and per residence whether a facility flagged ``assumed`` has it in its catchment."""
    on = snap.on_network & (snap.edge >= 0)
    sites = point_candidates(network, snap, snap.x, snap.y, np.arange(len(snap)))
    index = np.flatnonzero(on)  # sites are the on-network facilities, in order
    site, point, minutes = candidate_reach(network, residences, sites, limit)
    cap = capacity[index]
    ones = np.ones(len(site))
    ratio, _, demand_on = two_step_ratio(site, point, ones, cap, population)
    e_ratio, _, _ = two_step_ratio(site, point, decay_weights(minutes, limit), cap, population)
    demand = np.zeros(len(snap))
    demand[index] = demand_on
    reached = np.zeros(len(population), dtype=bool)
    reached[point[assumed[index][site]]] = True
    return on, ratio, e_ratio, demand, reached


def _area_table(
    table: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame | None,
    keys: Sequence[str],
) -> pd.DataFrame:
    polygons = (
        areas[areas["area_kind"] != "study"]
        if areas is not None
        else gpd.GeoDataFrame({"area": [], "area_kind": []}, geometry=[], crs="EPSG:4326")
    )
    population = table["population"].to_numpy(dtype=float)
    per_category = {key: _category_flags(facilities, key) for key in keys}
    rows = []
    for (name, kind), index in area_members(table, polygons):
        pop = population[index]
        total = float(pop.sum())
        for key in keys:
            plain = table[sfca_column(key)].to_numpy()[index]
            enhanced = table[sfca_column(key, True)].to_numpy()[index]
            rows.append(
                {
                    "area": name,
                    "area_kind": kind,
                    "category": key,
                    "population": total,
                    "sfca_per_1000": float(np.sum(pop * plain) / total) if total else np.nan,
                    "e2sfca_per_1000": float(np.sum(pop * enhanced) / total) if total else np.nan,
                    "share_pop_no_supply": float(pop[plain <= 0].sum() / total)
                    if total
                    else np.nan,
                    **per_category[key],
                }
            )
    return pd.DataFrame(rows, columns=[*AREA_COLUMNS])


AREA_COLUMNS = (
    "area",
    "area_kind",
    "category",
    "population",
    "sfca_per_1000",
    "e2sfca_per_1000",
    "share_pop_no_supply",
    "capacity_assumed",
    "assumed_per_1000",
    "capacity_from",
    "assumption",
)
"""Columns of ``Supply.areas`` (``supply.csv``)."""


def _category_flags(facilities: gpd.GeoDataFrame, key: str) -> dict[str, Any]:
    """What a category's figures rest on: assumed capacities, the figure, the sources."""
    mine = facilities[facilities["category"] == key] if len(facilities) else facilities
    sources = mine["capacity_source"].astype(str) if len(mine) else pd.Series(dtype=str)
    counts = sources.value_counts()
    return {
        "capacity_assumed": bool(len(mine) and mine["capacity_assumed"].any()),
        "assumed_per_1000": float(mine["assumed_per_1000"].iloc[0]) if len(mine) else np.nan,
        "capacity_from": "; ".join(f"{s}: {counts[s]}" for s in sorted(counts.index)),
        "assumption": str(mine["assumption"].iloc[0]) if len(mine) else "",
    }
