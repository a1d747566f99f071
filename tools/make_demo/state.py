"""The synthetic town's shared state: occupancy mask, the OSM it fills, blocks and lots."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .dem import Terrain
from .frame import (
    CELL,
    COMMUNITIES,
    HALF_H,
    HALF_W,
    ROAD_HALF_WIDTH,
    Point,
    dist_to_polyline,
    points_in_polygon,
    rectangle,
)
from .writer import OsmBuilder, Stats

# --------------------------------------------------------------------------- occupancy


class Mask:
    """A 2 m occupancy grid over the town that keeps roads, lots and buildings apart."""

    def __init__(self) -> None:
        self.nx = round(2.0 * HALF_W / CELL)
        self.ny = round(2.0 * HALF_H / CELL)
        self.grid = np.zeros((self.ny, self.nx), dtype=bool)

    def _window(
        self, lo: np.ndarray, hi: np.ndarray
    ) -> tuple[tuple[slice, slice], np.ndarray, np.ndarray]:
        """Return the grid slices and cell-centre coordinates covering a box.

        Parameters
        ----------
        lo, hi : numpy.ndarray
            Lower-left and upper-right corners of the box, local metres.

        Returns
        -------
        tuple
            ``(window, gx, gy)``: the grid slices and the cell centres inside them.
        """
        ix0 = max(int((lo[0] + HALF_W) // CELL), 0)
        ix1 = min(int((hi[0] + HALF_W) // CELL) + 1, self.nx)
        iy0 = max(int((lo[1] + HALF_H) // CELL), 0)
        iy1 = min(int((hi[1] + HALF_H) // CELL) + 1, self.ny)
        xs = -HALF_W + (np.arange(ix0, ix1) + 0.5) * CELL
        ys = -HALF_H + (np.arange(iy0, iy1) + 0.5) * CELL
        gx, gy = np.meshgrid(xs, ys)
        return (slice(iy0, iy1), slice(ix0, ix1)), gx, gy

    def _pieces(
        self, pts: np.ndarray, buffer: float, closed: bool
    ) -> list[tuple[tuple[slice, slice], np.ndarray]]:
        """Return the cells a shape (plus a buffer) covers, as small windows.

        Parameters
        ----------
        pts : numpy.ndarray
            Vertices, shape ``(n, 2)``.
        buffer : float
            Distance around the shape that counts as covered, metres.
        closed : bool
            True for a polygon (its inside counts), False for a polyline.

        Returns
        -------
        list of tuple
            ``(window, covered)`` pairs: grid slices and a boolean array over them.
        """
        pieces = []
        if closed:
            window, gx, gy = self._window(pts.min(axis=0) - CELL, pts.max(axis=0) + CELL)
            pieces.append((window, points_in_polygon(gx, gy, pts)))
        if buffer > 0:
            line = np.vstack([pts, pts[:1]]) if closed else pts
            for a, b in itertools.pairwise(line):
                seg = np.array([a, b])
                lo = seg.min(axis=0) - buffer - CELL
                hi = seg.max(axis=0) + buffer + CELL
                window, gx, gy = self._window(lo, hi)
                pieces.append((window, dist_to_polyline(gx, gy, seg) <= buffer))
        return pieces

    def mark(self, pts: np.ndarray, buffer: float = 0.0, closed: bool = True) -> None:
        """Mark a shape as occupied.

        Parameters
        ----------
        pts : numpy.ndarray
            Vertices, shape ``(n, 2)``.
        buffer : float
            Extra distance to mark, metres.
        closed : bool
            True for a polygon, False for a polyline.
        """
        for window, covered in self._pieces(np.asarray(pts, dtype=float), buffer, closed):
            self.grid[window] |= covered

    def is_free(self, pts: np.ndarray, buffer: float = 0.0, closed: bool = True) -> bool:
        """Return True when a shape (plus a buffer) is inside the town and unoccupied.

        Parameters
        ----------
        pts : numpy.ndarray
            Vertices, shape ``(n, 2)``.
        buffer : float
            Clearance wanted, metres.
        closed : bool
            True for a polygon, False for a polyline.

        Returns
        -------
        bool
            Whether the shape fits.
        """
        pts = np.asarray(pts, dtype=float)
        if np.any(np.abs(pts[:, 0]) > HALF_W - 15.0) or np.any(np.abs(pts[:, 1]) > HALF_H - 15.0):
            return False
        return not any(
            bool(np.any(self.grid[window] & covered))
            for window, covered in self._pieces(pts, buffer, closed)
        )


# --------------------------------------------------------------------------- the town


@dataclass
class Grid:
    """One bank's street grid in (u, v) coordinates before it becomes OSM."""

    bank: str
    us: list[float]
    rows: tuple[float, ...]
    uv: dict[tuple[int, int], Point] = field(default_factory=dict)
    ids: dict[tuple[int, int], int] = field(default_factory=dict)
    edges: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)


@dataclass
class Facility:
    """A facility written to the file, for the README tallies."""

    name: str
    categories: tuple[str, ...]
    element: str
    community: str
    tags: dict[str, str]


@dataclass
class Frontage:
    """A street centre line along which houses are placed."""

    line: np.ndarray
    half_width: float
    name: str | None
    sides: tuple[int, ...] = (1, -1)


class TownState:
    """What every part of the town builder shares: the generator, mask, OSM and tallies.

    Parameters
    ----------
    seed : int
        Seed of the random generator; the same seed gives the same town.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.terrain = Terrain(np.random.default_rng(seed + 1))
        self.osm = OsmBuilder()
        self.mask = Mask()
        self.road_mask: np.ndarray | None = None
        self.grids: list[Grid] = []
        self.frontages: list[Frontage] = []
        self.facilities: list[Facility] = []
        self.used_blocks: set[tuple[int, int, int]] = set()
        self.main_stations: dict[str, dict[float, int]] = {"N": {}, "S": {}}
        self.main_ways: dict[str, list[int]] = {"N": [], "S": []}
        self.landuse: dict[str, np.ndarray] = {}
        self.commercial: np.ndarray = np.zeros((0, 2))
        self.buildings: list[tuple[int, np.ndarray, dict[str, str]]] = []
        self.bridge_ways: list[int] = []
        self.walk_bridge_count = 0
        self.steps_ways: list[int] = []
        self.river_way = 0
        self.river_outline: np.ndarray = np.zeros((0, 2))
        self.bridge_x: list[tuple[float, float, str]] = []

    # ----------------------------------------------------------------- helpers

    def xy(self, nid: int) -> Point:
        """Return a node's local coordinates.

        Parameters
        ----------
        nid : int
            Node id.

        Returns
        -------
        tuple of float
            Local x and y, metres.
        """
        x, y, _ = self.osm.nodes[nid]
        return x, y

    def line_of(self, refs: Sequence[int]) -> np.ndarray:
        """Return the coordinates of a node sequence.

        Parameters
        ----------
        refs : sequence of int
            Node ids.

        Returns
        -------
        numpy.ndarray
            Shape ``(n, 2)``.
        """
        return np.array([self.xy(r) for r in refs])

    def mark_road(self, refs: Sequence[int], highway: str) -> None:
        """Mark a street's carriageway on the occupancy mask.

        Parameters
        ----------
        refs : sequence of int
            The street's node ids.
        highway : str
            Its ``highway`` value, which sets its width.
        """
        self.mask.mark(self.line_of(refs), ROAD_HALF_WIDTH[highway], closed=False)

    # ----------------------------------------------------------------- lots

    def blocks(self, g: int) -> list[tuple[int, int]]:
        """Return the blocks (lower-left keys) of grid ``g`` whose four corners exist.

        Parameters
        ----------
        g : int
            Grid index.

        Returns
        -------
        list of tuple of int
            Block keys.
        """
        uv = self.grids[g].uv
        return [
            (i, j)
            for i, j in sorted(uv)
            if (i + 1, j) in uv and (i, j + 1) in uv and (i + 1, j + 1) in uv
        ]

    def block_frame(self, g: int, key: tuple[int, int]) -> tuple[Point, Point, float, float]:
        """Return a block's centre, along-valley direction, width and depth.

        Parameters
        ----------
        g : int
            Grid index.
        key : tuple of int
            Block key.

        Returns
        -------
        tuple
            ``(centre, along, width, depth)`` in local metres.
        """
        grid = self.grids[g]
        i, j = key
        corners = [self.xy(grid.ids[k]) for k in ((i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1))]
        c = np.array(corners)
        centre = c.mean(axis=0)
        left = (c[0] + c[3]) / 2.0
        right = (c[1] + c[2]) / 2.0
        bottom = (c[0] + c[1]) / 2.0
        top = (c[2] + c[3]) / 2.0
        along = (right - left) / np.linalg.norm(right - left)
        width = float(np.linalg.norm(right - left))
        depth = float(np.linalg.norm(top - bottom))
        return (
            (float(centre[0]), float(centre[1])),
            (float(along[0]), float(along[1])),
            width,
            depth,
        )

    def take_block(self, g: int, u: float, v: float) -> tuple[int, int]:
        """Reserve the unused block of grid ``g`` nearest to (u, v).

        Parameters
        ----------
        g : int
            Grid index.
        u, v : float
            Wanted grid position.

        Returns
        -------
        tuple of int
            The block key.
        """
        uv = self.grids[g].uv
        free = [b for b in self.blocks(g) if (g, *b) not in self.used_blocks]
        best = min(
            free,
            key=lambda b: math.hypot(
                (uv[b][0] + uv[(b[0] + 1, b[1] + 1)][0]) / 2.0 - u,
                (uv[b][1] + uv[(b[0] + 1, b[1] + 1)][1]) / 2.0 - v,
            ),
        )
        self.used_blocks.add((g, *best))
        return best

    def lot(self, g: int, key: tuple[int, int], share: float, wanted: float = 1e9) -> np.ndarray:
        """Return a free rectangular lot in a block, shrinking until it fits.

        Parameters
        ----------
        g : int
            Grid index.
        key : tuple of int
            Block key.
        share : float
            Share of the block's width and depth to start from.
        wanted : float
            Largest side wanted, metres.

        Returns
        -------
        numpy.ndarray
            The lot's corners, shape ``(4, 2)``.
        """
        centre, along, width, depth = self.block_frame(g, key)
        w, d = min(width * share, wanted), min(depth * share, wanted)
        for _ in range(12):
            rect = rectangle(centre, along, w, d)
            if self.mask.is_free(rect, buffer=3.0):
                self.mask.mark(rect, buffer=1.0)
                return rect
            w, d = w * 0.88, d * 0.88
        msg = f"no room for a lot in block {key} of grid {g}"
        raise RuntimeError(msg)

    def inner_building(self, rect: np.ndarray, value: str) -> None:
        """Draw a non-residential building inside a lot.

        Parameters
        ----------
        rect : numpy.ndarray
            The lot's corners.
        value : str
            The ``building`` value.
        """
        centre = rect.mean(axis=0)
        along = (rect[1] - rect[0]) / np.linalg.norm(rect[1] - rect[0])
        w = float(np.linalg.norm(rect[1] - rect[0])) * 0.5
        d = float(np.linalg.norm(rect[3] - rect[0])) * 0.35
        inner = rectangle(
            (float(centre[0]), float(centre[1] + 0.0)), (float(along[0]), float(along[1])), w, d
        )
        tags = {"building": value, "building:levels": str(int(self.rng.integers(2, 5)))}
        wid = self.osm.polygon(inner, tags)
        self.buildings.append((wid, inner, tags))


def town_stats(town: TownState) -> Stats:
    """Count what the town holds.

    Parameters
    ----------
    town : TownState
        The built town.

    Returns
    -------
    Stats
        Counts by kind.
    """
    osm = town.osm
    highway_nodes: set[int] = set()
    highways = Counter[str]()
    buildings = Counter[str]()
    addresses = 0
    for refs, tags in osm.ways.values():
        if "highway" in tags:
            highways[tags["highway"]] += 1
            highway_nodes.update(refs)
        if "building" in tags:
            buildings[tags["building"]] += 1
            addresses += "addr:street" in tags
    categories = Counter[str]()
    by_community: dict[str, Counter[str]] = {c[0]: Counter[str]() for c in COMMUNITIES}
    for fac in town.facilities:
        for cat in fac.categories:
            categories[cat] += 1
            by_community[fac.community][cat] += 1
    return Stats(
        nodes=len(osm.nodes),
        ways=len(osm.ways),
        relations=len(osm.relations),
        street_nodes=len(highway_nodes),
        highways=dict(sorted(highways.items())),
        buildings=dict(buildings.most_common()),
        addresses=addresses,
        categories=dict(categories),
        by_community=by_community,
        facilities=len(town.facilities),
        walk_bridges=town.walk_bridge_count,
    )
