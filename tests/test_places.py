"""User files: coordinate aliases, encodings and datums."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import prcoords
import pytest

from yushu_circle.user_points import read_user_points, to_wgs84, user_facilities, user_residences


def test_csv_aliases_and_gbk_encoding(tmp_path: Path) -> None:
    path = tmp_path / "homes.csv"
    path.write_bytes("编号,经度,纬度,人口\n1,97.01,33.0,12\n2,97.02,33.01,30\n".encode("gbk"))
    frame = user_residences(path)
    assert frame["population"].tolist() == [12.0, 30.0]
    assert frame.geometry.x.tolist() == [97.01, 97.02]


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_chinese_datums_convert_back_to_wgs84(tmp_path: Path, datum: str) -> None:
    rng = np.random.default_rng(3)
    lon = rng.uniform(96.9, 97.1, 20)
    lat = rng.uniform(32.9, 33.1, 20)
    forward = prcoords.wgs_gcj if datum == "gcj02" else prcoords.wgs_bd
    shifted = [forward(prcoords.Coords(a, o)) for o, a in zip(lon, lat, strict=True)]
    path = tmp_path / "pois.csv"
    rows = "".join(f"p{i},clinic,{c.lon},{c.lat}\n" for i, c in enumerate(shifted))
    path.write_text("name,category,lng,lat\n" + rows, encoding="utf-8")
    frame, _ = user_facilities(path, datum=datum)
    # Converted back to within a few centimetres (1e-6 degrees is ~0.1 m).
    np.testing.assert_allclose(frame.geometry.x, lon, atol=1e-6)
    np.testing.assert_allclose(frame.geometry.y, lat, atol=1e-6)
    east = (np.array([c.lon for c in shifted]) - lon) * 111_320 * np.cos(np.radians(lat))
    north = (np.array([c.lat for c in shifted]) - lat) * 110_950
    assert np.hypot(east, north).min() > 100  # the offset really was hundreds of metres


def test_wgs84_is_left_alone() -> None:
    lon, lat = to_wgs84(np.array([97.0]), np.array([33.0]), "wgs84")
    assert lon[0] == 97.0 and lat[0] == 33.0


def test_geojson_in_projected_crs_is_reprojected(tmp_path: Path) -> None:
    import geopandas as gpd

    frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy([97.01], [33.0]), crs=4326)
    path = tmp_path / "homes.geojson"
    frame.to_crs(32647).to_file(path)
    back = read_user_points(path)
    assert back.geometry.x.iloc[0] == pytest.approx(97.01, abs=1e-7)
    assert back.geometry.y.iloc[0] == pytest.approx(33.0, abs=1e-7)


def test_residential_streets_stand_in_when_nothing_else_is_mapped(tmp_path: Path) -> None:
    from conftest import town_xml

    from yushu_circle import Study
    from yushu_circle.places import SAMPLE_SPACING_M

    # A 6 × 6 grid of residential streets, 100 m apart, with no building and no land use.
    xml = town_xml(residences=False).replace('v="unclassified"', 'v="residential"')
    path = tmp_path / "streets_only.osm"
    path.write_text(xml, encoding="utf-8")
    study = Study.from_osm_file(path)
    residences = study.residences
    assert "residential streets" in study.residence_source
    assert (residences["kind"] == "sample point").all()
    # 6 km of street (corners merge two 100 m edges into one); along each edge a point every
    # SAMPLE_SPACING_M starting half a spacing in
    lengths = study.network.edge_length
    assert lengths.sum() == pytest.approx(12 * 500.0, rel=0.01)
    expected = sum(len(np.arange(SAMPLE_SPACING_M / 2, n, SAMPLE_SPACING_M)) for n in lengths)
    assert len(residences) == expected
    assert np.all(study.residence_snap.snap_m < 1.0)


# --- which OSM buildings are residences -------------------------------------------------


def _square(x: float, y: float, half: float = 0.0001) -> object:
    from shapely.geometry import box

    return box(x - half, y - half, x + half, y + half)


def _features() -> gpd.GeoDataFrame:
    """Hand-made features at Jiegu: one building per rule, plus 20 bare building=yes."""
    x0, y0 = 97.01, 33.0
    rows = [
        (("way", 1), {"landuse": "residential"}, _square(x0, y0, 0.001)),
        (("way", 2), {"building": "yes"}, _square(x0, y0)),  # inside residential landuse
        (("way", 3), {"building": "apartments"}, _square(x0 + 0.01, y0)),
        (("relation", 4), {"building": "house", "type": "multipolygon"}, _square(x0 + 0.02, y0)),
        (("way", 5), {"building": "yes", "shop": "supermarket"}, _square(x0 + 0.03, y0)),
        (("way", 6), {"landuse": "industrial"}, _square(x0 + 0.04, y0, 0.001)),
        (("way", 7), {"building": "yes"}, _square(x0 + 0.04, y0)),  # in industrial landuse
        (("way", 8), {"amenity": "school"}, _square(x0 + 0.05, y0, 0.001)),
        (("way", 9), {"building": "yes"}, _square(x0 + 0.05, y0)),  # on school grounds
        (("way", 10), {"building": "commercial"}, _square(x0 + 0.06, y0)),
    ]
    rows += [
        (("way", 100 + k), {"building": "yes"}, _square(x0 + 0.001 * k, y0 + 0.01))
        for k in range(20)
    ]
    index = pd.MultiIndex.from_tuples([r[0] for r in rows], names=["element", "id"])
    frame = pd.DataFrame.from_records([r[1] for r in rows], index=index)
    return gpd.GeoDataFrame(frame, geometry=[r[2] for r in rows], crs="EPSG:4326")


def test_each_building_rule_takes_its_buildings_and_the_summary_counts_them() -> None:
    from yushu_circle.network import utm_crs
    from yushu_circle.places import residences_from_features
    from yushu_circle.residential import KIND_TYPED, KIND_YES_ELSEWHERE, KIND_YES_IN_RESIDENTIAL

    frame, how = residences_from_features(_features(), utm_crs(97.01, 33.0))
    kinds = dict(zip(frame["residence_id"], frame["kind"], strict=True))
    assert kinds["osm-way-2"] == KIND_YES_IN_RESIDENTIAL
    assert kinds["osm-way-3"] == KIND_TYPED
    assert kinds["osm-relation-4"] == KIND_TYPED
    for excluded in ("osm-way-5", "osm-way-7", "osm-way-9", "osm-way-10"):
        assert excluded not in kinds
    assert sum(k == KIND_YES_ELSEWHERE for k in kinds.values()) == 20
    assert f"2 {KIND_TYPED}, 1 {KIND_YES_IN_RESIDENTIAL}, 20 {KIND_YES_ELSEWHERE}" in how
    assert "population estimated from floor area" in how
    assert (frame["floor_m2"] > 0).all()


def test_building_yes_rule_can_be_switched_off() -> None:
    from yushu_circle.network import utm_crs
    from yushu_circle.places import residences_from_features

    frame, how = residences_from_features(
        _features(), utm_crs(97.01, 33.0), yes_buildings="residential_landuse"
    )
    # Only 3 buildings by the other rules: too few, sample points stand in (1 each).
    assert (frame["kind"] == "sample point").all()
    assert "population 1 each" in how
