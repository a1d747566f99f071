"""Static PNG coverage maps, one per category, banded at 5/10/15 minutes like the HTML map."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from yushu_circle.columns import walk_min
from yushu_circle.render.payload import SYNTHETIC_BANNER, categories
from yushu_circle.results import StudyResults, coverage_png

_WIDTH_IN = 9.0


def png_writers(results: StudyResults, dpi: int = 150) -> dict[str, Callable[[Path], None]]:
    """Writers of one static coverage map per category, ``coverage_<category>.png``.

    Each shows the streets, residences in the HTML map's walk-minute classes (≤ 5, 5–10,
    10–15, 15–30, > 30 min, unreachable as ×), that category's facilities, the full
    bilingual title with the share within the category's level and, for the demo, the
    synthetic-data note. The figure takes the data's shape, so no blank band is left.

    Parameters
    ----------
    results : StudyResults
        The residences, facilities, meta and (drawn underneath) the streets.
    dpi : int
        Resolution.

    Returns
    -------
    dict of str to callable
        File name (:func:`yushu_circle.results.coverage_png`) → writer, for
        :func:`yushu_circle.io.write_atomically`.
    """
    residences, facilities = results.access, results.facilities
    writers = {}
    for cat in categories(residences, facilities, pd.DataFrame(), results.meta):
        writers[coverage_png(cat["key"])] = _writer(results, cat, dpi)
    return writers


def title(cat: Mapping[str, Any], share: float) -> str:
    """The bilingual two-line title of a category's PNG, the minutes in both languages.

    Parameters
    ----------
    cat : mapping
        ``key``, ``zh``, ``en``, ``level`` (minutes).
    share : float
        Share of residences within the level.

    Returns
    -------
    str
    """
    level = cat["level"]
    return (
        f"{cat['zh']} {cat['en']} — 步行分钟 walk minutes\n"
        f"{share:.0%} 的居住点 {level} 分钟内可达 · {share:.0%} of residences within "
        f"{level} min (生活圈 level {level} min)"
    )


def _writer(results: StudyResults, cat: Mapping[str, Any], dpi: int) -> Callable[[Path], None]:
    residences, facilities, edges = results.access, results.facilities, results.edges

    def write(path: Path) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from yushu_circle.render.fonts import legible, text_font
        from yushu_circle.render.plots import MINUTE_BANDS, residence_minutes

        column = walk_min(cat["key"])
        frame = residences.to_crs("EPSG:4326") if residences.crs else residences
        streets = edges.to_crs("EPSG:4326") if edges is not None and edges.crs else edges
        west, south, east, north = (streets if streets is not None else frame).total_bounds
        # Degrees of longitude shrink with latitude: the figure takes the map's true shape.
        ratio = (north - south) / max((east - west) * np.cos(np.radians((north + south) / 2)), 1e-9)
        fig, ax = plt.subplots(figsize=(_WIDTH_IN, float(np.clip(_WIDTH_IN * ratio, 4, 14))))
        try:
            residence_minutes(frame, column, ax=ax, edges=streets, bands=MINUTE_BANDS)
            mine = facilities[facilities["category"].astype(str) == cat["key"]]
            if not mine.empty:
                mine = mine.to_crs("EPSG:4326") if mine.crs else mine
                mine.plot(
                    ax=ax,
                    color=cat["color"],
                    edgecolor="black",
                    marker="D",
                    markersize=40,
                    zorder=5,
                )
            ax.set_aspect(1 / np.cos(np.radians((north + south) / 2)))
            ax.set_xlim(west, east)
            ax.set_ylim(south, north)
            share = float((frame[column] <= cat["level"]).mean()) if len(frame) else 0.0
            ax.set_title(legible(title(cat, share)), **text_font())
            footer = "◆ 设施 facilities · × 不可达 unreachable"
            if results.synthetic:
                footer = SYNTHETIC_BANNER + " · " + footer
            ax.annotate(
                legible(footer),
                (0.5, -0.01),
                xycoords="axes fraction",
                ha="center",
                va="top",
                color="#b00000",
                **text_font(small=True),
            )
            fig.savefig(path, dpi=dpi, format="png", bbox_inches="tight", pad_inches=0.08)
        finally:
            plt.close(fig)

    return write
