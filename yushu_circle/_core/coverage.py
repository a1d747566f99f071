"""Compiled bounded many-source coverage search (numba): which demand points each site reaches."""

from __future__ import annotations

import numpy as np

from yushu_circle._core.jit import helper, kernel
from yushu_circle._core.kernels import heap_pop, heap_push


@helper(nogil=True)
def _part(share: float, minutes: float) -> float:
    # A zero share of a closed (inf) edge costs nothing: no 0 * inf NaN.
    return share * minutes if share > 0.0 else 0.0


@helper(nogil=True)
def _record(
    site: int,
    point: int,
    minutes: float,
    limit: float,
    stamp: np.ndarray,
    slot: np.ndarray,
    found: int,
    out_site: np.ndarray,
    out_point: np.ndarray,
    out_minutes: np.ndarray,
) -> int:
    """Keep the shortest walk of a (site, point) pair within ``limit``; the new count."""
    if not minutes <= limit:
        return found
    if stamp[point] == site:
        if minutes < out_minutes[slot[point]]:
            out_minutes[slot[point]] = minutes
        return found
    stamp[point] = site
    slot[point] = found
    out_site[found] = site
    out_point[found] = point
    out_minutes[found] = minutes
    return found + 1


@helper(nogil=True)
def _grow(array: np.ndarray, size: int) -> np.ndarray:
    if size < len(array):
        return array
    bigger = np.empty(2 * len(array) + 16, dtype=array.dtype)
    bigger[: len(array)] = array
    return bigger


@kernel(nogil=True)
def coverage_pairs(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    site_ptr: np.ndarray,
    site_node: np.ndarray,
    site_minutes: np.ndarray,
    arc_ptr: np.ndarray,
    arc_point: np.ndarray,
    arc_minutes: np.ndarray,
    site_edge: np.ndarray,
    site_frac: np.ndarray,
    site_access: np.ndarray,
    point_edge_ptr: np.ndarray,
    point_by_edge: np.ndarray,
    point_frac: np.ndarray,
    point_access: np.ndarray,
    time_uv: np.ndarray,
    time_vu: np.ndarray,
    limit: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(site, point, minutes) triples where a demand point reaches a site within ``limit`` minutes.

    One Dijkstra per site, bounded by ``limit``, on the graph given (the reversed walk
    graph: points walk *to* sites). Only the nodes a search touched are reset, so a
    search costs what it reaches, not the network's size.

    Parameters
    ----------
    indptr, indices, weights : ndarray
        The graph in CSR form (non-negative minutes).
    site_ptr : ndarray of int64, shape (sites + 1,)
        Site ``s`` starts at ``site_node[site_ptr[s]:site_ptr[s + 1]]`` with the minutes
        ``site_minutes`` already spent (its edge-end rule applied by the caller).
    arc_ptr : ndarray of int64, shape (nodes + 1,)
        Per node, the demand points hanging off it: ``arc_point`` with ``arc_minutes``
        from the node to the point (access leg included).
    site_edge, site_frac, site_access : ndarray
        Each site's own edge (``-1`` for a node site), position from ``u`` and access
        minutes: a point on the same edge is also reached directly along it.
    point_edge_ptr : ndarray of int64, shape (edges + 1,)
        Per edge, the demand points on it: ``point_by_edge`` (point indices).
    point_frac, point_access : ndarray
        Each point's position on its edge and access minutes.
    time_uv, time_vu : ndarray
        Edge walk minutes in each direction.
    limit : float
        Minutes.

    Returns
    -------
    sites, points : ndarray of int64
        Each pair once, grouped by site.
    minutes : ndarray of float64
        The pair's shortest walk, minutes.
    """
    n = len(indptr) - 1
    points = len(point_frac)
    dist = np.full(n, np.inf)
    done = np.zeros(n, dtype=np.bool_)
    touched = np.empty(n, dtype=np.int64)
    stamp = np.full(points, -1, dtype=np.int64)
    slot = np.zeros(points, dtype=np.int64)
    keys = np.empty(len(indices) + n + 1, dtype=np.float64)
    vals = np.empty(len(indices) + n + 1, dtype=np.int64)
    out_site = np.empty(1024, dtype=np.int64)
    out_point = np.empty(1024, dtype=np.int64)
    out_minutes = np.empty(1024, dtype=np.float64)
    found = 0
    for s in range(len(site_ptr) - 1):
        size = int(np.int64(0))  # an int64, not the literal 0: one heap specialisation
        count = 0
        for k in range(site_ptr[s], site_ptr[s + 1]):
            node = site_node[k]
            start = site_minutes[k]
            if start <= limit and start < dist[node]:
                if dist[node] == np.inf:
                    touched[count] = node
                    count += 1
                dist[node] = start
                size = heap_push(keys, vals, size, start, node)
        while size > 0:
            d = keys[0]
            u = vals[0]
            size = heap_pop(keys, vals, size)
            if done[u] or d > dist[u]:
                continue
            done[u] = True
            for a in range(arc_ptr[u], arc_ptr[u + 1]):
                found = _record(
                    s,
                    arc_point[a],
                    d + arc_minutes[a],
                    limit,
                    stamp,
                    slot,
                    found,
                    out_site,
                    out_point,
                    out_minutes,
                )
                if found == len(out_site):
                    out_site = _grow(out_site, found)
                    out_point = _grow(out_point, found)
                    out_minutes = _grow(out_minutes, found)
            for k in range(indptr[u], indptr[u + 1]):
                v = indices[k]
                candidate = d + weights[k]
                if candidate < dist[v] and candidate <= limit:
                    if dist[v] == np.inf:
                        touched[count] = v
                        count += 1
                    dist[v] = candidate
                    size = heap_push(keys, vals, size, candidate, v)
        e = site_edge[s]
        if e >= 0:
            fs = site_frac[s]
            for k in range(point_edge_ptr[e], point_edge_ptr[e + 1]):
                p = point_by_edge[k]
                fp = point_frac[p]
                along = _part(fs - fp, time_uv[e]) if fs >= fp else _part(fp - fs, time_vu[e])
                found = _record(
                    s,
                    p,
                    point_access[p] + along + site_access[s],
                    limit,
                    stamp,
                    slot,
                    found,
                    out_site,
                    out_point,
                    out_minutes,
                )
                if found == len(out_site):
                    out_site = _grow(out_site, found)
                    out_point = _grow(out_point, found)
                    out_minutes = _grow(out_minutes, found)
        for i in range(count):
            dist[touched[i]] = np.inf
            done[touched[i]] = False
    return out_site[:found].copy(), out_point[:found].copy(), out_minutes[:found].copy()
