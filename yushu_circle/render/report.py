"""The report for the bureau: report.pdf, report.docx and report.html from a plan's results.

A4, bilingual (中文 first): a cover (title, area, date, tool version, data sources, the
synthetic/real flag), contents with page numbers, a one-page summary of findings, the data,
compliance per level and item, maps (one per failing ▲ item, the gaps), siting, supply and
demand, caveats and appendices. The content is built once as blocks
(:mod:`yushu_circle.render.report_blocks`) and written as HTML — which weasyprint lays out
as the PDF — and as a Word document (:mod:`yushu_circle.render.report_docx`).
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib.metadata
from collections.abc import Callable
from pathlib import Path

from yushu_circle.render import fonts
from yushu_circle.render.report_blocks import (
    Block,
    Bullets,
    Contents,
    Cover,
    Figure,
    Heading,
    PageBreak,
    Table,
    Text,
    e,
)
from yushu_circle.render.report_cartography import map_frame
from yushu_circle.render.report_sections import (
    SYNTHETIC_NOTICE,
    TITLE,
    TITLE_EN,
    appendix_areas,
    appendix_sources,
    caveats_section,
    compliance_section,
    cover,
    data_section,
    english_names,
    findings_section,
    walker_text,
)
from yushu_circle.render.report_spatial import (
    FigureNumbers,
    maps_section,
    siting_section,
    supply_section,
)
from yushu_circle.results import PlanFile, PlanResults

__all__ = ["SYNTHETIC_NOTICE", "report_blocks", "report_documents", "report_html"]

DATE_FROM_PLAN = "规划计算日 the day the plan was written"
"""How the cover explains a date taken from the plan's folder."""
DATE_GIVEN = "report --date"
_CSS = """
@page { size: A4; margin: 17mm 14mm 16mm 14mm;
  @top-left { content: "15分钟生活圈规划评估报告 · 15-minute living circle planning report";
              font-size: 7pt; color: #777; }
  @top-right { content: var(--flag); font-size: 7pt; color: #b30000; }
  @bottom-center { content: "第 " counter(page) " 页，共 " counter(pages) " 页 · page "
                   counter(page) " of " counter(pages); font-size: 7.5pt; color: #555; } }
@page :first { @top-left { content: none; } @top-right { content: none; }
               @bottom-center { content: none; } }
body { font-size: 9pt; color: #222; line-height: 1.35; }
h1 { font-size: 14pt; margin: 0 0 6pt; border-bottom: 1.2px solid #555; padding-bottom: 2pt; }
h2 { font-size: 10.5pt; margin: 10pt 0 4pt; page-break-after: avoid; }
p { margin: 3pt 0; } ul { margin: 3pt 0; padding-left: 14pt; } li { margin: 1.5pt 0; }
.lead { font-size: 10pt; } .small { font-size: 7.5pt; color: #444; } .warn { color: #8a4b00; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 2pt; table-layout: fixed; }
th, td { border: 0.6px solid #aaa; padding: 1.5pt 3pt; text-align: left; vertical-align: top;
         font-size: 8pt; overflow-wrap: break-word; }
table.compact th, table.compact td { font-size: 7pt; padding: 1pt 2.5pt; line-height: 1.2; }
th { background: #eee; font-weight: bold; } td.num, th.num { text-align: right; }
thead { display: table-header-group; } tr { page-break-inside: avoid; }
.note { font-size: 7pt; color: #555; margin: 0 0 6pt; }
.figure { page-break-inside: avoid; margin: 4pt 0 8pt; } .figure img { width: 100%; }
.caption { font-size: 7.5pt; color: #333; margin: 1pt 0 0; }
.cover { padding-top: 40mm; }
.cover-title { font-size: 24pt; font-weight: bold; margin: 0; }
.cover-sub { font-size: 15pt; color: #444; margin: 4pt 0 16pt; }
.flag { font-size: 11pt; font-weight: bold; padding: 5pt 8pt; margin: 0 0 14pt; }
.flag.synthetic { background: #b30000; color: #fff; } .flag.real { border: 1.5px solid #333; }
.cover table th { width: 32%; background: #f4f4f4; } .cover table td, .cover table th {
  font-size: 8.5pt; }
ul.toc { list-style: none; padding: 0; } ul.toc li { margin: 2.5pt 0; }
ul.toc li.l2 { padding-left: 14pt; font-size: 8.5pt; color: #333; }
ul.toc a { color: inherit; text-decoration: none; }
ul.toc a::after { content: leader('.') target-counter(attr(href), page); }
.break { page-break-after: always; }
"""


def report_documents(
    plan: PlanResults,
    base_url: Path,
    date: datetime.date | None = None,
    date_note: str = DATE_GIVEN,
) -> dict[str, Callable[[Path], None]]:
    """How to write ``report.pdf``, ``report.docx`` and ``report.html`` of a plan.

    Parameters
    ----------
    plan : PlanResults
        The plan as its folder holds it (:func:`yushu_circle.io.read_plan`).
    base_url : Path
        The plan's folder (where the PDF renderer resolves relative links).
    date : datetime.date, optional
        The report's date (cover, PDF and Word metadata); default 1 January 1970 — never the
        clock, so the same plan gives the same bytes (:func:`yushu_circle.io.write_report`
        passes the plan's day).
    date_note : str
        Where the date came from, as the cover says it.

    Returns
    -------
    dict of str to callable
        Per file name, a function writing it to a path (for
        :func:`yushu_circle.io.write_atomically`).
    """
    from weasyprint import HTML

    from yushu_circle.render.report_docx import docx_bytes

    day = date or datetime.date(1970, 1, 1)
    blocks = report_blocks(plan, day, date_note)
    document = html_document(blocks, plan, day)

    def html(path: Path) -> None:
        path.write_text(document, encoding="utf-8")

    def pdf(path: Path) -> None:
        HTML(string=document, base_url=str(base_url)).write_pdf(path)

    def docx(path: Path) -> None:
        path.write_bytes(docx_bytes(blocks, day, f"{TITLE} · {TITLE_EN}"))

    return {PlanFile.REPORT_PDF: pdf, PlanFile.REPORT_DOCX: docx, PlanFile.REPORT_HTML: html}


def report_html(plan: PlanResults, date: datetime.date | None = None) -> str:
    """The report as one self-contained HTML document (figures inlined as SVG, words as text)."""
    day = date or datetime.date(1970, 1, 1)
    return html_document(report_blocks(plan, day, DATE_GIVEN), plan, day)


def report_blocks(plan: PlanResults, date: datetime.date, date_note: str) -> list[Block]:
    """The report's content, in order: the cover to the appendices.

    Sections (level-1 headings) are numbered, appendices lettered; the figures are drawn
    here, once, for both documents.
    """
    english = english_names(plan)
    numbers = FigureNumbers()
    view = map_frame(plan, walker_text(plan.summary))
    body = [
        *findings_section(plan, english),
        *data_section(plan),
        *compliance_section(plan, english),
        *maps_section(plan, view, numbers),
        *siting_section(plan, view, numbers),
        *supply_section(plan),
        *caveats_section(plan),
    ]
    numbered: list[Block] = []
    section = 0
    for block in body:
        if isinstance(block, Heading) and block.level == 1:
            section += 1
            block = dataclasses.replace(block, text=f"{section} {block.text}")
        numbered.append(block)
    blocks = [
        *cover(plan, date, date_note, _version()),
        *numbered,
        *appendix_sources(plan),
        *appendix_areas(plan, english),
    ]
    # Every section and appendix starts a page; one break, however the sections end.
    paged: list[Block] = []
    for block in blocks:
        starts = isinstance(block, Heading) and block.level == 1
        if starts and paged and not isinstance(paged[-1], PageBreak):
            paged.append(PageBreak())
        if not (isinstance(block, PageBreak) and paged and isinstance(paged[-1], PageBreak)):
            paged.append(block)
    return paged


def _version() -> str:
    try:
        return importlib.metadata.version("yushu_circle")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def html_document(blocks: list[Block], plan: PlanResults, date: datetime.date) -> str:
    """The blocks as one HTML document, styled for A4 (weasyprint)."""
    synthetic = bool(plan.summary.get("synthetic"))
    flag = "合成示例数据 SYNTHETIC" if synthetic else ""
    headings = [b for b in blocks if isinstance(b, Heading) and b.anchor != "contents"]
    body = "\n".join(_html(block, headings) for block in blocks)
    style = fonts.css() + _CSS.replace("var(--flag)", f'"{flag}"')
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{e(TITLE)} · {e(TITLE_EN)}</title>"
        f'<meta name="dcterms.created" content="{date.isoformat()}">'
        f'<meta name="generator" content="yushu_circle {e(_version())}">'
        f"<style>{style}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def _html(block: Block, headings: list[Heading]) -> str:
    if isinstance(block, Heading):
        tag = "h1" if block.level == 1 else "h2"
        return f'<{tag} id="{e(block.anchor)}">{e(block.text)}</{tag}>'
    if isinstance(block, Text):
        return f'<p class="{block.style}">{e(block.text)}</p>'
    if isinstance(block, Bullets):
        items = "".join(f"<li>{e(item)}</li>" for item in block.items)
        return f'<ul class="{block.style}">{items}</ul>'
    if isinstance(block, Table):
        return _html_table(block)
    if isinstance(block, Figure):
        import base64

        data = base64.b64encode(block.svg).decode("ascii")
        return (
            f'<div class="figure"><img alt="{e(block.caption)}" '
            f'src="data:image/svg+xml;base64,{data}">'
            f'<p class="caption">{e(block.caption)}</p></div>'
        )
    if isinstance(block, Cover):
        rows = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in block.fields)
        kind = "synthetic" if block.synthetic else "real"
        return (
            f'<div class="cover"><p class="cover-title">{e(block.title)}</p>'
            f'<p class="cover-sub">{e(block.subtitle)}</p>'
            f'<p class="flag {kind}">{e(block.flag)}</p><table>{rows}</table></div>'
        )
    if isinstance(block, Contents):
        items = "".join(
            f'<li class="l{h.level}"><a href="#{e(h.anchor)}">{e(h.text)}</a></li>'
            for h in headings
        )
        return f'<ul class="toc">{items}</ul>'
    if isinstance(block, PageBreak):
        return '<div class="break"></div>'
    raise TypeError(f"not a report block: {block!r}")


def _html_table(table: Table) -> str:
    total = sum(table.widths) if table.widths else 0
    cols = (
        "<colgroup>"
        + "".join(f'<col style="width:{100 * w / total:.1f}%">' for w in table.widths)
        + "</colgroup>"
        if total
        else ""
    )

    def cell(tag: str, index: int, text: str) -> str:
        kind = ' class="num"' if index in table.numeric else ""
        return f"<{tag}{kind}>{e(text)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(table.header))
    rows = "".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>"
        for row in table.rows
    )
    note = f'<p class="note">{e(table.note)}</p>' if table.note else ""
    kind = ' class="compact"' if table.compact else ""
    return f"<table{kind}>{cols}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{note}"
