"""The maps' and charts' colours, defined once: Python draws with them and hands them to the page.

The red-to-green ramp colours walk minutes (≤ 5 min green … > 30 min red), scores and
compliance rates (0–20 % red … 80–100 % green) on the HTML maps, the PNGs and the report's
charts alike; the page's script receives every colour in its data (``MapPayload.colors``)
and defines none.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

RED_TO_GREEN = ("#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850")
"""The five-class ramp, worst class first (ColorBrewer RdYlGn)."""
MINUTE_BANDS = (5.0, 10.0, 15.0, 30.0)
"""Upper bounds of the walk-minute classes (≤ 5, 5–10, 10–15, 15–30, > 30 min)."""
MINUTE_COLORS = tuple(reversed(RED_TO_GREEN))
"""Walk-minute class colours, shortest walk first."""
SCORE_BANDS = (0.2, 0.4, 0.6, 0.8)
"""Upper bounds of the score classes (share of the standard's categories within level)."""
NEUTRAL = "#d9d9d9"
"""The middle class of a diverging ramp (no change)."""
NONE_COLOR = "#555555"
"""Unreachable, off the network or no data."""
STREET_GREY = "#9a9a9a"
"""Streets in the score view."""
BACKGROUND = "#f4f1ea"
"""The offline basemap's paper colour (the page's background)."""
REACH_COLORS = {5: "#3f007d", 10: "#f768a1", 15: "#00a6a6"}
"""A clicked residence's 5/10/15-minute reach: deep purple, pink, teal — hues apart from the
red-yellow-green minutes, and apart from one another as seen one over the other (CIE76 ΔE
≥ 40 between the bands; the navy and purple of before were 17 apart, hard to tell)."""
REACH_OPACITY = 0.5
"""Opacity of each reach band (the streets' colours show through)."""
ROUTE_COLOR = "#111111"
"""The walking route (dashed)."""
FACILITY_PALETTE = (
    "#332288",
    "#88ccee",
    "#44aa99",
    "#aa4499",
    "#882255",
    "#4477aa",
    "#cc99dd",
    "#117a8b",
    "#99ddff",
    "#6f4e7c",
    "#bbbbbb",
    "#222222",
)
"""Facility colours, by category order: cool and purple hues kept apart from the red-yellow-green
minutes scale (Paul Tol's muted/light schemes, without their red, green and yellow)."""


def reach_as_seen(background: str = BACKGROUND) -> dict[int, str]:
    """The colour a planner sees in each reach band: the bands drawn 15, 10, 5 over the paper.

    The 5-minute streets lie under all three bands, the 10-minute ones under two; the legend
    shows these colours and a test keeps them apart.
    """
    seen = {}
    color = _rgb(background)
    for minutes in sorted(REACH_COLORS, reverse=True):
        color = color * (1 - REACH_OPACITY) + _rgb(REACH_COLORS[minutes]) * REACH_OPACITY
        seen[minutes] = "#" + "".join(f"{round(v * 255):02x}" for v in color)
    return seen


def page_colors() -> dict[str, Any]:
    """Every colour the page's script draws with, as JSON-ready values.

    ``minutes`` and ``score`` are classes ``{max, color, label}`` (``max`` None: no upper
    bound), ``reach`` per minutes ``{color, seen}``, then single colours.
    """
    bands = [f"{b:g}" for b in MINUTE_BANDS]
    minute_labels = [f"≤ {bands[0]}"] + [f"{a}–{b}" for a, b in itertools.pairwise(bands)]
    minute_labels = [f"{text} 分钟 min" for text in [*minute_labels, f"> {bands[-1]}"]]
    shares = [0, *(round(b * 100) for b in SCORE_BANDS), 100]
    score_labels = [f"{a}–{b}%" for a, b in itertools.pairwise(shares)]
    seen = reach_as_seen()
    return {
        "minutes": _classes(MINUTE_BANDS, MINUTE_COLORS, minute_labels),
        "score": _classes(SCORE_BANDS, RED_TO_GREEN, score_labels),
        "reach": [
            {"minutes": m, "color": REACH_COLORS[m], "seen": seen[m]} for m in sorted(REACH_COLORS)
        ],
        "reachOpacity": REACH_OPACITY,
        "none": NONE_COLOR,
        "street": STREET_GREY,
        "route": ROUTE_COLOR,
    }


def _classes(
    bounds: tuple[float, ...], colors: tuple[str, ...], labels: list[str]
) -> list[dict[str, Any]]:
    tops: list[float | None] = [*bounds, None]
    return [
        {"max": top, "color": color, "label": label}
        for top, color, label in zip(tops, colors, labels, strict=True)
    ]


def _rgb(color: str) -> np.ndarray:
    text = color.lstrip("#")
    return np.array([int(text[i : i + 2], 16) for i in (0, 2, 4)], dtype=float) / 255.0
