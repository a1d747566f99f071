"""Bad study areas and user files: refused before any query, never silently dropped, and
fuzzed GeoJSON/GeoPackage inputs give a clean error or a valid result."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
from conftest import FakeOSMServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from yushu_circle.errors import InputError, YushuError
from yushu_circle.osm.overpass import ALLOW_LARGE_AREA_ENV, MAX_QUERY_AREA_KM2, check_query_area
from yushu_circle.user_points import read_user_points, user_facilities, user_residences

# --- study areas too large for one Overpass query ------------------------------------------


def test_whole_world_bbox_is_refused_before_any_query(
    cli: Any, osm_server: FakeOSMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ALLOW_LARGE_AREA_ENV, "")
    result = cli("run", "--bbox=-180,-90,180,90", "--out", tmp_path / "out")
    assert result.code == 2, result.err
    line = result.err.strip().splitlines()[-1]
    assert "km²" in line and f"{MAX_QUERY_AREA_KM2:,.0f} km² limit" in line
    assert "--allow-large-area" in line and "smaller" in line
    assert "GB" in line  # the estimated download
    assert osm_server.count("overpass") == 0


def test_allow_large_area_sends_the_query(
    cli: Any, osm_server: FakeOSMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ALLOW_LARGE_AREA_ENV, "")
    bbox = "--bbox=96.7,32.7,97.3,33.3"  # about 3,700 km² with its margin
    refused = cli("run", bbox, "--out", tmp_path / "refused")
    assert refused.code == 2 and osm_server.count("overpass") == 0
    cli("--quiet", "run", bbox, "--allow-large-area", "--no-isochrones", "--out", tmp_path / "ok")
    assert osm_server.count("overpass") == 1


def test_a_city_sized_area_passes_the_check() -> None:
    assert check_query_area((96.95, 32.95, 97.07, 33.05), "Jiegu", False) < MAX_QUERY_AREA_KM2


# --- user files ---------------------------------------------------------------------------


def _geojson(path: Path, coordinates: list[Any]) -> Path:
    features = [
        {
            "type": "Feature",
            "properties": {"id": f"h{i}", "population": 10},
            "geometry": None if c is None else {"type": "Point", "coordinates": c},
        }
        for i, c in enumerate(coordinates)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


@pytest.mark.parametrize("bad", [[math.nan, math.nan], None, [97.0, math.nan]])
def test_geojson_point_without_usable_coordinates_is_refused(tmp_path: Path, bad: Any) -> None:
    coordinates: list[Any] = [[97.01, 33.0 + 0.001 * i] for i in range(6)]
    coordinates[2] = bad
    path = _geojson(tmp_path / "res_nan.geojson", coordinates)
    with pytest.raises(InputError) as info:
        user_residences(path)
    assert "1 of 6 features" in str(info.value) and "feature 3" in str(info.value)


def _two_layer_gpkg(path: Path) -> Path:
    for layer, shift in (("homes", 0.0), ("shops", 0.002)):
        frame = gpd.GeoDataFrame(
            {"name": [f"{layer}{i}" for i in range(3)], "category": "clinic"},
            geometry=[Point(97.01 + shift, 33.0 + 0.001 * i) for i in range(3)],
            crs="EPSG:4326",
        )
        frame.to_file(path, layer=layer, driver="GPKG")
    return path


def test_geopackage_with_two_layers_must_name_one(tmp_path: Path) -> None:
    path = _two_layer_gpkg(tmp_path / "two.gpkg")
    with pytest.raises(InputError) as info:
        read_user_points(path, what="residences")
    message = str(info.value)
    assert "2 layers (homes, shops)" in message and f"{path}:homes" in message
    shops = read_user_points(f"{path}:shops", what="facilities")
    assert list(shops["name"]) == ["shops0", "shops1", "shops2"]
    with pytest.raises(InputError, match="no layer 'parks'"):
        read_user_points(f"{path}:parks")


# --- fuzzing --------------------------------------------------------------------------------

_number = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-200, 200),
    st.integers(-(10**12), 10**12),
)
_coordinate = st.lists(_number, min_size=0, max_size=3)
_geometry = st.one_of(
    st.none(),
    st.builds(lambda c: {"type": "Point", "coordinates": c}, _coordinate),
    st.builds(
        lambda cs: {"type": "LineString", "coordinates": cs}, st.lists(_coordinate, max_size=4)
    ),
    st.builds(
        lambda cs: {"type": "Polygon", "coordinates": [cs]}, st.lists(_coordinate, max_size=5)
    ),
    st.just({"type": "Nonsense"}),
)
_value = st.one_of(st.none(), st.text(max_size=8), _number, st.booleans())
_properties = st.dictionaries(
    st.sampled_from(["id", "population", "category", "name", "lon", "类别", "人口", "x"]),
    _value,
    max_size=5,
)


def _check_result(frame: gpd.GeoDataFrame) -> None:
    lon, lat = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
    assert np.all(np.isfinite(lon)) and np.all(np.abs(lon) <= 180)
    assert np.all(np.isfinite(lat)) and np.all(np.abs(lat) <= 90)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    features=st.lists(st.tuples(_geometry, _properties), max_size=6),
    crs=st.sampled_from([None, "EPSG:4326", "EPSG:3857", "urn:ogc:def:crs:EPSG::32647", "bogus"]),
)
def test_fuzzed_geojson_gives_a_clean_error_or_a_valid_result(
    tmp_path: Path, features: list[Any], crs: str | None
) -> None:
    document: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": p, "geometry": g} for g, p in features],
    }
    if crs is not None:
        document["crs"] = {"type": "name", "properties": {"name": crs}}
    path = tmp_path / "fuzz.geojson"
    path.write_text(json.dumps(document), encoding="utf-8")
    for read in (user_residences, lambda p: user_facilities(p)[0]):
        try:
            frame = read(path)
        except YushuError as exc:
            assert "\n" not in str(exc)
            continue
        _check_result(frame)
        if "population" in frame:
            assert (frame["population"] >= 0).all()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    points=st.lists(st.tuples(_number, _number), min_size=1, max_size=5),
    layers=st.integers(1, 3),
    population=st.lists(_value, min_size=5, max_size=5),
    name_layer=st.booleans(),
)
def test_fuzzed_geopackage_gives_a_clean_error_or_a_valid_result(
    tmp_path: Path, points: list[Any], layers: int, population: list[Any], name_layer: bool
) -> None:
    path = tmp_path / "fuzz.gpkg"
    if path.exists():
        path.unlink()
    for k in range(layers):
        values = [str(v) for v in population[: len(points)]]
        frame = gpd.GeoDataFrame(
            {"population": values, "category": "clinic"},
            geometry=[Point(float(x), float(y)) for x, y in points],
            crs="EPSG:4326",
        )
        frame.to_file(path, layer=f"layer{k}", driver="GPKG")
    target = f"{path}:layer0" if name_layer else path
    for read in (user_residences, lambda p: user_facilities(p)[0]):
        try:
            frame = read(target)
        except YushuError as exc:
            assert "\n" not in str(exc)
            continue
        _check_result(frame)
