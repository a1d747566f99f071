"""What-if (:mod:`yushu_circle.planning.whatif`): facilities added at a door or removed, and
the comparison of before and after."""

from __future__ import annotations

import geopandas as gpd
import pytest
from oracle import CRS
from shapely.geometry import Point
from street_town import street_town

from yushu_circle.errors import InputError
from yushu_circle.planning import compare


def test_facility_at_a_residences_door_leaves_only_its_access_leg() -> None:
    study = street_town()
    before = study.access()
    snap = study.residence_snap
    door = gpd.GeoDataFrame(
        {"category": ["clinic"]}, geometry=[Point(snap.x[1], snap.y[1])], crs=CRS
    )
    after = study.with_facilities(added=door)
    assert after.network is study.network and after.residences is study.residences
    access = after.access()
    leg = snap.snap_m[1] / study.network.metres_per_minute
    assert access["walk_min_clinic"].iloc[1] == pytest.approx(leg, abs=1e-6)
    diff = compare(study, after)
    assert diff.categories == ["clinic"]
    assert diff.summary.loc["clinic", "facilities_after"] == 1
    assert diff.summary.loc["clinic", "residences_better"] == 4
    assert before["walk_min_clinic"].isna().all()  # the original study is untouched
    assert study.access()["walk_min_clinic"].isna().all()


def test_removing_facilities_and_unknown_ids() -> None:
    study = street_town()
    after = study.with_facilities(removed=["k2"])
    minutes = after.access()["walk_min_kindergarten"].to_numpy()
    assert minutes[2] == pytest.approx((1500 + 6) / 60)  # r3 now walks to x = 0
    diff = compare(study, after)
    assert diff.summary.loc["kindergarten", "population_no_longer_within"] == 30.0
    with pytest.raises(InputError, match="nope"):
        study.with_facilities(removed=["nope"])
