"""Planning areas (:mod:`yushu_circle.planning.areas`): one area per community when a
same-named residential area and boundary mostly overlap."""

from __future__ import annotations

import geopandas as gpd
import pytest
from oracle import CRS
from shapely.geometry import box
from street_town import X0, Y0


def test_one_area_per_community_same_name_mostly_overlapping() -> None:
    from yushu_circle.planning import merge_same_communities

    big = box(X0, Y0, X0 + 1000, Y0 + 1000)
    inner = box(X0 + 50, Y0 + 50, X0 + 1000, Y0 + 1000)  # 90 % of the big one
    elsewhere = box(X0 + 5000, Y0, X0 + 6000, Y0 + 1000)
    areas = gpd.GeoDataFrame(
        {
            "area": [
                "示例社区A居住区 Demo Community A Residential Area (synthetic)",
                "示例社区A Demo Community A (synthetic)",
                "示例社区B Demo Community B",  # overlaps A fully but another name
                "示例社区A Demo Community A (synthetic)",  # same name, far away
            ],
            "area_kind": ["residential", "admin", "place", "place"],
        },
        geometry=[big, inner, inner, elsewhere],
        crs=CRS,
    )
    merged = merge_same_communities(areas, CRS)
    assert merged["area"].tolist() == [
        "示例社区A Demo Community A (synthetic)",
        "示例社区B Demo Community B",
        "示例社区A Demo Community A (synthetic)",
    ]
    assert merged["area_kind"].tolist() == ["admin", "place", "place"]
    assert merged["merged"].tolist() == ["admin+residential", "place", "place"]
    assert merged.to_crs(CRS).area.iloc[0] == pytest.approx(1e6)
