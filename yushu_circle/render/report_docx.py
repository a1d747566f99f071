"""The report as a Word document (``report.docx``, python-docx): the same blocks as the PDF.

Bureaus edit Word documents: the cover, contents (a Word TOC field, filled when Word updates
fields on opening), headings, tables, figures (PNG) and page numbers of ``report.pdf``, in
a file that is the same bytes for the same plan and date (fixed zip times, fixed document
properties).
"""

from __future__ import annotations

import datetime
import io
import zipfile
from typing import Any

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
)

_TEXT_WIDTH_MM = 180.0
_SIZES = {"body": 9.0, "small": 7.5, "warn": 9.0, "lead": 10.0}


def docx_bytes(blocks: list[Block], date: datetime.date, title: str) -> bytes:
    """The blocks as a ``.docx`` file's bytes (A4, page numbers, headings in Word's styles).

    Parameters
    ----------
    blocks : list of Block
        :func:`yushu_circle.render.report.report_blocks`.
    date : datetime.date
        The document's created and modified date (and its zip entries' time).
    title : str
        The document's title property.
    """
    from docx import Document
    from docx.shared import Mm, Pt

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(15)
    section.top_margin, section.bottom_margin = Mm(17), Mm(16)
    section.different_first_page_header_footer = True  # the cover has neither
    normal = document.styles["Normal"]
    normal.font.size = Pt(9)
    font = fonts.cjk_font()
    if font is not None:
        _east_asian(normal, font.family)
    _page_numbers(section.footer.paragraphs[0])
    header = section.header.paragraphs[0]
    header.add_run(title).font.size = Pt(7)
    headings = [b for b in blocks if isinstance(b, Heading) and b.anchor != "contents"]
    for block in blocks:
        _add(document, block, headings)
    properties = document.core_properties
    moment = datetime.datetime(date.year, date.month, date.day, tzinfo=datetime.UTC)
    properties.title = title
    properties.author = properties.last_modified_by = "yushu_circle"
    properties.created = properties.modified = properties.last_printed = moment
    properties.revision = 1
    _update_fields_on_open(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return _stable_zip(buffer.getvalue(), date)


def _add(document: Any, block: Block, headings: list[Heading]) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt, RGBColor

    if isinstance(block, Heading):
        document.add_heading(block.text, level=block.level)
    elif isinstance(block, Text):
        paragraph = document.add_paragraph()
        run = paragraph.add_run(block.text)
        run.font.size = Pt(_SIZES[block.style])
        if block.style == "warn":
            run.font.color.rgb = RGBColor(0x8A, 0x4B, 0x00)
    elif isinstance(block, Bullets):
        for item in block.items:
            paragraph = document.add_paragraph(style="List Bullet")
            paragraph.add_run(item).font.size = Pt(_SIZES[block.style])
    elif isinstance(block, Table):
        _table(document, block)
    elif isinstance(block, Figure):
        document.add_picture(io.BytesIO(block.png), width=Mm(_TEXT_WIDTH_MM - 4))
        caption = document.add_paragraph(style="Caption")
        caption.add_run(block.caption).font.size = Pt(7.5)
    elif isinstance(block, Cover):
        for _ in range(4):
            document.add_paragraph()
        run = document.add_paragraph().add_run(block.title)
        run.bold, run.font.size = True, Pt(24)
        run = document.add_paragraph().add_run(block.subtitle)
        run.font.size = Pt(15)
        flag = document.add_paragraph()
        run = flag.add_run(block.flag)
        run.bold, run.font.size = True, Pt(11)
        run.font.color.rgb = RGBColor(0xB3, 0x00, 0x00) if block.synthetic else None
        flag.alignment = WD_ALIGN_PARAGRAPH.LEFT
        _table(document, Table(("", ""), block.fields, widths=(1, 2.2)), header=False)
    elif isinstance(block, Contents):
        _contents(document, headings)
    elif isinstance(block, PageBreak):
        document.add_page_break()
    else:
        raise TypeError(f"not a report block: {block!r}")


def _table(document: Any, table: Table, header: bool = True) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    rows = ([table.header] if header else []) + list(table.rows)
    made = document.add_table(rows=len(rows), cols=len(table.header))
    made.style = "Table Grid"
    made.autofit = False
    weights = table.widths or (1.0,) * len(table.header)
    widths = [Mm(_TEXT_WIDTH_MM * w / sum(weights)) for w in weights]
    for r, (values, row) in enumerate(zip(rows, made.rows, strict=True)):
        for c, (value, cell) in enumerate(zip(values, row.cells, strict=True)):
            cell.width = widths[c]
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run(str(value))
            run.font.size = Pt(7 if table.compact else 8 if header or c else 8.5)
            run.bold = (header and r == 0) or (not header and c == 0)
            if c in table.numeric:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if header:  # the header row repeats on every page the table runs over
        properties = made.rows[0]._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        properties.append(repeat)
    if table.note:
        note = document.add_paragraph()
        note.add_run(table.note).font.size = Pt(7)


def _contents(document: Any, headings: list[Heading]) -> None:
    """A Word TOC field over headings 1–2; until Word fills it, the headings without pages."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, 'TOC \\o "1-2" \\h \\z \\u'), ("separate", None)):
        if kind is not None:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    for heading in headings:
        line = paragraph.add_run(("    " if heading.level == 2 else "") + heading.text)
        line.font.size = Pt(9 if heading.level == 1 else 8.5)
        line.add_break()
    hint = paragraph.add_run("（页码：在 Word 中更新域 · page numbers: update fields in Word）")
    hint.font.size = Pt(7)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    paragraph.add_run()._r.append(end)


def _page_numbers(paragraph: Any) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text, field in (("第 ", "PAGE"), (" 页，共 ", "NUMPAGES"), (" 页 · page ", "PAGE")):
        paragraph.add_run(text).font.size = Pt(7.5)
        simple = OxmlElement("w:fldSimple")
        simple.set(qn("w:instr"), field)
        run = OxmlElement("w:r")
        value = OxmlElement("w:t")
        value.text = "1"
        run.append(value)
        simple.append(run)
        paragraph._p.append(simple)


def _east_asian(style: Any, family: str) -> None:
    from docx.oxml.ns import qn

    properties = style.element.get_or_add_rPr()
    names = properties.get_or_add_rFonts()
    names.set(qn("w:eastAsia"), family)


def _update_fields_on_open(document: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    document.settings.element.append(update)


def _stable_zip(data: bytes, date: datetime.date) -> bytes:
    """The same zip with every entry dated ``date`` (zip times start in 1980)."""
    when = max(date, datetime.date(1980, 1, 1))
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(
                info.filename, date_time=(when.year, when.month, when.day, 0, 0, 0)
            )
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()
