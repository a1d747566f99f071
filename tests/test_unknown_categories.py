"""A facility category not in the catalog is reported by name with the nearest known one
(issue 27, item 10): in the terminal, ``summary.json``'s notes (which the map's notes read),
and for a what-if's added facilities in ``plan``'s report and ``plan_summary.json``. A typo
used to become a new 15-minute category unseen, dropping facilities from their category.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from cli_process import yushu
from conftest import JIEGU, _offset

from yushu_circle.catalog import Catalog

SENIOR = "老年活动中心"
TYPO = "elderly_daycar"


@pytest.fixture
def poi(tmp_path: Path) -> Path:
    """Three facilities: an unknown Chinese category, a known alias, an English typo."""
    rows = ["name,category,lon,lat"]
    named = [("示例老年活动中心", SENIOR), ("示例托老所", "托老所"), ("示例 typo", TYPO)]
    for dx, (name, category) in zip((-200, -40, 120), named, strict=True):
        lon, lat = _offset(JIEGU, dx, -242)
        rows.append(f"{name},{category},{lon:.7f},{lat:.7f}")
    path = tmp_path / "poi.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _unknown_notes(notes: list[str]) -> dict[str, str]:
    return {
        category: note
        for note in notes
        for category in (SENIOR, TYPO, "托老所")
        if f"category '{category}'" in note
    }


def test_run_names_each_unknown_category_and_its_nearest(
    poi: Path, town_osm: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = yushu(
        "--quiet", "run", "--osm-file", town_osm, "--facilities", poi, "--no-isochrones",
        "--out", out,
    )  # fmt: skip
    assert result.code == 0, result.err
    terminal = [line.removeprefix("Note 注意: ") for line in result.out.splitlines()]
    said = _unknown_notes(terminal)
    assert set(said) == {SENIOR, TYPO}  # 托老所 is an alias of elderly_daycare: no note
    assert said[TYPO].startswith(f"facilities file poi.csv: category '{TYPO}' (1 facility)")
    assert "did you mean elderly_daycare (老年人日间照料中心（托老所）)?" in said[TYPO]
    assert "did you mean culture_centre (文化活动中心) or elderly_daycare" in said[SENIOR]
    assert "新类别（15分钟）" in said[SENIOR] and "new 15-minute category" in said[SENIOR]
    meta = json.loads((out / "summary.json").read_text(encoding="utf-8"))["meta"]
    assert _unknown_notes(meta["notes"]) == said  # the map's notes are read from here
    page = (out / "map.html").read_text(encoding="utf-8")
    assert "did you mean elderly_daycare (老年人日间照料中心（托老所）)?" in page
    facilities = pd.read_parquet(out / "facilities.parquet")
    mine = facilities[facilities["source"] == "poi.csv"].set_index("name")["category"]
    assert mine["示例托老所"] == "elderly_daycare"
    assert mine["示例 typo"] == TYPO  # still counted, as its own category, and said so
    # The map rebuilt from the folder keeps the notes.
    assert yushu("--quiet", "map", out).code == 0
    assert "did you mean elderly_daycare" in (out / "map.html").read_text(encoding="utf-8")


def test_a_what_if_with_an_unknown_category_says_so(
    poi: Path, town_osm: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    result = yushu("--quiet", "plan", "--osm-file", town_osm, "--add", poi, "--out", out)
    assert result.code == 0, result.err
    note = next(line for line in result.out.splitlines() if "Note 注意: what-if" in line)
    assert f"category '{TYPO}' (1 facility) is not in the catalog" in note
    assert "did you mean elderly_daycare" in note
    summary = json.loads((out / "plan_summary.json").read_text(encoding="utf-8"))
    assert summary["whatif_note"] == note.strip().removeprefix("Note 注意: ")


@pytest.mark.parametrize(
    ("value", "nearest"),
    [
        ("elderly_daycar", ["elderly_daycare"]),
        ("Kindergarden", ["kindergarten"]),
        ("幼儿圆", ["kindergarten"]),
        ("clinc", ["clinic"]),
        (SENIOR, ["culture_centre", "elderly_daycare"]),
        ("村史馆", []),  # a planner's own category: nothing close, no guess
        ("New Kind", []),
    ],
)
def test_the_nearest_known_category(value: str, nearest: list[str]) -> None:
    assert Catalog.default().nearest(value) == nearest
