"""The PBF array fast path: same results as the XML/osmnx path, and a networkx oracle at scale."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import osmium
import pytest

from yushu_circle import Study

_GENERATOR = Path(__file__).resolve().parents[1] / "benchmarks" / "synthetic_city.py"


def _synthetic_city():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("synthetic_city", _GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["synthetic_city"] = module
    spec.loader.exec_module(module)
    return module


def _pbf_to_xml(pbf: Path, xml: Path) -> None:
    with osmium.SimpleWriter(str(xml), overwrite=True) as writer:
        for obj in osmium.FileProcessor(str(pbf)):
            writer.add(obj)


def test_synthetic_city_is_deterministic(tmp_path: Path) -> None:
    city = _synthetic_city()
    a = city.make_city(tmp_path / "a.osm.pbf", 800, seed=7)
    b = city.make_city(tmp_path / "b.osm.pbf", 800, seed=7)
    city.make_city(tmp_path / "c.osm.pbf", 800, seed=8)
    assert (tmp_path / "a.osm.pbf").read_bytes() == (tmp_path / "b.osm.pbf").read_bytes()
    assert (tmp_path / "a.osm.pbf").read_bytes() != (tmp_path / "c.osm.pbf").read_bytes()
    assert a.street_nodes == b.street_nodes and a.bridges >= 2


def test_synthetic_centre_is_deterministic(tmp_path: Path) -> None:
    city = _synthetic_city()
    a = city.make_centre(tmp_path / "a.osm.pbf", blocks=3, seed=2)
    city.make_centre(tmp_path / "b.osm.pbf", blocks=3, seed=2)
    assert (tmp_path / "a.osm.pbf").read_bytes() == (tmp_path / "b.osm.pbf").read_bytes()
    assert a.residences > 0 and a.facilities > 0


def test_pbf_fast_path_matches_xml_osmnx_path(tmp_path: Path) -> None:
    city = _synthetic_city()
    pbf = tmp_path / "city.osm.pbf"
    city.make_city(pbf, 2500, seed=3)
    xml = tmp_path / "city.osm"
    _pbf_to_xml(pbf, xml)

    fast = Study.from_osm_file(pbf)
    slow = Study.from_osm_file(xml)
    assert fast.data.extract is not None and slow.data.extract is not None  # one Extract form
    a = fast.access().set_index("residence_id").sort_index()
    b = slow.access().set_index("residence_id").sort_index()
    assert list(a.index) == list(b.index)
    np.testing.assert_allclose(a["population"], b["population"])
    np.testing.assert_allclose(a["snap_m"], b["snap_m"], atol=0.01)
    columns = [c for c in a.columns if c.startswith("walk_min_")]
    assert len(columns) == len(fast.catalog)
    fast_minutes = a[columns].to_numpy()
    slow_minutes = b[columns].to_numpy()
    assert np.array_equal(np.isnan(fast_minutes), np.isnan(slow_minutes))
    # Categories the generator gave facilities to are reached from almost every residence.
    present = [c for c in columns if c[len("walk_min_") :] in set(fast.facilities["category"])]
    assert len(present) >= 10
    assert np.isfinite(a[present].to_numpy()).mean() > 0.9
    np.testing.assert_allclose(fast_minutes, slow_minutes, atol=0.01)
    assert sorted(fast.facilities["facility_id"]) == sorted(slow.facilities["facility_id"])
    assert fast.network.edge_length.sum() == pytest.approx(slow.network.edge_length.sum())


def _oracle_minutes(study: Study, sample: np.ndarray) -> dict[str, np.ndarray]:
    """Walk minutes by inserting residence and facility points into a networkx graph."""
    net = study.network
    per_min = net.metres_per_minute
    graph = nx.Graph()
    for u, v, t in zip(net.edge_u, net.edge_v, net.time_uv, strict=True):
        if u != v and (not graph.has_edge(u, v) or graph[u][v]["w"] > t):
            graph.add_edge(int(u), int(v), w=float(t))
    res = study.residence_snap
    result: dict[str, np.ndarray] = {}
    for key, fac in study.facility_snaps.items():
        minutes = np.full(len(sample), np.nan)
        ok = np.flatnonzero(fac.on_network)
        if len(ok) == 0:
            result[key] = minutes
            continue
        g = graph.copy()
        target = ("facilities", key)
        for i in ok:
            e, f = fac.edge[i], fac.frac[i]
            point = ("f", int(i))
            access = fac.snap_m[i] / per_min
            g.add_edge(point, int(net.edge_u[e]), w=f * net.time_uv[e])
            g.add_edge(point, int(net.edge_v[e]), w=(1 - f) * net.time_uv[e])
            g.add_edge(point, target, w=access)
        for j, r in enumerate(sample):
            if not res.on_network[r]:
                continue
            e, f = res.edge[r], res.frac[r]
            origin = ("r", int(r))
            g.add_edge(origin, int(net.edge_u[e]), w=f * net.time_uv[e])
            g.add_edge(origin, int(net.edge_v[e]), w=(1 - f) * net.time_uv[e])
            for i in ok[fac.edge[ok] == e]:  # a facility on the same edge: walk straight to it
                g.add_edge(origin, ("f", int(i)), w=abs(f - fac.frac[i]) * net.time_uv[e])
            try:
                walk = nx.dijkstra_path_length(g, origin, target, weight="w")
                minutes[j] = res.snap_m[r] / per_min + walk
            except nx.NetworkXNoPath:
                pass
            g.remove_node(origin)
        result[key] = minutes
    return result


@pytest.mark.slow
def test_moderate_city_through_pbf_matches_networkx_oracle(tmp_path: Path) -> None:
    city = _synthetic_city()
    pbf = tmp_path / "city.osm.pbf"
    city.make_city(pbf, 60_000, seed=11, residences=30_000)
    study = Study.from_osm_file(pbf)
    assert study.network.node_count > 40_000
    access = study.access()
    assert len(access) == 30_000
    sample = np.random.default_rng(0).choice(len(access), size=12, replace=False)
    oracle = _oracle_minutes(study, sample)
    for key, expected in oracle.items():
        got = access[f"walk_min_{key}"].to_numpy()[sample]
        np.testing.assert_allclose(got, expected, atol=1e-6, err_msg=key)
    present = [f"walk_min_{k}" for k in set(study.facilities["category"])]
    assert np.isfinite(access[present].to_numpy()).mean() > 0.9
