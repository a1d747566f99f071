"""The terminal's summary table says why a median is missing (issue 27, item 11): a category
with no facility mapped is "本区无 none mapped here", one whose facilities nobody reaches is
"不可达 unreachable"; it used to print ``nan`` for both."""

from __future__ import annotations

import re
from pathlib import Path

from cli_process import yushu
from conftest import write_town
from osm_formats import REAL_TOWN


def _table(stdout: str) -> dict[str, str]:
    """Category key → its table row (the text after the key)."""
    rows = {}
    for line in stdout.splitlines():
        found = re.match(r"^([a-z_]+)\s+(.*)$", line)
        if found and found.group(1) != "category":
            rows[found.group(1)] = found.group(2)
    return rows


def test_none_mapped_and_unreachable_are_told_apart(tmp_path: Path) -> None:
    # Every facility of the town stands on a street island 3 km east: mapped, unreachable.
    town = write_town(tmp_path / "island.osm", island=True)
    result = yushu("--quiet", "run", "--osm-file", town, "--no-isochrones", "--out", tmp_path / "o")
    assert result.code == 0, result.err
    rows = _table(result.out)
    assert rows["clinic"].endswith("不可达 unreachable")
    assert rows["post_office"].endswith("本区无 none mapped here")
    assert "nan" not in result.out


def test_real_town_medians_are_numbers_or_say_why(tmp_path: Path) -> None:
    out = tmp_path / "o"
    result = yushu("--quiet", "run", "--osm-file", REAL_TOWN, "--no-isochrones", "--out", out)
    assert result.code == 0, result.err
    rows = _table(result.out)
    assert len(rows) >= 30
    assert rows["hospital"].endswith("本区无 none mapped here")  # none in the extract
    assert re.search(r"\s\d+\.\d$", rows["kindergarten"])  # 11 mapped and reached
    assert "nan" not in result.out
