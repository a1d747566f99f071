"""Where the map opens: every place with residences in view, and how far apart residences are.

A county's study holds several settlements kilometres apart; the page fits them all into
the part of the screen its panels leave free and lists them to jump to. On a phone the page
zooms in until residences stand a finger apart (the spacing decides how far); the places
list then reaches the others.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

PLACE_GAP_M = 2_000.0
"""Residences in grid cells of this size that touch belong to one place; a place is
separated from the next by at least this much empty land."""
_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON = 111_320.0


def opening_view(
    residences: np.ndarray, population: np.ndarray, facilities: np.ndarray
) -> dict[str, Any] | None:
    """The opening view's data for the page.

    Parameters
    ----------
    residences : ndarray, shape (n, 2)
        The drawn residences' lon, lat (finite).
    population : ndarray, shape (n,)
        Their people.
    facilities : ndarray, shape (m, 2)
        The facilities' lon, lat (finite).

    Returns
    -------
    dict or None
        ``bounds`` ``[[south, west], [north, east]]`` of every residence; ``places``, largest
        first, each ``{bounds, center: [lat, lon], residences, population}`` (the centre is
        the residence nearest its residences' median point); ``spacingM``, the median
        distance from a residence to the nearest other residence or facility. None without
        residences.
    """
    if not len(residences):
        return None
    lat0 = float(np.median(residences[:, 1]))
    metres = _metres(residences, lat0)
    cell = np.floor(metres / PLACE_GAP_M).astype(np.int64)
    cells, owner = np.unique(cell, axis=0, return_inverse=True)
    owner = owner.ravel()
    labels = _touching(cells)[owner]
    places: list[dict[str, Any]] = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        points = residences[members]
        middle = np.median(metres[members], axis=0)
        nearest = members[int(np.argmin(np.hypot(*(metres[members] - middle).T)))]
        places.append(
            {
                "bounds": _bounds(points),
                "center": [float(residences[nearest, 1]), float(residences[nearest, 0])],
                "residences": len(members),
                "population": round(float(np.nansum(population[members])), 1),
            }
        )
    places.sort(key=lambda p: (-int(p["residences"]), p["center"]))
    spacing = _spacing(metres, facilities, lat0)
    return {"bounds": _bounds(residences), "places": places, "spacingM": spacing}


def _metres(lonlat: np.ndarray, lat0: float) -> np.ndarray:
    """Local east/north metres (equirectangular at ``lat0``: fine for gaps and spacing)."""
    scale = np.array([_M_PER_DEG_LON * np.cos(np.radians(lat0)), _M_PER_DEG_LAT])
    return np.asarray(lonlat, dtype=float) * scale


def _touching(cells: np.ndarray) -> np.ndarray:
    """Label the grid cells so that cells touching (8 neighbours) share a label."""
    index = {tuple(c): i for i, c in enumerate(cells.tolist())}
    rows, cols = [], []
    for i, (x, y) in enumerate(cells.tolist()):
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                j = index.get((x + dx, y + dy))
                if j is not None:
                    rows.append(i)
                    cols.append(j)
    graph = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(cells), len(cells)))
    return np.asarray(connected_components(graph, directed=False)[1])


def _spacing(metres: np.ndarray, facilities: np.ndarray, lat0: float) -> float | None:
    others = np.vstack([metres, _metres(facilities, lat0)]) if len(facilities) else metres
    if len(others) < 2:
        return None
    distance, _ = cKDTree(others).query(metres, k=2)
    return round(float(np.median(distance[:, 1])), 1)


def _bounds(lonlat: np.ndarray) -> list[list[float]]:
    west, south = np.min(lonlat, axis=0)
    east, north = np.max(lonlat, axis=0)
    return [[float(south), float(west)], [float(north), float(east)]]
