"""Reading the user's TOML config files (catalog, standards): encodings and echoed fragments."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from yushu_circle.errors import InputError

ENCODINGS = ("utf-8-sig", "gb18030")
"""Text encodings a config file may use: UTF-8 (with or without BOM), then GBK/GB 18030."""
MAX_SHOWN = 200
"""Longest input fragment a message echoes."""


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """Read a TOML config file in UTF-8 (with or without BOM) or GBK.

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
    if not path.is_file():
        raise InputError(f"{what} file {path} does not exist", "pass an existing TOML file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"{what} file {path} cannot be read ({exc.strerror})", "check it"
        ) from None
    for encoding in ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            break
    else:
        raise InputError(
            f"{what} file {path} is neither UTF-8 nor GBK text", "save it as UTF-8 TOML"
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(
            f"{what} file {path} is not valid TOML ({shorten(str(exc))})", "fix the TOML syntax"
        ) from None


def shorten(text: str, limit: int = MAX_SHOWN) -> str:
    """Cut an echoed input fragment to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
