"""Yushu's 12 townships: the shipped areas file, and `batch` on it offline (synthetic answers)."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qs, unquote_plus, urlparse

import geopandas as gpd
import pandas as pd
import pytest
from conftest import CONTRACT, CliResult, RecordedOSM
from shapely.geometry import shape

from yushu_circle.batch import COMBINED_FILE, DONE_MARKER, STATUS_FILE, read_areas
from yushu_circle.osm.area import bbox_area_km2
from yushu_circle.osm.overpass import MAX_QUERY_AREA_KM2

ROOT = Path(__file__).resolve().parents[1]
AREAS = ROOT / "data" / "areas" / "yushu_townships.csv"
NAMES_ZH = [
    "结古街道", "扎西科街道", "西杭街道", "新寨街道", "隆宝镇", "下拉秀镇",
    "仲达乡", "巴塘乡", "小苏莽乡", "上拉秀乡", "安冲乡", "哈秀乡",
]  # fmt: skip


def _rows() -> pd.DataFrame:
    text = AREAS.read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return pd.read_csv(StringIO(body), dtype=str, keep_default_na=False)


def test_the_areas_file_lists_the_12_divisions_with_sources() -> None:
    rows = _rows()
    assert list(rows["name_zh"]) == NAMES_ZH
    assert rows["area_id"].is_unique
    # A romanisation only where a page read gives one: none for 哈秀乡.
    assert (rows["name_en"].str.len().gt(0) == (rows["verified"] == "yes")).all()
    # Each row's code is the division's official code (yushu_divisions.csv).
    divisions = pd.read_csv(
        StringIO("\n".join(ln for ln in (AREAS.parent / "yushu_divisions.csv").read_text(
            encoding="utf-8").splitlines() if not ln.startswith("#"))), dtype=str
    )  # fmt: skip
    assert dict(zip(rows["name_zh"], rows["code"], strict=True)) == dict(
        zip(divisions["name_zh"], divisions["code"], strict=True)
    )
    assert (rows["by_settlement"] == "yes").all()
    assert (rows["kind"].str[0] == rows["name_zh"].str[-1].replace({"道": "街"})).all()
    assert set(rows["verified"]) <= {"yes", "name only"}
    assert (rows["bbox"] == "").all()  # no source gave an extent: none is guessed
    for _, row in rows.iterrows():
        assert row["place"] == f"{row['name_zh']}, 玉树市, 青海省, 中国"
    header = [line for line in AREAS.read_text(encoding="utf-8").splitlines() if line[:1] == "#"]
    urls = [line for line in header if "https://" in line or "http://" in line]
    assert len(urls) >= 3
    assert any("yushu-circle batch data/areas/yushu_townships.csv" in line for line in header)
    # The reader used by `batch` skips the header notes and finds one place per area.
    areas = read_areas(AREAS)
    assert [a.area_id for a in areas] == list(rows["area_id"])
    assert [a.code for a in areas] == list(rows["code"])
    assert all(a.source.kind == "place" and a.source.name for a in areas)
    assert all(a.source.box is None and a.source.path is None for a in areas)
    assert all(a.source.by_settlement is True for a in areas)


def test_a_hash_inside_a_value_is_still_data(tmp_path: Path) -> None:
    path = tmp_path / "areas.csv"
    path.write_text("# notes\narea_id,place\nx,a #1 street\n", encoding="utf-8")
    assert read_areas(path)[0].source.name == "a #1 street"


@pytest.mark.slow
@pytest.mark.recorded("townships_recorded.json")
def test_batch_on_the_12_townships_offline(
    cli: Callable[..., CliResult], recorded_osm: RecordedOSM, tmp_path: Path
) -> None:
    out = tmp_path / "townships"
    result = cli("--quiet", "batch", AREAS, "--out", out, "--workers", "2")
    assert result.code == 0, result.err + result.out
    rows = _rows()
    ids = list(rows["area_id"])
    status = pd.read_csv(out / STATUS_FILE, encoding="utf-8-sig", dtype={"code": str})
    assert list(status["area_id"]) == ids and (status["status"] == "ok").all()
    assert list(status["code"]) == list(rows["code"])  # a bureau joins on the division code
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert folders == sorted(ids)
    for area_id in ids:
        assert CONTRACT | {DONE_MARKER} <= {p.name for p in (out / area_id).iterdir()}
    combined = pd.read_csv(out / COMBINED_FILE, encoding="utf-8-sig", dtype={"code": str})
    assert list(dict.fromkeys(combined["area_id"])) == ids
    assert dict(zip(combined["area_id"], combined["code"], strict=True)) == dict(
        zip(rows["area_id"], rows["code"], strict=True)
    )
    assert combined.groupby("area_id")["category"].nunique().nunique() == 1
    # Every area asked the geocoder for its own place, searched it for settlements once,
    # then read only its settlements: its seat town, and in every third township a hamlet
    # (skipped: no street) — never a box of the whole township (about 1,270 km²).
    asked = {unquote_plus(parse_qs(urlparse(t).query)["q"][0])
             for k, t in recorded_osm.requests if k == "nominatim"}  # fmt: skip
    assert asked == set(rows["place"])
    kinds = [k for k, _ in recorded_osm.requests]
    assert kinds.count("search") == 12
    assert kinds.count("overpass") == 12 + 4  # 12 seats and 4 hamlets
    township_km2 = bbox_area_km2(shape(next(iter(recorded_osm.areas.values()))["nominatim"][0]
                                       ["geojson"]).bounds)  # fmt: skip
    assert township_km2 > MAX_QUERY_AREA_KM2
    # At most a town's 1.5 km disc with its 1.5 km margin: a box of about 6 km, 40 km².
    assert max(bbox_area_km2(b) for b in recorded_osm.boxes("overpass")) < 45
    # ... and each area's results come from its own synthetic town, not a neighbour's.
    centers = {v["area_id"]: v["nominatim"][0] for v in recorded_osm.areas.values()}
    for area_id in ids:
        residences = gpd.read_parquet(out / area_id / "residences.parquet")
        assert len(residences) > 0
        lon, lat = float(centers[area_id]["lon"]), float(centers[area_id]["lat"])
        assert abs(residences.geometry.x.mean() - lon) < 0.005, area_id
        assert abs(residences.geometry.y.mean() - lat) < 0.005, area_id
        notes = json.loads((out / area_id / "summary.json").read_text(encoding="utf-8"))
        assert any("settlement(s) 聚落" in n for n in notes["meta"]["notes"]), area_id


def test_the_areas_file_ships_in_the_wheel() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "areas/*" in config["tool"]["setuptools"]["package-data"]["yushu_circle.data"]
