"""Reading the user's text files (CSV tables, TOML configs): encodings, sizes, echoed fragments."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from yushu_circle.errors import InputError

ENCODINGS = ("utf-8-sig", "gb18030")
"""Text encodings a config file may use: UTF-8 (with or without BOM), then GBK/GB 18030."""
MAX_SHOWN = 200
"""Longest input fragment a message echoes."""


CACHE_ENV = "YUSHU_CACHE_DIR"
"""The environment variable naming the folder of the tool's caches (kernels, Overpass answers)."""


def user_cache_dir(name: str) -> Path:
    """A folder of the user's cache: ``$YUSHU_CACHE_DIR/<name>``, else ``<name>`` in the
    user cache folder of :mod:`platformdirs` (``~/.cache/yushu_circle`` on Linux); never
    the working folder, never the installed package."""
    base = os.environ.get(CACHE_ENV, "").strip()
    if not base:
        import platformdirs

        base = platformdirs.user_cache_dir("yushu_circle", appauthor=False)
    return Path(base) / name


MAX_TABLE_BYTES = 2 * 1024**3
"""Largest CSV table read (residences, facilities, areas): 2 GiB, some 30 million rows."""
MAX_CONFIG_BYTES = 16 * 1024**2
"""Largest config or scenario file read: 16 MiB, thousands of times a real one."""


def read_text(path: Path, what: str, fix: str, max_bytes: int = MAX_TABLE_BYTES) -> str:
    """The text of a user's file: UTF-8 (with or without BOM) or GBK/GB 18030, one way for all.

    Excel on a Chinese Windows machine saves "CSV" in GBK, "CSV UTF-8" with a BOM; both are
    read. A device, FIFO or folder (``/dev/zero``, ``/dev/stdin``) and a file over
    ``max_bytes`` are refused before anything is read, so no input can fill the memory.

    Parameters
    ----------
    path : Path
        The file.
    what : str
        What the file is, for messages (``scenario file``, ``residences file``).
    fix : str
        What the user can do when it is not text in those encodings.
    max_bytes : int
        The largest file read.

    Raises
    ------
    InputError
        When the file is missing, not a regular file, too large, unreadable, UTF-16
        (Excel's "Unicode text") or not text in those encodings.
    """
    check_regular_file(path, what)
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(
            f"{what} {path} is {size / 1024**2:,.0f} MiB, more than the "
            f"{max_bytes / 1024**2:,.0f} MiB such a file can sensibly be",
            "check that it is the right file",
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"{what} {path} cannot be read ({exc.strerror or exc})", "check its permissions"
        ) from None
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError(
            f"{what} {path} is UTF-16 text (Excel's 'Unicode text')",
            "save it as 'CSV UTF-8' (or plain CSV) instead",
        )
    for encoding in ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise InputError(f"{what} {path} is neither UTF-8 nor GBK text", fix)


def check_regular_file(path: Path, what: str) -> None:
    """Refuse a path that is missing, or no regular file (a folder, ``/dev/zero``, a pipe).

    Raises
    ------
    InputError
        Naming ``what`` and the path.
    """
    try:
        exists = path.exists()
    except OSError as exc:  # a name too long for the file system, a path through a file
        raise InputError(
            f"{what} {path} cannot be looked up ({exc.strerror or exc})", "check the path"
        ) from None
    if not exists:
        raise InputError(f"{what} {path} does not exist", "check the path")
    if not path.is_file():
        raise InputError(
            f"{what} {path} is not a regular file (a folder, device or pipe)",
            "give the path of a file saved on disk",
        )


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """Read a TOML config file in UTF-8 (with or without BOM) or GBK (:func:`read_text`).

    Parameters
    ----------
    path : Path
        The file.
    what : str
        What the file is (``catalog``, ``standards``), for messages.

    Raises
    ------
    InputError
        When the file is missing, not text in those encodings, or not valid TOML.
    """
    text = read_text(path, f"{what} file", "save it as UTF-8 TOML", MAX_CONFIG_BYTES)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(
            f"{what} file {path} is not valid TOML ({shorten(str(exc))})", "fix the TOML syntax"
        ) from None


def shorten(text: str, limit: int = MAX_SHOWN) -> str:
    """Cut an echoed input fragment to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
