"""Independent oracles for walk distances: hand-built graphs and networkx with virtual nodes."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import networkx as nx
import numpy as np
from shapely.geometry import LineString, Point

CRS = "EPSG:32647"  # UTM 47N, Yushu's zone: hand-built graphs are in metres


def projected_graph(
    nodes: dict[int, tuple[float, float]], edges: Sequence[tuple[int, int]]
) -> nx.MultiGraph:
    """A projected (metre) undirected graph with straight edges of euclidean length."""
    graph = nx.MultiGraph(crs=CRS)
    for node, (x, y) in nodes.items():
        graph.add_node(node, x=float(x), y=float(y))
    for u, v in edges:
        line = LineString([nodes[u], nodes[v]])
        graph.add_edge(u, v, length=line.length, geometry=line, highway="residential")
    return graph


def random_planar_graph(rng: np.random.Generator, n: int, keep: float = 0.8) -> nx.MultiGraph:
    """A random street-like graph: Delaunay edges of random points, some removed."""
    from scipy.spatial import Delaunay

    points = rng.uniform(0, 1000, size=(n, 2))
    triangles = Delaunay(points).simplices
    edges = set()
    for a, b, c in triangles:
        for u, v in ((a, b), (b, c), (a, c)):
            edges.add((int(min(u, v)), int(max(u, v))))
    chosen = [e for e in sorted(edges) if rng.random() < keep]
    nodes = {i: (float(p[0]), float(p[1])) for i, p in enumerate(points)}
    return projected_graph(nodes, chosen)


def nearest_edge_bruteforce(graph: nx.MultiGraph, point: tuple[float, float]) -> tuple:
    """(u, v, key, along_m, dist_m) of the edge nearest to a point, by checking every edge."""
    best = None
    p = Point(point)
    for u, v, key, data in graph.edges(keys=True, data=True):
        line: LineString = data["geometry"]
        if Point(line.coords[0]).distance(Point(graph.nodes[u]["x"], graph.nodes[u]["y"])) > 1e-6:
            line = LineString(line.coords[::-1])
        dist = line.distance(p)
        if best is None or dist < best[4] - 1e-9:
            best = (u, v, key, line.project(p), dist)
    assert best is not None
    return best


def oracle_distances(
    graph: nx.MultiGraph,
    origins: Sequence[tuple[float, float]],
    targets: Sequence[tuple[float, float]],
    weight_factor: dict[tuple[int, int], float] | None = None,
) -> np.ndarray:
    """Metres (or weighted metres) from each origin to its nearest target, by networkx.

    Every point is snapped by brute force to its nearest edge; the edge is split at the
    snapped positions into a chain of virtual nodes; each point hangs off its virtual node
    by its straight access leg. Then plain Dijkstra on the directed graph.

    Parameters
    ----------
    weight_factor : dict, optional
        ``(u, v) -> factor`` multiplying the along-edge cost when walking from u to v
        (asymmetric edges); missing pairs use 1.
    """
    factor = weight_factor or {}
    placed: dict[tuple, list[tuple[float, str, float]]] = {}
    for kind, points in (("o", origins), ("t", targets)):
        for i, pt in enumerate(points):
            u, v, key, along, dist = nearest_edge_bruteforce(graph, pt)
            placed.setdefault((u, v, key), []).append((along, f"{kind}{i}", dist))
    digraph = nx.DiGraph()
    for u, v, key, data in graph.edges(keys=True, data=True):
        length = data["length"]
        chain = [(0.0, u, 0.0)]
        for along, name, dist in sorted(placed.get((u, v, key), [])):
            chain.append((along, f"on-{name}", dist))
            digraph.add_edge(f"on-{name}", name, weight=dist)
            digraph.add_edge(name, f"on-{name}", weight=dist)
        chain.append((length, v, 0.0))
        for (a0, n0, _), (a1, n1, _) in itertools.pairwise(chain):
            seg = a1 - a0
            _add_min(digraph, n0, n1, seg * factor.get((u, v), 1.0))
            _add_min(digraph, n1, n0, seg * factor.get((v, u), 1.0))
    result = np.full(len(origins), np.inf)
    target_names = {f"t{i}" for i in range(len(targets))}
    for i in range(len(origins)):
        lengths = nx.single_source_dijkstra_path_length(digraph, f"o{i}", weight="weight")
        reached = [lengths[t] for t in target_names if t in lengths]
        if reached:
            result[i] = min(reached)
    return result


def _add_min(graph: nx.DiGraph, a: object, b: object, weight: float) -> None:
    if a == b:
        return
    if graph.has_edge(a, b):
        graph[a][b]["weight"] = min(graph[a][b]["weight"], weight)
    else:
        graph.add_edge(a, b, weight=weight)
