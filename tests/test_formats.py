"""The same OSM data as .osm, .osm.pbf and Overpass JSON gives the same study, and clipped
relations never crash."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import FakeOSMServer, Reply
from osm_formats import (
    OAKLAND,
    OAKLAND_CLIP,
    formats,
    minimal_clipped_relation_xml,
    multipolygon_town_xml,
)

from yushu_circle import Study
from yushu_circle.check import check_location
from yushu_circle.columns import walk_min
from yushu_circle.osm.sources import read_osm_file

needs_oakland = pytest.mark.skipif(not OAKLAND.exists(), reason="../shared/data is absent")


def _town(tmp_path: Path) -> Path:
    path = tmp_path / "multipolygon_town.osm"
    path.write_text(multipolygon_town_xml(), encoding="utf-8")
    return path


def _bbox_of(path: Path) -> list[float]:
    """A box a little wider than every node of the file."""
    west, south, east, north = read_osm_file(path).extract.bounds  # type: ignore[union-attr]
    return [west - 0.001, south - 0.001, east + 0.001, north + 0.001]


def _three_studies(
    paths: dict[str, Path], server: FakeOSMServer, bbox: list[float]
) -> dict[str, Study]:
    answer = json.loads(paths["json"].read_text(encoding="utf-8"))
    server.overpass_replies.append(Reply(200, answer))
    return {
        "osm": Study.from_osm_file(paths["osm"], bbox=bbox),
        "pbf": Study.from_osm_file(paths["pbf"], bbox=bbox),
        "json": Study.from_bbox(bbox),
    }


def _network_sets(study: Study) -> tuple[set[int], set[tuple[int, int, float]]]:
    net = study.network
    ids = net.node_ids
    edges = {
        (int(min(ids[u], ids[v])), int(max(ids[u], ids[v])), round(float(length), 6))
        for u, v, length in zip(net.edge_u, net.edge_v, net.edge_length, strict=True)
    }
    return set(ids.tolist()), edges


def _edge_names(study: Study) -> dict[tuple[int, int, float], str]:
    net = study.network
    assert net.edge_name is not None
    ids = net.node_ids
    return {
        (int(min(ids[u], ids[v])), int(max(ids[u], ids[v])), round(float(length), 6)): str(name)
        for u, v, length, name in zip(
            net.edge_u, net.edge_v, net.edge_length, net.edge_name, strict=True
        )
    }


def _routes(study: Study) -> list[tuple[str, float | None, list[str]]]:
    """The resident's check from the first residence: what a planner reads, per category."""
    home = study.residences.sort_values("residence_id").geometry.iloc[0]
    checked = check_location(study, home.x, home.y)
    return [
        (
            r.category,
            None if math.isnan(r.minutes) else round(r.minutes, 6),
            [s.name for s in r.streets],
        )
        for r in checked.routes
    ]


def _assert_same(studies: dict[str, Study]) -> dict[str, Any]:
    base = studies["osm"]
    nodes, edges = _network_sets(base)
    names, routes = _edge_names(base), _routes(base)
    access = base.access().set_index("residence_id").sort_index()
    columns = [walk_min(key) for key in base.catalog.keys]
    facilities = sorted(base.facilities["facility_id"])
    for kind, study in studies.items():
        other_nodes, other_edges = _network_sets(study)
        assert other_nodes == nodes, kind
        assert other_edges == edges, kind
        assert _edge_names(study) == names, kind
        assert _routes(study) == routes, kind
        assert sorted(study.facilities["facility_id"]) == facilities, kind
        other = study.access().set_index("residence_id").sort_index()
        assert list(other.index) == list(access.index), kind
        np.testing.assert_array_equal(other["population"], access["population"])
        a, b = access[columns].to_numpy(), other[columns].to_numpy()
        assert np.array_equal(np.isnan(a), np.isnan(b)), kind
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-6, equal_nan=True)
    return {
        "residences": len(access),
        "facilities": len(facilities),
        "edges": len(edges),
        "named": sorted({n for n in names.values() if n}),
        "routes": routes,
    }


@needs_oakland
def test_west_oakland_is_the_same_in_every_format(
    tmp_path: Path, osm_server: FakeOSMServer
) -> None:
    paths = formats(tmp_path, OAKLAND)
    counts = _assert_same(_three_studies(paths, osm_server, _bbox_of(paths["osm"])))
    assert counts["residences"] > 0 and counts["facilities"] >= 6
    # Every street name comes from a highway way of the file, and the check names them.
    elements = json.loads(paths["json"].read_text(encoding="utf-8"))["elements"]
    tagged = [e.get("tags", {}) for e in elements if e["type"] == "way"]
    street_names = {t["name"] for t in tagged if "highway" in t and "name" in t}
    assert counts["named"] and set(counts["named"]) <= street_names
    walked = {name for _, _, streets in counts["routes"] for name in streets}
    assert walked & set(counts["named"]), counts["routes"]


@needs_oakland
def test_clipped_west_oakland_is_the_same_in_every_format(
    tmp_path: Path, osm_server: FakeOSMServer
) -> None:
    paths = formats(tmp_path, OAKLAND, OAKLAND_CLIP)
    assert "absent" in " ".join(read_osm_file(paths["pbf"]).notes)
    counts = _assert_same(_three_studies(paths, osm_server, _bbox_of(paths["osm"])))
    assert counts["residences"] > 0


def test_multipolygon_town_is_the_same_in_every_format(
    tmp_path: Path, osm_server: FakeOSMServer
) -> None:
    paths = formats(tmp_path / "copies", _town(tmp_path))
    studies = _three_studies(paths, osm_server, _bbox_of(paths["osm"]))
    _assert_same(studies)
    for study in studies.values():
        facilities = study.facilities.set_index("category")
        assert {"park", "mall", "bus_stop"} <= set(facilities.index)
        buildings = study.features[study.features["building"].notna()]
        relations = buildings.loc["relation"]
        assert len(relations) == 17  # 16 apartments and the clipped building=yes
        assert (relations.geometry.geom_type == "Polygon").all()
        # Courtyards are holes: the inner ring is cut out of the footprint.
        assert sum(len(p.interiors) for p in relations.geometry) == 6
        assert len(study.residences) >= 16


def test_pbf_keeps_the_present_parts_of_a_clipped_street(tmp_path: Path) -> None:
    paths = formats(tmp_path / "copies", _town(tmp_path))
    lengths = {
        kind: Study.from_osm_file(paths[kind], options=None).network.edge_length.sum()
        for kind in ("osm", "pbf")
    }
    assert lengths["osm"] == pytest.approx(lengths["pbf"], abs=1e-9)
    study = Study.from_osm_file(paths["pbf"])
    # The footway's first piece (grid corner → its second node, 50 m) is kept.
    ids = set(study.network.node_ids.tolist())
    assert 999_999 not in ids
    assert any(abs(length - 50.0) < 0.5 for length in study.network.edge_length)


@pytest.mark.parametrize("suffix", [".osm", ".osm.pbf"])
def test_minimal_clipped_relation_never_crashes(tmp_path: Path, cli: Any, suffix: str) -> None:
    source = tmp_path / "minimal.osm"
    source.write_text(minimal_clipped_relation_xml(), encoding="utf-8")
    path = formats(tmp_path / "copies", source)["pbf" if suffix == ".osm.pbf" else "osm"]
    result = cli("run", "--osm-file", path, "--out", tmp_path / "out")
    assert result.code == 2, result.err
    assert "internal error" not in result.err
    assert "no walkable streets" in result.err
    features = Study(read_osm_file(path)).features
    assert features.loc[("relation", 20)].geometry.geom_type == "Polygon"
