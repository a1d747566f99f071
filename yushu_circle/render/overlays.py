"""Overlays: extra toggleable map layers (areas, clusters, a diff, a basemap) and their encoding."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from yushu_circle.errors import InputError
from yushu_circle.render._encode import HEX_COLOR, SCALE, encode_shape, missing, rounded
from yushu_circle.render.palette import RED_TO_GREEN

MAX_OVERLAY_FEATURES = 40_000
"""Features of one overlay drawn at most; a larger layer shows an even sample (a note says so)."""
RAMP = RED_TO_GREEN
"""Default class colours of an overlay's ``column``, lowest class first (red → green)."""
_SIMPLIFY_DEG = 0.000005  # ≈ 0.5 m


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
    ramp: Sequence[str] = RAMP
    value_format: str = "{:g}"
    popup: Mapping[str, str] = field(default_factory=dict)
    shown: bool = True
    ground: bool = False
    fill_opacity: float = 0.5
    weight: float = 1.0
    radius: float = 5.0


def overlay_payload(overlay: Overlay) -> tuple[dict[str, Any], list[str]]:
    """One overlay as map data: geometry in integer micro-degrees, colours, popup rows.

    Parameters
    ----------
    overlay : Overlay
        The layer.
    Returns
    -------
    (dict, list of str)
        JSON-ready layer data, and a bilingual note when the layer was sampled down to
        :data:`MAX_OVERLAY_FEATURES`.

    Raises
    ------
    InputError
        When the overlay names a column its frame lacks, a colour that is not
        ``#rgb``/``#rrggbb``, or breaks that do not fit its ramp.
    """
    label = f"{overlay.name_zh} {overlay.name_en}"
    colors = [overlay.color, *overlay.ramp]
    bad = [c for c in colors if not HEX_COLOR.match(str(c))]
    if bad:
        raise InputError(f"overlay {label!r} has colour {bad[0]!r}", "use #rgb or #rrggbb")
    wanted = [overlay.column] if overlay.column else []
    absent = [c for c in [*wanted, *overlay.popup.values()] if c not in overlay.frame]
    if absent:
        raise InputError(
            f"overlay {label!r} names column {absent[0]!r}, which its frame lacks",
            f"use one of: {', '.join(map(str, overlay.frame.columns))}",
        )
    frame = overlay.frame
    frame = frame.to_crs("EPSG:4326") if frame.crs else frame
    shapes = frame.geometry
    notes: list[str] = []
    usable = (shapes.notna() & ~shapes.is_empty).to_numpy()
    frame = frame[usable]
    if len(frame) > MAX_OVERLAY_FEATURES:
        keep = np.unique(np.linspace(0, len(frame) - 1, MAX_OVERLAY_FEATURES).astype(np.int64))
        notes.append(
            f"图层“{overlay.name_zh}”显示 {len(keep):,} / {len(frame):,} 个要素（均匀抽样） · "
            f"layer '{overlay.name_en}' shows an even sample of {len(keep):,} of "
            f"{len(frame):,} features"
        )
        frame = frame.iloc[keep]
    simple = shapely.simplify(frame.geometry.to_numpy(), _SIMPLIFY_DEG)
    geom = [encode_shape(shape) for shape in simple]
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
        "scale": SCALE,
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
        payload["values"] = rounded(values, 3)
        payload["bins"] = _bins(overlay, values)
    return payload, notes


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
        if missing(value) or (isinstance(value, float) and not math.isfinite(value)):
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
