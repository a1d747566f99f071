"""Hostile strings in the inputs stay data: escaped in the map, no spreadsheet formulas, no
path leaving the output folder; the package never evals or unpickles.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import street_side_points
from helpers import Cli, residences_csv
from validate import validate_output_folder

import yushu_circle
from yushu_circle import io as outputs
from yushu_circle.errors import InputError

PACKAGE = Path(yushu_circle.__file__).parent


def test_hostile_names_are_escaped_in_outputs(cli: Cli, town_osm: Path, tmp_path: Path) -> None:
    hostile = '<img src=x onerror=alert("poi")>'
    rows = [
        {"name": hostile, "category": '=HYPERLINK("http://evil")', "lon": x, "lat": y}
        for x, y in street_side_points()[:2]
    ]
    poi = residences_csv(tmp_path / "poi.csv", rows)
    out = tmp_path / "out"
    result = cli("--quiet", "run", "--osm-file", town_osm, "--facilities", poi, "--out", out)
    assert result.code == 0, result.err
    validate_output_folder(out)
    page = (out / "map.html").read_text(encoding="utf-8")
    assert "<img src=x onerror=" not in page  # neither the OSM name nor the file's
    facilities = pd.read_parquet(out / "facilities.parquet")
    assert hostile in set(facilities["name"])  # kept as data, not altered
    # No cell of the CSV report starts a spreadsheet formula.
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig", dtype=str)
    cells = summary.fillna("").to_numpy().ravel()
    assert not [c for c in cells if c[:1] in ("=", "+", "@")]
    assert any("HYPERLINK" in c for c in cells)
    json.loads((out / "summary.json").read_text(encoding="utf-8"))


def test_user_strings_cannot_write_outside_the_output_folder(
    cli: Cli, town_osm: Path, tmp_path: Path
) -> None:
    rows = [
        {"name": "../../../escape", "category": "../../../../tmp/escape", "lon": x, "lat": y}
        for x, y in street_side_points()[:2]
    ]
    poi = residences_csv(tmp_path / "poi.csv", rows)
    out = tmp_path / "out"
    before = {p for p in tmp_path.parent.rglob("*")}
    assert (
        cli("--quiet", "run", "--osm-file", town_osm, "--facilities", poi, "--out", out).code == 0
    )
    validate_output_folder(out)
    created = {p for p in tmp_path.parent.rglob("*")} - before
    assert created and all(p == out or out in p.parents for p in created)


def test_writer_names_cannot_leave_the_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        outputs.write_atomically(tmp_path, {"../escape.txt": lambda p: p.write_text("x")})
    assert "'../escape.txt'" in info.value.message
    assert not (tmp_path.parent / "escape.txt").exists()


def test_package_never_evals_or_unpickles() -> None:
    pattern = re.compile(r"\b(eval|exec)\(|pickle\.loads?\(|yaml\.load\(|marshal\.loads?\(")
    offenders = []
    for source in PACKAGE.rglob("*.py"):
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line) and "literal_eval" not in line:
                offenders.append(f"{source.name}:{number}: {line.strip()}")
    assert offenders == []
