"""The report's map, siting, what-if and supply sections.

One map per failing ▲ item (the sited category's first, then worst first), a gap map and a
map of the proposed sites, each naming the walker whose minutes it shows; the siting table
gives every site's longitude and latitude to five decimals; the supply section explains
2SFCA and E2SFCA where their figures stand and gives them per community.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from yushu_circle.render.report_blocks import Block, Heading, Table, Text, pct, people, true
from yushu_circle.render.report_cartography import MapFrame
from yushu_circle.render.report_maps import (
    MapWords,
    Marks,
    gap_map,
    points_frame,
    share_map,
    sites_map,
)
from yushu_circle.render.report_sections import (
    UNVERIFIED,
    chinese_names,
    english_names,
    frame,
    item_name,
    walker_text,
)
from yushu_circle.results import PlanResults


class FigureNumbers:
    """``图 n Figure n`` captions, numbered in the order the figures are made."""

    def __init__(self) -> None:
        self._count = itertools.count(1)

    def caption(self, text: str) -> str:
        number = next(self._count)
        return f"图 {number} Figure {number}: {text}"


def failing_items(plan: PlanResults) -> list[dict[Any, Any]]:
    """The ▲ items not everyone reaches: the sited category's first, then the lowest share."""
    table = frame(plan.compliance)
    assert table is not None
    study = table[(table["area_kind"] == "study") & (table["row_kind"] == "item")]
    shares = pd.to_numeric(study["share_pop"], errors="coerce")
    failing = study[(study["mark"] == "▲") & (shares < 1.0)].assign(_share=shares)
    sited = (plan.summary.get("siting") or {}).get("category")
    rows = failing.sort_values(["_share", "level_min", "requirement"], kind="stable")
    chosen = rows.to_dict("records")
    first = [r for r in chosen if r["category"] == sited]
    if sited is not None and not first:
        # The sited category always has its map, even when it is no failing ▲ item.
        extra = study[study["category"] == sited].head(1).to_dict("records")
        first = extra
    return first + [r for r in chosen if r["category"] != sited]


def maps_section(plan: PlanResults, view: MapFrame, numbers: FigureNumbers) -> list[Block]:
    """Communities and their mean share of ▲ items, one map per failing ▲ item, the gaps."""
    english = english_names(plan)
    walker = view.walker
    facilities = frame(plan.supply_facilities)
    out: list[Block] = [
        Heading(1, "地图 · Maps", "maps"),
        Text(
            "每幅图：社区按覆盖率着色并标注名称与百分比，灰线为研究区街道，◆ 为现有设施，虚线"
            "圈出该类设施步行范围外的居民聚类；比例尺、指北针、坐标系（UTM，米）见图。 Each map: "
            "communities coloured and labelled by their share, the study's streets in grey, ◆ "
            "the category's facilities today, dashed the clusters of residents beyond its "
            f"level; scale bar, north arrow and UTM grid (metres). {walker}.",
            "small",
        ),
        Heading(2, "社区总览 · Communities", "maps-overview"),
        share_map(
            view,
            "mean_share",
            MapWords(
                "各社区 ▲ 项平均满足比例 · Mean share of ▲ items met per community",
                numbers.caption(
                    "各社区名称与人口加权的 ▲ 项满足比例 · communities by name and the "
                    f"population-weighted share of ▲ items they meet ({walker})"
                ),
                "▲ 项平均满足比例（%）\nmean share of ▲ items met (%)",
            ),
            Marks(),
        ),
        Heading(2, "未达标的必配设施 · Failing ▲ items", "maps-items"),
    ]
    for row in failing_items(plan):
        out.append(_item_map(plan, view, row, english, facilities, numbers))
    gap = (plan.summary.get("findings") or {}).get("gap")
    if gap is not None:
        category = str(gap["category"])
        clusters = plan.clusters
        if clusters is not None:
            clusters = clusters[clusters["category"].astype(str) == category]
        name = english.get(category, category)
        threshold = f"{float(gap['threshold_min']):g}"
        unserved = {str(a["area"]): float(a["unserved_population"]) for a in gap["areas"]}
        count = 0 if clusters is None else len(clusters)
        out += [
            Heading(2, f"缺口 · Gaps: {gap['name_zh']} {name}", "maps-gaps"),
            gap_map(
                view,
                unserved,
                MapWords(
                    f"缺口：{gap['name_zh']} · Gaps: {name} (> {threshold} min)",
                    numbers.caption(
                        f"步行 {threshold} 分钟内无{gap['name_zh']}的人口：各社区着色并标注人数，"
                        f"虚线为未覆盖居民聚类（{count} 个）· people beyond {threshold} min of "
                        f"a {name}: communities coloured and labelled with their number, "
                        f"dashed the clusters of unserved residents ({count}; the largest "
                        f"labelled with their population) — {walker}"
                    ),
                ),
                Marks(points_frame(facilities, category), clusters=clusters),
            ),
        ]
    return out


def _item_map(
    plan: PlanResults,
    view: MapFrame,
    row: dict[Any, Any],
    english: dict[str, str],
    facilities: pd.DataFrame | None,
    numbers: FigureNumbers,
) -> Block:
    category = str(row["category"])
    level = f"{float(row['level_min']):g}"
    name = item_name(row, english)
    flag = "" if true(row["verified"]) else f" {UNVERIFIED}"
    clusters = None
    if plan.clusters is not None:
        clusters = plan.clusters[plan.clusters["category"].astype(str) == category]
    sited = (plan.summary.get("siting") or {}).get("category") == category
    words = MapWords(
        f"{name}{flag}：{level} 分钟覆盖率 · share within {level} min "
        f"(全区 study {pct(row['share_pop'])})",
        numbers.caption(
            f"{name}{flag}{'（选址类别 the sited category）' if sited else ''}: 各社区 "
            f"{level} 分钟覆盖率 · each community's share of population within {level} min "
            f"— {walker_text(plan.summary)}"
        ),
        f"覆盖率（%）\nshare within {level} min (%)",
    )
    marks = Marks(points_frame(facilities, category), clusters=clusters)
    return share_map(view, f"item_{row['requirement']}", words, marks)


def _name_zh(plan: PlanResults, category: str) -> str:
    return chinese_names(plan).get(category, category)


def siting_section(plan: PlanResults, view: MapFrame, numbers: FigureNumbers) -> list[Block]:
    """The proposed sites: a table with their locations and a map; the what-if."""
    summary = plan.summary
    siting = summary.get("siting")
    out: list[Block] = [Heading(1, "选址与情景 · Siting and what-if", "siting")]
    if siting and plan.sites is not None and len(plan.sites):
        category = str(siting["category"])
        name = english_names(plan).get(category, category)
        name_zh = _name_zh(plan, category)
        out.append(
            Text(
                f"新增 {siting['k']} 处{name_zh}，以 {siting['threshold_min']:g} 分钟内新增覆盖"
                f"人口最大为目标（{siting['method']}，{siting['candidates']:,} 个候选点）· "
                f"{siting['k']} new {name} sites chosen to cover the most people not yet "
                f"within {siting['threshold_min']:g} min ({siting['method']}; greedy reaches at "
                "least 63 % of the optimum, exact is proven optimal unless it says so; "
                f"{siting['candidates']:,} candidates). 覆盖率 share: "
                f"{pct(siting['share_pop_before'])} → {pct(siting['share_pop_after'])}. "
                f"{walker_text(summary)}."
            )
        )
        sites = plan.sites.sort_values("rank")
        rows = tuple(
            (
                str(row.rank),
                f"{row.geometry.x:.5f}",
                f"{row.geometry.y:.5f}",
                str(row.candidate),
                people(row.added_population),
                people(row.covered_population_after),
                pct(row.share_pop_after),
            )
            for row in sites.itertuples()
        )
        out.append(Heading(2, "选址表 · Table of sites", "siting-table"))
        out.append(
            Table(
                (
                    "序号 Rank",
                    "经度 Longitude (E)",
                    "纬度 Latitude (N)",
                    "候选点 Candidate",
                    "新增覆盖人口 Newly covered",
                    "累计覆盖 Covered after",
                    "之后覆盖率 Share after",
                ),
                rows,
                numeric=(1, 2, 4, 5, 6),
                widths=(0.7, 1.2, 1.2, 1.2, 1.2, 1.2, 1.1),
                note="经纬度为 WGS-84（GPS、OSM），高德/腾讯地图需换算为 GCJ-02 · longitude and "
                "latitude are WGS-84 (GPS, OSM); Amap/Tencent maps use GCJ-02.",
            )
        )
        clusters = None
        if plan.clusters is not None:
            clusters = plan.clusters[plan.clusters["category"].astype(str) == category]
        out.append(
            sites_map(
                view,
                sites,
                MapWords(
                    f"新选址：{name_zh} · Proposed sites: {name}",
                    numbers.caption(
                        f"新选址（★，序号与新增覆盖人口）、现有{name_zh}（◆）与今日未覆盖聚类 · "
                        f"proposed {name} sites (★, rank and people newly within "
                        f"{siting['threshold_min']:g} min), existing ones (◆) and today's "
                        f"unserved clusters — {walker_text(summary)}"
                    ),
                ),
                Marks(points_frame(frame(plan.supply_facilities), category), clusters=clusters),
            )
        )
    else:
        out.append(Text("本次规划未选址 · this plan sited no new facilities (plan --site)."))
    whatif = frame(plan.whatif)
    if whatif is not None and len(whatif):
        out.append(Heading(2, "情景对比 · What-if", "whatif"))
        out.append(
            Table(
                ("类别 Category", "之前 Before", "之后 After", "改善 Better", "变差 Worse"),
                tuple(
                    (
                        f"{r.get('name_zh', '')} {r['category']}",
                        pct(r["share_pop_before"]),
                        pct(r["share_pop_after"]),
                        people(r["residences_better"]),
                        people(r["residences_worse"]),
                    )
                    for r in whatif.to_dict("records")
                ),
                numeric=(1, 2, 3, 4),
                note="改善/变差 = 居住点数 residences whose walk got shorter / longer.",
            )
        )
    return out


def supply_section(plan: PlanResults, per_table: int = 7) -> list[Block]:
    """2SFCA and E2SFCA: what they are, the study-wide figures and each community's."""
    out: list[Block] = [Heading(1, "供需 · Supply and demand (2SFCA, E2SFCA)", "supply")]
    english = english_names(plan)
    areas = frame(plan.supply)
    if areas is None:
        return [*out, Text("无供需结果 · no supply results in this plan folder.")]
    out.append(
        Text(
            "两步移动搜索法（2SFCA）：第一步，每处设施的容量除以其服务范围（该项层级步行时间内）"
            "的人口，得到供需比；第二步，每个居住点把可达设施的供需比相加，乘以 1,000 即“千人"
            "拥有量”。增强型（E2SFCA）按步行时间分三段加权（1.00 / 0.68 / 0.22），近处居民分得"
            "更多。两者都把每处设施的全部容量分给其服务人口，所以全区的人口加权值都等于总容量 / "
            "总人口（恒等式，下表两列相同）；差别只在各社区与各居住点之间显现（第二张表）。 "
            "2SFCA: first each facility's capacity is divided by the population within its "
            "level's walk (its catchment); then each residence sums the ratios of the "
            "facilities it reaches — capacity per 1,000 residents in reach. E2SFCA weights "
            "three zones of the walk 1.00 / 0.68 / 0.22 (Luo & Qi 2009), so nearer residents "
            "get more. Both share out every facility's whole capacity, so for the whole study "
            "both equal total capacity / population (an identity: the two columns below are "
            "equal); the decay shows between communities and residences (second table). "
            f"{walker_text(plan.summary)}."
        )
    )
    study = areas[areas["area_kind"] == "study"]
    names = {key: f"{_name_zh(plan, key)} {english.get(key, key)}" for key in study["category"]}
    out.append(Heading(2, "全区 · Whole study", "supply-study"))
    out.append(
        Table(
            ("类别 Category", "2SFCA /1,000", "E2SFCA /1,000", "无供给 No supply", "容量来源 From"),
            tuple(
                (
                    names[r["category"]] + (" *" if true(r["capacity_assumed"]) else ""),
                    _ratio(r["sfca_per_1000"]),
                    _ratio(r["e2sfca_per_1000"]),
                    pct(r["share_pop_no_supply"]),
                    str(r["capacity_from"]),
                )
                for r in study.to_dict("records")
            ),
            numeric=(1, 2, 3),
            widths=(2.2, 1.1, 1.1, 1.1, 2.4),
            note="* 容量为规划者假设，非标准数值 capacity assumed by the planner, not a "
            "standard's figure: "
            + " | ".join(sorted({str(a) for a in study["assumption"].dropna() if str(a)})),
        )
    )
    communities = list(dict.fromkeys(areas.loc[areas["area_kind"] != "study", "area"].astype(str)))
    if communities:
        out.append(Heading(2, "各社区 · Per community (E2SFCA / 2SFCA)", "supply-areas"))
        pivot_e = areas.pivot_table(
            index="category", columns="area", values="e2sfca_per_1000", aggfunc="first"
        )
        pivot_s = areas.pivot_table(
            index="category", columns="area", values="sfca_per_1000", aggfunc="first"
        )
        order = list(dict.fromkeys(study["category"].astype(str)))
        assumed = {
            str(r["category"]) for r in study.to_dict("records") if true(r["capacity_assumed"])
        }
        out.append(
            Text(
                "每格：E2SFCA / 2SFCA，千人拥有量 · each cell: E2SFCA / 2SFCA per 1,000. "
                + " · ".join(f"{i + 1} = {n}" for i, n in enumerate(communities)),
                "small",
            )
        )
        for start in range(0, len(communities), per_table):
            chunk = communities[start : start + per_table]
            rows = [
                (
                    names[key] + (" *" if key in assumed else ""),
                    *(
                        f"{_ratio(pivot_e.loc[key, n])} / {_ratio(pivot_s.loc[key, n])}"
                        for n in chunk
                    ),
                )
                for key in order
                if key in pivot_e.index
            ]
            out.append(
                Table(
                    ("类别 Category", *(f"{start + i + 1}" for i in range(len(chunk)))),
                    tuple(rows),
                    numeric=tuple(range(1, len(chunk) + 1)),
                    widths=(2.6, *([1.3] * len(chunk))),
                    compact=True,
                )
            )
    facilities = frame(plan.supply_facilities)
    if facilities is not None and "overloaded" in facilities:
        over = facilities[facilities["overloaded"].map(true)]
        text = (
            f"超负荷设施 facilities over capacity (需求 = 服务人口 × 假设指标 need = catchment × "
            f"the assumed per-1,000 figure): {len(over)}"
        )
        if len(over):
            text += ": " + ", ".join(
                f"{r['name']} ({people(r['needed'])} > {people(r['capacity'])})"
                for r in over.to_dict("records")
            )
        out.append(Text(text))
    return out


def _ratio(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "n/a"
    if not np.isfinite(number):
        return "n/a"
    return f"{number:,.1f}" if abs(number) >= 10 else f"{number:.2f}"
