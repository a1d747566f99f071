"""Siting new facilities: candidate sites, who reaches each, and the chosen sites."""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from yushu_circle._core.coverage import coverage_pairs
from yushu_circle.access import (
    minutes_to_nearest,
    multi_source_minutes,
    point_sources,
)
from yushu_circle.errors import DataError, InputError
from yushu_circle.network import Snap, WalkNetwork
from yushu_circle.options import DEFAULT_METHOD, DEFAULT_SITES, SITES, SitingMethod, parse_choice
from yushu_circle.planning._shared import study_category
from yushu_circle.planning.cover import exact_cover, greedy_cover, rank_picks
from yushu_circle.user_points import _find_column, read_user_points

if TYPE_CHECKING:
    from yushu_circle.study import Study

MAX_CANDIDATES = 4000
"""Network-node candidates are thinned on a grid to at most this many for siting."""


@dataclass
class Siting:
    """New sites for one category, ranked by the population each newly brings in range.

    Attributes
    ----------
    category : str
    threshold_min : float
    method : str
        ``greedy``, or ``exact (proven optimal)`` / ``exact (time limit: best found)``.
    sites : GeoDataFrame
        ``rank``, ``candidate``, ``added_population``, ``added_residences``,
        ``covered_population_after``, ``share_pop_after``, point geometry (EPSG:4326).
    total_population, covered_before, covered_after : float
        Population of the study, and within the threshold before and after.
    candidates : int
        Number of candidates considered.
    seconds : dict of str to float
        Time spent building coverage and solving (for benchmarks; not written to any
        output, which must not change from run to run).
    """

    category: str
    threshold_min: float
    method: str
    sites: gpd.GeoDataFrame
    total_population: float
    covered_before: float
    covered_after: float
    candidates: int
    seconds: dict[str, float]

    @property
    def share_before(self) -> float:
        """Share of the population within the threshold today."""
        return self.covered_before / self.total_population if self.total_population else np.nan

    @property
    def share_after(self) -> float:
        """Share of the population within the threshold with the new sites."""
        return self.covered_after / self.total_population if self.total_population else np.nan

    def as_facilities(self) -> gpd.GeoDataFrame:
        """The sites as a facilities table, ready for :meth:`Study.with_facilities`."""
        return gpd.GeoDataFrame(
            {
                "facility_id": [f"site-{self.category}-{r}" for r in self.sites["rank"]],
                "category": self.category,
                "name": [f"new site 新选址 {r}" for r in self.sites["rank"]],
                "source": "siting",
            },
            geometry=self.sites.geometry.values,
            crs="EPSG:4326",
        )


@dataclass(frozen=True)
class Candidates:
    """Candidate sites placed on the network.

    Attributes
    ----------
    u, v : ndarray of int
        The two nodes a candidate reaches first (equal for a node candidate).
    start_u, start_v : ndarray of float
        Minutes from ``u`` / ``v`` to the candidate (incl. its access leg), by the one
        edge-end rule of :func:`yushu_circle.access.point_sources`.
    edge, frac, access : ndarray
        Each candidate's own edge (``-1`` for a node candidate), position on it from ``u``
        and access minutes, so residences on the same edge also reach it directly.
    x, y : ndarray of float
        Projected coordinates (network CRS) of the site.
    ids : ndarray
        Candidate ids.
    """

    u: np.ndarray
    v: np.ndarray
    start_u: np.ndarray
    start_v: np.ndarray
    edge: np.ndarray
    frac: np.ndarray
    access: np.ndarray
    x: np.ndarray
    y: np.ndarray
    ids: np.ndarray

    def __len__(self) -> int:
        return len(self.u)

    def subset(self, index: np.ndarray) -> Candidates:
        """The candidates at ``index``."""
        return Candidates(*(getattr(self, f.name)[index] for f in fields(self)))


def node_candidates(network: WalkNetwork, nodes: np.ndarray | None = None) -> Candidates:
    """Network nodes as candidate sites (all, or the given node indices)."""
    index = np.arange(network.node_count) if nodes is None else np.asarray(nodes, np.int64)
    zeros = np.zeros(len(index))
    return Candidates(
        index,
        index,
        zeros,
        zeros.copy(),
        np.full(len(index), -1, dtype=np.int64),
        zeros.copy(),
        zeros.copy(),
        network.node_xy[index, 0],
        network.node_xy[index, 1],
        network.node_ids[index],
    )


def point_candidates(
    network: WalkNetwork, snap: Snap, x: np.ndarray, y: np.ndarray, ids: np.ndarray
) -> Candidates:
    """Candidate sites from points (e.g. vacant lots) snapped onto edges; off-network dropped."""
    keep = snap.on_network & (snap.edge >= 0)
    snap = snap.subset(keep)
    nodes, minutes = point_sources(network, snap, toward=True)
    count = len(snap)
    return Candidates(
        nodes[:count],
        nodes[count:],
        minutes[:count],
        minutes[count:],
        snap.edge.astype(np.int64),
        snap.frac.astype(np.float64),
        snap.snap_m / network.metres_per_minute,
        np.asarray(x)[keep],
        np.asarray(y)[keep],
        np.asarray(ids)[keep],
    )


def coverage_matrix(
    network: WalkNetwork,
    residences: Snap,
    candidates: Candidates,
    threshold: float,
    demand: np.ndarray | None = None,
) -> sp.csr_matrix:
    """Which residences reach which candidate site within ``threshold`` minutes.

    Residences walk *to* the site, so each candidate runs one bounded search on the
    reversed graph from its ``u``/``v`` (the compiled kernel
    :func:`yushu_circle._core.coverage.coverage_pairs`); a residence then adds its walk
    from its edge's ends (the edge-end rule of :func:`yushu_circle.access.point_sources`),
    and a residence on the candidate's own edge also walks to it directly, as in
    :func:`yushu_circle.access.minutes_to_nearest`.

    Parameters
    ----------
    network : WalkNetwork
    residences : Snap
        Off-network residences never count as covered.
    candidates : Candidates
    threshold : float
        Minutes.
    demand : ndarray of bool, optional
        Only these residences are evaluated (others get no coverage); default all.

    Returns
    -------
    scipy.sparse.csr_matrix of bool
        Shape ``(candidates, residences)``.
    """
    sites, points, _ = candidate_reach(network, residences, candidates, threshold, demand)
    matrix = sp.csr_matrix(
        (np.ones(len(sites), dtype=bool), (sites, points)),
        shape=(len(candidates), len(residences)),
    )
    matrix.sort_indices()
    return matrix


def candidate_reach(
    network: WalkNetwork,
    residences: Snap,
    candidates: Candidates,
    threshold: float,
    demand: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (candidate, residence) pair within ``threshold`` minutes, with its walk minutes.

    The search behind :func:`coverage_matrix` (same parameters).

    Returns
    -------
    candidate, residence : ndarray of int64
        Candidate and residence indices of each pair.
    minutes : ndarray of float64
        Walk minutes from the residence to the candidate.
    """
    usable = residences.on_network & (residences.edge >= 0)
    ok = np.flatnonzero(usable if demand is None else usable & demand)
    chosen = residences.subset(ok)
    count = len(ok)
    # each residence hangs off both end nodes of its edge, sorted by node
    arc_node, arc_cost = point_sources(network, chosen, toward=False)
    arc_res = np.concatenate([np.arange(count), np.arange(count)])
    order = np.argsort(arc_node, kind="stable")
    arc_ptr = np.searchsorted(arc_node[order], np.arange(network.node_count + 1))
    by_edge = np.argsort(chosen.edge, kind="stable")
    edge_ptr = np.searchsorted(chosen.edge[by_edge], np.arange(network.edge_count + 1))
    m = len(candidates)
    reverse = network.csr(reverse=True)
    sites, points, minutes = coverage_pairs(
        reverse.indptr.astype(np.int64),
        reverse.indices.astype(np.int64),
        reverse.data.astype(np.float64),
        np.arange(0, 2 * m + 1, 2, dtype=np.int64),
        np.column_stack([candidates.u, candidates.v]).ravel().astype(np.int64),
        np.column_stack([candidates.start_u, candidates.start_v]).ravel().astype(np.float64),
        arc_ptr.astype(np.int64),
        arc_res[order].astype(np.int64),
        arc_cost[order].astype(np.float64),
        candidates.edge.astype(np.int64),
        candidates.frac.astype(np.float64),
        candidates.access.astype(np.float64),
        edge_ptr.astype(np.int64),
        by_edge.astype(np.int64),
        chosen.frac.astype(np.float64),
        (chosen.snap_m / network.metres_per_minute).astype(np.float64),
        network.time_uv.astype(np.float64),
        network.time_vu.astype(np.float64),
        float(threshold),
    )
    return sites, ok[points], minutes


@dataclass(frozen=True)
class SitingProblem:
    """A maximal covering problem on the network, ready for a solver.

    Attributes
    ----------
    network : WalkNetwork
    limit : float
        Minutes.
    pool : Candidates
    coverage : csr_matrix of bool
        Candidates × residences within ``limit``.
    weights : ndarray
        Population of each residence not yet served (0 for served or off-network ones).
    covered : ndarray of bool
        Residences within ``limit`` of an existing facility.
    seconds : float
        Time spent building it.
    """

    network: WalkNetwork
    limit: float
    pool: Candidates
    coverage: sp.csr_matrix
    weights: np.ndarray
    covered: np.ndarray
    seconds: float


def siting_problem(
    study: Study,
    category: str,
    candidates: str | Path | gpd.GeoDataFrame | None = None,
    threshold: float | None = None,
    network: WalkNetwork | None = None,
    max_candidates: int = MAX_CANDIDATES,
) -> SitingProblem:
    """The covering problem :func:`site_facilities` solves (same parameters)."""
    key = study_category(study, category).key
    net = network or study.network
    limit = float(threshold if threshold is not None else study.catalog[key].level)
    residences = study.residence_snap
    population = study.residences["population"].to_numpy(dtype=float)
    before = minutes_to_nearest(net, residences, study.facility_snaps[key], limit=limit)
    covered = before <= limit
    weights = np.where(covered | ~residences.on_network, 0.0, population)
    clock = time.perf_counter()
    if candidates is None:
        pool = node_candidates(net, _reachable_nodes(net, residences, weights > 0, limit))
        pool = _thin(pool, max_candidates)
    else:
        pool = _file_candidates(study, net, candidates)
    coverage = coverage_matrix(net, residences, pool, limit, demand=weights > 0)
    seconds = time.perf_counter() - clock
    return SitingProblem(net, limit, pool, coverage, weights, covered, seconds)


def site_facilities(
    study: Study,
    category: str,
    k: int = DEFAULT_SITES,
    candidates: str | Path | gpd.GeoDataFrame | None = None,
    threshold: float | None = None,
    method: SitingMethod | str = DEFAULT_METHOD,
    network: WalkNetwork | None = None,
    max_candidates: int = MAX_CANDIDATES,
) -> Siting:
    """Choose ``k`` new sites for a category that bring the most people within its threshold.

    Candidates are network nodes (thinned on a grid to ``max_candidates``, and only those a
    currently unserved residence can reach in time) or the points of a user file, e.g.
    vacant lots (polygons become a point inside).

    Parameters
    ----------
    study : Study
    category : str
        Catalog key.
    k : int
        Number of new sites.
    candidates : str, Path or GeoDataFrame, optional
        Candidate sites; default the network's nodes.
    threshold : float, optional
        Minutes; default the category's life-circle level.
    method : SitingMethod or {"greedy", "milp"}
        Greedy (fast, ≥ 63 % of the optimum) or exact (``milp``, the command line's name
        for it): :func:`yushu_circle.planning.cover.exact_cover`, proven optimal unless
        its time limit stops it.
    network : WalkNetwork, optional
        A walker profile's network; default the study's.
    max_candidates : int
        Cap on node candidates.

    Returns
    -------
    Siting
    """
    key = study_category(study, category).key
    k = int(SITES.check(k))
    method = parse_choice(SitingMethod, "siting method", method)
    problem = siting_problem(study, key, candidates, threshold, network, max_candidates)
    net, limit, pool, coverage = problem.network, problem.limit, problem.pool, problem.coverage
    weights, covered = problem.weights, problem.covered
    population = study.residences["population"].to_numpy(dtype=float)
    built = problem.seconds
    clock = time.perf_counter()
    how = "greedy"
    if method == SitingMethod.GREEDY:
        picks, _ = greedy_cover(coverage, weights, k)
    else:
        picks, _, optimal = exact_cover(coverage, weights, k)
        how = "exact (proven optimal)" if optimal else "exact (time limit: best found)"
    solved = time.perf_counter() - clock
    ranked = rank_picks(coverage, weights, picks)
    total = float(population.sum())
    covered_before = float(population[covered].sum())
    running = covered_before
    rows = []
    for rank, (c, added, count) in enumerate(ranked, start=1):
        running += added
        rows.append(
            {
                "rank": rank,
                "candidate": pool.ids[c],
                "added_population": added,
                "added_residences": count,
                "covered_population_after": running,
                "share_pop_after": running / total if total else np.nan,
            }
        )
    chosen = [c for c, _, _ in ranked]
    sites = gpd.GeoDataFrame(
        pd.DataFrame(
            rows,
            columns=[
                "rank",
                "candidate",
                "added_population",
                "added_residences",
                "covered_population_after",
                "share_pop_after",
            ],
        ),
        geometry=gpd.points_from_xy(pool.x[chosen], pool.y[chosen]),
        crs=net.crs,
    ).to_crs("EPSG:4326")
    return Siting(
        key,
        limit,
        how,
        sites,
        total,
        covered_before,
        running,
        len(pool),
        {"coverage": built, "solve": solved},
    )


def _reachable_nodes(
    network: WalkNetwork, residences: Snap, demand: np.ndarray, limit: float
) -> np.ndarray:
    """Nodes some demand residence reaches within ``limit`` (the only useful node sites)."""
    chosen = residences.subset(demand & residences.on_network & (residences.edge >= 0))
    if len(chosen) == 0:
        return np.zeros(0, dtype=np.int64)
    nodes, minutes = point_sources(network, chosen, toward=False)
    reached = multi_source_minutes(network.csr(), nodes, minutes, limit=limit)
    return np.flatnonzero(reached <= limit)


def _thin(pool: Candidates, cap: int) -> Candidates:
    """Keep one candidate per grid cell, the cell size doubling until at most ``cap`` remain."""
    if len(pool) <= cap:
        return pool
    cell = 10.0
    while True:
        keys = np.column_stack([np.floor(pool.x / cell), np.floor(pool.y / cell)])
        _, first = np.unique(keys, axis=0, return_index=True)
        if len(first) <= cap:
            return pool.subset(np.sort(first))
        cell *= 2.0


def _file_candidates(
    study: Study, network: WalkNetwork, source: str | Path | gpd.GeoDataFrame
) -> Candidates:
    if isinstance(source, gpd.GeoDataFrame):
        frame = source.to_crs("EPSG:4326")
        if not frame.geometry.geom_type.eq("Point").all():
            frame = frame.set_geometry(frame.geometry.representative_point())
    else:
        frame = read_user_points(source, study.options.datum, what="candidate sites")
    if frame.empty:
        raise InputError("the candidate sites hold no points", "give at least one candidate")
    id_col = _find_column(frame, ("candidate", "id", "name", "名称", "编号"))
    ids = frame[id_col].astype(str).to_numpy() if id_col else np.arange(1, len(frame) + 1)
    x, y = network.to_projected(frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy())
    snap = network.snap(x, y, study.options.snap_limit_m)
    pool = point_candidates(network, snap, x, y, ids)
    if len(pool) == 0:
        raise DataError(
            f"none of the {len(frame)} candidate sites is within "
            f"{study.options.snap_limit_m:g} m of a walkable street",
            "check the candidates' coordinates and --datum",
        )
    return pool
