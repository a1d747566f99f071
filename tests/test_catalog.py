"""Facility categories: the shipped catalog and its OSM tag rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from yushu_circle import Catalog
from yushu_circle.errors import InputError

REQUIRED = {
    "kindergarten",
    "primary_school",
    "middle_school",
    "clinic",
    "health_centre",
    "hospital",
    "pharmacy",
    "supermarket",
    "market",
    "mall",
    "bank",
    "fitness",
    "park",
    "elderly_daycare",
    "nursing_home",
    "community_service_station",
    "community_service_centre",
    "culture_station",
    "culture_centre",
    "bus_stop",
    "civilization_center",
    "civilization_institute",
    "civilization_station",
    "civilization_point",
}


def test_default_catalog_has_every_required_category_with_names_and_levels() -> None:
    catalog = Catalog.default()
    assert set(catalog.keys) >= REQUIRED
    for category in catalog:
        assert category.name_zh and category.name_en
        assert category.level in (5, 10, 15)


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"amenity": "school", "isced:level": "1"}, ["primary_school"]),
        ({"amenity": "school", "isced:level": "2;3"}, ["middle_school"]),
        ({"amenity": "school", "school": "primary"}, ["primary_school"]),
        ({"amenity": "school", "name": "玉树市第一中学"}, ["middle_school"]),
        ({"amenity": "school", "name": "结古镇第二完全小学"}, ["primary_school"]),
        ({"amenity": "school", "name": "九年一贯制学校"}, ["primary_school", "middle_school"]),
        ({"amenity": "school"}, ["primary_school"]),  # documented fallback
        ({"amenity": "childcare"}, ["nursery"]),
        ({"amenity": "atm"}, []),
        ({"amenity": "post_box"}, []),
        ({"healthcare": "clinic"}, ["clinic"]),
        ({"shop": "convenience"}, ["supermarket"]),
        ({"shop": "supermarket"}, ["supermarket", "market"]),
        ({"public_transport": "platform", "bus": "yes"}, ["bus_stop"]),
    ],
)
def test_osm_tags_are_classified(tags: dict[str, str], expected: list[str]) -> None:
    assert Catalog.default().classify(tags) == expected


def test_user_catalog_with_unknown_field_names_it(tmp_path: Path) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text(
        '[[category]]\nkey = "clinic"\nname_zh = "诊所"\nname_en = "Clinic"\nlevel = 15\n'
        'colour = "#fff"\nmatch = [{ amenity = "clinic" }]\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="unknown field 'colour'"):
        Catalog.load(path)


def test_user_catalog_is_used(tmp_path: Path) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text(
        '[[category]]\nkey = "toilets"\nname_zh = "公共厕所"\nname_en = "Toilets"\nlevel = 5\n'
        'match = [{ amenity = "toilets" }]\n',
        encoding="utf-8",
    )
    catalog = Catalog.load(path)
    assert catalog.keys == ["toilets"]
    assert catalog.classify({"amenity": "toilets"}) == ["toilets"]
