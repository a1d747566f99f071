"""The Study: fixed inputs, results computed once and returned as values."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from yushu_circle import Study
from yushu_circle.check import check_location
from yushu_circle.errors import InputError
from yushu_circle.osm.sources import demo as demo_data


@pytest.fixture(scope="module")
def demo() -> Study:
    return Study.demo()


def test_access_for_some_categories_equals_the_full_table(demo: Study) -> None:
    fresh = Study.demo()
    some = fresh.access(categories=["kindergarten", "clinic"])
    assert "walk_min_kindergarten" in some and "walk_min_clinic" in some
    walk_columns = [c for c in some.columns if c.startswith("walk_min_")]
    assert walk_columns == ["walk_min_kindergarten", "walk_min_clinic"]
    assert "score" not in some  # a score needs every category
    full = demo.access()
    for column in ("walk_min_kindergarten", "walk_min_clinic"):
        np.testing.assert_array_equal(some[column].to_numpy(), full[column].to_numpy())


def test_access_refuses_an_unknown_category(demo: Study) -> None:
    with pytest.raises(InputError, match="unknown category 'cinema'"):
        demo.access(categories=["cinema"])


def test_access_detail_carries_the_per_node_minutes(demo: Study) -> None:
    detail = demo.access_detail()
    assert set(detail.node_minutes) == {c.key for c in demo.catalog}
    assert len(detail.node_minutes["clinic"]) == demo.network.node_count
    # Off the clinics' own edges, a residence's time is its walk to one end of its edge
    # plus that node's minutes: the node minutes are those the table was made from.
    net, snap = demo.network, demo.residence_snap
    clinic_edges = set(demo.facility_snaps["clinic"].edge.tolist())
    rows = [i for i in np.flatnonzero(snap.on_network) if snap.edge[i] not in clinic_edges][:200]
    edge, frac = snap.edge[rows], snap.frac[rows]
    node = detail.node_minutes["clinic"]
    expected = snap.snap_m[rows] / net.metres_per_minute + np.minimum(
        frac * net.time_vu[edge] + node[net.edge_u[edge]],
        (1 - frac) * net.time_uv[edge] + node[net.edge_v[edge]],
    )
    minutes = detail.minutes["walk_min_clinic"].to_numpy()[rows]
    np.testing.assert_allclose(minutes, expected, rtol=0, atol=1e-9)


def test_isochrones_for_chosen_residences_equal_those_of_all(demo: Study) -> None:
    ids = demo.residences["residence_id"].to_numpy()
    chosen = [ids[7], ids[3]]
    some = demo.isochrones(residences=chosen)
    assert sorted(set(some["residence_id"])) == sorted(chosen)
    everyone = demo.isochrones()
    for rid in chosen:
        a = some[some["residence_id"] == rid].sort_values("minutes").geometry.to_numpy()
        b = everyone[everyone["residence_id"] == rid].sort_values("minutes").geometry.to_numpy()
        for x, y in zip(a, b, strict=True):
            assert x.symmetric_difference(y).area < 1e-12


def test_isochrones_refuse_an_unknown_residence(demo: Study) -> None:
    with pytest.raises(InputError, match="not in the study"):
        demo.isochrones(residences=["no-such-home"])


def test_repr_names_the_data_and_what_is_computed() -> None:
    study = Study.demo()
    before = repr(study)
    assert "synthetic=True" in before and "residences=" not in before  # nothing computed
    study.access()
    after = repr(study)
    assert f"residences={len(study.residences):,}" in after
    assert f"facilities={len(study.facilities):,}" in after
    assert f"edges={study.network.edge_count:,}" in after


def test_notes_do_not_depend_on_what_was_read_first() -> None:
    one, two = Study.demo(), Study.demo()
    _ = one.facilities
    _ = one.residences
    _ = two.network
    _ = two.access()
    assert one.notes == two.notes
    assert one.metadata()["notes"] == two.metadata()["notes"]


def test_what_if_is_a_new_study_and_leaves_the_old_one_alone(demo: Study) -> None:
    before = demo.access()
    inputs_before = demo.inputs
    site = demo.residences.geometry.iloc[0]
    added = gpd.GeoDataFrame(
        {"category": ["kindergarten"], "name": ["新幼儿园 (synthetic)"]},
        geometry=[Point(site.x, site.y)],
        crs="EPSG:4326",
    )
    after = demo.with_facilities(added=added)
    assert after is not demo and demo.inputs is inputs_before
    assert after.network is demo.network and after.residence_snap is demo.residence_snap
    assert after.facility_snaps["clinic"] is demo.facility_snaps["clinic"]  # unchanged reused
    assert len(after.facilities) == len(demo.facilities) + 1
    new = after.access()["walk_min_kindergarten"].to_numpy()
    old = before["walk_min_kindergarten"].to_numpy()
    assert np.all(np.nan_to_num(new, nan=np.inf) <= np.nan_to_num(old, nan=np.inf) + 1e-9)
    # The new kindergarten stands at residence 0's door: its walk is the two access legs.
    # (snap_m is rounded to the centimetre in the table)
    assert new[0] <= 2 * (before["snap_m"].iloc[0] + 0.005) / demo.network.metres_per_minute
    np.testing.assert_array_equal(demo.access()["walk_min_kindergarten"].to_numpy(), old)
    assert "what-if" in after.notes[-1]
    assert after.inputs == dataclasses.replace(
        demo.inputs,
        **{
            f.name: getattr(after.inputs, f.name)
            for f in dataclasses.fields(after.inputs)
            if f.name in {"catalog", "facilities", "osm_facilities", "scenario"}
        },
    )


def test_removing_an_unknown_facility_is_refused(demo: Study) -> None:
    with pytest.raises(InputError, match="not in the study"):
        demo.with_facilities(removed=["nope"])


def test_the_notes_count_schools_taken_by_the_fallback_rule(demo: Study) -> None:
    from yushu_circle.places import classified_facilities

    _, fell_back = classified_facilities(demo.features, demo.catalog)
    assert fell_back["primary_school"] >= 1  # the demo has a school with no level tag
    note = [n for n in demo.notes if "fallback rule" in n]
    assert note == [
        f"{fell_back['primary_school']:,} OSM feature(s) counted as Primary school (小学) only "
        "by the documented fallback rule (nothing told their level; see the README's facility "
        f"categories) / {fell_back['primary_school']:,} 个 OSM 要素仅按文档中的默认规则计为小学"
        "（未标注级别）"
    ]
    assert note[0] in demo.metadata()["notes"]


def test_edits_to_the_access_table_leave_the_study_alone(demo: Study) -> None:
    before = demo.access()
    expected = before.copy()
    column = next(c for c in before.columns if c.startswith("walk_min_"))
    edited = demo.access()
    edited[column] = -1.0
    edited.loc[0, "population"] = 1e9
    edited["added"] = 1
    again = demo.access()
    assert "added" not in again.columns
    assert (again[column].fillna(0) >= 0).all()
    assert again.equals(expected)
    assert demo.summary().equals(Study.demo().summary())


def test_the_extract_is_let_go_once_network_and_features_are_built() -> None:
    kept = Study.demo()
    released = Study.demo()
    assert released.data.extract is not None
    bounds, label = released.data.bounds, released.data.label
    _ = released.network
    assert released.data.extract is not None  # the features still need it
    _ = released.features
    assert released.data.extract is None and released.data.elements == []
    assert released.data.has_features and released.data.bounds == bounds
    assert released.data.label == label
    # Nothing the study computes afterwards changes: residences, facilities, notes, results.
    assert released.access().equals(kept.access())
    assert released.facilities.equals(kept.facilities)
    assert released.notes == kept.notes
    assert released.metadata() == kept.metadata()
    # The resident's check still names the streets it walks (the network carries them).
    home = kept.residences.geometry.iloc[0]
    routes = [
        [(r.category, [street.name for street in r.streets]) for r in check.routes]
        for check in (check_location(s, home.x, home.y) for s in (released, kept))
    ]
    assert routes[0] == routes[1]
    assert any(name.startswith("示例") for _, names in routes[0] for name in names)
    # The caller's own data object keeps its extract.
    data = demo_data()
    study = Study(data)
    _ = study.network, study.features
    assert data.extract is not None and study.data.extract is None
