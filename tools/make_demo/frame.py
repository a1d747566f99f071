"""The synthetic town's constants, names and local metric frame: valley, banks, shapes."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from pathlib import Path

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

DATA = Path(__file__).resolve().parents[2] / "data"
"""The repository's ``data`` folder: the catalog is read from it, the demo written into it."""
OSM_NAME = "jiegu_synthetic_demo.osm.bz2"
DEM_NAME = "jiegu_synthetic_dem.tif"
README_NAME = "README.md"
DEM_PIXEL_M = 10.0
DEM_MARGIN_M = 150.0

NOTE = "synthetic demo data 示例数据, not survey data"
HEADER_COMMENT = (
    "SYNTHETIC DEMO DATA 示例数据. A made-up town placed at Jiegu (结古街道), Yushu (玉树市), "
    "Qinghai, written by tools/make_demo of yushu_circle (seed {seed}). It is not "
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
