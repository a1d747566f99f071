"""Every file the tool reads back is checked at the door (issue 31, classes 4 and 6): fed
truncated, emptied, wrong-typed or missing a column, ``map`` and ``report`` end with one line
naming the file, what is wrong and the fix (run the command that wrote it again) — exit 2,
never an internal error. The schema is one per file (``yushu_circle.results.schema``), the
one ``tests/validate.py`` checks every accepted run with.

Before, ``summary.json`` that was a list, ``facilities.parquet`` without ``category`` or a
truncated ``plan_summary.json`` were internal errors (exit 70), and a truncated
``map_network.json`` or a ``network.parquet`` without geo metadata said "cannot read the
outputs in DIR" without naming the file.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from cli_process import yushu
from conftest import JIEGU, CliResult, _offset, snapshot
from helpers import assert_one_line_error

from yushu_circle.results import PlanFile, StudyFile
from yushu_circle.results.schema import DOCUMENTS, TABLES, Kind

Damage = Callable[[Path], None]
STUDY_READ = [
    StudyFile.RESIDENCES,
    StudyFile.FACILITIES,
    StudyFile.NETWORK,
    StudyFile.SUMMARY_JSON,
    StudyFile.ISOCHRONES,
    StudyFile.BASEMAP,
    StudyFile.ENGINE,
]
"""What ``map`` reads back."""
PLAN_READ = [
    PlanFile.SUMMARY,
    PlanFile.COMPLIANCE,
    PlanFile.COMPLIANCE_AREAS,
    PlanFile.PROFILES,
    PlanFile.COMPLETENESS,
    PlanFile.GAPS_CSV,
    PlanFile.GAPS,
    PlanFile.SUPPLY,
    PlanFile.SUPPLY_FACILITIES,
    PlanFile.SUPPLY_RESIDENCES,
    PlanFile.SITING,
    PlanFile.WHATIF_CSV,
    PlanFile.WHATIF,
    PlanFile.STREETS,
]
"""What ``report`` reads back."""


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, encoding="utf-8-sig")
    return gpd.read_parquet(path)


def _write(frame: pd.DataFrame, path: Path) -> None:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False, encoding="utf-8-sig")
    else:
        frame.to_parquet(path)


def _wrong_typed(path: Path) -> None:
    if path.suffix == ".json":
        path.write_text("[1, 2]\n", encoding="utf-8")  # a list where an object belongs
        return
    frame = _read(path)
    columns = TABLES[path.name].columns
    column = next((c for c, k in columns.items() if k is Kind.NUMBER), None)
    if column is not None:
        _write(frame.assign(**{column: "not a number"}), path)
    else:
        column = next(c for c, k in columns.items() if k is Kind.TEXT)
        _write(frame.assign(**{column: 7}), path)


def _missing_a_column(path: Path) -> None:
    if path.suffix == ".json":
        document = json.loads(path.read_text(encoding="utf-8"))
        first = next(iter(DOCUMENTS[path.name]))
        document.pop(first)
        path.write_text(json.dumps(document), encoding="utf-8")
        return
    first = next(iter(TABLES[path.name].columns))
    _write(_read(path).drop(columns=first), path)


DAMAGES: dict[str, Damage] = {
    "truncated": lambda path: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]),
    "emptied": lambda path: path.write_bytes(b""),
    "wrong-typed": _wrong_typed,
    "missing-a-column": _missing_a_column,
}


@pytest.fixture(scope="module")
def _plan_outputs(tmp_path_factory: pytest.TempPathFactory, town_osm: Path) -> Path:
    from yushu_circle.cli import main

    folder = tmp_path_factory.mktemp("plan")
    added = folder / "added.csv"
    lon, lat = _offset(JIEGU, 120, -242)
    added.write_text(f"name,category,lon,lat\n示例,clinic,{lon},{lat}\n", encoding="utf-8")
    out = folder / "out"
    argv = ["--quiet", "plan", "--osm-file", str(town_osm), "--out", str(out)]
    assert main([*argv, "--site", "clinic", "--k", "1", "--add", str(added)]) == 0
    assert {name for name in PLAN_READ} <= {p.name for p in out.iterdir()}
    return out


def _damaged(source: Path, tmp_path: Path, name: str, damage: str) -> Path:
    out = tmp_path / "out"
    shutil.copytree(source, out)
    DAMAGES[damage](out / name)
    return out


def _refused(result: CliResult, path: Path, again: str) -> None:
    line = assert_one_line_error(result, str(path), again)
    assert "internal error" not in line and "cannot read the outputs in" not in line


@pytest.mark.parametrize("damage", list(DAMAGES))
@pytest.mark.parametrize("name", STUDY_READ)
def test_map_refuses_a_damaged_file_naming_it(
    cli: Callable[..., CliResult], _good_outputs: Path, tmp_path: Path, name: str, damage: str
) -> None:
    out = _damaged(_good_outputs, tmp_path, name, damage)
    before = snapshot(out)
    _refused(cli("--quiet", "map", out), out / name, f"run 'yushu-circle run --out {out}' again")
    assert snapshot(out) == before


@pytest.mark.parametrize("damage", list(DAMAGES))
@pytest.mark.parametrize("name", PLAN_READ)
def test_report_refuses_a_damaged_file_naming_it(
    cli: Callable[..., CliResult], _plan_outputs: Path, tmp_path: Path, name: str, damage: str
) -> None:
    out = _damaged(_plan_outputs, tmp_path, name, damage)
    before = snapshot(out)
    again = f"run 'yushu-circle plan --out {out}' again"
    _refused(cli("--quiet", "report", out), out / name, again)
    assert snapshot(out) == before


@pytest.mark.parametrize(
    ("name", "text", "fragment"),
    [
        (StudyFile.SUMMARY_JSON, '{"meta": {}, "categories": []}', "'meta' lacks 'data'"),
        (
            StudyFile.SUMMARY_JSON,
            '{"meta": "x", "categories": []}',
            "'meta' is text, not an object",
        ),
        (StudyFile.SUMMARY_JSON, None, "'categories' is text, not a list"),
        (StudyFile.ENGINE, '{"format": "yushu-network/0"}', "is 'yushu-network/0', not"),
    ],
    ids=["meta-empty", "meta-text", "categories-text", "engine-format"],
)
def test_json_of_the_wrong_shape_says_where(
    cli: Callable[..., CliResult],
    _good_outputs: Path,
    tmp_path: Path,
    name: str,
    text: str | None,
    fragment: str,
) -> None:
    out = tmp_path / "out"
    shutil.copytree(_good_outputs, out)
    if text is None:
        document = json.loads((out / name).read_text(encoding="utf-8"))
        text = json.dumps({**document, "categories": "text"})
    (out / name).write_text(text, encoding="utf-8")
    assert_one_line_error(cli("--quiet", "map", out), str(out / name), fragment)


# --- class 6: the message names the file and the right fix, through the real command -----


def test_network_parquet_without_geo_metadata_is_named(good_out: Path) -> None:
    frame = gpd.read_parquet(good_out / StudyFile.NETWORK)
    pd.DataFrame(frame.drop(columns="geometry")).to_parquet(good_out / StudyFile.NETWORK)
    result = yushu("--quiet", "map", good_out)
    assert_one_line_error(
        result, f"{good_out / StudyFile.NETWORK} is not a GeoParquet file (no geo metadata)"
    )


def test_truncated_map_network_json_is_named(good_out: Path) -> None:
    DAMAGES["truncated"](good_out / StudyFile.ENGINE)
    result = yushu("--quiet", "map", good_out)
    assert_one_line_error(result, f"{good_out / StudyFile.ENGINE} is not complete JSON")


def test_check_geojson_into_a_folder_says_folder_not_disk_space(
    town_osm: Path, tmp_path: Path
) -> None:
    routes = tmp_path / "routes"
    routes.mkdir()
    lon, lat = _offset(JIEGU, 40, -242)
    result = yushu(
        "--quiet", "check", "--osm-file", town_osm, "--at", f"{lon:.6f},{lat:.6f}",
        "--geojson", routes,
    )  # fmt: skip
    line = assert_one_line_error(result, f"{routes} is a folder", "move or rename that folder")
    assert "disk space" not in line
    assert list(routes.iterdir()) == []


@pytest.mark.slow
def test_batch_computes_again_an_area_whose_summary_was_damaged(
    town_osm: Path, tmp_path: Path
) -> None:
    areas = tmp_path / "areas.csv"
    areas.write_text(f"area_id,osm_file\na,{town_osm}\n", encoding="utf-8")
    out = tmp_path / "out"
    assert yushu("--quiet", "batch", areas, "--out", out, "--workers", "1").code == 0
    DAMAGES["truncated"](out / "a" / StudyFile.SUMMARY_CSV)
    again = yushu("--quiet", "batch", areas, "--out", out, "--workers", "1")
    assert again.code == 0, again.err
    status = pd.read_csv(out / "batch_status.csv", encoding="utf-8-sig")
    assert status.loc[0, "status"] == "ok" and not bool(status.loc[0, "resumed"])
    assert (out / "a" / StudyFile.SUMMARY_CSV).read_bytes().endswith(b"\n")


def test_every_file_read_back_has_its_schema() -> None:
    from yushu_circle import io

    read_back = {name for name, _ in io._PLAN_TABLES} | {PlanFile.SUMMARY, *STUDY_READ}
    assert read_back == {*PLAN_READ, *STUDY_READ}  # and this test feeds each one damaged
    assert read_back <= {*TABLES, *DOCUMENTS}
