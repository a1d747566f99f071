"""Supply and demand: two-step floating catchment (2SFCA, enhanced 2SFCA) per residence and area."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from yushu_circle.network import Snap, WalkNetwork
from yushu_circle.planning.areas import area_members
from yushu_circle.planning.completeness import LEVEL_POPULATION_MAX
from yushu_circle.planning.siting import candidate_reach, point_candidates
from yushu_circle.standards import Standard

if TYPE_CHECKING:
    from yushu_circle.study import Study

DECAY_STEPS = ((1 / 3, 1.0), (2 / 3, 0.68), (1.0, 0.22))
"""Enhanced 2SFCA's stepwise distance decay: (share of the catchment's minutes, weight).
The weights are Luo & Qi's (2009) Gaussian steps 1.00, 0.68, 0.22 over three equal zones."""
CAPACITY_FROM_FILE = "inventory 设施清单"
CAPACITY_FROM_NORM = "norm 千人指标 (standard-sized facility)"
CAPACITY_UNIT = "unit 1 per facility (no capacity, no norm)"


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
    facilities : GeoDataFrame
        Per facility: ``facility_id``, ``category``, ``name``, ``capacity``,
        ``capacity_source``, ``catchment_min``, ``catchment_population`` (demand in the
        catchment), ``ratio_per_1000`` (capacity per 1,000 of them), ``norm_per_1000``,
        ``needed`` (catchment population × the norm), ``overloaded`` (needed > capacity).
    areas : DataFrame
        Per area and category: ``population``, ``sfca_per_1000`` and ``e2sfca_per_1000``
        (population-weighted means), ``share_pop_no_supply`` (no facility in reach),
        ``norm_per_1000``.
    """

    residences: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    areas: pd.DataFrame

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
        for row in study.itertuples():
            over = self.overloaded
            result[str(row.category)] = {
                "sfca_per_1000": row.sfca_per_1000,
                "e2sfca_per_1000": row.e2sfca_per_1000,
                "share_pop_no_supply": row.share_pop_no_supply,
                "overloaded": over.loc[over["category"] == row.category, "facility_id"].tolist(),
            }
        return result


def standard_norms(standard: Standard) -> dict[str, float]:
    """Per-1,000-residents capacity norms (千人指标) of the standard's rows that give one.

    A row's ``per_1000`` (catalog's standards files: ``value``, ``unit``, ``basis``,
    ``verified``, ``source``) counts only where its basis is all residents: a norm per
    1,000 residents aged 60+ cannot be applied to a population without ages.
    """
    norms = {}
    for req in standard.requirements:
        norm = getattr(req, "per_1000", None)  # absent from standards files without norms
        if norm is None or req.category in norms:
            continue
        value = float(getattr(norm, "value", norm))
        basis = str(getattr(norm, "basis", "residents"))
        if np.isfinite(value) and value > 0 and basis == "residents":
            norms[req.category] = value
    return norms


def supply_demand(
    study: Study,
    standard: Standard,
    network: WalkNetwork | None = None,
    areas: gpd.GeoDataFrame | None = None,
    categories: Sequence[str] | None = None,
    norms: Mapping[str, float] | None = None,
) -> Supply:
    """2SFCA and enhanced 2SFCA for the standard's required categories, within each level.

    A facility's catchment is the residences that walk to it within its item's level
    (minutes). Capacity: the facility's ``capacity`` (the planner's inventory) where given;
    else a standard-sized facility: the norm (per 1,000 residents) × the largest
    population one life circle of the level serves (:data:`LEVEL_POPULATION_MAX`) / 1,000;
    else 1 per facility (the ratio is then facilities per 1,000 residents). Each facility
    says which (``capacity_source``).

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
    norms : mapping of str to float, optional
        Per-1,000 norms; default :func:`standard_norms`.

    Returns
    -------
    Supply
    """
    net = network or study.network
    norms = dict(standard_norms(standard) if norms is None else norms)
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
        capacity, source = _capacities(subset, norms.get(key), levels[key])
        found, ratio, e_ratio, demand = _catchments(
            net, residences, snap, capacity, population, limit
        )
        columns[sfca_column(key)] = 1000 * ratio
        columns[sfca_column(key, True)] = 1000 * e_ratio
        norm = norms.get(key, np.nan)
        needed = demand * norm / 1000
        facility_frames.append(
            gpd.GeoDataFrame(
                {
                    "facility_id": subset["facility_id"].astype(str).to_numpy(),
                    "category": key,
                    "name": subset["name"].astype(str).to_numpy(),
                    "capacity": capacity,
                    "capacity_source": source,
                    "catchment_min": limit,
                    "on_network": found,
                    "catchment_population": demand,
                    "ratio_per_1000": np.where(demand > 0, 1000 * capacity / demand, np.nan),
                    "norm_per_1000": norm,
                    "needed": needed,
                    "overloaded": np.nan_to_num(needed) > capacity,
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
    return Supply(table, per_facility, _area_table(table, areas, keys, norms))


def _capacities(
    subset: gpd.GeoDataFrame, norm: float | None, level: int
) -> tuple[np.ndarray, np.ndarray]:
    given = (
        pd.to_numeric(subset["capacity"], errors="coerce").to_numpy(dtype=float)
        if "capacity" in subset
        else np.full(len(subset), np.nan)
    )
    fallback = 1.0
    fallback_source = CAPACITY_UNIT
    if norm is not None and np.isfinite(norm):
        fallback = norm * LEVEL_POPULATION_MAX.get(level, 100_000) / 1000
        fallback_source = CAPACITY_FROM_NORM
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
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """On-network flag, 2SFCA and E2SFCA ratios per residence, catchment demand per facility."""
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
    return on, ratio, e_ratio, demand


def _area_table(
    table: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame | None,
    keys: Sequence[str],
    norms: Mapping[str, float],
) -> pd.DataFrame:
    polygons = (
        areas[areas["area_kind"] != "study"]
        if areas is not None
        else gpd.GeoDataFrame({"area": [], "area_kind": []}, geometry=[], crs="EPSG:4326")
    )
    population = table["population"].to_numpy(dtype=float)
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
                    "norm_per_1000": norms.get(key, np.nan),
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "area",
            "area_kind",
            "category",
            "population",
            "sfca_per_1000",
            "e2sfca_per_1000",
            "share_pop_no_supply",
            "norm_per_1000",
        ],
    )
