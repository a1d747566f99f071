"""Compiled nearest-edge search (numba): a uniform grid over the edges' segments, ring by ring.

Distances, positions along a line and points on it are computed with GEOS's own formulas
(``Distance::pointToSegment``, ``LengthIndexOfPoint``, ``LengthLocationMap``), operation
for operation, so the results equal shapely's ``distance``, ``line_locate_point`` and
``line_interpolate_point`` to the last bit and equal distances tie as they did there.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from yushu_circle._core.jit import kernel

_PAD = 1e-6
"""Grid-index units added around a segment's cells: covers the rounding of the mapping."""
_SLACK = 1e-9
"""Grid-index units taken off every lower bound before it may stop or skip a search."""


@kernel(nogil=True)
def _segment_distance(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    # GEOS Distance::pointToSegment, term for term.
    if ax == bx and ay == by:
        return math.sqrt((ax - px) * (ax - px) + (ay - py) * (ay - py))
    len2 = (bx - ax) * (bx - ax) + (by - ay) * (by - ay)
    r = ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / len2
    if r <= 0.0:
        return math.sqrt((ax - px) * (ax - px) + (ay - py) * (ay - py))
    if r >= 1.0:
        return math.sqrt((bx - px) * (bx - px) + (by - py) * (by - py))
    s = ((ay - py) * (bx - ax) - (ax - px) * (by - ay)) / len2
    return abs(s) * math.sqrt(len2)


@kernel(nogil=True)
def _register(
    coords: np.ndarray,
    k: int,
    x0: float,
    y0: float,
    per_cell: float,
    nx: int,
    ny: int,
    fill: np.ndarray,
    out: np.ndarray,
    counting: bool,
) -> int:
    """Count (or write) segment ``k → k+1`` into every cell it may cross; cells touched.

    Column by column: the segment's y-range within each column of cells, padded, so a
    long diagonal segment takes the cells along it, not the whole of its bounding box.
    """
    # Times the inverse, not divided by the cell: the padding covers the difference.
    fax = (coords[k, 0] - x0) * per_cell
    fay = (coords[k, 1] - y0) * per_cell
    fbx = (coords[k + 1, 0] - x0) * per_cell
    fby = (coords[k + 1, 1] - y0) * per_cell
    if fbx < fax:
        fax, fay, fbx, fby = fbx, fby, fax, fay
    ylo_all = min(max(math.floor(min(fay, fby) - _PAD), 0), ny - 1)
    yhi_all = min(max(math.floor(max(fay, fby) + _PAD), 0), ny - 1)
    ix0 = min(max(math.floor(fax - _PAD), 0), nx - 1)
    ix1 = min(max(math.floor(fbx + _PAD), 0), nx - 1)
    slope = 0.0
    if ix1 > ix0 and ylo_all < yhi_all and fbx - fax > _PAD:
        slope = (fby - fay) / (fbx - fax)
    touched = int(np.int64(0))
    for i in range(ix0, ix1 + 1):
        if slope == 0.0:
            jlo, jhi = ylo_all, yhi_all
        else:
            xl = max(fax, float(i))
            xr = min(fbx, float(i + 1))
            yl = fay + (xl - fax) * slope
            yr = fay + (xr - fax) * slope
            jlo = max(math.floor(min(yl, yr) - _PAD), ylo_all)
            jhi = min(math.floor(max(yl, yr) + _PAD), yhi_all)
        for j in range(jlo, jhi + 1):
            c = j * nx + i
            if counting:
                fill[c + 1] += 1
            else:
                out[fill[c]] = k
                fill[c] += 1
            touched += 1
    return touched


@kernel(nogil=True)
def segment_grid(
    coords: np.ndarray,
    owner: np.ndarray,
    x0: float,
    y0: float,
    cell: float,
    nx: int,
    ny: int,
    max_entries: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The segments of every grid cell, in CSR form.

    Parameters
    ----------
    coords : ndarray of float64, shape (n, 2)
        All edges' vertices, edge after edge.
    owner : ndarray of int32
        The edge of each vertex; ``k → k+1`` is a segment where both have the same edge.
    x0, y0, cell : float
        The grid's lower-left corner and cell size (metres).
    nx, ny : int
        Columns and rows; every vertex lies in one of them.
    max_entries : int
        More (segment, cell) pairs than this: give up (the caller takes bigger cells).

    Returns
    -------
    cell_ptr, cell_seg : ndarray of int32
        Cell ``c`` holds the segments starting at vertices ``cell_seg[cell_ptr[c]:cell_ptr[c+1]]``;
        both are empty when ``max_entries`` was exceeded.
    """
    cells = nx * ny
    fill = np.zeros(cells + 1, dtype=np.int32)
    unused = np.empty(0, dtype=np.int32)
    total = int(np.int64(0))
    # A bool variable, not the literals True and False: those would compile _register twice.
    counting = total == 0
    per_cell = 1.0 / cell
    for k in range(len(owner) - 1):
        if owner[k] == owner[k + 1]:
            total += _register(coords, k, x0, y0, per_cell, nx, ny, fill, unused, counting)
            if total > max_entries:
                return np.empty(0, dtype=np.int32), unused
    for c in range(cells):
        fill[c + 1] += fill[c]
    cell_ptr = fill.copy()
    cell_seg = np.empty(total, dtype=np.int32)
    for k in range(len(owner) - 1):
        if owner[k] == owner[k + 1]:
            _register(coords, k, x0, y0, per_cell, nx, ny, fill, cell_seg, not counting)
    return cell_ptr, cell_seg


@kernel(nogil=True)
def _nearest(
    px: float,
    py: float,
    coords: np.ndarray,
    owner: np.ndarray,
    cell_ptr: np.ndarray,
    cell_seg: np.ndarray,
    x0: float,
    y0: float,
    cell: float,
    nx: int,
    ny: int,
) -> tuple[int, float]:
    """The nearest edge of one point (lowest index among equals) and its distance."""
    fx = (px - x0) / cell
    fy = (py - y0) / cell
    # Clamped in floating point first: a point far outside would overflow the int.
    ci = math.floor(min(max(fx, 0.0), nx - 0.5))
    cj = math.floor(min(max(fy, 0.0), ny - 0.5))
    best = np.inf
    best_edge = int(np.int64(-1))
    k = int(np.int64(0))
    while True:
        for j in range(max(cj - k, 0), min(cj + k, ny - 1) + 1):
            edge_row = j == cj - k or j == cj + k
            step = 1 if edge_row else 2 * k
            for i in range(ci - k, ci + k + 1, max(step, 1)):
                if i < 0 or i >= nx:
                    continue
                # The cell's own distance bound: skip cells that cannot hold a tie.
                gx = max(float(i) - fx, fx - float(i + 1), 0.0)
                gy = max(float(j) - fy, fy - float(j + 1), 0.0)
                gap = math.sqrt(gx * gx + gy * gy) - _SLACK
                if gap > 0.0 and gap * cell > best:
                    continue
                c = j * nx + i
                for slot in range(cell_ptr[c], cell_ptr[c + 1]):
                    v = cell_seg[slot]
                    e = owner[v]
                    d = _segment_distance(
                        px, py, coords[v, 0], coords[v, 1], coords[v + 1, 0], coords[v + 1, 1]
                    )
                    if d < best or (d == best and e < best_edge):
                        best = d
                        best_edge = e
        # Every segment not yet seen lies wholly in cells beyond this ring's square: at
        # least as far as the nearest side of the square that still has cells behind it.
        bound = np.inf
        if ci + k + 1 <= nx - 1:
            bound = min(bound, float(ci + k + 1) - fx)
        if ci - k - 1 >= 0:
            bound = min(bound, fx - float(ci - k))
        if cj + k + 1 <= ny - 1:
            bound = min(bound, float(cj + k + 1) - fy)
        if cj - k - 1 >= 0:
            bound = min(bound, fy - float(cj - k))
        if bound == np.inf or best < (bound - _SLACK) * cell:
            return best_edge, best
        k += 1


@kernel(nogil=True)
def _locate(
    px: float, py: float, coords: np.ndarray, start: int, stop: int
) -> tuple[float, float, float, float]:
    """Position along the line ``coords[start:stop]`` of its point nearest ``(px, py)``,
    the line's length and that point: GEOS ``project``, ``getLength`` and ``interpolate``."""
    # LengthIndexOfPoint::indexOfFromStart: the first segment at the least distance.
    min_distance = np.inf
    along = -1.0
    measure = 0.0
    for v in range(start, stop - 1):
        ax, ay = coords[v, 0], coords[v, 1]
        bx, by = coords[v + 1, 0], coords[v + 1, 1]
        d = _segment_distance(px, py, ax, ay, bx, by)
        seg_len = math.sqrt((ax - bx) * (ax - bx) + (ay - by) * (ay - by))
        # LineSegment::projectionFactor
        if px == ax and py == ay:
            factor = 0.0
        elif px == bx and py == by:
            factor = 1.0
        elif ax == bx and ay == by:
            factor = 0.0
        else:
            dx = bx - ax
            dy = by - ay
            factor = ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)
        if factor <= 0.0:
            at = measure
        elif factor <= 1.0:
            at = measure + factor * seg_len
        else:
            at = measure + seg_len
        if d < min_distance and at > -1.0:
            along = at
            min_distance = d
        measure += seg_len
    length = measure
    # LengthLocationMap::getLocationForward, then LinearLocation::getCoordinate.
    if along <= 0.0:
        return along, length, coords[start, 0], coords[start, 1]
    total = 0.0
    for v in range(start, stop - 1):
        ax, ay = coords[v, 0], coords[v, 1]
        bx, by = coords[v + 1, 0], coords[v + 1, 1]
        seg_len = math.sqrt((bx - ax) * (bx - ax) + (by - ay) * (by - ay))
        if total + seg_len > along:
            frac = (along - total) / seg_len
            if frac <= 0.0:
                return along, length, ax, ay
            if frac >= 1.0:
                return along, length, bx, by
            return along, length, (bx - ax) * frac + ax, (by - ay) * frac + ay
        total += seg_len
    return along, length, coords[stop - 1, 0], coords[stop - 1, 1]


@kernel(nogil=True)
def nearest_edges(
    x: np.ndarray,
    y: np.ndarray,
    begin: int,
    end: int,
    coords: np.ndarray,
    owner: np.ndarray,
    edge_ptr: np.ndarray,
    cell_ptr: np.ndarray,
    cell_seg: np.ndarray,
    x0: float,
    y0: float,
    cell: float,
    nx: int,
    ny: int,
    out_edge: np.ndarray,
    out_dist: np.ndarray,
    out_along: np.ndarray,
    out_length: np.ndarray,
    out_x: np.ndarray,
    out_y: np.ndarray,
) -> None:
    """Nearest edge of the points ``begin:end``, written into the ``out_*`` arrays there.

    Parameters
    ----------
    x, y : ndarray of float64
        Finite point coordinates, best sorted by grid cell: neighbours one after another
        keep the cells and vertices they read in the CPU's caches. Threads take slices.
    coords, owner : ndarray
        Vertices and their edges, as for :func:`segment_grid`.
    edge_ptr : ndarray of int64
        Edge ``e``'s vertices are ``coords[edge_ptr[e]:edge_ptr[e+1]]``.
    cell_ptr, cell_seg, x0, y0, cell, nx, ny
        The grid of :func:`segment_grid`.
    out_edge, out_dist, out_along, out_length, out_x, out_y : ndarray
        Per point: the nearest edge (smallest distance, then lowest index; ``-1`` when
        there are no segments), the distance, the position along the edge of its nearest
        point (the first nearest segment's), the edge's length and that point.
    """
    for p in range(begin, end):
        px = x[p]
        py = y[p]
        e, d = _nearest(px, py, coords, owner, cell_ptr, cell_seg, x0, y0, cell, nx, ny)
        out_edge[p] = e
        out_dist[p] = d
        if e < 0:
            continue
        along, length, sx, sy = _locate(px, py, coords, edge_ptr[e], edge_ptr[e + 1])
        out_along[p] = along
        out_length[p] = length
        out_x[p] = sx
        out_y[p] = sy


THREADED_MIN_POINTS = 20_000
"""Calls with at least this many points search on two threads (the kernel drops the GIL)."""
_MAX_ENTRIES_PER_SEGMENT = 8
"""Cells are doubled in size until the (segment, cell) pairs are at most this many per
segment: long segments across small cells would otherwise cost memory, not speed."""


@dataclass(frozen=True)
class EdgeGrid:
    """Edge vertices and a uniform grid of the segments between them.

    Attributes
    ----------
    coords : ndarray of float64, shape (n, 2)
        All vertices, edge after edge (``shapely.get_coordinates``).
    owner : ndarray of int32
        The edge of each vertex.
    edge_ptr : ndarray of int64
        Edge ``e``'s vertices are ``coords[edge_ptr[e]:edge_ptr[e+1]]``.
    cell_ptr, cell_seg : ndarray of int32
        Segments (by first vertex) of each cell, CSR.
    x0, y0, cell : float
        Lower-left corner and cell size, metres.
    nx, ny : int
        Columns and rows.
    """

    coords: np.ndarray
    owner: np.ndarray
    edge_ptr: np.ndarray
    cell_ptr: np.ndarray
    cell_seg: np.ndarray
    x0: float
    y0: float
    cell: float
    nx: int
    ny: int

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays."""
        arrays = (self.coords, self.owner, self.edge_ptr, self.cell_ptr, self.cell_seg)
        return sum(a.nbytes for a in arrays)


def edge_grid(coords: np.ndarray, vertex_counts: np.ndarray) -> EdgeGrid:
    """Build the grid over the segments of edges given by their vertices.

    Parameters
    ----------
    coords : ndarray of float64, shape (n, 2)
        Vertices, edge after edge, each edge's in order (finite): ``shapely.get_coordinates``.
    vertex_counts : ndarray of int
        Vertices of each edge (``shapely.get_num_coordinates``); edges with fewer than two
        have no segments.

    Returns
    -------
    EdgeGrid
    """
    coords = np.ascontiguousarray(coords, dtype=np.float64)
    vertex_counts = np.asarray(vertex_counts, dtype=np.int64)
    edge_count = len(vertex_counts)
    edge_ptr = np.zeros(edge_count + 1, dtype=np.int64)
    np.cumsum(vertex_counts, out=edge_ptr[1:])
    if edge_ptr[-1] != len(coords):
        raise ValueError(f"{len(coords)} vertices for edges of {edge_ptr[-1]} vertices")
    owner = np.repeat(np.arange(edge_count, dtype=np.int32), vertex_counts)
    segments = int(np.maximum(vertex_counts - 1, 0).sum())
    if segments == 0:
        empty = np.zeros(2, dtype=np.int32)
        return EdgeGrid(coords, owner, edge_ptr, empty, empty[:0], 0.0, 0.0, 1.0, 1, 1)
    # Per column: numpy's reductions along axis 0 of an (n, 2) array are ~10x slower.
    x0, y0 = float(coords[:, 0].min()), float(coords[:, 1].min())
    x1, y1 = float(coords[:, 0].max()), float(coords[:, 1].max())
    width, height = x1 - x0, y1 - y0
    # About one segment per cell over the extent; a line-shaped extent gets a thin strip.
    floor = max(width, height, 1.0) * 1e-3
    cell = math.sqrt(max(width, floor) * max(height, floor) / segments)
    while True:
        # The same expression as the kernels' mapping, so every vertex falls in the grid.
        nx = math.floor((x1 - x0) / cell) + 1
        ny = math.floor((y1 - y0) / cell) + 1
        cell_ptr, cell_seg = segment_grid(
            coords, owner, x0, y0, cell, nx, ny, _MAX_ENTRIES_PER_SEGMENT * segments
        )
        if len(cell_ptr):
            return EdgeGrid(coords, owner, edge_ptr, cell_ptr, cell_seg, x0, y0, cell, nx, ny)
        cell *= 2.0


def nearest_on_edges(
    grid: EdgeGrid, x: np.ndarray, y: np.ndarray, threads: int = 2
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Nearest edge of each point with the distance and the nearest point on the edge.

    Parameters
    ----------
    grid : EdgeGrid
        From :func:`edge_grid`.
    x, y : ndarray of float64
        Finite point coordinates, metres.
    threads : int
        Threads to search on (the calling one included) for large calls.

    Returns
    -------
    edge, dist, along, length, sx, sy : ndarray
        Per point: the nearest edge (smallest distance, then lowest index; ``-1`` when the
        edges have no segments), the distance, the position along the edge of its point
        nearest to the point (GEOS ``project``), the edge's length and that nearest point.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    count = len(x)
    # Searched in cell order, read and written in that order too: scattered reads and
    # writes by the kernel cost more than the search (numpy gathers and scatters faster).
    order = np.argsort(_cell_ids(grid, x, y))
    xs, ys = x[order], y[order]
    edge = np.full(count, -1, dtype=np.int64)
    dist = np.full(count, np.inf)
    along = np.zeros(count)
    length = np.zeros(count)
    sx, sy = xs.copy(), ys.copy()

    def run(begin: int, end: int) -> None:
        nearest_edges(
            xs, ys, begin, end, grid.coords, grid.owner, grid.edge_ptr,
            grid.cell_ptr, grid.cell_seg, grid.x0, grid.y0, grid.cell, grid.nx, grid.ny,
            edge, dist, along, length, sx, sy,
        )  # fmt: skip

    parts = max(1, min(threads, count // (THREADED_MIN_POINTS // 2)))
    bounds = [count * i // parts for i in range(parts + 1)]
    errors: list[BaseException] = []

    def guarded(begin: int, end: int) -> None:
        try:
            run(begin, end)
        except BaseException as error:  # re-raised in the calling thread
            errors.append(error)

    helpers = [
        threading.Thread(target=guarded, args=(bounds[i], bounds[i + 1]), daemon=True)
        for i in range(1, parts)
    ]
    for helper in helpers:
        helper.start()
    try:
        run(bounds[0], bounds[1])
    finally:
        for helper in helpers:
            helper.join()
    if errors:
        raise errors[0]
    out = []
    for sorted_values in (edge, dist, along, length, sx, sy):
        values = np.empty_like(sorted_values)
        values[order] = sorted_values
        out.append(values)
    return out[0], out[1], out[2], out[3], out[4], out[5]


def _cell_ids(grid: EdgeGrid, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    # Row-major cell of each point, clamped into the grid (only the search order uses it).
    i = np.clip(np.floor((x - grid.x0) / grid.cell), 0, grid.nx - 1).astype(np.int64)
    j = np.clip(np.floor((y - grid.y0) / grid.cell), 0, grid.ny - 1).astype(np.int64)
    return j * grid.nx + i
