"""Compiled route search (numba): a bounded single-source Dijkstra that keeps predecessors."""

from __future__ import annotations

import numpy as np

from yushu_circle._core.jit import kernel
from yushu_circle._core.kernels import heap_pop, heap_push


@kernel(nogil=True)
def route_tree(
    edge_u: np.ndarray,
    edge_v: np.ndarray,
    time_uv: np.ndarray,
    time_vu: np.ndarray,
    node_count: int,
    source_node: np.ndarray,
    source_minutes: np.ndarray,
    limit: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shortest minutes from a start (a few source nodes with offsets) and how each is reached.

    Unlike the CSR searches of :mod:`~yushu_circle._core.kernels`, arcs keep their edge
    index, so parallel edges stay apart and a route can be drawn with the edge walked.

    Parameters
    ----------
    edge_u, edge_v : ndarray of int64
        Edge ends (node indices).
    time_uv, time_vu : ndarray of float64
        Walk minutes along each edge per direction (``inf``: closed that way).
    node_count : int
        Number of nodes.
    source_node : ndarray of int64
        Start nodes (repeats allowed: the smallest offset wins).
    source_minutes : ndarray of float64
        Minutes already spent when at each start node.
    limit : float
        Stop beyond this many minutes (farther nodes get ``inf``).

    Returns
    -------
    minutes : ndarray of float64
        Per node (``inf`` where unreachable or beyond ``limit``).
    pred_edge : ndarray of int64
        The edge by which each node is reached (``-1`` for start nodes and unreached ones).
    pred_node : ndarray of int64
        The node it is reached from (``-1`` likewise).
    """
    # Arcs of both directions, grouped by tail node (a counting sort keeps edge order).
    indptr = np.zeros(node_count + 1, dtype=np.int64)
    for e in range(len(edge_u)):
        if edge_u[e] == edge_v[e]:
            continue
        if time_uv[e] < np.inf:
            indptr[edge_u[e] + 1] += 1
        if time_vu[e] < np.inf:
            indptr[edge_v[e] + 1] += 1
    for i in range(node_count):
        indptr[i + 1] += indptr[i]
    fill = indptr[:-1].copy()
    arcs = indptr[node_count]
    arc_head = np.empty(arcs, dtype=np.int64)
    arc_edge = np.empty(arcs, dtype=np.int64)
    arc_time = np.empty(arcs, dtype=np.float64)
    for e in range(len(edge_u)):
        u = edge_u[e]
        v = edge_v[e]
        if u == v:
            continue
        if time_uv[e] < np.inf:
            k = fill[u]
            arc_head[k], arc_edge[k], arc_time[k] = v, e, time_uv[e]
            fill[u] += 1
        if time_vu[e] < np.inf:
            k = fill[v]
            arc_head[k], arc_edge[k], arc_time[k] = u, e, time_vu[e]
            fill[v] += 1

    dist = np.full(node_count, np.inf)
    pred_edge = np.full(node_count, -1, dtype=np.int64)
    pred_node = np.full(node_count, -1, dtype=np.int64)
    for s in range(len(source_node)):
        if source_minutes[s] < dist[source_node[s]]:
            dist[source_node[s]] = source_minutes[s]
    done = np.zeros(node_count, dtype=np.bool_)
    keys = np.empty(arcs + node_count + 1, dtype=np.float64)
    vals = np.empty(arcs + node_count + 1, dtype=np.int64)
    size = int(np.int64(0))  # an int64, not the literal 0: one heap specialisation
    for node in range(node_count):
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
            v = arc_head[k]
            candidate = d + arc_time[k]
            if candidate < dist[v] and candidate <= limit:
                dist[v] = candidate
                pred_edge[v] = arc_edge[k]
                pred_node[v] = u
                size = heap_push(keys, vals, size, candidate, v)
    for node in range(node_count):
        if dist[node] > limit:
            dist[node] = np.inf
            pred_edge[node] = -1
            pred_node[node] = -1
    return dist, pred_edge, pred_node


@kernel(nogil=True)
def path_to(
    pred_edge: np.ndarray, pred_node: np.ndarray, node: int
) -> tuple[np.ndarray, np.ndarray]:
    """The route from the start to ``node`` through a :func:`route_tree`'s predecessors.

    Returns
    -------
    nodes : ndarray of int64
        The nodes walked through, from the start node to ``node``.
    edges : ndarray of int64
        The edges walked, one fewer than the nodes.
    """
    count = 1
    at = node
    while pred_node[at] >= 0:
        at = pred_node[at]
        count += 1
        if count > len(pred_node):  # a cycle cannot happen with positive times; guard anyway
            break
    nodes = np.empty(count, dtype=np.int64)
    edges = np.empty(count - 1, dtype=np.int64)
    at = node
    for i in range(count - 1, -1, -1):
        nodes[i] = at
        if i > 0:
            edges[i - 1] = pred_edge[at]
            at = pred_node[at]
    return nodes, edges
