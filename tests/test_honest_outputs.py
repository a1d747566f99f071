"""Honest outputs: every assumed capacity flagged, every cited source one a reader can find.

The README's commands on the synthetic demo — ``run``, then ``plan`` with the elderly walker,
slope and siting, then ``report`` — and every file they write read back.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from yushu_circle.planning.supply import (
    CAPACITY_ASSUMED,
    CAPACITY_FROM_FILE,
    CAPACITY_UNIT,
    assumed_column,
)

INTERNAL_NOTES = ("STANDARDS.md", "DESIGN.md", "HELPERS.md", "../shared")
"""Working notes beside the project that no user has: no output may cite them."""
NOT_A_STANDARD = "not a GB 50180/TD/T 1062 figure"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from yushu_circle._resources import data_path
    from yushu_circle.cli import main

    root = tmp_path_factory.mktemp("honest")
    run, plan = root / "run", root / "plan"
    assert main(["--quiet", "run", "--out", str(run)]) == 0
    dem = data_path("demo", "jiegu_synthetic_dem.tif")
    argv = ["--quiet", "plan", "--standard", "gb50180", "--profile", "elderly", "--dem", str(dem)]
    assert main([*argv, "--site", "kindergarten", "--k", "3", "--out", str(plan)]) == 0
    assert main(["report", str(plan)]) == 0
    return run, plan


def _text(path: Path) -> str:
    """A file's words: tables and their metadata for Parquet, the text layer for a PDF."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        meta = b" ".join(v for v in (table.schema.metadata or {}).values()).decode("utf-8")
        frame = table.drop_columns(
            [c for c in ("geometry",) if c in table.column_names]
        ).to_pandas()
        return meta + frame.astype(str).to_csv()
    if path.suffix == ".pdf":
        if shutil.which("pdftotext") is None:
            pytest.skip("needs poppler-utils")
        return subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    if path.suffix == ".docx":
        import docx

        document = docx.Document(str(path))
        cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
        return "\n".join([p.text for p in document.paragraphs] + cells)
    return path.read_bytes().decode("utf-8", errors="replace")


def test_no_output_cites_a_working_note_no_user_has(outputs: tuple[Path, Path]) -> None:
    files = sorted(p for folder in outputs for p in folder.rglob("*") if p.is_file())
    assert {"summary.json", "plan_summary.json", "report.pdf", "report.docx", "report.html"} <= {
        p.name for p in files
    }
    for path in files:
        text = _text(path)
        for note in INTERNAL_NOTES:
            assert note not in text, f"{path.name} cites {note}"
    summary = json.loads((outputs[1] / "plan_summary.json").read_text(encoding="utf-8"))
    assert "Transportation Research Record 1538" in summary["profile"]["source"]


def test_every_figure_on_an_assumed_capacity_is_flagged(outputs: tuple[Path, Path]) -> None:
    plan = outputs[1]
    facilities = pd.read_csv(plan / "supply_facilities.csv", encoding="utf-8-sig")
    sources = {CAPACITY_FROM_FILE, CAPACITY_ASSUMED, CAPACITY_UNIT}
    assert set(facilities["capacity_source"]) <= sources
    assumed = facilities[facilities["capacity_source"] == CAPACITY_ASSUMED]
    assert len(assumed) and set(assumed["category"]) == {
        "kindergarten",
        "primary_school",
        "middle_school",
    }
    assert (
        facilities["capacity_assumed"].tolist()
        == (facilities["capacity_source"] == CAPACITY_ASSUMED).tolist()
    )
    for row in assumed.itertuples():
        assert f"= {row.capacity:,.0f} seats" in row.assumption and NOT_A_STANDARD in row.assumption
    # needed and overloaded use the assumed per-1,000 figure: wherever there is one, it says so
    uses = facilities["assumed_per_1000"].notna()
    assert facilities.loc[uses, "assumption"].str.contains(NOT_A_STANDARD).all()
    assert facilities.loc[~uses, "assumption"].isna().all()  # an empty cell: nothing assumed
    categories = set(assumed["category"])
    areas = pd.read_csv(plan / "supply.csv", encoding="utf-8-sig")
    flagged = areas["category"].isin(categories)
    assert areas.loc[flagged, "capacity_assumed"].all()
    assert not areas.loc[~flagged, "capacity_assumed"].any()
    assert areas.loc[flagged, "assumption"].str.contains(NOT_A_STANDARD).all()
    residences = gpd.read_parquet(plan / "supply_residences.parquet")
    assert {c for c in residences.columns if c.startswith("assumed_")} == {
        assumed_column(c) for c in categories
    }
    summary = json.loads((plan / "plan_summary.json").read_text(encoding="utf-8"))
    for category, brief in summary["supply"].items():
        assert brief["capacity_assumed"] == (category in categories)
        if category in categories:
            capacity = set(assumed.loc[assumed["category"] == category, "capacity"])
            assert capacity == {brief["assumption"]["capacity"]}
            assert brief["assumption"]["file"] == "data/assumptions/capacity.toml"
    report = (plan / "report.html").read_text(encoding="utf-8")
    word = _text(plan / "report.docx")
    for text in set(areas.loc[flagged, "assumption"]):
        assert text.replace("'", "&#x27;") in report and text in word
    for path in plan.iterdir():  # the old label presented a norm as the standard's
        if path.suffix in (".csv", ".json", ".html"):
            assert "standard-sized" not in path.read_text(encoding="utf-8-sig")
