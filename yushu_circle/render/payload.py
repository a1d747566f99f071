"""The map's typed payload: residences, facilities, streets, isochrones, overlays as JSON."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from yushu_circle.columns import category_of, walk_min
from yushu_circle.errors import InputError
from yushu_circle.render._encode import (
    DECIMALS,
    missing,
    number,
    rounded,
    script_json,
    step_code,
)
from yushu_circle.render.basemap import basemap_overlays
from yushu_circle.render.city_layers import CityLayers, city_layers
from yushu_circle.render.opening import opening_view
from yushu_circle.render.overlays import overlay_payload
from yushu_circle.render.palette import FACILITY_PALETTE, page_colors
from yushu_circle.render.people import people_payload
from yushu_circle.render.view import MapView
from yushu_circle.results import StudyFile, StudyResults

MAX_MAP_RESIDENCES = 40_000
"""Residences drawn on the map at most; a larger study shows an even sample (the map says so)."""
MAX_MAP_EDGES = 40_000
"""Street edges drawn at most; a larger network keeps its main roads, then its longest streets."""
SYNTHETIC_BANNER = "合成示例数据 Synthetic demo data — not survey data"
TITLE = "15分钟生活圈 步行可达性 · 15-minute living circle walk access"
_MAJOR_ROADS = {"trunk", "primary", "secondary", "tertiary", "pedestrian", "living_street"}
_ISO_SCALE = 20_000  # isochrone units per degree: ≈ 5.5 m, finer than the simplification
_ISO_SIMPLIFY_DEG = 0.00007  # ≈ 7 m: well inside the isochrones' 25 m buffer
_EDGE_SIMPLIFY_DEG = 0.000005  # ≈ 0.5 m


@dataclass(frozen=True)
class MapPayload:
    """Everything the page's script draws, as JSON-ready values (see :func:`build_payload`).

    Attributes
    ----------
    title, subtitle : str
        Bilingual map title and the line under it (``meta["map_subtitle"]``, may be empty).
    synthetic : bool
        The data is the synthetic demo (the banner says so).
    banner, data : str
        Banner text (empty for real data) and the data's label.
    notes : list of str
        Bilingual notes shown with the coverage table.
    speed : float or None
        Walking speed, km/h.
    initial : str or None
        Category the map opens on (None: the score view).
    cats, summary : list of dict
        Categories (key, names, level, colour, count) and their coverage rows.
    res, fac, edges, iso : dict
        Residences, facilities, streets and embedded isochrones.
    tianditu : str or None
        Tianditu browser key (the Tianditu layer is offered only with one).
    overlays : list of dict
        Encoded :class:`~yushu_circle.render.overlays.Overlay` layers.
    unreached : list of str
        Categories no residence reaches: sent by name, the page fills in their nulls.
    colors : dict
        Every colour the page draws with (:func:`yushu_circle.render.palette.page_colors`).
    view : dict or None
        Where the map opens (:func:`yushu_circle.render.opening.opening_view`).
    people : dict
        Why each residence counts the people it does
        (:func:`yushu_circle.render.people.people_payload`).
    network : dict or None
        A city past the drawing caps, drawn whole from the engine
        (:func:`yushu_circle.render.city_layers.city_layers`): its residences' packed
        columns; ``res`` and ``edges`` are then empty. None: every drawn street and
        residence is in ``edges`` and ``res``.
    """

    title: str
    subtitle: str
    synthetic: bool
    banner: str
    data: str
    notes: list[str]
    speed: float | None
    initial: str | None
    cats: list[dict[str, Any]]
    summary: list[dict[str, Any]]
    res: dict[str, Any]
    fac: dict[str, Any]
    edges: dict[str, Any]
    iso: dict[str, Any]
    tianditu: str | None
    overlays: list[dict[str, Any]]
    unreached: list[str]
    colors: dict[str, Any]
    view: dict[str, Any] | None
    people: dict[str, Any]
    network: dict[str, Any] | None = None

    def to_json(self) -> str:
        """The payload as JSON safe inside a ``<script>`` element."""
        # The fields hold JSON-ready values already: no deep copy (``asdict``) is needed.
        return script_json({f.name: getattr(self, f.name) for f in fields(self)})


def build_payload(
    results: StudyResults, view: MapView, minutes_in_page: bool = False
) -> MapPayload:
    """The coverage map's data: the results as the page's script draws them.

    Layers come in this order: the basemap's (``results.basemap``), then ``view.overlays``.
    With ``minutes_in_page`` (the page carries the engine, render/js/) the residences' and
    streets' minutes per category and the precomputed isochrones are left out: the page
    computes them from the network when first shown (that keeps a 100,000-edge city's page
    within 15 MB), and each drawn street carries its edge's position in the network
    (``edges.index``).

    Parameters
    ----------
    results : StudyResults
        What to draw.
    view : MapView
        The opening category, the Tianditu key, the isochrone budget, extra overlays.
    minutes_in_page : bool
        The page computes the minutes itself.

    Returns
    -------
    MapPayload

    Raises
    ------
    InputError
        When ``view.category`` is not a category of the results, or an overlay is bad.
    """
    meta, summary, facilities = results.meta, results.summary, results.facilities
    residences, edges, category = results.access, results.edges, view.category
    cats = categories(residences, facilities, summary, meta)
    keys = [c["key"] for c in cats]
    if category is not None and category not in keys:
        raise InputError(
            f"map category {category!r} is not in the results",
            f"use one of: {', '.join(keys) or '(none)'}",
        )
    tianditu_key = view.tianditu_key
    if tianditu_key is None:
        tianditu_key = os.environ.get("TIANDITU_KEY") or None
    residences = residences.to_crs("EPSG:4326") if residences.crs else residences
    notes = [str(n) for n in meta.get("notes", [])]
    big = len(residences) > MAX_MAP_RESIDENCES or (edges is not None and len(edges) > MAX_MAP_EDGES)
    city = None
    if minutes_in_page and big and results.engine is not None:
        fac_payload = _facility_payload(facilities)
        fac = np.array([fac_payload["lon"], fac_payload["lat"]], dtype=float).T.reshape(-1, 2)
        city = city_layers(residences, results.engine, fac)
    if city is not None:
        return _city_payload(results, view, cats, city, notes, tianditu_key)
    sampled = len(residences) > MAX_MAP_RESIDENCES
    if sampled:
        keep = np.unique(np.linspace(0, len(residences) - 1, MAX_MAP_RESIDENCES).astype(np.int64))
        notes.append(
            f"地图显示 {len(keep):,} / {len(residences):,} 个居住点（均匀抽样） · the map shows an "
            f"even sample of {len(keep):,} of {len(residences):,} residences; all are in "
            f"{StudyFile.RESIDENCES} and the summary counts every one"
        )
        residences = residences.iloc[keep]
    if edges is not None:
        edges = edges.assign(_position=np.arange(len(edges)))
    if edges is not None and len(edges) > MAX_MAP_EDGES:
        notes.append(
            f"地图显示 {MAX_MAP_EDGES:,} / {len(edges):,} 条街道（主干道与最长街道） · the map "
            f"draws {MAX_MAP_EDGES:,} of {len(edges):,} street edges (main roads, then longest)"
        )
        edges = _main_edges(edges, MAX_MAP_EDGES)
    # A sampled (big) city's minutes travel in whole minutes; a category no residence
    # reaches travels as its name only: the page fills in its nulls.
    decimals = 0 if sampled else 1
    shown = [] if minutes_in_page else keys
    unreached = [k for k in shown if not np.isfinite(residences[walk_min(k)].to_numpy(float)).any()]
    shown = [k for k in shown if k not in unreached]
    res_payload, ids, drawn = _residence_payload(residences, shown, decimals)
    people, people_notes = people_payload(drawn)
    fac_payload = _facility_payload(facilities)
    notes.extend(people_notes)
    edge_payload = _edge_payload(edges, shown, decimals)
    if minutes_in_page and edges is not None:
        edge_payload["index"] = edges["_position"].astype(int).tolist()
    return MapPayload(
        **_page_frame(results, view, notes),
        initial=category,
        cats=cats,
        summary=_summary_payload(summary, keys),
        res=res_payload,
        fac=fac_payload,
        edges=edge_payload,
        iso=_isochrone_payload(
            None if minutes_in_page else results.isochrones, ids, view.isochrone_budget_bytes
        ),
        tianditu=tianditu_key,
        unreached=unreached,
        view=_opening(res_payload, fac_payload),
        people=people,
    )


def _city_payload(
    results: StudyResults,
    view: MapView,
    cats: list[dict[str, Any]],
    city: CityLayers,
    notes: list[str],
    tianditu_key: str | None,
) -> MapPayload:
    """The payload of a city drawn whole from the engine (:mod:`.city_layers`): no street or
    residence of its own, the residences' score and people packed in ``network``."""
    none, _, _ = _residence_payload(results.access.iloc[:0], [])
    return MapPayload(
        **_page_frame(results, view, [*notes, *city.notes]),
        initial=view.category,
        cats=cats,
        summary=_summary_payload(results.summary, [c["key"] for c in cats]),
        res=none,
        fac=_facility_payload(results.facilities),
        edges=_edge_payload(None, []),
        iso=_isochrone_payload(None, {}, view.isochrone_budget_bytes),
        tianditu=tianditu_key,
        unreached=[],
        view=city.view,
        people=city.people,
        network=city.network,
    )


def _page_frame(results: StudyResults, view: MapView, notes: list[str]) -> dict[str, Any]:
    """What every page has, city or town: titles, the synthetic banner, the data line, the
    notes (the overlays' own added), the walker's speed, the overlays and the colours."""
    meta = results.meta
    layers = []
    notes = list(notes)
    for overlay in [*basemap_overlays(results.basemap), *view.overlays]:
        layer, layer_notes = overlay_payload(overlay)
        layers.append(layer)
        notes.extend(layer_notes)
    speed = meta.get("speed_kmh")
    return {
        "title": TITLE,
        "subtitle": str(meta.get("map_subtitle") or ""),
        "synthetic": bool(meta.get("synthetic")),
        "banner": SYNTHETIC_BANNER if meta.get("synthetic") else "",
        "data": str(meta.get("data", "")),
        "notes": notes,
        "speed": number(speed, 2) if speed is not None else None,
        "overlays": layers,
        "colors": page_colors(),
    }


def categories(
    residences: pd.DataFrame,
    facilities: pd.DataFrame,
    summary: pd.DataFrame,
    meta: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """The map's categories: key, bilingual names, level (minutes), colour, facility count.

    Order: the catalog's, then any other ``walk_min_<key>`` column. Colours come from
    :data:`FACILITY_PALETTE` by position, so they never reuse the minutes scale.
    """
    present = [key for key in map(category_of, map(str, residences.columns)) if key]
    catalog = {str(c["key"]): c for c in meta.get("catalog", []) if "key" in c}
    counts = facilities["category"].astype(str).value_counts().to_dict() if len(facilities) else {}
    order = [k for k in catalog if k in present] + [k for k in present if k not in catalog]
    result = []
    for i, key in enumerate(order):
        info = catalog.get(key, {})
        color = FACILITY_PALETTE[i % len(FACILITY_PALETTE)]
        level = info.get("level")
        if level is None and key in summary.index and "level_min" in summary:
            level = summary.loc[key, "level_min"]
        result.append(
            {
                "key": key,
                "zh": str(info.get("name_zh", key)),
                "en": str(info.get("name_en", key)),
                "level": number(level, 0) if level is not None else 15,
                "group": str(info.get("group", "")),
                "color": color,
                "count": int(counts.get(key, 0)),
            }
        )
    return result


def _residence_payload(
    residences: gpd.GeoDataFrame, keys: Sequence[str], minute_decimals: int = 1
) -> tuple[dict[str, Any], dict[str, int], gpd.GeoDataFrame]:
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
        "lon": rounded(geometry.x, DECIMALS),
        "lat": rounded(geometry.y, DECIMALS),
        "pop": rounded(population, 1),
        "score": rounded(score, 3),
        "min": {k: _minutes(frame[walk_min(k)], minute_decimals) for k in keys},
    }
    return payload, {rid: i for i, rid in enumerate(ids)}, frame


def _opening(res: Mapping[str, Any], fac: Mapping[str, Any]) -> dict[str, Any] | None:
    """The opening view of the drawn residences and facilities (their payloads' lon/lat)."""
    lonlat = np.array([res["lon"], res["lat"]], dtype=float).T.reshape(-1, 2)
    points = np.array([fac["lon"], fac["lat"]], dtype=float).T.reshape(-1, 2)
    return opening_view(lonlat, np.asarray(res["pop"], dtype=float), points)


def _minutes(values: pd.Series, decimals: int) -> list[float | None] | str:
    """A category's minutes for the page: a list, or for a big city's whole minutes one
    base64 string of bytes (255 = unreachable, 254 = 254 min or more) the page unpacks."""
    if decimals:
        return rounded(values, decimals)
    array = np.asarray(values, dtype=float)
    packed = np.where(np.isfinite(array), np.clip(np.round(array), 0, 254), 255)
    return base64.b64encode(packed.astype(np.uint8).tobytes()).decode("ascii")


def _facility_payload(facilities: gpd.GeoDataFrame) -> dict[str, list[Any]]:
    if facilities.empty:
        return {"id": [], "lon": [], "lat": [], "cat": [], "name": [], "source": []}
    frame = facilities.to_crs("EPSG:4326") if facilities.crs else facilities
    points = frame.geometry.representative_point()
    valid = (~points.is_empty & points.notna()).to_numpy()
    frame, points = frame[valid], points[valid]
    names = frame["name"] if "name" in frame else pd.Series("", index=frame.index)
    sources = frame["source"] if "source" in frame else pd.Series("", index=frame.index)
    ids = frame["facility_id"] if "facility_id" in frame else pd.Series(range(len(frame)))
    return {
        "id": [v if isinstance(v, int | np.integer) else str(v) for v in ids.tolist()],
        "lon": rounded(points.x, DECIMALS),
        "lat": rounded(points.y, DECIMALS),
        "cat": frame["category"].astype(str).tolist(),
        "name": ["" if missing(v) else str(v) for v in names],
        "source": ["" if missing(v) else str(v) for v in sources],
    }


def _main_edges(edges: gpd.GeoDataFrame, count: int) -> gpd.GeoDataFrame:
    """The ``count`` edges a big city's basemap needs most: main roads first, then length."""
    highway = edges["highway"].astype(str) if "highway" in edges else pd.Series("", edges.index)
    minor = (~highway.isin(_MAJOR_ROADS)).to_numpy()
    # In the frame's CRS: metres for a study's own (projected) edges, degrees for EPSG:4326.
    length = shapely.length(edges.geometry.to_numpy())
    order = np.lexsort((-length, minor))
    return edges.iloc[np.sort(order[:count])]


def _edge_payload(
    edges: gpd.GeoDataFrame | None, keys: Sequence[str], minute_decimals: int = 1
) -> dict[str, Any]:
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
            xy = np.round(shapely.get_coordinates(part), DECIMALS)
            flat.extend(xy.ravel().tolist())
        coords.append(flat)
    minutes = {
        k: _minutes(frame[walk_min(k)], minute_decimals) for k in keys if walk_min(k) in frame
    }
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
                entries.setdefault(int(res), []).append([number(minutes, 1), _polygons(shape)])
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
    scale = _ISO_SCALE
    return {"by": by, "embedded": len(by), "total": total, "available": True, "scale": scale}


def _polygons(shape: Any) -> list[list[list[int]]]:
    """Polygon/MultiPolygon → polygons → rings, each ``[x0, y0, dx1, dy1, …]``.

    Coordinates are integers in units of ``1 / _ISO_SCALE`` degrees, every vertex after
    the first stored as the step from the one before (about a third of the bytes of plain
    decimals); the closing vertex is left out.
    """
    polygons = getattr(shape, "geoms", [shape])
    scale = _ISO_SCALE
    result = []
    for polygon in polygons:
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue
        rings = []
        for ring in [polygon.exterior, *polygon.interiors]:
            rings.append(step_code(np.asarray(ring.coords)[:-1], scale))
        result.append(rings)
    return result


def _summary_payload(summary: pd.DataFrame, keys: Sequence[str]) -> list[dict[str, Any]]:
    rows = []
    for key in keys:
        if key not in summary.index:
            continue
        row = summary.loc[key]
        rows.append(
            {
                "key": key,
                "facilities": number(row.get("facilities"), 0),
                "s5": number(row.get("share_pop_5min"), 3),
                "s10": number(row.get("share_pop_10min"), 3),
                "s15": number(row.get("share_pop_15min"), 3),
                "median": number(row.get("median_min"), 1),
                "p90": number(row.get("p90_min"), 1),
                "unreachable": number(row.get("unreachable"), 0),
            }
        )
    return rows
