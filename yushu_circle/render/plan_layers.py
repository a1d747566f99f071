"""Planning layers for the plan map — kept here only until ``planning/`` builds its own overlays.

This module is the one place in ``render/`` that knows planning's column names
(``rate_pop``, ``population``, ``walk_min_<key>_before/after``); the ``planning`` room is
taking it over, after which it goes away. ``render`` needs only :class:`Overlay`.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np

from yushu_circle.render.overlays import Overlay

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
