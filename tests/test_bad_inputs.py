"""Bad inputs through the command line: one clear line, exit 2, no traceback, outputs intact."""

from __future__ import annotations

import bz2
import errno
import json
import math
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import JIEGU, CliResult, _offset, snapshot, town_xml, write_town
from shapely.geometry import Point
from test_overpass import assert_one_line_error

import yushu_circle
from yushu_circle import io as outputs
from yushu_circle.errors import InputError, OutputError

PACKAGE = Path(yushu_circle.__file__).parent
Cli = Callable[..., CliResult]


def fails_cleanly(cli: Cli, out: Path, *args: str | Path, fragments: tuple[str, ...]) -> str:
    """Run a bad case into ``out`` (holding a good run) and check nothing there changed."""
    before = snapshot(out)
    result = cli("--quiet", "run", *args, "--out", out)
    line = assert_one_line_error(result, *fragments)
    assert snapshot(out) == before
    return line


def residences_csv(path: Path, rows: list[dict[str, object]], encoding: str = "utf-8") -> Path:
    pd.DataFrame(rows).to_csv(path, index=False, encoding=encoding)
    return path


def street_side_points(center: tuple[float, float] = JIEGU) -> list[tuple[float, float]]:
    """Points 8 m north of the town's southern street (which runs 250 m south of the centre)."""
    return [_offset(center, dx, -250.0 + 8.0) for dx in (-200, -120, -40, 40, 120, 200)]


# --- OSM files ------------------------------------------------------------------------------


@pytest.fixture
def osm_bytes(town_osm: Path) -> bytes:
    return town_osm.read_bytes()


def test_missing_osm_file(cli: Cli, good_out: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.osm"
    fails_cleanly(cli, good_out, "--osm-file", missing, fragments=(str(missing), "does not exist"))


def test_empty_osm_file(cli: Cli, good_out: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.osm"
    empty.write_bytes(b"")
    fails_cleanly(cli, good_out, "--osm-file", empty, fragments=(str(empty), "is empty"))


def test_osm_file_that_is_a_folder(cli: Cli, good_out: Path, tmp_path: Path) -> None:
    fails_cleanly(cli, good_out, "--osm-file", tmp_path, fragments=(str(tmp_path), "folder"))


def test_png_named_osm(cli: Cli, good_out: Path, tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    png = tmp_path / "map.osm"
    fig = plt.figure(figsize=(1, 1))
    fig.savefig(png, format="png")
    plt.close(fig)
    assert png.read_bytes()[:4] == b"\x89PNG"
    fails_cleanly(cli, good_out, "--osm-file", png, fragments=(str(png), "not", "OSM"))


def test_unknown_osm_file_type(cli: Cli, good_out: Path, tmp_path: Path, osm_bytes: bytes) -> None:
    odd = tmp_path / "town.json"
    odd.write_bytes(osm_bytes)
    fails_cleanly(cli, good_out, "--osm-file", odd, fragments=(str(odd), ".osm.pbf"))


def test_truncated_osm_xml(cli: Cli, good_out: Path, tmp_path: Path, osm_bytes: bytes) -> None:
    cut = tmp_path / "cut.osm"
    cut.write_bytes(osm_bytes[: len(osm_bytes) // 2])
    fails_cleanly(cli, good_out, "--osm-file", cut, fragments=(str(cut), "truncated or corrupt"))


def test_truncated_bz2(cli: Cli, good_out: Path, tmp_path: Path, osm_bytes: bytes) -> None:
    packed = bz2.compress(osm_bytes)
    cut = tmp_path / "cut.osm.bz2"
    cut.write_bytes(packed[: len(packed) // 2])
    fails_cleanly(cli, good_out, "--osm-file", cut, fragments=(str(cut), "download it again"))


def test_bz2_that_is_not_compressed(
    cli: Cli, good_out: Path, tmp_path: Path, osm_bytes: bytes
) -> None:
    fake = tmp_path / "plain.osm.bz2"
    fake.write_bytes(osm_bytes)
    fails_cleanly(cli, good_out, "--osm-file", fake, fragments=(str(fake),))


def test_corrupt_osm_xml(cli: Cli, good_out: Path, tmp_path: Path, osm_bytes: bytes) -> None:
    bad = tmp_path / "bad.osm"
    middle = len(osm_bytes) // 2
    bad.write_bytes(osm_bytes[:middle] + b"<<&\x00garbage>>" + osm_bytes[middle:])
    line = fails_cleanly(
        cli, good_out, "--osm-file", bad, fragments=(str(bad), "not valid OSM XML")
    )
    assert re.search(r"line \d+", line)


@pytest.fixture
def town_pbf(town_osm: Path, tmp_path: Path) -> Path:
    import osmium

    pbf = tmp_path / "town.osm.pbf"
    writer = osmium.SimpleWriter(str(pbf))
    for obj in osmium.FileProcessor(str(town_osm)):
        writer.add(obj)
    writer.close()
    return pbf


def test_good_pbf_gives_the_same_walk_minutes_as_the_xml(
    cli: Cli, town_pbf: Path, good_out: Path, tmp_path: Path
) -> None:
    out = tmp_path / "pbf"
    assert cli("--quiet", "run", "--osm-file", town_pbf, "--out", out).code == 0
    from_pbf = pd.read_parquet(out / "residences.parquet").set_index("residence_id")
    from_xml = pd.read_parquet(good_out / "residences.parquet").set_index("residence_id")
    walk = [c for c in from_xml.columns if c.startswith("walk_min_")]
    # Within 0.01 min (< 1 m): the PBF reader simplifies the grid's corners differently.
    np.testing.assert_allclose(
        from_pbf.loc[from_xml.index, walk].to_numpy(), from_xml[walk].to_numpy(), atol=0.01
    )


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_truncated_pbf(cli: Cli, good_out: Path, town_pbf: Path, keep: float) -> None:
    data = town_pbf.read_bytes()
    town_pbf.write_bytes(data[: int(len(data) * keep)])
    fails_cleanly(cli, good_out, "--osm-file", town_pbf, fragments=(str(town_pbf), "PBF"))


def test_corrupt_pbf(cli: Cli, good_out: Path, town_pbf: Path) -> None:
    data = bytearray(town_pbf.read_bytes())
    rng = np.random.default_rng(7)
    for i in rng.integers(20, len(data), 40):
        data[i] = int(rng.integers(0, 256))
    town_pbf.write_bytes(bytes(data))
    fails_cleanly(cli, good_out, "--osm-file", town_pbf, fragments=(str(town_pbf), "PBF"))


# --- user point files -----------------------------------------------------------------------


def test_missing_residences_file(cli: Cli, good_out: Path, town_osm: Path, tmp_path: Path) -> None:
    missing = tmp_path / "homes.csv"
    fails_cleanly(
        cli,
        good_out,
        "--osm-file",
        town_osm,
        "--residences",
        missing,
        fragments=(str(missing), "does not exist"),
    )


def test_empty_residences_file(cli: Cli, good_out: Path, town_osm: Path, tmp_path: Path) -> None:
    empty = tmp_path / "homes.csv"
    empty.write_bytes(b"")
    fails_cleanly(
        cli,
        good_out,
        "--osm-file",
        town_osm,
        "--residences",
        empty,
        fragments=(str(empty), "empty"),
    )


def test_csv_without_coordinates(cli: Cli, good_out: Path, town_osm: Path, tmp_path: Path) -> None:
    path = residences_csv(tmp_path / "homes.csv", [{"name": "a", "east": 97.0, "north": 33.0}])
    fails_cleanly(
        cli,
        good_out,
        "--osm-file",
        town_osm,
        "--residences",
        path,
        fragments=(str(path), "no longitude/latitude columns", "east", "lon"),
    )


def test_csv_with_text_coordinate(cli: Cli, good_out: Path, town_osm: Path, tmp_path: Path) -> None:
    rows = [{"lon": x, "lat": y} for x, y in street_side_points()]
    rows[2]["lat"] = "三十三度"
    path = residences_csv(tmp_path / "homes.csv", rows)
    fails_cleanly(
        cli,
        good_out,
        "--osm-file",
        town_osm,
        "--residences",
        path,
        fragments=(str(path), "line 4", "'三十三度'"),
    )


def test_swapped_lat_lon_out_of_range(
    cli: Cli, good_out: Path, town_osm: Path, tmp_path: Path
) -> None:
    rows = [{"lon": y, "lat": x} for x, y in street_side_points()]  # lat 97 is impossible
    path = residences_csv(tmp_path / "homes.csv", rows)
    fails_cleanly(
        cli,
        good_out,
        "--osm-file",
        town_osm,
        "--residences",
        path,
        fragments=(str(path), "line 2", "swapped"),
    )


def test_swapped_lat_lon_outside_the_study_area(cli: Cli, tmp_path: Path) -> None:
    # A town at 40 E, 30 N: swapped columns give valid but far-away points (30 E, 40 N).
    center = (40.0, 30.0)
    osm = write_town(tmp_path / "town.osm", center=center)
    out = tmp_path / "out"
    assert cli("--quiet", "run", "--osm-file", osm, "--out", out).code == 0
    rows = [{"lon": y, "lat": x} for x, y in street_side_points(center)]
    path = residences_csv(tmp_path / "homes.csv", rows)
    fails_cleanly(
        cli,
        out,
        "--osm-file",
        osm,
        "--residences",
        path,
        fragments=(str(path), "outside the study area", "swapped", "--datum"),
    )


def test_projected_geojson_is_converted(cli: Cli, town_osm: Path, tmp_path: Path) -> None:
    points = street_side_points()
    wgs = gpd.GeoDataFrame(
        {"residence_id": [f"h{i}" for i in range(len(points))], "population": 10.0},
        geometry=[Point(p) for p in points],
        crs="EPSG:4326",
    )
    path = tmp_path / "homes.geojson"
    wgs.to_crs("EPSG:32647").to_file(path, driver="GeoJSON")
    assert "32647" in path.read_text()
    out = tmp_path / "out"
    result = cli("--quiet", "run", "--osm-file", town_osm, "--residences", path, "--out", out)
    assert result.code == 0, result.err
    got = gpd.read_parquet(out / "residences.parquet").set_index("residence_id")
    assert got.crs.to_epsg() == 4326
    for rid, point in zip(wgs["residence_id"], wgs.geometry, strict=True):
        assert got.loc[rid].geometry.distance(point) < 1e-7  # ~1 cm
    assert (got["snap_m"] < 10).all()  # 8 m from the street, as placed
    assert got["population"].sum() == 60


def test_gbk_csv_from_chinese_software(cli: Cli, town_osm: Path, tmp_path: Path) -> None:
    rows = [
        {"编号": f"楼{i}", "经度": x, "纬度": y, "人口": 10 * (i + 1)}
        for i, (x, y) in enumerate(street_side_points())
    ]
    path = residences_csv(tmp_path / "住宅.csv", rows, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    out = tmp_path / "out"
    result = cli("--quiet", "run", "--osm-file", town_osm, "--residences", path, "--out", out)
    assert result.code == 0, result.err
    got = pd.read_parquet(out / "residences.parquet")
    assert list(got["residence_id"]) == [f"楼{i}" for i in range(6)]
    assert list(got["population"]) == [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]


def test_duplicated_residence_ids(cli: Cli, good_out: Path, town_osm: Path, tmp_path: Path) -> None:
    rows = [{"id": f"h{i}", "lon": x, "lat": y} for i, (x, y) in enumerate(street_side_points())]
    rows[4]["id"] = "h1"
    path = residences_csv(tmp_path / "homes.csv", rows)
    fails_cleanly(
        cli,
        good_out,
        "--osm-file",
        town_osm,
        "--residences",
        path,
        fragments=(str(path), "'h1'", "more than once"),
    )


@pytest.mark.parametrize("value", ["-5", "NaN", "many", "", "inf"])
def test_bad_population(
    cli: Cli, good_out: Path, town_osm: Path, tmp_path: Path, value: str
) -> None:
    rows = [{"lon": x, "lat": y, "population": "12"} for x, y in street_side_points()]
    rows[3]["population"] = value
    path = residences_csv(tmp_path / "homes.csv", rows)
    fails_cleanly(
        cli,
        good_out,
        "--osm-file",
        town_osm,
        "--residences",
        path,
        fragments=(str(path), "line 5", "population", repr(value)),
    )


def gcj_rows() -> list[dict[str, object]]:
    import prcoords

    rows = []
    for i, (lon, lat) in enumerate(street_side_points()):
        gcj = prcoords.wgs_gcj(prcoords.Coords(lat, lon))
        rows.append({"id": f"h{i}", "lng": gcj.lon, "lat": gcj.lat})
    return rows


def test_gcj02_declared_as_wgs84_is_flagged(cli: Cli, town_osm: Path, tmp_path: Path) -> None:
    path = residences_csv(tmp_path / "amap.csv", gcj_rows())
    out = tmp_path / "out"
    result = cli("--quiet", "run", "--osm-file", town_osm, "--residences", path, "--out", out)
    assert result.code == 0, result.err
    got = pd.read_parquet(out / "residences.parquet")
    assert got["snap_m"].median() > 100  # GCJ-02 moves points ~240 m at Jiegu
    notes = json.loads((out / "summary.json").read_text(encoding="utf-8"))["meta"]["notes"]
    flagged = [n for n in notes if "GCJ-02" in n and "--datum" in n]
    assert len(flagged) == 1
    assert flagged[0] in result.out


def test_gcj02_declared_as_such_is_converted(cli: Cli, town_osm: Path, tmp_path: Path) -> None:
    path = residences_csv(tmp_path / "amap.csv", gcj_rows())
    out = tmp_path / "out"
    args = ("--osm-file", town_osm, "--residences", path, "--datum", "gcj02", "--out", out)
    result = cli("--quiet", "run", *args)
    assert result.code == 0, result.err
    got = pd.read_parquet(out / "residences.parquet")
    assert np.allclose(got["snap_m"], 8.0, atol=0.5)  # back where they were placed
    notes = json.loads((out / "summary.json").read_text(encoding="utf-8"))["meta"]["notes"]
    assert not [n for n in notes if "GCJ-02" in n]


def test_missing_polygon_file(cli: Cli, good_out: Path, tmp_path: Path) -> None:
    missing = tmp_path / "area.geojson"
    fails_cleanly(cli, good_out, "--polygon", missing, fragments=(str(missing), "does not exist"))


def test_polygon_file_without_polygon(cli: Cli, good_out: Path, tmp_path: Path) -> None:
    path = tmp_path / "area.geojson"
    gpd.GeoDataFrame(geometry=[Point(JIEGU)], crs="EPSG:4326").to_file(path, driver="GeoJSON")
    fails_cleanly(cli, good_out, "--polygon", path, fragments=(str(path), "no polygon"))


def test_facilities_file_without_category(
    cli: Cli, good_out: Path, town_osm: Path, tmp_path: Path
) -> None:
    path = residences_csv(tmp_path / "poi.csv", [{"name": "x", "lon": JIEGU[0], "lat": JIEGU[1]}])
    fails_cleanly(
        cli,
        good_out,
        "--osm-file",
        town_osm,
        "--facilities",
        path,
        fragments=(str(path), "no category column"),
    )


# --- configuration --------------------------------------------------------------------------

_GOOD_CATEGORY = """
[[category]]
key = "clinic"
name_zh = "诊所"
name_en = "Clinic"
level = 15
match = [{ amenity = "clinic" }]
"""


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (("level = 15", "level = 15\ncolour = 'red'"), ("unknown field 'colour'", "allowed")),
        (("level = 15", 'level = "15"'), ("(clinic)", "level '15'")),
        (("level = 15", "level = 0"), ("(clinic)", "level 0")),
        (("level = 15", "level = -5"), ("(clinic)", "level -5")),
        (("level = 15", "level = 7.5"), ("(clinic)", "level 7.5")),
        (("level = 15", "level = true"), ("(clinic)", "level True")),
        (('name_zh = "诊所"', "name_zh = 3"), ("(clinic)", "name_zh")),
        (('key = "clinic"', 'key = "Clinic Station"'), ("key 'Clinic Station'", "snake_case")),
        (('match = [{ amenity = "clinic" }]', 'match = "amenity=clinic"'), ("clinic) match",)),
        (('match = [{ amenity = "clinic" }]', "match = [{ amenity = 5 }]"), ("amenity", "5")),
        (('match = [{ amenity = "clinic" }]', 'match = [{ "name~" = "(" }]'), ("regular",)),
        (('match = [{ amenity = "clinic" }]', ""), ("missing field 'match'",)),
        (("[[category]]", "speed = 4\n[[category]]"), ("unknown top-level key 'speed'",)),
        (("[[category]]", "[[category"), ("not valid TOML",)),
        (("level = 15", "level = 15\nverified = 'yes'"), ("verified",)),
    ],
)
def test_bad_catalog_names_the_key(
    cli: Cli,
    good_out: Path,
    town_osm: Path,
    tmp_path: Path,
    change: tuple[str, str],
    fragments: tuple[str, ...],
) -> None:
    path = tmp_path / "catalog.toml"
    text = _GOOD_CATEGORY.replace(*change)
    assert text != _GOOD_CATEGORY
    path.write_text(text, encoding="utf-8")
    fails_cleanly(
        cli, good_out, "--osm-file", town_osm, "--catalog", path, fragments=(str(path), *fragments)
    )


def test_duplicate_catalog_key(cli: Cli, good_out: Path, town_osm: Path, tmp_path: Path) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text(_GOOD_CATEGORY * 2, encoding="utf-8")
    fails_cleanly(
        cli,
        good_out,
        "--osm-file",
        town_osm,
        "--catalog",
        path,
        fragments=(str(path), "'clinic' appears twice"),
    )


def test_good_small_catalog_works(cli: Cli, town_osm: Path, tmp_path: Path) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text(_GOOD_CATEGORY, encoding="utf-8")
    out = tmp_path / "out"
    assert cli("--quiet", "run", "--osm-file", town_osm, "--catalog", path, "--out", out).code == 0
    columns = pd.read_parquet(out / "residences.parquet").columns
    assert [c for c in columns if c.startswith("walk_min_")] == ["walk_min_clinic"]


@pytest.mark.parametrize("speed", ["0", "-4", "25", "nan"])
def test_bad_speed(cli: Cli, good_out: Path, town_osm: Path, speed: str) -> None:
    fails_cleanly(cli, good_out, "--osm-file", town_osm, "--speed", speed, fragments=("speed",))


@pytest.mark.parametrize("limit", ["0", "-10", "nan"])
def test_bad_snap_limit(cli: Cli, good_out: Path, town_osm: Path, limit: str) -> None:
    fails_cleanly(
        cli, good_out, "--osm-file", town_osm, "--snap-limit", limit, fragments=("snap limit",)
    )


def test_speed_that_is_not_a_number(
    town_osm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from yushu_circle.cli import main

    with pytest.raises(SystemExit) as info:  # argparse's own usage error
        main(["--quiet", "run", "--osm-file", str(town_osm), "--speed", "fast"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "--speed" in err.strip().splitlines()[-1]
    assert "'fast'" in err.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("thresholds", "fragment"),
    [((10, 5, 15), "increasing"), ((5, 5, 15), "increasing"), ((0, 10), "0"), ((-5,), "-5")],
)
def test_bad_summary_thresholds(town_osm: Path, thresholds: tuple[int, ...], fragment: str) -> None:
    from yushu_circle import Study

    study = Study.from_osm_file(town_osm)
    with pytest.raises(InputError) as info:
        study.summary(thresholds=thresholds)
    assert "thresholds" in info.value.message
    assert fragment in info.value.message
    assert "\n" not in info.value.message


# --- areas ----------------------------------------------------------------------------------


def test_no_walkable_streets(cli: Cli, good_out: Path, tmp_path: Path) -> None:
    osm = write_town(tmp_path / "motorways.osm", streets=False)
    fails_cleanly(cli, good_out, "--osm-file", osm, fragments=("no walkable streets", "--bbox"))


def test_no_residences(cli: Cli, good_out: Path, tmp_path: Path) -> None:
    osm = write_town(tmp_path / "empty_town.osm", residences=False)
    fails_cleanly(cli, good_out, "--osm-file", osm, fragments=("no residences", "--residences"))


def test_missing_category_is_reported_as_none(cli: Cli, good_out: Path) -> None:
    access = pd.read_parquet(good_out / "residences.parquet")
    summary = pd.read_csv(good_out / "summary.csv", encoding="utf-8-sig").set_index("category")
    meta = json.loads((good_out / "summary.json").read_text(encoding="utf-8"))["meta"]
    # The synthetic town has no hospital, but does have a clinic.
    assert access["walk_min_hospital"].isna().all()
    assert access["walk_min_clinic"].notna().all()
    assert summary.loc["hospital", "facilities"] == 0
    assert summary.loc["hospital", "share_pop_15min"] == 0
    missing = [n for n in meta["notes"] if n.startswith("no facility found for")]
    assert len(missing) == 1
    assert "hospital" in missing[0].split(":")[1]
    assert "clinic" not in missing[0].split(":")[1].split(", ")


def test_town_without_any_facility(cli: Cli, tmp_path: Path) -> None:
    osm = write_town(tmp_path / "bare.osm", facilities=False)
    out = tmp_path / "out"
    result = cli("--quiet", "run", "--osm-file", osm, "--out", out)
    assert result.code == 0, result.err
    access = pd.read_parquet(out / "residences.parquet")
    walk = [c for c in access.columns if c.startswith("walk_min_")]
    assert walk and access[walk].isna().all().all()
    assert (access["score"] == 0).all()


def test_everything_unreachable_on_islands(cli: Cli, tmp_path: Path) -> None:
    osm = write_town(tmp_path / "islands.osm", island=True)
    out = tmp_path / "out"
    result = cli("--quiet", "run", "--osm-file", osm, "--out", out)
    assert result.code == 0, result.err
    access = pd.read_parquet(out / "residences.parquet")
    walk = [c for c in access.columns if c.startswith("walk_min_")]
    assert access[walk].isna().all().all()
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig").set_index("category")
    assert summary.loc["clinic", "facilities"] == 1
    assert summary.loc["clinic", "share_pop_15min"] == 0
    notes = json.loads((out / "summary.json").read_text(encoding="utf-8"))["meta"]["notes"]
    assert any("disconnected" in n for n in notes)
    on_island = len(pd.read_parquet(out / "facilities.parquet"))  # every one is on the island
    assert any(f"{on_island} facilities are farther" in n for n in notes), notes


def test_street_with_a_missing_node_is_split_not_fatal(cli: Cli, tmp_path: Path) -> None:
    # Clipped extracts hold ways whose nodes lie outside the file: drop them, keep the rest.
    text = town_xml()
    first_way = text.index("<way")
    first_nd = text.index("<nd ref=", first_way)
    broken = text[:first_nd] + '<nd ref="987654321"/>\n    ' + text[first_nd:]
    osm = tmp_path / "clipped.osm"
    osm.write_text(broken, encoding="utf-8")
    out = tmp_path / "out"
    result = cli("--quiet", "run", "--osm-file", osm, "--out", out)
    assert result.code == 0, result.err
    assert pd.read_parquet(out / "residences.parquet")["walk_min_clinic"].notna().all()


def test_streets_whose_nodes_are_all_missing(cli: Cli, good_out: Path, tmp_path: Path) -> None:
    text = town_xml()
    no_nodes = re.sub(r'<node id="\d+" lat="[^"]+" lon="[^"]+"/>\n', "", text)
    osm = tmp_path / "ways_only.osm"
    osm.write_text(no_nodes, encoding="utf-8")
    fails_cleanly(cli, good_out, "--osm-file", osm, fragments=("reference no nodes", "export"))


def test_area_across_a_utm_zone_boundary(cli: Cli, good_out: Path, tmp_path: Path) -> None:
    # The same town (in metres) centred on 102 E, where UTM zones 47 and 48 meet.
    osm = write_town(tmp_path / "zone_edge.osm", center=(102.0, 33.0))
    out = tmp_path / "out"
    assert cli("--quiet", "run", "--osm-file", osm, "--out", out).code == 0
    edge = pd.read_parquet(out / "residences.parquet").sort_values("residence_id")
    home = pd.read_parquet(good_out / "residences.parquet").sort_values("residence_id")
    for column in ("walk_min_kindergarten", "walk_min_clinic", "walk_min_supermarket"):
        a, b = edge[column].to_numpy(), home[column].to_numpy()
        assert np.all(np.isfinite(a))
        np.testing.assert_allclose(a, b, rtol=5e-3)  # UTM scale error < 0.1 % at 3° off-centre


# --- outputs --------------------------------------------------------------------------------


def _failing_writer(path: Path) -> None:
    path.write_bytes(b"half a file")
    raise OSError(errno.ENOSPC, "No space left on device")


def test_failing_writer_leaves_the_folder_unchanged(good_out: Path) -> None:
    before = snapshot(good_out)
    writers = {
        "summary.csv": lambda p: p.write_text("new", encoding="utf-8"),
        "map.html": _failing_writer,
    }
    with pytest.raises(OutputError) as info:
        outputs.write_atomically(good_out, writers)
    assert "No space left on device" in info.value.message
    assert "left intact" in info.value.message
    assert snapshot(good_out) == before


def test_crashing_writer_leaves_the_folder_unchanged(good_out: Path) -> None:
    def crash(path: Path) -> None:
        path.write_bytes(b"x")
        raise RuntimeError("boom")

    before = snapshot(good_out)
    with pytest.raises(RuntimeError):
        outputs.write_atomically(good_out, {"summary.csv": crash})
    assert snapshot(good_out) == before


def test_disk_full_during_run_is_reported(
    cli: Cli, good_out: Path, town_osm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outputs, "text_writer", lambda text: _failing_writer)
    fails_cleanly(
        cli, good_out, "--osm-file", town_osm, fragments=(str(good_out), "No space left on device")
    )


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs (needs mount rights; skipped where the sandbox has none)."""
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: " + made.stderr.decode(errors="replace").strip())
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_really_full_disk_keeps_earlier_outputs(
    cli: Cli, good_out: Path, town_osm: Path, small_tmpfs: Path
) -> None:
    out = small_tmpfs / "out"
    shutil.copytree(good_out, out)
    filler = small_tmpfs / "filler"
    try:
        with filler.open("wb", buffering=0) as handle:
            while True:
                handle.write(b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    before = snapshot(out)
    result = cli("--quiet", "run", "--osm-file", town_osm, "--out", out)
    assert_one_line_error(result, str(out), "No space left on device")
    assert snapshot(out) == before


@pytest.mark.parametrize(
    "where",
    [
        pytest.param("/sys/yushu_circle_out", id="sysfs-cannot-create"),
        pytest.param("/sys/kernel", id="sysfs-cannot-write"),
        pytest.param("file/sub", id="under-a-file"),
    ],
)
def test_unwritable_output_folder(cli: Cli, town_osm: Path, tmp_path: Path, where: str) -> None:
    # Tests run as root, where chmod does not stop writes: these places fail even for root.
    if where.startswith("/sys") and not Path("/sys/kernel").is_dir():
        pytest.skip("no sysfs")
    if where == "file/sub":
        (tmp_path / "file").write_text("x")
        out = tmp_path / where
    else:
        out = Path(where)
    result = cli("--quiet", "run", "--osm-file", town_osm, "--out", out)
    assert_one_line_error(result, str(out), "cannot be written", "--out")


def test_output_path_that_is_a_file(cli: Cli, town_osm: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("keep me")
    result = cli("--quiet", "run", "--osm-file", town_osm, "--out", target)
    assert_one_line_error(result, str(target), "is a file")
    assert target.read_text() == "keep me"


def test_rerun_is_byte_identical(cli: Cli, good_out: Path, town_osm: Path) -> None:
    before = snapshot(good_out)
    assert cli("--quiet", "run", "--osm-file", town_osm, "--out", good_out).code == 0
    after = snapshot(good_out)
    assert sorted(after) == sorted(before)
    changed = [name for name in before if before[name] != after[name]]
    assert changed == []


_KILL_SCRIPT = """
import sys, time
from pathlib import Path
from yushu_circle import io as outputs
from yushu_circle.cli import main

def slow(text):
    def write(path):
        path.write_text(text[: len(text) // 2], encoding="utf-8")
        Path(sys.argv[1]).write_text("writing")
        time.sleep(60)
    return write

outputs.text_writer = slow
main(["--quiet", "run", "--osm-file", sys.argv[2], "--out", sys.argv[3]])
"""


@pytest.mark.slow
def test_run_killed_mid_write_keeps_earlier_outputs(
    good_out: Path, town_osm: Path, tmp_path: Path
) -> None:
    import signal
    import time

    before = snapshot(good_out)
    marker = tmp_path / "writing"
    process = subprocess.Popen(
        [sys.executable, "-c", _KILL_SCRIPT, str(marker), str(town_osm), str(good_out)]
    )
    try:
        for _ in range(1200):  # wait (up to 2 minutes) until the run is inside a writer
            if marker.exists() or process.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.exists(), "the run never reached the writers"
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
    after = snapshot(good_out)
    visible = {k: v for k, v in after.items() if not k.startswith(".")}
    assert visible == before
    # The half-written file sits only in the run's hidden staging folder.
    assert any(k.startswith(".staging-") and k.endswith("map.html") for k in after)


@pytest.mark.slow
def test_subprocess_error_has_no_traceback(tmp_path: Path) -> None:
    exe = shutil.which("yushu-circle")
    command = [exe] if exe else [sys.executable, "-m", "yushu_circle.cli"]
    missing = tmp_path / "missing.osm"
    done = subprocess.run(
        [*command, "--quiet", "run", "--osm-file", str(missing), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"yushu-circle: error: OSM file {missing} does not exist — fix: check the path passed "
        "to --osm-file"
    ]


# --- security -------------------------------------------------------------------------------


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


def test_gcj_offset_helper_sanity() -> None:
    # The GCJ cases above rely on the offset at Jiegu being well over 100 m.
    import prcoords

    lon, lat = JIEGU
    gcj = prcoords.wgs_gcj(prcoords.Coords(lat, lon))
    metres = math.hypot(
        (gcj.lon - lon) * 111_320 * math.cos(math.radians(lat)), (gcj.lat - lat) * 111_320
    )
    assert 150 < metres < 700


def test_town_fixture_is_deterministic() -> None:
    assert town_xml() == town_xml()


def test_unexpected_bug_is_one_line_and_keeps_outputs(
    cli: Cli, good_out: Path, town_osm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yushu_circle import study

    def broken(self: object) -> None:
        raise RuntimeError("injected bug")

    monkeypatch.setattr(study.Study, "summary", broken)
    before = snapshot(good_out)
    result = cli("--quiet", "run", "--osm-file", town_osm, "--out", good_out)
    assert result.code == 70
    lines = result.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("yushu-circle: internal error: RuntimeError: injected bug — fix:")
    assert "--debug" in lines[0]
    assert snapshot(good_out) == before
    with pytest.raises(RuntimeError, match="injected bug"):
        cli("--quiet", "--debug", "run", "--osm-file", town_osm, "--out", good_out)
