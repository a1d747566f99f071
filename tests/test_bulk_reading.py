"""The bulk shortcuts of reading a big city give what the per-feature way gives."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from yushu_circle.catalog import Catalog
from yushu_circle.osm.extract import extract_from_elements
from yushu_circle.osm.features import features_frame
from yushu_circle.places import classified_facilities
from yushu_circle.residential import representative_points, surface_areas
from yushu_circle.study import Study

_TAGS = [
    {"building": "yes"},
    {"building": "residential", "building:levels": "5"},
    {"building": "apartments"},
    {"building": "school"},
    {"building": "kindergarten"},
    {"building": "yes;retail"},
    {"amenity": "clinic", "name": "社区卫生服务站"},
    {"amenity": "clinic;pharmacy"},
    {"amenity": "school", "name": "第一小学"},
    {"amenity": "school", "isced:level": "2"},
    {"amenity": "school"},
    {"amenity": "kindergarten", "building": "yes"},
    {"shop": "supermarket", "name": "超市"},
    {"shop": "convenience"},
    {"shop": "hairdresser"},
    {"leisure": "park"},
    {"leisure": "pitch", "sport": "basketball"},
    {"healthcare": "hospital"},
    {"amenity": "bank", "name": "银行"},
    {"name": "无名"},
    {"landuse": "residential"},
    {"highway": "footway"},
]


def _features(tags: list[dict[str, str]]) -> gpd.GeoDataFrame:
    index = pd.MultiIndex.from_arrays(
        [np.array(["node"] * len(tags), dtype=object), np.arange(1, len(tags) + 1)],
        names=["element", "id"],
    )
    frame = pd.DataFrame.from_records(tags, index=index)
    frame = frame[sorted(frame.columns)]
    points = shapely.points(97.0 + np.arange(len(tags)) * 1e-4, np.full(len(tags), 33.0))
    return gpd.GeoDataFrame(frame, geometry=points, crs="EPSG:4326")


def test_plain_buildings_set_aside_in_bulk_match_no_category() -> None:
    catalog = Catalog.default()
    features = _features(_TAGS * 3)
    facilities, fell_back = classified_facilities(features, catalog)
    # Oracle: every feature's own tags through the per-feature rule matcher.
    expected = [
        (f"osm-node-{i + 1}-{key}", key, tags.get("name", ""))
        for i, tags in enumerate(_TAGS * 3)
        for key in catalog.match(tags).keys
    ]
    assert expected, "the oracle features must match some category"
    columns = (facilities["facility_id"], facilities["category"], facilities["name"])
    got = list(zip(*columns, strict=True))
    assert got == expected
    assert fell_back == catalog.classify_features(_TAGS * 3).fell_back


@pytest.mark.parametrize("tags", _TAGS)
def test_a_tag_that_may_not_match_makes_no_category(tags: dict[str, str]) -> None:
    catalog = Catalog.default()
    if not any(catalog.may_match(k, v) for k, v in tags.items()):
        assert catalog.match(tags).keys == ()
    if catalog.match(tags).keys:
        assert any(catalog.may_match(k, v) for k, v in tags.items())


def test_plain_buildings_may_not_match() -> None:
    catalog = Catalog.default()
    assert not catalog.may_match("building", "yes")
    assert not catalog.may_match("building", "residential")
    assert catalog.may_match("amenity", "clinic")
    assert catalog.may_match("amenity", "pharmacy;clinic")  # each ";" part is looked up


def test_features_frame_tag_columns_as_from_records() -> None:
    elements = [
        {"type": "node", "id": 1, "lon": 97.0, "lat": 33.0, "tags": {"building": "house"}},
        {"type": "node", "id": 2, "lon": 97.001, "lat": 33.0, "tags": {"amenity": "clinic"}},
        {"type": "node", "id": 3, "lon": 97.001, "lat": 33.001},
        {"type": "node", "id": 4, "lon": 97.0, "lat": 33.001, "tags": {"shop": "x", "name": "n"}},
        {"type": "way", "id": 10, "nodes": [1, 2, 3, 4, 1], "tags": {"building": "yes"}},
        {"type": "way", "id": 11, "nodes": [1, 3], "tags": {"highway": "footway", "name": "路"}},
    ]
    extract = extract_from_elements(elements)
    frame = features_frame(extract, {"building", "amenity", "shop", "highway"})
    records = [extract.point_tags[i] for i in range(len(extract.point_tags))]
    records += list(extract.way_tags)
    oracle = pd.DataFrame.from_records(records)
    oracle = oracle[sorted(oracle.columns)]
    tags = pd.DataFrame(frame.drop(columns="geometry")).reset_index(drop=True)
    pd.testing.assert_frame_equal(tags, oracle)
    assert list(frame.index) == [("node", 1), ("node", 2), ("node", 4), ("way", 10), ("way", 11)]
    assert list(frame.geometry.geom_type) == ["Point", "Point", "Point", "Polygon", "LineString"]


def test_edges_frame_is_the_reprojected_edges() -> None:
    network = Study.demo().network
    frame = network.edges_frame()
    oracle = gpd.GeoDataFrame(
        {
            "u": network.node_ids[network.edge_u],
            "v": network.node_ids[network.edge_v],
            "length_m": network.edge_length,
            "highway": network.edge_highway,
        },
        geometry=list(network.edge_geometry),
        crs=network.crs,
    ).to_crs("EPSG:4326")
    pd.testing.assert_frame_equal(
        pd.DataFrame(frame.drop(columns="geometry")), pd.DataFrame(oracle.drop(columns="geometry"))
    )
    assert frame.crs == oracle.crs
    assert (shapely.to_wkb(frame.geometry.values) == shapely.to_wkb(oracle.geometry.values)).all()


def test_representative_points_and_surface_areas_of_mixed_shapes() -> None:
    shapes = np.array(
        [
            shapely.Point(97.0, 33.0),
            shapely.box(97.0, 33.0, 97.001, 33.001),
            shapely.LineString([(97.0, 33.0), (97.002, 33.001)]),
            shapely.MultiPolygon([shapely.box(97.0, 33.0, 97.0005, 33.0005)]),
        ],
        dtype=object,
    )
    points = representative_points(shapes)
    assert shapely.equals(points, shapely.point_on_surface(shapes)).all()
    assert points[0] is shapes[0]
    series = gpd.GeoSeries(shapes, crs="EPSG:4326")
    areas = surface_areas(series, "EPSG:32647")
    np.testing.assert_array_equal(areas, series.to_crs("EPSG:32647").area.to_numpy())
    assert areas[1] > 10_000 and areas[0] == 0.0 and areas[2] == 0.0
