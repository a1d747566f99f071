"""An output folder holds one run (issue 31, class 1): a run replaces exactly the files its kind
owns — what an earlier run wrote and this one does not goes in the same step — and a move that
fails late puts every earlier file back, byte for byte, naming the file that failed.

Before, ``run --no-isochrones`` kept an earlier run's ``isochrones.parquet`` (of residences no
longer there), a second ``plan`` without ``--site`` kept the first plan's sites (and ``report``
presented them as this plan's), and a late failure changed files while saying "left intact".
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from cli_process import yushu
from conftest import JIEGU, _offset, snapshot
from helpers import GOOD_CATEGORY, SMALL_STANDARD, assert_one_line_error
from validate import validate_output_folder

from yushu_circle import io as outputs
from yushu_circle.errors import OutputError


def _homes(path: Path, prefix: str) -> Path:
    rows = ["residence_id,lon,lat,population"]
    for i, dx in enumerate((-200, -40, 120)):
        lon, lat = _offset(JIEGU, dx, -242)
        rows.append(f"{prefix}{i},{lon:.7f},{lat:.7f},10")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_run_without_isochrones_removes_the_earlier_ones(
    good_out: Path, town_osm: Path, tmp_path: Path
) -> None:
    assert (good_out / "isochrones.parquet").is_file()
    homes = _homes(tmp_path / "homes.csv", "new-")
    result = yushu(
        "--quiet", "run", "--osm-file", town_osm, "--residences", homes, "--no-isochrones",
        "--out", good_out,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert not (good_out / "isochrones.parquet").exists()  # of residences no longer here
    validate_output_folder(good_out)  # checks isochrones belong to the residences beside them


def test_gpkg_and_pngs_of_an_earlier_run_go_with_it(good_out: Path, town_osm: Path) -> None:
    (good_out / "png").mkdir()  # as map --png drew it from the earlier run
    (good_out / "png" / "coverage_clinic.png").write_bytes(b"\x89PNG earlier")
    assert yushu("--quiet", "run", "--osm-file", town_osm, "--gpkg", "--out", good_out).code == 0
    assert (good_out / "residences.gpkg").is_file()
    assert not (good_out / "png").exists()  # drawn from the run just replaced
    assert yushu("--quiet", "run", "--osm-file", town_osm, "--out", good_out).code == 0
    assert not (good_out / "residences.gpkg").exists()
    validate_output_folder(good_out)


@pytest.mark.slow
def test_a_plan_without_siting_removes_the_earlier_sites_and_report(
    town_osm: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    standard = tmp_path / "kindergarten_only.toml"  # a one-item report: four pages, not forty
    standard.write_text(SMALL_STANDARD, encoding="utf-8")
    first = yushu("--quiet", "plan", "--osm-file", town_osm, "--standard", standard,
                  "--site", "clinic", "--k", "1", "--out", out)  # fmt: skip
    assert first.code == 0, first.err
    assert yushu("--quiet", "report", out).code == 0
    assert {"siting.csv", "siting.parquet", "report.html", "report.pdf", "report.docx"} <= {
        p.name for p in out.iterdir()
    }
    assert "新选址的效果 · What the proposed sites change" in (out / "report.html").read_text(
        encoding="utf-8"
    )
    again = yushu("--quiet", "plan", "--osm-file", town_osm, "--standard", standard, "--out", out)
    assert again.code == 0, again.err
    names = {p.name for p in out.iterdir()}
    assert not names & {"siting.csv", "siting.parquet", "report.html", "report.pdf", "report.docx"}
    assert yushu("--quiet", "report", out).code == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "新选址" not in page  # the report is of this plan, which sited nothing
    validate_output_folder(out)


def test_run_and_plan_share_a_folder_without_removing_each_other(
    good_out: Path, town_osm: Path
) -> None:
    run_files = {p.name for p in good_out.iterdir()}
    planned = yushu("--quiet", "plan", "--osm-file", town_osm, "--out", good_out)
    assert planned.code == 0, planned.err
    assert run_files <= {p.name for p in good_out.iterdir()}
    plan_files = {p.name for p in good_out.iterdir()} - run_files
    assert "plan_summary.json" in plan_files
    rerun = yushu("--quiet", "run", "--osm-file", town_osm, "--out", good_out)
    assert rerun.code == 0, rerun.err
    assert plan_files <= {p.name for p in good_out.iterdir()}


def test_a_folder_where_an_output_file_goes_is_named_before_anything_moves(
    good_out: Path, town_osm: Path
) -> None:
    (good_out / "isochrones.parquet").unlink()
    (good_out / "isochrones.parquet").mkdir()
    before = snapshot(good_out)
    result = yushu("--quiet", "run", "--osm-file", town_osm, "--out", good_out)
    assert_one_line_error(
        result, f"{good_out / 'isochrones.parquet'} is a folder", "move or rename that folder"
    )
    assert snapshot(good_out) == before
    assert (good_out / "isochrones.parquet").is_dir()


def test_a_move_failing_late_puts_every_earlier_file_back(
    good_out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The third move fails (a file system error no check can foresee): the two files
    # already moved, and the one the run would have removed, are put back as they were.
    from yushu_circle.io import staging

    before = snapshot(good_out)
    real = os.replace
    moves = {"count": 0}

    def failing(source: object, target: object) -> None:
        moves["count"] += 1
        if moves["count"] == 3:
            raise OSError(5, "Input/output error", str(target))
        real(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(staging.os, "replace", failing)
    writers = {
        "summary.csv": outputs.text_writer("new,summary\n"),
        "summary.json": outputs.text_writer('{"new": true}\n'),
        "map.html": outputs.text_writer("<p>new</p>\n"),
    }
    with pytest.raises(OutputError) as info:
        outputs.write_atomically(good_out, writers, owns=["isochrones.parquet"])
    message = info.value.message
    assert f"moving {good_out / 'map.html'} into place failed" in message
    assert "every earlier output was put back as it was" in message
    monkeypatch.undo()
    assert snapshot(good_out) == before  # byte for byte, and no staging folder left


def test_a_new_file_of_a_failed_step_is_taken_away_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yushu_circle.io import staging

    out = tmp_path / "out"
    out.mkdir()
    (out / "kept.txt").write_text("earlier\n", encoding="utf-8")
    real = os.replace

    def failing(source: object, target: object) -> None:
        if Path(str(target)).name == "second.txt":
            raise OSError(28, "No space left on device", str(target))
        real(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(staging.os, "replace", failing)
    with pytest.raises(OutputError):
        outputs.write_atomically(
            out,
            {"first.txt": outputs.text_writer("1\n"), "second.txt": outputs.text_writer("2\n")},
        )
    assert sorted(p.name for p in out.iterdir()) == ["kept.txt"]


def test_map_png_keeps_only_this_folders_categories(town_osm: Path, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.toml"  # one category: one PNG to draw
    catalog.write_text(GOOD_CATEGORY, encoding="utf-8")
    out = tmp_path / "out"
    run = ["--quiet", "run", "--osm-file", town_osm, "--catalog", catalog, "--no-isochrones"]
    assert yushu(*run, "--out", out).code == 0
    assert yushu("--quiet", "map", out, "--png").code == 0
    stale = out / "png" / "coverage_gone_category.png"
    shutil.copy(out / "png" / "coverage_clinic.png", stale)
    mine = out / "png" / "notes.txt"  # not a file map --png writes: the user's
    mine.write_text("mine\n", encoding="utf-8")
    assert yushu("--quiet", "map", out, "--png").code == 0
    assert sorted(p.name for p in (out / "png").iterdir()) == ["coverage_clinic.png", "notes.txt"]
    assert mine.read_text(encoding="utf-8") == "mine\n"
