"""Data completeness (:mod:`yushu_circle.planning.completeness`): thin categories flagged by
the documented rule."""

from __future__ import annotations

from street_town import street_town

from yushu_circle.planning import completeness


def test_completeness_flags_thin_categories_by_its_documented_rule() -> None:
    table = completeness(street_town())
    # 2 kindergartens (< 3) and only 40 % of people within 5 min: thin
    assert table.loc["kindergarten", "thin"]
    assert "only 2" in table.loc["kindergarten", "warning"]
    # 1 school (< 3) but 50 % within 10 min, and 100 residents imply 1: not thin
    assert not table.loc["primary_school", "thin"]
    assert table.loc["clinic", "thin"] and table.loc["clinic", "facilities"] == 0
