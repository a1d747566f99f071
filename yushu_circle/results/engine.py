"""The in-page engine's payload: the walk network, snaps and catalog packed for render/js/.

The page recomputes walk minutes, routes, reach and what-if scenarios in JavaScript; this
module hands it the same network and the same snapping the Python side used, so nothing
already placed is snapped again.

Format ``yushu-network/2``: a JSON object holding the study's settings, the catalog, its
coverage table and the facilities' ids and names as JSON, and every numeric array (and the
residences' ids) in one packed entry (:mod:`yushu_circle.results.packing`: coded against
what the page already has, byte-shuffled, one zlib stream in base64) — about 15 bytes per
edge with its residences, where format 1 (each array in base64 of its own) took 67 and
stopped a page at ~150,000 edges. :func:`read_payload` gives back the arrays of either
format; :func:`upgraded` turns a format-1 file into format 2.

Precision kept (the same in both formats), and why it meets the 0.01-minute agreement:

* edge minutes (``time_uv``/``time_vu``), along-edge fractions and access minutes are
  **float32**: relative error ≤ 2⁻²⁴ ≈ 6·10⁻⁸ per value, so a 60-minute walk over any
  number of edges errs by < 10⁻⁵ min (the page adds them in float64);
* coordinates are **int32 at 10⁻⁷ degree** (≤ 0.6 cm): they only draw lines and snap
  clicked points ("add facility"), where 1 cm is 0.00015 min at 4 km/h;
* node and edge indices are int32 (networks up to 2³¹ edges).

The adjacency (CSR) is not shipped: the page builds it from ``edge_u``/``edge_v`` with a
counting sort at load, which cannot disagree with the edge list.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from yushu_circle.catalog import LEVELS, Catalog
from yushu_circle.errors import DataError, InputError
from yushu_circle.network import Snap, WalkNetwork
from yushu_circle.options import DEFAULT_ISO_BUFFER_M
from yushu_circle.results.packing import Packer, unpack

FORMAT = "yushu-network/2"
"""The payload's format: written by :func:`network_payload`, read by ``render/js/payload.mjs``."""
OLD_FORMAT = "yushu-network/1"
"""The first format (every array in base64 of its own): :func:`upgraded` rewrites it."""
COORD_SCALE = 10_000_000
"""Quantisation of lon/lat: integer units of 10⁻⁷ degree (≤ 0.6 cm)."""
_POINT_ARRAYS = (("edge", "int32"), ("frac", "float32"), ("access", "float32"))


def decode_typed(entry: Mapping[str, Any]) -> np.ndarray:
    """The array of one format-1 ``{"dtype", "count", "b64"}`` entry."""
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
        "lon": _quantised(lon),
        "lat": _quantised(lat),
        # Off-network points (beyond the snap limit) get edge -1, as the kernels skip them.
        "edge": np.where(usable, snap.edge, -1).astype(np.int32),
        "frac": np.asarray(snap.frac, dtype=np.float32),
        "access": np.where(usable, snap.snap_m / mpm, 0.0).astype(np.float32),
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
    """Everything the page's engine needs, packed as a JSON-ready dict (deterministic).

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
        The JSON-ready payload (format ``yushu-network/2``): :func:`payload_json` writes it,
        :func:`read_payload` gives its arrays back.
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
    arrays = {
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
            "lon": _quantised(node_lon),
            "lat": _quantised(node_lat),
        },
        "edges": {
            "count": network.edge_count,
            "u": network.edge_u,
            "v": network.edge_v,
            "time_uv": network.time_uv,
            "time_vu": network.time_vu,
            "geom_ptr": geom_ptr,
            "geom_lon": _quantised(geom_lon),
            "geom_lat": _quantised(geom_lat),
        },
        "residences": {
            "id": [str(i) for i in residences["residence_id"].tolist()],
            "population": residences["population"].to_numpy(dtype=float),
            **_points(residence_snap, res_geom.x.to_numpy(), res_geom.y.to_numpy(), mpm),
        },
        "facilities": {
            "id": [str(i) for i in fac["facility_id"].tolist()],
            "name": [str(n) for n in fac["name"].tolist()] if "name" in fac else [""] * len(fac),
            "category": fac_category,
            **_points(fac_snap, fac_geom.x.to_numpy(), fac_geom.y.to_numpy(), mpm),
        },
    }
    return pack_payload(arrays)


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


# --- packing: the arrays in format 2 and back ----------------------------------------------

# Each array's block: (group, name, dtype, code); a block may refer only to earlier ones.
_BLOCKS = (
    ("nodes", "lon", "int32", "delta"),
    ("nodes", "lat", "int32", "delta"),
    ("edges", "u", "int32", "delta"),
    ("edges", "v", "int32", "minus:edges.u"),
    ("edges", "time_uv", "float32", "plain"),
    ("edges", "time_vu", "float32", "xor:edges.time_uv"),
    ("edges", "geom_ptr", "int32", "delta"),
    ("edges", "geom_lon", "int32", "delta"),
    ("edges", "geom_lat", "int32", "delta"),
    *(
        block
        for group in ("residences", "facilities")
        for block in (
            (group, "edge", "int32", "plain"),
            (group, "frac", "float32", "plain"),
            (group, "access", "float32", "plain"),
            (group, "lon", "int32", "along"),
            (group, "lat", "int32", "along"),
        )
    ),
    ("residences", "population", "float32", "plain"),
    ("facilities", "category", "int32", "plain"),
)
_DIGITS = "0123456789"
_GROUPS = ("nodes", "edges", "residences", "facilities")


def pack_payload(arrays: Mapping[str, Any]) -> dict[str, Any]:
    """Format 2 of a payload's arrays (:func:`read_payload`'s dict): settings, catalog and
    the facilities' ids and names as JSON, every array and the residences' ids packed."""
    packer = Packer()
    for group, name, dtype, code in _BLOCKS:
        packer.add(f"{group}.{name}", arrays[group][name], dtype, code)
    residences = arrays["residences"]
    ids = _id_parts(residences["id"])
    if ids is None:
        text = json.dumps(list(residences["id"]), ensure_ascii=False, separators=(",", ":"))
        packer.add("residences.id_json", np.frombuffer(text.encode(), dtype=np.uint8), "uint8")
        prefixes = None
    else:
        prefixes, codes, numbers = ids
        packer.add("residences.id_prefix", codes, "int32", "delta")
        packer.add("residences.id_number", numbers, "float64", "delta")
    out = {key: value for key, value in arrays.items() if key not in _GROUPS}
    edges = arrays["edges"]
    facilities = arrays["facilities"]
    out.update(
        format=FORMAT,
        nodes={"count": int(arrays["nodes"]["count"])},
        edges={"count": int(edges["count"]), "interior": len(edges["geom_lon"])},
        residences={
            "count": int(residences["count"]),
            "id_prefixes": prefixes,
            "digest": residence_digest(residences["id"]),
        },
        facilities={
            "count": int(facilities["count"]),
            "id": list(facilities["id"]),
            "name": list(facilities["name"]),
        },
        packed=packer.packed(),
    )
    return out


def residence_digest(ids: Sequence[Any]) -> str:
    """SHA-256 of the residences' ids in order (as text, one a line): a page drawing the
    engine's residences checks with it that the map's own columns are in the same order."""
    return hashlib.sha256("\n".join(map(str, ids)).encode()).hexdigest()


def payload_digest(text: str) -> str | None:
    """The residence digest a format-2 payload's JSON text carries (None for format 1)."""
    found = re.search(r'(?<!\\)"digest":"([0-9a-f]{64})"', text)
    return found.group(1) if found else None


def _id_parts(ids: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray] | None:
    """Ids as prefix + number (``osm-node-1302644``): the distinct prefixes, each id's
    prefix and number; None when some id is not of that form (then they travel as text)."""
    prefixes = [i.rstrip(_DIGITS) for i in ids]
    digits = pd.Series([i[len(p) :] for i, p in zip(ids, prefixes, strict=True)], dtype=object)
    width = digits.str.len().to_numpy()
    # The number must print back as it was: no leading zero, at most 15 digits (< 2⁵³).
    if ((width < 1) | (width > 15)).any() or (digits.str[0].eq("0") & (width > 1)).any():
        return None
    codes, distinct = pd.factorize(pd.Series(prefixes, dtype=object), sort=False)
    numbers = digits.astype(np.int64).to_numpy().astype(np.float64)
    return [str(p) for p in distinct], codes.astype(np.int32), numbers


def read_payload(payload: str | Mapping[str, Any]) -> dict[str, Any]:
    """A payload's arrays (numpy) and settings, from its JSON text or dict, format 1 or 2.

    The dict has the layout of :func:`network_payload`'s input: ``nodes`` (``lon``,
    ``lat``), ``edges`` (``u``, ``v``, ``time_uv``, ``time_vu``, ``geom_ptr``, ``geom_lon``,
    ``geom_lat``), ``residences`` and ``facilities`` (``id``, ``lon``, ``lat``, ``edge``,
    ``frac``, ``access``; ``population``; ``name``, ``category``), and the settings.

    Raises
    ------
    DataError
        When the payload is of an unknown format or damaged.
    """
    doc = json.loads(payload) if isinstance(payload, str) else dict(payload)
    if doc.get("format") == OLD_FORMAT:
        return _read_old(doc)
    if doc.get("format") != FORMAT:
        raise DataError(
            f"engine payload of format {doc.get('format')!r}",
            f"rebuild it with this version ({FORMAT})",
        )
    arrays = unpack(doc["packed"])
    out: dict[str, Any] = {key: value for key, value in doc.items() if key != "packed"}
    for group in _GROUPS:
        out[group] = {**doc[group]}
    for name, values in arrays.items():
        group, field = name.split(".", 1)
        out[group][field] = values
    residences = out["residences"]
    residences.pop("digest", None)
    prefixes = residences.pop("id_prefixes", None)
    if "id_json" in residences:
        residences["id"] = json.loads(residences.pop("id_json").tobytes().decode())
    else:
        codes = residences.pop("id_prefix")
        numbers = residences.pop("id_number")
        pairs = zip(codes.tolist(), numbers.astype(np.int64).tolist(), strict=True)
        residences["id"] = [f"{prefixes[c]}{n}" for c, n in pairs]
    return out


def _read_old(doc: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    for group in _GROUPS:
        part = dict(doc[group])
        for key, value in part.items():
            if isinstance(value, Mapping) and "b64" in value:
                part[key] = decode_typed(value)
        out[group] = part
    return out


def payload_format(text: str) -> str | None:
    """The format a payload's JSON text says it is in (None if it names none)."""
    found = re.search(r'(?<!\\)"format":"(yushu-network/[0-9]+)"', text)
    return found.group(1) if found else None


def upgraded(text: str) -> str:
    """A payload's JSON text in the current format (a format-1 file rewritten; format 2 as is).

    Raises
    ------
    DataError
        When the text is of an unknown format or damaged.
    """
    if payload_format(text) == FORMAT:
        return text
    arrays = read_payload(text)
    arrays["format"] = FORMAT
    return payload_json(pack_payload(arrays))
