"""The pipeline on real OSM data (West Oakland, from the shared test data)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from osm_formats import OAKLAND

from yushu_circle import Study

pytestmark = pytest.mark.skipif(not OAKLAND.exists(), reason="../shared/data is absent")


@pytest.fixture(scope="module")
def oakland() -> Study:
    study = Study.from_osm_file(OAKLAND)
    # Every mapped building (most are untagged building=yes) stands in for a residence, so
    # the bounds below are checked on real footprints rather than on sample points.
    buildings = study.features[study.features["building"].notna()]
    residences = gpd.GeoDataFrame(
        {"residence_id": [f"b{i}" for i in range(len(buildings))], "population": 1.0},
        geometry=buildings.geometry.representative_point().values,
        crs="EPSG:4326",
    )
    return Study(study.data, residences=residences)


def test_school_shop_and_post_office_are_found_and_categorized(oakland: Study) -> None:
    features = oakland.features
    ids = set(oakland.facilities["facility_id"])
    expected = {
        "primary_school": features["amenity"] == "school",
        "supermarket": features["shop"] == "convenience",
        "post_office": features["amenity"] == "post_office",
    }
    for key, mask in expected.items():
        tagged = features.index[mask.fillna(False).to_numpy(dtype=bool)]
        assert len(tagged) >= 1, key
        for element, osm_id in tagged:
            assert f"osm-{element}-{osm_id}-{key}" in ids


def test_walk_times_respect_straight_line_and_node_snapped_bounds(oakland: Study) -> None:
    access = oakland.access()
    net = oakland.network
    assert len(access) >= 20
    per_min = net.metres_per_minute
    res_xy = np.column_stack(
        net.to_projected(access.geometry.x.to_numpy(), access.geometry.y.to_numpy())
    )
    graph = nx.Graph()
    for e in range(net.edge_count):
        graph.add_edge(int(net.edge_u[e]), int(net.edge_v[e]), weight=net.edge_length[e])
    checked = 0
    for key in ("primary_school", "supermarket", "post_office"):
        facilities = oakland.facilities[oakland.facilities["category"] == key]
        fac_xy = np.column_stack(
            net.to_projected(facilities.geometry.x.to_numpy(), facilities.geometry.y.to_numpy())
        )
        fsnap = oakland.facility_snaps[key]
        rsnap = oakland.residence_snap
        minutes = access[f"walk_min_{key}"].to_numpy()
        straight = np.min(
            np.hypot(
                res_xy[:, None, 0] - fac_xy[None, :, 0], res_xy[:, None, 1] - fac_xy[None, :, 1]
            ),
            axis=1,
        )
        assert np.all(
            minutes[np.isfinite(minutes)] >= straight[np.isfinite(minutes)] / per_min - 1e-9
        )
        # Upper bound: walk to the u end of one's own edge, take networkx's shortest path to the
        # u end of a facility's edge, and walk to the facility from there.
        for i in np.flatnonzero(np.isfinite(minutes)):
            edge = rsnap.edge[i]
            start = rsnap.snap_m[i] + rsnap.frac[i] * net.edge_length[edge]
            lengths = nx.single_source_dijkstra_path_length(graph, int(net.edge_u[edge]))
            bound = min(
                start + lengths.get(int(net.edge_u[fe]), np.inf) + ff * net.edge_length[fe] + fd
                for fe, ff, fd in zip(fsnap.edge, fsnap.frac, fsnap.snap_m, strict=True)
            )
            assert minutes[i] <= bound / per_min + 1e-9
            checked += 1
    assert checked > 30


def test_residences_fall_back_to_sample_points_when_no_residential_buildings() -> None:
    study = Study.from_osm_file(OAKLAND)
    assert (study.residences["kind"] == "sample point").all()
    assert "sample points" in study.residence_source
    points = shapely.points(
        *study.network.to_projected(study.residences.geometry.x, study.residences.geometry.y)
    )
    assert len(points) > 0


def test_graphml_source_with_user_files(tmp_path: Path) -> None:
    import osmnx as ox

    from yushu_circle.network import walk_graph_from_elements
    from yushu_circle.osm.sources import read_osm_file

    graph = walk_graph_from_elements(read_osm_file(OAKLAND).elements)
    path = tmp_path / "oakland.graphml"
    ox.save_graphml(graph, path)
    homes = tmp_path / "homes.csv"
    homes.write_text("lon,lat\n-122.2990,37.8078\n-122.3010,37.8070\n", encoding="utf-8")
    shops = tmp_path / "shops.csv"
    shops.write_text("name,category,lon,lat\nShop,supermarket,-122.3013,37.80698\n")
    study = Study.from_osm_file(path, residences=homes, facilities=shops)
    minutes = study.access()["walk_min_supermarket"].to_numpy()
    assert np.isfinite(minutes).all()
    assert (minutes > 0).all()
    assert study.network.node_count == Study.from_osm_file(OAKLAND).network.node_count
