"""The planner's map: a self-contained bilingual HTML coverage map and static PNG maps."""

from __future__ import annotations

import base64
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from yushu_circle._resources import data_path
from yushu_circle.errors import DataError, InputError
from yushu_circle.network import Snap, WalkNetwork

MAX_MAP_RESIDENCES = 40_000
"""Residences drawn on the map at most; a larger study shows an even sample (the map says so)."""
MAX_MAP_EDGES = 40_000
"""Street edges drawn at most; a larger network keeps its main roads, then its longest streets."""
_MAJOR_ROADS = {"trunk", "primary", "secondary", "tertiary", "pedestrian", "living_street"}

ISOCHRONE_BUDGET_BYTES = 2_500_000
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


# --- per-edge walk minutes (computed once, at write time) --------------------------------


def edge_minutes(
    network: WalkNetwork,
    facility_snaps: Mapping[str, Snap],
    node_minutes: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Walk minutes from the middle of every street edge to the nearest facility of each category.

    The midpoint of each edge is treated as an origin on that edge and timed with
    :func:`yushu_circle.access.minutes_to_nearest`, the same rule residences follow, so a
    street's colour on the map means "a resident standing halfway along it walks this long".

    Parameters
    ----------
    network : WalkNetwork
        The study's walk network.
    facility_snaps : mapping of str to Snap
        Snapped facilities per category (``Study.facility_snaps``).
    node_minutes : mapping of str to ndarray, optional
        Per-node minutes already found for the residences (``Study.node_minutes``), so
        no second search runs.

    Returns
    -------
    pandas.DataFrame
        One ``walk_min_<category>`` column per category, one row per edge (NaN unreachable).
    """
    from yushu_circle.access import minutes_to_nearest

    count = network.edge_count
    middles = shapely.line_interpolate_point(network.edge_geometry, 0.5, normalized=True)
    midpoints = Snap(
        edge=np.arange(count, dtype=np.int64),
        frac=np.full(count, 0.5),
        snap_m=np.zeros(count),
        on_network=np.ones(count, dtype=bool),
        x=shapely.get_x(middles),
        y=shapely.get_y(middles),
    )
    columns = {
        f"walk_min_{key}": minutes_to_nearest(
            network, midpoints, snap, node_minutes=(node_minutes or {}).get(key)
        )
        for key, snap in facility_snaps.items()
    }
    return pd.DataFrame(columns)


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

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    InputError
        When ``category`` is not a category of the residences table.
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


# --- rebuilding from an output folder ---------------------------------------------------


def read_outputs(out_dir: str | Path) -> dict[str, Any]:
    """Read a ``yushu-circle run`` output folder back for mapping (nothing is recomputed).

    Parameters
    ----------
    out_dir : str or Path
        Folder with ``residences.parquet``, ``facilities.parquet``, ``network.parquet``,
        ``summary.json`` and optionally ``isochrones.parquet``.

    Returns
    -------
    dict
        ``residences``, ``facilities``, ``edges``, ``isochrones`` (or None), ``summary``
        (DataFrame) and ``meta``.

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
    from yushu_circle.outputs import text_writer, write_atomically

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
    (:func:`yushu_circle.plots.residence_minutes`), that category's facilities, a bilingual
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
        File name → writer, for :func:`yushu_circle.outputs.write_atomically`.
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

        from yushu_circle.plots import residence_minutes

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
    from yushu_circle.plots import _font

    return _font()
