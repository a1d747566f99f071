"""Walk minutes against oracles: hand-counted answers and networkx with virtual nodes."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from oracle import oracle_distances, projected_graph, random_planar_graph

from yushu_circle import access
from yushu_circle.access import minutes_to_nearest, multi_source_minutes, walk_access
from yushu_circle.network import WalkNetwork, min_csr

SPEED_KMH = 4.0
PER_MIN = SPEED_KMH * 1000 / 60


def _snap(net: WalkNetwork, points: list[tuple[float, float]], limit: float = 300.0):
    xy = np.asarray(points, dtype=float).reshape(-1, 2)
    return net.snap(xy[:, 0], xy[:, 1], limit)


def test_residence_on_same_edge_as_clinic() -> None:
    graph = projected_graph({1: (0, 0), 2: (1000, 0)}, [(1, 2)])
    net = WalkNetwork.from_graph(graph, speed_kmh=SPEED_KMH)
    residence = _snap(net, [(300, 20)])
    clinic = _snap(net, [(700, -10)])
    minutes = minutes_to_nearest(net, residence, clinic)
    # 20 m access + 400 m along the street + 10 m to the clinic's door.
    assert minutes[0] == pytest.approx((20 + 400 + 10) / PER_MIN, abs=1e-9)


def test_same_edge_behind_the_residence() -> None:
    graph = projected_graph({1: (0, 0), 2: (1000, 0), 3: (1000, 500)}, [(1, 2), (2, 3)])
    net = WalkNetwork.from_graph(graph, speed_kmh=SPEED_KMH)
    minutes = minutes_to_nearest(net, _snap(net, [(800, 5)]), _snap(net, [(100, 5)]))
    assert minutes[0] == pytest.approx((5 + 700 + 5) / PER_MIN)


def test_opposite_banks_of_a_river_walk_to_the_bridge() -> None:
    # Two banks 100 m apart along y=0 and y=100; the only bridge is at x=1000.
    nodes = {1: (0, 0), 2: (1000, 0), 3: (0, 100), 4: (1000, 100)}
    graph = projected_graph(nodes, [(1, 2), (3, 4), (2, 4)])
    net = WalkNetwork.from_graph(graph, speed_kmh=SPEED_KMH)
    residence = _snap(net, [(200, -10)])  # south bank
    clinic = _snap(net, [(200, 110)])  # facing it on the north bank
    minutes = minutes_to_nearest(net, residence, clinic)[0]
    walked = 10 + 800 + 100 + 800 + 10
    assert minutes == pytest.approx(walked / PER_MIN)
    straight = 120 / PER_MIN
    assert minutes > 10 * straight


def test_unreachable_component_gives_nan() -> None:
    nodes = {1: (0, 0), 2: (500, 0), 3: (0, 5000), 4: (500, 5000)}
    graph = projected_graph(nodes, [(1, 2), (3, 4)])
    net = WalkNetwork.from_graph(graph, speed_kmh=SPEED_KMH, keep_all_components=True)
    minutes = minutes_to_nearest(net, _snap(net, [(100, 5), (100, 4995)]), _snap(net, [(50, 5010)]))
    assert np.isnan(minutes[0])
    assert minutes[1] == pytest.approx((5 + 50 + 10) / PER_MIN)


def test_largest_component_kept_and_others_reported() -> None:
    nodes = {1: (0, 0), 2: (500, 0), 3: (1000, 0), 4: (0, 5000), 5: (10, 5000)}
    graph = projected_graph(nodes, [(1, 2), (2, 3), (4, 5)])
    net = WalkNetwork.from_graph(graph)
    assert net.node_count == 3
    assert net.dropped_components == [2]


def test_point_beyond_snap_limit_is_flagged_not_moved() -> None:
    graph = projected_graph({1: (0, 0), 2: (1000, 0)}, [(1, 2)])
    net = WalkNetwork.from_graph(graph)
    snap = _snap(net, [(500, 50), (500, 400)], limit=300)
    assert snap.on_network.tolist() == [True, False]
    assert snap.snap_m[1] == pytest.approx(400)
    minutes = minutes_to_nearest(net, snap, _snap(net, [(0, 0)]))
    assert np.isfinite(minutes[0]) and np.isnan(minutes[1])


def test_no_facility_gives_nan_everywhere() -> None:
    graph = projected_graph({1: (0, 0), 2: (1000, 0)}, [(1, 2)])
    net = WalkNetwork.from_graph(graph)
    empty = net.snap(np.array([]), np.array([]))
    assert np.isnan(minutes_to_nearest(net, _snap(net, [(5, 5)]), empty)).all()


def test_facility_at_a_node_with_zero_offset() -> None:
    graph = projected_graph({1: (0, 0), 2: (100, 0), 3: (200, 0)}, [(1, 2), (2, 3)])
    net = WalkNetwork.from_graph(graph)
    minutes = minutes_to_nearest(net, _snap(net, [(0, 0)]), _snap(net, [(100, 0)]))
    assert minutes[0] == pytest.approx(100 / PER_MIN)


@pytest.mark.parametrize("seed", range(6))
def test_random_graphs_match_networkx_with_virtual_nodes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    graph = random_planar_graph(rng, 40)
    graph = graph.subgraph(max(nx.connected_components(graph), key=len)).copy()
    graph.graph["crs"] = "EPSG:32647"
    net = WalkNetwork.from_graph(graph, speed_kmh=SPEED_KMH)
    origins = [tuple(p) for p in rng.uniform(0, 1000, size=(25, 2))]
    targets = [tuple(p) for p in rng.uniform(0, 1000, size=(4, 2))]
    ours = minutes_to_nearest(net, _snap(net, origins, 1e6), _snap(net, targets, 1e6))
    expected_m = oracle_distances(graph, origins, targets)
    np.testing.assert_allclose(ours * PER_MIN, expected_m, atol=0.01)


@pytest.mark.parametrize("seed", range(4))
def test_asymmetric_edges_walk_residence_to_facility(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    graph = random_planar_graph(rng, 30)
    graph = graph.subgraph(max(nx.connected_components(graph), key=len)).copy()
    graph.graph["crs"] = "EPSG:32647"
    net = WalkNetwork.from_graph(graph, speed_kmh=SPEED_KMH)
    forward = rng.uniform(0.5, 2.0, net.edge_count)
    backward = rng.uniform(0.5, 2.0, net.edge_count)
    sloped = net.with_times(net.time_uv * forward, net.time_vu * backward)
    ids = net.node_ids
    factor: dict[tuple[int, int], float] = {}
    for e in range(net.edge_count):
        u, v = int(ids[net.edge_u[e]]), int(ids[net.edge_v[e]])
        factor[(u, v)] = float(forward[e])
        factor[(v, u)] = float(backward[e])
    origins = [tuple(p) for p in rng.uniform(0, 1000, size=(20, 2))]
    targets = [tuple(p) for p in rng.uniform(0, 1000, size=(3, 2))]
    ours = minutes_to_nearest(sloped, _snap(net, origins, 1e6), _snap(net, targets, 1e6))
    expected_m = oracle_distances(graph, origins, targets, weight_factor=factor)
    np.testing.assert_allclose(ours * PER_MIN, expected_m, atol=0.01)


def test_multi_source_offsets_match_networkx() -> None:
    rng = np.random.default_rng(7)
    graph = random_planar_graph(rng, 50)
    graph.graph["crs"] = "EPSG:32647"
    net = WalkNetwork.from_graph(graph, keep_all_components=True)
    sources = np.array([0, 5, 9])
    offsets = np.array([3.0, 0.0, 1.5])
    ours = multi_source_minutes(net.csr(), sources, offsets)
    oracle = nx.Graph()
    oracle.add_nodes_from(range(net.node_count))
    for e in range(net.edge_count):
        oracle.add_edge(int(net.edge_u[e]), int(net.edge_v[e]), weight=net.time_uv[e])
    for s, off in zip(sources, offsets, strict=True):
        oracle.add_edge("virtual", int(s), weight=off)
    lengths = nx.single_source_dijkstra_path_length(oracle, "virtual")
    expected = np.array([lengths.get(i, np.inf) for i in range(net.node_count)])
    np.testing.assert_allclose(ours, expected, atol=1e-9)


@pytest.mark.parametrize("per_category", [False, True])
def test_table_of_many_categories_matches_networkx(
    per_category: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small networks split the categories into one block per thread, big ones search one
    # category per call: both must give every column its own oracle answer.
    if per_category:
        monkeypatch.setattr(access, "PER_CATEGORY_MIN_NODES", 0)
    rng = np.random.default_rng(11)
    graph = random_planar_graph(rng, 60)
    graph = graph.subgraph(max(nx.connected_components(graph), key=len)).copy()
    graph.graph["crs"] = "EPSG:32647"
    net = WalkNetwork.from_graph(graph, speed_kmh=SPEED_KMH)
    origins = [tuple(p) for p in rng.uniform(0, 1000, size=(40, 2))]
    # one category sits right beside some residences (same edge), one has no facility
    beside = [(x + 3.0, y - 2.0) for x, y in origins[:3]]
    categories = {
        "school": [tuple(p) for p in rng.uniform(0, 1000, size=(3, 2))],
        "clinic": [tuple(p) for p in rng.uniform(0, 1000, size=(1, 2))],
        "shop": beside,
        "market": [tuple(p) for p in rng.uniform(0, 1000, size=(6, 2))],
        "post_office": [],
    }
    snaps = {key: _snap(net, points, 1e6) for key, points in categories.items()}
    result = walk_access(net, _snap(net, origins, 1e6), snaps)
    table = result.minutes
    assert list(table.columns) == [f"walk_min_{key}" for key in categories]
    assert set(result.node_minutes) == set(categories)
    for key, points in categories.items():
        column = table[f"walk_min_{key}"].to_numpy()
        if not points:
            assert np.isnan(column).all()
            continue
        expected_m = oracle_distances(graph, origins, points)
        np.testing.assert_allclose(column * PER_MIN, expected_m, atol=0.01)


def test_closed_edge_still_reaches_a_facility_at_its_end() -> None:
    # Steps closed to a wheelchair (inf both ways) end at the clinic's corner: the clinic
    # snaps onto the closed edge at its very end and must still be reached from the open side.
    nodes = {1: (0, 0), 2: (100, 0), 3: (200, 0), 4: (300, 0)}
    graph = projected_graph(nodes, [(1, 2), (2, 3), (3, 4)])
    net = WalkNetwork.from_graph(graph, speed_kmh=SPEED_KMH)
    ends = [
        {int(net.node_ids[u]), int(net.node_ids[v])}
        for u, v in zip(net.edge_u, net.edge_v, strict=True)
    ]
    assert sorted(map(sorted, ends)) == [[1, 2], [2, 3], [3, 4]]
    closed = np.array([pair == {1, 2} for pair in ends])
    stepped = net.with_times(
        np.where(closed, np.inf, net.time_uv), np.where(closed, np.inf, net.time_vu)
    )
    clinic = _snap(stepped, [(100, 0)])
    residences = _snap(stepped, [(300, 0), (100, 0), (50, 0)])
    minutes = minutes_to_nearest(stepped, residences, clinic)
    assert minutes[0] == pytest.approx(200 / PER_MIN)
    assert minutes[1] == pytest.approx(0.0)
    # halfway down the closed steps is neither walkable towards node 2 nor from node 1
    assert np.isnan(minutes[2])


def test_min_csr_keeps_the_smallest_of_duplicate_arcs() -> None:
    rng = np.random.default_rng(3)
    for _ in range(100):
        size = int(rng.integers(1, 25))
        arcs = int(rng.integers(0, 120))
        rows = rng.integers(0, size, arcs)
        cols = rng.integers(0, size, arcs)
        weights = rng.choice([0.0, 0.3, 1.0, 2.5, np.inf], arcs)
        expected = np.full((size, size), np.inf)
        for r, c, w in zip(rows, cols, weights, strict=True):
            if r != c:
                expected[r, c] = min(expected[r, c], w)
        got = min_csr(rows, cols, weights, size)
        assert got.has_sorted_indices
        coo = got.tocoo()
        assert len(set(zip(coo.row.tolist(), coo.col.tolist(), strict=True))) == coo.nnz
        dense = np.full((size, size), np.inf)
        dense[coo.row, coo.col] = coo.data
        np.testing.assert_array_equal(dense, expected)


def test_blocks_shared_between_threads_keep_their_order_and_errors() -> None:
    blocks = [[str(i)] for i in range(40)]
    results = access._run_blocks(blocks, lambda block: (np.array([int(block[0])]), np.zeros(1)))
    assert [int(nodes[0]) for nodes, _ in results] == list(range(40))

    def failing(block: list[str]) -> tuple[np.ndarray, np.ndarray]:
        if block == ["7"]:
            raise ValueError("category 7 failed")
        return np.zeros(1), np.zeros(1)

    with pytest.raises(ValueError, match="category 7"):
        access._run_blocks(blocks, failing)


@pytest.mark.parametrize("seed", range(3))
def test_both_heaps_give_back_their_keys_in_order(seed: int) -> None:
    from yushu_circle._core.kernels import heap4_pop, heap4_push, heap_pop, heap_push

    rng = np.random.default_rng(seed)
    keys_in = np.round(rng.random(500) * 50, 1)  # many equal keys
    for push, pop in ((heap_push, heap_pop), (heap4_push, heap4_pop)):
        keys = np.empty(len(keys_in))
        vals = np.empty(len(keys_in), dtype=np.int64)
        size = 0
        out = []
        for i, key in enumerate(keys_in):
            size = push(keys, vals, size, float(key), i)
            if i % 3 == 2:  # interleave pops with pushes
                out.append((keys[0], vals[0]))
                size = pop(keys, vals, size)
        while size:
            out.append((keys[0], vals[0]))
            size = pop(keys, vals, size)
        popped = [k for k, _ in out]
        assert sorted(v for _, v in out) == list(range(len(keys_in)))
        assert all(keys_in[v] == k for k, v in out)
        # Each pop is the smallest key present at that moment.
        present: list[float] = []
        j = 0
        for i, key in enumerate(keys_in):
            present.append(float(key))
            if i % 3 == 2:
                assert popped[j] == min(present)
                present.remove(popped[j])
                j += 1
        assert popped[j:] == sorted(present)
