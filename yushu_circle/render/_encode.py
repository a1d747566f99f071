"""Compact JSON encodings shared by the map's payload parts: rounded numbers, step-coded shapes."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np
import shapely

DECIMALS = 6
"""Decimals of map coordinates (about 0.1 m)."""
SCALE = 10**DECIMALS
"""Integer units per degree of step-coded coordinates."""
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$")
"""A colour the map accepts: ``#rgb`` or ``#rrggbb`` (nothing that can leave a CSS value)."""


def rounded(values: Any, decimals: int) -> list[float | None]:
    """Values rounded to ``decimals``, non-finite ones as None (JSON null)."""
    array = np.round(np.asarray(values, dtype=float), decimals)
    return [
        None if not math.isfinite(v) else (int(v) if decimals == 0 else v) for v in array.tolist()
    ]


def number(value: Any, decimals: int) -> float | int | None:
    """One value rounded to ``decimals``; None when it is not a finite number."""
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(result):
        return None
    return round(result) if decimals == 0 else round(result, decimals)


def missing(value: Any) -> bool:
    """True for None and NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def script_json(payload: Any) -> str:
    """JSON safe to place inside a ``<script>`` element.

    ``<``, ``>`` and ``&`` become ``\\u003c``, ``\\u003e``, ``\\u0026`` (so no ``</script>``
    or ``<!--`` can end or bend the element), and U+2028/U+2029 are escaped too.

    Parameters
    ----------
    payload : any
        JSON-serialisable data (NaN must already be ``None``).

    Returns
    -------
    str
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


def encode_shape(shape: Any) -> list[Any]:
    """``[0, x, y]`` point, ``[1, line, …]`` lines, ``[2, polygon, …]`` polygons (rings).

    Coordinates are integers in units of ``10**-6`` degrees (6 decimals); within a line or
    ring every vertex after the first is stored as the step from the one before.
    """
    parts = shapely.get_parts(shape)
    kinds = shapely.get_type_id(parts)
    polygons = parts[(kinds == 3)]
    lines = parts[(kinds == 1) | (kinds == 2)]
    if len(polygons):
        return [2, *[[steps(ring) for ring in [p.exterior, *p.interiors]] for p in polygons]]
    if len(lines):
        return [1, *[steps(line) for line in lines]]
    xy = np.round(shapely.get_coordinates(parts[:1]) * SCALE).astype(np.int64)
    return [0, int(xy[0, 0]), int(xy[0, 1])] if len(xy) else [0, 0, 0]


def steps(line: Any, scale: int = SCALE) -> list[int]:
    """A line or ring as ``[x0, y0, dx1, dy1, …]`` integers; a ring's closing vertex left out."""
    coords = shapely.get_coordinates(line)
    if shapely.get_type_id(line) == 2 and len(coords) > 1:
        coords = coords[:-1]
    result: list[int] = step_code(coords, scale)
    return result


def step_code(coords: np.ndarray, scale: int) -> list[int]:
    """Coordinates ``(n, 2)`` as integer steps: the first vertex, then each difference."""
    codes = np.round(np.asarray(coords)[:, :2] * scale).astype(np.int64)
    codes[1:] = np.diff(codes, axis=0)
    result: list[int] = codes.ravel().tolist()
    return result
