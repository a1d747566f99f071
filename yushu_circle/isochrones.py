"""Walking-reach polygons (5/10/15-minute isochrones) for every residence, fast enough for a city.

How it works (see ``../shared/DESIGN.md``, "Isochrones"):

1. Residences that snap to the same place (same edge, same offset to the centimetre) share one
   bounded Dijkstra search (numba, over arrays, limited to the largest budget); every
   threshold and every access leg at that place is answered from that one search.
2. From the node times, each threshold's reached *pieces* of edges are exact: whole edges,
   the reached ends of partly reached edges, and the stretch of the residence's own edge.
3. The polygon is the union of the pieces buffered by ``buffer_m``. Buffering a few hundred
   overlapping lines is what makes the classic recipe slow, so the plane is cut once per
   network into street *faces* (blocks, from polygonizing the streets): a face all of whose
   streets are wholly reached contributes its precomputed band (the face within
   ``buffer_m`` of its streets), joined by a cheap coverage union; only the pieces on streets
   that touch a face not wholly reached (the fringe) are buffered. Both parts together are
   exactly the buffered union of the pieces (planarity: from inside a wholly reached face,
   the nearest reached point is on the face's own streets).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numba
import numpy as np
import shapely

from yushu_circle.errors import InputError
from yushu_circle.network import Snap, WalkNetwork

DEFAULT_MINUTES = (5.0, 10.0, 15.0)
DEFAULT_BUFFER_M = 25.0
"""Half-width of the reach polygon around a reached street, metres."""
DEFAULT_QUAD_SEGS = 4
"""Segments per quarter circle of the buffer's round ends (GEOS default 8; 4 keeps IoU ≥ 0.999)."""
_OFFSET_DECIMALS = 2  # places on one edge closer than 1 cm share a search
_BUDGET_DECIMALS = 6  # walking budgets equal to 1e-6 min share a polygon


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
    """Per-network arrays and faces, built once and reused for every batch."""

    arc_ptr: np.ndarray
    arc_head: np.ndarray
    arc_time: np.ndarray
    arc_edge: np.ndarray
    coord_ptr: np.ndarray
    coords: np.ndarray
    cum: np.ndarray
    face_ptr: np.ndarray  # face -> edges (CSR); edge id == edge_count marks the frame
    face_edges: np.ndarray
    edge_face_ptr: np.ndarray  # edge -> faces (CSR)
    edge_faces: np.ndarray
    bands: np.ndarray = field(repr=False)


def isochrones(
    network: WalkNetwork,
    origins: Snap,
    minutes: Sequence[float] = DEFAULT_MINUTES,
    buffer_m: float = DEFAULT_BUFFER_M,
    quad_segs: int = DEFAULT_QUAD_SEGS,
    batch_size: int = 512,
    threads: int = 2,
    progress: bool = False,
) -> Isochrones:
    """Walking-reach polygons of every origin for every threshold.

    The reach of an origin within ``t`` minutes is every point of the walk network whose
    walk time from the origin is at most ``t`` — the origin's straight access leg to its
    edge (``snap_m`` at the network's flat speed), then along the network with the
    per-direction edge times (``time_uv`` from ``u`` to ``v``) — buffered by ``buffer_m``.
    Partly reached edges contribute their reached part, so polygons are exact up to the
    buffer's arc segments. Thresholds nest: 5 ⊂ 10 ⊂ 15.

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
        Segments per quarter circle of round buffer ends.
    batch_size : int
        Distinct origin places per batch (bounds memory).
    threads : int
        Threads for the geometry steps (GEOS releases the GIL).
    progress : bool
        Show a progress bar.

    Returns
    -------
    Isochrones

    Raises
    ------
    InputError
        When a threshold or the buffer width is not a positive number.
    """
    from tqdm.auto import tqdm

    thresholds = _check_minutes(minutes)
    if not (np.isfinite(buffer_m) and buffer_m > 0):
        raise InputError(
            f"isochrone buffer {buffer_m!r} m is not a positive number",
            "pass a width above 0 metres, e.g. 25",
        )
    count, k = len(origins), len(thresholds)
    empty = shapely.from_wkt("POLYGON EMPTY")
    polygons = np.full((count, k), empty, dtype=object)
    ok = origins.on_network & (origins.edge >= 0)
    if not ok.any():
        return Isochrones(thresholds, polygons)
    prepared = prepare(network, buffer_m, quad_segs)

    # Places: distinct (edge, offset) — one search each.
    idx = np.flatnonzero(ok)
    edge = origins.edge[idx]
    offset = np.round(origins.frac[idx] * network.edge_length[edge], _OFFSET_DECIMALS)
    place_keys = np.column_stack([edge.astype(float), offset])
    places, place_of = np.unique(place_keys, axis=0, return_inverse=True)
    place_of = place_of.ravel()
    place_edge = places[:, 0].astype(np.int64)
    length = network.edge_length[place_edge]
    place_frac = np.where(length > 0, places[:, 1] / np.where(length > 0, length, 1.0), 0.0)
    place_frac = np.clip(place_frac, 0.0, 1.0)

    # Jobs: distinct (place, budget) — one polygon each.
    access = origins.snap_m[idx] / network.metres_per_minute
    budgets = np.round(np.asarray(thresholds)[None, :] - access[:, None], _BUDGET_DECIMALS)
    job_keys = np.column_stack([np.repeat(place_of, k).astype(float), budgets.ravel()])
    jobs, job_of = np.unique(job_keys, axis=0, return_inverse=True)
    job_of = job_of.reshape(len(idx), k)
    job_place = jobs[:, 0].astype(np.int64)
    job_budget = jobs[:, 1]
    job_poly = np.full(len(jobs), empty, dtype=object)

    place_job_ptr = np.searchsorted(job_place, np.arange(len(places) + 1))
    pool = ThreadPoolExecutor(threads) if threads > 1 else None
    bar = tqdm(total=len(idx), desc="isochrones 等时圈", unit="res", disable=not progress)
    per_place = np.bincount(place_of, minlength=len(places))
    try:
        for start in range(0, len(places), batch_size):
            stop = min(start + batch_size, len(places))
            j0, j1 = place_job_ptr[start], place_job_ptr[stop]
            job_poly[j0:j1] = _batch(
                network,
                prepared,
                place_edge[start:stop],
                place_frac[start:stop],
                place_job_ptr[start : stop + 1] - j0,
                job_budget[j0:j1],
                buffer_m,
                quad_segs,
                pool,
            )
            bar.update(int(per_place[start:stop].sum()))
    finally:
        bar.close()
        if pool is not None:
            pool.shutdown()
    polygons[idx] = job_poly[job_of]
    return Isochrones(thresholds, polygons, searches=len(places), built=len(jobs))


def prepare(network: WalkNetwork, buffer_m: float, quad_segs: int) -> _Prepared:
    """Arrays and street faces of a network for :func:`isochrones` (cached on the network)."""
    cache = network.__dict__.setdefault("_isochrone_cache", {})
    key = (round(float(buffer_m), 6), int(quad_segs))
    if key not in cache:
        cache.clear()
        cache[key] = _prepare(network, buffer_m, quad_segs)
    prepared: _Prepared = cache[key]
    return prepared


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
    return values


def _prepare(network: WalkNetwork, buffer_m: float, quad_segs: int) -> _Prepared:
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
    face_ptr, face_edges, bands = _faces(network, buffer_m, quad_segs)
    edge_face_ptr, edge_faces = _invert(face_ptr, face_edges, m + 1)
    return _Prepared(
        arc_ptr=arc_ptr,
        arc_head=heads[usable][order].astype(np.int64),
        arc_time=times[usable][order],
        arc_edge=edges[usable][order].astype(np.int64),
        coord_ptr=coord_ptr,
        coords=np.ascontiguousarray(coords),
        cum=cum,
        face_ptr=face_ptr,
        face_edges=face_edges,
        edge_face_ptr=edge_face_ptr,
        edge_faces=edge_faces,
        bands=bands,
    )


def _faces(
    network: WalkNetwork, buffer_m: float, quad_segs: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Street faces (blocks) with the streets touching each and each face's buffered band.

    A frame around the network closes the outer region into faces too; those touch the
    frame (edge id ``edge_count``) and so are never wholly reached.
    """
    m = network.edge_count
    lines = network.edge_geometry
    xmin, ymin, xmax, ymax = shapely.total_bounds(lines)
    pad = 4.0 * buffer_m + 1.0
    frame = shapely.box(xmin - pad, ymin - pad, xmax + pad, ymax + pad).exterior
    noded = shapely.union_all(np.append(lines, frame))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    faces = faces[shapely.area(faces) > 0]
    if len(faces) == 0:
        return np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.empty(0, dtype=object)
    # Streets touching a face (boundary, dangles inside, or just a corner: extra is safe).
    face_idx, edge_idx = network.tree.query(faces, predicate="intersects")
    framed = np.flatnonzero(shapely.intersects(faces, frame))
    face_idx = np.concatenate([face_idx, framed])
    edge_idx = np.concatenate([edge_idx, np.full(len(framed), m)])
    order = np.lexsort((edge_idx, face_idx))
    face_idx, edge_idx = face_idx[order], edge_idx[order]
    face_ptr = np.searchsorted(face_idx, np.arange(len(faces) + 1)).astype(np.int64)
    # Band of a face: the face within buffer_m of its streets (only for faces away from the frame).
    bands = np.full(len(faces), None, dtype=object)
    inner = np.setdiff1d(np.arange(len(faces)), framed)
    inner = inner[face_ptr[inner + 1] > face_ptr[inner]]
    if len(inner):
        counts = face_ptr[inner + 1] - face_ptr[inner]
        members = edge_idx[np.concatenate([np.arange(face_ptr[f], face_ptr[f + 1]) for f in inner])]
        near = shapely.multilinestrings(
            lines[members], indices=np.repeat(np.arange(len(inner)), counts)
        )
        bands[inner] = shapely.intersection(
            faces[inner], shapely.buffer(near, buffer_m, quad_segs=quad_segs)
        )
    return face_ptr, edge_idx.astype(np.int64), bands


def _invert(ptr: np.ndarray, members: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    owners = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
    order = np.argsort(members, kind="stable")
    inv_ptr = np.searchsorted(members[order], np.arange(size + 1)).astype(np.int64)
    return inv_ptr, owners[order].astype(np.int64)


def _batch(
    network: WalkNetwork,
    prepared: _Prepared,
    place_edge: np.ndarray,
    place_frac: np.ndarray,
    job_ptr: np.ndarray,
    job_budget: np.ndarray,
    buffer_m: float,
    quad_segs: int,
    pool: ThreadPoolExecutor | None,
) -> np.ndarray:
    p = prepared
    piece_job, piece_edge, piece_f0, piece_f1 = _reach_pieces(
        p.arc_ptr,
        p.arc_head,
        p.arc_time,
        p.arc_edge,
        network.edge_u,
        network.edge_v,
        np.asarray(network.time_uv, dtype=float),
        np.asarray(network.time_vu, dtype=float),
        place_edge,
        place_frac,
        job_ptr,
        job_budget,
        network.node_count,
    )
    jobs = len(job_budget)
    interior_job, interior_face, fringe = _split_fringe(
        p.face_ptr,
        p.face_edges,
        p.edge_face_ptr,
        p.edge_faces,
        piece_job,
        piece_edge,
        piece_f0,
        piece_f1,
        network.edge_count,
    )
    # Fringe pieces -> lines -> one buffered multilinestring per job.
    fj, fe, f0, f1 = piece_job[fringe], piece_edge[fringe], piece_f0[fringe], piece_f1[fringe]
    xy, coord_piece, keep = _piece_coords(p.coord_ptr, p.coords, p.cum, fe, f0, f1)
    fj = fj[keep]
    result = np.full(jobs, None, dtype=object)
    if len(fj):
        lines = shapely.linestrings(xy, indices=coord_piece)
        groups, group_of = np.unique(fj, return_inverse=True)
        multi = shapely.multilinestrings(lines, indices=group_of)
        result[groups] = _map(
            pool, lambda g: shapely.buffer(g, buffer_m, quad_segs=quad_segs), multi
        )
    # Wholly reached faces: coverage union of their bands, then joined with the fringe.
    if len(interior_job):
        starts = np.searchsorted(interior_job, np.arange(jobs + 1))
        with_faces = np.flatnonzero(np.diff(starts) > 0)
        cores = np.array(
            [
                shapely.coverage_union_all(p.bands[interior_face[starts[j] : starts[j + 1]]])
                for j in with_faces
            ],
            dtype=object,
        )
        fringe_part = result[with_faces]
        has = np.array([g is not None for g in fringe_part], dtype=bool)
        joined = cores.copy()
        if has.any():
            joined[has] = _map(pool, shapely.union, cores[has], fringe_part[has].astype(object))
        result[with_faces] = joined
    missing = np.array([g is None for g in result], dtype=bool)
    result[missing] = shapely.from_wkt("POLYGON EMPTY")
    return result


def _map(
    pool: ThreadPoolExecutor | None, func: Callable[..., np.ndarray], *arrays: np.ndarray
) -> np.ndarray:
    """Apply a vectorized shapely function in chunks across threads (GEOS releases the GIL)."""
    n = len(arrays[0])
    if pool is None or n < 8:
        return np.asarray(func(*arrays), dtype=object)
    parts = np.array_split(np.arange(n), 8)
    outs = list(pool.map(lambda ix: func(*(a[ix] for a in arrays)), parts))
    return np.concatenate([np.asarray(o, dtype=object) for o in outs])


# --- numba kernels ------------------------------------------------------------------------


@numba.njit(cache=True)
def _heap_push(keys: np.ndarray, vals: np.ndarray, size: int, key: float, val: int) -> int:
    i = size
    keys[i] = key
    vals[i] = val
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] <= keys[i]:
            break
        keys[parent], keys[i] = keys[i], keys[parent]
        vals[parent], vals[i] = vals[i], vals[parent]
        i = parent
    return size + 1


@numba.njit(cache=True)
def _heap_pop(keys: np.ndarray, vals: np.ndarray, size: int) -> int:
    size -= 1
    keys[0] = keys[size]
    vals[0] = vals[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        small = left
        if left + 1 < size and keys[left + 1] < keys[left]:
            small = left + 1
        if keys[i] <= keys[small]:
            break
        keys[small], keys[i] = keys[i], keys[small]
        vals[small], vals[i] = vals[i], vals[small]
        i = small
    return size


@numba.njit(cache=True)
def _grow_f(a: np.ndarray, need: int) -> np.ndarray:
    if need <= len(a):
        return a
    b = np.empty(max(need, 2 * len(a)), dtype=a.dtype)
    b[: len(a)] = a
    return b


@numba.njit(cache=True)
def _reach_pieces(
    arc_ptr: np.ndarray,
    arc_head: np.ndarray,
    arc_time: np.ndarray,
    arc_edge: np.ndarray,
    edge_u: np.ndarray,
    edge_v: np.ndarray,
    time_uv: np.ndarray,
    time_vu: np.ndarray,
    place_edge: np.ndarray,
    place_frac: np.ndarray,
    job_ptr: np.ndarray,
    job_budget: np.ndarray,
    n: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Bounded Dijkstra per place; reached pieces (job, edge, f0, f1) per job's budget."""
    dist = np.full(n, np.inf)
    heap_k = np.empty(len(arc_head) + 2, dtype=np.float64)
    heap_v = np.empty(len(arc_head) + 2, dtype=np.int64)
    touched = np.empty(n, dtype=np.int64)
    edge_mark = np.full(len(edge_u), -1, dtype=np.int64)
    edge_list = np.empty(len(edge_u), dtype=np.int64)
    cap = 1024
    out_job = np.empty(cap, dtype=np.int64)
    out_edge = np.empty(cap, dtype=np.int64)
    out_f0 = np.empty(cap, dtype=np.float64)
    out_f1 = np.empty(cap, dtype=np.float64)
    count = 0
    lo = np.empty(3)
    hi = np.empty(3)
    for p in range(len(place_edge)):
        j_start, j_stop = job_ptr[p], job_ptr[p + 1]
        limit = -1.0
        for j in range(j_start, j_stop):
            limit = max(limit, job_budget[j])
        if limit < 0:
            continue
        e0 = place_edge[p]
        f = place_frac[p]
        ntouched = 0
        size = 0
        seeds_n = (edge_u[e0], edge_v[e0])
        seeds_t = (f * time_vu[e0], (1.0 - f) * time_uv[e0])
        for s in range(2):
            node, t = seeds_n[s], seeds_t[s]
            if t <= limit and t < dist[node]:
                if dist[node] == np.inf:
                    touched[ntouched] = node
                    ntouched += 1
                dist[node] = t
                size = _heap_push(heap_k, heap_v, size, t, node)
        while size > 0:
            d = heap_k[0]
            node = heap_v[0]
            size = _heap_pop(heap_k, heap_v, size)
            if d > dist[node]:
                continue
            for a in range(arc_ptr[node], arc_ptr[node + 1]):
                nd = d + arc_time[a]
                head = arc_head[a]
                if nd <= limit and nd < dist[head]:
                    if dist[head] == np.inf:
                        touched[ntouched] = head
                        ntouched += 1
                    dist[head] = nd
                    size = _heap_push(heap_k, heap_v, size, nd, head)
        # Edges next to reached nodes, plus the place's own edge.
        nedges = 0
        edge_mark[e0] = p
        edge_list[0] = e0
        nedges = 1
        for i in range(ntouched):
            node = touched[i]
            for a in range(arc_ptr[node], arc_ptr[node + 1]):
                e = arc_edge[a]
                if edge_mark[e] != p:
                    edge_mark[e] = p
                    edge_list[nedges] = e
                    nedges += 1
        for j in range(j_start, j_stop):
            budget = job_budget[j]
            if budget < 0:
                continue
            for i in range(nedges):
                e = edge_list[i]
                du, dv = dist[edge_u[e]], dist[edge_v[e]]
                tuv, tvu = time_uv[e], time_vu[e]
                k = 0
                if du <= budget:
                    lo[k] = 0.0
                    hi[k] = 1.0 if tuv <= 0 else min(1.0, (budget - du) / tuv)
                    k += 1
                if dv <= budget:
                    lo[k] = 0.0 if tvu <= 0 else max(0.0, 1.0 - (budget - dv) / tvu)
                    hi[k] = 1.0
                    k += 1
                if e == e0:
                    lo[k] = 0.0 if tvu <= 0 else max(0.0, f - budget / tvu)
                    hi[k] = 1.0 if tuv <= 0 else min(1.0, f + budget / tuv)
                    k += 1
                # Sort the (at most three) intervals by start and merge overlaps.
                for a in range(k):
                    for b in range(a + 1, k):
                        if lo[b] < lo[a]:
                            lo[a], lo[b] = lo[b], lo[a]
                            hi[a], hi[b] = hi[b], hi[a]
                merged = 0
                for a in range(k):
                    if merged > 0 and lo[a] <= hi[merged - 1]:
                        hi[merged - 1] = max(hi[merged - 1], hi[a])
                    else:
                        lo[merged], hi[merged] = lo[a], hi[a]
                        merged += 1
                for a in range(merged):
                    if hi[a] <= lo[a]:
                        continue
                    if count >= len(out_job):
                        out_job = _grow_i(out_job, count + 1)
                        out_edge = _grow_i(out_edge, count + 1)
                        out_f0 = _grow_f(out_f0, count + 1)
                        out_f1 = _grow_f(out_f1, count + 1)
                    out_job[count] = j
                    out_edge[count] = e
                    out_f0[count] = lo[a]
                    out_f1[count] = hi[a]
                    count += 1
        for i in range(ntouched):
            dist[touched[i]] = np.inf
    return out_job[:count], out_edge[:count], out_f0[:count], out_f1[:count]


@numba.njit(cache=True)
def _grow_i(a: np.ndarray, need: int) -> np.ndarray:
    if need <= len(a):
        return a
    b = np.empty(max(need, 2 * len(a)), dtype=a.dtype)
    b[: len(a)] = a
    return b


@numba.njit(cache=True)
def _split_fringe(
    face_ptr: np.ndarray,
    face_edges: np.ndarray,
    edge_face_ptr: np.ndarray,
    edge_faces: np.ndarray,
    piece_job: np.ndarray,
    piece_edge: np.ndarray,
    piece_f0: np.ndarray,
    piece_f1: np.ndarray,
    m: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per job: faces whose every street is wholly reached, and the pieces outside them."""
    full_mark = np.full(m + 1, -1, dtype=np.int64)
    nfaces = len(face_ptr) - 1
    face_state = np.full(nfaces, -1, dtype=np.int64)  # job stamp * 2 + interior
    fringe = np.zeros(len(piece_job), dtype=np.bool_)
    out_job = np.empty(16, dtype=np.int64)
    out_face = np.empty(16, dtype=np.int64)
    count = 0
    start = 0
    while start < len(piece_job):
        job = piece_job[start]
        stop = start
        while stop < len(piece_job) and piece_job[stop] == job:
            stop += 1
        for i in range(start, stop):
            if piece_f0[i] <= 0.0 and piece_f1[i] >= 1.0:
                full_mark[piece_edge[i]] = job
        for i in range(start, stop):
            e = piece_edge[i]
            is_fringe = full_mark[e] != job or edge_face_ptr[e + 1] == edge_face_ptr[e]
            for a in range(edge_face_ptr[e], edge_face_ptr[e + 1]):
                face = edge_faces[a]
                if face_state[face] // 2 != job:
                    interior = 1
                    for b in range(face_ptr[face], face_ptr[face + 1]):
                        if full_mark[face_edges[b]] != job:
                            interior = 0
                            break
                    face_state[face] = job * 2 + interior
                    if interior == 1:
                        if count >= len(out_job):
                            out_job = _grow_i(out_job, count + 1)
                            out_face = _grow_i(out_face, count + 1)
                        out_job[count] = job
                        out_face[count] = face
                        count += 1
                if face_state[face] % 2 == 0:
                    is_fringe = True
            fringe[i] = is_fringe
        start = stop
    return out_job[:count], out_face[:count], fringe


@numba.njit(cache=True)
def _piece_coords(
    coord_ptr: np.ndarray,
    coords: np.ndarray,
    cum: np.ndarray,
    piece_edge: np.ndarray,
    piece_f0: np.ndarray,
    piece_f1: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates of each piece [f0, f1] of its edge; drops pieces of zero length."""
    cap = len(piece_edge) * 4 + 16
    xy = np.empty((cap, 2))
    owner = np.empty(cap, dtype=np.int64)
    keep = np.zeros(len(piece_edge), dtype=np.bool_)
    count = 0
    kept = 0
    for i in range(len(piece_edge)):
        e = piece_edge[i]
        a, b = coord_ptr[e], coord_ptr[e + 1]
        f0, f1 = piece_f0[i], piece_f1[i]
        if cum[b - 1] <= 0.0 or f1 <= f0:
            continue
        need = count + (b - a) + 2
        if need > len(xy):
            bigger = np.empty((max(need, 2 * len(xy)), 2))
            bigger[:count] = xy[:count]
            xy = bigger
            owner = _grow_i(owner, len(xy))
        # start point
        for s in range(a, b - 1):
            if cum[s + 1] >= f0:
                span = cum[s + 1] - cum[s]
                w = 0.0 if span <= 0 else (f0 - cum[s]) / span
                xy[count, 0] = coords[s, 0] + w * (coords[s + 1, 0] - coords[s, 0])
                xy[count, 1] = coords[s, 1] + w * (coords[s + 1, 1] - coords[s, 1])
                owner[count] = kept
                count += 1
                break
        for s in range(a, b):
            if f0 < cum[s] < f1:
                xy[count, 0] = coords[s, 0]
                xy[count, 1] = coords[s, 1]
                owner[count] = kept
                count += 1
        for s in range(a, b - 1):
            if cum[s + 1] >= f1:
                span = cum[s + 1] - cum[s]
                w = 0.0 if span <= 0 else (f1 - cum[s]) / span
                xy[count, 0] = coords[s, 0] + w * (coords[s + 1, 0] - coords[s, 0])
                xy[count, 1] = coords[s, 1] + w * (coords[s + 1, 1] - coords[s, 1])
                owner[count] = kept
                count += 1
                break
        keep[i] = True
        kept += 1
    return xy[:count], owner[:count], keep
