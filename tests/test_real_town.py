"""Real OpenStreetMap shipped in tests/data (Aguascalientes, Mexico; © OpenStreetMap
contributors, ODbL 1.0): the real-data tests every clone runs, with no ../shared beside it."""

from __future__ import annotations

import bz2
import hashlib
import json
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from conftest import DATA
from oracle import oracle_distances
from osm_formats import REAL_TOWN, REAL_TOWN_CLIP, write_copy
from validate import validate_output_folder

from yushu_circle import Study
from yushu_circle.cli import main

SHA256 = "212f4f8f009b511641ea51b1ec90dfb2f63c949bb787ba068c102cc9cd11b207"
"""The file as taken from gboeing/osmnx (tests/data/README.md)."""


def test_the_shipped_extract_is_the_recorded_real_osm_file() -> None:
    data = REAL_TOWN.read_bytes()
    assert hashlib.sha256(data).hexdigest() == SHA256
    head = bz2.decompress(data)[:2000].decode("utf-8")
    assert 'generator="osmium/1.19.1"' in head
    assert 'changeset="' in head and 'user="' in head  # edited by real mappers
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert "`aguascalientes.osm.bz2`** — © OpenStreetMap contributors, ODbL 1.0" in readme
    assert SHA256 in readme


@pytest.fixture(scope="module")
def town() -> Study:
    return Study.from_osm_file(REAL_TOWN)


def _networkx_graph(study: Study) -> nx.MultiGraph:
    """The study's walk network as a networkx graph (projected metres) for the oracle."""
    net = study.network
    graph = nx.MultiGraph()
    for node, (x, y) in enumerate(net.node_xy):
        graph.add_node(node, x=float(x), y=float(y))
    for e in range(net.edge_count):
        graph.add_edge(
            int(net.edge_u[e]),
            int(net.edge_v[e]),
            length=float(net.edge_length[e]),
            geometry=net.edge_geometry[e],
        )
    return graph


@pytest.mark.parametrize("key", ["kindergarten", "primary_school", "supermarket", "bus_stop"])
def test_walk_minutes_match_networkx_on_real_streets(town: Study, key: str) -> None:
    # Oracle: every point snapped by brute force to its nearest street, the street split
    # there, plain Dijkstra in networkx (tests/oracle.py), at the study's walking speed.
    net = town.network
    access = town.access()
    minutes = access[f"walk_min_{key}"].to_numpy()
    origins = np.column_stack(
        net.to_projected(access.geometry.x.to_numpy(), access.geometry.y.to_numpy())
    )
    facilities = town.facilities[town.facilities["category"] == key]
    usable = town.facility_snaps[key].on_network
    targets = np.column_stack(
        net.to_projected(facilities.geometry.x.to_numpy(), facilities.geometry.y.to_numpy())
    )[usable]
    assert len(targets) >= 2, key
    on = town.residence_snap.on_network
    assert on.sum() >= 30
    metres = oracle_distances(
        _networkx_graph(town), [tuple(p) for p in origins[on]], [tuple(p) for p in targets]
    )
    assert np.isfinite(metres).all()
    np.testing.assert_allclose(minutes[on], metres / net.metres_per_minute, rtol=1e-6, atol=1e-6)


def test_run_on_the_real_town_writes_valid_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["--quiet", "run", "--osm-file", str(REAL_TOWN), "--out", str(out)]) == 0
    validate_output_folder(out)
    document = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert document["meta"]["synthetic"] is False
    assert "aguascalientes" in document["meta"]["data"]
    categories = {row["category"]: row for row in document["categories"]}
    assert categories["kindergarten"]["facilities"] == 11
    assert categories["primary_school"]["facilities"] == 15


def test_a_clipped_copy_keeps_the_streets_cut_at_its_edge(tmp_path: Path) -> None:
    clipped = write_copy(REAL_TOWN, tmp_path / "clipped.osm", REAL_TOWN_CLIP)
    study = Study.from_osm_file(clipped)
    whole = Study.from_osm_file(REAL_TOWN)
    assert 0 < study.network.edge_count < whole.network.edge_count
    assert len(study.residences) == len(whole.residences)  # every building is inside the box
