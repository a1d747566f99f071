"""Properties of walk minutes over random graphs, points and speeds (hypothesis)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from oracle import oracle_distances, random_planar_graph

from yushu_circle.access import minutes_to_nearest
from yushu_circle.errors import InputError
from yushu_circle.network import Snap, WalkNetwork
from yushu_circle.options import check_speed

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
points_strategy = st.lists(
    st.tuples(st.floats(-100, 1100), st.floats(-100, 1100)), min_size=1, max_size=8
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[nx.MultiGraph, np.ndarray, np.ndarray, float]:
    """A random street-like graph (metres, EPSG:32647), origins, targets and a speed."""
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(4, 25))
    keep = draw(st.floats(0.3, 1.0))
    graph = random_planar_graph(np.random.default_rng(seed), n, keep=keep)
    assume(graph.number_of_edges() > 0)
    origins = np.array(draw(points_strategy))
    targets = np.array(draw(points_strategy))
    speed = draw(st.floats(0.5, 20.0))
    return graph, origins, targets, speed


def _snap(net: WalkNetwork, points: np.ndarray) -> Snap:
    return net.snap(points[:, 0], points[:, 1], limit_m=1e9)


def _minutes(
    graph: nx.MultiGraph, origins: np.ndarray, targets: np.ndarray, speed: float
) -> np.ndarray:
    net = WalkNetwork.from_graph(graph, speed_kmh=speed, keep_all_components=True)
    return minutes_to_nearest(net, _snap(net, origins), _snap(net, targets))


def _as_inf(values: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(values), np.inf, values)


@SETTINGS
@given(cases())
def test_walk_minutes_never_beat_the_straight_line(case: tuple) -> None:
    graph, origins, targets, speed = case
    minutes = _minutes(graph, origins, targets, speed)
    metres_per_minute = speed * 1000 / 60
    straight = np.hypot(
        origins[:, None, 0] - targets[None, :, 0], origins[:, None, 1] - targets[None, :, 1]
    ).min(axis=1)
    bound = straight / metres_per_minute
    reached = np.isfinite(minutes)
    assert np.all(minutes[reached] >= bound[reached] * (1 - 1e-9) - 1e-9)


@SETTINGS
@given(cases(), st.tuples(st.floats(-100, 1100), st.floats(-100, 1100)))
def test_adding_a_facility_never_increases_walk_minutes(case: tuple, extra: tuple) -> None:
    graph, origins, targets, speed = case
    before = _as_inf(_minutes(graph, origins, targets, speed))
    after = _as_inf(_minutes(graph, origins, np.vstack([targets, [extra]]), speed))
    assert np.all(after <= before + 1e-9)


@SETTINGS
@given(cases(), st.integers(0, 10_000))
def test_removing_an_unused_edge_never_decreases_walk_minutes(case: tuple, pick: int) -> None:
    # Only edges no point snapped to: removing a point's own edge moves its access leg,
    # which is a change of input, not of the network between fixed points.
    graph, origins, targets, speed = case
    net = WalkNetwork.from_graph(graph, speed_kmh=speed, keep_all_components=True)
    points = np.vstack([origins, targets])
    snap = _snap(net, points)
    import shapely

    lines = net.edge_geometry
    distance = shapely.distance(lines[:, None], shapely.points(points)[None, :])
    spare = np.flatnonzero(np.all(distance > snap.snap_m[None, :] + 1e-6, axis=1))
    assume(len(spare) > 0)
    edge = int(spare[pick % len(spare)])
    u, v = int(net.node_ids[net.edge_u[edge]]), int(net.node_ids[net.edge_v[edge]])
    smaller = graph.copy()
    key = next(iter(smaller.get_edge_data(u, v)))
    smaller.remove_edge(u, v, key)
    assume(smaller.number_of_edges() > 0)
    before = _as_inf(_minutes(graph, origins, targets, speed))
    after = _as_inf(_minutes(smaller, origins, targets, speed))
    assert np.all(after >= before - 1e-9)


@SETTINGS
@given(cases())
def test_walk_minutes_agree_with_networkx_and_virtual_nodes(case: tuple) -> None:
    graph, origins, targets, speed = case
    minutes = _as_inf(_minutes(graph, origins, targets, speed))
    metres = oracle_distances(graph, [tuple(p) for p in origins], [tuple(p) for p in targets])
    expected = metres / (speed * 1000 / 60)
    assert np.array_equal(np.isinf(minutes), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(minutes[finite], expected[finite], rtol=1e-7, atol=1e-7)


@SETTINGS
@given(cases(), st.floats(0.01, 2000.0))
def test_snap_limit_decides_who_is_on_the_network(case: tuple, limit: float) -> None:
    graph, origins, targets, speed = case
    net = WalkNetwork.from_graph(graph, speed_kmh=speed, keep_all_components=True)
    snap = net.snap(origins[:, 0], origins[:, 1], limit_m=limit)
    assert np.array_equal(snap.on_network, snap.snap_m <= limit)
    minutes = minutes_to_nearest(net, snap, _snap(net, targets))
    assert np.all(np.isnan(minutes[~snap.on_network]))


@SETTINGS
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5)))
def test_speed_is_accepted_only_in_its_range(value: object) -> None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except ValueError:
        number = float("nan")
    if 0 < number <= 20:
        assert check_speed(value) == number  # type: ignore[arg-type]
    else:
        with pytest.raises(InputError) as info:
            check_speed(value)  # type: ignore[arg-type]
        assert "speed" in info.value.message
