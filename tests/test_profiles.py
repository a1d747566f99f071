"""Walker profiles and slope: Tobler's function, DEM sampling, uphill slower than downhill."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import rasterio
from affine import Affine
from oracle import CRS, projected_graph
from shapely.geometry import Point

from yushu_circle import Study, StudyOptions, WalkNetwork
from yushu_circle.errors import DataError, InputError
from yushu_circle.osm.sources import OSMData
from yushu_circle.profiles import node_elevations, profile_network, tobler_kmh

X0, Y0 = 500_000.0, 3_650_000.0
GRADE = 0.06  # the synthetic hillside rises 6 m per 100 m eastwards


def _write_dem(path: Path, grade: float = GRADE) -> Path:
    """A plane rising ``grade`` eastwards from 3,700 m at X0, 10 m cells, written by rasterio."""
    cell = 10.0
    west, north = X0 - 500.0, Y0 + 500.0
    cols, rows = 250, 100
    centres_x = west + cell * (np.arange(cols) + 0.5)
    elevation = np.tile(3700.0 + grade * (centres_x - X0), (rows, 1)).astype("float32")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=rows,
        width=cols,
        count=1,
        dtype="float32",
        crs=CRS,
        transform=Affine(cell, 0.0, west, 0.0, -cell, north),
    ) as dst:
        dst.write(elevation, 1)
    return path


def _tobler_reference(slope: float) -> float:
    """W = 6·exp(−3.5·|S + 0.05|) km/h, written out as in STANDARDS.md."""
    return 6.0 * math.exp(-3.5 * abs(slope + 0.05))


def test_tobler_reference_values_read_in_standards_md() -> None:
    assert tobler_kmh(0.0) == pytest.approx(5.04, abs=0.01)
    assert tobler_kmh(-0.05) == pytest.approx(6.0, abs=0.01)
    assert tobler_kmh(math.tan(math.radians(5))) == pytest.approx(3.71, abs=0.01)
    assert tobler_kmh(math.tan(math.radians(10))) == pytest.approx(2.72, abs=0.01)
    # scaled: flat speed is the profile's, and the ratios stay Tobler's
    assert tobler_kmh(0.0, 4.0) == pytest.approx(4.0)
    assert tobler_kmh(0.2, 4.0) / 4.0 == pytest.approx(
        _tobler_reference(0.2) / _tobler_reference(0)
    )


def test_node_elevations_follow_the_plane(tmp_path: Path) -> None:
    dem = _write_dem(tmp_path / "dem.tif")
    nodes = {0: (X0, Y0), 1: (X0 + 400.0, Y0), 2: (X0 + 1234.0, Y0 + 77.0)}
    network = WalkNetwork.from_graph(projected_graph(nodes, [(0, 1), (1, 2)]))
    expected = [3700.0 + GRADE * (network.node_xy[i, 0] - X0) for i in range(3)]
    assert node_elevations(network, dem) == pytest.approx(expected, abs=1e-3)


def test_nodes_outside_the_dem_are_an_error(tmp_path: Path) -> None:
    dem = _write_dem(tmp_path / "dem.tif")
    nodes = {0: (X0, Y0), 1: (X0 + 5000.0, Y0)}
    network = WalkNetwork.from_graph(projected_graph(nodes, [(0, 1)]))
    with pytest.raises(DataError, match="outside DEM"):
        node_elevations(network, dem)
    with pytest.raises(InputError):
        node_elevations(network, tmp_path / "missing.tif")


def test_uphill_is_slower_than_downhill_on_a_synthetic_dem(tmp_path: Path) -> None:
    dem = _write_dem(tmp_path / "dem.tif")
    # the clinic sits low (west), the residence 1 km up the hill (east)
    nodes = {0: (X0, Y0), 1: (X0 + 500.0, Y0), 2: (X0 + 1000.0, Y0)}
    graph = projected_graph(nodes, [(0, 1), (1, 2)])
    residences = gpd.GeoDataFrame(
        {"residence_id": ["up"], "population": [1.0]}, geometry=[Point(X0 + 1000, Y0)], crs=CRS
    )
    clinics = gpd.GeoDataFrame(
        {"facility_id": ["c"], "category": ["clinic"], "name": ["低处诊所"], "source": ["t"]},
        geometry=[Point(X0, Y0)],
        crs=CRS,
    )
    study = Study(
        OSMData(elements=[], label="synthetic hillside 示例数据", graph=graph),
        residences=residences,
        facilities=clinics,
        options=StudyOptions(speed_kmh=4.0),
    )
    elevation = node_elevations(study.network, dem)
    sloped = profile_network(study.network, "adult", elevation)
    per_minute = 4.0 * 1000 / 60
    east = int(np.argmax(study.network.node_xy[:, 0]))
    west = int(np.argmin(study.network.node_xy[:, 0]))
    oracle = nx.DiGraph()
    for e in range(sloped.edge_count):
        u, v = int(sloped.edge_u[e]), int(sloped.edge_v[e])
        rise = GRADE * (sloped.node_xy[v, 0] - sloped.node_xy[u, 0])
        slope = rise / sloped.edge_length[e]
        for a, b, s in ((u, v, slope), (v, u, -slope)):
            speed = 4.0 * _tobler_reference(s) / _tobler_reference(0.0)
            oracle.add_edge(a, b, minutes=sloped.edge_length[e] / (speed * 1000 / 60))
    down = nx.shortest_path_length(oracle, east, west, weight="minutes")
    up = nx.shortest_path_length(oracle, west, east, weight="minutes")
    # Tobler: 6 % down is near the fastest grade (−5 %), so faster than the flat
    assert up > 1000 / per_minute > down
    # residence → clinic is downhill; the reversed graph must not hand it the uphill time
    walked = study.access(network=sloped)["walk_min_clinic"].iloc[0]
    assert walked == pytest.approx(down, rel=1e-6)
    flat = study.access()["walk_min_clinic"].iloc[0]
    assert flat == pytest.approx(1000 / per_minute, rel=1e-6)
    # swap them: a clinic up the hill is the slower walk
    swapped = Study(
        OSMData(elements=[], label="synthetic hillside 示例数据", graph=graph),
        residences=residences.set_geometry([Point(X0, Y0)]),
        facilities=clinics.set_geometry([Point(X0 + 1000, Y0)]),
    )
    climbed = swapped.access(network=profile_network(swapped.network, "adult", elevation))
    assert climbed["walk_min_clinic"].iloc[0] == pytest.approx(up, rel=1e-6)


def test_wheelchair_avoids_steps_and_elderly_walk_slower() -> None:
    # a 60 m flight of steps straight up, or a 400 m ramp around
    nodes = {0: (X0, Y0), 1: (X0, Y0 + 60), 2: (X0 + 200, Y0 + 30)}
    graph = projected_graph(nodes, [(0, 1), (0, 2), (2, 1)])
    for u, v, data in graph.edges(data=True):
        data["highway"] = "steps" if {u, v} == {0, 1} else "footway"
    network = WalkNetwork.from_graph(graph)
    chair = profile_network(network, "wheelchair")
    steps = network.edge_highway == "steps"
    assert np.isinf(chair.time_uv[steps]).all() and np.isinf(chair.time_vu[steps]).all()
    oracle = graph.copy()
    oracle.remove_edges_from(
        [(u, v, k) for u, v, k, d in graph.edges(keys=True, data=True) if d["highway"] == "steps"]
    )
    ramp_m = nx.shortest_path_length(oracle, 0, 1, weight="length")
    minutes = chair.csr()
    from scipy.sparse.csgraph import dijkstra

    a = int(np.flatnonzero(chair.node_ids == 0)[0])
    b = int(np.flatnonzero(chair.node_ids == 1)[0])
    assert dijkstra(minutes, indices=a)[b] == pytest.approx(ramp_m / (3.6 * 1000 / 60))
    elderly = profile_network(network, "elderly")
    assert elderly.speed_kmh == pytest.approx(0.9 * 3.6)
    assert elderly.time_uv == pytest.approx(network.time_uv * 4.0 / (0.9 * 3.6))
    with pytest.raises(InputError):
        profile_network(network, "runner")
