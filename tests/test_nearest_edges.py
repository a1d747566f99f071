"""The compiled nearest-edge search against a brute-force oracle: every point to every edge."""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest
import shapely
from osm_formats import OAKLAND

from yushu_circle import edge_search
from yushu_circle import network as network_module
from yushu_circle._core.nearest import EdgeGrid, edge_grid, nearest_on_edges, segment_grid
from yushu_circle.network import WalkNetwork

TOLERANCE_M = 1e-9


def _oracle(lines: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    """Distance from every point to every edge; the first of the smallest (lowest index)."""
    points = shapely.points(x, y)
    dist = shapely.distance(points[:, None], lines[None, :])
    dist = np.where(np.isnan(dist), np.inf, dist)  # empty lines have no distance
    edge = np.argmin(dist, axis=1)
    nearest = lines[edge]
    along = shapely.line_locate_point(nearest, points)
    snapped = shapely.line_interpolate_point(nearest, along)
    return (
        edge,
        dist[np.arange(len(x)), edge],
        along,
        shapely.length(nearest),
        shapely.get_x(snapped),
        shapely.get_y(snapped),
    )


def _grid(lines: np.ndarray, cell: float | None = None) -> EdgeGrid:
    coords = shapely.get_coordinates(lines)
    grid = edge_grid(coords, shapely.get_num_coordinates(lines))
    if cell is None:
        return grid
    nx = math.floor((coords[:, 0].max() - grid.x0) / cell) + 1
    ny = math.floor((coords[:, 1].max() - grid.y0) / cell) + 1
    cell_ptr, cell_seg = segment_grid(
        grid.coords, grid.owner, grid.x0, grid.y0, cell, nx, ny, 10**9
    )
    return EdgeGrid(
        grid.coords, grid.owner, grid.edge_ptr, cell_ptr, cell_seg, grid.x0, grid.y0, cell, nx, ny
    )


def _assert_matches(
    lines: np.ndarray, x: np.ndarray, y: np.ndarray, grid: EdgeGrid | None = None
) -> tuple[np.ndarray, ...]:
    grid = _grid(lines) if grid is None else grid
    got = nearest_on_edges(grid, x, y)
    want = _oracle(lines, x, y)
    np.testing.assert_array_equal(got[0], want[0])
    for name, a, b in zip(("dist", "along", "length", "x", "y"), got[1:], want[1:], strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=TOLERANCE_M, err_msg=name)
    return want


def _random_lines(rng: np.random.Generator, count: int, extent: float) -> np.ndarray:
    lines = []
    for _ in range(count):
        vertices = int(rng.integers(2, 7))
        start = rng.uniform(0, extent, 2)
        steps = rng.normal(0, extent / 30, (vertices - 1, 2))
        # Some repeated vertices: zero-length segments inside a line.
        steps[rng.random(vertices - 1) < 0.1] = 0.0
        lines.append(np.vstack([start, start + np.cumsum(steps, axis=0)]))
    lines[0] = np.array([[extent / 2, extent / 2]] * 2)  # a zero-length edge
    return np.array([shapely.LineString(line) for line in lines], dtype=object)


def _network(lines: np.ndarray) -> WalkNetwork:
    """A network of separate edges (snapping reads the geometry only)."""
    ends = np.array([[line.coords[0], line.coords[-1]] for line in lines]).reshape(-1, 2)
    count = len(lines)
    return WalkNetwork(
        crs=pyproj.CRS.from_epsg(32647),
        node_ids=np.arange(2 * count, dtype=np.int64),
        node_xy=ends,
        edge_u=np.arange(0, 2 * count, 2, dtype=np.int64),
        edge_v=np.arange(1, 2 * count, 2, dtype=np.int64),
        edge_length=shapely.length(lines),
        edge_geometry=lines,
        edge_highway=np.full(count, "footway", dtype=object),
    )


def _snap_both_ways(
    monkeypatch: pytest.MonkeyPatch, lines: np.ndarray, x: np.ndarray, y: np.ndarray
) -> tuple[network_module.Snap, network_module.Snap]:
    monkeypatch.setattr(edge_search, "_GRID_MIN_POINTS", 10**12)
    monkeypatch.setattr(edge_search, "_GRID_MIN_EDGES", 10**12)
    net = _network(lines)
    assert net._edge_grid(len(x)) is None
    shapely_snap = net.snap(x, y, limit_m=50.0)
    monkeypatch.setattr(edge_search, "_GRID_MIN_POINTS", 0)
    assert net._edge_grid(len(x)) is not None
    return shapely_snap, net.snap(x, y, limit_m=50.0)


@pytest.mark.parametrize("seed", range(5))
def test_random_multi_vertex_networks_match_the_brute_force_oracle(seed: int) -> None:
    rng = np.random.default_rng(seed)
    extent = 1000.0
    lines = _random_lines(rng, 300, extent)
    coords = shapely.get_coordinates(lines)
    x = np.concatenate(
        [
            rng.uniform(-0.2 * extent, 1.2 * extent, 1500),
            coords[::7, 0],  # on vertices
            [5e4, -3e6, extent / 2],  # far outside; on the zero-length edge
        ]
    )
    y = np.concatenate(
        [rng.uniform(-0.2 * extent, 1.2 * extent, 1500), coords[::7, 1], [-2e4, 1e7, extent / 2]]
    )
    x, y = np.concatenate([x, x[:40]]), np.concatenate([y, y[:40]])  # duplicate points
    _assert_matches(lines, x, y)
    # The same with cells far smaller and far larger than the segments.
    _assert_matches(lines, x, y, _grid(lines, cell=3.0))
    _assert_matches(lines, x, y, _grid(lines, cell=700.0))


def test_a_lattice_with_points_on_nodes_edges_and_equidistant_takes_the_lowest_edge() -> None:
    rng = np.random.default_rng(7)
    size, step = 12, 50.0
    cells = [(i, j) for i in range(size + 1) for j in range(size + 1)]
    horizontal = [((i, j), (i + 1, j)) for i, j in cells if i < size]
    vertical = [((i, j), (i, j + 1)) for i, j in cells if j < size]
    segments = np.array(horizontal + vertical, dtype=float) * step
    lines = shapely.linestrings(segments[rng.permutation(len(segments))])
    nodes = np.arange(size + 1) * step
    gx, gy = np.meshgrid(nodes, nodes)
    centres = nodes[:-1] + step / 2
    cx, cy = np.meshgrid(centres, centres)
    mx, my = np.meshgrid(centres, nodes)  # edge midpoints
    qx, qy = np.meshgrid(nodes[:-1] + step / 4, centres)  # nearer one vertical edge
    x = np.concatenate([gx.ravel(), cx.ravel(), mx.ravel(), qx.ravel(), [-100.0, 900.0]])
    y = np.concatenate([gy.ravel(), cy.ravel(), my.ravel(), qy.ravel(), [-100.0, 300.0]])
    for grid in (None, _grid(lines, cell=step), _grid(lines, cell=step / 2), _grid(lines, 170.0)):
        want = _assert_matches(lines, x, y, grid)
    # The test means something: nodes and cell centres are at exactly equal distances
    # from two to four edges, and the oracle's pick is not simply the first edge made.
    dist = shapely.distance(shapely.points(x, y)[:, None], lines[None, :])
    ties = (dist == dist.min(axis=1, keepdims=True)).sum(axis=1)
    assert (ties[: gx.size + cx.size] >= 2).all()
    assert len(set(want[0].tolist())) > 50


def test_long_diagonal_segments_among_short_ones() -> None:
    rng = np.random.default_rng(3)
    short = _random_lines(rng, 400, 200.0)
    long = shapely.linestrings(
        [[(-5000.0, -4000.0), (5000.0, 4500.0)], [(-4000.0, 5000.0), (5200.0, -5000.0)]]
    )
    lines = np.concatenate([short, long])
    x = rng.uniform(-6000, 6000, 800)
    y = rng.uniform(-6000, 6000, 800)
    grid = _grid(lines)
    segments = int(np.count_nonzero(grid.owner[1:] == grid.owner[:-1]))
    assert len(grid.cell_seg) <= 8 * segments  # the long ones take cells along them only
    _assert_matches(lines, x, y, grid)
    _assert_matches(lines, x, y, _grid(lines, cell=20.0))


def test_edges_without_segments_and_empty_calls() -> None:
    lines = np.array([shapely.LineString(), shapely.LineString([(3, 4), (3, 4)])], dtype=object)
    got = nearest_on_edges(_grid(lines), np.array([0.0, 3.0]), np.array([0.0, 4.0]))
    assert got[0].tolist() == [1, 1] and got[1].tolist() == [5.0, 0.0]
    assert got[4].tolist() == [3.0, 3.0] and got[5].tolist() == [4.0, 4.0]
    nothing = nearest_on_edges(_grid(np.array([shapely.LineString()])), np.ones(3), np.ones(3))
    assert nothing[0].tolist() == [-1, -1, -1] and np.isinf(nothing[1]).all()
    assert len(nearest_on_edges(_grid(lines), np.empty(0), np.empty(0))[0]) == 0


def test_snap_gives_the_same_answer_on_the_grid_as_through_shapely(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Which path a call takes depends on its size: the answers must not."""
    rng = np.random.default_rng(11)
    lines = _random_lines(rng, 500, 2000.0)
    x = rng.uniform(-500, 2500, 3000)
    y = rng.uniform(-500, 2500, 3000)
    x[:5] = [np.nan, np.inf, 1.0, -np.inf, 2.0]
    y[:5] = [1.0, 2.0, np.nan, 3.0, np.inf]
    via_shapely, via_grid = _snap_both_ways(monkeypatch, lines, x, y)
    for name in ("edge", "frac", "snap_m", "on_network", "x", "y"):
        np.testing.assert_array_equal(getattr(via_grid, name), getattr(via_shapely, name), name)
    assert (via_grid.edge[:5] == -1).all() and np.isinf(via_grid.snap_m[:5]).all()
    assert via_grid.on_network.any() and not via_grid.on_network.all()
    assert ((via_grid.frac >= 0) & (via_grid.frac <= 1)).all()


def test_the_grid_is_kept_with_its_geometry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(edge_search, "_GRID_MIN_POINTS", 0)
    net = _network(_random_lines(np.random.default_rng(2), 50, 500.0))
    grid = net._edge_grid(1)
    assert grid is not None and net._edge_grid(1) is grid
    assert net.with_times(net.time_uv * 2, net.time_vu * 2)._edge_grid(1) is grid
    fewer = net.largest_component()  # separate edges: one edge kept
    assert fewer.edge_count < net.edge_count and fewer._edge_grid(1) is not grid
    x, y = np.array([250.0]), np.array([250.0])
    np.testing.assert_array_equal(fewer.snap(x, y).edge, [0])


@pytest.mark.skipif(not OAKLAND.exists(), reason="../shared/data is absent")
def test_west_oakland_matches_the_oracle_and_shapely(monkeypatch: pytest.MonkeyPatch) -> None:
    from yushu_circle import Study

    study = Study.from_osm_file(OAKLAND)
    net = study.network
    # Real places (buildings, facilities) and random points over and around the extract.
    places = study.features.geometry.representative_point()
    px, py = net.to_projected(places.x.to_numpy(), places.y.to_numpy())
    rng = np.random.default_rng(5)
    x0, y0, x1, y1 = shapely.total_bounds(net.edge_geometry)
    rx, ry = rng.uniform(x0 - 300, x1 + 300, 4000), rng.uniform(y0 - 300, y1 + 300, 4000)
    x, y = np.concatenate([px, rx]), np.concatenate([py, ry])
    assert net.edge_count > 50 and len(px) > 20
    _assert_matches(net.edge_geometry, x[::4], y[::4])
    via_shapely, via_grid = _snap_both_ways(monkeypatch, net.edge_geometry, x, y)
    for name in ("edge", "frac", "snap_m", "on_network", "x", "y"):
        np.testing.assert_array_equal(getattr(via_grid, name), getattr(via_shapely, name), name)


def test_geometry_other_than_2d_lines_takes_shapely_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(edge_search, "_GRID_MIN_POINTS", 0)
    rng = np.random.default_rng(4)
    flat = _random_lines(rng, 40, 300.0)
    raised = shapely.force_3d(flat, 5.0)
    x, y = rng.uniform(0, 300, 200), rng.uniform(0, 300, 200)
    for lines in (
        raised,
        np.concatenate([flat[:-1], [shapely.MultiLineString([[(0, 0), (1, 1)]])]]),
    ):
        net = _network(flat)
        net.edge_geometry = lines
        assert net._edge_grid(len(x)) is None and net._edge_grid(len(x)) is None
        np.testing.assert_array_equal(net.snap(x, y).edge, _oracle(lines, x, y)[0])


def test_two_threads_answer_as_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from yushu_circle._core import nearest

    rng = np.random.default_rng(9)
    lines = _random_lines(rng, 200, 800.0)
    x, y = rng.uniform(-100, 900, 3001), rng.uniform(-100, 900, 3001)
    grid = _grid(lines)
    one = nearest_on_edges(grid, x, y, threads=1)
    monkeypatch.setattr(nearest, "THREADED_MIN_POINTS", 100)
    calls: list[tuple[int, int]] = []
    kernel = nearest.nearest_edges

    def counted(*args: object) -> None:
        calls.append((args[2], args[3]))  # type: ignore[arg-type]
        kernel(*args)

    monkeypatch.setattr(nearest, "nearest_edges", counted)
    two = nearest_on_edges(grid, x, y, threads=2)
    assert sorted(calls) == [(0, 1500), (1500, 3001)]
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a, b)
