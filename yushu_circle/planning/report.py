"""The plan's bilingual text report, as the command line prints it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from yushu_circle.planning.compliance import NOT_ASSESSED, Compliance, level_label
from yushu_circle.planning.siting import Siting
from yushu_circle.planning.supply import Supply
from yushu_circle.planning.whatif import WhatIf
from yushu_circle.profiles import PROFILES, Profile

if TYPE_CHECKING:
    from yushu_circle.study import Study


def banner(study: Study) -> str:
    if study.synthetic:
        return "NOTE 注意: SYNTHETIC demo data 合成示例数据 — not survey data."
    return f"Data 数据: {study.data.label}"


def pct(value: Any) -> str:
    number = float(value)
    return "   n/a" if not np.isfinite(number) else f"{100 * number:5.1f}%"


def compliance_text(result: Compliance, measure: str, walker: Profile, slope: bool) -> str:
    """Compliance per item, per level and overall for the study, then per area (full names)."""
    std = result.standard
    how = f"profile 步行者 {walker.label}" + (" + slope 坡度" if slope else "")
    lines = [f"Compliance 达标 — {std.title_zh} / {std.title} ({measure}; {how})"]
    lines.append("  Per item 各项设施 (share of population within the item's level 覆盖率):")
    for row in result.study_rows("item").itertuples():
        flag = "" if row.verified else "  (unverified 未核实)"
        if row.status == NOT_ASSESSED:
            flag = "  not assessed: no data (bring --facilities) 无数据未评估"
        lines.append(
            f"  {row.mark} {row.level_min:>4g} min  {row.category:<18} {row.name_zh:<12} "
            f"pop 人口 {pct(row.share_pop)}{flag}"
        )
    lines.append("  Per level 各层级 (share of population meeting every ▲ item of the level):")
    for row in result.study_rows("level").itertuples():
        flag = "" if row.verified else "  (rests on unverified rows 含未核实条目)"
        lines.append(f"    {row.category:<28} pop 人口 {pct(row.share_pop)}{flag}")
    lines.append(
        "  Per area 各片区: 达标率 = share of population meeting every assessed ▲ row; "
        "per level 各层级; mean = population-weighted share of ▲ rows met 平均达标比例"
    )
    for row in result.areas.itertuples():
        levels = "  ".join(f"{m}min {pct(getattr(row, level_label(m)))}" for m in result.levels)
        lines.append(f"    {row.area}")
        lines.append(
            f"      {row.residences:>6,} residences  达标率 {pct(row.rate_pop)}  {levels}"
            f"  mean {pct(row.mean_share)}"
        )
    lines.append(
        f"  {len(result.unverified)} assessed rows are from recollection (unverified 未核实): "
        "check them against the standard before citing."
    )
    return "\n".join(lines)


def completeness_text(table: pd.DataFrame) -> str:
    lines = ["Data completeness 数据完整性"]
    thin = table[table["thin"]]
    if thin.empty:
        lines.append("  every category looks plausibly mapped 各类设施数量合理")
    for row in thin.itertuples():
        lines.append(f"  ! {row.warning}")
    return "\n".join(lines)


def profiles_text(table: pd.DataFrame) -> str:
    pivot = table.pivot_table(index="category", columns="profile", values="share_pop_15min")
    pivot = pivot.reindex(table["category"].drop_duplicates())
    pivot = pivot[[c for c in PROFILES if c in pivot.columns]]
    text = pivot.map(pct).to_string()
    return "Share of population within 15 min per walker profile 各类人群15分钟覆盖率\n" + text


def siting_text(siting: Siting, study: Study) -> str:
    label = study.catalog[siting.category].label
    lines = [
        f"Siting 选址: {len(siting.sites)} new {label} ({siting.method}, "
        f"≤ {siting.threshold_min:g} min, {siting.candidates:,} candidates)",
        f"  coverage 覆盖率 {pct(siting.share_before)} → {pct(siting.share_after)}",
    ]
    for row in siting.sites.itertuples():
        lines.append(
            f"  #{row.rank} candidate {row.candidate}  +{row.added_population:,.0f} residents "
            f"新增覆盖人口 ({_degrees(row.geometry.y, 'NS')}, {_degrees(row.geometry.x, 'EW')})"
        )
    return "\n".join(lines)


def _degrees(value: float, hemispheres: str) -> str:
    """``33.00620 N`` / ``122.29128 W``: degrees with their hemisphere, never a minus sign."""
    return f"{abs(value):.5f} {hemispheres[0] if value >= 0 else hemispheres[1]}"


def whatif_text(diff: WhatIf) -> str:
    lines = ["What-if 情景对比 (share of population within the level 覆盖率)"]
    for row in diff.summary.itertuples():
        lines.append(
            f"  {row.Index:<18} {row.name_zh:<12} {pct(row.share_pop_before)} → "
            f"{pct(row.share_pop_after)}  better 改善 {row.residences_better:,}, "
            f"worse 变差 {row.residences_worse:,}"
        )
    if diff.summary.empty:
        lines.append("  no category changed 无变化")
    if diff.note:
        lines.append(f"  Note 注意: {diff.note}")
    return "\n".join(lines)


def supply_text(supply: Supply) -> str:
    """Supply and demand (2SFCA) per category for the whole study, and overloaded facilities.

    Every figure resting on an assumed capacity is marked ``*`` and the assumptions are
    stated below the table, with their numbers and file.
    """
    lines = [
        "Supply and demand 供需 (2SFCA: capacity per 1,000 residents in reach 千人拥有量; "
        "E2SFCA with distance decay; * = rests on an assumed capacity 假设容量)"
    ]
    study = supply.areas[supply.areas["area_kind"] == "study"]
    for row in study.to_dict("records"):
        mark = "*" if row["capacity_assumed"] else " "
        lines.append(
            f" {mark}{row['category']:<18} 2SFCA {row['sfca_per_1000']:8.3f}  E2SFCA "
            f"{row['e2sfca_per_1000']:8.3f}  no supply 无供给 {pct(row['share_pop_no_supply'])}"
            f"  [{row['capacity_from']}]"
        )
    lines.append(
        "  (study-wide, the population-weighted ratio is total capacity / population for both "
        "methods, the 2SFCA identity; the decay shows per residence and area: supply.csv, "
        "supply_residences.parquet)"
    )
    used = sorted({str(a) for a in study["assumption"] if str(a)})
    for text in used:
        lines.append(f"  * {text}")
    over = supply.overloaded
    if len(over):
        lines.append(
            f"  {len(over)} facilities over capacity 超负荷设施 (need = catchment × the assumed "
            "per-1,000 figure 按假设指标):"
        )
        for row in over.itertuples():
            lines.append(
                f"    {row.category} {row.facility_id} {row.name}: needs 需求 {row.needed:,.0f} "
                f"> capacity 容量 {row.capacity:,.0f}"
            )
    return "\n".join(lines)
