"""Helpers shared by several test files (fixtures live in ``conftest.py``).

Test files import from here, never from one another: ``from helpers import ...``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
from conftest import CliResult, snapshot

from yushu_circle.errors import MAX_FRAGMENT

Cli = Callable[..., CliResult]
"""The ``cli`` fixture: runs the command line in-process, returns its :class:`CliResult`."""

MAX_LINE = 5 * MAX_FRAGMENT + 200
"""No error line is longer than this, whatever the input echoed."""

GOOD_CATEGORY = """
[[category]]
key = "clinic"
name_zh = "诊所"
name_en = "Clinic"
level = 15
match = [{ amenity = "clinic" }]
"""
"""A one-category catalog that loads: the base the bad catalogs change one thing in."""

SMALL_STANDARD = """key = "test"
title = "Test standard"
title_zh = "测试标准"

[[level]]
minutes = 5
radius_m = 300
name_zh = "五分钟"
verified = false
source = "test"

[[requirement]]
level = 5
category = "kindergarten"
name_zh = "幼儿园"
required = true
verified = false
source = "test"
"""
"""A one-level, one-requirement standard that loads: the base the bad standards change."""


def assert_one_line_error(result: CliResult, *fragments: str, code: int = 2) -> str:
    """The run failed with ``code`` and one clear error line holding every fragment."""
    assert result.code == code, result.err
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith("yushu-circle: error: ")
    assert " — fix: " in line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


def fails_cleanly(cli: Cli, out: Path, *args: str | Path, fragments: tuple[str, ...]) -> str:
    """Run a bad case into ``out`` (holding a good run) and check nothing there changed."""
    before = snapshot(out)
    result = cli("--quiet", "run", *args, "--out", out)
    line = assert_one_line_error(result, *fragments)
    assert snapshot(out) == before
    return line


def residences_csv(path: Path, rows: list[dict[str, object]], encoding: str = "utf-8") -> Path:
    """Write ``rows`` as a CSV file (in ``encoding``) at ``path``."""
    pd.DataFrame(rows).to_csv(path, index=False, encoding=encoding)
    return path
