"""Coordinates west of Greenwich and south of the equator work as typed (issue 31, class 7),
and ``--datum`` applies to ``check --at`` (issue 27, item 8).

Through the real command line, in its own process: ``--at -122.27,37.80`` used to be taken by
argparse for an unknown option (ten lines of usage, no hint).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import geopandas as gpd
import prcoords
import pytest
from cli_process import yushu
from conftest import JIEGU, FakeOSMServer, _offset, write_town
from helpers import assert_one_line_error
from osm_formats import REAL_TOWN
from validate import validate_output_folder

from yushu_circle.cli import build_parser

WEST_AT = "-102.2710,21.8712"
"""A street corner in the shipped real town (Aguascalientes, Mexico)."""
WEST_BOX = "-102.2760,21.8700,-102.2630,21.8770"
SOUTH_WEST = (-70.65, -33.45)
"""Where a synthetic grid town (示例数据) is put: south of the equator, west of Greenwich."""


def _location(text: str) -> tuple[float, float]:
    found = re.search(r"Location (-?[\d.]+), (-?[\d.]+)", text)
    assert found, text
    return float(found.group(1)), float(found.group(2))


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (a[0] - b[0]) * 111_320 * math.cos(math.radians(a[1]))
    return math.hypot(dx, (a[1] - b[1]) * 111_320)


@pytest.fixture(scope="module")
def southern_town(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_town(tmp_path_factory.mktemp("south") / "town.osm", center=SOUTH_WEST)


def test_check_at_a_western_point_as_typed() -> None:
    typed = yushu("--quiet", "check", "--osm-file", REAL_TOWN, "--at", WEST_AT)
    assert typed.code == 0, typed.err
    assert typed.err == ""
    assert _location(typed.out) == (-102.2710, 21.8712)
    assert "幼儿园 Kindergarten: " in typed.out
    joined = yushu("--quiet", "check", "--osm-file", REAL_TOWN, f"--at={WEST_AT}")
    assert joined.out == typed.out  # the form that used to be the only one that worked


def test_check_at_with_a_space_after_the_comma() -> None:
    spaced = yushu("--quiet", "check", "--osm-file", REAL_TOWN, "--at", "-102.2710, 21.8712")
    assert spaced.code == 0, spaced.err
    assert _location(spaced.out) == (-102.2710, 21.8712)


def test_check_south_of_the_equator_and_west_of_greenwich(southern_town: Path) -> None:
    lon, lat = _offset(SOUTH_WEST, 40, -242)
    at = f"{lon:.6f},{lat:.6f}"
    assert at.startswith("-") and ",-" in at
    result = yushu("--quiet", "check", "--osm-file", southern_town, "--at", at)
    assert result.code == 0, result.err
    assert _location(result.out) == pytest.approx((lon, lat), abs=1e-6)
    assert "示例诊所 Clinic" in result.out


def test_clip_bbox_west_of_greenwich_as_typed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = yushu(
        "--quiet", "run", "--osm-file", REAL_TOWN, "--clip-bbox", WEST_BOX, "--no-isochrones",
        "--out", out,
    )  # fmt: skip
    assert result.code == 0, result.err
    validate_output_folder(out)
    west, south, east, north = (float(v) for v in WEST_BOX.split(","))
    residences = gpd.read_parquet(out / "residences.parquet")
    assert residences.geometry.x.between(west, east).all()
    assert residences.geometry.y.between(south, north).all()
    meta = json.loads((out / "summary.json").read_text(encoding="utf-8"))["meta"]
    assert meta["synthetic"] is False


def test_clip_bbox_south_of_the_equator_as_typed(southern_town: Path, tmp_path: Path) -> None:
    (west, south), (east, north) = _offset(SOUTH_WEST, -260, -260), _offset(SOUTH_WEST, 260, 0)
    box = f"{west:.6f},{south:.6f},{east:.6f},{north:.6f}"
    out = tmp_path / "out"
    result = yushu(
        "--quiet", "run", "--osm-file", southern_town, "--clip-bbox", box, "--no-isochrones",
        "--out", out,
    )  # fmt: skip
    assert result.code == 0, result.err
    residences = gpd.read_parquet(out / "residences.parquet")
    assert len(residences) > 0
    assert residences.geometry.y.max() < SOUTH_WEST[1]  # only the town's southern half


def test_bbox_query_south_and_west_as_typed(
    southern_town: Path, osm_server: FakeOSMServer, tmp_path: Path
) -> None:
    import osmnx as ox

    answer = ox._osm_xml._overpass_json_from_xml(southern_town, "utf-8")
    answer["generator"] = "synthetic town 示例数据, not real OSM"
    osm_server.overpass_body = json.dumps(answer).encode("utf-8")
    (west, south), (east, north) = _offset(SOUTH_WEST, -400, -400), _offset(SOUTH_WEST, 400, 400)
    box = f"{west:.6f},{south:.6f},{east:.6f},{north:.6f}"
    out = tmp_path / "out"
    result = yushu(
        "--quiet", "run", "--bbox", box, "--overpass-url", osm_server.overpass_url,
        "--no-isochrones", "--out", out,
        cwd=tmp_path, env={"NO_PROXY": "127.0.0.1", "YUSHU_CIRCLE_OVERPASS_BACKOFF_S": "0.01"},
    )  # fmt: skip
    assert result.code == 0, result.err
    assert osm_server.count("overpass") >= 1
    validate_output_folder(out)
    assert len(gpd.read_parquet(out / "residences.parquet")) == 25


def test_every_coordinate_option_takes_negative_numbers_as_typed() -> None:
    # Every option of every subcommand whose value is coordinates, found by its metavar.
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    checked = []
    for name, sub in commands.items():
        for action in sub._actions:
            if action.metavar not in ("LON,LAT", "W,S,E,N"):
                continue
            value = "-122.27,37.80" if action.metavar == "LON,LAT" else WEST_BOX
            argv = [name, action.option_strings[0], value]
            if name == "check" and action.dest != "at":
                argv += ["--at", "-122.27,-37.80"]
            if action.dest == "clip_bbox":
                argv += ["--osm-file", "town.osm"]
            args = parser.parse_args(argv)
            assert getattr(args, action.dest) == value, (name, action.dest)
            checked.append((name, action.dest))
    assert {("check", "at"), ("run", "bbox"), ("run", "clip_bbox"), ("plan", "clip_bbox")} <= set(
        checked
    )


@pytest.mark.parametrize(
    ("option", "value", "fragments"),
    [
        ("--at", "200,95", ("--at '200,95'", "outside longitude -180…180", "LON,LAT")),
        ("--at", "33.00,97.01", ("look swapped",)),
        ("--at", "-122.27", ("--at '-122.27' is not LON,LAT",)),
        ("--at", "nan,33", ("--at 'nan,33'", "outside")),
        ("--bbox", "-122.26,37.79,-122.28,37.81", ("west must be less than east",)),
        ("--clip-bbox", "-122.28,-91,-122.26,37.81", ("--clip-bbox", "outside")),
    ],
    ids=["at-out-of-range", "at-swapped", "at-one-number", "at-nan", "bbox-reversed", "clip-lat"],
)
def test_coordinates_out_of_range_are_one_line_naming_the_option(
    option: str, value: str, fragments: tuple[str, ...], tmp_path: Path
) -> None:
    out = tmp_path / "o"
    argv = ["check", "--at", value] if option == "--at" else ["run", option, value, "--out", out]
    if option == "--clip-bbox":
        argv += ["--osm-file", REAL_TOWN]
    assert_one_line_error(yushu("--quiet", *argv), *fragments)
    assert not out.exists()


# --- issue 27, item 8: --datum applies to --at ----------------------------------------------


def test_check_at_an_amap_point_with_datum_gcj02_is_the_wgs84_answer(town_osm: Path) -> None:
    # A resident's location as Amap (高德) shows it: the WGS-84 point moved into GCJ-02.
    wgs = _offset(JIEGU, 40, -242)
    gcj = prcoords.wgs_gcj(prcoords.Coords(wgs[1], wgs[0]))
    assert _metres(wgs, (gcj.lon, gcj.lat)) > 150  # the offset the datum must undo

    def check(at: tuple[float, float], *extra: str) -> str:
        result = yushu(
            "--quiet", "check", "--osm-file", town_osm, "--at", f"{at[0]:.7f},{at[1]:.7f}",
            "--category", "clinic", "--category", "kindergarten", *extra,
        )  # fmt: skip
        assert result.code == 0, result.err
        return result.out

    truth = check(wgs)
    converted = check((gcj.lon, gcj.lat), "--datum", "gcj02")
    assert _metres(_location(converted), wgs) < 1.0
    assert "(gcj02) → WGS-84" in converted
    # The same routes and minutes as the WGS-84 point, line for line.
    assert converted.splitlines()[2:] == truth.splitlines()[1:]
    unconverted = check((gcj.lon, gcj.lat))
    assert _metres(_location(unconverted), wgs) > 150
    assert unconverted.splitlines()[1:] != truth.splitlines()[1:]
