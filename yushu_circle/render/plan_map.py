"""The plan map: the plan's own walk minutes, an informative first view, sites, what-if, supply."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np

from yushu_circle.access import edge_minutes
from yushu_circle.columns import walk_min
from yushu_circle.planning.compliance import level_label
from yushu_circle.render.basemap import basemap_frame, basemap_overlays
from yushu_circle.render.maps import coverage_map
from yushu_circle.render.overlays import Overlay

if TYPE_CHECKING:
    from yushu_circle.planning.plan import Plan
    from yushu_circle.study import Study

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


def initial_view(plan: Plan) -> tuple[str | None, str]:
    """The category and the area column the plan map opens on.

    The per-item view of the first failing ▲ item whose areas differ (so the choropleth
    is not one colour); else the per-level layer whose areas differ most; else 达标率.

    Returns
    -------
    (str or None, str)
        Category key (None: the score view) and the ``Compliance.areas`` column.
    """
    result = plan.compliance
    areas = result.areas[result.areas["area_kind"] != "study"]
    first = result.first_failing()
    failing = [first] if first is not None else []
    failing += sorted(
        (
            r
            for r in result.assessed
            if r.required and r is not first and _value(result, r.label) < 1.0
        ),
        key=lambda r: (r.level, result.standard.requirements.index(r)),
    )
    for req in failing:
        column = f"item_{req.label}"
        if len(areas) == 0 or _spread(areas[column]) > 0:
            return req.category, column
    levels = [level_label(m) for m in result.levels]
    if levels and len(areas):
        best = max(levels, key=lambda c: _spread(areas[c]))
        if _spread(areas[best]) > 0:
            return None, best
    return None, "rate_pop"


def _value(result: Any, label: str) -> float:
    rows = result.study_rows("item").set_index("requirement")["share_pop"]
    value = float(rows.get(label, np.nan))
    return value if np.isfinite(value) else 1.0


def _spread(values: Any) -> float:
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    return float(finite.max() - finite.min()) if len(finite) else 0.0


def plan_overlays(study: Study, plan: Plan) -> list[Overlay]:
    """The plan's layers: the opening area view, levels, 达标率, gaps, sites, what-if, supply."""

    result = plan.compliance
    areas = result.areas
    _, column = initial_view(plan)
    popup = {"区域 Area": "area", "类型 Kind": "area_kind", "居住点 Residences": "residences"}
    layers: list[Overlay] = []

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

    for req in result.assessed:
        col = f"item_{req.label}"
        if col != column:
            continue
        flag = "" if req.verified else " (未核实 unverified)"
        layers.append(
            area_layer(
                f"{req.name_zh or req.category} {req.level}分钟覆盖率{flag}",
                f"{req.category} within {req.level} min{flag}",
                col,
                True,
            )
        )
    for m in result.levels:
        col = level_label(m)
        layers.append(
            area_layer(
                f"{m}分钟生活圈达标率（该层级全部▲设施）",
                f"{m}-minute level: every ▲ item met",
                col,
                col == column,
            )
        )
    layers.append(
        area_layer(
            "达标率（全部▲设施）",
            "Compliance rate (every ▲ item)",
            "rate_pop",
            column == "rate_pop",
        )
    )
    layers.append(
        Overlay(
            "缺口聚类（未覆盖人口）",
            "Gap clusters (unserved population)",
            plan.gaps.clusters,
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
    )
    if plan.siting is not None and len(plan.siting.sites):
        siting = plan.siting
        label = study.catalog[siting.category].label
        layers.append(
            Overlay(
                f"新选址 {label}（{siting.method}）",
                f"Proposed sites: {siting.category} ({siting.method})",
                siting.sites,
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
    if plan.whatif is not None:
        layers.extend(_whatif_layers(plan))
    supply = plan.supply.facilities
    if len(supply):
        layers.append(
            Overlay(
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
        )
    return layers


def _whatif_layers(plan: Plan) -> list[Overlay]:

    assert plan.whatif is not None
    diff = plan.whatif
    layers = []
    for key in diff.categories:
        before = diff.residences[walk_min(key) + "_before"].to_numpy(dtype=float)
        after = diff.residences[walk_min(key) + "_after"].to_numpy(dtype=float)
        changed = ~((before == after) | (np.isnan(before) & np.isnan(after)))
        part = diff.residences[changed].assign(saved_min=(before - after)[changed])
        row = diff.summary.loc[key]
        shares = f"{row['share_pop_before']:.0%} → {row['share_pop_after']:.0%}"
        layers.append(
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
    return layers


def plan_map(study: Study, plan: Plan) -> str:
    """``plan_map.html``: the plan's walker on the coverage map, opening on an informative view.

    Residences, streets, filter and coverage table carry the plan's own walk minutes (its
    profile and slope); the subtitle names the profile; the layers are
    :func:`plan_overlays`.

    Parameters
    ----------
    study : Study
    plan : Plan

    Returns
    -------
    str
        The HTML document.
    """

    edges = study.network.edges_frame()
    minutes = edge_minutes(plan.network, study.facility_snaps)
    basemap, notes = basemap_frame(study.features)
    meta = dict(study.metadata())
    unverified = [r.label for r in plan.compliance.unverified]
    extra = [
        f"步行者 {plan.walker.label}，{plan.network.speed_kmh:.2f} km/h"
        + ("，含坡度 with slope" if plan.options.dem is not None else "")
        + f" · walk minutes of the plan's walker ({plan.walker.name})"
    ]
    if unverified:
        extra.append(
            f"{len(unverified)} 条标准条目未核实 · {len(unverified)} standard rows unverified "
            f"(check before citing): {', '.join(unverified)}"
        )
    meta["notes"] = [*meta.get("notes", []), *extra, *notes]
    meta["map_subtitle"] = plan.subtitle
    meta["speed_kmh"] = plan.network.speed_kmh
    category, _ = initial_view(plan)
    access = plan.access
    if category is not None and walk_min(category) not in access:
        category = None
    return coverage_map(
        access,
        study.facilities,
        plan.coverage,
        meta,
        edges=gpd.GeoDataFrame(edges.join(minutes), crs=edges.crs),
        category=category,
        overlays=[*basemap_overlays(basemap), *plan_overlays(study, plan)],
    )
