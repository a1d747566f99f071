"""The plan map: the plan's own walk minutes, an informative first view, sites, what-if, supply.

Drawn from a :class:`~yushu_circle.results.PlanResults`; which view opens is the plan's
choice (:func:`yushu_circle.planning.plan.initial_view`).
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd

from yushu_circle.columns import walk_min
from yushu_circle.errors import InputError
from yushu_circle.render.maps import coverage_map
from yushu_circle.render.overlays import Overlay
from yushu_circle.render.view import MapView
from yushu_circle.results import PlanLayers, PlanResults

RATE_BREAKS = (0.2, 0.4, 0.6, 0.8)
"""Class bounds of the 达标率 layer (红 < 20 % … 绿 ≥ 80 %)."""
_SAVED_BREAKS = (-5.0, -0.5, 0.5, 5.0)
_SAVED_RAMP = ("#d73027", "#fc8d59", "#d9d9d9", "#91cf60", "#1a9850")
_GAP_RAMP = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")
_RATE_RAMP = ("#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850")
_SHARE_RAMP = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
# one hue, darker = more people served: the classes are relative to the areas, so no
# "green = good" reading of, say, 23 %
_LOAD_RAMP = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027")


def plan_overlays(plan: PlanResults, layers: PlanLayers) -> list[Overlay]:
    """The plan's layers: the opening area view, levels, 达标率, gaps, sites, what-if, supply.

    Parameters
    ----------
    plan : PlanResults
        The plan's areas, clusters, sites and what-if.
    layers : PlanLayers
        Which area view opens, the assessed items and levels, the sited category.

    Returns
    -------
    list of Overlay
    """
    areas = plan.areas
    column = layers.column
    popup = {"区域 Area": "area", "类型 Kind": "area_kind", "居住点 Residences": "residences"}
    drawn: list[Overlay] = []

    def area_layer(name_zh: str, name_en: str, col: str, shown: bool) -> Overlay:
        # equal steps between the areas' own lowest and highest share (Overlay's default),
        # so areas that differ get different colours even when all are under 20 %
        return Overlay(
            name_zh,
            name_en,
            areas,
            color="#444444",
            column=col,
            breaks=RATE_BREAKS if col == "rate_pop" else None,
            ramp=_RATE_RAMP if col == "rate_pop" else _SHARE_RAMP,
            value_format="{:.0%}",
            popup=popup | {"覆盖率（人口） Share (population)": col, "达标率 Rate": "rate_pop"},
            shown=shown,
            fill_opacity=0.35,
            weight=2.0,
        )

    for req in layers.items:
        col = f"item_{req.label}"
        if col != column:
            continue
        flag = "" if req.verified else " (未核实 unverified)"
        drawn.append(
            area_layer(
                f"{req.name_zh or req.category} {req.level}分钟覆盖率{flag}",
                f"{req.category} within {req.level} min{flag}",
                col,
                True,
            )
        )
    for m, col in layers.levels:
        drawn.append(
            area_layer(
                f"{m}分钟生活圈达标率（该层级全部▲设施）",
                f"{m}-minute level: every ▲ item met",
                col,
                col == column,
            )
        )
    drawn.append(
        area_layer(
            "达标率（全部▲设施）",
            "Compliance rate (every ▲ item)",
            "rate_pop",
            column == "rate_pop",
        )
    )
    if plan.clusters is not None:
        drawn.append(_gap_layer(plan.clusters))
    if plan.sites is not None and len(plan.sites) and layers.sited is not None:
        drawn.append(
            Overlay(
                f"新选址 {layers.sited_label}（{layers.siting_method}）",
                f"Proposed sites: {layers.sited} ({layers.siting_method})",
                plan.sites,
                color="#6a3d9a",
                popup={
                    "序号 Rank": "rank",
                    "候选点 Candidate": "candidate",
                    "新增覆盖人口 Newly covered population": "added_population",
                    "新增覆盖居住点 Newly covered residences": "added_residences",
                    "之后覆盖率 Share after": "share_pop_after",
                },
                fill_opacity=0.95,
                radius=9.0,
            )
        )
    if plan.whatif is not None and plan.whatif_residences is not None:
        drawn.extend(_whatif_layers(plan.whatif, plan.whatif_residences, layers))
    supply = layers.supply_points
    if supply is not None and len(supply):
        drawn.append(_supply_layer(supply))
    return drawn


def _gap_layer(clusters: gpd.GeoDataFrame) -> Overlay:
    return Overlay(
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
    )


def _supply_layer(supply: gpd.GeoDataFrame) -> Overlay:
    return Overlay(
        "供需：设施负荷（需求/容量）",
        "Supply and demand: facility load (need / capacity)",
        supply.assign(
            load=np.where(
                supply["capacity"] > 0,
                supply["catchment_population"] / supply["capacity"],
                np.nan,
            )
        ),
        color="#333333",
        column="load",
        ramp=_LOAD_RAMP,
        value_format="{:,.0f}",
        popup={
            "设施 Facility": "name",
            "类别 Category": "category",
            "容量 Capacity": "capacity",
            "容量来源 Capacity from": "capacity_source",
            "服务范围人口 Catchment population": "catchment_population",
            "千人拥有量 Per 1,000": "ratio_per_1000",
            "超负荷 Over capacity": "overloaded",
            "假设 Assumed": "assumption",
        },
        shown=False,
        fill_opacity=0.9,
        radius=6.0,
    )


def _whatif_layers(
    summary: pd.DataFrame, residences: gpd.GeoDataFrame, layers: PlanLayers
) -> list[Overlay]:
    drawn = []
    for key in layers.whatif_categories:
        before = residences[walk_min(key) + "_before"].to_numpy(dtype=float)
        after = residences[walk_min(key) + "_after"].to_numpy(dtype=float)
        changed = ~((before == after) | (np.isnan(before) & np.isnan(after)))
        part = residences[changed].assign(saved_min=(before - after)[changed])
        row = summary.loc[key]
        shares = f"{row['share_pop_before']:.0%} → {row['share_pop_after']:.0%}"
        drawn.append(
            Overlay(
                f"情景对比：节省步行分钟 · {key}（覆盖率 {shares}）",
                f"What-if: walk minutes saved · {key} (share {shares})",
                part,
                color="#333333",
                column="saved_min",
                breaks=_SAVED_BREAKS,
                ramp=_SAVED_RAMP,
                popup={
                    "居住点 Residence": "residence_id",
                    "之前 Before (min)": walk_min(key) + "_before",
                    "之后 After (min)": walk_min(key) + "_after",
                    "节省 Saved (min)": "saved_min",
                },
                fill_opacity=0.95,
                radius=6.0,
            )
        )
    return drawn


def plan_map(plan: PlanResults, view: MapView | None = None) -> str:
    """``plan_map.html``: the plan's walker on the coverage map, opening on an informative view.

    Residences, streets, filter and coverage table carry the plan's own walk minutes
    (``plan.walker``: its profile and slope; its subtitle names the profile); the map opens
    on ``plan.layers.category`` and the layers are :func:`plan_overlays`.

    Parameters
    ----------
    plan : PlanResults
        From :func:`yushu_circle.planning.plan.plan_results` (with ``walker`` and ``layers``).
    view : MapView, optional
        Budgets and the Tianditu key; its category and overlays are the plan's.

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    InputError
        When the plan carries no map (read back from a folder).
    """
    if plan.walker is None or plan.layers is None:
        raise InputError(
            "these plan results carry no map (they were read back from a folder)",
            "run the plan again (yushu-circle plan) to draw plan_map.html",
        )
    view = dataclasses.replace(
        view or MapView(),
        category=plan.layers.category,
        overlays=plan_overlays(plan, plan.layers),
    )
    return coverage_map(plan.walker, view)
