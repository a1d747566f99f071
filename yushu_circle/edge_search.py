"""Nearest edge of points: the compiled grid search or shapely's STRtree, same answers."""

from __future__ import annotations

import os

import numpy as np
import shapely

from yushu_circle._core.nearest import EdgeGrid, edge_grid, nearest_on_edges

_QUERY_CELL_M = 200.0
_GRID_MIN_POINTS = 20_000
"""Calls with this many points use the compiled grid search, whatever the network's size."""
_GRID_MIN_EDGES = 200_000
"""Networks with this many edges use it for every call (shapely would build a big tree:
~0.06 s at this size, ~0.6 s at 1.5M edges, before the first query)."""
_GRID_MAX_VERTICES = 2**28
"""The grid indexes vertices with int32 (eight cells per segment at most)."""
_SNAP_THREADS = min(2, os.cpu_count() or 1)
"""Threads a large snap searches on (the calling one included; the kernel drops the GIL)."""


def uses_grid(points: int, edges: int) -> bool:
    """Whether a call with this many points on this many edges searches the grid: large
    calls and large networks do; small ones ask shapely, which compiles nothing on a
    first run."""
    return points >= _GRID_MIN_POINTS or edges >= _GRID_MIN_EDGES


def grid_of(lines: np.ndarray) -> EdgeGrid | None:
    """The compiled search's grid over edge geometries; ``None`` for geometry other than
    finite 2-D LineStrings (the kernels read x, y only), which shapely's path takes."""
    if (shapely.get_type_id(lines) != 1).any() or shapely.has_z(lines).any():
        return None
    coords = shapely.get_coordinates(lines)
    if not np.isfinite(coords).all() or len(coords) >= _GRID_MAX_VERTICES:
        return None
    return edge_grid(coords, shapely.get_num_coordinates(lines))


def nearest_by_grid(grid: EdgeGrid, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    """Nearest edge of finite points on the grid: which points found one (index into
    ``x``), the edge, the distance, the position along the edge, its length and the
    snapped x, y. GEOS's formulas, bit-identical to :func:`nearest_by_tree` (tests compare
    them); the lowest edge index among equally near ones."""
    hit, dist, along, line_len, px, py = nearest_on_edges(grid, x, y, _SNAP_THREADS)
    found = np.flatnonzero(hit >= 0)
    if len(found) < len(hit):  # only when no edge has a segment
        hit, dist, along = hit[found], dist[found], along[found]
        line_len, px, py = line_len[found], px[found], py[found]
    return found, hit, dist, along, line_len, px, py


def nearest_by_tree(
    tree: shapely.STRtree, lines: np.ndarray, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, ...]:
    """:func:`nearest_by_grid` through shapely: ``tree`` indexes ``lines``."""
    points = shapely.points(x, y)
    cell = np.floor(x / _QUERY_CELL_M).astype(np.int64) * 1_000_003 + np.floor(
        y / _QUERY_CELL_M
    ).astype(np.int64)
    # Asked in spatial order: neighbouring queries walk the same tree nodes, which is
    # several times faster on a big city than input order.
    order = np.argsort(cell, kind="stable")
    (src, hit), dist = tree.query_nearest(points[order], return_distance=True, all_matches=True)
    # A point equally near several edges takes the lowest edge index, whatever order the
    # tree visits them in, so results do not depend on the index's layout.
    first = np.lexsort((hit, src))
    keep = first[np.r_[True, src[first][1:] != src[first][:-1]]]
    src, hit, dist = order[src[keep]], hit[keep], dist[keep]
    chosen = lines[hit]
    along = shapely.line_locate_point(chosen, points[src])
    snapped = shapely.line_interpolate_point(chosen, along)
    return (
        src, hit, dist, along, shapely.length(chosen), shapely.get_x(snapped),
        shapely.get_y(snapped),
    )  # fmt: skip
