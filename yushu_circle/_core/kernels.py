"""Compiled graph kernels (numba): a binary heap and a multi-source Dijkstra over CSR arrays."""

from __future__ import annotations

import numpy as np

from yushu_circle._core.jit import helper, kernel


@kernel()
def heap_push(keys: np.ndarray, vals: np.ndarray, size: int, key: float, val: int) -> int:
    """Push ``(key, val)`` onto a binary min-heap stored in ``keys``/``vals``; new size."""
    # Parents move down into the hole and the new entry is written once (no swaps).
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] <= key:
            break
        keys[i] = keys[parent]
        vals[i] = vals[parent]
        i = parent
    keys[i] = key
    vals[i] = val
    return size + 1


@kernel()
def heap_pop(keys: np.ndarray, vals: np.ndarray, size: int) -> int:
    """Drop the smallest entry (read it from ``keys[0]``/``vals[0]`` first); new size."""
    size -= 1
    key = keys[size]
    val = vals[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and keys[child + 1] < keys[child]:
            child += 1
        if key <= keys[child]:
            break
        keys[i] = keys[child]
        vals[i] = vals[child]
        i = child
    keys[i] = key
    vals[i] = val
    return size


@kernel(nogil=True)
def heap4_push(keys: np.ndarray, vals: np.ndarray, size: int, key: float, val: int) -> int:
    """:func:`heap_push` on a 4-ary heap (children of ``i`` at ``4i+1 … 4i+4``).

    Only for searches whose result is distances alone: the binary heap stays for the route,
    isochrone and coverage searches, as the order equal keys leave a heap decides which of
    equally short paths a route search returns, and changing it would change their outputs.
    """
    i = size
    while i > 0:
        parent = (i - 1) >> 2
        if keys[parent] <= key:
            break
        keys[i] = keys[parent]
        vals[i] = vals[parent]
        i = parent
    keys[i] = key
    vals[i] = val
    return size + 1


@kernel(nogil=True)
def heap4_pop(keys: np.ndarray, vals: np.ndarray, size: int) -> int:
    """:func:`heap_pop` on a 4-ary heap."""
    size -= 1
    key = keys[size]
    val = vals[size]
    i = 0
    while True:
        first = 4 * i + 1
        if first >= size:
            break
        best = first
        best_key = keys[first]
        for child in range(first + 1, min(first + 4, size)):
            if keys[child] < best_key:
                best = child
                best_key = keys[child]
        if key <= best_key:
            break
        keys[i] = best_key
        vals[i] = vals[best]
        i = best
    keys[i] = key
    vals[i] = val
    return size


@helper(nogil=True)
def _part(share: float, minutes: float) -> float:
    # No part of a closed (inf) edge is walked when the share is zero, so no 0 * inf NaN.
    return share * minutes if share > 0.0 else 0.0


@helper(nogil=True)
def _settle(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    dist: np.ndarray,
    done: np.ndarray,
    keys: np.ndarray,
    vals: np.ndarray,
    limit: float,
) -> None:
    """Dijkstra in place: ``dist`` holds each node's start offset, ends with its distance.

    On a 4-ary heap, a fifth faster than the binary one on a city (it is shallower); only
    distances come out, and they do not depend on the order equal keys leave the heap.
    """
    size = int(np.int64(0))  # an int64, not the literal 0: one heap specialisation
    for node in range(len(dist)):
        done[node] = False
        if dist[node] <= limit:
            size = heap4_push(keys, vals, size, dist[node], node)
    while size > 0:
        d = keys[0]
        u = vals[0]
        size = heap4_pop(keys, vals, size)
        if done[u] or d > dist[u]:
            continue
        done[u] = True
        for k in range(indptr[u], indptr[u + 1]):
            v = indices[k]
            candidate = d + weights[k]
            if candidate < dist[v] and candidate <= limit:
                dist[v] = candidate
                # An int64 as above (the CSR's columns are int32): one heap specialisation.
                size = heap4_push(keys, vals, size, candidate, int(np.int64(v)))
    for node in range(len(dist)):
        if dist[node] > limit:
            dist[node] = np.inf


@kernel(nogil=True)
def nearest_source_minutes(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    groups: int,
    source_group: np.ndarray,
    source_node: np.ndarray,
    source_minutes: np.ndarray,
    limit: float,
) -> np.ndarray:
    """Shortest distance from every node to the nearest source of each group of sources.

    Every source node starts with its own offset (the smallest, when a node repeats), as
    if a virtual source were joined to it, so each group is one Dijkstra run. All groups
    share one heap: on small networks the fixed cost of a call, not the search, counts.

    Parameters
    ----------
    indptr, indices, weights : ndarray
        The graph in CSR form (non-negative weights).
    groups : int
        Number of groups.
    source_group, source_node : ndarray of int64
        Group and node of each source entry.
    source_minutes : ndarray of float64
        Offset of each source entry.
    limit : float
        Nodes farther than this get ``inf``.

    Returns
    -------
    ndarray of float64, shape (groups, nodes)
    """
    n = len(indptr) - 1
    out = np.full((groups, n), np.inf)
    for s in range(len(source_node)):
        g = source_group[s]
        node = source_node[s]
        if source_minutes[s] < out[g, node]:
            out[g, node] = source_minutes[s]
    done = np.empty(n, dtype=np.bool_)
    capacity = len(indices) + n + 1
    keys = np.empty(capacity, dtype=np.float64)
    vals = np.empty(capacity, dtype=np.int64)
    for g in range(groups):
        _settle(indptr, indices, weights, out[g], done, keys, vals, limit)
    return out


@kernel(nogil=True)
def edge_point_sources(
    edge_u: np.ndarray,
    edge_v: np.ndarray,
    time_uv: np.ndarray,
    time_vu: np.ndarray,
    edge: np.ndarray,
    frac: np.ndarray,
    access: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Sources for searching *to* points on edges: both end nodes, with the minutes left.

    From ``u`` a walker goes ``frac`` of the way along the edge (``u → v`` minutes), from
    ``v`` the rest (``v → u`` minutes), then the point's access leg.

    Returns
    -------
    nodes, minutes : ndarray
        ``2 × points`` entries: every point's ``u`` entry, then every point's ``v`` entry.
    """
    count = len(edge)
    nodes = np.empty(2 * count, dtype=np.int64)
    minutes = np.empty(2 * count, dtype=np.float64)
    for i in range(count):
        e = edge[i]
        nodes[i] = edge_u[e]
        minutes[i] = access[i] + _part(frac[i], time_uv[e])
        nodes[count + i] = edge_v[e]
        minutes[count + i] = access[i] + _part(1.0 - frac[i], time_vu[e])
    return nodes, minutes


@helper(nogil=True)
def _first_at_least(sorted_values: np.ndarray, value: int) -> int:
    # np.searchsorted's generic implementation costs ~1 s to compile; this loop, almost none.
    lo = 0
    hi = len(sorted_values)
    while lo < hi:
        mid = (lo + hi) >> 1
        if sorted_values[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


@kernel(nogil=True)
def origin_minutes(
    node_minutes: np.ndarray,
    edge_u: np.ndarray,
    edge_v: np.ndarray,
    time_uv: np.ndarray,
    time_vu: np.ndarray,
    origin_edge: np.ndarray,
    origin_frac: np.ndarray,
    origin_access: np.ndarray,
    target_edge: np.ndarray,
    target_frac: np.ndarray,
    target_access: np.ndarray,
    target_group: np.ndarray,
    limit: float,
) -> np.ndarray:
    """Minutes from points on edges to the nearest target of each group.

    An origin walks its access leg, then along its edge to either end and on by the
    end node's minutes; a target of the same group on the same edge is reached directly
    along the edge.

    Parameters
    ----------
    node_minutes : ndarray, shape (groups, nodes)
        Minutes from every node to each group's nearest target (walking *to* it).
    edge_u, edge_v, time_uv, time_vu : ndarray
        Edge ends and walk minutes in each direction.
    origin_edge, origin_frac, origin_access : ndarray
        Each origin's edge (``-1``: skip), position from ``u`` (0–1) and access minutes.
    target_edge, target_frac, target_access, target_group : ndarray
        Targets **sorted by edge**: edge, position, access minutes, group.
    limit : float
        Totals above this become NaN.

    Returns
    -------
    ndarray of float64, shape (origins, groups)
        NaN where off the network, unreachable or beyond ``limit``.
    """
    groups = node_minutes.shape[0]
    out = np.full((len(origin_edge), groups), np.nan)
    best = np.empty(groups)
    for i in range(len(origin_edge)):
        e = origin_edge[i]
        if e < 0:
            continue
        fo = origin_frac[i]
        to_u = _part(fo, time_vu[e])
        to_v = _part(1.0 - fo, time_uv[e])
        u = edge_u[e]
        v = edge_v[e]
        for g in range(groups):
            best[g] = min(to_u + node_minutes[g, u], to_v + node_minutes[g, v])
        j = _first_at_least(target_edge, e)
        while j < len(target_edge) and target_edge[j] == e:
            ft = target_frac[j]
            along = _part(ft - fo, time_uv[e]) if ft >= fo else _part(fo - ft, time_vu[e])
            g = target_group[j]
            best[g] = min(best[g], along + target_access[j])
            j += 1
        for g in range(groups):
            total = origin_access[i] + best[g]
            if total <= limit and total < np.inf:
                out[i, g] = total
    return out


@kernel()
def min_arcs_csr(
    rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR arrays of the arcs, columns sorted per row, keeping the smallest of duplicates.

    Arcs with an infinite weight and self-loops are left out.

    Returns
    -------
    indptr, indices, data : ndarray
    """
    count = np.zeros(size + 1, dtype=np.int64)
    for k in range(len(rows)):
        if rows[k] != cols[k] and weights[k] < np.inf:
            count[rows[k] + 1] += 1
    for r in range(size):
        count[r + 1] += count[r]
    fill = count[:-1].copy()
    indices = np.empty(count[size], dtype=np.int32)
    data = np.empty(count[size], dtype=np.float64)
    for k in range(len(rows)):
        if rows[k] != cols[k] and weights[k] < np.inf:
            slot = fill[rows[k]]
            indices[slot] = cols[k]
            data[slot] = weights[k]
            fill[rows[k]] += 1
    # Street nodes have a handful of arcs: insertion sort per row, then drop duplicates.
    indptr = np.zeros(size + 1, dtype=np.int32)
    kept = 0
    for r in range(size):
        start = count[r]
        for k in range(start + 1, count[r + 1]):
            col = indices[k]
            weight = data[k]
            j = k - 1
            while j >= start and (indices[j] > col or (indices[j] == col and data[j] > weight)):
                indices[j + 1] = indices[j]
                data[j + 1] = data[j]
                j -= 1
            indices[j + 1] = col
            data[j + 1] = weight
        for k in range(start, count[r + 1]):
            if k > start and indices[k] == indices[k - 1]:
                continue
            indices[kept] = indices[k]
            data[kept] = data[k]
            kept += 1
        indptr[r + 1] = kept
    return indptr, indices[:kept].copy(), data[:kept].copy()
