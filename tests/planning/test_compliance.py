"""Compliance with a standard (:mod:`yushu_circle.planning.compliance`): counted by hand on
a hand-built street, per item, level and area; minutes or the standard's radius."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from oracle import CRS
from shapely.geometry import box
from street_town import X0, Y0, street_town, write_standard

from yushu_circle.errors import InputError
from yushu_circle.planning import NOT_ASSESSED, compliance


def test_compliance_counted_by_hand(tmp_path: Path) -> None:
    standard_file = write_standard(tmp_path)
    # Walks (m): r1 → K 106, School 906; r2 → K 506, School 506; r3 → K 106, School 506;
    # r4 → K 306 (5.1 min > 5), School 906. Kindergarten ≤ 5 min: r1, r3; school ≤ 10: r2, r3.
    study = street_town()
    west = box(X0 - 50, Y0 - 50, X0 + 1000, Y0 + 50)
    east = box(X0 + 1000, Y0 - 50, X0 + 2050, Y0 + 50)
    areas = gpd.GeoDataFrame({"name": ["西社区", "东社区"]}, geometry=[west, east], crs=CRS)
    result = compliance(study, standard_file, areas=areas)
    meets = result.residences.set_index("residence_id")
    assert meets["meets_kindergarten_5min"].tolist() == [True, False, True, False]
    assert meets["meets_primary_school_10min"].tolist() == [False, True, True, False]
    assert meets["meets_all"].tolist() == [False, False, True, False]
    table = result.table.set_index(["area", "requirement"])
    assert table.loc[("全部 all", "kindergarten_5min"), "share_pop"] == pytest.approx(0.4)
    assert table.loc[("全部 all", "kindergarten_5min"), "share_res"] == pytest.approx(0.5)
    assert table.loc[("全部 all", "primary_school_10min"), "share_pop"] == pytest.approx(0.5)
    assert table.loc[("全部 all", "overall"), "share_pop"] == pytest.approx(0.3)
    assert table.loc[("西社区", "kindergarten_5min"), "share_pop"] == pytest.approx(10 / 30)
    assert table.loc[("西社区", "overall"), "share_pop"] == 0.0
    assert table.loc[("东社区", "primary_school_10min"), "share_pop"] == pytest.approx(30 / 70)
    rates = result.areas.set_index("area")["rate_pop"]
    assert rates.to_dict() == pytest.approx({"全部 all": 0.3, "西社区": 0.0, "东社区": 30 / 70})
    # the recommended clinic row is not assessed by default; recycling points have no data
    assert [r.label for r in result.skipped] == ["recycling_point_5min"]
    assert table.loc[("全部 all", "recycling_point_5min"), "status"] == NOT_ASSESSED
    assert [r.label for r in result.unverified] == ["primary_school_10min"]
    # per level: every assessed ▲ item of the level (recycling: no data, so not counted)
    assert table.loc[("全部 all", "level_5min"), "share_pop"] == pytest.approx(0.4)
    assert table.loc[("全部 all", "level_10min"), "share_pop"] == pytest.approx(0.5)
    assert table.loc[("东社区", "level_5min"), "share_pop"] == pytest.approx(30 / 70)
    assert table.loc[("全部 all", "level_10min"), "flag"].startswith("unverified")
    assert table.loc[("全部 all", "level_5min"), "flag"] == ""
    assert table.loc[("全部 all", "primary_school_10min"), "flag"].startswith("unverified")
    by_area = result.areas.set_index("area")
    assert by_area.loc["东社区", "level_10min"] == pytest.approx(30 / 70)
    assert by_area.loc["西社区", "item_kindergarten_5min"] == pytest.approx(10 / 30)
    assert result.first_failing().label == "kindergarten_5min"
    kinds = result.table.groupby("area")["row_kind"].value_counts().unstack()
    assert kinds.loc["西社区"].to_dict() == {"item": 2, "level": 2, "overall": 1}


def test_metres_measure_uses_the_standards_radius(tmp_path: Path) -> None:
    standard_file = write_standard(tmp_path)
    # 600 m for the 10-minute level at 60 m/min is 10 minutes: same answer; kindergarten
    # 300 m = 5 min. Then a 1 km/h slower speed must not change a metres-based verdict.
    study = street_town()
    by_minutes = compliance(study, standard_file, measure="minutes").residences
    by_metres = compliance(study, standard_file, measure="metres").residences
    assert by_minutes["meets_all"].tolist() == by_metres["meets_all"].tolist()
    with pytest.raises(InputError):
        compliance(study, standard_file, measure="furlongs")
