"""The in-page engine's payload: the walk network, snaps and catalog packed as JSON (render/js/).

The page recomputes walk minutes, routes, reach and what-if scenarios in JavaScript; this
module hands it the same network and the same snapping the Python side used, so nothing
already placed is snapped again.

Encoding (format ``yushu-network/1``): a JSON object whose numeric arrays are
little-endian typed arrays in base64 (``{"dtype": "int32", "b64": ...}``).

Precision kept, and why it meets the 0.01-minute agreement:

* edge minutes (``time_uv``/``time_vu``), along-edge fractions and access minutes are
  **float32**: relative error ≤ 2⁻²⁴ ≈ 6·10⁻⁸ per value, so a 60-minute walk over any
  number of edges errs by < 10⁻⁵ min (the page adds them in float64);
* coordinates are **int32 at 10⁻⁷ degree** (≤ 0.6 cm): they only draw lines and snap
  clicked points ("add facility"), where 1 cm is 0.00015 min at 4 km/h;
* node and edge indices are int32 (networks up to 2³¹ edges).

The adjacency (CSR) is not shipped: the page builds it from ``edge_u``/``edge_v`` with a
counting sort at load (a few milliseconds for 100,000 edges), which saves 12 bytes (16 in
base64) per edge and cannot disagree with the edge list.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from yushu_circle.catalog import LEVELS, Catalog
from yushu_circle.errors import InputError
from yushu_circle.network import Snap, WalkNetwork
from yushu_circle.options import DEFAULT_ISO_BUFFER_M

FORMAT = "yushu-network/1"
COORD_SCALE = 10_000_000
"""Quantisation of lon/lat: integer units of 10⁻⁷ degree (≤ 0.6 cm)."""


def _typed(values: np.ndarray, dtype: str) -> dict[str, Any]:
    array = np.ascontiguousarray(values, dtype=np.dtype(dtype).newbyteorder("<"))
    return {
        "dtype": dtype,
        "count": int(array.size),
        "b64": base64.b64encode(array.tobytes()).decode(),
    }


def decode_typed(entry: Mapping[str, Any]) -> np.ndarray:
    """The array of one ``{"dtype", "count", "b64"}`` entry (for tests and tools)."""
    dtype = np.dtype(str(entry["dtype"])).newbyteorder("<")
    return np.frombuffer(base64.b64decode(entry["b64"]), dtype=dtype)


def _quantised(degrees: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(degrees, dtype=float) * COORD_SCALE).astype(np.int32)


def _utm(crs: pyproj.CRS) -> dict[str, Any] | None:
    """Zone and hemisphere when the network's CRS is a WGS-84 UTM zone (the page projects
    clicked points itself); None otherwise (then the page cannot snap new points)."""
    epsg = crs.to_epsg()
    if epsg is None:
        return None
    if 32601 <= epsg <= 32660:
        return {"zone": epsg - 32600, "south": False}
    if 32701 <= epsg <= 32760:
        return {"zone": epsg - 32700, "south": True}
    return None


def _points(snap: Snap, lon: np.ndarray, lat: np.ndarray, mpm: float) -> dict[str, Any]:
    usable = snap.on_network & (snap.edge >= 0)
    return {
        "count": len(snap),
        "lon": _typed(_quantised(lon), "int32"),
        "lat": _typed(_quantised(lat), "int32"),
        # Off-network points (beyond the snap limit) get edge -1, as the kernels skip them.
        "edge": _typed(np.where(usable, snap.edge, -1), "int32"),
        "frac": _typed(snap.frac, "float32"),
        "access": _typed(np.where(usable, snap.snap_m / mpm, 0.0), "float32"),
    }


def network_payload(
    network: WalkNetwork,
    residences: gpd.GeoDataFrame,
    residence_snap: Snap,
    facilities: gpd.GeoDataFrame,
    facility_snaps: Mapping[str, Snap],
    catalog: Catalog,
    snap_limit_m: float,
    buffer_m: float = DEFAULT_ISO_BUFFER_M,
    synthetic: bool = False,
    thresholds: Sequence[float] = LEVELS,
    coverage: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Everything the page's engine needs, as a JSON-ready dict (deterministic).

    Parameters
    ----------
    network : WalkNetwork
        The study's network (its edge times are the walker profile's).
    residences : GeoDataFrame
        ``residence_id``, ``population``, point geometry (EPSG:4326), in snap order.
    residence_snap : Snap
        The residences' snapping (``Study.residence_snap``).
    facilities : GeoDataFrame
        ``facility_id``, ``category``, ``name``, point geometry (EPSG:4326).
    facility_snaps : mapping of str to Snap
        Per category, the snaps of ``facilities[facilities.category == key]`` in order.
    catalog : Catalog
        The categories (order kept).
    snap_limit_m : float
        Points farther from every street are off the network (for "add facility").
    buffer_m : float
        Half-width of the reach drawing around reached streets, metres.
    synthetic : bool
        The data is the synthetic demo (示例): the page must say so.
    thresholds : sequence of float
        Minutes of the reach and the coverage table (default 5, 10, 15).
    coverage : DataFrame, optional
        The study's coverage table (``Study.summary()``): the page shows its rows for the
        categories a what-if has not touched, so the first what-if searches one category,
        not all of them.

    Returns
    -------
    dict
    """
    to_lonlat = pyproj.Transformer.from_crs(network.crs, "EPSG:4326", always_xy=True)
    node_lon, node_lat = to_lonlat.transform(network.node_xy[:, 0], network.node_xy[:, 1])
    # Only the interior vertices travel: an edge's geometry starts and ends at its nodes.
    counts = shapely.get_num_coordinates(network.edge_geometry)
    coords = shapely.get_coordinates(network.edge_geometry)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    interior = np.ones(len(coords), dtype=bool)
    interior[starts] = False
    interior[starts + counts - 1] = False
    geom_lon, geom_lat = to_lonlat.transform(coords[interior, 0], coords[interior, 1])
    geom_ptr = np.concatenate([[0], np.cumsum(counts - 2)])

    mpm = network.metres_per_minute
    category_keys = [c.key for c in catalog]
    fac_rows: list[pd.DataFrame] = []
    fac_snaps: list[Snap] = []
    for key in category_keys:
        subset = facilities[facilities["category"].astype(str) == key]
        snap = facility_snaps.get(key)
        if snap is None or len(snap) != len(subset):
            raise InputError(
                f"facility snaps of category {key!r} do not match its {len(subset)} facilities",
                "pass Study.facilities and Study.facility_snaps of the same study",
            )
        fac_rows.append(subset)
        fac_snaps.append(snap)
    fac = pd.concat(fac_rows) if fac_rows else facilities.iloc[:0]
    fac_snap = _joined(fac_snaps)
    fac_category = np.repeat(np.arange(len(category_keys)), [len(s) for s in fac_snaps])
    res_geom = residences.geometry
    fac_geom = gpd.GeoSeries(fac.geometry)
    return {
        "format": FORMAT,
        "synthetic": bool(synthetic),
        "profile": network.profile_name,
        "speed_kmh": float(network.speed_kmh),
        "metres_per_minute": float(mpm),
        "snap_limit_m": float(snap_limit_m),
        "buffer_m": float(buffer_m),
        "thresholds": [float(t) for t in thresholds],
        "coord_scale": COORD_SCALE,
        "utm": _utm(network.crs),
        "coverage": _coverage_rows(coverage),
        "categories": [
            {"key": c.key, "name_zh": c.name_zh, "name_en": c.name_en, "level": float(c.level)}
            for c in catalog
        ],
        "nodes": {
            "count": network.node_count,
            "lon": _typed(_quantised(node_lon), "int32"),
            "lat": _typed(_quantised(node_lat), "int32"),
        },
        "edges": {
            "count": network.edge_count,
            "u": _typed(network.edge_u, "int32"),
            "v": _typed(network.edge_v, "int32"),
            "time_uv": _typed(network.time_uv, "float32"),
            "time_vu": _typed(network.time_vu, "float32"),
            "geom_ptr": _typed(geom_ptr, "int32"),
            "geom_lon": _typed(_quantised(geom_lon), "int32"),
            "geom_lat": _typed(_quantised(geom_lat), "int32"),
        },
        "residences": {
            "id": [str(i) for i in residences["residence_id"].tolist()],
            "population": _typed(residences["population"].to_numpy(dtype=float), "float32"),
            **_points(residence_snap, res_geom.x.to_numpy(), res_geom.y.to_numpy(), mpm),
        },
        "facilities": {
            "id": [str(i) for i in fac["facility_id"].tolist()],
            "name": [str(n) for n in fac["name"].tolist()] if "name" in fac else [""] * len(fac),
            "category": _typed(fac_category, "int32"),
            **_points(fac_snap, fac_geom.x.to_numpy(), fac_geom.y.to_numpy(), mpm),
        },
    }


def _coverage_rows(coverage: pd.DataFrame | None) -> dict[str, Any] | None:
    if coverage is None:
        return None
    rows: dict[str, Any] = {}
    for key, row in coverage.iterrows():
        values: dict[str, Any] = {}
        for column, value in row.items():
            if isinstance(value, float | np.floating):
                values[str(column)] = float(value) if np.isfinite(value) else None
            elif isinstance(value, int | np.integer):
                values[str(column)] = int(value)
            else:
                values[str(column)] = str(value)
        rows[str(key)] = values
    return rows


def _joined(snaps: Sequence[Snap]) -> Snap:
    if not snaps:
        empty = np.empty(0)
        return Snap(empty.astype(np.int64), empty, empty, empty.astype(bool), empty, empty)
    return Snap(*(np.concatenate([getattr(s, f) for s in snaps]) for f in _SNAP_FIELDS))


_SNAP_FIELDS = ("edge", "frac", "snap_m", "on_network", "x", "y")


def payload_json(payload: Mapping[str, Any]) -> str:
    """The payload as compact JSON, byte-identical for the same study."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
