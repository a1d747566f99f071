"""The planner's map: a self-contained bilingual HTML coverage map and static PNG maps."""

from __future__ import annotations

import base64
import itertools
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from yushu_circle import access
from yushu_circle._resources import data_path
from yushu_circle.errors import DataError, InputError
from yushu_circle.options import DEFAULT_ISO_BUDGET_MB

MAX_MAP_RESIDENCES = 40_000
"""Residences drawn on the map at most; a larger study shows an even sample (the map says so)."""
MAX_MAP_EDGES = 40_000
"""Street edges drawn at most; a larger network keeps its main roads, then its longest streets."""
_MAJOR_ROADS = {"trunk", "primary", "secondary", "tertiary", "pedestrian", "living_street"}

ISOCHRONE_BUDGET_BYTES = round(DEFAULT_ISO_BUDGET_MB * 1_000_000)
"""Default cap on the embedded isochrone data; beyond it an even sample of residences is kept."""

SYNTHETIC_BANNER = "合成示例数据 Synthetic demo data — not survey data"

_DECIMALS = 6
_ISO_DECIMALS = 5
_ISO_SIMPLIFY_DEG = 0.00004  # ≈ 4 m: the isochrones' 25 m buffer makes finer detail noise
_EDGE_SIMPLIFY_DEG = 0.000005  # ≈ 0.5 m
_HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$")
_FALLBACK_COLORS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
_VENDOR_IMAGES = ("layers.png", "layers-2x.png", "marker-icon.png")
_OVERLAY_SIMPLIFY_DEG = 0.000005  # ≈ 0.5 m
_OVERLAY_SCALE = 10**_DECIMALS
_RAMP = ("#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850")

MAX_BASEMAP_BUILDINGS = 30_000
"""Building footprints kept in ``basemap.parquet`` at most; past it buildings are left out."""
BASEMAP_COLORS = {"building": "#d3d0ca", "water": "#a9cfee"}
"""Fixed colours of the basemap overlays: light grey buildings, light blue water."""


@dataclass(frozen=True)
class Overlay:
    """One extra toggleable layer of the coverage map (areas, clusters, a diff, a basemap).

    Attributes
    ----------
    name_zh, name_en : str
        Bilingual layer name, shown in the layer control and the legend.
    frame : GeoDataFrame
        Features (polygons, lines or points), EPSG:4326 or any CRS that is set.
    color : str
        Fixed colour (``#rgb``/``#rrggbb``), used when ``column`` is None and for outlines.
    column : str, optional
        Numeric column whose value picks each feature's colour from ``ramp``.
    breaks : sequence of float, optional
        Upper bounds of the colour classes of ``column``, increasing, one fewer than the
        ``ramp`` colours; default: equal steps between the column's minimum and maximum.
    ramp : sequence of str
        Class colours, lowest class first.
    value_format : str
        ``str.format`` pattern of the legend's values (``"{:.0%}"`` for a rate).
    popup : mapping of str to str
        Popup rows: bilingual label → column. Without rows, features take no clicks.
    shown : bool
        Shown when the map opens.
    ground : bool
        Drawn under the streets (basemap layers).
    fill_opacity, weight, radius : float
        Polygon fill opacity, outline width and point radius, pixels.
    """

    name_zh: str
    name_en: str
    frame: gpd.GeoDataFrame
    color: str = "#3388ff"
    column: str | None = None
    breaks: Sequence[float] | None = None
    ramp: Sequence[str] = _RAMP
    value_format: str = "{:g}"
    popup: Mapping[str, str] = field(default_factory=dict)
    shown: bool = True
    ground: bool = False
    fill_opacity: float = 0.5
    weight: float = 1.0
    radius: float = 5.0


# --- per-edge walk minutes (computed once, at write time) --------------------------------


# --- the HTML map ----------------------------------------------------------------------


def coverage_map(
    residences: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    summary: pd.DataFrame,
    meta: Mapping[str, Any],
    edges: gpd.GeoDataFrame | None = None,
    isochrones: gpd.GeoDataFrame | None = None,
    category: str | None = None,
    tianditu_key: str | None = None,
    isochrone_budget_bytes: int = ISOCHRONE_BUDGET_BYTES,
    overlays: Sequence[Overlay] = (),
) -> str:
    """The planner's map as one self-contained HTML document (Leaflet inlined, no CDN).

    Layers: an offline basemap drawn from the study's streets, streets coloured by walk
    minutes to the chosen category, residences coloured by score or by walk minutes,
    facilities per category, and the 5/10/15-minute isochrones of a clicked residence.
    A category switcher, a legend and the coverage table come with it; every text is
    bilingual (中文 / English) and every string from the data is shown as text, never
    parsed as HTML.

    Parameters
    ----------
    residences : GeoDataFrame
        ``Study.access()`` (or ``residences.parquet``): ``residence_id``, ``population``,
        ``walk_min_<category>``, ``score``, point geometry (EPSG:4326).
    facilities : GeoDataFrame
        ``facility_id``, ``category``, ``name``, ``source``, point geometry.
    summary : DataFrame
        ``Study.summary()``, indexed by category key.
    meta : mapping
        ``Study.metadata()`` (``catalog``, ``synthetic``, ``data``, ``notes``, …).
    edges : GeoDataFrame, optional
        Walk network edges (EPSG:4326), with ``walk_min_<category>`` columns from
        :func:`edge_minutes` when available (otherwise streets are drawn grey).
    isochrones : GeoDataFrame, optional
        ``residence_id``, ``minutes``, polygon geometry (``isochrones.parquet``).
    category : str, optional
        Category selected when the map opens (default: the score view).
    tianditu_key : str, optional
        Tianditu (天地图) browser key; default: environment variable ``TIANDITU_KEY``. The
        Tianditu layer is offered only with a key, and the key is written into the file.
    isochrone_budget_bytes : int
        Cap on the embedded isochrone data; past it an even sample of residences keeps
        theirs (the map says how many).
    overlays : sequence of Overlay
        Extra layers (basemap water and buildings, planning areas, a what-if diff), each
        toggleable in the layer control with a legend entry.

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    InputError
        When ``category`` is not a category of the residences table, or an overlay names
        a column its frame lacks or a colour that is not ``#rgb``/``#rrggbb``.
    """
    cats = _categories(residences, facilities, summary, meta)
    keys = [c["key"] for c in cats]
    if category is not None and category not in keys:
        raise InputError(
            f"map category {category!r} is not in the results",
            f"use one of: {', '.join(keys) or '(none)'}",
        )
    if tianditu_key is None:
        tianditu_key = os.environ.get("TIANDITU_KEY") or None
    residences = residences.to_crs("EPSG:4326") if residences.crs else residences
    notes = [str(n) for n in meta.get("notes", [])]
    if len(residences) > MAX_MAP_RESIDENCES:
        keep = np.unique(np.linspace(0, len(residences) - 1, MAX_MAP_RESIDENCES).astype(np.int64))
        notes.append(
            f"地图显示 {len(keep):,} / {len(residences):,} 个居住点（均匀抽样） · the map shows an "
            f"even sample of {len(keep):,} of {len(residences):,} residences; all are in "
            "residences.parquet and the summary counts every one"
        )
        residences = residences.iloc[keep]
    if edges is not None and len(edges) > MAX_MAP_EDGES:
        notes.append(
            f"地图显示 {MAX_MAP_EDGES:,} / {len(edges):,} 条街道（主干道与最长街道） · the map "
            f"draws {MAX_MAP_EDGES:,} of {len(edges):,} street edges (main roads, then longest)"
        )
        edges = _main_edges(edges, MAX_MAP_EDGES)
    res_payload, ids = _residence_payload(residences, keys)
    overlay_payload = [_overlay_payload(o, notes) for o in overlays]
    payload = {
        "title": "15分钟生活圈 步行可达性 · 15-minute living circle walk access",
        "synthetic": bool(meta.get("synthetic")),
        "banner": SYNTHETIC_BANNER if meta.get("synthetic") else "",
        "data": str(meta.get("data", "")),
        "notes": notes,
        "speed": meta.get("speed_kmh"),
        "initial": category,
        "cats": cats,
        "summary": _summary_payload(summary, keys),
        "res": res_payload,
        "fac": _facility_payload(facilities),
        "edges": _edge_payload(edges, keys),
        "iso": _isochrone_payload(isochrones, ids, isochrone_budget_bytes),
        "tianditu": tianditu_key,
        "overlays": overlay_payload,
    }
    return _render(payload)


def _categories(
    residences: pd.DataFrame,
    facilities: pd.DataFrame,
    summary: pd.DataFrame,
    meta: Mapping[str, Any],
) -> list[dict[str, Any]]:
    present = [
        str(c)[len("walk_min_") :] for c in residences.columns if str(c).startswith("walk_min_")
    ]
    catalog = {str(c["key"]): c for c in meta.get("catalog", []) if "key" in c}
    counts = facilities["category"].astype(str).value_counts().to_dict() if len(facilities) else {}
    order = [k for k in catalog if k in present] + [k for k in present if k not in catalog]
    result = []
    for i, key in enumerate(order):
        info = catalog.get(key, {})
        color = str(info.get("color", ""))
        if not _HEX_COLOR.match(color):
            color = _FALLBACK_COLORS[i % len(_FALLBACK_COLORS)]
        level = info.get("level")
        if level is None and key in summary.index and "level_min" in summary:
            level = summary.loc[key, "level_min"]
        result.append(
            {
                "key": key,
                "zh": str(info.get("name_zh", key)),
                "en": str(info.get("name_en", key)),
                "level": _number(level, 0) if level is not None else 15,
                "group": str(info.get("group", "")),
                "color": color,
                "count": int(counts.get(key, 0)),
            }
        )
    return result


def _residence_payload(
    residences: gpd.GeoDataFrame, keys: Sequence[str]
) -> tuple[dict[str, Any], dict[str, int]]:
    points = residences.geometry
    valid = np.array(~points.is_empty & points.notna(), dtype=bool)
    if valid.any():
        coords = np.full((len(points), 2), np.nan)
        coords[valid] = shapely.get_coordinates(points[valid].to_numpy())[:, :2]
        valid &= np.isfinite(coords).all(axis=1)
    frame = residences[valid]
    geometry = frame.geometry
    raw_ids = frame["residence_id"].tolist() if "residence_id" in frame else list(range(len(frame)))
    ids = [str(v) for v in raw_ids]
    population = frame["population"] if "population" in frame else pd.Series(1.0, index=frame.index)
    score = frame["score"] if "score" in frame else pd.Series(np.nan, index=frame.index)
    payload = {
        "id": [v if isinstance(v, int | np.integer) else str(v) for v in raw_ids],
        "lon": _rounded(geometry.x, _DECIMALS),
        "lat": _rounded(geometry.y, _DECIMALS),
        "pop": _rounded(population, 1),
        "score": _rounded(score, 3),
        "min": {k: _rounded(frame[f"walk_min_{k}"], 1) for k in keys},
    }
    return payload, {rid: i for i, rid in enumerate(ids)}


def _facility_payload(facilities: gpd.GeoDataFrame) -> dict[str, list[Any]]:
    if facilities.empty:
        return {"lon": [], "lat": [], "cat": [], "name": [], "source": []}
    frame = facilities.to_crs("EPSG:4326") if facilities.crs else facilities
    points = frame.geometry.representative_point()
    valid = (~points.is_empty & points.notna()).to_numpy()
    frame, points = frame[valid], points[valid]
    names = frame["name"] if "name" in frame else pd.Series("", index=frame.index)
    sources = frame["source"] if "source" in frame else pd.Series("", index=frame.index)
    return {
        "lon": _rounded(points.x, _DECIMALS),
        "lat": _rounded(points.y, _DECIMALS),
        "cat": frame["category"].astype(str).tolist(),
        "name": ["" if _missing(v) else str(v) for v in names],
        "source": ["" if _missing(v) else str(v) for v in sources],
    }


def _main_edges(edges: gpd.GeoDataFrame, count: int) -> gpd.GeoDataFrame:
    """The ``count`` edges a big city's basemap needs most: main roads first, then length."""
    highway = edges["highway"].astype(str) if "highway" in edges else pd.Series("", edges.index)
    minor = (~highway.isin(_MAJOR_ROADS)).to_numpy()
    length = shapely.length(edges.geometry.to_numpy())  # degrees: only the order matters
    order = np.lexsort((-length, minor))
    return edges.iloc[np.sort(order[:count])]


def _edge_payload(edges: gpd.GeoDataFrame | None, keys: Sequence[str]) -> dict[str, Any]:
    if edges is None or edges.empty:
        return {"coords": [], "min": {}}
    frame = edges.to_crs("EPSG:4326") if edges.crs else edges
    lines = shapely.simplify(frame.geometry.to_numpy(), _EDGE_SIMPLIFY_DEG)
    coords: list[list[float]] = []
    for line in lines:
        if line is None or line.is_empty:
            coords.append([])
            continue
        parts = getattr(line, "geoms", [line])
        flat: list[float] = []
        for part in parts[:1]:
            xy = np.round(shapely.get_coordinates(part), _DECIMALS)
            flat.extend(xy.ravel().tolist())
        coords.append(flat)
    minutes = {k: _rounded(frame[f"walk_min_{k}"], 1) for k in keys if f"walk_min_{k}" in frame}
    return {"coords": coords, "min": minutes}


def _isochrone_payload(
    isochrones: gpd.GeoDataFrame | None, ids: Mapping[str, int], budget: int
) -> dict[str, Any]:
    """Embed isochrones residence by residence, in an evenly spread order, until the budget.

    Only the embedded residences' polygons are reprojected, simplified and encoded, so a
    city's worth of isochrones costs no more than the budget's worth.
    """
    total = len(ids)
    if isochrones is None or isochrones.empty:
        return {"by": {}, "embedded": 0, "total": total, "available": False, "scale": 1}
    index = isochrones["residence_id"].astype(str).map(ids)
    shapes = isochrones.geometry
    usable = (index.notna() & ~shapes.is_empty).to_numpy() & ~pd.isna(shapes.to_numpy())
    rows = np.flatnonzero(usable)
    owner = index.to_numpy()[rows].astype(np.int64)
    residents = np.unique(owner)
    # Golden-ratio order: any prefix is spread evenly over the residences.
    residents = residents[np.argsort((residents * 0.6180339887498949) % 1.0, kind="stable")]
    rows_of = pd.Series(rows).groupby(owner).apply(list).to_dict()
    by: dict[str, list[list[Any]]] = {}
    used = 0
    full = False
    for start in range(0, len(residents), 64):
        chunk = residents[start : start + 64]
        picked = [r for res in chunk for r in rows_of[int(res)]]
        part = isochrones.iloc[picked]
        part = part.to_crs("EPSG:4326") if part.crs else part
        shapes = shapely.simplify(
            part.geometry.to_numpy(), _ISO_SIMPLIFY_DEG, preserve_topology=False
        )
        entries: dict[int, list[list[Any]]] = {}
        for res, minutes, shape in zip(
            index.to_numpy()[picked].astype(np.int64), part["minutes"], shapes, strict=True
        ):
            if shape is not None and not shape.is_empty:
                entries.setdefault(int(res), []).append([_number(minutes, 1), _polygons(shape)])
        for res in chunk:
            entry = sorted(entries.get(int(res), []), key=lambda item: -item[0])
            if not entry:
                continue
            size = len(json.dumps(entry, separators=(",", ":"))) + 12
            if used + size > budget:
                full = True
                break
            by[str(int(res))] = entry
            used += size
        if full:
            break
    scale = 10**_ISO_DECIMALS
    return {"by": by, "embedded": len(by), "total": total, "available": True, "scale": scale}


def _polygons(shape: Any) -> list[list[list[int]]]:
    """Polygon/MultiPolygon → polygons → rings, each ``[x0, y0, dx1, dy1, …]``.

    Coordinates are integers in units of ``10**-_ISO_DECIMALS`` degrees, every vertex after
    the first stored as the step from the one before (about a third of the bytes of plain
    decimals); the closing vertex is left out.
    """
    polygons = getattr(shape, "geoms", [shape])
    scale = 10**_ISO_DECIMALS
    result = []
    for polygon in polygons:
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue
        rings = []
        for ring in [polygon.exterior, *polygon.interiors]:
            steps = np.round(np.asarray(ring.coords)[:-1, :2] * scale).astype(np.int64)
            steps[1:] = np.diff(steps, axis=0)
            rings.append(steps.ravel().tolist())
        result.append(rings)
    return result


# --- overlays: extra toggleable layers -------------------------------------------------


def _overlay_payload(overlay: Overlay, notes: list[str]) -> dict[str, Any]:
    """One overlay as map data: geometry in integer micro-degrees, colours, popup rows."""
    label = f"{overlay.name_zh} {overlay.name_en}"
    colors = [overlay.color, *overlay.ramp]
    bad = [c for c in colors if not _HEX_COLOR.match(str(c))]
    if bad:
        raise InputError(f"overlay {label!r} has colour {bad[0]!r}", "use #rgb or #rrggbb")
    wanted = [overlay.column] if overlay.column else []
    missing = [c for c in [*wanted, *overlay.popup.values()] if c not in overlay.frame]
    if missing:
        raise InputError(
            f"overlay {label!r} names column {missing[0]!r}, which its frame lacks",
            f"use one of: {', '.join(map(str, overlay.frame.columns))}",
        )
    frame = overlay.frame
    frame = frame.to_crs("EPSG:4326") if frame.crs else frame
    shapes = frame.geometry
    usable = (shapes.notna() & ~shapes.is_empty).to_numpy()
    frame = frame[usable]
    if len(frame) > MAX_MAP_RESIDENCES:
        keep = np.unique(np.linspace(0, len(frame) - 1, MAX_MAP_RESIDENCES).astype(np.int64))
        notes.append(
            f"图层“{overlay.name_zh}”显示 {len(keep):,} / {len(frame):,} 个要素（均匀抽样） · "
            f"layer '{overlay.name_en}' shows an even sample of {len(keep):,} of "
            f"{len(frame):,} features"
        )
        frame = frame.iloc[keep]
    simple = shapely.simplify(frame.geometry.to_numpy(), _OVERLAY_SIMPLIFY_DEG)
    geom = [_encode_shape(shape) for shape in simple]
    kinds = [g[0] for g in geom]
    payload: dict[str, Any] = {
        "zh": str(overlay.name_zh),
        "en": str(overlay.name_en),
        "shown": bool(overlay.shown),
        "ground": bool(overlay.ground),
        "kind": max(set(kinds), key=kinds.count) if kinds else 2,
        "color": str(overlay.color),
        "fillOpacity": float(overlay.fill_opacity),
        "weight": float(overlay.weight),
        "radius": float(overlay.radius),
        "scale": _OVERLAY_SCALE,
        "geom": geom,
        "bins": None,
        "values": None,
        "popup": {
            "labels": [str(k) for k in overlay.popup],
            "values": [_popup_values(frame[c]) for c in overlay.popup.values()],
        },
    }
    if overlay.column:
        values = pd.to_numeric(frame[overlay.column], errors="coerce").to_numpy(dtype=float)
        payload["values"] = _rounded(values, 3)
        payload["bins"] = _bins(overlay, values)
    return payload


def _bins(overlay: Overlay, values: np.ndarray) -> list[dict[str, Any]]:
    count = len(overlay.ramp)
    if overlay.breaks is not None:
        breaks = [float(b) for b in overlay.breaks]
        if len(breaks) != count - 1 or np.any(np.diff(breaks) <= 0):
            raise InputError(
                f"overlay {overlay.name_en!r} has breaks {breaks}",
                f"give {count - 1} increasing class bounds for its {count} ramp colours",
            )
    else:
        finite = values[np.isfinite(values)]
        low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
        high = high if high > low else low + 1.0
        breaks = np.linspace(low, high, count + 1)[1:-1].tolist()
    shown = [overlay.value_format.format(b) for b in breaks]
    labels = [f"≤ {shown[0]}"] if shown else ["全部 all"]
    labels += [f"{a} – {b}" for a, b in itertools.pairwise(shown)]
    labels += [f"> {shown[-1]}"] if shown else []
    bounds: list[float | None] = [*breaks, None]
    return [
        {"max": bound, "color": str(color), "label": text}
        for bound, color, text in zip(bounds, overlay.ramp, labels, strict=True)
    ]


def _popup_values(column: pd.Series) -> list[Any]:
    result: list[Any] = []
    for value in column.tolist():
        if _missing(value) or (isinstance(value, float) and not math.isfinite(value)):
            result.append(None)
        elif isinstance(value, bool | np.bool_):
            result.append("是 yes" if value else "否 no")
        elif isinstance(value, int | np.integer):
            result.append(int(value))
        elif isinstance(value, float | np.floating):
            result.append(round(float(value), 3))
        else:
            result.append(str(value))
    return result


def _encode_shape(shape: Any) -> list[Any]:
    """``[0, x, y]`` point, ``[1, line, …]`` lines, ``[2, polygon, …]`` polygons (rings).

    Coordinates are integers in units of ``10**-6`` degrees (6 decimals); within a line or
    ring every vertex after the first is stored as the step from the one before.
    """
    parts = shapely.get_parts(shape)
    kinds = shapely.get_type_id(parts)
    polygons = parts[(kinds == 3)]
    lines = parts[(kinds == 1) | (kinds == 2)]
    if len(polygons):
        return [2, *[[_steps(ring) for ring in [p.exterior, *p.interiors]] for p in polygons]]
    if len(lines):
        return [1, *[_steps(line) for line in lines]]
    xy = np.round(shapely.get_coordinates(parts[:1]) * _OVERLAY_SCALE).astype(np.int64)
    return [0, int(xy[0, 0]), int(xy[0, 1])] if len(xy) else [0, 0, 0]


def _steps(line: Any) -> list[int]:
    coords = shapely.get_coordinates(line)
    if shapely.get_type_id(line) == 2 and len(coords) > 1:  # a ring: drop the closing vertex
        coords = coords[:-1]
    steps = np.round(coords * _OVERLAY_SCALE).astype(np.int64)
    steps[1:] = np.diff(steps, axis=0)
    result: list[int] = steps.ravel().tolist()
    return result


def basemap_frame(
    features: gpd.GeoDataFrame, max_buildings: int = MAX_BASEMAP_BUILDINGS
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Water and building footprints of the study's OSM features, for ``basemap.parquet``.

    Water is ``natural=water`` and any ``waterway=*``; buildings are polygons tagged
    ``building``. Geometry is simplified by about half a metre.

    Parameters
    ----------
    features : GeoDataFrame
        ``Study.features`` (EPSG:4326).
    max_buildings : int
        More buildings than this and all are left out (a note says so), keeping big
        cities' maps within their size budget.

    Returns
    -------
    (GeoDataFrame, list of str)
        ``kind`` (``water`` or ``building``) and geometry, EPSG:4326; and bilingual notes.
    """
    empty = gpd.GeoDataFrame({"kind": []}, geometry=[], crs="EPSG:4326")
    if features.empty:
        return empty, []
    frame = features.to_crs("EPSG:4326") if features.crs else features

    def column(key: str) -> pd.Series:
        return frame[key] if key in frame else pd.Series(None, index=frame.index, dtype=object)

    kind = frame.geometry.geom_type.to_numpy()
    polygonal = np.isin(kind, ["Polygon", "MultiPolygon"])
    linear = np.isin(kind, ["LineString", "MultiLineString"])
    water = ((column("natural") == "water").to_numpy() & polygonal) | (
        column("waterway").notna().to_numpy() & (polygonal | linear)
    )
    building = column("building").notna().to_numpy() & polygonal & ~water
    notes = []
    if building.sum() > max_buildings:
        notes.append(
            f"底图未绘建筑：{int(building.sum()):,} 栋超过上限 {max_buildings:,} · basemap "
            f"buildings left out: {int(building.sum()):,} exceed the cap of {max_buildings:,}"
        )
        building[:] = False
    keep = water | building
    shapes = shapely.simplify(frame.geometry.to_numpy()[keep], _OVERLAY_SIMPLIFY_DEG)
    result = gpd.GeoDataFrame(
        {"kind": np.where(water[keep], "water", "building")}, geometry=shapes, crs="EPSG:4326"
    )
    return result[~result.geometry.is_empty].reset_index(drop=True), notes


def basemap_overlays(basemap: gpd.GeoDataFrame | None) -> list[Overlay]:
    """The basemap's water and buildings as ground overlays, shown by default.

    Parameters
    ----------
    basemap : GeoDataFrame or None
        From :func:`basemap_frame` (or ``basemap.parquet``).

    Returns
    -------
    list of Overlay
        Water (light blue) then buildings (light grey); a kind without features is left out.
    """
    if basemap is None or basemap.empty:
        return []
    kinds = basemap["kind"].astype(str)
    layers = [
        ("water", "水系", "Water", 0.8),
        ("building", "建筑", "Buildings", 0.9),
    ]
    return [
        Overlay(
            zh,
            en,
            basemap[(kinds == key).to_numpy()],
            color=BASEMAP_COLORS[key],
            ground=True,
            fill_opacity=opacity,
            weight=1.0 if key == "water" else 0.5,
        )
        for key, zh, en, opacity in layers
        if (kinds == key).any()
    ]


def _summary_payload(summary: pd.DataFrame, keys: Sequence[str]) -> list[dict[str, Any]]:
    rows = []
    for key in keys:
        if key not in summary.index:
            continue
        row = summary.loc[key]
        rows.append(
            {
                "key": key,
                "facilities": _number(row.get("facilities"), 0),
                "s5": _number(row.get("share_pop_5min"), 3),
                "s10": _number(row.get("share_pop_10min"), 3),
                "s15": _number(row.get("share_pop_15min"), 3),
                "median": _number(row.get("median_min"), 1),
                "p90": _number(row.get("p90_min"), 1),
                "unreachable": _number(row.get("unreachable"), 0),
            }
        )
    return rows


def _rounded(values: Any, decimals: int) -> list[float | None]:
    array = np.round(np.asarray(values, dtype=float), decimals)
    return [
        None if not math.isfinite(v) else (int(v) if decimals == 0 else v) for v in array.tolist()
    ]


def _number(value: Any, decimals: int) -> float | int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    return round(number) if decimals == 0 else round(number, decimals)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def script_json(payload: Any) -> str:
    """JSON safe to place inside a ``<script>`` element.

    ``<``, ``>`` and ``&`` become ``\\u003c``, ``\\u003e``, ``\\u0026`` (so no ``</script>``
    or ``<!--`` can end or bend the element), and U+2028/U+2029 are escaped too.

    Parameters
    ----------
    payload : any
        JSON-serialisable data (NaN must already be ``None``).
    """
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return text


def _vendor_css() -> str:
    css = data_path("vendor", "leaflet.css").read_text(encoding="utf-8")
    for name in _VENDOR_IMAGES:
        encoded = base64.b64encode(data_path("vendor", name).read_bytes()).decode("ascii")
        css = css.replace(f"url(images/{name})", f"url(data:image/png;base64,{encoded})")
    return css


def _vendor_js() -> str:
    js = data_path("vendor", "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"//# sourceMappingURL=\S+\s*$", "", js)
    if "</script" in js.lower():
        raise DataError("vendored leaflet.js contains '</script'", "re-vendor Leaflet")
    return js


def _render(payload: Mapping[str, Any]) -> str:
    template = data_path("vendor", "map_template.html").read_text(encoding="utf-8")
    parts = {
        "/*@LEAFLET_CSS@*/": _vendor_css(),
        "/*@LEAFLET_JS@*/": _vendor_js(),
        "/*@APP_JS@*/": data_path("vendor", "map_app.js").read_text(encoding="utf-8"),
        "@DATA_JSON@": script_json(payload),
    }
    pattern = re.compile("|".join(re.escape(k) for k in parts))
    return pattern.sub(lambda m: parts[m.group(0)], template)


# --- the planning map ---------------------------------------------------------------------

_RATE_BREAKS = (0.2, 0.4, 0.6, 0.8)
_SAVED_BREAKS = (-5.0, -0.5, 0.5, 5.0)
_SAVED_RAMP = ("#d73027", "#fc8d59", "#d9d9d9", "#91cf60", "#1a9850")
_GAP_RAMP = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")


def plan_overlays(
    areas: gpd.GeoDataFrame,
    clusters: gpd.GeoDataFrame,
    whatif: gpd.GeoDataFrame | None = None,
    categories: Sequence[str] = (),
) -> list[Overlay]:
    """The planning layers: compliance areas, unserved clusters and a what-if diff.

    Parameters
    ----------
    areas : GeoDataFrame
        ``compliance_areas.parquet``: ``area``, ``area_kind``, ``rate_pop``, ``mean_share``.
    clusters : GeoDataFrame
        ``gaps.parquet``: ``category``, ``cluster``, ``residences``, ``population``.
    whatif : GeoDataFrame, optional
        ``whatif.parquet``; one diff layer per changed category, holding the residences
        whose walk minutes changed, coloured by minutes saved (before − after).
    categories : sequence of str
        The what-if's changed categories (default: every ``delta_min_<key>`` column).

    Returns
    -------
    list of Overlay
    """
    layers = [
        Overlay(
            "达标率（社区/片区）",
            "Compliance rate by area",
            areas,
            color="#444444",
            column="rate_pop",
            breaks=_RATE_BREAKS,
            value_format="{:.0%}",
            popup={
                "区域 Area": "area",
                "类型 Kind": "area_kind",
                "达标率（人口） Rate (population)": "rate_pop",
                "平均达标比例 Mean share": "mean_share",
            },
            fill_opacity=0.3,
            weight=2.0,
        ),
        Overlay(
            "缺口聚类（未覆盖人口）",
            "Gap clusters (unserved population)",
            clusters,
            color="#a50f15",
            column="population",
            ramp=_GAP_RAMP,
            value_format="{:,.0f}",
            popup={
                "类别 Category": "category",
                "聚类 Cluster": "cluster",
                "居住点 Residences": "residences",
                "未覆盖人口 Unserved population": "population",
            },
            shown=False,  # every category's clusters overlap: the planner picks it on
            fill_opacity=0.45,
        ),
    ]
    if whatif is None or whatif.empty:
        return layers
    keys = list(categories) or [
        str(c)[len("delta_min_") :] for c in whatif.columns if str(c).startswith("delta_min_")
    ]
    for key in keys:
        before = whatif[f"walk_min_{key}_before"].to_numpy(dtype=float)
        after = whatif[f"walk_min_{key}_after"].to_numpy(dtype=float)
        changed = ~((before == after) | (np.isnan(before) & np.isnan(after)))
        part = whatif[changed].assign(saved_min=(before - after)[changed])
        layers.append(
            Overlay(
                f"情景对比：节省步行分钟 · {key}",
                f"What-if: walk minutes saved · {key}",
                part,
                color="#333333",
                column="saved_min",
                breaks=_SAVED_BREAKS,
                ramp=_SAVED_RAMP,
                popup={
                    "居住点 Residence": "residence_id",
                    "之前 Before (min)": f"walk_min_{key}_before",
                    "之后 After (min)": f"walk_min_{key}_after",
                    "节省 Saved (min)": "saved_min",
                },
                fill_opacity=0.95,
                radius=6.0,
            )
        )
    return layers


def plan_map(study: Any, overlays: Sequence[Overlay]) -> str:
    """The study's coverage map (as ``map.html``) with the basemap and planning layers.

    Residences and streets show the study's own walk minutes (its default walker); the
    planning layers carry whatever profile they were computed with.

    Parameters
    ----------
    study : Study
        The study planned.
    overlays : sequence of Overlay
        Usually :func:`plan_overlays`.

    Returns
    -------
    str
        The HTML document (``plan_map.html``).
    """
    edges = study.network.edges_frame()
    minutes = access.edge_minutes(
        study.network, study.facility_snaps, study.access_detail().node_minutes
    )
    basemap, notes = basemap_frame(study.features)
    meta = dict(study.metadata())
    meta["notes"] = [*meta.get("notes", []), *notes]
    return coverage_map(
        study.access(),
        study.facilities,
        study.summary(),
        meta,
        edges=pd.concat([edges, minutes], axis=1),
        overlays=[*basemap_overlays(basemap), *overlays],
    )


# --- rebuilding from an output folder ---------------------------------------------------


def read_outputs(out_dir: str | Path) -> dict[str, Any]:
    """Read a ``yushu-circle run`` output folder back for mapping (nothing is recomputed).

    Parameters
    ----------
    out_dir : str or Path
        Folder with ``residences.parquet``, ``facilities.parquet``, ``network.parquet``,
        ``summary.json`` and optionally ``isochrones.parquet`` and ``basemap.parquet``.

    Returns
    -------
    dict
        ``residences``, ``facilities``, ``edges``, ``isochrones`` and ``basemap`` (each
        None when absent), ``summary`` (DataFrame) and ``meta``.

    Raises
    ------
    InputError
        When a required file is missing or unreadable.
    """
    out = Path(out_dir)
    needed = ["residences.parquet", "facilities.parquet", "network.parquet", "summary.json"]
    missing = [name for name in needed if not (out / name).is_file()]
    if missing:
        raise InputError(
            f"output folder {out} lacks {', '.join(missing)}",
            "pass a folder written by 'yushu-circle run --out DIR'",
        )
    try:
        document = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        result: dict[str, Any] = {
            "residences": gpd.read_parquet(out / "residences.parquet"),
            "facilities": gpd.read_parquet(out / "facilities.parquet"),
            "edges": gpd.read_parquet(out / "network.parquet"),
        }
        iso_path = out / "isochrones.parquet"
        result["isochrones"] = gpd.read_parquet(iso_path) if iso_path.is_file() else None
        base_path = out / "basemap.parquet"
        result["basemap"] = gpd.read_parquet(base_path) if base_path.is_file() else None
    except (OSError, ValueError) as exc:
        raise InputError(
            f"cannot read the outputs in {out} ({exc})", "re-run 'yushu-circle run --out DIR'"
        ) from None
    records = document.get("categories", [])
    summary = pd.DataFrame(records)
    summary = summary.set_index("category") if "category" in summary else summary
    result["summary"] = summary
    result["meta"] = document.get("meta", {})
    return result


def rebuild_maps(
    out_dir: str | Path,
    png: bool = False,
    category: str | None = None,
    tianditu_key: str | None = None,
    isochrone_budget_bytes: int = ISOCHRONE_BUDGET_BYTES,
) -> list[Path]:
    """Rewrite ``map.html`` (and ``png/coverage_<category>.png``) from an output folder.

    Parameters
    ----------
    out_dir : str or Path
        A folder written by ``yushu-circle run``.
    png : bool
        Also draw one static PNG coverage map per category into ``out_dir/png``.
    category : str, optional
        Category the HTML map opens on.
    tianditu_key : str, optional
        Tianditu key (default: ``TIANDITU_KEY``).
    isochrone_budget_bytes : int
        Cap on the embedded isochrone data (see :func:`coverage_map`).

    Returns
    -------
    list of Path
        The files written.
    """
    from yushu_circle.io import text_writer, write_atomically

    parts = read_outputs(out_dir)
    html = coverage_map(
        parts["residences"],
        parts["facilities"],
        parts["summary"],
        parts["meta"],
        edges=parts["edges"],
        isochrones=parts["isochrones"],
        category=category,
        tianditu_key=tianditu_key,
        isochrone_budget_bytes=isochrone_budget_bytes,
        overlays=basemap_overlays(parts["basemap"]),
    )
    written = write_atomically(out_dir, {"map.html": text_writer(html)})
    if png:
        writers = png_writers(
            parts["residences"], parts["facilities"], parts["meta"], parts["edges"]
        )
        written += write_atomically(Path(out_dir) / "png", writers)
    return written


# --- static PNG maps --------------------------------------------------------------------


def png_writers(
    residences: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    meta: Mapping[str, Any],
    edges: gpd.GeoDataFrame | None = None,
    dpi: int = 150,
) -> dict[str, Any]:
    """Writers of one static coverage map per category, ``coverage_<category>.png``.

    Each shows the streets, residences coloured by walk minutes to the category
    (:func:`yushu_circle.render.plots.residence_minutes`), that category's facilities, a bilingual
    title and, for the demo, the synthetic-data note.

    Parameters
    ----------
    residences, facilities : GeoDataFrame
        As in :func:`coverage_map`.
    meta : mapping
        ``Study.metadata()``.
    edges : GeoDataFrame, optional
        Streets to draw underneath.
    dpi : int
        Resolution.

    Returns
    -------
    dict of str to callable
        File name → writer, for :func:`yushu_circle.io.write_atomically`.
    """
    cats = _categories(residences, facilities, pd.DataFrame(), meta)
    writers = {}
    for cat in cats:
        safe = re.sub(r"[^\w-]+", "_", cat["key"], flags=re.ASCII).strip("_") or "category"
        writers[f"coverage_{safe}.png"] = _png_writer(residences, facilities, meta, edges, cat, dpi)
    return writers


def _png_writer(
    residences: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    meta: Mapping[str, Any],
    edges: gpd.GeoDataFrame | None,
    cat: Mapping[str, Any],
    dpi: int,
) -> Any:
    def write(path: Path) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from yushu_circle.render.plots import residence_minutes

        font = _cjk_font_props()
        fig, ax = plt.subplots(figsize=(9, 7))
        try:
            residence_minutes(
                residences, f"walk_min_{cat['key']}", ax=ax, edges=edges, vmax=2 * cat["level"]
            )
            mine = facilities[facilities["category"].astype(str) == cat["key"]]
            if not mine.empty:
                mine.plot(
                    ax=ax,
                    color=cat["color"],
                    edgecolor="black",
                    marker="D",
                    markersize=40,
                    zorder=5,
                )
            within = (residences[f"walk_min_{cat['key']}"] <= cat["level"]).mean()
            title = (
                f"{cat['zh']} {cat['en']} — 步行分钟 walk minutes\n"
                f"生活圈 level {cat['level']} min · {within:.0%} 的居住点可达 of residences within"
            )
            ax.set_title(title, **font)
            footer = "◆ 设施 facilities · × 不可达 unreachable"
            if meta.get("synthetic"):
                footer = SYNTHETIC_BANNER + "\n" + footer
            fig.text(0.5, 0.02, footer, ha="center", color="#b00000", **font)
            fig.savefig(path, dpi=dpi, format="png", bbox_inches="tight")
        finally:
            plt.close(fig)

    return write


def _cjk_font_props() -> dict[str, Any]:
    from yushu_circle.render.plots import _font

    return _font()
