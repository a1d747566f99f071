"""Generate the synthetic Jiegu demo town (OSM XML, DEM, README) that yushu_circle ships."""

from __future__ import annotations

import argparse
import bz2
import itertools
import math
import tomllib
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

SEED = 20100414
"""Default seed (the date of the 2010 Yushu earthquake)."""

LAT0 = 33.005
LON0 = 97.010
EARTH_RADIUS_M = 6_371_008.8
M_PER_DEG_LAT = EARTH_RADIUS_M * math.pi / 180.0
M_PER_DEG_LON = M_PER_DEG_LAT * math.cos(math.radians(LAT0))

HALF_W = 1250.0
"""Half the east-west extent of the town, metres."""
HALF_H = 900.0
"""Half the north-south extent of the town, metres."""
CELL = 2.0
"""Cell size of the occupancy mask used to keep features apart, metres."""

OSM_NAME = "jiegu_synthetic_demo.osm.bz2"
DEM_NAME = "jiegu_synthetic_dem.tif"
README_NAME = "README.md"
DEM_PIXEL_M = 10.0
DEM_MARGIN_M = 150.0

NOTE = "synthetic demo data 示例数据, not survey data"
HEADER_COMMENT = (
    "SYNTHETIC DEMO DATA 示例数据. A made-up town placed at Jiegu (结古街道), Yushu (玉树市), "
    "Qinghai, written by data/make_demo.py of yushu_circle (seed {seed}). It is not "
    "OpenStreetMap data and not survey data: every street, building, facility and name in "
    "it is invented."
)

NORTH_ROWS = (0.0, 100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0)
SOUTH_ROWS = (0.0, 95.0, 190.0, 285.0, 380.0)

# Bridges that people can walk over: (x of the north end, x of the south end, kind).
BRIDGES = ((-120.0, -120.0, "road"), (420.0, 420.0, "foot"), (1000.0, 1000.0, "road"))

# Communities: letter, bank, u range (metres along the valley).
COMMUNITIES = (
    ("A", "N", -1200.0, -560.0),
    ("B", "N", -560.0, 60.0),
    ("C", "N", 60.0, 640.0),
    ("D", "N", 640.0, 1200.0),
    ("E", "S", 60.0, 940.0),
    ("F", "S", -1170.0, -650.0),
)
COMMERCIAL_U = (-300.0, 300.0)
COMMERCIAL_V = (12.0, 105.0)
UNDER_SERVED = "F"

ROAD_HALF_WIDTH = {
    "trunk": 10.0,
    "trunk_link": 7.0,
    "primary": 9.0,
    "secondary": 8.0,
    "tertiary": 6.0,
    "residential": 5.0,
    "service": 4.0,
    "footway": 2.5,
    "steps": 2.5,
}

Point = tuple[float, float]


def demo_name(zh: str, en: str) -> str:
    """Return a bilingual name that says it is synthetic.

    Parameters
    ----------
    zh : str
        Chinese part, without the 示例 prefix.
    en : str
        English part, without the Demo prefix.

    Returns
    -------
    str
        E.g. ``"示例幼儿园1 Demo Kindergarten 1 (synthetic)"``.
    """
    return f"示例{zh} Demo {en} (synthetic)"


def named(name: str, tags: dict[str, str] | None = None) -> dict[str, str]:
    """Return ``tags`` plus ``name`` and the synthetic-data ``note``.

    Parameters
    ----------
    name : str
        The feature's name (already marked synthetic).
    tags : dict of str to str, optional
        The feature's other tags.

    Returns
    -------
    dict of str to str
        A new tag dictionary.
    """
    out = dict(tags or {})
    out["name"] = name
    out["note"] = NOTE
    return out


# --------------------------------------------------------------------------- geometry


def river_axis_y(x: np.ndarray | float) -> np.ndarray:
    """Return the y of the smooth valley axis that the main roads follow.

    Parameters
    ----------
    x : float or numpy.ndarray
        Local east coordinate, metres.

    Returns
    -------
    numpy.ndarray
        Local north coordinate of the axis, metres.
    """
    return -120.0 + 45.0 * np.sin(2.0 * np.pi * (np.asarray(x) + 300.0) / 1900.0)


def river_y(x: np.ndarray | float) -> np.ndarray:
    """Return the y of the river's centre line (the axis plus small meanders).

    Parameters
    ----------
    x : float or numpy.ndarray
        Local east coordinate, metres.

    Returns
    -------
    numpy.ndarray
        Local north coordinate of the river centre, metres.
    """
    x = np.asarray(x, dtype=float)
    return river_axis_y(x) + 14.0 * np.sin(2.0 * np.pi * x / 700.0 + 0.7)


def river_half_width(x: np.ndarray | float) -> np.ndarray:
    """Return half the river's width.

    Parameters
    ----------
    x : float or numpy.ndarray
        Local east coordinate, metres.

    Returns
    -------
    numpy.ndarray
        Half width, metres (14.5 to 19.5).
    """
    return 17.0 + 2.5 * np.sin(2.0 * np.pi * np.asarray(x, dtype=float) / 530.0 + 1.9)


def road_y(bank: str, x: np.ndarray | float) -> np.ndarray:
    """Return the y of the main road along one bank.

    Parameters
    ----------
    bank : {"N", "S"}
        North or south bank.
    x : float or numpy.ndarray
        Local east coordinate, metres.

    Returns
    -------
    numpy.ndarray
        Local north coordinate of the road, metres.
    """
    return river_axis_y(x) + (78.0 if bank == "N" else -70.0)


def bank_xy(bank: str, u: np.ndarray | float, v: np.ndarray | float) -> np.ndarray:
    """Map street-grid coordinates to the local metric frame.

    ``u`` runs along the valley (east), ``v`` runs up the valley side away from the bank's
    main road; ``v = 0`` lies exactly on the main road at ``x = u``.

    Parameters
    ----------
    bank : {"N", "S"}
        North or south bank.
    u, v : float or numpy.ndarray
        Grid coordinates, metres.

    Returns
    -------
    numpy.ndarray
        Array of shape ``(..., 2)`` with local x (east) and y (north), metres.
    """
    u = np.asarray(u, dtype=float)
    v = np.asarray(v, dtype=float)
    if bank == "N":
        x = u + 18.0 * (v / 300.0) * np.sin(v / 140.0 + u / 260.0)
        y = road_y("N", u) + v * (1.0 + 0.06 * np.sin(u / 210.0))
    else:
        x = u + 15.0 * (v / 250.0) * np.sin(v / 120.0 + u / 230.0 + 1.3)
        y = road_y("S", u) - v * (1.0 + 0.05 * np.sin(u / 190.0 + 0.4))
    return np.stack([x, y], axis=-1)


def vmax_north(u: float) -> float:
    """Return how far up the north valley side the town reaches at ``u``.

    Parameters
    ----------
    u : float
        Grid coordinate along the valley, metres.

    Returns
    -------
    float
        Highest street-grid ``v``, metres.
    """
    return 700.0 - 220.0 * (u / 1250.0) ** 2


def to_lonlat(x: float, y: float) -> tuple[float, float]:
    """Convert local metres to WGS-84 degrees (equirectangular about the centre).

    Parameters
    ----------
    x, y : float
        Local east and north coordinates, metres.

    Returns
    -------
    tuple of float
        Longitude and latitude, degrees.
    """
    return LON0 + x / M_PER_DEG_LON, LAT0 + y / M_PER_DEG_LAT


def points_in_polygon(px: np.ndarray, py: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Return which points lie inside a polygon (even-odd ray casting).

    Parameters
    ----------
    px, py : numpy.ndarray
        Point coordinates (any equal shapes).
    poly : numpy.ndarray
        Polygon vertices, shape ``(n, 2)``, not repeating the first vertex.

    Returns
    -------
    numpy.ndarray
        Boolean array shaped like ``px``.
    """
    inside = np.zeros(np.shape(px), dtype=bool)
    xs, ys = poly[:, 0], poly[:, 1]
    xj, yj = xs[-1], ys[-1]
    for xi, yi in zip(xs, ys, strict=True):
        if yi != yj:
            crosses = (yi > py) != (yj > py)
            x_at = (xj - xi) * (py - yi) / (yj - yi) + xi
            inside ^= crosses & (px < x_at)
        xj, yj = xi, yi
    return inside


def point_in_polygon(x: float, y: float, poly: list[Point]) -> bool:
    """Return whether one point lies inside a polygon (even-odd ray casting).

    Parameters
    ----------
    x, y : float
        The point.
    poly : list of tuple of float
        Polygon vertices, not repeating the first vertex.

    Returns
    -------
    bool
        True when inside.
    """
    inside = False
    xj, yj = poly[-1]
    for xi, yi in poly:
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        xj, yj = xi, yi
    return inside


def dist_to_polyline(px: np.ndarray, py: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Return each point's distance to a polyline.

    Parameters
    ----------
    px, py : numpy.ndarray
        Point coordinates (any equal shapes).
    line : numpy.ndarray
        Polyline vertices, shape ``(n, 2)``.

    Returns
    -------
    numpy.ndarray
        Distances, shaped like ``px``.
    """
    best = np.full(np.shape(px), np.inf)
    if len(line) == 1:
        return np.hypot(px - line[0, 0], py - line[0, 1])
    for (ax, ay), (bx, by) in itertools.pairwise(line):
        dx, dy = bx - ax, by - ay
        den = dx * dx + dy * dy
        t = np.clip(((px - ax) * dx + (py - ay) * dy) / den, 0.0, 1.0) if den > 0 else 0.0
        best = np.minimum(best, np.hypot(px - (ax + t * dx), py - (ay + t * dy)))
    return best


def rectangle(center: Point, along: Point, width: float, depth: float) -> np.ndarray:
    """Return the four corners of an oriented rectangle.

    Parameters
    ----------
    center : tuple of float
        Centre, local metres.
    along : tuple of float
        Unit vector of the ``width`` side.
    width, depth : float
        Side lengths, metres.

    Returns
    -------
    numpy.ndarray
        Corners, shape ``(4, 2)``, counter-clockwise.
    """
    cx, cy = center
    ax, ay = along
    nx, ny = -ay, ax
    hw, hd = width / 2.0, depth / 2.0
    return np.array(
        [
            (cx - ax * hw - nx * hd, cy - ay * hw - ny * hd),
            (cx + ax * hw - nx * hd, cy + ay * hw - ny * hd),
            (cx + ax * hw + nx * hd, cy + ay * hw + ny * hd),
            (cx - ax * hw + nx * hd, cy - ay * hw + ny * hd),
        ]
    )


def ellipse(center: Point, along: Point, a: float, b: float, n: int) -> np.ndarray:
    """Return ``n`` vertices of an oriented ellipse.

    Parameters
    ----------
    center : tuple of float
        Centre, local metres.
    along : tuple of float
        Unit vector of the ``a`` axis.
    a, b : float
        Semi-axes, metres.
    n : int
        Number of vertices.

    Returns
    -------
    numpy.ndarray
        Vertices, shape ``(n, 2)``.
    """
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    ax, ay = along
    px, py = a * np.cos(t), b * np.sin(t)
    return np.stack([center[0] + px * ax - py * ay, center[1] + px * ay + py * ax], axis=1)


def densify(points: Sequence[Point], step: float) -> list[Point]:
    """Insert points so that no segment is longer than ``step`` (open polyline).

    Parameters
    ----------
    points : sequence of tuple of float
        Vertices.
    step : float
        Longest segment wanted.

    Returns
    -------
    list of tuple of float
        The densified vertices, including the originals.
    """
    out: list[Point] = [points[0]]
    for (ax, ay), (bx, by) in itertools.pairwise(points):
        n = max(1, math.ceil(math.hypot(bx - ax, by - ay) / step))
        out.extend((ax + (bx - ax) * k / n, ay + (by - ay) * k / n) for k in range(1, n + 1))
    return out


def polyline_length(line: np.ndarray) -> float:
    """Return the length of a polyline.

    Parameters
    ----------
    line : numpy.ndarray
        Vertices, shape ``(n, 2)``.

    Returns
    -------
    float
        Length, metres.
    """
    return float(np.hypot(*np.diff(line, axis=0).T).sum())


# --------------------------------------------------------------------------- terrain


class Terrain:
    """Synthetic valley elevation: river floor ~3,680 m, sides rising 60-150 m.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the gentle undulations.
    """

    def __init__(self, rng: np.random.Generator) -> None:
        n = 6
        angle = rng.uniform(0.0, np.pi, n)
        wavelength = rng.uniform(260.0, 720.0, n)
        self.kx = 2.0 * np.pi * np.cos(angle) / wavelength
        self.ky = 2.0 * np.pi * np.sin(angle) / wavelength
        self.amp = rng.uniform(0.8, 2.6, n)
        self.phase = rng.uniform(0.0, 2.0 * np.pi, n)

    def z(self, x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray:
        """Return the elevation at local coordinates.

        Parameters
        ----------
        x, y : float or numpy.ndarray
            Local east and north coordinates, metres.

        Returns
        -------
        numpy.ndarray
            Elevation above sea level, metres.
        """
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        d = y - river_y(x)
        floor = 3684.0 - 8.0 * (x + HALF_W) / (2.0 * HALF_W)
        dn = np.clip(d - 40.0, 0.0, None)
        ds = np.clip(-d - 40.0, 0.0, None)
        rise = 140.0 * (dn / 900.0) ** 1.5 + 110.0 * (ds / 700.0) ** 1.5
        terrace = 3.0 * (1.0 - np.exp(-((d / 35.0) ** 2)))
        channel = -1.5 * np.exp(-((d / 15.0) ** 2))
        weight = np.clip((np.abs(d) - 60.0) / 250.0, 0.0, 1.0)
        noise = np.zeros(np.broadcast(x, y).shape)
        for kx, ky, amp, phase in zip(self.kx, self.ky, self.amp, self.phase, strict=True):
            noise = noise + amp * np.sin(kx * x + ky * y + phase)
        return floor + terrace + channel + rise + weight * noise


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


# --------------------------------------------------------------------------- OSM model


@dataclass
class OsmBuilder:
    """Nodes, ways and relations in local metres, written out as OSM XML 0.6."""

    nodes: dict[int, tuple[float, float, dict[str, str]]] = field(default_factory=dict)
    ways: dict[int, tuple[list[int], dict[str, str]]] = field(default_factory=dict)
    relations: dict[int, tuple[list[tuple[str, int, str]], dict[str, str]]] = field(
        default_factory=dict
    )
    next_node: int = 10_000_001
    next_way: int = 20_000_001
    next_relation: int = 30_000_001

    def node(self, x: float, y: float, tags: dict[str, str] | None = None) -> int:
        """Add a node and return its id.

        Parameters
        ----------
        x, y : float
            Local coordinates, metres.
        tags : dict of str to str, optional
            The node's tags.

        Returns
        -------
        int
            The new node id.
        """
        nid = self.next_node
        self.next_node += 1
        self.nodes[nid] = (float(x), float(y), dict(tags or {}))
        return nid

    def way(self, refs: Sequence[int], tags: dict[str, str] | None = None) -> int:
        """Add a way over existing nodes and return its id.

        Parameters
        ----------
        refs : sequence of int
            Node ids in order.
        tags : dict of str to str, optional
            The way's tags.

        Returns
        -------
        int
            The new way id.
        """
        if len(refs) < 2:
            msg = f"a way needs at least two nodes, got {list(refs)}"
            raise ValueError(msg)
        wid = self.next_way
        self.next_way += 1
        self.ways[wid] = (list(refs), dict(tags or {}))
        return wid

    def polygon(
        self,
        pts: np.ndarray | Sequence[Point],
        tags: dict[str, str] | None = None,
        cache: dict[tuple[float, float], int] | None = None,
    ) -> int:
        """Add a closed way (the first node repeated at the end) and return its id.

        Parameters
        ----------
        pts : array-like
            Vertices, shape ``(n, 2)``, without the closing repeat.
        tags : dict of str to str, optional
            The way's tags.
        cache : dict, optional
            Node ids by rounded coordinate, so that polygons sharing a border share nodes.

        Returns
        -------
        int
            The new way id.
        """
        refs = []
        for x, y in np.asarray(pts, dtype=float):
            if cache is None:
                refs.append(self.node(x, y))
                continue
            key = (round(float(x), 3), round(float(y), 3))
            if key not in cache:
                cache[key] = self.node(x, y)
            refs.append(cache[key])
        return self.way([*refs, refs[0]], tags)

    def relation(self, members: Sequence[tuple[str, int, str]], tags: dict[str, str]) -> int:
        """Add a relation and return its id.

        Parameters
        ----------
        members : sequence of tuple
            ``(type, ref, role)`` triples.
        tags : dict of str to str
            The relation's tags (including ``type``).

        Returns
        -------
        int
            The new relation id.
        """
        rid = self.next_relation
        self.next_relation += 1
        self.relations[rid] = (list(members), dict(tags))
        return rid

    def to_xml(self, comment: str) -> bytes:
        """Serialise as OSM XML 0.6 (UTF-8), nodes, then ways, then relations.

        Parameters
        ----------
        comment : str
            Text of the XML comment placed before the root element.

        Returns
        -------
        bytes
            The document.
        """

        def attr(value: str) -> str:
            return '"' + escape(value, {'"': "&quot;"}) + '"'

        def tag_lines(tags: dict[str, str]) -> list[str]:
            return [f"    <tag k={attr(k)} v={attr(v)}/>" for k, v in tags.items()]

        lon_w, lat_s = to_lonlat(-HALF_W, -HALF_H)
        lon_e, lat_n = to_lonlat(HALF_W, HALF_H)
        lines = [
            "<?xml version='1.0' encoding='UTF-8'?>",
            f"<!-- {comment} -->",
            '<osm version="0.6" generator="yushu_circle data/make_demo.py (synthetic demo)">',
            f'  <bounds minlat="{lat_s:.7f}" minlon="{lon_w:.7f}" '
            f'maxlat="{lat_n:.7f}" maxlon="{lon_e:.7f}"/>',
        ]
        for nid in sorted(self.nodes):
            x, y, tags = self.nodes[nid]
            lon, lat = to_lonlat(x, y)
            head = f'  <node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"'
            if tags:
                lines.append(head + ">")
                lines.extend(tag_lines(tags))
                lines.append("  </node>")
            else:
                lines.append(head + "/>")
        for wid in sorted(self.ways):
            refs, tags = self.ways[wid]
            lines.append(f'  <way id="{wid}" version="1">')
            lines.extend(f'    <nd ref="{ref}"/>' for ref in refs)
            lines.extend(tag_lines(tags))
            lines.append("  </way>")
        for rid in sorted(self.relations):
            members, tags = self.relations[rid]
            lines.append(f'  <relation id="{rid}" version="1">')
            lines.extend(
                f'    <member type="{kind}" ref="{ref}" role={attr(role)}/>'
                for kind, ref, role in members
            )
            lines.extend(tag_lines(tags))
            lines.append("  </relation>")
        lines.append("</osm>")
        return ("\n".join(lines) + "\n").encode("utf-8")


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


class Town:
    """Builds the synthetic town into an :class:`OsmBuilder`.

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

    # ----------------------------------------------------------------- river

    def build_river(self) -> None:
        """Add the river: a ``waterway=river`` line, its water area and a waterway relation."""
        xs = np.arange(-HALF_W, HALF_W + 0.1, 20.0)
        yc = river_y(xs)
        hw = river_half_width(xs)
        name = demo_name("河", "River")
        line = [self.osm.node(x, y) for x, y in zip(xs, yc, strict=True)]
        self.river_way = self.osm.way(line, named(name, {"waterway": "river"}))
        outline = np.concatenate(
            [np.stack([xs, yc + hw], axis=1), np.stack([xs, yc - hw], axis=1)[::-1]]
        )
        self.osm.polygon(outline, named(name, {"natural": "water", "water": "river"}))
        self.osm.relation(
            [("way", self.river_way, "main_stream")],
            named(name, {"type": "waterway", "waterway": "river"}),
        )
        self.mask.mark(outline, buffer=6.0)
        self.river_outline = outline

    # ----------------------------------------------------------------- grids

    def build_grids(self) -> None:
        """Lay out the street grids of the north bank and the two south-bank clusters."""
        rng = self.rng
        us: list[float] = []
        u = -1180.0
        while u <= 1180.0:
            us.append(u)
            u += float(rng.uniform(115.0, 155.0))
        north = Grid("N", us, NORTH_ROWS)
        for i, u in enumerate(us):
            top = vmax_north(u) + float(rng.uniform(-60.0, 30.0))
            for j, v in enumerate(NORTH_ROWS):
                if v <= top:
                    north.uv[(i, j)] = self._jitter(u, v, j)
        self.grids.append(north)
        for u0, u1, step in ((-1110.0, -700.0, 105.0), (110.0, 900.0, 130.0)):
            cols = [float(c) for c in np.arange(u0, u1 + 1.0, step)]
            cols = [c + (float(rng.uniform(-15.0, 15.0)) if k else 0.0) for k, c in enumerate(cols)]
            grid = Grid("S", cols, SOUTH_ROWS)
            for i, u in enumerate(cols):
                top = 380.0 - (95.0 if rng.random() < 0.3 else 0.0)
                for j, v in enumerate(SOUTH_ROWS):
                    if v <= top:
                        grid.uv[(i, j)] = self._jitter(u, v, j)
            self.grids.append(grid)
        for grid in self.grids:
            self._prune(grid)

    def _jitter(self, u: float, v: float, j: int) -> Point:
        """Return a grid node's (u, v), jittered except on the main road.

        Parameters
        ----------
        u, v : float
            Regular grid position.
        j : int
            Row index (0 is the main road).

        Returns
        -------
        tuple of float
            The node's (u, v).
        """
        if j == 0:
            return u, v
        return u + float(self.rng.uniform(-12.0, 12.0)), v + float(self.rng.uniform(-10.0, 10.0))

    def _prune(self, grid: Grid) -> None:
        """Drop random grid edges (irregular blocks, dead ends) while staying connected.

        Parameters
        ----------
        grid : Grid
            The grid to prune in place.
        """
        edges: list[tuple[tuple[int, int], tuple[int, int]]] = []
        for i, j in sorted(grid.uv):
            if (i, j + 1) in grid.uv:
                edges.append(((i, j), (i, j + 1)))
            if j >= 1 and (i + 1, j) in grid.uv:
                edges.append(((i, j), (i + 1, j)))
        order = self.rng.permutation(len(edges))
        kept = set(range(len(edges)))
        for k in order:
            (i, j), (i2, _) = edges[k]
            p = (0.2 if j == 0 else 0.12) if i == i2 else 0.25
            if self.rng.random() >= p:
                continue
            kept.discard(int(k))
            if not self._connected(grid, [edges[e] for e in sorted(kept)]):
                kept.add(int(k))
        grid.edges = [edges[e] for e in sorted(kept)]

    @staticmethod
    def _connected(grid: Grid, edges: list[tuple[tuple[int, int], tuple[int, int]]]) -> bool:
        """Return whether every grid node reaches the main road over ``edges``.

        Parameters
        ----------
        grid : Grid
            The grid (its row-0 nodes are joined by the main road).
        edges : list
            Candidate edges.

        Returns
        -------
        bool
            True when the grid plus its main road is one component.
        """
        adj: dict[tuple[int, int], list[tuple[int, int]]] = {k: [] for k in grid.uv}
        for a, b in edges:
            adj[a].append(b)
            adj[b].append(a)
        road = sorted(k for k in grid.uv if k[1] == 0)
        for a, b in itertools.pairwise(road):
            adj[a].append(b)
            adj[b].append(a)
        seen = {road[0]}
        queue = deque([road[0]])
        while queue:
            for nb in adj[queue.popleft()]:
                if nb not in seen:
                    seen.add(nb)
                    queue.append(nb)
        return len(seen) == len(grid.uv)

    # ----------------------------------------------------------------- main roads

    def build_main_roads(self) -> None:
        """Add the north primary road and the south secondary road with their junctions."""
        specials: dict[str, list[float]] = {"N": [], "S": []}
        for grid in self.grids:
            specials[grid.bank].extend(grid.uv[k][0] for k in grid.uv if k[1] == 0)
        for xn, xs, kind in BRIDGES:
            snapped = (self._snap(specials["N"], xn), self._snap(specials["S"], xs), kind)
            specials["N"].append(snapped[0])
            specials["S"].append(snapped[1])
            self.bridge_x.append(snapped)
        specials["N"] += [1200.0, -535.0, -150.0]  # trunk junction, promenade ends
        specials["S"] += [-1200.0, 1150.0]  # trunk link, trunk junction (road's east end)
        spans = {"N": (-HALF_W, HALF_W), "S": (-HALF_W, 1150.0)}
        for bank in ("N", "S"):
            x0, x1 = spans[bank]
            special = sorted(set(specials[bank]))
            regular = [
                float(x)
                for x in np.arange(x0, x1 + 0.1, 20.0)
                if min(abs(x - s) for s in special) > 7.0
            ]
            stations = sorted(set(regular) | set(special))
            ids: dict[float, int] = {}
            for x in stations:
                ids[x] = self.osm.node(x, float(road_y(bank, x)))
            self.main_stations[bank] = ids
            for grid in self.grids:
                if grid.bank == bank:
                    for key, (u, _) in grid.uv.items():
                        if key[1] == 0:
                            grid.ids[key] = ids[u]
            # Split the road into several ways at the bridges, as mappers do.
            cuts = sorted({b[0] if bank == "N" else b[1] for b in self.bridge_x})
            pieces: list[list[int]] = [[]]
            for x in stations:
                pieces[-1].append(ids[x])
                if x in cuts:
                    pieces.append([ids[x]])
            if bank == "N":
                tags = named(
                    demo_name("大道", "Avenue"),
                    {"highway": "primary", "lanes": "4", "sidewalk": "both", "maxspeed": "40"},
                )
            else:
                tags = named(
                    demo_name("滨河南路", "South Riverside Road"),
                    {"highway": "secondary", "lanes": "2", "sidewalk": "both"},
                )
            for piece in pieces:
                if len(piece) >= 2:
                    self.main_ways[bank].append(self.osm.way(piece, tags))
                    self.mark_road(piece, tags["highway"])
            houses = [(-1200.0, 1200.0)] if bank == "N" else [(-1150.0, -650.0), (60.0, 960.0)]
            for lo, hi in houses:
                part = [ids[x] for x in stations if lo <= x <= hi]
                self.frontages.append(
                    Frontage(self.line_of(part), ROAD_HALF_WIDTH[tags["highway"]], tags["name"])
                )

    @staticmethod
    def _snap(xs: list[float], x: float, tol: float = 15.0) -> float:
        """Return the nearest of ``xs`` within ``tol`` of ``x``, else ``x``.

        Parameters
        ----------
        xs : list of float
            Existing station positions.
        x : float
            Wanted position.
        tol : float
            Snapping distance, metres.

        Returns
        -------
        float
            The position to use.
        """
        near = [s for s in xs if abs(s - x) <= tol]
        return min(near, key=lambda s: abs(s - x)) if near else x

    # ----------------------------------------------------------------- bridges, bypass

    def build_bridges(self) -> None:
        """Add the three bridges people can cross the river on (split at the abutments)."""
        for k, (xn, xs, kind) in enumerate(self.bridge_x, start=1):
            north = self.main_stations["N"][xn]
            south = self.main_stations["S"][xs]
            x_n, x_s = self.xy(north)[0], self.xy(south)[0]
            xm = (x_n + x_s) / 2.0
            reach = float(river_half_width(xm)) + 6.0
            abut_n = self.osm.node(xm, float(river_y(xm)) + reach)
            abut_s = self.osm.node(xm, float(river_y(xm)) - reach)
            if kind == "road":
                base = {"highway": "secondary", "lanes": "2", "sidewalk": "both"}
                name = demo_name(f"{'一二三'[k // 2]}桥", f"Bridge {k // 2 + 1}")
            else:
                base = {"highway": "footway"}
                name = demo_name("步行桥", "Footbridge")
            self.osm.way([north, abut_n], dict(base))
            bridge = named(name, {**base, "bridge": "yes", "layer": "1"})
            self.bridge_ways.append(self.osm.way([abut_n, abut_s], bridge))
            self.osm.way([abut_s, south], dict(base))
            self.mark_road([north, abut_n, abut_s, south], base["highway"])
            self.walk_bridge_count += 1

    def build_bypass(self) -> None:
        """Add the trunk bypass (``foot=no``) with its own river viaduct: not walkable."""
        tags = named(
            demo_name("绕城公路", "Bypass"),
            {"highway": "trunk", "foot": "no", "motorroad": "yes", "lanes": "2"},
        )
        xs = np.arange(-HALF_W, 1060.0, 30.0)
        pts = [(float(x), -715.0 + 12.0 * math.sin(x / 300.0)) for x in xs]
        x_end, y_end = self.xy(self.main_stations["S"][1150.0])
        (bx, by) = pts[-1]
        for t in np.linspace(0.0, 1.0, 6)[1:-1]:
            cx, cy = 1150.0, by
            pts.append(
                (
                    float((1 - t) ** 2 * bx + 2 * (1 - t) * t * cx + t**2 * x_end),
                    float((1 - t) ** 2 * by + 2 * (1 - t) * t * cy + t**2 * y_end),
                )
            )
        refs = [self.osm.node(x, y) for x, y in pts]
        junction_s = self.main_stations["S"][1150.0]
        refs.append(junction_s)
        self.osm.way(refs, tags)
        self.mark_road(refs, "trunk")
        # Viaduct over the river to the north road.
        junction_n = self.main_stations["N"][1200.0]
        xm = 1175.0
        reach = float(river_half_width(xm)) + 6.0
        abut_s = self.osm.node(xm, float(river_y(xm)) - reach)
        abut_n = self.osm.node(xm, float(river_y(xm)) + reach)
        self.osm.way([junction_s, abut_s], tags)
        viaduct = dict(tags)
        viaduct.update({"bridge": "yes", "layer": "1", "name": demo_name("高架桥", "Viaduct")})
        self.bridge_ways.append(self.osm.way([abut_s, abut_n], viaduct))
        self.osm.way([abut_n, junction_n], tags)
        self.mark_road([junction_s, abut_s, abut_n, junction_n], "trunk")
        # Link from the west end of the south road up to the bypass.
        start = self.main_stations["S"][-1200.0]
        x0, y0 = self.xy(start)
        link_pts = [(x0 - 10.0 * math.sin(k / 3.0), y0 - 30.0 * k) for k in range(1, 18)]
        link_pts = [p for p in link_pts if p[1] > -700.0]
        target = min(range(len(pts)), key=lambda n: abs(pts[n][0] - (x0 + 10.0)))
        link = [start, *(self.osm.node(x, y) for x, y in link_pts), refs[target]]
        self.osm.way(link, {"highway": "trunk_link", "foot": "no", "oneway": "no"})
        self.mark_road(link, "trunk_link")

    # ----------------------------------------------------------------- grid streets

    def build_grid_streets(self) -> None:
        """Turn the grids into OSM streets: curved edges, chained into named ways."""
        for grid in self.grids:
            for gkey in sorted(grid.uv):
                if gkey not in grid.ids:
                    x, y = bank_xy(grid.bank, *grid.uv[gkey])
                    grid.ids[gkey] = self.osm.node(float(x), float(y))
        edge_refs: dict[tuple[int, tuple[int, int], tuple[int, int]], list[int]] = {}
        steep: list[tuple[float, int, tuple[int, int], tuple[int, int]]] = []
        for g, grid in enumerate(self.grids):
            for a, b in grid.edges:
                refs = self._edge_nodes(grid, a, b)
                edge_refs[(g, a, b)] = refs
                if a[0] == b[0] and a[1] >= 3:
                    line = self.line_of(refs)
                    z = self.terrain.z(line[:, 0], line[:, 1])
                    grade = abs(float(z[-1] - z[0])) / polyline_length(line)
                    steep.append((grade, g, a, b))
        steep.sort(reverse=True)
        kinds: dict[tuple[int, tuple[int, int], tuple[int, int]], str] = {}
        for n, (_, g, a, b) in enumerate(steep[:5]):
            kinds[(g, a, b)] = "steps" if n < 3 else "footway"
        lane = 0
        for g, grid in enumerate(self.grids):
            columns = sorted({k[0] for k in grid.uv})
            rows = sorted({k[1] for k in grid.uv})
            chains: list[tuple[str, list[tuple[int, tuple[int, int], tuple[int, int]]]]] = []
            for i in columns:
                chain: list[tuple[int, tuple[int, int], tuple[int, int]]] = []
                for j in rows:
                    key = (g, (i, j), (i, j + 1))
                    if key in edge_refs and key not in kinds:
                        chain.append(key)
                        continue
                    if chain:
                        chains.append(("col", chain))
                    chain = []
                    if key in kinds:
                        chains.append((kinds[key], [key]))
                if chain:
                    chains.append(("col", chain))
            for j in rows:
                chain = []
                for i in columns:
                    key = (g, (i, j), (i + 1, j))
                    if key in edge_refs:
                        chain.append(key)
                    elif chain:
                        chains.append(("row", chain))
                        chain = []
                if chain:
                    chains.append(("row", chain))
            for kind, chain in chains:
                refs = list(edge_refs[chain[0]])
                for key in chain[1:]:
                    refs.extend(edge_refs[key][1:])
                if kind in ("steps", "footway"):
                    self._steps_way(refs, kind)
                    continue
                j = chain[0][1][1]
                tags: dict[str, str] = {"highway": "residential"}
                if kind == "row" and grid.bank == "N" and j == 3:
                    tags = {"highway": "tertiary", "lanes": "2"}
                name: str | None = None
                if kind == "row" and (len(chain) >= 2 or j == 3):
                    side = "北" if grid.bank == "N" else "南"
                    en = "North" if grid.bank == "N" else "South"
                    if grid.bank == "S":
                        side, en = ("西南", "Southwest") if g == 1 else ("东南", "Southeast")
                    name = demo_name(f"{side}{j}路", f"{en} Road {j}")
                elif kind == "col" and len(chain) >= 3:
                    lane += 1
                    name = demo_name(f"{lane}巷", f"Lane {lane}")
                if name:
                    tags = named(name, tags)
                x0 = self.xy(refs[0])[0]
                if kind == "row" and grid.bank == "N" and j == 2 and 700.0 < x0 < 1000.0:
                    tags["oneway"] = "yes"
                self.osm.way(refs, tags)
                self.mark_road(refs, tags["highway"])
                for key in chain:
                    self.frontages.append(
                        Frontage(
                            self.line_of(edge_refs[key]), ROAD_HALF_WIDTH[tags["highway"]], name
                        )
                    )

    def _edge_nodes(self, grid: Grid, a: tuple[int, int], b: tuple[int, int]) -> list[int]:
        """Create the curved intermediate nodes of one grid edge.

        Parameters
        ----------
        grid : Grid
            The grid.
        a, b : tuple of int
            The edge's end keys.

        Returns
        -------
        list of int
            Node ids from ``a`` to ``b``.
        """
        (ua, va), (ub, vb) = grid.uv[a], grid.uv[b]
        length = math.hypot(ub - ua, vb - va)
        n = max(2, round(length / 16.0))
        bend = float(self.rng.uniform(-7.0, 7.0))
        nu, nv = -(vb - va) / length, (ub - ua) / length
        refs = [grid.ids[a]]
        for k in range(1, n):
            t = k / n
            off = bend * math.sin(math.pi * t)
            u = ua + (ub - ua) * t + nu * off
            v = va + (vb - va) * t + nv * off
            x, y = bank_xy(grid.bank, u, v)
            refs.append(self.osm.node(float(x), float(y)))
        refs.append(grid.ids[b])
        return refs

    def _steps_way(self, refs: list[int], kind: str) -> None:
        """Add a steep path: footway, a flight of steps in the middle, footway.

        Parameters
        ----------
        refs : list of int
            Node ids, bottom to top.
        kind : {"steps", "footway"}
            Whether to put steps in the middle.
        """
        if kind == "footway" or len(refs) < 4:
            self.osm.way(refs, {"highway": "footway", "surface": "paving_stones"})
            self.mark_road(refs, "footway")
            return
        k0, k1 = 1, len(refs) - 2
        self.osm.way(refs[: k0 + 1], {"highway": "footway"})
        steps = self.osm.way(
            refs[k0 : k1 + 1], {"highway": "steps", "incline": "up", "handrail": "yes"}
        )
        self.steps_ways.append(steps)
        self.osm.way(refs[k1:], {"highway": "footway"})
        self.mark_road(refs, "steps")

    def build_promenade(self) -> None:
        """Add the riverside footway (north bank) and its riverside park."""
        west = self.main_stations["N"][-535.0]
        east = self.main_stations["N"][-150.0]
        us = np.arange(-520.0, -165.0, 24.0)
        pts = [bank_xy("N", float(u), -26.0) for u in us]
        mid = [self.osm.node(float(x), float(y)) for x, y in pts]
        refs = [west, *mid, east]
        tags = named(demo_name("滨河步道", "Riverside Walk"), {"highway": "footway"})
        self.osm.way(refs, tags)
        self.mark_road(refs, "footway")
        outline = [bank_xy("N", u, -38.0) for u in np.linspace(-545.0, -152.0, 14)]
        outline += [bank_xy("N", u, -12.0) for u in np.linspace(-152.0, -545.0, 14)]
        poly = np.array(outline)
        park = named(demo_name("滨河公园", "Riverside Park"), {"leisure": "park"})
        self.osm.polygon(poly, park)
        self.mask.mark(poly)
        self.facilities.append(Facility(park["name"], ("park",), "way", "B", park))

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

    def facility_area(
        self,
        g: int,
        target: Point,
        tags: dict[str, str],
        categories: tuple[str, ...],
        community: str,
        share: float = 0.55,
        building: str | None = None,
        wanted: float = 1e9,
    ) -> np.ndarray:
        """Add a facility mapped as a closed way (grounds), optionally with a building.

        Parameters
        ----------
        g : int
            Grid index.
        target : tuple of float
            Wanted (u, v).
        tags : dict of str to str
            The facility's tags (with name and note).
        categories : tuple of str
            Catalog categories it is meant to count for (README only).
        community : str
            Community letter (README only).
        share : float
            Share of the block it takes.
        building : str, optional
            ``building=*`` value of a building drawn inside the grounds.
        wanted : float
            Largest side, metres.

        Returns
        -------
        numpy.ndarray
            The grounds' corners.
        """
        key = self.take_block(g, *target)
        rect = self.lot(g, key, share, wanted)
        self.osm.polygon(rect, tags)
        if building:
            self.inner_building(rect, building)
        self.facilities.append(Facility(tags["name"], categories, "way", community, tags))
        return rect

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

    def build_facility_areas(self) -> None:
        """Add the facilities mapped as areas, including two multipolygon relations."""
        n = 0  # north grid
        e = 2  # south-east grid
        self.facility_area(
            n,
            (-850.0, 250.0),
            named(
                demo_name("明德学校", "Mingde School"), {"amenity": "school", "isced:level": "1"}
            ),
            ("primary_school",),
            "A",
            building="school",
        )
        self.facility_area(
            n,
            (-380.0, 350.0),
            named(
                demo_name("九年一贯制学校", "Nine-Year School"),
                {"amenity": "school", "grades": "1-9"},
            ),
            ("primary_school", "middle_school"),
            "B",
            share=0.6,
            building="school",
        )
        self.facility_area(
            e,
            (650.0, 150.0),
            named(
                demo_name("三江源学校", "Sanjiangyuan School"),
                {"amenity": "school", "isced:level": "2;3"},
            ),
            ("middle_school",),
            "E",
            building="school",
        )
        # 示例第一中学: one campus split by a street, mapped as a multipolygon of two outers.
        first = self.take_block(n, 320.0, 250.0)
        second = (first[0] + 1, first[1])
        if (n, *second) in self.used_blocks or second not in self.blocks(n):
            second = (first[0] - 1, first[1])
        self.used_blocks.add((n, *second))
        outers = []
        for key in (first, second):
            rect = self.lot(n, key, 0.55)
            outers.append(self.osm.polygon(rect))
            self.inner_building(rect, "school")
        school = named(demo_name("第一中学", "No. 1 Middle School"), {"amenity": "school"})
        self.osm.relation([("way", w, "outer") for w in outers], {"type": "multipolygon", **school})
        self.facilities.append(
            Facility(school["name"], ("middle_school",), "relation", "C", school)
        )
        # A park with a pond: multipolygon with an inner ring that is itself a water area.
        key = self.take_block(n, -150.0, 250.0)
        rect = self.lot(n, key, 0.7)
        centre, along, width, depth = self.block_frame(n, key)
        pond = ellipse(centre, along, width * 0.16, depth * 0.14, 12)
        outer = self.osm.polygon(rect)
        inner = self.osm.polygon(
            pond, named(demo_name("湖", "Pond"), {"natural": "water", "water": "pond"})
        )
        park = named(demo_name("格萨尔公园", "Gesar Park"), {"leisure": "park"})
        self.osm.relation(
            [("way", outer, "outer"), ("way", inner, "inner")], {"type": "multipolygon", **park}
        )
        self.facilities.append(Facility(park["name"], ("park",), "relation", "B", park))
        # Town centre (commercial strip between the avenue and North Road 1).
        self.facility_area(
            n,
            (-230.0, 50.0),
            named(demo_name("商场", "Mall"), {"shop": "mall", "building": "commercial"}),
            ("mall",),
            "B",
            share=0.6,
        )
        self.facility_area(
            n,
            (-90.0, 50.0),
            named(demo_name("农贸市场", "Fresh Market"), {"amenity": "marketplace"}),
            ("market",),
            "B",
        )
        self.facility_area(
            n,
            (60.0, 50.0),
            named(demo_name("广场", "Square"), {"place": "square", "surface": "paving_stones"}),
            ("park",),
            "C",
            share=0.6,
        )
        self.facility_area(
            n,
            (470.0, 150.0),
            named(
                demo_name("人民医院", "People's Hospital"),
                {"amenity": "hospital", "healthcare": "hospital"},
            ),
            ("hospital",),
            "C",
            share=0.6,
            building="hospital",
        )
        self.facility_area(
            n,
            (-470.0, 50.0),
            named(
                demo_name("超市", "Supermarket"),
                {"shop": "supermarket", "building": "retail", "building:levels": "2"},
            ),
            ("supermarket", "market"),
            "B",
            wanted=45.0,
        )
        self.facility_area(
            n,
            (180.0, 450.0),
            named(demo_name("幼儿园2", "Kindergarten 2"), {"amenity": "kindergarten"}),
            ("kindergarten",),
            "C",
            building="kindergarten",
        )
        self.facility_area(
            n,
            (520.0, 550.0),
            named(
                demo_name("养老院", "Nursing Home"),
                {
                    "amenity": "social_facility",
                    "social_facility": "nursing_home",
                    "social_facility:for": "senior",
                },
            ),
            ("elderly_care",),
            "C",
            building="public",
        )
        self.facility_area(
            n,
            (820.0, 250.0),
            named(demo_name("体育中心", "Sports Centre"), {"leisure": "sports_centre"}),
            ("fitness",),
            "D",
            share=0.65,
        )
        self.facility_area(
            n,
            (560.0, 350.0),
            named(
                demo_name("篮球场", "Basketball Court"), {"leisure": "pitch", "sport": "basketball"}
            ),
            ("fitness",),
            "C",
            wanted=40.0,
        )
        self.facility_area(
            e,
            (330.0, 250.0),
            named(demo_name("足球场", "Football Pitch"), {"leisure": "pitch", "sport": "soccer"}),
            ("fitness",),
            "E",
            share=0.6,
        )
        self.facility_area(
            n,
            (-700.0, 450.0),
            named(demo_name("儿童乐园1", "Playground 1"), {"leisure": "playground"}),
            ("park",),
            "A",
            wanted=40.0,
        )

    # ----------------------------------------------------------------- extra paths

    def build_paths(self) -> None:
        """Add diagonal footpaths across some blocks and dead-end spurs into others."""
        rng = self.rng
        grid = self.grids[0]
        blocks = [b for b in self.blocks(0) if b[1] >= 2 and (0, *b) not in self.used_blocks]
        made = 0
        for k in rng.permutation(len(blocks)):
            if made >= 5:
                break
            i, j = blocks[int(k)]
            a, b = grid.ids[(i, j)], grid.ids[(i + 1, j + 1)]
            pa, pb = np.array(self.xy(a)), np.array(self.xy(b))
            bend = np.array([-(pb - pa)[1], (pb - pa)[0]]) / np.linalg.norm(pb - pa) * 6.0
            inner = np.array(
                [pa + (pb - pa) * t + bend * math.sin(math.pi * t) for t in (0.25, 0.5, 0.75)]
            )
            if not self.mask.is_free(inner, buffer=7.0, closed=False):
                continue
            refs = [a, *(self.osm.node(float(x), float(y)) for x, y in inner), b]
            self.osm.way(refs, {"highway": "footway", "surface": "concrete"})
            self.mark_road(refs, "footway")
            self.used_blocks.add((0, i, j))
            made += 1
        # Dead-end spurs from the middle of row streets into the blocks.
        candidates: list[tuple[int, int]] = []
        for wid, (refs, tags) in self.osm.ways.items():
            if tags.get("highway") in ("residential", "tertiary") and len(refs) >= 5:
                candidates.append((wid, len(refs)))
        spurs = 0
        private_done = False
        for k in rng.permutation(len(candidates)):
            if spurs >= 28:
                break
            wid, n = candidates[int(k)]
            refs = self.osm.ways[wid][0]
            pos = int(rng.integers(2, n - 2))
            origin = np.array(self.xy(refs[pos]))
            tangent = np.array(self.xy(refs[pos + 1])) - np.array(self.xy(refs[pos - 1]))
            tangent /= np.linalg.norm(tangent)
            normal = np.array([-tangent[1], tangent[0]]) * (1 if rng.random() < 0.5 else -1)
            length = float(rng.uniform(40.0, 65.0))
            steps = np.linspace(0.0, length, 4)[1:]
            pts = np.array(
                [origin + normal * s + tangent * 3.0 * math.sin(s / 20.0) for s in steps]
            )
            if not self.mask.is_free(pts[1:], buffer=9.0, closed=False):
                continue
            if not self.mask.is_free(np.vstack([origin + normal * 12.0, pts]), 5.5, closed=False):
                continue
            new = [self.osm.node(float(x), float(y)) for x, y in pts]
            spur = [refs[pos], *new]
            roll = rng.random()
            if not private_done and roll < 0.2:
                tags = {"highway": "service", "service": "driveway", "access": "private"}
                private_done = True
            elif roll < 0.65:
                tags = {"highway": "service", "service": "alley"}
            else:
                tags = {"highway": "residential", "noexit": "yes"}
            self.osm.way(spur, tags)
            self.mark_road(spur, tags["highway"])
            if tags.get("access") != "private":
                self.frontages.append(
                    Frontage(self.line_of(spur), ROAD_HALF_WIDTH[tags["highway"]], None)
                )
            spurs += 1

    # ----------------------------------------------------------------- land use

    def outline_uv(self, bank: str, corners: Sequence[Point]) -> np.ndarray:
        """Map a (u, v) outline to local metres, densified, following the town's top edge.

        Parameters
        ----------
        bank : {"N", "S"}
            Which bank's grid coordinates.
        corners : sequence of tuple of float
            Outline vertices in (u, v); a vertex with ``v`` of ``inf`` follows the top edge.

        Returns
        -------
        numpy.ndarray
            Vertices, shape ``(n, 2)``.
        """
        pts: list[Point] = []
        ring = [*corners, corners[0]]
        for (ua, va), (ub, vb) in itertools.pairwise(ring):
            if math.isinf(va) and math.isinf(vb):
                n = max(1, math.ceil(abs(ub - ua) / 40.0))
                for k in range(n):
                    u = ua + (ub - ua) * k / n
                    pts.append((u, self.top_v(bank, u)))
                continue
            a = (ua, self.top_v(bank, ua) if math.isinf(va) else va)
            b = (ub, self.top_v(bank, ub) if math.isinf(vb) else vb)
            pts.extend(densify([a, b], 40.0)[:-1])
        xy = bank_xy(bank, np.array([p[0] for p in pts]), np.array([p[1] for p in pts]))
        xy[:, 0] = np.clip(xy[:, 0], -HALF_W + 2.0, HALF_W - 2.0)
        return xy

    @staticmethod
    def top_v(bank: str, u: float) -> float:
        """Return the ``v`` of the town's upper edge (where the landuse ends).

        Parameters
        ----------
        bank : {"N", "S"}
            Which bank.
        u : float
            Grid coordinate along the valley.

        Returns
        -------
        float
            ``v`` of the top edge, metres.
        """
        return vmax_north(u) + 70.0 if bank == "N" else 440.0

    def build_landuse(self) -> None:
        """Compute the residential and commercial landuse outlines (written later)."""
        inf = math.inf
        c0, c1 = COMMERCIAL_U
        v0, v1 = COMMERCIAL_V
        for letter, bank, u0, u1 in COMMUNITIES:
            a, b = u0 + 8.0, u1 - 8.0
            if letter == "B":
                corners = [(a, 12.0), (c0, 12.0), (c0, 110.0), (b, 110.0), (b, inf), (a, inf)]
            elif letter == "C":
                corners = [(a, 110.0), (c1, 110.0), (c1, 12.0), (b, 12.0), (b, inf), (a, inf)]
            else:
                corners = [(a, 12.0), (b, 12.0), (b, inf), (a, inf)]
            self.landuse[letter] = self.outline_uv(bank, corners)
        self.commercial = self.outline_uv("N", [(c0, v0), (c1, v0), (c1, v1), (c0, v1)])

    def write_landuse(self) -> None:
        """Write landuse polygons and the community (admin_level=10) boundaries."""
        for letter, _, _, _ in COMMUNITIES:
            self.osm.polygon(
                self.landuse[letter],
                named(
                    demo_name(f"社区{letter}居住区", f"Community {letter} Residential Area"),
                    {"landuse": "residential"},
                ),
            )
        self.osm.polygon(
            self.commercial,
            named(demo_name("商业区", "Town Centre"), {"landuse": "commercial"}),
        )
        inf = math.inf
        shared: dict[tuple[float, float], int] = {}
        for letter, bank, u0, u1 in COMMUNITIES:
            outline = self.outline_uv(bank, [(u0, -45.0), (u1, -45.0), (u1, inf), (u0, inf)])
            self.osm.polygon(
                outline,
                named(
                    demo_name(f"社区{letter}", f"Community {letter}"),
                    {"boundary": "administrative", "admin_level": "10"},
                ),
                cache=shared if bank == "N" else None,
            )

    def community_of(self, x: float, y: float) -> str | None:
        """Return the letter of the residential landuse that holds a point.

        Parameters
        ----------
        x, y : float
            Local coordinates, metres.

        Returns
        -------
        str or None
            Community letter, ``"commercial"`` or None.
        """
        shapes = [*self.landuse.items(), ("commercial", self.commercial)]
        for letter, poly in shapes:
            lo, hi = poly.min(axis=0), poly.max(axis=0)
            inside_box = lo[0] <= x <= hi[0] and lo[1] <= y <= hi[1]
            if inside_box and point_in_polygon(x, y, [(float(a), float(b)) for a, b in poly]):
                return letter
        return None

    # ----------------------------------------------------------------- buildings

    def build_houses(self) -> None:
        """Place small buildings along the streets and tag them by place and height."""
        rng = self.rng
        counter = Counter[str]()
        for front in self.frontages:
            line = front.line
            seg = np.diff(line, axis=0)
            seg_len = np.hypot(seg[:, 0], seg[:, 1])
            cum = np.concatenate([[0.0], np.cumsum(seg_len)])
            total = float(cum[-1])
            s = 11.0 + float(rng.uniform(0.0, 6.0))
            while s < total - 11.0:
                k = min(int(np.searchsorted(cum, s, side="right")) - 1, len(seg) - 1)
                t = (s - cum[k]) / seg_len[k]
                p = line[k] + seg[k] * t
                tangent = seg[k] / seg_len[k]
                normal = np.array([-tangent[1], tangent[0]])
                for side in front.sides:
                    if rng.random() > 0.9:
                        continue
                    setback = front.half_width + float(rng.uniform(3.0, 6.0))
                    for _ in range(2):
                        width = float(rng.uniform(10.0, 24.0))
                        depth = float(rng.uniform(10.0, 17.0))
                        turn = float(rng.uniform(-0.08, 0.08))
                        along = (
                            tangent[0] * math.cos(turn) - tangent[1] * math.sin(turn),
                            tangent[0] * math.sin(turn) + tangent[1] * math.cos(turn),
                        )
                        centre = p + normal * side * (setback + depth / 2.0)
                        c = (float(centre[0]), float(centre[1]))
                        rect = rectangle(c, along, width, depth)
                        if self.mask.is_free(rectangle(c, along, width + 4.0, depth + 4.0)):
                            self.mask.mark(rect)
                            tags = self.house_tags(rect, front.name, counter)
                            if tags is not None:
                                wid = self.osm.polygon(rect, tags)
                                self.buildings.append((wid, rect, tags))
                        if rng.random() > 0.45:
                            break
                        setback += depth + float(rng.uniform(6.0, 10.0))
                s += float(rng.uniform(20.0, 30.0))

    def house_tags(
        self, rect: np.ndarray, street: str | None, counter: Counter[str]
    ) -> dict[str, str] | None:
        """Choose a building's tags from where it stands.

        Parameters
        ----------
        rect : numpy.ndarray
            The building's corners.
        street : str or None
            Name of the street it faces (for the occasional address).
        counter : collections.Counter
            House numbers used so far per street.

        Returns
        -------
        dict of str to str or None
            The tags, or None to leave the lot empty.
        """
        rng = self.rng
        cx, cy = (float(c) for c in rect.mean(axis=0))
        where = self.community_of(cx, cy)
        if where is None:
            return None
        if where == "commercial":
            value = str(rng.choice(["commercial", "retail", "yes", "commercial"]))
            return {"building": value, "building:levels": str(int(rng.integers(2, 5)))}
        height = float(self.terrain.z(cx, cy)) - float(self.terrain.z(cx, river_y(cx)))
        roll = rng.random()
        if roll < 0.15:
            return {"building": "yes"}
        if roll < 0.18 and height < 20.0:
            value = str(rng.choice(["commercial", "retail"]))
            return {"building": value, "building:levels": "2"}
        if height < 15.0:
            value = str(
                rng.choice(["apartments"] * 11 + ["residential"] * 7 + ["dormitory", "house"])
            )
        elif height < 45.0:
            value = str(rng.choice(["residential"] * 5 + ["apartments"] * 2 + ["house"] * 3))
        else:
            value = str(rng.choice(["house"] * 7 + ["residential"] * 3))
        tags = {"building": value}
        if rng.random() < 0.65:
            levels = {"apartments": (4, 8), "residential": (2, 5), "dormitory": (3, 6)}
            lo, hi = levels.get(value, (1, 3))
            tags["building:levels"] = str(int(rng.integers(lo, hi)))
        if street is not None and rng.random() < 0.04:
            counter[street] += 1
            tags["addr:street"] = street
            tags["addr:housenumber"] = str(counter[street] * 2 - 1)
        return tags

    # ----------------------------------------------------------------- point facilities

    def poi(
        self,
        bank: str,
        u: float,
        v: float,
        tags: dict[str, str],
        categories: tuple[str, ...],
        community: str,
        in_building: bool = False,
    ) -> int:
        """Add a facility mapped as a node near (u, v), off the carriageway.

        Parameters
        ----------
        bank : {"N", "S"}
            Which bank's grid coordinates.
        u, v : float
            Wanted grid position.
        tags : dict of str to str
            The node's tags.
        categories : tuple of str
            Catalog categories it is meant to count for (README only).
        community : str
            Community letter (README only).
        in_building : bool
            Put the node inside the nearest residential building (a ground-floor shop).

        Returns
        -------
        int
            The node id.
        """
        x, y = (float(c) for c in bank_xy(bank, u, v))
        if in_building:
            best = None
            for _, rect, btags in self.buildings:
                if btags["building"] in ("apartments", "residential", "yes"):
                    c = rect.mean(axis=0)
                    d = math.hypot(float(c[0]) - x, float(c[1]) - y)
                    if best is None or d < best[0]:
                        best = (d, float(c[0]), float(c[1]))
            if best is not None and best[0] < 80.0:
                x, y = best[1], best[2]
        else:
            x, y = self._off_road(x, y)
        nid = self.osm.node(x, y, tags)
        self.facilities.append(Facility(tags.get("name", ""), categories, "node", community, tags))
        return nid

    def _off_road(self, x: float, y: float) -> Point:
        """Return the nearest point to (x, y) that is off every street.

        Parameters
        ----------
        x, y : float
            Wanted position, local metres.

        Returns
        -------
        tuple of float
            A position outside the street mask.
        """
        assert self.road_mask is not None
        fallback: Point | None = None
        for r in np.arange(0.0, 60.0, 2.0):
            for a in np.linspace(0.0, 2.0 * np.pi, 16, endpoint=False):
                px, py = x + r * math.cos(a), y + r * math.sin(a)
                ix = int((px + HALF_W) // CELL)
                iy = int((py + HALF_H) // CELL)
                if not (0 <= ix < self.mask.nx and 0 <= iy < self.mask.ny):
                    continue
                if self.road_mask[iy, ix]:
                    continue
                if not self.mask.grid[iy, ix]:
                    return px, py
                if fallback is None:
                    fallback = (px, py)
        if fallback is None:
            msg = f"no room off the streets near ({x:.0f}, {y:.0f})"
            raise RuntimeError(msg)
        return fallback

    def build_pois(self) -> None:
        """Add the facilities mapped as nodes, community by community."""
        a = self.poi

        def n(zh: str, en: str, tags: dict[str, str]) -> dict[str, str]:
            return named(demo_name(zh, en), tags)

        # Community A (north-west): well served on its own bank.
        a("N", -950.0, 45.0, n("幼儿园1", "Kindergarten 1", {"amenity": "kindergarten"}),
          ("kindergarten",), "A")  # fmt: skip
        a("N", -760.0, 150.0,
          n("社区卫生服务站1", "Community Health Station 1",
            {"amenity": "clinic", "healthcare": "clinic"}), ("clinic",), "A")  # fmt: skip
        a("N", -1040.0, 140.0, n("药店1", "Pharmacy 1",
          {"amenity": "pharmacy", "healthcare": "pharmacy"}), ("pharmacy",), "A", True)  # fmt: skip
        a("N", -900.0, 150.0, n("便利店1", "Convenience Shop 1", {"shop": "convenience"}),
          ("supermarket",), "A", True)  # fmt: skip
        a("N", -640.0, 350.0, n("便利店2", "Convenience Shop 2", {"shop": "convenience"}),
          ("supermarket",), "A", True)  # fmt: skip
        a("N", -820.0, 350.0, n("社区A服务站", "Community A Service Station",
          {"amenity": "community_centre"}), ("community_service", "culture"), "A")  # fmt: skip
        a("N", -1000.0, 330.0, n("健身点1", "Fitness Station 1", {"leisure": "fitness_station"}),
          ("fitness",), "A")  # fmt: skip
        a("N", -1080.0, 40.0, n("公厕1", "Toilets 1", {"amenity": "toilets"}), ("toilets",), "A")
        # Community B (north, west of the centre).
        a("N", -300.0, 450.0, n("诊所2", "Clinic 2", {"healthcare": "clinic"}), ("clinic",), "B")
        a("N", -420.0, 200.0, n("日间照料中心", "Elderly Day Care Centre",
          {"amenity": "social_facility", "social_facility": "day_care",
           "social_facility:for": "senior"}), ("elderly_care",), "B")  # fmt: skip
        a("N", -250.0, 150.0, n("图书馆", "Library", {"amenity": "library"}), ("culture",), "B")
        a("N", -520.0, 450.0, n("托育中心", "Childcare Centre", {"amenity": "childcare"}),
          ("nursery",), "B")  # fmt: skip
        a("N", -150.0, 420.0, n("社区B服务站", "Community B Service Station",
          {"amenity": "community_centre"}), ("community_service", "culture"), "B")  # fmt: skip
        a("N", -350.0, 550.0, n("便利店3", "Convenience Shop 3", {"shop": "convenience"}),
          ("supermarket",), "B", True)  # fmt: skip
        a("N", -480.0, 300.0, n("药店2", "Pharmacy 2", {"amenity": "pharmacy"}),
          ("pharmacy",), "B", True)  # fmt: skip
        a("N", -420.0, 560.0, n("邮筒1", "Post Box 1", {"amenity": "post_box"}), (), "B")
        a("N", -280.0, 600.0, n("儿童乐园2", "Playground 2", {"leisure": "playground"}),
          ("park",), "B")  # fmt: skip
        # Town centre (commercial strip).
        a("N", -160.0, 20.0, n("结古街道办事处", "Jiegu Subdistrict Office",
          {"amenity": "townhall", "townhall:type": "subdistrict"}),
          ("community_service",), "B")  # fmt: skip
        a("N", 0.0, 85.0, n("政务服务中心", "Government Service Centre",
          {"office": "government"}), ("community_service",), "C")  # fmt: skip
        a("N", -280.0, 90.0, n("银行1", "Bank 1", {"amenity": "bank"}), ("bank",), "B")
        a("N", 140.0, 20.0, n("银行2", "Bank 2", {"amenity": "bank"}), ("bank",), "C")
        a("N", 200.0, 85.0, n("ATM1", "ATM 1", {"amenity": "atm"}), (), "C")
        a("N", -20.0, 20.0, n("邮政局", "Post Office", {"amenity": "post_office"}),
          ("post_office",), "B")  # fmt: skip
        a("N", 260.0, 40.0, n("百货大楼", "Department Store", {"shop": "department_store"}),
          ("mall",), "C")  # fmt: skip
        a("N", 100.0, 90.0, n("药店3", "Pharmacy 3", {"amenity": "pharmacy"}), ("pharmacy",), "C")
        a("N", -120.0, 90.0, n("公厕2", "Toilets 2", {"amenity": "toilets"}), ("toilets",), "B")
        # Community C (north, east of the centre).
        a("N", 250.0, 330.0, n("社区卫生服务中心", "Community Health Centre",
          {"amenity": "clinic", "healthcare": "centre"}), ("clinic",), "C")  # fmt: skip
        a("N", 380.0, 450.0, n("健身房", "Gym", {"leisure": "fitness_centre"}),
          ("fitness",), "C", True)  # fmt: skip
        a("N", 560.0, 250.0, n("第二小学", "No. 2 Primary School", {"amenity": "school"}),
          ("primary_school",), "C")  # fmt: skip
        a("N", 300.0, 550.0, n("社区C服务站", "Community C Service Station",
          {"amenity": "community_centre"}), ("community_service", "culture"), "C")  # fmt: skip
        a("N", 130.0, 250.0, n("文化活动中心", "Cultural Centre", {"amenity": "arts_centre"}),
          ("culture",), "C")  # fmt: skip
        a("N", 450.0, 620.0, n("便利店4", "Convenience Shop 4", {"shop": "convenience"}),
          ("supermarket",), "C", True)  # fmt: skip
        a("N", 600.0, 450.0, n("公厕3", "Toilets 3", {"amenity": "toilets"}), ("toilets",), "C")
        a("N", 150.0, 600.0, n("儿童乐园3", "Playground 3", {"leisure": "playground"}),
          ("park",), "C")  # fmt: skip
        # Community D (north-east).
        a("N", 950.0, 350.0, n("育才学校", "Yucai School",
          {"amenity": "school", "school": "primary"}), ("primary_school",), "D")  # fmt: skip
        a("N", 1050.0, 150.0, n("幼儿园3", "Kindergarten 3", {"amenity": "kindergarten"}),
          ("kindergarten",), "D")  # fmt: skip
        a("N", 760.0, 120.0, n("诊所3", "Clinic 3", {"amenity": "doctors"}), ("clinic",), "D")
        a("N", 880.0, 60.0, n("药店4", "Pharmacy 4", {"shop": "chemist"}),
          ("pharmacy",), "D", True)  # fmt: skip
        a("N", 1000.0, 450.0, n("便利店5", "Convenience Shop 5", {"shop": "convenience"}),
          ("supermarket",), "D", True)  # fmt: skip
        a("N", 700.0, 60.0, n("蔬菜店", "Greengrocer", {"shop": "greengrocer"}),
          ("market",), "D", True)  # fmt: skip
        a("N", 1120.0, 60.0, n("肉店", "Butcher", {"shop": "butcher"}), ("market",), "D", True)
        a("N", 700.0, 430.0, n("儿童乐园4", "Playground 4", {"leisure": "playground"}),
          ("park",), "D")  # fmt: skip
        a("N", 1100.0, 300.0, n("健身点2", "Fitness Station 2", {"leisure": "fitness_station"}),
          ("fitness",), "D")  # fmt: skip
        a("N", 880.0, 420.0, n("社区D服务站", "Community D Service Station",
          {"amenity": "community_centre"}), ("community_service", "culture"), "D")  # fmt: skip
        a("N", 780.0, 500.0, n("敬老院", "Old People's Home", {"amenity": "nursing_home"}),
          ("elderly_care",), "D")  # fmt: skip
        a("N", 1000.0, 220.0, n("银行3", "Bank 3", {"amenity": "bank"}), ("bank",), "D")
        # Community E (south bank, east): reached over two bridges.
        a("S", 200.0, 140.0, n("学校", "School", {"amenity": "school"}),
          ("primary_school",), "E")  # fmt: skip
        a("S", 480.0, 60.0, n("幼儿园4", "Kindergarten 4", {"amenity": "kindergarten"}),
          ("kindergarten",), "E")  # fmt: skip
        a("S", 420.0, 150.0, n("社区卫生服务站5", "Community Health Station 5",
          {"amenity": "clinic"}), ("clinic",), "E")  # fmt: skip
        a("S", 300.0, 60.0, n("便利店6", "Convenience Shop 6", {"shop": "convenience"}),
          ("supermarket",), "E", True)  # fmt: skip
        a("S", 700.0, 300.0, n("社区E服务站", "Community E Service Station",
          {"amenity": "community_centre"}), ("community_service", "culture"), "E")  # fmt: skip
        a("S", 800.0, 150.0, n("药店5", "Pharmacy 5", {"amenity": "pharmacy"}),
          ("pharmacy",), "E", True)  # fmt: skip
        a("S", 600.0, 330.0, n("儿童乐园5", "Playground 5", {"leisure": "playground"}),
          ("park",), "E")  # fmt: skip
        a("S", 250.0, 330.0, n("邮筒2", "Post Box 2", {"amenity": "post_box"}), (), "E")
        # Community F (south bank, west): deliberately under-served.
        a("S", -900.0, 150.0, n("便利店7", "Convenience Shop 7", {"shop": "convenience"}),
          ("supermarket",), "F", True)  # fmt: skip
        a("S", -860.0, 60.0, n("ATM2", "ATM 2", {"amenity": "atm"}), (), "F")
        a("S", -980.0, 240.0, n("邮筒3", "Post Box 3", {"amenity": "post_box"}), (), "F")
        a("S", -780.0, 250.0, n("社区F服务站", "Community F Service Station",
          {"amenity": "community_centre"}), ("community_service", "culture"), "F")  # fmt: skip
        a("S", -1050.0, 60.0, n("公厕4", "Toilets 4", {"amenity": "toilets"}), ("toilets",), "F")
        a("S", -850.0, 330.0, n("健身点3", "Fitness Station 3", {"leisure": "fitness_station"}),
          ("fitness",), "F")  # fmt: skip

    def build_bus(self) -> None:
        """Add bus stops beside the main roads and one bus route relation."""
        stops: list[int] = []
        north = (-1050.0, -700.0, -380.0, -60.0, 260.0, 600.0, 950.0)
        for k, x in enumerate(north, start=1):
            side = 12.0 if k % 2 else -12.0
            tags = named(
                demo_name(f"{k}号站", f"Stop {k}"),
                {"highway": "bus_stop", "public_transport": "platform", "bus": "yes"},
            )
            y = float(road_y("N", x)) + side
            stops.append(self.osm.node(x, y, tags))
            letter = next(c[0] for c in COMMUNITIES if c[1] == "N" and c[2] <= x < c[3])
            self.facilities.append(Facility(tags["name"], ("bus_stop",), "node", letter, tags))
        south = (120.0, 550.0, 900.0)
        for k, x in enumerate(south, start=len(north) + 1):
            tags = named(
                demo_name(f"{k}号站", f"Stop {k}"),
                {"highway": "bus_stop", "public_transport": "platform", "bus": "yes"},
            )
            y = float(road_y("S", x)) - 12.0
            self.osm.node(x, y, tags)
            self.facilities.append(Facility(tags["name"], ("bus_stop",), "node", "E", tags))
        tags = named(demo_name("东站", "East Stop"), {"public_transport": "platform", "bus": "yes"})
        stops.append(self.osm.node(1150.0, float(road_y("N", 1150.0)) + 12.0, tags))
        self.facilities.append(Facility(tags["name"], ("bus_stop",), "node", "D", tags))
        members = [("node", s, "platform") for s in stops]
        members += [("way", w, "") for w in self.main_ways["N"]]
        self.osm.relation(
            members,
            named(
                demo_name("1路", "Bus Line 1"),
                {"type": "route", "route": "bus", "ref": "1", "public_transport:version": "2"},
            ),
        )

    # ----------------------------------------------------------------- all

    def build(self) -> None:
        """Build the whole town."""
        self.build_river()
        self.build_grids()
        self.build_main_roads()
        self.build_bridges()
        self.build_bypass()
        self.build_grid_streets()
        self.build_promenade()
        self.build_landuse()
        self.build_facility_areas()
        self.build_paths()
        self.road_mask = self.mask.grid.copy()
        self.build_houses()
        self.build_pois()
        self.build_bus()
        self.write_landuse()


# --------------------------------------------------------------------------- outputs


def write_dem(path: Path, terrain: Terrain) -> dict[str, float]:
    """Write the synthetic DEM as a float32 GeoTIFF in EPSG:4326.

    Parameters
    ----------
    path : pathlib.Path
        Output file.
    terrain : Terrain
        The elevation model.

    Returns
    -------
    dict of str to float
        Facts for the README (size, pixel, min and max elevation).
    """
    import rasterio
    from rasterio.transform import from_origin

    width = round(2.0 * (HALF_W + DEM_MARGIN_M) / DEM_PIXEL_M)
    height = round(2.0 * (HALF_H + DEM_MARGIN_M) / DEM_PIXEL_M)
    dlon = DEM_PIXEL_M / M_PER_DEG_LON
    dlat = DEM_PIXEL_M / M_PER_DEG_LAT
    west, north = to_lonlat(-(HALF_W + DEM_MARGIN_M), HALF_H + DEM_MARGIN_M)
    lon = west + (np.arange(width) + 0.5) * dlon
    lat = north - (np.arange(height) + 0.5) * dlat
    gx, gy = np.meshgrid((lon - LON0) * M_PER_DEG_LON, (lat - LAT0) * M_PER_DEG_LAT)
    z = np.round(terrain.z(gx, gy), 2).astype(np.float32)
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": from_origin(west, north, dlon, dlat),
        "compress": "deflate",
        "predictor": 3,
        "zlevel": 9,
    }
    path.unlink(missing_ok=True)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(z, 1)
        dst.update_tags(
            TIFFTAG_IMAGEDESCRIPTION="SYNTHETIC demo DEM, not survey data (yushu_circle)",
            source="synthetic demo data, data/make_demo.py",
            note=NOTE,
        )
        dst.set_band_description(1, "elevation_m (synthetic)")
        dst.units = ("metre",)
    return {
        "width": width,
        "height": height,
        "zmin": float(z.min()),
        "zmax": float(z.max()),
        "river": float(terrain.z(0.0, float(river_y(0.0)))),
    }


def catalog_keys() -> list[str]:
    """Return the category keys of ``catalog.toml`` next to this script (empty if absent).

    Returns
    -------
    list of str
        Category keys in catalog order.
    """
    path = Path(__file__).resolve().parent / "catalog.toml"
    if not path.exists():
        return []
    with path.open("rb") as f:
        return [c["key"] for c in tomllib.load(f).get("category", [])]


@dataclass
class Stats:
    """What the town holds, for the README and the command's output."""

    nodes: int
    ways: int
    relations: int
    street_nodes: int
    highways: dict[str, int]
    buildings: dict[str, int]
    addresses: int
    categories: dict[str, int]
    by_community: dict[str, Counter[str]]
    facilities: int
    walk_bridges: int


def town_stats(town: Town) -> Stats:
    """Count what the town holds.

    Parameters
    ----------
    town : Town
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


def readme_text(seed: int, stats: Stats, dem: dict[str, float]) -> str:
    """Return the demo folder's README.

    Parameters
    ----------
    seed : int
        Seed used.
    stats : Stats
        From :func:`town_stats`.
    dem : dict
        From :func:`write_dem`.

    Returns
    -------
    str
        Markdown text.
    """
    keys = catalog_keys()
    order = keys + sorted(k for k in stats.categories if k not in keys)
    letters = [c[0] for c in COMMUNITIES]
    head = "| category | all | " + " | ".join(letters) + " |"
    rule = "| --- | ---: |" + " ---: |" * len(letters)
    rows = []
    for key in order:
        label = f"`{key}`" if key in keys or not keys else f"`{key}` (not in catalog.toml)"
        counts = " | ".join(str(stats.by_community[c][key] or "–") for c in letters)
        rows.append(f"| {label} | {stats.categories.get(key, 0)} | {counts} |")
    table = "\n".join([head, rule, *rows])
    residential = sum(
        n
        for k, n in stats.buildings.items()
        if k in ("apartments", "residential", "house", "dormitory")
    )
    highways = ", ".join(f"{k} {n}" for k, n in stats.highways.items())
    buildings = ", ".join(f"`{k}` {n}" for k, n in stats.buildings.items())
    osm_row = (
        f"| `{OSM_NAME}` | OSM XML 0.6, bz2: {stats.nodes:,} nodes, {stats.ways:,} ways, "
        f"{stats.relations} relations |"
    )
    dem_row = (
        f"| `{DEM_NAME}` | DEM GeoTIFF, float32, EPSG:4326, {dem['width']:.0f} × "
        f"{dem['height']:.0f} pixels of {DEM_PIXEL_M:.0f} m, "
        f"{dem['zmin']:.0f}–{dem['zmax']:.0f} m |"
    )
    return f"""# Embedded demo: a synthetic town at Jiegu (示例数据)

**Everything in this folder is synthetic demo data (示例数据): not OpenStreetMap data, not
survey data.** It is a made-up valley town placed at Jiegu subdistrict (结古街道), Yushu city
(玉树市), Qinghai, around 33.005° N, 97.010° E, so that `yushu_circle` can run its whole flow
offline. Every name says so (`示例… Demo … (synthetic)`), every named feature carries
`note={NOTE}`, the OSM file opens with an XML comment saying the same, and the DEM's
metadata says so too. Do not use it to describe the real Yushu.

## How it was made

```
python data/make_demo.py            # seed {seed}; writes the three files below
python data/make_demo.py --seed 7   # another town from the same recipe
```

The script needs only numpy and rasterio and runs in a few seconds. It is deterministic: the
same seed gives byte-identical files (no timestamps; bz2 level 9). Shapes are built in a
local metric frame (x east, y north, metres, origin at 33.005° N, 97.010° E) and converted
with an equirectangular projection, `lat = 33.005 + y / {M_PER_DEG_LAT:.4f}` and
`lon = 97.010 + x / {M_PER_DEG_LON:.4f}`, written with 7 decimals.

## Files

| file | content |
| --- | --- |
{osm_row}
{dem_row}
| `README.md` | this file, written by the script |

## What the town holds

- **Valley and river.** A river (示例河 Demo River: a `waterway=river` line, a
  `natural=water` + `water=river` area and a `type=waterway` relation) runs west to east.
  The DEM puts the river at about {dem["river"]:.0f} m, falling 8 m downstream; within the
  town the valley sides rise 60–150 m, steepest at the top of the north side, so the housing
  on the slopes is uphill of the river (the DEM keeps rising beyond the town).
- **Crossings.** People can cross the river on only **{stats.walk_bridges} bridges** (two
  road bridges and a footbridge; `bridge=yes`, `layer=1`, split at the abutments), so
  straight-line and walking distances across the river differ a lot. A `highway=trunk`
  bypass (`foot=no`, `motorroad=yes`) runs along the south slope and crosses on its own
  viaduct: it is **not walkable** and must not serve as a crossing.
- **Streets** ({stats.street_nodes:,} street nodes; every junction is a shared node).
  Ways by `highway`: {highways}.
  A primary avenue follows the north bank and a secondary road the south bank;
  residential streets climb the valley sides in irregular, curved blocks with dead ends;
  three `highway=steps` flights (with footway approaches) and two footways climb the steepest
  slopes; there are diagonal footpaths, a riverside walk, alleys and cul-de-sacs, one
  `oneway=yes` street (still walkable both ways) and one `access=private` driveway.
- **Communities (社区).** Six, A–F, each a `landuse=residential` area and a separate
  `boundary=administrative` + `admin_level=10` closed way (the north-bank boundaries share
  their border nodes). A–D are on the north bank, E and F on the south bank. The town centre
  between the avenue and North Road 1 is `landuse=commercial`.
- **Under-served community {UNDER_SERVED}** (south bank, west): it has only a convenience
  shop, an ATM (not a bank), a post box, toilets, a fitness station and a community service
  station, and no clinic, kindergarten, school, pharmacy, bank, market or bus stop. Community
  A's kindergarten is a few hundred metres away across the river, but the nearest bridge is
  0.6–1.1 km east, so the walk there is about four times the straight line.
- **Buildings** ({sum(stats.buildings.values()):,} closed ways).
  By `building`: {buildings}.
  {residential:,} carry a housing value; `building=yes` stands both inside residential areas
  (about 15% of the houses there) and in the town centre, where it is not housing;
  `commercial`, `retail`, `school`, `hospital`, `kindergarten` and `public` buildings are not
  housing. Most have `building:levels`; {stats.addresses} have `addr:street` and
  `addr:housenumber`. No population is given: the tool estimates it.
- **Facilities** ({stats.facilities} features: nodes, closed ways and two multipolygon
  relations, a campus split by a street and a park with a pond as inner ring) cover every
  category of `data/catalog.toml`, with the tagging edge cases a matcher must handle: a
  school with `isced:level=1`; one with `school=primary`; one with `isced:level=2;3`;
  示例第一中学 with only `amenity=school` and a name; a bare `amenity=school` named 示例学校;
  a 九年一贯制 school; `amenity=childcare` (not a kindergarten); `healthcare=clinic` without
  `amenity`; `amenity=doctors`; `shop=chemist`; `amenity=atm` and `amenity=post_box`
  (neither a bank nor a post office); `amenity=nursing_home` beside
  `amenity=social_facility`; `place=square`; a `public_transport=platform` + `bus=yes` stop
  without `highway=bus_stop`; and shops mapped as nodes inside residential buildings.

Facilities per category and community, as the generator meant them (a feature may count for
two categories; the bare school counts as primary through the catalog's fallback):

{table}

## Reading it

```python
import osmnx as ox
ox.settings.useful_tags_way = [*ox.settings.useful_tags_way, "foot"]
G = ox.graph_from_xml("data/demo/{OSM_NAME}", simplify=False, retain_all=True)
```

`graph_from_xml` turns **every** way into edges (buildings, landuse, the river and the
boundaries too) and by default drops the `foot` tag, so keep `foot`, then keep only walkable
`highway` ways (drop `foot=no`, `access=private`, `highway=trunk*`/`motorway*`) before
simplifying. `ox.features_from_xml` reads the buildings, facilities, landuse and boundaries
as polygons. `ox.elevation.add_node_elevations_raster` reads the DEM directly on the
unprojected graph.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Write the demo files.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent / "demo",
        help="output folder (default: data/demo next to this script)",
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    town = Town(args.seed)
    town.build()
    xml = town.osm.to_xml(HEADER_COMMENT.format(seed=args.seed))
    (out / OSM_NAME).write_bytes(bz2.compress(xml, compresslevel=9))
    dem = write_dem(out / DEM_NAME, town.terrain)
    stats = town_stats(town)
    (out / README_NAME).write_text(readme_text(args.seed, stats, dem), encoding="utf-8")
    print(
        f"wrote {out / OSM_NAME}: {stats.nodes} nodes, {stats.ways} ways, "
        f"{stats.relations} relations, {stats.street_nodes} street nodes, "
        f"{sum(stats.buildings.values())} buildings, {stats.facilities} facilities"
    )
    print(f"wrote {out / DEM_NAME}: {dem['width']:.0f} x {dem['height']:.0f} px")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
