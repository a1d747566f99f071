"""The report as a list of blocks: headings, text, tables, figures — one content, two documents.

:mod:`yushu_circle.render.report_sections` builds the blocks from a plan's results;
:mod:`yushu_circle.render.report` writes them as HTML (and from it the PDF) and
:mod:`yushu_circle.render.report_docx` as a Word document, so both hold the same sections.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from yushu_circle.render import fonts

TextStyle = Literal["body", "small", "warn", "lead"]


@dataclass(frozen=True)
class Heading:
    """A section (``level`` 1, numbered, in the contents) or a subsection (``level`` 2)."""

    level: int
    text: str
    anchor: str


@dataclass(frozen=True)
class Text:
    """A paragraph."""

    text: str
    style: TextStyle = "body"


@dataclass(frozen=True)
class Bullets:
    """A list of short paragraphs."""

    items: tuple[str, ...]
    style: TextStyle = "body"


@dataclass(frozen=True)
class Table:
    """A table that fits the page: short headers, numbers right-aligned.

    Attributes
    ----------
    header : tuple of str
    rows : tuple of tuple of str
    numeric : tuple of int
        Columns aligned right.
    widths : tuple of float
        Relative column widths (empty: the renderer's).
    note : str
        A small line under the table.
    compact : bool
        Smaller type (the long per-community tables).
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[int, ...] = ()
    widths: tuple[float, ...] = ()
    note: str = ""
    compact: bool = False


@dataclass(frozen=True)
class Figure:
    """A figure drawn once: SVG (words as text) for the PDF, PNG for the Word document."""

    svg: bytes
    png: bytes
    caption: str


@dataclass(frozen=True)
class Cover:
    """The cover page: title, the synthetic/real flag and the cover's fields."""

    title: str
    subtitle: str
    flag: str
    synthetic: bool
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Contents:
    """The table of contents: every level-1 and level-2 heading after it, with its page."""


@dataclass(frozen=True)
class PageBreak:
    """Start a new page."""


Block = Heading | Text | Bullets | Table | Figure | Cover | Contents | PageBreak


def e(value: Any) -> str:
    """HTML-escaped text."""
    return html.escape(str(value))


def pct(value: Any, digits: int = 1) -> str:
    """A share as a percentage, ``n/a`` when it is not a number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "n/a"
    return "n/a" if not np.isfinite(number) else f"{100 * number:.{digits}f}%"


def people(value: Any) -> str:
    """A population, whole people with thousands separators."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "n/a"
    return "n/a" if not np.isfinite(number) else f"{number:,.0f}"


def true(value: Any) -> bool:
    """A flag read back from CSV or JSON (``True``, ``true``, ``1``)."""
    return str(value).strip().lower() in ("true", "1")


def figure(draw: Callable[[Any], None], caption: str, size: tuple[float, float]) -> Figure:
    """Draw one figure with the CJK font and keep it as SVG and as PNG.

    Parameters
    ----------
    draw : callable
        Draws onto the matplotlib ``Figure`` it is given.
    caption : str
    size : (float, float)
        Inches.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # SVG with its text kept as text: the PDF embeds the CJK font for the figures' words too
    # (searchable, sharp at any zoom); a fixed salt keeps the SVG's ids, so the file, stable.
    with fonts.figure_fonts(), plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "yc"}):
        made = plt.figure(figsize=size)
        try:
            draw(made)
            svg, png = io.BytesIO(), io.BytesIO()
            made.savefig(svg, format="svg", metadata={"Date": None})
            made.savefig(png, format="png", dpi=150, metadata={"Software": None})
        finally:
            plt.close(made)
    return Figure(svg.getvalue(), png.getvalue(), caption)
