"""Service gaps (:mod:`yushu_circle.planning.gaps`): unserved residences and their clusters,
counted by hand."""

from __future__ import annotations

from street_town import street_town

from yushu_circle.planning import gaps


def test_gaps_and_their_clusters_by_hand() -> None:
    found = gaps(street_town(), categories=["kindergarten"], buffer_m=100.0)
    row = found.table.loc["kindergarten"]
    assert row["unserved_residences"] == 2
    assert row["unserved_population"] == 60.0
    # r2 (x=500, pop 20) and r4 (x=1900, pop 40) are 1.4 km apart: two clusters
    assert found.clusters["population"].tolist() == [40.0, 20.0]
    assert found.clusters["residences"].tolist() == [1, 1]
