"""The report for the bureau: a bilingual report.html and report.pdf from a plan's output folder."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from yushu_circle.results import PlanFile, PlanResults

SYNTHETIC_NOTICE = "合成示例数据 SYNTHETIC demo data — places, names and numbers are made up"
_CSS = """
@page { size: A4; margin: 16mm 14mm; }
body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; font-size: 9.5pt;
       color: #222; }
h1 { font-size: 17pt; margin: 0 0 4pt; } h2 { font-size: 12.5pt; margin: 14pt 0 4pt;
     border-bottom: 1px solid #999; } h3 { font-size: 10.5pt; margin: 10pt 0 3pt; }
.banner { background: #b30000; color: #fff; padding: 5pt 8pt; font-weight: bold; }
.warn { color: #8a4b00; } table { border-collapse: collapse; width: 100%; margin: 4pt 0; }
th, td { border: 1px solid #bbb; padding: 2pt 4pt; text-align: left; vertical-align: top; }
th { background: #eee; } td.num { text-align: right; } img { width: 100%; }
.figure { page-break-inside: avoid; margin: 6pt 0; } .small { font-size: 8pt; color: #555; }
"""


def report_documents(plan: PlanResults, base_url: Path) -> dict[str, Callable[[Path], None]]:
    """How to write ``report.html`` and ``report.pdf`` of a plan.

    Parameters
    ----------
    plan : PlanResults
        The plan as its folder holds it (:func:`yushu_circle.io.read_plan`).
    base_url : Path
        The plan's folder (where the PDF renderer resolves relative links).

    Returns
    -------
    dict of str to callable
        Per file name, a function writing it to a path (for
        :func:`yushu_circle.io.write_atomically`).
    """
    from weasyprint import HTML

    document = report_html(plan)

    def html(path: Path) -> None:
        path.write_text(document, encoding="utf-8")

    def pdf(path: Path) -> None:
        HTML(string=document, base_url=str(base_url)).write_pdf(path)

    return {PlanFile.REPORT_HTML: html, PlanFile.REPORT_PDF: pdf}


def report_html(plan: PlanResults) -> str:
    """The report as one self-contained HTML document (maps inlined as PNG)."""
    summary = plan.summary
    table = _rows(plan.compliance)
    completeness, supply, supply_facilities, whatif = (
        _rows(frame)
        for frame in (plan.completeness, plan.supply, plan.supply_facilities, plan.whatif)
    )
    parts = [
        f"<style>{_CSS}</style>",
        "<h1>15分钟生活圈规划评估报告 · 15-minute living circle planning report</h1>",
    ]
    if summary.get("synthetic"):
        parts.append(f'<p class="banner">{SYNTHETIC_NOTICE}</p>')
    parts.append(_notes(summary, completeness))
    parts.append(_compliance(table, summary))
    parts.append(_maps(table, plan.areas, plan.clusters, plan.sites))
    parts.append(_supply(supply, supply_facilities))
    parts.append(_whatif(whatif, plan.sites, summary))
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        "<title>15分钟生活圈规划评估报告 · planning report</title></head>"
        f"<body>{body}</body></html>\n"
    )


def _rows(frame: pd.DataFrame | None) -> Any:
    """A table with its index (a CSV file's first column) as a column again."""
    return None if frame is None else frame.reset_index()


def _e(value: Any) -> str:
    return html.escape(str(value))


def _pct(value: Any) -> str:
    number = float(value)
    return "n/a" if not np.isfinite(number) else f"{100 * number:.1f}%"


def _notes(summary: dict[str, Any], completeness: pd.DataFrame | None) -> str:
    study = summary.get("study", {})
    profile = summary.get("profile", {})
    standard = summary.get("standard", {})
    rows = [
        ("区域 / 数据 Area and data", summary.get("data", "")),
        ("居住点来源 Residence source", study.get("residence_source", "")),
        (
            "居住点与人口 Residences and population",
            f"{study.get('residences', 0):,} residences · {study.get('population', 0):,.0f} "
            "people (population as the residence source gives it 人口来源同上)",
        ),
        ("标准 Standard", f"{standard.get('title_zh', '')} / {standard.get('title', '')}"),
        (
            "步行者 Walker",
            f"{profile.get('subtitle', profile.get('name', ''))}, "
            f"{float(profile.get('speed_kmh', float('nan'))):.2f} km/h",
        ),
    ]
    out = ["<h2>区域与数据说明 · Area and data notes</h2>", "<table>"]
    out += [f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows]
    out.append("</table>")
    warnings = []
    if completeness is not None and "warning" in completeness:
        warnings = [str(w) for w in completeness["warning"].dropna() if str(w)]
    out.append("<h3>数据完整性 · Completeness warnings</h3>")
    out.append(
        "<ul>" + "".join(f'<li class="warn">{_e(w)}</li>' for w in warnings) + "</ul>"
        if warnings
        else "<p>各类设施数量合理 · every category looks plausibly mapped</p>"
    )
    unverified = summary.get("unverified_rows", [])
    out.append("<h3>未核实的标准条目 · Unverified standard rows</h3>")
    out.append(
        f'<p class="warn">{len(unverified)} 条未核实，引用前请对照标准原文 · {len(unverified)} '
        f"rows are unverified, check them against the standard before citing: "
        f"{_e(', '.join(unverified))}</p>"
        if unverified
        else "<p>全部条目已核实 · every assessed row is verified</p>"
    )
    not_assessed = summary.get("not_assessed", [])
    if not_assessed:
        out.append(f"<p>无数据未评估 · not assessed (no data): {_e(', '.join(not_assessed))}</p>")
    return "\n".join(out)


def _compliance(table: pd.DataFrame, summary: dict[str, Any]) -> str:
    out = [
        "<h2>达标率 · Compliance</h2>",
        f"<p>达标率（全部必配设施）compliance rate, every ▲ item: "
        f"<b>{_pct(summary.get('compliance_rate_pop', np.nan))}</b> of the population. "
        "覆盖率 = share of population within the item's level; 层级达标率 = share meeting every "
        "▲ item of the level. ⚠ = unverified standard row 未核实.</p>",
    ]
    study = table[table["area_kind"] == "study"]
    levels = study[study["row_kind"] == "level"]
    out.append("<h3>各层级 · Per level</h3><table><tr><th>层级 Level</th>")
    area_rows = table[(table["row_kind"] != "item")]
    names = list(dict.fromkeys(area_rows["area"]))
    out.append("".join(f"<th>{_e(n)}</th>" for n in names) + "</tr>")
    pivot = area_rows.pivot_table(
        index="requirement", columns="area", values="share_pop", aggfunc="first"
    )
    for requirement in [*levels["requirement"], "overall"]:
        if requirement not in pivot.index:
            continue
        label = study.loc[study["requirement"] == requirement, "category"].iloc[0]
        flag = study.loc[study["requirement"] == requirement, "verified"].iloc[0]
        cells = "".join(f'<td class="num">{_pct(pivot.loc[requirement, n])}</td>' for n in names)
        out.append(f"<tr><td>{_e(label)}{'' if _true(flag) else ' ⚠'}</td>{cells}</tr>")
    out.append("</table>")
    items = study[study["row_kind"] == "item"]
    out.append(
        "<h3>各项设施 · Per item</h3><table><tr><th>▲/△</th><th>层级 Level</th>"
        "<th>设施 Item</th><th>覆盖率 Share (pop.)</th><th>居住点 Share (res.)</th>"
        "<th>来源 Source</th></tr>"
    )
    for row in items.itertuples():
        share = _pct(row.share_pop) if str(row.status).startswith("assessed") else "无数据 no data"
        out.append(
            f"<tr><td>{_e(row.mark)}</td><td>{row.level_min:g} min</td>"
            f"<td>{_e(row.name_zh)} {_e(row.category)}{'' if _true(row.verified) else ' ⚠'}"
            f'</td><td class="num">{share}</td><td class="num">{_pct(row.share_res)}</td>'
            f'<td class="small">{_e(row.source)}</td></tr>'
        )
    out.append("</table>")
    return "\n".join(out)


def _true(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1")


def _figure(draw: Callable[[Any], None], caption: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    font = font_manager.findfont("WenQuanYi Micro Hei", fallback_to_default=True)
    font_manager.fontManager.addfont(font)
    name = font_manager.FontProperties(fname=font).get_name()
    with plt.rc_context({"font.family": [name, "DejaVu Sans"], "axes.unicode_minus": False}):
        figure, axes = plt.subplots(figsize=(7.0, 4.2), dpi=110)
        draw(axes)
        axes.set_axis_off()
        axes.set_aspect("equal")
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
        plt.close(figure)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'<div class="figure"><img alt="{_e(caption)}" src="data:image/png;base64,{data}">'
        f'<p class="small">{_e(caption)}</p></div>'
    )


def _maps(
    table: pd.DataFrame,
    areas: gpd.GeoDataFrame,
    clusters: gpd.GeoDataFrame | None,
    sites: gpd.GeoDataFrame | None,
) -> str:
    polygons = areas[areas["area_kind"] != "study"]
    if polygons.empty:
        polygons = areas
    study = table[(table["area_kind"] == "study") & (table["row_kind"] == "item")]
    shares = pd.to_numeric(study["share_pop"], errors="coerce")
    failing = study[shares < 1.0].assign(_share=shares).sort_values("_share", kind="stable")
    out = ["<h2>地图 · Maps</h2>"]

    def choropleth(column: str, title: str) -> Callable[[Any], None]:
        def draw(axes: Any) -> None:
            polygons.plot(
                ax=axes,
                column=column,
                cmap="RdYlGn",
                vmin=0,
                vmax=1,
                edgecolor="#333",
                legend=True,
                legend_kwds={"label": "覆盖率 share of population", "shrink": 0.7},
            )
            for row in polygons.itertuples():
                point = row.geometry.representative_point()
                axes.annotate(
                    f"{_pct(getattr(row, column))}", (point.x, point.y), ha="center", fontsize=7
                )
            axes.set_title(title, fontsize=10)

        return draw

    for row in failing.head(4).itertuples():
        column = f"item_{row.requirement}"
        if column in polygons:
            title = (
                f"{row.name_zh} {row.category}: {row.level_min:g} 分钟覆盖率 share within "
                f"{row.level_min:g} min"
            )
            out.append(_figure(choropleth(column, title), title))
    if clusters is not None and len(clusters):

        def gaps(axes: Any) -> None:
            polygons.boundary.plot(ax=axes, color="#555", linewidth=0.8)
            clusters.plot(ax=axes, column="population", cmap="Reds", alpha=0.6, legend=True)
            axes.set_title("缺口聚类（未覆盖人口）Gap clusters (unserved population)", fontsize=10)

        out.append(_figure(gaps, f"缺口聚类 · gap clusters of every category ({PlanFile.GAPS})"))
    if sites is not None and len(sites):

        def proposed(axes: Any) -> None:
            polygons.plot(ax=axes, color="#eeeeee", edgecolor="#555")
            sites.plot(ax=axes, color="#6a3d9a", markersize=60)
            for row in sites.itertuples():
                axes.annotate(
                    f"#{row.rank} +{row.added_population:,.0f}",
                    (row.geometry.x, row.geometry.y),
                    xytext=(5, 5),
                    textcoords="offset points",
                    fontsize=8,
                )
            axes.set_title(
                "新选址与新增覆盖人口 Proposed sites, population newly covered", fontsize=10
            )

        out.append(_figure(proposed, f"新选址 · proposed sites ({PlanFile.SITING})"))
    return "\n".join(out)


def _supply(areas: pd.DataFrame | None, facilities: pd.DataFrame | None) -> str:
    out = ["<h2>供需 · Supply and demand (2SFCA)</h2>"]
    if areas is None:
        return "\n".join([*out, "<p>无供需结果 · no supply results in this folder</p>"])
    study = areas[areas["area_kind"] == "study"]
    out.append(
        "<p>千人拥有量 capacity per 1,000 residents within reach (2SFCA; E2SFCA with distance "
        "decay). 容量来源 capacity from: the planner's inventory, the standard's norm, or one "
        "per facility where neither is given.</p><table><tr><th>类别 Category</th>"
        "<th>2SFCA</th><th>E2SFCA</th><th>无供给人口 No supply</th><th>容量来源 Capacity from</th>"
        "</tr>"
    )
    sources = (
        facilities.groupby("category")["capacity_source"].agg(lambda s: ", ".join(sorted(set(s))))
        if facilities is not None and len(facilities)
        else pd.Series(dtype=str)
    )
    for row in study.itertuples():
        out.append(
            f"<tr><td>{_e(row.category)}</td><td class='num'>{row.sfca_per_1000:.3f}</td>"
            f"<td class='num'>{row.e2sfca_per_1000:.3f}</td>"
            f"<td class='num'>{_pct(row.share_pop_no_supply)}</td>"
            f"<td class='small'>{_e(sources.get(row.category, ''))}</td></tr>"
        )
    out.append("</table>")
    if facilities is not None and "overloaded" in facilities:
        over = facilities[facilities["overloaded"].map(_true)]
        out.append(
            f"<p>超负荷设施 facilities over capacity: {len(over)}"
            + (": " + _e(", ".join(over["facility_id"].astype(str))) if len(over) else "")
            + "</p>"
        )
    return "\n".join(out)


def _whatif(
    whatif: pd.DataFrame | None, sites: gpd.GeoDataFrame | None, summary: dict[str, Any]
) -> str:
    out = ["<h2>情景与选址 · What-if and siting</h2>"]
    siting = summary.get("siting")
    if siting:
        out.append(
            f"<p>选址 siting: {siting['k']} × {_e(siting['category'])} ({_e(siting['method'])}, "
            f"≤ {siting['threshold_min']:g} min): 覆盖率 {_pct(siting['share_pop_before'])} → "
            f"{_pct(siting['share_pop_after'])}</p>"
        )
    if whatif is not None and len(whatif):
        out.append(
            "<table><tr><th>类别 Category</th><th>之前 Before</th><th>之后 After</th>"
            "<th>改善 Better</th><th>变差 Worse</th></tr>"
        )
        for row in whatif.itertuples():
            out.append(
                f"<tr><td>{_e(row.category)}</td><td class='num'>{_pct(row.share_pop_before)}"
                f"</td><td class='num'>{_pct(row.share_pop_after)}</td>"
                f"<td class='num'>{row.residences_better:,}</td>"
                f"<td class='num'>{row.residences_worse:,}</td></tr>"
            )
        out.append("</table>")
    elif not siting:
        out.append("<p>本次规划未设情景 · this plan ran no what-if</p>")
    return "\n".join(out)
