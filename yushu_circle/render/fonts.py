"""One Chinese (CJK) font for every figure and the report: found once, or said missing once."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from yushu_circle.errors import InputError

CJK_FONT_ENV = "YUSHU_CJK_FONT"
"""Environment variable naming a font file (.ttf, .otf, .ttc) that draws Chinese."""
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "SimHei",
    "Heiti SC",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "Noto Serif SC",
    "SimSun",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
)
"""Families looked for first, sans-serif before serif; any other font fontconfig says draws
Chinese (``fc-list :lang=zh``) is taken after these."""
LATIN_FALLBACK = "DejaVu Sans"
"""Matplotlib's own font, for characters the CJK font lacks."""
MISSING_FONT_MESSAGE = (
    "注意 NOTE: 未找到中文字体，图中只显示英文 — no Chinese (CJK) font found: figures show their "
    "English labels only and Chinese text in report.pdf may show as boxes. Fix 解决: "
    "`apt install fonts-noto-cjk` (or fonts-wqy-microhei), or set "
    f"{CJK_FONT_ENV}=/path/to/a-CJK-font.ttf (.otf/.ttc)"
)
# Files of well-known CJK fonts, for systems without fontconfig (Windows, some macOS setups).
_FILE_HINTS = (
    "notosanscjk",
    "notoserifcjk",
    "notosanssc",
    "sourcehansans",
    "sourcehanserif",
    "wqy",
    "msyh",
    "simhei",
    "simsun",
    "pingfang",
    "hiragino",
)
_TEST_CHARS = "中文达标率"
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]+")


@dataclass(frozen=True)
class CjkFont:
    """A font that draws Chinese.

    Attributes
    ----------
    family : str
        The family name matplotlib and the report's CSS ask for.
    path : str
        Its file.
    given : bool
        ``True`` when the file came from :data:`CJK_FONT_ENV` (the report's CSS then loads
        it with ``@font-face``, whatever fontconfig knows).
    """

    family: str
    path: str
    given: bool = False


@cache
def cjk_font() -> CjkFont | None:
    """The font every figure draws Chinese with, or ``None`` (said once on stderr).

    Looked for in order: the file named by ``YUSHU_CJK_FONT``; a family of
    :data:`CJK_FAMILIES` matplotlib already knows; the fonts fontconfig says draw Chinese
    (``fc-list :lang=zh``, which also finds fonts installed after matplotlib built its
    cache); font files with well-known CJK names.

    Returns
    -------
    CjkFont or None

    Raises
    ------
    InputError
        When ``YUSHU_CJK_FONT`` names a file that is missing or draws no Chinese.
    """
    given = os.environ.get(CJK_FONT_ENV, "").strip()
    if given:
        return _given_font(given)
    found = _known_font() or _fontconfig_font() or _hinted_font()
    if found is None:
        print(MISSING_FONT_MESSAGE, file=sys.stderr, flush=True)
    return found


def families() -> list[str]:
    """Matplotlib's ``font.family`` list: the CJK font (when there is one), then DejaVu Sans."""
    font = cjk_font()
    return [font.family, LATIN_FALLBACK] if font else [LATIN_FALLBACK]


def figure_fonts() -> AbstractContextManager[None]:
    """Matplotlib settings for figures with Chinese text: ``with figure_fonts(): ...``."""
    import matplotlib.pyplot as plt

    return plt.rc_context({"font.family": families(), "axes.unicode_minus": False})


def text_font(small: bool = False) -> dict[str, Any]:
    """Font properties that draw 中文 when a Chinese font is installed.

    Pass them to matplotlib text calls (``ax.set_title(text, **text_font())``) or as a
    legend's ``prop``. Without a Chinese font they are empty (matplotlib's default).

    Parameters
    ----------
    small : bool
        Also ask for the ``small`` font size.

    Returns
    -------
    dict
        ``family`` (:func:`families`) and optionally ``size``.
    """
    props: dict[str, Any] = {"family": families()} if cjk_font() else {}
    if small:
        props["size"] = "small"
    return props


def legible(text: str) -> str:
    """``text`` as a figure can draw it: whole with a CJK font, else without its Chinese.

    A bilingual label such as ``幼儿园 kindergarten`` keeps its English half rather than
    showing boxes where no font draws Chinese; a part between ``·`` left with no word at
    all (``22% 的居住点 5 分钟内可达``) goes.
    """
    if cjk_font() is not None:
        return text
    return "\n".join(_latin(line) for line in str(text).split("\n"))


def _latin(line: str) -> str:
    parts = []
    for part in re.split(r"\s*·\s*", line):
        plain = _CJK.sub(" ", part)
        plain = re.sub(r"\(\s*\)", "", re.sub(r"\(\s+", "(", re.sub(r"\s+\)", ")", plain)))
        plain = re.sub(r"\s{2,}", " ", plain).strip(" /,;:")
        if re.search(r"[A-Za-z]", plain) or (plain and not _CJK.search(part)):
            parts.append(plain)
    return " · ".join(parts)


def css() -> str:
    """The report's font rules: an ``@font-face`` for a given file, then the families of the
    body and of the page margins (running header, page numbers)."""
    font = cjk_font()
    names = [font.family] if font else []
    names += [n for n in CJK_FAMILIES if n not in names]
    face = ""
    if font is not None and font.given:
        url = Path(font.path).as_uri()
        face = f'@font-face {{ font-family: "{font.family}"; src: url("{url}"); }}\n'
    stack = ", ".join(f'"{n}"' for n in names)
    return (
        f"{face}body {{ font-family: {stack}, sans-serif; }}\n"
        f"@page {{ font-family: {stack}, sans-serif; }}\n"
    )


def _given_font(text: str) -> CjkFont:
    path = Path(text).expanduser()
    fix = (
        f"set {CJK_FONT_ENV} to a .ttf/.otf/.ttc file that draws Chinese (e.g. "
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc), or unset it"
    )
    if not path.is_file():
        raise InputError(f"{CJK_FONT_ENV}={text!r}: no such font file", fix)
    try:
        names = _add(str(path.resolve()))
    except Exception as exc:  # FreeType's reasons for a file it cannot read vary
        raise InputError(f"{CJK_FONT_ENV}={text!r} is not a font file ({exc})", fix) from exc
    if not names or not _draws_chinese(str(path.resolve())):
        raise InputError(f"{CJK_FONT_ENV}={text!r} does not draw Chinese characters", fix)
    return CjkFont(_pick(names), str(path.resolve()), given=True)


def _known_font() -> CjkFont | None:
    from matplotlib import font_manager

    # regular faces last, so that they are the ones kept for a family
    faces = sorted(font_manager.fontManager.ttflist, key=lambda f: (f.weight == 400, f.fname))
    entries = {f.name: f.fname for f in faces}
    name = next((n for n in CJK_FAMILIES if n in entries), None)
    return None if name is None else CjkFont(name, entries[name])


def _fontconfig_font() -> CjkFont | None:
    if shutil.which("fc-list") is None:
        return None
    try:
        listing = subprocess.run(
            ["fc-list", "--format=%{file}\\n", ":lang=zh"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return _best(sorted({line.strip() for line in listing.splitlines() if line.strip()}))


def _hinted_font() -> CjkFont | None:
    from matplotlib import font_manager

    files = sorted(
        path
        for path in font_manager.findSystemFonts()
        if any(hint in Path(path).name.lower().replace("-", "") for hint in _FILE_HINTS)
    )
    return _best(files)


def _best(files: list[str]) -> CjkFont | None:
    """The preferred family among font files (added to matplotlib's list)."""
    found: dict[str, str] = {}
    for path in sorted(files, key=lambda p: ("bold" in Path(p).name.lower(), p)):
        try:
            names = _add(path)
        except Exception:  # a broken font file on the system is not ours to report
            continue
        for family in names:
            found.setdefault(family, path)
    name = next((n for n in CJK_FAMILIES if n in found), None)
    if name is None:
        candidates = sorted(n for n, p in found.items() if _draws_chinese(p))
        if not candidates:
            return None
        name = _pick(candidates)
    return CjkFont(name, found[name])


def _add(path: str) -> list[str]:
    """Add a font file to matplotlib's list; the family names of its faces."""
    from matplotlib import font_manager

    manager = font_manager.fontManager
    if not any(f.fname == path for f in manager.ttflist):
        manager.addfont(path)
    return sorted({f.name for f in manager.ttflist if f.fname == path})


def _pick(names: list[str]) -> str:
    """Of a file's faces, the simplified-Chinese one where the file holds several."""
    preferred = [n for n in CJK_FAMILIES if n in names]
    if preferred:
        return preferred[0]
    chinese = [n for n in names if re.search(r"\b(SC|CN|GB)\b", n)]
    return (chinese or names)[0]


def _draws_chinese(path: str) -> bool:
    from matplotlib import font_manager

    try:
        charmap = font_manager.get_font(path).get_charmap()
    except Exception:  # unreadable: it draws nothing
        return False
    return all(ord(c) in charmap for c in _TEST_CHARS)
