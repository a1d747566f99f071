"""The bulk shortcuts of reading a big city give what the per-feature way gives."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import pytest
import shapely
from osm_formats import OAKLAND, OAKLAND_CLIP, formats, multipolygon_town_xml, write_copy

from yushu_circle.catalog import Catalog
from yushu_circle.osm.extract import (
    Extract,
    Relation,
    absent_note,
    area_relation,
    build_extract,
    extract_from_elements,
)
from yushu_circle.osm.features import features_frame
from yushu_circle.osm.pbf import read_pbf
from yushu_circle.osm.xml import read_xml_elements
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


# --- the PBF reader's one C++ pass against pyosmium object by object ------------------------

_ARRAYS = (
    "way_ids",
    "way_offsets",
    "way_refs",
    "way_lon",
    "way_lat",
    "point_ids",
    "point_lon",
    "point_lat",
)


def _pbf_oracle(path: Path) -> Extract:
    """The extract read the straightforward way: every pyosmium object, tags as ``dict``."""
    ways: list[Any] = []
    points: list[Any] = []
    relations: list[Relation] = []
    for obj in osmium.FileProcessor(str(path)).with_locations():
        tags = dict(obj.tags)
        if obj.is_node():
            if tags and obj.location.valid():
                points.append((obj.id, obj.location.lon, obj.location.lat, tags))
        elif obj.is_way():
            located = [n.location if n.location.valid() else None for n in obj.nodes]
            lon = [np.nan if c is None else c.lon for c in located]
            lat = [np.nan if c is None else c.lat for c in located]
            ways.append((obj.id, [n.ref for n in obj.nodes], tags, lon, lat))
        elif area_relation(tags):
            kinds = {"n": "node", "w": "way", "r": "relation"}
            members = tuple((kinds[m.type], m.ref, m.role) for m in obj.members)
            relations.append(Relation(obj.id, tags, members))
    used = {ref for r in relations for kind, ref, _ in r.members if kind == "way"}
    ways = [w for w in ways if w[2] or w[0] in used]
    absent = sum(bool(np.isnan(w[3]).any()) for w in ways)
    notes = [absent_note(absent, path.name)] if absent else []
    return build_extract(ways, points, relations, notes)


def _assert_same_extract(got: Extract, expected: Extract) -> None:
    for name in _ARRAYS:
        a, b = getattr(got, name), getattr(expected, name)
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)  # NaN equal to NaN, bit for bit
    assert got.way_tags == expected.way_tags
    assert got.point_tags == expected.point_tags
    assert got.relations == expected.relations
    assert got.notes == expected.notes


@pytest.mark.skipif(not OAKLAND.exists(), reason="../shared/data is absent")
@pytest.mark.parametrize("bbox", [None, OAKLAND_CLIP], ids=["whole", "clipped"])
def test_pbf_reader_matches_pyosmium_object_by_object_on_real_data(
    tmp_path: Path, bbox: Any
) -> None:
    pbf = formats(tmp_path, OAKLAND, bbox)["pbf"]
    got = read_pbf(pbf)
    _assert_same_extract(got, _pbf_oracle(pbf))
    if bbox is not None:
        assert got.notes and np.isnan(got.way_lon).any()  # the clip left absent nodes


def test_pbf_reader_matches_pyosmium_on_multipolygons_and_xml(tmp_path: Path) -> None:
    xml = tmp_path / "town.osm"
    xml.write_text(multipolygon_town_xml(houses=4), encoding="utf-8")
    pbf = write_copy(xml, tmp_path / "town.osm.pbf", None)
    got = read_pbf(pbf)
    _assert_same_extract(got, _pbf_oracle(pbf))
    assert len(got.relations) > 10
    # The XML of the same data gives the same extract (bar the file name in the note).
    from_xml = extract_from_elements(read_xml_elements(xml), pbf.name)
    _assert_same_extract(got, from_xml)


_ODD = [
    "a b",
    "c,d",
    "e=f",
    "100%",
    "%41%",
    "x@y",
    "玉树市 结古镇",
    "😀",
    "tab\there",
    "",
    " ",
    "ä ʼ",
    "\u05ff\u0600",
    'back\\slash "quoted"',
    "x y z,=@%",
]


def _odd_pbf(path: Path) -> Path:
    """Tags and roles that OPL must escape; absent nodes; untagged, empty and member ways."""
    writer = osmium.SimpleWriter(str(path))
    mutable = osmium.osm.mutable
    try:
        for i, text in enumerate(_ODD):
            tags = {"name": text, text or "empty": "v" + text}
            writer.add_node(mutable.Node(id=i + 1, location=(97 + i * 1e-4, 33.0), tags=tags))
        for i in range(5):
            writer.add_node(mutable.Node(id=100 + i, location=(97.001 + i * 1e-4, 33.001)))
        writer.add_node(mutable.Node(id=200, location=(97.002, -33.0), tags={"shop": "x"}))
        ways = [
            (9, [998, 997], {"building": "yes"}),  # every node absent
            (10, [100, 101, 102, 999], {"highway": "foot way", "name": "a,b=c"}),
            (11, [100, 103, 104, 100], {}),  # untagged member of the relation
            (12, [101, 102], {}),  # untagged, used by nothing: left out
            (13, [], {"building": "yes"}),  # no nodes at all
        ]
        for way_id, refs, tags in ways:
            writer.add_way(mutable.Way(id=way_id, nodes=refs, tags=tags))
        members = [("w", 11, "out er"), ("w", 13, "玉,@="), ("n", 1, ""), ("r", 21, "x")]
        tags = {"type": "multipolygon", "building": "yes", "name": "r 1, %"}
        writer.add_relation(mutable.Relation(id=20, members=members, tags=tags))
        writer.add_relation(mutable.Relation(id=21, members=[], tags={"type": "route"}))
    finally:
        writer.close()
    return path


def test_pbf_reader_matches_pyosmium_on_odd_tags_and_absent_nodes(tmp_path: Path) -> None:
    pbf = _odd_pbf(tmp_path / "odd.osm.pbf")
    got = read_pbf(pbf)
    _assert_same_extract(got, _pbf_oracle(pbf))
    assert [t["name"] for t in got.point_tags[: len(_ODD)]] == _ODD
    assert got.way_ids.tolist() == [9, 10, 11, 13]
    assert np.diff(got.way_offsets).tolist() == [2, 4, 4, 0]
    assert got.relations[0].members[1] == ("way", 13, "玉,@=")
    assert got.notes == [absent_note(2, pbf.name)]


@pytest.mark.parametrize("layout", ["relations first", "mixed", "ways only", "nodes only"])
def test_pbf_reader_matches_pyosmium_in_any_order_of_objects(tmp_path: Path, layout: str) -> None:
    mutable = osmium.osm.mutable
    nodes = [
        mutable.Node(id=i, location=(97 + i * 1e-4, 33.0), tags={"n": str(i)} if i % 2 else {})
        for i in range(1, 7)
    ]
    ways = [
        mutable.Way(id=20, nodes=[1, 2, 3], tags={"highway": "footway"}),
        mutable.Way(id=10, nodes=[3, 4, 5, 3], tags={}),
        mutable.Way(id=30, nodes=[5, 6, 77], tags={"building": "yes"}),
    ]
    relation = mutable.Relation(
        id=5, members=[("w", 10, "outer")], tags={"type": "multipolygon", "landuse": "grass"}
    )
    objects: list[Any] = {
        "relations first": [relation, *ways, *nodes],
        "mixed": [nodes[0], ways[0], nodes[1], relation, *nodes[2:], *ways[1:]],
        "ways only": [*ways, relation],
        "nodes only": nodes,
    }[layout]
    pbf = tmp_path / "order.osm.pbf"
    writer = osmium.SimpleWriter(str(pbf))
    try:
        for obj in objects:
            add = {mutable.Node: writer.add_node, mutable.Way: writer.add_way}
            add.get(type(obj), writer.add_relation)(obj)
    finally:
        writer.close()
    got = read_pbf(pbf)
    _assert_same_extract(got, _pbf_oracle(pbf))
    assert len(got.way_ids) == (0 if layout == "nodes only" else 3)
    assert len(got.point_ids) == (0 if layout == "ways only" else 3)


def test_features_frame_tag_columns_as_from_records_on_real_data() -> None:
    if not OAKLAND.exists():
        pytest.skip("../shared/data is absent")
    extract = extract_from_elements(read_xml_elements(OAKLAND))
    keys = {"building", "amenity", "shop", "highway", "name", "leisure", "landuse"}
    frame = features_frame(extract, keys)
    chosen = [t for t in extract.point_tags if not keys.isdisjoint(t)]
    chosen += [t for t in extract.way_tags if not keys.isdisjoint(t)]
    chosen += [r.tags for r in extract.relations if not keys.isdisjoint(r.tags)]
    oracle = pd.DataFrame.from_records(chosen)
    oracle = oracle[sorted(oracle.columns)]
    valid = ~(frame.geometry.isna() | frame.geometry.is_empty)
    assert valid.all()  # nothing left out here, so rows align with the oracle's
    tags = pd.DataFrame(frame.drop(columns="geometry")).reset_index(drop=True)
    pd.testing.assert_frame_equal(tags, oracle)
    assert len(tags.columns) > 20


def test_tag_columns_as_objects_where_pandas_keeps_strings_as_objects() -> None:
    records = [{"a": "x", "b": "1"}, {}, {"b": "玉"}, {"a": ""}]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the option is deprecated in pandas 3
        with pd.option_context("future.infer_string", False):
            frame = features_frame(
                extract_from_elements(
                    [
                        {"type": "node", "id": i + 1, "lon": 97.0, "lat": 33.0, "tags": t}
                        for i, t in enumerate(records)
                    ]
                ),
                {"a", "b"},
            )
            oracle = pd.DataFrame.from_records([t for t in records if t])
    tags = pd.DataFrame(frame.drop(columns="geometry")).reset_index(drop=True)
    pd.testing.assert_frame_equal(tags, oracle[sorted(oracle.columns)])
    assert tags["a"].dtype == object


def _residence_oracle(features: gpd.GeoDataFrame, kinds: pd.Series, utm: Any) -> pd.DataFrame:
    """Residence ids, points and floor areas of the chosen features, row by row."""
    chosen = features.loc[kinds.index]
    rows = []
    for (element, osm_id), row in chosen.iterrows():
        shape = row.geometry
        area = gpd.GeoSeries([shape], crs="EPSG:4326").to_crs(utm).area.iloc[0]
        area = area if shape.geom_type in ("Polygon", "MultiPolygon") else 0.0
        raw = pd.to_numeric(pd.Series([row.get("building:levels")]), errors="coerce").iloc[0]
        levels = raw if np.isfinite(raw) and 0 < raw < 100 else 3.0
        if row.get("building") in ("house", "detached", "bungalow", "hut", "ger", "cabin"):
            levels = raw if np.isfinite(raw) and 0 < raw < 100 else 1.0
        rows.append(
            {
                "residence_id": f"osm-{element}-{osm_id}",
                "floor_m2": area * levels,
                "wkb": shapely.to_wkb(shape.representative_point()),
            }
        )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("where", ["demo", "multipolygon town"])
def test_residences_from_features_match_row_by_row(tmp_path: Path, where: str) -> None:
    from yushu_circle.places import residences_from_features

    if where == "demo":
        study = Study.demo()
    else:
        xml = tmp_path / "town.osm"
        xml.write_text(multipolygon_town_xml(houses=30), encoding="utf-8")
        study = Study.from_osm_file(xml)
    features = study.features
    frame, _ = residences_from_features(features, study.network.crs)
    assert len(frame) >= 20 and frame["residence_id"].is_unique
    index = pd.MultiIndex.from_tuples(
        [tuple(r.split("-", 2)[1:]) for r in frame["residence_id"]], names=["element", "id"]
    )
    index = index.set_levels(index.levels[1].astype(np.int64), level=1)
    oracle = _residence_oracle(features, pd.Series(0, index=index), study.network.crs)
    assert frame["residence_id"].tolist() == oracle["residence_id"].tolist()
    np.testing.assert_allclose(frame["floor_m2"].to_numpy(), oracle["floor_m2"], rtol=1e-9)
    assert shapely.to_wkb(frame.geometry.values).tolist() == oracle["wkb"].tolist()
    assert frame["residence_id"].dtype == pd.Series(["x"]).dtype  # as from Python strings


def test_garbage_collection_paused_inside_and_restored_after() -> None:
    import gc

    from yushu_circle.osm.gcpause import paused_gc

    seen = []

    @paused_gc()
    def build(fail: bool) -> None:
        seen.append(gc.isenabled())
        if fail:
            raise ValueError("bad input")

    assert gc.isenabled()
    build(False)
    with pytest.raises(ValueError):
        build(True)
    assert seen == [False, False] and gc.isenabled()
    gc.disable()
    try:
        build(False)
        assert not gc.isenabled()  # a caller's choice is left as it was
    finally:
        gc.enable()
    Study.demo().residences  # noqa: B018  (every reading stage runs with it paused)
    assert gc.isenabled()
