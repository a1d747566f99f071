"""Siting (:mod:`yushu_circle.planning.siting`): candidates' coverage against networkx, a
candidate on closed steps, and sites the what-if then measures."""

from __future__ import annotations

import numpy as np
import pytest
from oracle import oracle_distances, projected_graph, random_planar_graph
from street_town import X0, Y0, street_town

from yushu_circle import WalkNetwork
from yushu_circle.planning import (
    coverage_matrix,
    node_candidates,
    point_candidates,
    site_facilities,
)


@pytest.mark.parametrize("seed", [3, 11])
def test_coverage_matrix_matches_networkx(seed: int) -> None:
    rng = np.random.default_rng(seed)
    graph = random_planar_graph(rng, 40)
    network = WalkNetwork.from_graph(graph, speed_kmh=3.6, keep_all_components=True)
    homes = [tuple(p) for p in rng.uniform(0, 1000, size=(25, 2))]
    sites = [tuple(p) for p in rng.uniform(0, 1000, size=(6, 2))]
    snap = network.snap(*np.array(homes).T)
    site_snap = network.snap(*np.array(sites).T)
    threshold = 6.0  # minutes = 360 m
    pools = {
        "points": (point_candidates(network, site_snap, *np.array(sites).T, np.arange(6)), sites),
        "nodes": (
            node_candidates(network, np.arange(0, 40, 7)),
            [tuple(network.node_xy[i]) for i in range(0, 40, 7)],
        ),
    }
    for pool, where in pools.values():
        matrix = coverage_matrix(
            network,
            snap,
            pool,
            threshold,
        ).toarray()
        for c, site in enumerate(where):
            minutes = oracle_distances(graph, homes, [site]) / 60.0
            clear = np.abs(minutes - threshold) > 1e-6
            assert np.array_equal(matrix[c][clear], (minutes <= threshold)[clear])


def test_siting_adds_what_the_what_if_then_measures() -> None:
    study = street_town()
    siting = site_facilities(study, "kindergarten", k=1, method="milp")
    assert siting.covered_before == 40.0
    # one new kindergarten can reach r2 or r4 (1.4 km apart), never both: r4 has 40 people
    assert siting.sites["added_population"].tolist() == [40.0]
    after = study.with_facilities(added=siting.as_facilities())
    minutes = after.access()["walk_min_kindergarten"].to_numpy()
    assert float(study.residences["population"][minutes <= 5].sum()) == siting.covered_after


def test_candidate_at_the_end_of_closed_steps_covers_as_access_measures() -> None:
    # Wheelchair: highway=steps closed (inf both ways). A candidate exactly at the steps'
    # end snaps onto the closed edge at fraction 1; 0 × inf must cost nothing, not NaN.
    from yushu_circle.access import minutes_to_nearest
    from yushu_circle.profiles import profile_network

    nodes = {1: (X0, Y0), 2: (X0 + 100, Y0), 3: (X0 + 200, Y0), 4: (X0 + 300, Y0)}
    graph = projected_graph(nodes, [(1, 2), (2, 3), (3, 4)])
    for u, v, data in graph.edges(data=True):
        if {u, v} == {1, 2}:
            data["highway"] = "steps"
    network = profile_network(
        WalkNetwork.from_graph(graph, speed_kmh=3.6, keep_all_components=True), "wheelchair"
    )
    site = network.snap(np.array([X0 + 100.0]), np.array([Y0]))
    assert network.edge_highway[site.edge[0]] == "steps"
    assert not np.isfinite(network.time_uv[site.edge[0]])
    home = network.snap(np.array([X0 + 190.0]), np.array([Y0]))
    assert minutes_to_nearest(network, home, site)[0] == pytest.approx(1.5)
    pool = point_candidates(network, site, site.x, site.y, np.array(["steps-end"]))
    assert np.isfinite([pool.start_u[0], pool.start_v[0]]).any()
    assert not np.isnan([pool.start_u[0], pool.start_v[0]]).any()
    assert coverage_matrix(network, home, pool, 1.6).toarray().tolist() == [[True]]
    assert coverage_matrix(network, home, pool, 1.4).toarray().tolist() == [[False]]
