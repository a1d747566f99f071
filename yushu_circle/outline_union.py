"""Unions of buffered reach outlines, cell by cell, the fully reached cells shared by origins.

On a dense centre (sidewalks, crossings, 10 m edges) one 15-minute reach holds ~10,000 edge
pieces whose 25 m outlines overlap many times over; one Clipper2 union of them all costs
about a second, nearly all of it in the overlaps. But most of a reach is *fully* reached
edges, and their union does not depend on the origin. So the plane is cut into square cells
(a quadtree: leaves of :data:`LEAF_M`, each level doubling the side); an edge belongs to the
cell of its middle vertex. For each polygon:

* a cell all of whose edges are fully reached takes its union from a cache (built once per
  network, children first, so even a big cell's union only merges its four children);
* the partly reached leaves union their own pieces' outlines (few, so cheap);
* the polygon is the union of those blocks, which overlap only along cell borders.

The union is associative, so the polygon is the same as one union of all outlines (up to
Clipper's integer rounding where outlines cross).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyclipr

from yushu_circle._core.isochrone import full_levels, outlines

LEAF_M = 64.0
"""Side of the smallest cells, metres (a little more than the default buffer's width)."""

DIRECT_BELOW = 500
"""Jobs of fewer pieces are unioned in one go, without cells (on dense networks)."""

Paths = list[np.ndarray]


@dataclass
class Cells:
    """The quadtree: each edge's cell at every level, cells numbered over all levels."""

    edge_cell: np.ndarray
    """Shape (levels, edges): the cell of each edge at each level (leaves first)."""
    cell_edges: np.ndarray
    """Edges in each cell."""
    leaves: int
    """Cells ``0 … leaves − 1`` are the leaves."""
    child_ptr: np.ndarray
    """``child_id[child_ptr[c] : child_ptr[c + 1]]`` are the children of cell ``c``."""
    child_id: np.ndarray
    leaf_ptr: np.ndarray
    """``leaf_edge[leaf_ptr[c] : leaf_ptr[c + 1]]`` are the edges of leaf ``c``."""
    leaf_edge: np.ndarray

    @classmethod
    def of(cls, mid_x: np.ndarray, mid_y: np.ndarray) -> Cells:
        """Cells of edges whose middle vertices are at ``(mid_x, mid_y)`` (metres)."""
        cx = np.floor((mid_x - mid_x.min(initial=0.0)) / LEAF_M).astype(np.int64)
        cy = np.floor((mid_y - mid_y.min(initial=0.0)) / LEAF_M).astype(np.int64)
        side = int(max(cx.max(initial=0), cy.max(initial=0))) + 1
        levels = max(1, int(np.ceil(np.log2(side))) + 1)
        edge_cell = np.empty((levels, len(cx)), dtype=np.int64)
        counts: list[np.ndarray] = []
        offset = 0
        for level in range(levels):
            key = ((cx >> level) << 32) | (cy >> level)
            _, inverse, count = np.unique(key, return_inverse=True, return_counts=True)
            edge_cell[level] = inverse.ravel() + offset
            counts.append(count)
            offset += len(count)
        cell_edges = np.concatenate(counts).astype(np.int64)
        parent = np.full(len(cell_edges), -1, dtype=np.int64)
        for level in range(levels - 1):
            parent[edge_cell[level]] = edge_cell[level + 1]
        has = np.flatnonzero(parent >= 0)
        child_id = has[np.argsort(parent[has], kind="stable")]
        child_ptr = np.searchsorted(parent[child_id], np.arange(len(cell_edges) + 1))
        leaves = len(counts[0])
        leaf_edge = np.argsort(edge_cell[0], kind="stable")
        leaf_ptr = np.searchsorted(edge_cell[0][leaf_edge], np.arange(leaves + 1))
        return cls(
            edge_cell,
            cell_edges,
            leaves,
            child_ptr.astype(np.int64),
            child_id.astype(np.int64),
            leaf_ptr.astype(np.int64),
            leaf_edge.astype(np.int64),
        )


@dataclass
class OutlineUnion:
    """Draws and unions the outlines of reached pieces; caches the full cells' unions."""

    cells: Cells
    before: tuple[object, ...]
    """Arguments of :func:`~yushu_circle._core.isochrone.outlines` before the pieces."""
    after: tuple[object, ...]
    """Its arguments after the pieces and the job count."""
    direct_below: int = DIRECT_BELOW
    """Jobs of fewer pieces skip the cells (every job, on networks of long edges)."""
    cache: dict[int, Paths] = field(default_factory=dict)

    def __getstate__(self) -> dict[str, object]:
        # Workers start with an empty cache: sending it would cost more than rebuilding it.
        state = dict(self.__dict__)
        state["cache"] = {}
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)

    def polygons(
        self,
        piece_job: np.ndarray,
        piece_edge: np.ndarray,
        piece_f0: np.ndarray,
        piece_f1: np.ndarray,
        jobs: int,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each job's union: result rings' points (Clipper units), points per ring, rings per job.

        Pieces come grouped by job. Shells run counter-clockwise, holes clockwise.
        """
        c = self.cells
        top = full_levels(piece_job, piece_edge, piece_f0, piece_f1, c.edge_cell, c.cell_edges)
        job = piece_job.astype(np.int64)
        # Small jobs (sparse streets, short walks): one union of all their outlines is cheaper.
        direct = np.bincount(job, minlength=jobs)[job] < self.direct_below
        top[direct] = -1
        blocks: list[list[Paths]] = [[] for _ in range(jobs)]
        # Partly reached leaves: their own pieces' outlines, one union per (job, leaf).
        fresh = np.flatnonzero(top < 0)
        leaf = np.where(direct[fresh], -1, c.edge_cell[0, piece_edge[fresh]])
        order = np.lexsort((leaf, job[fresh]))
        fresh, leaf = fresh[order], leaf[order]
        fresh_job = job[fresh]
        new = np.ones(len(fresh), dtype=bool)
        new[1:] = (leaf[1:] != leaf[:-1]) | (fresh_job[1:] != fresh_job[:-1])
        group = np.cumsum(new) - 1
        unions = self._unions(group, piece_edge[fresh], piece_f0[fresh], piece_f1[fresh])
        for j, paths in zip(fresh_job[new].tolist(), unions, strict=True):
            blocks[j].append(paths)
        # Fully reached cells (the biggest ones): from the cache.
        held = np.flatnonzero(top >= 0)
        cells = len(c.cell_edges)
        keyed = np.unique(job[held] * cells + c.edge_cell[top[held], piece_edge[held]])
        self._fill(np.unique(keyed % cells).tolist())
        for j, cell in zip((keyed // cells).tolist(), (keyed % cells).tolist(), strict=True):
            blocks[j].append(self.cache[cell])
        return _flat([_union(_chain(b)) if len(b) > 1 else (b[0] if b else []) for b in blocks])

    def _unions(
        self, group: np.ndarray, edge: np.ndarray, f0: np.ndarray, f1: np.ndarray
    ) -> list[Paths]:
        """The union of each group's pieces (pieces sorted by group, groups numbered 0…)."""
        groups = int(group[-1]) + 1 if len(group) else 0
        ring_xy, ring_ptr, group_ring_ptr = outlines(  # type: ignore[call-arg]
            *self.before,  # type: ignore[arg-type]
            group.astype(np.int64),
            edge.astype(np.int64),
            f0.astype(np.float64),
            f1.astype(np.float64),
            groups,
            *self.after,
        )
        out = []
        for g in range(groups):
            r0, r1 = group_ring_ptr[g], group_ring_ptr[g + 1]
            base = ring_ptr[r0]
            points = ring_xy[base : ring_ptr[r1]].astype(np.float64)
            out.append(_union(np.split(points, ring_ptr[r0 + 1 : r1] - base)) if r1 > r0 else [])
        return out

    def _fill(self, wanted: list[int]) -> None:
        """Put the unions of these cells in the cache, children first."""
        c = self.cells
        missing = [cell for cell in wanted if cell not in self.cache]
        leaves = [cell for cell in missing if cell < c.leaves]
        parents = [cell for cell in missing if cell >= c.leaves]
        kids = {p: c.child_id[c.child_ptr[p] : c.child_ptr[p + 1]].tolist() for p in parents}
        if kids:  # one level up per call: the recursion is at most ``levels`` deep
            self._fill(sorted({k for ks in kids.values() for k in ks}))
        if leaves:
            parts = [c.leaf_edge[c.leaf_ptr[cell] : c.leaf_ptr[cell + 1]] for cell in leaves]
            edge = np.concatenate(parts)
            group = np.repeat(np.arange(len(parts)), [len(p) for p in parts])
            ones = np.ones(len(edge))
            for cell, paths in zip(leaves, self._unions(group, edge, 0 * ones, ones), strict=True):
                self.cache[cell] = paths
        for cell, ks in kids.items():
            self.cache[cell] = _union(_chain([self.cache[k] for k in ks]))


def _chain(blocks: list[Paths]) -> Paths:
    return [ring for paths in blocks for ring in paths]


def _union(paths: Paths) -> Paths:
    """Clipper2 union (positive fill) of closed paths; shells counter-clockwise."""
    if not paths:
        return []
    clipper = pyclipr.Clipper()
    clipper.addPaths(paths, pyclipr.Subject)
    result: Paths = clipper.execute(pyclipr.Union, pyclipr.FillRule.Positive)
    return result


def _flat(per_job: list[Paths]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rings = [ring for paths in per_job for ring in paths]
    sizes = np.array([len(r) for r in rings], dtype=np.int64)
    points = np.concatenate(rings) if rings else np.empty((0, 2))
    return points, sizes, np.array([len(p) for p in per_job], dtype=np.int64)
