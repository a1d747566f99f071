"""Walking-reach polygons (5/10/15-minute isochrones) for every residence, fast enough for a city.

How it works (see ``../shared/DESIGN.md``, "Isochrones"):

1. Residences that snap to the same place (same edge, same offset to the centimetre) share one
   bounded Dijkstra search (numba, over arrays, limited to the largest budget); every
   threshold and every access leg at that place is answered from that one search.
2. From the node times, each threshold's reached *pieces* of edges are exact: whole edges,
   the reached ends of partly reached edges, and the stretch of the residence's own edge.
3. The pieces are chained into long trails (at each node the straightest pairs of pieces
   continue each other), so a street crossing costs no round caps.
4. The polygon is the union of the trails buffered by ``buffer_m``. Each trail's outline is
   its Minkowski sum with one fixed regular polygon of ``4 × quad_segs`` corners (drawn in
   numba; every arc's corners sit at the same angles), and Clipper2 (``pyclipr``, integer
   coordinates of 0.1 mm) unions a polygon's outlines into a shell and holes. The Minkowski
   sum with a fixed shape is monotone, so the thresholds nest exactly.
5. Batches of places stream out (:func:`iter_isochrones`), optionally from worker processes,
   so a city's worth of polygons never has to sit in memory at once.
"""

from __future__ import annotations

import itertools
import multiprocessing
import weakref
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely

from yushu_circle._core.isochrone import reach_pieces
from yushu_circle.errors import InputError
from yushu_circle.network import Snap, WalkNetwork
from yushu_circle.options import DEFAULT_ISO_BUFFER_M, DEFAULT_ISO_MINUTES
from yushu_circle.outline_union import DIRECT_BELOW, Cells, OutlineUnion

DEFAULT_QUAD_SEGS = 4
"""Corners per quarter circle of the buffer's round ends (as GEOS's ``quad_segs``)."""
_OFFSET_DECIMALS = 2  # places on one edge closer than 1 cm share a search
_BUDGET_DECIMALS = 6  # walking budgets equal to 1e-6 min share a polygon
_SCALE = 1e4  # Clipper integer units per metre (0.1 mm; Clipper2 takes 62-bit integers)


@dataclass
class Isochrones:
    """Reach polygons of a set of origins.

    Attributes
    ----------
    minutes : tuple of float
        The thresholds, in the order of the columns of ``polygons``.
    polygons : ndarray of shapely geometry, shape (origins, thresholds)
        Polygon or MultiPolygon per origin and threshold, in the network's CRS; empty where
        the threshold is shorter than the access leg or the origin is off the network.
    searches : int
        Shortest-path searches run (one per distinct snapped place).
    built : int
        Distinct polygons built (origins with equal place and access leg share one).
    """

    minutes: tuple[float, ...]
    polygons: np.ndarray
    searches: int = 0
    built: int = 0


@dataclass
class _Prepared:
    """Per-network arrays, built once (linear time) and reused for every batch."""

    arc_ptr: np.ndarray
    arc_head: np.ndarray
    arc_time: np.ndarray
    arc_edge: np.ndarray
    time_uv: np.ndarray
    time_vu: np.ndarray
    coord_ptr: np.ndarray
    coords: np.ndarray
    cum: np.ndarray
    origin: tuple[float, float]
    """Subtracted from coordinates before scaling to Clipper's integers."""
    cells: Cells


def isochrones(
    network: WalkNetwork,
    origins: Snap,
    minutes: Sequence[float] = DEFAULT_ISO_MINUTES,
    buffer_m: float = DEFAULT_ISO_BUFFER_M,
    quad_segs: int = DEFAULT_QUAD_SEGS,
    batch_size: int = 512,
    threads: int = 1,
    progress: bool = False,
) -> Isochrones:
    """Walking-reach polygons of every origin for every threshold.

    The reach of an origin within ``t`` minutes is every point of the walk network whose
    walk time from the origin is at most ``t`` — the origin's straight access leg to its
    edge (``snap_m`` at the network's flat speed), then along the network with the
    per-direction edge times (``time_uv`` from ``u`` to ``v``) — buffered by ``buffer_m``.
    Partly reached edges contribute their reached part, so polygons are exact up to the
    buffer's corners: round ends are regular polygons of ``N = 4 · quad_segs`` corners whose
    mean width is ``2 · buffer_m``, so the boundary lies between ``buffer_m · (1 − (π/N)²/3)``
    and ``buffer_m · (1 + (π/N)²/6)`` from the reached streets (−1.3 % … +0.7 % for the
    default ``quad_segs = 4``). Thresholds nest exactly: 5 ⊂ 10 ⊂ 15.

    All polygons are kept in memory; for a whole city stream them with
    :func:`iter_isochrones`.

    Parameters
    ----------
    network : WalkNetwork
        The walk network.
    origins : Snap
        Snapped origins (residences); off-network origins get empty polygons.
    minutes : sequence of float
        Thresholds, minutes (default 5, 10, 15).
    buffer_m : float
        Half-width of the polygon around reached streets, metres (default 25).
    quad_segs : int
        Corners per quarter circle of the round ends (default 4).
    batch_size : int
        Distinct origin places per batch.
    threads : int
        Worker processes (see :func:`iter_isochrones`).
    progress : bool
        Show a progress bar.

    Returns
    -------
    Isochrones

    Raises
    ------
    InputError
        When a threshold, the buffer width or ``quad_segs`` is not a positive number.
    """
    plan = _plan(network, origins, minutes, buffer_m, quad_segs)
    empty = shapely.from_wkt("POLYGON EMPTY")
    polygons = np.full((len(origins), len(plan.minutes)), empty, dtype=object)
    for rows, batch in _run(network, plan, batch_size, threads, progress):
        polygons[rows] = batch
    return Isochrones(plan.minutes, polygons, searches=plan.searches, built=plan.built)


def iter_isochrones(
    network: WalkNetwork,
    origins: Snap,
    minutes: Sequence[float] = DEFAULT_ISO_MINUTES,
    buffer_m: float = DEFAULT_ISO_BUFFER_M,
    quad_segs: int = DEFAULT_QUAD_SEGS,
    batch_size: int = 512,
    threads: int = 1,
    progress: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The polygons of :func:`isochrones`, batch by batch, so memory stays bounded.

    Parameters are those of :func:`isochrones`. ``threads`` above 1 runs batches in that
    many worker processes (Clipper2 holds the GIL, so threads would not help), used when
    there are at least two batches per worker; each worker takes a few seconds to start,
    and, as always with ``spawn``, a calling script needs an ``if __name__ == "__main__"``
    guard. At most two batches per worker are in flight.

    Yields
    ------
    rows : ndarray of int64
        Indices into ``origins`` (on-network origins only; the others' polygons are empty).
    polygons : ndarray of shapely geometry, shape (len(rows), thresholds)
        Their polygons, columns in the order of ``minutes``.
    """
    plan = _plan(network, origins, minutes, buffer_m, quad_segs)
    yield from _run(network, plan, batch_size, threads, progress)


@dataclass
class _Plan:
    """Who shares what: distinct places (one search each) and jobs (one polygon each)."""

    minutes: tuple[float, ...]
    pattern: np.ndarray
    rows: np.ndarray  # on-network origins, sorted by place
    row_place: np.ndarray  # place of each of rows
    row_jobs: np.ndarray  # (rows, thresholds) -> job
    place_edge: np.ndarray
    place_frac: np.ndarray
    place_job_ptr: np.ndarray
    job_budget: np.ndarray

    @property
    def searches(self) -> int:
        return len(self.place_edge)

    @property
    def built(self) -> int:
        return len(self.job_budget)


def _plan(
    network: WalkNetwork,
    origins: Snap,
    minutes: Sequence[float],
    buffer_m: float,
    quad_segs: int,
) -> _Plan:
    thresholds = _check_minutes(minutes)
    if not (np.isfinite(buffer_m) and buffer_m > 0):
        raise InputError(
            f"isochrone buffer {buffer_m!r} m is not a positive number",
            "pass a width above 0 metres, e.g. 25",
        )
    if int(quad_segs) < 1:
        raise InputError(
            f"isochrone quad_segs {quad_segs!r} is below 1", "pass 1 or more corners, e.g. 4"
        )
    k = len(thresholds)
    idx = np.flatnonzero(origins.on_network & (origins.edge >= 0))
    # Places: distinct (edge, offset) — one search each.
    edge = origins.edge[idx]
    offset = np.round(origins.frac[idx] * network.edge_length[edge], _OFFSET_DECIMALS)
    places, place_of = np.unique(
        np.column_stack([edge.astype(float), offset]).reshape(-1, 2), axis=0, return_inverse=True
    )
    place_of = place_of.ravel()
    place_edge = places[:, 0].astype(np.int64)
    length = network.edge_length[place_edge]
    place_frac = np.where(length > 0, places[:, 1] / np.where(length > 0, length, 1.0), 0.0)
    # Jobs: distinct (place, budget) — one polygon each.
    access = origins.snap_m[idx] / network.metres_per_minute
    budgets = np.round(np.asarray(thresholds)[None, :] - access[:, None], _BUDGET_DECIMALS)
    job_keys = np.column_stack([np.repeat(place_of, k).astype(float), budgets.ravel()])
    jobs, job_of = np.unique(job_keys.reshape(-1, 2), axis=0, return_inverse=True)
    order = np.argsort(place_of, kind="stable")
    return _Plan(
        minutes=thresholds,
        pattern=_pattern(buffer_m, int(quad_segs)),
        rows=idx[order],
        row_place=place_of[order],
        row_jobs=job_of.reshape(len(idx), k)[order],
        place_edge=place_edge,
        place_frac=np.clip(place_frac, 0.0, 1.0),
        place_job_ptr=np.searchsorted(jobs[:, 0].astype(np.int64), np.arange(len(places) + 1)),
        job_budget=jobs[:, 1],
    )


def _run(
    network: WalkNetwork, plan: _Plan, batch_size: int, threads: int, progress: bool
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Batches of (rows, polygons), in place order."""
    from tqdm.auto import tqdm

    places = plan.searches
    bounds = [*range(0, places, max(1, int(batch_size))), places]
    row_ptr = np.searchsorted(plan.row_place, bounds)
    bar = tqdm(total=len(plan.rows), desc="isochrones 等时圈", unit="res", disable=not progress)
    try:
        for b, polygons in enumerate(_batches(network, plan, bounds, threads)):
            r0, r1 = row_ptr[b], row_ptr[b + 1]
            j0 = plan.place_job_ptr[bounds[b]]
            bar.update(int(r1 - r0))
            yield plan.rows[r0:r1], polygons[plan.row_jobs[r0:r1] - j0]
    finally:
        bar.close()


def _batches(
    network: WalkNetwork, plan: _Plan, bounds: list[int], threads: int
) -> Iterator[np.ndarray]:
    """The jobs' polygons of each batch of places ``bounds[b]:bounds[b + 1]``, in order."""
    prepared = prepare(network)
    arrays = _Kernel.of(network, plan.pattern)
    tasks = _tasks(plan, bounds)
    if threads <= 1 or len(tasks) < 2 * threads:
        for task in tasks:
            yield _to_shapely(*arrays.rings(*task), prepared.origin)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(threads, context, _start_worker, (arrays,)) as pool:
        pending: deque[Future[tuple[np.ndarray, np.ndarray, np.ndarray]]] = deque()
        for task in tasks:  # at most 2 batches per worker in flight: bounded memory
            pending.append(pool.submit(_worker_rings, *task))
            if len(pending) >= 2 * threads:
                yield _to_shapely(*pending.popleft().result(), prepared.origin)
        while pending:
            yield _to_shapely(*pending.popleft().result(), prepared.origin)


def _tasks(plan: _Plan, bounds: list[int]) -> list[tuple[np.ndarray, ...]]:
    """The arguments of :meth:`_Kernel.rings` for each batch of places."""
    return [
        (
            plan.place_edge[start:stop],
            plan.place_frac[start:stop],
            plan.place_job_ptr[start : stop + 1] - plan.place_job_ptr[start],
            plan.job_budget[plan.place_job_ptr[start] : plan.place_job_ptr[stop]],
        )
        for start, stop in itertools.pairwise(bounds)
    ]


KERNEL_STAGES = ("search", "outline")
"""The isochrone kernels in two parts a first run compiles in two processes at once."""


def run_kernel_stage(network: WalkNetwork, origins: Snap, stage: str) -> None:
    """Run one part of the isochrone kernels on ``origins`` and drop the result.

    What a first run does on a tiny grid to compile that part (numba compiles a kernel when
    first called, for the argument types of that call; these are the calls, and so the
    types, :func:`isochrones` makes): ``"search"`` the bounded search
    (:func:`~yushu_circle._core.isochrone.reach_pieces`), ``"outline"`` the outlines and
    their union (:func:`~yushu_circle._core.isochrone.full_levels`,
    :func:`~yushu_circle._core.isochrone.outlines`), there of every edge reached wholly and
    half, so it needs no search.

    Parameters
    ----------
    network : WalkNetwork
        The network (a tiny one: the result is thrown away).
    origins : Snap
        Snapped origins on it.
    stage : str
        One of :data:`KERNEL_STAGES`.
    """
    if stage not in KERNEL_STAGES:
        raise ValueError(f"isochrone kernel stage {stage!r} is not one of {KERNEL_STAGES}")
    plan = _plan(network, origins, DEFAULT_ISO_MINUTES, DEFAULT_ISO_BUFFER_M, DEFAULT_QUAD_SEGS)
    kernel = _Kernel.of(network, plan.pattern)
    if stage == "search":
        kernel.pieces(*_tasks(plan, [0, plan.searches])[0])
        return
    edges = network.edge_count
    piece_job = np.repeat(np.arange(2, dtype=np.int64), edges)
    piece_edge = np.tile(np.arange(edges, dtype=np.int64), 2)
    piece_f1 = np.concatenate([np.ones(edges), np.full(edges, 0.5)])
    kernel.union.polygons(piece_job, piece_edge, np.zeros(2 * edges), piece_f1, 2)


_WORKER: dict[str, _Kernel] = {}


def _start_worker(arrays: _Kernel) -> None:
    _WORKER["arrays"] = arrays


def _worker_rings(*task: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _WORKER["arrays"].rings(*task)


_PREPARED: dict[int, _Prepared] = {}


def prepare(network: WalkNetwork) -> _Prepared:
    """Arrays of a network for :func:`isochrones` (built once per network object, then reused)."""
    key = id(network)
    cached = _PREPARED.get(key)
    if cached is None:
        cached = _PREPARED[key] = _prepare(network)
        weakref.finalize(network, _PREPARED.pop, key, None)  # the id may be reused later
    return cached


def _check_minutes(minutes: Sequence[float]) -> tuple[float, ...]:
    try:
        values = tuple(float(m) for m in minutes)
    except (TypeError, ValueError):
        raise InputError(
            f"isochrone minutes {minutes!r} are not numbers", "pass minutes like 5,10,15"
        ) from None
    if not values or not all(np.isfinite(v) and v > 0 for v in values):
        raise InputError(
            f"isochrone minutes {minutes!r} must be positive numbers", "pass minutes like 5,10,15"
        )
    if len(set(values)) != len(values):  # two bands of one threshold (the CLI refuses it too)
        raise InputError(
            f"isochrone minutes {minutes!r} list a threshold more than once",
            "list each threshold once, e.g. 5,10,15",
        )
    return values


def _prepare(network: WalkNetwork) -> _Prepared:
    n, m = network.node_count, network.edge_count
    # Directed arcs grouped by tail node.
    tails = np.concatenate([network.edge_u, network.edge_v])
    heads = np.concatenate([network.edge_v, network.edge_u])
    times = np.concatenate([network.time_uv, network.time_vu]).astype(float)
    edges = np.concatenate([np.arange(m), np.arange(m)])
    usable = np.isfinite(times)
    order = np.argsort(tails[usable], kind="stable")
    arc_ptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(arc_ptr, tails[usable] + 1, 1)
    arc_ptr = np.cumsum(arc_ptr)
    # Edge coordinates with cumulative, normalised along-distance for cutting pieces.
    coords, owner = shapely.get_coordinates(network.edge_geometry, return_index=True)
    coord_ptr = np.searchsorted(owner, np.arange(m + 1)).astype(np.int64)
    step = np.hypot(*np.diff(coords, axis=0).T)
    step[owner[1:] != owner[:-1]] = 0.0
    along = np.concatenate([[0.0], np.cumsum(step)])
    along -= along[coord_ptr[:-1]][owner]
    total = along[coord_ptr[1:] - 1][owner]
    cum = np.where(total > 0, along / np.where(total > 0, total, 1.0), 0.0)
    centre = np.round((coords.min(axis=0) + coords.max(axis=0)) / 2)  # of Clipper's frame
    middle = coords[np.minimum(coord_ptr[:-1] + np.diff(coord_ptr) // 2, len(coords) - 1)]
    return _Prepared(
        arc_ptr=arc_ptr,
        arc_head=heads[usable][order].astype(np.int64),
        arc_time=times[usable][order],
        arc_edge=edges[usable][order].astype(np.int64),
        time_uv=np.asarray(network.time_uv, dtype=float),
        time_vu=np.asarray(network.time_vu, dtype=float),
        coord_ptr=coord_ptr,
        coords=np.ascontiguousarray(coords),
        cum=cum,
        origin=(float(centre[0]), float(centre[1])),
        cells=Cells.of(middle[:, 0], middle[:, 1]),
    )


def _pattern(buffer_m: float, quad_segs: int) -> np.ndarray:
    """The regular polygon of ``4 × quad_segs`` corners (Clipper units), mean radius ``buffer_m``.

    Corner ``k`` is at angle ``2πk/N``; the circumradius ``R = r·π / (N·sin(π/N))`` makes the
    mean width equal the circle's, so areas are unbiased.
    """
    corners = 4 * quad_segs
    radius = buffer_m * np.pi / (corners * np.sin(np.pi / corners))
    angle = 2 * np.pi * np.arange(corners) / corners
    return np.round(radius * _SCALE * np.column_stack([np.cos(angle), np.sin(angle)])).astype(
        np.int64
    )


@dataclass
class _Kernel:
    """What a batch needs: the network's arrays and the outline union (picklable)."""

    prepared: _Prepared
    edge_u: np.ndarray
    edge_v: np.ndarray
    node_count: int
    union: OutlineUnion

    @classmethod
    def of(cls, network: WalkNetwork, pattern: np.ndarray) -> _Kernel:
        p = prepare(network)
        before = (p.coord_ptr, p.coords, p.cum, network.edge_u, network.edge_v, network.node_count)
        after = (pattern, p.origin[0], p.origin[1], _SCALE)
        # Cells pay where outlines overlap many times over: edges shorter than the buffer
        # (sidewalks, crossings); on long streets one union per polygon is cheaper.
        buffer_m = float(np.hypot(*pattern[0])) / _SCALE
        dense = network.edge_count > 0 and float(np.median(network.edge_length)) < buffer_m
        union = OutlineUnion(p.cells, before, after, DIRECT_BELOW if dense else 2**62)
        return cls(p, network.edge_u, network.edge_v, network.node_count, union)

    def rings(
        self,
        place_edge: np.ndarray,
        place_frac: np.ndarray,
        job_ptr: np.ndarray,
        job_budget: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Search, pieces and unions of a batch; see :meth:`OutlineUnion.polygons`."""
        pieces = self.pieces(place_edge, place_frac, job_ptr, job_budget)
        return self.union.polygons(*pieces, len(job_budget))

    def pieces(
        self,
        place_edge: np.ndarray,
        place_frac: np.ndarray,
        job_ptr: np.ndarray,
        job_budget: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The search of a batch: reached pieces (job, edge, from, to), grouped by job."""
        p = self.prepared
        return reach_pieces(
            p.arc_ptr,
            p.arc_head,
            p.arc_time,
            p.arc_edge,
            self.edge_u,
            self.edge_v,
            p.time_uv,
            p.time_vu,
            place_edge,
            place_frac,
            job_ptr,
            job_budget,
            self.node_count,
        )


def _to_shapely(
    points: np.ndarray, sizes: np.ndarray, job_rings: np.ndarray, origin: tuple[float, float]
) -> np.ndarray:
    """Shapely polygons (empty where a job has none) of :func:`_union_jobs` rings.

    One origin's reach is connected, so its union is one shell with holes; should Clipper
    ever return more shells, holes go to the smallest shell around them (a MultiPolygon).
    """
    jobs = len(job_rings)
    result = np.full(jobs, shapely.from_wkt("POLYGON EMPTY"), dtype=object)
    if not len(sizes):
        return result
    starts = np.cumsum(sizes) - sizes
    following = np.arange(1, len(points) + 1)
    following[starts + sizes - 1] = starts
    cross = points[:, 0] * points[following, 1] - points[following, 0] * points[:, 1]
    shell = np.add.reduceat(cross, starts) > 0
    ring_job = np.repeat(np.arange(jobs), job_rings)
    order = np.lexsort((~shell, ring_job))  # per job, shells first
    closed = sizes[order] + 1
    offsets = np.concatenate([[0], np.cumsum(closed)])
    take = np.arange(offsets[-1]) - np.repeat(offsets[:-1] - starts[order], closed)
    take[offsets[1:] - 1] = starts[order]  # close each ring on its first point
    coords = np.ascontiguousarray(points[take] / _SCALE + np.asarray(origin))
    rings = shapely.linearrings(coords, indices=np.repeat(np.arange(len(order)), closed))
    shells = np.bincount(ring_job, weights=shell, minlength=jobs).astype(np.int64)
    sorted_job = ring_job[order]
    one = np.flatnonzero(shells == 1)
    mask = (shells == 1)[sorted_job]
    result[one] = shapely.polygons(rings[mask], indices=np.searchsorted(one, sorted_job[mask]))
    for j in np.flatnonzero(shells > 1):
        result[j] = _several_shells(rings[sorted_job == j], shells[j])
    return result


def _several_shells(rings: np.ndarray, shells: int) -> shapely.Geometry:
    """A MultiPolygon of rings, shells first: each hole goes to the smallest shell around it."""
    outer = shapely.polygons(rings[:shells])
    holes: list[list[shapely.LinearRing]] = [[] for _ in range(shells)]
    for hole in rings[shells:]:
        inside = shapely.point_on_surface(shapely.polygons(hole))
        around = np.flatnonzero(shapely.contains(outer, inside))
        if len(around):
            holes[around[np.argmin(shapely.area(outer[around]))]].append(hole)
    return shapely.multipolygons(
        [shapely.polygons(rings[i], holes[i] or None) for i in range(shells)]
    )
