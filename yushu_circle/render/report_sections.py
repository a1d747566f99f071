"""The report's text sections: cover, summary of findings, data, compliance, caveats, appendices.

Every number is read from the plan's results (``plan_summary.json`` and its tables); the
findings were chosen and counted by :mod:`yushu_circle.planning.findings`. A figure that
rests on an unverified standard row carries ⚠; nothing is called a GB 50180 or TD/T 1062
figure unless its row is verified.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import pandas as pd

from yushu_circle.render.report_blocks import (
    Block,
    Bullets,
    Contents,
    Cover,
    Heading,
    PageBreak,
    Table,
    Text,
    pct,
    people,
    true,
)
from yushu_circle.results import PlanResults

TITLE = "15分钟生活圈规划评估报告"
TITLE_EN = "15-minute living circle planning report"
SYNTHETIC_NOTICE = "合成示例数据 SYNTHETIC demo data — places, names and numbers are made up"
REAL_NOTICE = "真实数据 Real data — OpenStreetMap and the planner's files as listed below"
UNVERIFIED = "⚠"
_SERVES = {"children": "儿童 children", "elderly": "老年人 elderly", "all": "全体 everyone"}


def frame(table: pd.DataFrame | None) -> pd.DataFrame | None:
    """A results table with its index (a CSV file's first column) as a column again."""
    if table is None:
        return None
    return table.reset_index() if table.index.name is not None else table


def walker_text(summary: dict[str, Any]) -> str:
    """The plan's walker as every figure it changes names it."""
    profile = summary.get("profile", {})
    speed = float(profile.get("speed_kmh", float("nan")))
    name = profile.get("subtitle") or profile.get("name", "")
    return f"步行者 Walker: {name}, {speed:.2f} km/h"


def item_name(row: Mapping[Any, Any], english: dict[str, str]) -> str:
    """An item as the report names it: ``幼儿园 Kindergarten``."""
    category = str(row.get("category", ""))
    return f"{row.get('name_zh', '')} {english.get(category, category)}".strip()


def english_names(plan: PlanResults) -> dict[str, str]:
    """Each category's English name, from the plan's completeness table."""
    return _names(plan, "name_en")


def chinese_names(plan: PlanResults) -> dict[str, str]:
    """Each category's Chinese name, from the plan's completeness table."""
    return _names(plan, "name_zh")


def _names(plan: PlanResults, column: str) -> dict[str, str]:
    table = frame(plan.completeness)
    if table is None or column not in table:
        return {}
    return dict(zip(table["category"].astype(str), table[column].astype(str), strict=True))


def cover(plan: PlanResults, date: datetime.date, date_note: str, version: str) -> list[Block]:
    """The cover page (title, area, date, tool version, data sources, synthetic flag) and
    the contents."""
    summary = plan.summary
    study = summary.get("study", {})
    standard = summary.get("standard", {})
    made_by = str(study.get("tool") or "yushu_circle (version not recorded)")
    tool = made_by if made_by.endswith(version) else f"{made_by} (report drawn by {version})"
    communities = int((plan.areas["area_kind"] != "study").sum())
    parts = (
        f"{communities} 个社区/片区 communities"
        if communities
        else "研究区整体，无社区边界 the study area as one (no community polygons)"
    )
    fields = [
        ("区域 Area", str(summary.get("data", ""))),
        (
            "范围 Extent",
            f"{parts} · {people(study.get('population'))} 人 people "
            f"· {people(study.get('residences'))} 个居住点 residences",
        ),
        ("日期 Date", f"{date.isoformat()} ({date_note})"),
        ("工具版本 Tool version", tool),
        ("标准 Standard", f"{standard.get('title_zh', '')} / {standard.get('title', '')}"),
        ("步行者 Walker", walker_text(summary).split(": ", 1)[-1]),
    ]
    for source in summary.get("sources", []):
        fields.append((f"数据来源 Source · {source['what']}", str(source["source"])))
    synthetic = bool(summary.get("synthetic"))
    return [
        Cover(
            title=TITLE,
            subtitle=TITLE_EN,
            flag=SYNTHETIC_NOTICE if synthetic else REAL_NOTICE,
            synthetic=synthetic,
            fields=tuple(fields),
        ),
        PageBreak(),
        Heading(1, "目录 · Contents", "contents"),
        Contents(),
    ]


def findings_section(plan: PlanResults, english: dict[str, str]) -> list[Block]:
    """One page: what the plan found, written from its numbers."""
    summary = plan.summary
    found = summary.get("findings")
    out: list[Block] = [Heading(1, "主要结论 · Summary of findings", "findings")]
    if not found:
        return [
            *out,
            Text(
                "此规划目录由旧版本写出，缺少结论数据，请重新运行 plan · this plan folder "
                "predates the findings: re-run `yushu-circle plan`",
                "warn",
            ),
        ]
    standard = summary.get("standard", {})
    overall = found["overall"]
    out.append(
        Text(
            f"对照 {standard.get('title_zh', '')}，{walker_text(summary)}：全部必配设施（▲）"
            f"达标人口占 {pct(overall['share_pop'])}，{people(overall['unserved_population'])} "
            f"人至少缺一项。 Against {standard.get('title', '')}, for this walker, "
            f"{pct(overall['share_pop'])} of {people(found['population'])} people reach every "
            f"▲ item within its level; {people(overall['unserved_population'])} lack at least one.",
            "lead",
        )
    )
    out.append(Heading(2, "各层级未达标人口 · Population unserved per level", "findings-levels"))
    out.append(
        Bullets(
            tuple(
                f"{level['minutes']}分钟生活圈 {level['minutes']}-minute level: "
                f"{pct(level['share_pop'])} 达标 meet every ▲ item; "
                f"{people(level['unserved_population'])} 人缺至少一项 lack one or more"
                + ("" if level["verified"] else f" {UNVERIFIED}")
                for level in found["levels"]
            )
        )
    )
    if found["worst_items"]:
        out.append(Heading(2, "覆盖最差的必配设施 · The worst ▲ items", "findings-items"))
        out.append(
            Bullets(
                tuple(
                    f"{item_name(row, english)} ({row['level_min']} 分钟 min): "
                    f"{pct(row['share_pop'])} 可达 within reach, "
                    f"{people(row['unserved_population'])} 人未覆盖 beyond it"
                    + ("" if row["verified"] else f" {UNVERIFIED}")
                    for row in found["worst_items"]
                )
            )
        )
    if found["areas_behind"]:
        out.append(Heading(2, "最落后的社区 · Communities furthest behind", "findings-areas"))
        out.append(
            Bullets(
                tuple(
                    f"{row['area']}: 平均满足 {pct(row['mean_share'])} 的▲项 meets "
                    f"{pct(row['mean_share'])} of ▲ items on average (达标率 "
                    f"{pct(row['rate_pop'])}, {people(row['population'])} 人 people); "
                    "最差 worst: "
                    + ", ".join(f"{w['name_zh']} {pct(w['share_pop'], 0)}" for w in row["worst"])
                    for row in found["areas_behind"]
                )
            )
        )
    if found.get("groups"):
        out.append(Heading(2, "一老一小 · Children and the elderly", "findings-groups"))
        out.append(Bullets(tuple(_group_line(row, english) for row in found["groups"])))
    siting = found.get("siting")
    if siting:
        name = english.get(siting["category"], siting["category"])
        name_zh = chinese_names(plan).get(siting["category"], name)
        out.append(Heading(2, "新选址的效果 · What the proposed sites change", "findings-sites"))
        out.append(
            Text(
                f"新增 {siting['sites']} 处{name_zh}（§ 选址）：{siting['threshold_min']:g} 分钟内"
                f"覆盖人口 {people(siting['covered_before'])} → {people(siting['covered_after'])}"
                f"（+{people(siting['added_population'])}），覆盖率 "
                f"{pct(siting['share_pop_before'])} → {pct(siting['share_pop_after'])}。 "
                f"{siting['sites']} new {name} sites would bring "
                f"{people(siting['added_population'])} more people within "
                f"{siting['threshold_min']:g} min: {pct(siting['share_pop_before'])} → "
                f"{pct(siting['share_pop_after'])} of the population."
            )
        )
    unverified = len(summary.get("unverified_rows", []))
    if unverified:
        out.append(
            Text(
                f"{UNVERIFIED} {unverified} 条标准条目未核实（层级、▲ 标记或半径凭记忆），引用前"
                f"请对照标准原文 · {unverified} assessed standard rows are unverified (level, ▲ "
                "or radius from recollection): check them against the standard before citing "
                "(§ caveats, appendix A).",
                "warn",
            )
        )
    return out


def _group_line(row: dict[str, Any], english: dict[str, str]) -> str:
    group = _SERVES.get(str(row["serves"]), str(row["serves"]))
    return (
        f"{item_name(row, english)} ({row['level_min']:g} 分钟 min) — {group}: "
        f"{people(row['group_within'])} / {people(row['group_people'])} 人可达 within reach "
        f"({pct(row['share_group'])})" + ("" if row["verified"] else f" {UNVERIFIED}")
    )


def data_section(plan: PlanResults) -> list[Block]:
    """Area and data: where every input came from, and what the residences are."""
    summary = plan.summary
    study = summary.get("study", {})
    rows = [
        ("区域 / 数据 Area and data", str(summary.get("data", ""))),
        ("居住点来源 Residences", str(study.get("residence_source", ""))),
        (
            "居住点与人口 Residences and population",
            f"{people(study.get('residences'))} residences · "
            f"{people(study.get('population'))} people",
        ),
        ("步行者 Walker", walker_text(summary).split(": ", 1)[-1]),
        ("步行速度来源 Walking speed from", str(summary.get("profile", {}).get("source", ""))),
        ("度量 Measure", str(summary.get("measure", ""))),
    ]
    notes = [str(n) for n in study.get("notes", []) or []]
    out: list[Block] = [
        Heading(1, "区域与数据 · Area and data", "data"),
        Table(("项目 Item", "说明 Details"), tuple(rows), widths=(1, 3.2)),
    ]
    if notes:
        out += [
            Heading(2, "运行说明 · Notes of the run", "data-notes"),
            Bullets(tuple(notes), "small"),
        ]
    return out


def compliance_section(plan: PlanResults, english: dict[str, str]) -> list[Block]:
    """Compliance per level (a row per community) and per item (sources in appendix A)."""
    summary = plan.summary
    table = frame(plan.compliance)
    assert table is not None
    levels = [int(m) for m in summary.get("levels", {})]
    study = table[table["area_kind"] == "study"]
    verified = {str(r["requirement"]): true(r["verified"]) for r in study.to_dict("records")}
    out: list[Block] = [
        Heading(1, "达标率 · Compliance", "compliance"),
        Text(
            f"{walker_text(summary)}. 覆盖率 = 该项所在层级步行时间内可达的人口比例 "
            "share of the population within the item's level; 层级达标 = 满足该层级全部 ▲ 项 "
            "meets every ▲ item of the level; 达标率 = 满足全部 ▲ 项 meets every ▲ item. "
            f"{UNVERIFIED} = 含未核实的标准条目 rests on an unverified standard row."
        ),
        Heading(2, "各社区各层级 · Per community and level", "compliance-levels"),
    ]
    header = ["社区 Community", "人口 People"]
    header += [
        f"{m}分钟 {m} min" + ("" if verified.get(f"level_{m}min", True) else f" {UNVERIFIED}")
        for m in levels
    ]
    header += [
        "达标率 All ▲" + ("" if verified.get("overall", True) else f" {UNVERIFIED}"),
        "平均 Mean",
    ]
    rows = []
    for row in plan.areas.to_dict("records"):
        rows.append(
            (
                str(row["area"]),
                people(row["population"]),
                *(pct(row.get(f"level_{m}min")) for m in levels),
                pct(row.get("rate_pop")),
                pct(row.get("mean_share")),
            )
        )
    out.append(
        Table(
            tuple(header),
            tuple(rows),
            numeric=tuple(range(1, len(header))),
            widths=(3.0, 1.1, *([1.0] * (len(header) - 2))),
            note="平均 Mean = 人口加权的 ▲ 项满足比例 population-weighted share of ▲ items met.",
        )
    )
    out.append(Heading(2, "各项设施 · Per item", "compliance-items"))
    items = study[study["row_kind"] == "item"]
    refs = source_numbers(plan)
    groups = "serves" in items
    header = ["▲/△", "层级 Level", "设施 Item", "覆盖率 People", "居住点 Homes"]
    if groups:
        header.append("一老一小 Group")
    header.append("注 Note")
    rows = []
    for row in items.to_dict("records"):
        assessed = str(row.get("status", "")).startswith("assessed")
        cells = [
            str(row["mark"]),
            f"{float(row['level_min']):g} min",
            item_name(row, english),
            pct(row["share_pop"]) if assessed else "无数据 no data",
            pct(row["share_res"]) if assessed else "",
        ]
        if groups:
            serves = str(row.get("serves", ""))
            cells.append(
                f"{_SERVES[serves].split(' ')[0]} {pct(row.get('share_group'))}"
                if serves in ("children", "elderly")
                else ""
            )
        note = "" if true(row["verified"]) else UNVERIFIED
        cells.append(f"{note} [{refs[str(row['source'])]}]".strip())
        rows.append(tuple(cells))
    widths = (0.5, 0.8, 3.2, 1.0, 1.0, *((1.3,) if groups else ()), 0.7)
    out.append(
        Table(
            tuple(header),
            tuple(rows),
            numeric=(3, 4, *((5,) if groups else ())),
            widths=widths,
            note="▲ 必配 required · △ 宜配 recommended · ◇ 规划者自定 the planner's own item. "
            "[n] = 附录 A 的来源 source n in appendix A."
            + (
                " 一老一小 = 该项所服务人群（儿童 0–14 岁或老年人）的可达比例 share of the "
                "group the item serves (children or the elderly) within its level."
                if groups
                else ""
            ),
        )
    )
    return out


def source_numbers(plan: PlanResults) -> dict[str, int]:
    """Each distinct source of the item rows, numbered in the order they first appear."""
    table = frame(plan.compliance)
    assert table is not None
    items = table[(table["area_kind"] == "study") & (table["row_kind"] == "item")]
    numbers: dict[str, int] = {}
    for source in items["source"].astype(str):
        numbers.setdefault(source, len(numbers) + 1)
    return numbers


def caveats_section(plan: PlanResults) -> list[Block]:
    """What a reader must know before using the figures."""
    summary = plan.summary
    study = summary.get("study", {})
    out: list[Block] = [Heading(1, "注意事项 · Caveats", "caveats")]
    items = []
    if summary.get("synthetic"):
        items.append(
            f"{SYNTHETIC_NOTICE}: 本报告的地点、名称和数字均为虚构，仅用于演示 · nothing here "
            "describes a real place."
        )
    else:
        items.append(
            "数据来自 OpenStreetMap 志愿者绘制，完整性因地而异 · OpenStreetMap is mapped by "
            "volunteers: what is missing from it is counted as absent."
        )
    unverified = summary.get("unverified_rows", [])
    if unverified:
        items.append(
            f"{UNVERIFIED} 未核实的标准条目 unverified standard rows ({len(unverified)}): "
            + ", ".join(unverified)
            + ". 其层级、▲ 标记或半径凭记忆，未对照标准原文；在核实前，本报告不把它们称为 "
            "GB 50180 / TD/T 1062 的规定 · their level, mark or radius is from recollection, "
            "so no figure resting on them is presented as the standard's."
        )
    source = str(study.get("residence_source", ""))
    if "sample point" in source:
        items.append(
            "居住点为沿居住街道的采样点，而非建筑 · residences are sample points along "
            f"residential streets, not buildings: {source}. 人口按街道长度分配，单个点的"
            "数字只代表其街段 · each point stands for its street segment's people."
        )
    else:
        items.append(f"居住点 Residences: {source}.")
    assumptions = sorted(
        {
            str(brief["assumption"]["text"])
            for brief in summary.get("supply", {}).values()
            if brief.get("assumption")
        }
    )
    for text in assumptions:
        items.append(f"容量为假设值 assumed capacity (*): {text}")
    items.append(f"步行速度 walking speed: {summary.get('profile', {}).get('source', '')}")
    out.append(Bullets(tuple(items)))
    completeness = frame(plan.completeness)
    if completeness is not None and "thin" in completeness:
        thin = completeness[completeness["thin"].map(true)]
        out.append(Heading(2, "数据完整性 · Data completeness", "caveats-completeness"))
        if thin.empty:
            out.append(Text("各类设施数量与人口相称 · every category looks plausibly mapped."))
        else:
            out.append(
                Text(
                    "以下类别在数据中少于人口所需，覆盖率可能偏低；请用 --facilities 补充清单 · "
                    "these categories are mapped fewer times than the population implies, so "
                    "their coverage is probably understated; add an inventory with "
                    "--facilities FILE."
                )
            )
            out.append(
                Table(
                    ("类别 Category", "已有 Mapped", "应有至少 Expected ≥", "覆盖率 Within level"),
                    tuple(
                        (
                            f"{r['name_zh']} {r['name_en']}",
                            people(r["facilities"]),
                            people(r["expected_min"]),
                            pct(r["share_pop_within_level"]),
                        )
                        for r in thin.to_dict("records")
                    ),
                    numeric=(1, 2, 3),
                    widths=(3, 1, 1.2, 1.2),
                )
            )
    return out


def appendix_sources(plan: PlanResults) -> list[Block]:
    """Appendix A: each standard row's source, numbered as the item table cites it."""
    refs = source_numbers(plan)
    return [
        Heading(1, "附录 A 标准条目来源 · Appendix A: sources of the standard's rows", "sources"),
        Table(
            ("[n]", "来源 Source"),
            tuple((f"[{n}]", source) for source, n in refs.items()),
            widths=(0.4, 6),
        ),
    ]


def appendix_areas(plan: PlanResults, english: dict[str, str], per_table: int = 7) -> list[Block]:
    """Appendix B: every item's share per community, a few communities per table."""
    table = frame(plan.compliance)
    assert table is not None
    items = table[table["row_kind"] == "item"]
    names = list(dict.fromkeys(items["area"].astype(str)))
    pivot = items.pivot_table(
        index="requirement", columns="area", values="share_pop", aggfunc="first", dropna=False
    )
    order = items[items["area_kind"] == "study"]
    out: list[Block] = [
        Heading(
            1, "附录 B 各社区各项覆盖率 · Appendix B: item shares per community", "appendix-areas"
        ),
        Text(
            "每格为该社区在该项所在层级内可达的人口比例 · each cell: the community's share of "
            "population within the item's level. "
            + " · ".join(f"{i + 1} = {n}" for i, n in enumerate(names)),
            "small",
        ),
    ]
    for start in range(0, len(names), per_table):
        chunk = names[start : start + per_table]
        rows = []
        for row in order.to_dict("records"):
            label = f"{row['mark']} {item_name(row, english)}"
            cells = (
                pct(pivot.loc[row["requirement"], n]) if n in pivot.columns else "n/a"
                for n in chunk
            )
            rows.append((label, *cells))
        out.append(
            Table(
                ("设施 Item", *(f"{start + i + 1}" for i in range(len(chunk)))),
                tuple(rows),
                numeric=tuple(range(1, len(chunk) + 1)),
                widths=(3.6, *([1.0] * len(chunk))),
                compact=True,
            )
        )
    return out
