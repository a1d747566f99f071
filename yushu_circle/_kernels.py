"""Compiled graph kernels (numba): a binary heap and a multi-source Dijkstra over CSR arrays."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def heap_push(keys: np.ndarray, vals: np.ndarray, size: int, key: float, val: int) -> int:
    """Push ``(key, val)`` onto a binary min-heap stored in ``keys``/``vals``; new size."""
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
def heap_pop(keys: np.ndarray, vals: np.ndarray, size: int) -> int:
    """Drop the smallest entry (read it from ``keys[0]``/``vals[0]`` first); new size."""
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


@numba.njit(cache=True, nogil=True)
def dijkstra_from_starts(
    indptr: np.ndarray, indices: np.ndarray, weights: np.ndarray, start: np.ndarray, limit: float
) -> np.ndarray:
    """Shortest distances when every node may begin with its own offset.

    Parameters
    ----------
    indptr, indices, weights : ndarray
        The graph in CSR form (non-negative weights).
    start : ndarray of float64
        Offset per node (``inf`` for nodes that are not sources).
    limit : float
        Nodes farther than this get ``inf``.

    Returns
    -------
    ndarray of float64
        Distance per node.
    """
    n = len(start)
    dist = start.copy()
    done = np.zeros(n, dtype=np.bool_)
    capacity = len(indices) + n + 1
    keys = np.empty(capacity, dtype=np.float64)
    vals = np.empty(capacity, dtype=np.int64)
    size = 0
    for node in range(n):
        if dist[node] <= limit:
            size = heap_push(keys, vals, size, dist[node], node)
    while size > 0:
        d = keys[0]
        u = vals[0]
        size = heap_pop(keys, vals, size)
        if done[u] or d > dist[u]:
            continue
        done[u] = True
        for k in range(indptr[u], indptr[u + 1]):
            v = indices[k]
            candidate = d + weights[k]
            if candidate < dist[v] and candidate <= limit:
                dist[v] = candidate
                size = heap_push(keys, vals, size, candidate, v)
    for node in range(n):
        if dist[node] > limit:
            dist[node] = np.inf
    return dist
