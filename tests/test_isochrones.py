"""Isochrones against an exact networkx oracle on hand-built and random street graphs.

The oracle: each origin is snapped by brute force onto its nearest edge, that edge is split
at a virtual node, the origin hangs off it by its access leg, and networkx Dijkstra gives the
minutes to every node. A point at fraction ``s`` of an (oracle) edge ``a→b`` is reached
within ``t`` when ``min(d[a] + s·t_ab, d[b] + (1 − s)·t_ba) ≤ t``.

Tolerance, rigorous both ways: the polygon is the buffer (width ``r``) of the reached set,
drawn with a regular polygon of ``4·quad_segs`` corners of mean width ``2r`` instead of a
circle, so it lies within ``r·(1 + (π/4q)²/6)`` (< ``r + h``) of the reached set and
contains everything within ``r − sag`` of it (``sag = r·(1 − cos(π/4q))``).
The reached set is known through samples every ``h`` metres along the edges. Hence:
a reached sample must be inside; a point within ``r − sag`` of a reached sample must be
inside; a point inside must be within ``r + h`` of a reached sample (a reached stretch may
end up to ``h`` past its last reached sample).
"""

from __future__ import annotations

import itertools
import math
import os
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.ops
from scipy.spatial import cKDTree

from tests.oracle import nearest_edge_bruteforce, projected_graph, random_planar_graph
from yushu_circle.errors import InputError
from yushu_circle.isochrones import DEFAULT_QUAD_SEGS, isochrones
from yushu_circle.network import WalkNetwork

SPEED_KMH = 4.0
MPM = SPEED_KMH * 1000 / 60
BUFFER = 25.0
STEP = 2.0
SAG = BUFFER * (1 - math.cos(math.pi / (4 * DEFAULT_QUAD_SEGS)))


def _piece(line: shapely.LineString, start: float, end: float) -> shapely.LineString:
    """``line`` from fraction ``start`` to ``end`` (a zero-length line at an end node)."""
    part = shapely.ops.substring(line, start, end, normalized=True)
    return shapely.LineString([part, part]) if part.geom_type == "Point" else part


def _oracle_samples(
    graph: nx.MultiGraph,
    point: tuple[float, float],
    slow: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Sample points along every edge and their oracle walk minutes from ``point``.

    ``slow`` multiplies the time of walking an edge from its lower to its higher node id.
    """
    u0, v0, k0, along0, off = nearest_edge_bruteforce(graph, point)
    digraph = nx.DiGraph()
    segments = []  # (a, b, line a->b, minutes a->b, minutes b->a)
    for u, v, k, data in graph.edges(keys=True, data=True):
        line = data["geometry"]
        if (
            shapely.Point(line.coords[0]).distance(
                shapely.Point(graph.nodes[u]["x"], graph.nodes[u]["y"])
            )
            > 1e-6
        ):
            line = shapely.LineString(line.coords[::-1])
        fwd = slow if u < v else 1.0  # factor walking u -> v
        back = slow if v < u else 1.0
        minutes = data["length"] / MPM
        if (u, v, k) == (u0, v0, k0):
            frac = along0 / line.length
            first = _piece(line, 0, frac)
            second = _piece(line, frac, 1)
            segments.append((u, "O", first, frac * minutes * fwd, frac * minutes * back))
            segments.append(
                ("O", v, second, (1 - frac) * minutes * fwd, (1 - frac) * minutes * back)
            )
        else:
            segments.append((u, v, line, minutes * fwd, minutes * back))
    for a, b, _, tab, tba in segments:
        for x, y, t in ((a, b, tab), (b, a, tba)):
            if not digraph.has_edge(x, y) or digraph[x][y]["w"] > t:
                digraph.add_edge(x, y, w=t)
    digraph.add_edge("R", "O", w=off / MPM)
    dist = nx.single_source_dijkstra_path_length(digraph, "R", weight="w")
    xy, minutes_at = [], []
    for a, b, line, tab, tba in segments:
        count = max(2, math.ceil(line.length / STEP) + 1)
        s = np.linspace(0, 1, count)
        pts = shapely.line_interpolate_point(line, s, normalized=True)
        xy.append(shapely.get_coordinates(pts))
        minutes_at.append(
            np.minimum(dist.get(a, np.inf) + s * tab, dist.get(b, np.inf) + (1 - s) * tba)
        )
    return np.vstack(xy), np.concatenate(minutes_at)


def _check_against_oracle(
    polygon: shapely.Geometry,
    samples: np.ndarray,
    minutes_at: np.ndarray,
    t: float,
    rng: np.random.Generator,
) -> None:
    reached = samples[minutes_at <= t]
    lo, hi = samples.min(axis=0) - 60, samples.max(axis=0) + 60
    probes = np.vstack([samples, rng.uniform(lo, hi, size=(3000, 2))])
    inside = shapely.contains_xy(polygon, probes[:, 0], probes[:, 1])
    if len(reached) == 0:
        assert polygon.is_empty
        return
    near = cKDTree(reached).query(probes)[0]
    strictly_reached = np.zeros(len(probes), dtype=bool)
    strictly_reached[: len(samples)] = minutes_at <= t - 1e-9
    assert inside[strictly_reached].all(), "a point reached within t is outside the polygon"
    assert inside[near <= BUFFER - SAG - 1e-6].all(), "a point within the buffer is outside"
    assert (near[inside] <= BUFFER + STEP + 1e-6).all(), "a point beyond the buffer is inside"


@pytest.mark.parametrize("slow", [1.0, 1.8])
@pytest.mark.parametrize("seed", [0, 1])
def test_polygon_matches_networkx_oracle_pointwise(seed: int, slow: float) -> None:
    rng = np.random.default_rng(seed)
    graph = random_planar_graph(rng, 45, keep=0.7)
    network = WalkNetwork.from_graph(graph, speed_kmh=SPEED_KMH, keep_all_components=True)
    if slow != 1.0:  # walking from the lower to the higher node id is slower (a slope)
        ids = network.node_ids
        up = ids[network.edge_u] < ids[network.edge_v]
        base = network.edge_length / MPM
        network = network.with_times(
            np.where(up, base * slow, base), np.where(up, base, base * slow)
        )
    points = [tuple(p) for p in rng.uniform(150, 850, size=(3, 2))]
    snap = network.snap(np.array([p[0] for p in points]), np.array([p[1] for p in points]))
    minutes = (3.0, 6.0, 9.0)
    result = isochrones(network, snap, minutes, BUFFER, threads=1)
    for i, point in enumerate(points):
        samples, minutes_at = _oracle_samples(graph, point, slow)
        for j, t in enumerate(minutes):
            _check_against_oracle(result.polygons[i, j], samples, minutes_at, t, rng)


def _cross_with_spur() -> nx.MultiGraph:
    """A 3×3 block grid (100 m) with a 150 m dead-end spur off its east side."""
    nodes = {i * 4 + j: (100.0 * j, 100.0 * i) for i in range(4) for j in range(4)}
    edges = [(i * 4 + j, i * 4 + j + 1) for i in range(4) for j in range(3)]
    edges += [(i * 4 + j, (i + 1) * 4 + j) for i in range(3) for j in range(4)]
    nodes[100] = (450.0, 100.0)
    edges.append((7, 100))
    return projected_graph(nodes, edges)


@pytest.mark.parametrize(
    "point",
    [(450.0, 100.0), (450.0, 130.0), (50.0, 160.0), (150.0, 150.0)],
    ids=["dead-end-tip", "off-dead-end", "off-street-60m", "block-centre"],
)
def test_dead_end_and_off_network_origins_match_oracle(point: tuple[float, float]) -> None:
    graph = _cross_with_spur()
    network = WalkNetwork.from_graph(graph, speed_kmh=SPEED_KMH)
    snap = network.snap(np.array([point[0]]), np.array([point[1]]))
    minutes = (1.0, 2.5, 4.0, 7.0)
    result = isochrones(network, snap, minutes, BUFFER, threads=1)
    samples, minutes_at = _oracle_samples(graph, point)
    rng = np.random.default_rng(5)
    for j, t in enumerate(minutes):
        _check_against_oracle(result.polygons[0, j], samples, minutes_at, t, rng)


def test_thresholds_nest() -> None:
    rng = np.random.default_rng(2)
    graph = random_planar_graph(rng, 60)
    network = WalkNetwork.from_graph(graph, speed_kmh=SPEED_KMH)
    xy = rng.uniform(100, 900, size=(8, 2))
    result = isochrones(network, network.snap(xy[:, 0], xy[:, 1]), (2, 5, 8, 12), threads=1)
    for row in result.polygons:
        for small, big in itertools.pairwise(row):
            assert not big.is_empty
            assert small.difference(big).area <= 1e-6 * max(big.area, 1.0)
            assert small.area <= big.area


def test_threshold_shorter_than_access_leg_is_empty() -> None:
    network = WalkNetwork.from_graph(_cross_with_spur(), speed_kmh=SPEED_KMH)
    # 120 m south of the grid: the access leg alone takes 1.8 minutes.
    snap = network.snap(np.array([150.0]), np.array([-120.0]))
    result = isochrones(network, snap, (1.0, 1.79, 3.0), threads=1)
    assert result.polygons[0, 0].is_empty
    assert result.polygons[0, 1].is_empty
    assert not result.polygons[0, 2].is_empty
    # 1.2 minutes of walking left at 3 minutes: 80 m each way along the street.
    reach = result.polygons[0, 2]
    assert reach.contains(shapely.Point(150 - 75, 0)) and reach.contains(shapely.Point(150 + 75, 0))
    assert not reach.contains(shapely.Point(150 + 80 + BUFFER + 2, 0))


def test_residences_in_one_building_share_one_search() -> None:
    network = WalkNetwork.from_graph(_cross_with_spur(), speed_kmh=SPEED_KMH)
    # Three flats in one building (the third 2 mm further from its street), one elsewhere.
    x = np.array([130.0, 130.0, 130.002, 260.0])
    y = np.array([40.0, 40.0, 40.0, 170.0])
    result = isochrones(network, network.snap(x, y), (5, 10, 15), threads=1)
    assert result.searches == 2
    # Equal access legs share polygons; the flat 2 mm further back gets its own budgets.
    assert result.built == 3 * 3
    for j in range(3):
        assert result.polygons[0, j] is result.polygons[1, j]
        assert result.polygons[0, j].equals(result.polygons[2, j]) or (
            shapely.symmetric_difference(result.polygons[0, j], result.polygons[2, j]).area < 1.0
        )


def test_off_network_residence_gets_empty_polygons() -> None:
    network = WalkNetwork.from_graph(_cross_with_spur(), speed_kmh=SPEED_KMH)
    snap = network.snap(np.array([150.0, 5000.0]), np.array([50.0, 5000.0]), limit_m=300)
    result = isochrones(network, snap, (5,), threads=1)
    assert not result.polygons[0, 0].is_empty
    assert result.polygons[1, 0].is_empty


@pytest.mark.parametrize("bad", [(0, 5), (-1,), (), ("x",)])
def test_bad_minutes_are_rejected(bad: tuple) -> None:
    network = WalkNetwork.from_graph(_cross_with_spur())
    snap = network.snap(np.array([150.0]), np.array([50.0]))
    with pytest.raises(InputError):
        isochrones(network, snap, bad)


def test_run_writes_isochrones_parquet(good_out: Path) -> None:
    import geopandas as gpd

    frame = gpd.read_parquet(good_out / "isochrones.parquet")
    residences = pd.read_parquet(good_out / "residences.parquet")
    assert list(frame.columns) == ["residence_id", "minutes", "geometry"]
    assert frame.crs.to_epsg() == 4326
    assert len(frame) == 3 * len(residences)
    assert sorted(frame["minutes"].unique()) == [5, 10, 15]
    on = residences.loc[residences["on_network"], "residence_id"]
    fifteen = frame[(frame["minutes"] == 15) & frame["residence_id"].isin(on)]
    assert (~fifteen.geometry.is_empty).all()


def test_run_without_isochrones(cli, town_osm: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    result = cli("--quiet", "run", "--osm-file", town_osm, "--out", out, "--no-isochrones")
    assert result.code == 0
    assert not (out / "isochrones.parquet").exists()
    result = cli("--quiet", "run", "--osm-file", town_osm, "--out", out, "--iso-minutes", "4,8")
    assert result.code == 0
    import geopandas as gpd

    assert sorted(gpd.read_parquet(out / "isochrones.parquet")["minutes"].unique()) == [4, 8]


def _awkward_graph() -> nx.MultiGraph:
    """Streets that stress the outline: zigzags, a U-turn, a self-crossing street, a loop
    edge, a node of degree 5, dead ends and a sliver of a street (1 cm)."""
    graph = nx.MultiGraph(crs="EPSG:32647")
    nodes = {0: (0, 0), 1: (200, 0), 2: (200, 150), 3: (-120, 60), 4: (60, -140), 5: (0, 0.01)}
    for node, (x, y) in nodes.items():
        graph.add_node(node, x=float(x), y=float(y))
    lines = {
        (0, 1): [(0, 0), (50, 40), (100, -40), (150, 40), (200, 0)],  # zigzag
        (1, 2): [(200, 0), (260, 80), (140, 80), (200, 150)],  # crosses nothing, sharp turns
        (0, 2): [(0, 0), (120, 120), (120, 60), (60, 120), (200, 150)],  # crosses itself
        (0, 3): [(0, 0), (-120, 60)],
        (0, 4): [(0, 0), (60, -140)],
        (4, 4): [(60, -140), (120, -200), (0, -200), (60, -140)],  # a loop at a dead end
        (3, 3): [(-120, 60), (-200, 60), (-120, 60.5)],  # a hairpin back to its node
        (0, 5): [(0, 0), (0, 0.01)],
    }
    for (u, v), coords in lines.items():
        line = shapely.LineString(coords)
        graph.add_edge(u, v, length=line.length, geometry=line, highway="residential")
    return graph


@pytest.mark.parametrize("quad_segs", [1, 4, 8])
def test_polygon_is_the_minkowski_sum_with_the_corner_pattern(quad_segs: int) -> None:
    """Whole network reached: the polygon equals the union, built by shapely, of the convex
    hulls of every street segment's two ends plus the buffer's corner pattern."""
    from yushu_circle.isochrones import _SCALE, _pattern

    graph = _awkward_graph()
    network = WalkNetwork.from_graph(graph, speed_kmh=SPEED_KMH, keep_all_components=True)
    snap = network.snap(np.array([10.0]), np.array([5.0]))
    result = isochrones(network, snap, (60.0,), BUFFER, quad_segs=quad_segs, threads=1)
    corners = _pattern(BUFFER, quad_segs) / _SCALE
    hulls = []
    for line in network.edge_geometry:
        xy = np.asarray(line.coords)
        for a, b in itertools.pairwise(xy):
            hulls.append(shapely.MultiPoint(np.vstack([a + corners, b + corners])).convex_hull)
    exact = shapely.union_all(hulls)
    ours = result.polygons[0, 0]
    assert ours.is_valid and ours.geom_type == "Polygon"
    # Points are rounded to 0.1 mm: at most a 0.1 mm hair along the boundary differs.
    assert shapely.symmetric_difference(ours, exact).area <= 1e-4 * exact.length


def test_streamed_batches_and_worker_processes_give_the_same_polygons() -> None:
    from yushu_circle.isochrones import iter_isochrones

    rng = np.random.default_rng(4)
    graph = random_planar_graph(rng, 60)
    network = WalkNetwork.from_graph(graph, speed_kmh=SPEED_KMH)
    xy = np.vstack([rng.uniform(100, 900, size=(12, 2)), [[5000.0, 5000.0]]])
    snap = network.snap(xy[:, 0], xy[:, 1], limit_m=300)
    whole = isochrones(network, snap, (3, 6), threads=1)
    seen = np.zeros(len(snap), dtype=bool)
    for rows, polygons in iter_isochrones(network, snap, (3, 6), batch_size=2, threads=2):
        assert not seen[rows].any()
        seen[rows] = True
        for row, pair in zip(rows, polygons, strict=True):
            assert all(a.equals_exact(b, 0) for a, b in zip(pair, whole.polygons[row], strict=True))
    assert seen.tolist() == [True] * 12 + [False]  # the off-network origin is not yielded
    assert whole.polygons[12, 0].is_empty


def _exact_polygon(network: WalkNetwork, snap, i: int, minutes: float) -> shapely.Geometry:  # type: ignore[no-untyped-def]
    """The oracle: networkx Dijkstra with origin ``i`` as a virtual node splitting its edge,
    reached pieces buffered by GEOS (round ends) and unioned."""
    budget = minutes - snap.snap_m[i] / network.metres_per_minute
    e0, f = int(snap.edge[i]), float(snap.frac[i])
    graph = nx.DiGraph()
    segments = []
    for e in range(network.edge_count):
        u, v = int(network.edge_u[e]), int(network.edge_v[e])
        geom, tuv, tvu = network.edge_geometry[e], network.time_uv[e], network.time_vu[e]
        if e == e0:
            segments.append((u, "O", _piece(geom, 0, f), f * tuv, f * tvu))
            segments.append(("O", v, _piece(geom, f, 1), (1 - f) * tuv, (1 - f) * tvu))
        else:
            segments.append((u, v, geom, tuv, tvu))
    for a, b, _, tab, tba in segments:
        for x, y, t in ((a, b, tab), (b, a, tba)):
            if not graph.has_edge(x, y) or graph[x][y]["w"] > t:
                graph.add_edge(x, y, w=t)
    dist = nx.single_source_dijkstra_path_length(graph, "O", cutoff=budget, weight="w")
    pieces = []
    for a, b, geom, tab, tba in segments:
        for end, t, forward in ((a, tab, True), (b, tba, False)):
            if end in dist:
                reach = 1.0 if t == 0 else min(1.0, (budget - dist[end]) / t)
                if reach > 0:
                    pieces.append(_piece(geom, 0, reach) if forward else _piece(geom, 1 - reach, 1))
    return shapely.union_all(shapely.buffer(np.array(pieces, dtype=object), BUFFER))


def _iou(a: shapely.Geometry, b: shapely.Geometry) -> float:
    return float(shapely.intersection(a, b).area / shapely.union(a, b).area)


def _dense_centre(tmp_path: Path) -> Path:
    from tests.test_scale import _synthetic_city

    path = tmp_path / "centre.osm.pbf"
    _synthetic_city().make_centre(path, blocks=7)
    return path


@pytest.mark.parametrize("where", ["dense synthetic centre", "West Oakland"])
def test_iou_against_the_exact_oracle_on_dense_and_real_streets(where: str, tmp_path: Path) -> None:
    """IoU ≥ 0.99 for every sampled origin and threshold, on a centre with sidewalks,
    crossings and ~10 m edges, and on real OSM streets."""
    from yushu_circle import Study

    shared = os.environ.get("YUSHU_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared"
    oakland = Path(shared) / "data" / "west-oakland.osm.bz2"  # ../shared/data of the repo
    if where == "West Oakland" and not oakland.exists():
        pytest.skip("../shared/data is absent")
    study = Study.from_osm_file(_dense_centre(tmp_path) if where != "West Oakland" else oakland)
    network, snap = study.network, study.residence_snap
    if where != "West Oakland":
        assert 7.0 < float(np.median(network.edge_length)) < 13.0  # shaped like a real centre
    rows = np.random.default_rng(2).choice(np.flatnonzero(snap.on_network), 4, replace=False)
    origins = snap.subset(rows)
    minutes = (5.0, 10.0)
    result = isochrones(network, origins, minutes, BUFFER)
    for i in range(len(rows)):
        for j, t in enumerate(minutes):
            exact = _exact_polygon(network, origins, i, t)
            assert _iou(result.polygons[i, j], exact) >= 0.99, (where, i, t)


def test_cached_cells_give_the_polygons_of_one_union(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unions cached per fully reached cell and merged equal one union of every outline."""
    from yushu_circle import Study, outline_union

    path = _dense_centre(tmp_path)
    study = Study.from_osm_file(path)
    origins = study.residence_snap.subset(np.arange(0, 60, 6))
    cells = isochrones(study.network, origins)
    monkeypatch.setattr(outline_union, "LEAF_M", 1e7)  # one cell: nothing is cached
    whole = isochrones(Study.from_osm_file(path).network, origins)
    for a, b in zip(cells.polygons.ravel(), whole.polygons.ravel(), strict=True):
        assert a.geom_type == "Polygon"
        assert shapely.symmetric_difference(a, b).area <= 1e-4 * b.length
