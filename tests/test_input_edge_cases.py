"""Inputs that are odd but legitimate, or wrong in ways no file check sees: PBF, swapped or
projected coordinates, GBK text, GCJ-02 points, a tiny catalog, towns with nothing reachable,
clipped streets, a UTM zone edge. Each either runs right or fails with one clear line.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import JIEGU, street_side_points, town_xml, write_town
from helpers import GOOD_CATEGORY, Cli, fails_cleanly, residences_csv
from shapely.geometry import Point
from validate import validate_output_folder

from yushu_circle.errors import InputError


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
    validate_output_folder(out)
    from_pbf = pd.read_parquet(out / "residences.parquet").set_index("residence_id")
    from_xml = pd.read_parquet(good_out / "residences.parquet").set_index("residence_id")
    walk = [c for c in from_xml.columns if c.startswith("walk_min_")]
    # Within 0.01 min (< 1 m): the PBF reader simplifies the grid's corners differently.
    np.testing.assert_allclose(
        from_pbf.loc[from_xml.index, walk].to_numpy(), from_xml[walk].to_numpy(), atol=0.01
    )


def test_swapped_lat_lon_outside_the_study_area(cli: Cli, tmp_path: Path) -> None:
    # A town at 40 E, 30 N: swapped columns give valid but far-away points (30 E, 40 N).
    center = (40.0, 30.0)
    osm = write_town(tmp_path / "town.osm", center=center)
    out = tmp_path / "out"
    assert cli("--quiet", "run", "--osm-file", osm, "--out", out).code == 0
    validate_output_folder(out)
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
    validate_output_folder(out)
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
    validate_output_folder(out)
    got = pd.read_parquet(out / "residences.parquet")
    assert list(got["residence_id"]) == [f"楼{i}" for i in range(6)]
    assert list(got["population"]) == [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]


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
    validate_output_folder(out)
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
    validate_output_folder(out)
    got = pd.read_parquet(out / "residences.parquet")
    assert np.allclose(got["snap_m"], 8.0, atol=0.5)  # back where they were placed
    notes = json.loads((out / "summary.json").read_text(encoding="utf-8"))["meta"]["notes"]
    assert not [n for n in notes if "GCJ-02" in n]


def test_good_small_catalog_works(cli: Cli, town_osm: Path, tmp_path: Path) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text(GOOD_CATEGORY, encoding="utf-8")
    out = tmp_path / "out"
    assert cli("--quiet", "run", "--osm-file", town_osm, "--catalog", path, "--out", out).code == 0
    validate_output_folder(out)
    columns = pd.read_parquet(out / "residences.parquet").columns
    assert [c for c in columns if c.startswith("walk_min_")] == ["walk_min_clinic"]


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
    validate_output_folder(out)
    access = pd.read_parquet(out / "residences.parquet")
    walk = [c for c in access.columns if c.startswith("walk_min_")]
    assert walk and access[walk].isna().all().all()
    assert (access["score"] == 0).all()


def test_everything_unreachable_on_islands(cli: Cli, tmp_path: Path) -> None:
    osm = write_town(tmp_path / "islands.osm", island=True)
    out = tmp_path / "out"
    result = cli("--quiet", "run", "--osm-file", osm, "--out", out)
    assert result.code == 0, result.err
    validate_output_folder(out)
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
    validate_output_folder(out)
    assert pd.read_parquet(out / "residences.parquet")["walk_min_clinic"].notna().all()


def test_area_across_a_utm_zone_boundary(cli: Cli, good_out: Path, tmp_path: Path) -> None:
    # The same town (in metres) centred on 102 E, where UTM zones 47 and 48 meet.
    osm = write_town(tmp_path / "zone_edge.osm", center=(102.0, 33.0))
    out = tmp_path / "out"
    assert cli("--quiet", "run", "--osm-file", osm, "--out", out).code == 0
    validate_output_folder(out)
    edge = pd.read_parquet(out / "residences.parquet").sort_values("residence_id")
    home = pd.read_parquet(good_out / "residences.parquet").sort_values("residence_id")
    for column in ("walk_min_kindergarten", "walk_min_clinic", "walk_min_supermarket"):
        a, b = edge[column].to_numpy(), home[column].to_numpy()
        assert np.all(np.isfinite(a))
        np.testing.assert_allclose(a, b, rtol=5e-3)  # UTM scale error < 0.1 % at 3° off-centre


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
