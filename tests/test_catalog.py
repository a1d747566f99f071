"""Facility categories: the shipped catalog, its OSM tag rules, names and the file loader."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from conftest import JIEGU, CliResult, _offset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from yushu_circle import Catalog
from yushu_circle.errors import InputError
from yushu_circle.places import classified_facilities
from yushu_circle.tagrules import compile_pattern
from yushu_circle.user_points import user_facilities

REQUIRED = {
    "kindergarten",
    "nursery",
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
    "post_office",
}
CIVILIZATION = {
    "civilization_center": ("新时代文明实践中心", 15),
    "civilization_institute": ("新时代文明实践所", 15),
    "civilization_station": ("新时代文明实践站", 15),
    "civilization_point": ("新时代文明实践点", 5),
}
CATEGORY = """[[category]]
key = "clinic"
name_zh = "诊所"
name_en = "Clinic"
level = 15
match = [{ amenity = "clinic" }]
"""


def _write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "c.toml") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_default_catalog_has_every_required_category_with_names_and_levels() -> None:
    catalog = Catalog.default()
    assert set(catalog.keys) >= REQUIRED | set(CIVILIZATION)
    for category in catalog:
        assert category.name_zh and category.name_en
        assert category.level in (5, 10, 15)
        assert category.item in ("standard", "planner", "extra")


def test_today_keys_keep_their_meaning_and_split_ones_get_the_standards_levels() -> None:
    catalog = Catalog.default()
    levels = {c.key: c.level for c in catalog}
    # Kept keys, same item.
    assert levels["kindergarten"] == 5 and levels["primary_school"] == 10
    assert levels["middle_school"] == 15 and levels["market"] == 10
    # The health station is a 5-minute item; the health centre a 15-minute one.
    assert levels["clinic"] == 5 and levels["health_centre"] == 15
    assert levels["elderly_daycare"] == 5 and levels["nursing_home"] == 15
    assert levels["culture_station"] == 5 and levels["culture_centre"] == 15
    assert levels["community_service_station"] == 5 and levels["community_service_centre"] == 15
    # The merged keys are gone: a user file naming them brings its own category.
    for merged in ("elderly_care", "culture", "community_service"):
        assert merged not in catalog


def test_standard_keys_leave_out_planner_items_extras_and_user_categories() -> None:
    catalog = Catalog.default().with_category("村史馆")
    keys = catalog.standard_keys
    assert "kindergarten" in keys and "health_centre" in keys
    assert not {"hospital", "fitness", "村史馆", *CIVILIZATION} & set(keys)


def test_civilization_practice_group_is_the_planners_own_with_documented_levels() -> None:
    catalog = Catalog.default()
    group = [c for c in catalog if c.group == "civilization_practice"]
    assert {c.key: (c.name_zh, c.level) for c in group} == CIVILIZATION
    for category in group:
        assert category.item == "planner" and not category.verified
        assert "planner" in category.note
    text = (Path(__file__).parents[1] / "data" / "catalog.toml").read_text(encoding="utf-8")
    header = text.split("[[category]]")[0].splitlines()
    for key, (name_zh, level) in CIVILIZATION.items():
        # The quick-reading table at the top names each tier with its level.
        assert any(key in line and name_zh in line and f" {level} " in line for line in header)


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        # Schools: isced:level, school=*, grades and names first; bare school → primary.
        ({"amenity": "school", "isced:level": "1"}, ["primary_school"]),
        ({"amenity": "school", "isced:level": "2;3"}, ["middle_school"]),
        ({"amenity": "school", "school": "primary"}, ["primary_school"]),
        ({"amenity": "school", "school": "secondary"}, ["middle_school"]),
        ({"amenity": "school", "grades": "7-9"}, ["middle_school"]),
        ({"amenity": "school", "grades": "1-6"}, ["primary_school"]),
        ({"amenity": "school", "name": "玉树市第一中学"}, ["middle_school"]),
        ({"amenity": "school", "name": "结古镇第二完全小学"}, ["primary_school"]),
        ({"amenity": "school", "name": "九年一贯制学校"}, ["primary_school", "middle_school"]),
        ({"amenity": "school"}, ["primary_school"]),  # documented fallback
        ({"amenity": "school", "name": "玉树州职业技术学校"}, []),  # not a primary school
        # Kindergarten vs nursery: amenity=childcare is not a kindergarten.
        ({"amenity": "kindergarten"}, ["kindergarten"]),
        ({"amenity": "childcare"}, ["nursery"]),
        ({"amenity": "school", "name": "结古幼儿园"}, ["kindergarten"]),
        # A children's day care is a nursery, never elderly care (issue 14 item 8).
        (
            {
                "amenity": "social_facility",
                "social_facility": "day_care",
                "social_facility:for": "child",
            },
            ["nursery"],
        ),
        (
            {
                "amenity": "social_facility",
                "social_facility": "day_care",
                "social_facility:for": "senior",
            },
            ["elderly_daycare"],
        ),
        (
            {
                "amenity": "social_facility",
                "social_facility": "day_care",
                "name": "老年人日间照料中心",
            },
            ["elderly_daycare"],
        ),
        (
            {
                "amenity": "social_facility",
                "social_facility": "day_care",
                "social_facility:for": "child",
                "name": "儿童日间照料中心",
            },
            ["nursery"],
        ),
        ({"amenity": "social_facility", "social_facility": "day_care"}, []),
        ({"amenity": "nursing_home"}, ["nursing_home"]),
        (
            {
                "amenity": "social_facility",
                "social_facility": "nursing_home",
                "name": "玉树市老年养护院",
            },
            ["nursing_home", "care_home"],
        ),
        # office=government alone is not a community service (issue 14 item 8).
        ({"office": "government"}, []),
        ({"office": "government", "name": "国家税务总局玉树市税务局"}, []),
        ({"office": "government", "name": "结古街道办事处"}, ["subdistrict_office"]),
        ({"office": "government", "name": "扎西科社区居委会"}, ["community_service_station"]),
        ({"amenity": "townhall"}, ["subdistrict_office"]),  # documented fallback
        # Community centres: station, culture, subdistrict centre, civilization practice.
        (
            {"amenity": "community_centre", "name": "扎西科社区服务站"},
            ["community_service_station"],
        ),
        ({"amenity": "community_centre"}, ["community_service_station"]),
        ({"amenity": "community_centre", "name": "新寨村文化活动站"}, ["culture_station"]),
        ({"amenity": "community_centre", "name": "玉树市文化活动中心"}, ["culture_centre"]),
        (
            {"amenity": "community_centre", "name": "结古街道社区服务中心"},
            ["community_service_centre"],
        ),
        (
            {"amenity": "community_centre", "name": "日吾格社区新时代文明实践站"},
            ["civilization_station"],
        ),
        (
            {"amenity": "social_facility", "name": "结古街道新时代文明实践所"},
            ["civilization_institute"],
        ),
        (
            {"amenity": "community_centre", "name": "玉树市新时代文明实践中心"},
            ["civilization_center"],
        ),
        (
            {"leisure": "playground", "name": "新时代文明实践点 儿童乐园"},
            ["park", "civilization_point"],
        ),
        ({"amenity": "library"}, ["culture_centre"]),
        ({"amenity": "library", "name": "农家书屋"}, ["culture_station"]),
        # Health: station vs centre are disjoint.
        ({"healthcare": "clinic"}, ["clinic"]),
        ({"amenity": "clinic", "name": "示例诊所"}, ["clinic"]),
        ({"amenity": "clinic", "name": "结古街道社区卫生服务中心"}, ["health_centre"]),
        ({"amenity": "hospital", "name": "玉树州人民医院"}, ["hospital"]),
        ({"amenity": "clinic", "name": "玉树市门诊部"}, ["outpatient"]),
        # Commerce and the rest.
        ({"amenity": "atm"}, []),
        ({"amenity": "post_box"}, []),
        ({"shop": "convenience"}, ["supermarket"]),
        ({"shop": "supermarket"}, ["supermarket", "market"]),
        ({"public_transport": "platform", "bus": "yes"}, ["bus_stop"]),
        ({"amenity": "toilets"}, ["toilets"]),
        ({"amenity": "toilets", "access": "customers"}, []),
        ({"leisure": "pitch"}, ["small_sports_ground", "medium_sports_ground"]),
        ({"leisure": "fitness_station"}, ["outdoor_fitness"]),
        ({"leisure": "fitness_centre"}, ["fitness"]),
        ({"amenity": "restaurant"}, ["restaurant"]),
        ({"shop": "mobile_phone", "name": "中国移动营业厅"}, ["telecom"]),
        ({"shop": "mobile_phone", "name": "手机维修"}, []),
    ],
)
def test_osm_tags_are_classified(tags: dict[str, str], expected: list[str]) -> None:
    assert Catalog.default().classify(tags) == expected


def _every_rule(catalog: Catalog, tags: dict[str, str]) -> list[str]:
    """The oracle: try every rule of every category, searching each pattern on its own."""
    matched = [c.key for c in catalog if any(r.matches(tags) for r in c.rules)]
    groups = {catalog[k].group for k in matched}
    fell = [
        c.key
        for c in catalog
        if c.key not in matched
        and c.group not in groups
        and any(r.matches(tags) for r in c.fallback)
    ]
    return [k for k in catalog.keys if k in matched or k in fell]


_TAG_VALUES = {
    "amenity": ["school", "clinic", "community_centre", "social_facility", "townhall", "toilets"],
    "shop": ["supermarket", "convenience;greengrocer", "mobile_phone", "mall"],
    "leisure": ["pitch", "playground", "park", "fitness_station", "stadium"],
    "social_facility": ["day_care", "nursing_home", "group_home"],
    "social_facility:for": ["child", "senior", "juvenile"],
    "office": ["government", "telecommunication"],
    "isced:level": ["1", "2;3", "0"],
    "grades": ["1-6", "7-9", "K-5"],
    "access": ["private", "yes"],
    "name": [
        "结古小学", "第一中学", "新时代文明实践站", "文化活动站", "街道办事处", "卫生服务中心",
        "日间照料中心", "养护院", "幼儿园", "中国移动营业厅", "社区服务站", "x",
    ],
}  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    tags=st.dictionaries(
        st.sampled_from(sorted(_TAG_VALUES)), st.sampled_from(range(12)), max_size=5
    ).map(lambda d: {k: _TAG_VALUES[k][i % len(_TAG_VALUES[k])] for k, i in d.items()})
)
def test_indexed_classification_equals_trying_every_rule(tags: dict[str, str]) -> None:
    catalog = Catalog.default()
    assert catalog.classify(tags) == _every_rule(catalog, tags)


def test_missing_tags_may_be_nan_and_negated_conditions_hold_when_absent() -> None:
    catalog = Catalog.default()
    nan = float("nan")
    tags = {"amenity": "childcare", "name": nan, "social_facility:for": nan}
    assert catalog.classify(tags) == ["nursery"]


def test_fallback_schools_are_counted_as_a_value() -> None:
    catalog = Catalog.default()
    features = [
        {"amenity": "school"},
        {"amenity": "school", "name": "某学校"},
        {"amenity": "school", "isced:level": "1"},
        {"amenity": "school", "name": "第一中学"},
        {"amenity": "townhall"},
    ]
    result = catalog.classify_features(features)
    assert [m.keys for m in result.matches] == [
        ("primary_school",),
        ("primary_school",),
        ("primary_school",),
        ("middle_school",),
        ("subdistrict_office",),
    ]
    assert [m.by_fallback for m in result.matches][:3] == [("primary_school",)] * 2 + [()]
    assert result.fell_back == {"primary_school": 2, "subdistrict_office": 1}
    # A value, not a side effect: classifying again counts the same.
    assert catalog.classify_features(features).fell_back == result.fell_back


def test_places_returns_the_fallback_count_with_the_facilities() -> None:
    catalog = Catalog.default()
    index = pd.MultiIndex.from_tuples([("node", 1), ("node", 2), ("way", 3)])
    features = gpd.GeoDataFrame(
        {
            "amenity": ["school", "school", "kindergarten"],
            "isced:level": [None, "2", None],
            "name": ["学校", None, "幼儿园"],
        },
        geometry=[Point(97.0, 33.0), Point(97.001, 33.0), Point(97.002, 33.0)],
        index=index,
        crs="EPSG:4326",
    )
    facilities, fell_back = classified_facilities(features, catalog)
    assert sorted(facilities["category"]) == ["kindergarten", "middle_school", "primary_school"]
    assert fell_back["primary_school"] == 1
    empty, none = classified_facilities(features.iloc[:0], catalog)
    assert empty.empty and none["primary_school"] == 0


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("civilization_station", "civilization_station"),
        ("新时代文明实践站", "civilization_station"),
        ("文明实践站", "civilization_station"),
        ("Civilization practice station (community)", "civilization_station"),
        ("新时代文明实践所", "civilization_institute"),
        ("新时代文明实践中心", "civilization_center"),
        ("新时代文明实践点", "civilization_point"),
        ("社区卫生服务站", "clinic"),
        ("社区卫生服务中心", "health_centre"),
        ("幼儿园", "kindergarten"),
        (" KINDERGARTEN ", "kindergarten"),
        ("Primary School", "primary_school"),
        ("社区卫生服务中心(社区医院)", "health_centre"),  # half-width brackets fold to the name
        ("村史馆", None),
    ],
)
def test_catalog_resolves_keys_chinese_and_english_names_and_aliases(
    name: str, key: str | None
) -> None:
    catalog = Catalog.default()
    assert catalog.resolve(name) == key
    if key is not None:
        assert catalog[name].key == key


def test_unknown_category_names_the_keys() -> None:
    with pytest.raises(InputError, match=r"unknown facility category 'x'.*kindergarten"):
        Catalog.default()["x"]


def test_with_category_adds_nothing_for_a_known_key_and_a_user_category_otherwise() -> None:
    catalog = Catalog.default()
    assert catalog.with_category("kindergarten") is catalog
    extended = catalog.with_category("村史馆", "村史馆")
    assert extended["村史馆"].item == "user" and len(extended) == len(catalog) + 1
    # A raw value that is a name of a shipped category: its own key wins for itself, the
    # shipped category keeps its name (callers map values with resolve() first).
    raw = catalog.with_category("新时代文明实践站")
    assert raw.resolve("新时代文明实践站") == "新时代文明实践站"
    assert raw.resolve("文明实践站") == "civilization_station"


def test_user_csv_with_chinese_tier_names_maps_to_the_catalog_keys(tmp_path: Path) -> None:
    lon, lat = JIEGU
    csv = tmp_path / "stations.csv"
    csv.write_text(
        "name,category,lon,lat\n"
        f"日吾格社区新时代文明实践站,新时代文明实践站,{lon},{lat}\n"
        f"结古街道新时代文明实践所,新时代文明实践所,{lon + 0.001},{lat}\n"
        f"玉树市新时代文明实践中心,civilization_center,{lon + 0.002},{lat}\n"
        f"院落实践点,文明实践点,{lon + 0.003},{lat}\n"
        f"村史馆,村史馆,{lon + 0.004},{lat}\n",
        encoding="utf-8",
    )
    frame, catalog = user_facilities(csv, catalog=Catalog.default())
    assert frame["category"].tolist() == [
        "civilization_station",
        "civilization_institute",
        "civilization_center",
        "civilization_point",
        "村史馆",
    ]
    assert catalog is not None and "村史馆" in catalog and "新时代文明实践站" not in catalog


def test_cli_run_with_a_stations_csv_in_chinese_names(
    tmp_path: Path, town_osm: Path, cli: Callable[..., CliResult]
) -> None:
    lon, lat = _offset(JIEGU, 40.0, -242.0)
    csv = tmp_path / "stations.csv"
    csv.write_text(
        f"名称,类别,经度,纬度\n示例实践站 Demo station,新时代文明实践站,{lon:.7f},{lat:.7f}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = cli(
        "--quiet", "run", "--osm-file", town_osm, "--no-isochrones",
        "--facilities", csv, "--out", out,
    )  # fmt: skip
    assert result.code == 0, result.err
    facilities = gpd.read_parquet(out / "facilities.parquet")
    assert facilities.loc[facilities["source"] == "stations.csv", "category"].tolist() == [
        "civilization_station"
    ]
    residences = gpd.read_parquet(out / "residences.parquet")
    assert residences["walk_min_civilization_station"].notna().any()
    assert "walk_min_新时代文明实践站" not in residences.columns


# --- user-supplied patterns run in linear time (issue 18 item 1) ----------------------------


@pytest.mark.timeout(60)
def test_nested_quantifier_pattern_finishes_against_the_catastrophic_input(tmp_path: Path) -> None:
    path = _write(tmp_path, CATEGORY.replace('{ amenity = "clinic" }', '{ "name~" = "(a+)+$" }'))
    catalog = Catalog.load(path)
    evil = "a" * 40 + "!"
    assert catalog.classify({"name": evil}) == []
    assert catalog.classify({"name": "a" * 40}) == ["clinic"]
    assert compile_pattern("(a+)+$", "test").search("a" * 100_000 + "!") is None


def test_pattern_needing_backtracking_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = _write(tmp_path, CATEGORY.replace('{ amenity = "clinic" }', '{ "name~" = "(a)\\\\1" }'))
    with pytest.raises(InputError) as caught:
        Catalog.load(path)
    message = caught.value.message
    assert str(path) in message and "name~" in message and "back-references" in message


def test_bad_pattern_names_file_category_and_pattern(tmp_path: Path) -> None:
    path = _write(tmp_path, CATEGORY.replace('{ amenity = "clinic" }', '{ "name~" = "(" }'))
    with pytest.raises(InputError, match=r"clinic.*bad regular expression '\('") as caught:
        Catalog.load(path)
    assert str(path) in caught.value.message


# --- the loader: strict schema, encodings, messages ----------------------------------------


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (("level = 15", 'level = "15"'), ("level '15'",)),
        (("level = 15", "level = -5"), ("level -5",)),
        (("level = 15", "level = true"), ("level True",)),
        (('name_zh = "诊所"', "name_zh = 5"), ("name_zh = 5", "a string")),
        (('name_en = "Clinic"', 'name_en = "Clinic"\nitem = "official"'), ("item = 'official'",)),
        (('name_en = "Clinic"', 'name_en = "Clinic"\ncolor = "red"'), ("color 'red'", "#rrggbb")),
        (('name_en = "Clinic"', 'name_en = "Clinic"\naliases = "诊所"'), ("aliases", "a list")),
        (('name_en = "Clinic"', 'name_en = "Clinic"\naliases = [""]'), ("aliases",)),
        (('name_en = "Clinic"', 'name_en = "Clinic"\nverified = "yes"'), ("verified",)),
        (('{ amenity = "clinic" }', '{ "name!~" = "x" }'), ("only negated",)),
        (('{ amenity = "clinic" }', '{ "~" = "x" }'), ("no tag key",)),
        (('match = [{ amenity = "clinic" }]', 'match = "amenity=clinic"'), ("clinic) match",)),
    ],
)
def test_bad_catalog_field_names_file_key_and_fix(
    tmp_path: Path, change: tuple[str, str], words: tuple[str, ...]
) -> None:
    path = _write(tmp_path, CATEGORY.replace(*change))
    with pytest.raises(InputError) as caught:
        Catalog.load(path)
    message = caught.value.message
    assert str(path) in message and "fix:" in message
    for word in words:
        assert word in message


def test_user_catalog_with_unknown_field_names_it(tmp_path: Path) -> None:
    path = _write(tmp_path, CATEGORY.replace("level = 15", 'level = 15\ncolour = "#fff"'))
    with pytest.raises(InputError, match="unknown field 'colour'"):
        Catalog.load(path)


def test_alias_claimed_by_two_categories_is_refused(tmp_path: Path) -> None:
    second = CATEGORY.replace('key = "clinic"', 'key = "station"').replace('"诊所"', '"卫生站"')
    text = CATEGORY.replace("level = 15", 'level = 15\naliases = ["卫生站"]') + second
    with pytest.raises(InputError, match="stands for both 'clinic' and 'station'"):
        Catalog.load(_write(tmp_path, text))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_catalog_reads_utf8_bom_and_gbk(tmp_path: Path, encoding: str) -> None:
    catalog = Catalog.load(_write(tmp_path, CATEGORY, encoding))
    assert catalog["clinic"].name_zh == "诊所"


def test_catalog_that_is_not_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes(b"\x00\xff\xfe\x81" * 10)
    with pytest.raises(InputError, match=r"neither UTF-8 nor GBK.*fix: save it as UTF-8"):
        Catalog.load(path)


def test_user_catalog_is_used(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[[category]]\nkey = "toilets"\nname_zh = "公共厕所"\nname_en = "Toilets"\nlevel = 5\n'
        'match = [{ amenity = "toilets" }]\n',
    )
    catalog = Catalog.load(path)
    assert catalog.keys == ["toilets"]
    assert catalog.classify({"amenity": "toilets"}) == ["toilets"]


def test_tag_keys_leave_out_keys_read_only_by_negated_conditions() -> None:
    keys = Catalog.default().tag_keys
    assert {"amenity", "leisure", "shop", "office", "name"} <= keys
    assert "access" not in keys  # would pull every street out of Overpass


# --- fuzzing: any TOML gives a catalog or one clean InputError ------------------------------

_scalars = st.one_of(
    st.text(max_size=8),
    st.integers(-20, 200),
    st.booleans(),
    st.floats(allow_nan=True),
    st.sampled_from(["(a+)+$", "(", "(?=x)", "*", "小学", "#ffffff", "standard", "planner"]),
)
_keys = st.sampled_from(
    [
        "key", "name_zh", "name_en", "level", "match", "fallback", "aliases", "item", "color",
        "group", "verified", "note", "amenity", "name~", "name!~", "access!", "x",
    ]
)  # fmt: skip
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=12,
)
_category = st.fixed_dictionaries(
    {
        "key": st.one_of(st.sampled_from(["clinic", "a_b", "Bad Key"]), _scalars),
        "name_zh": _scalars,
        "name_en": _scalars,
        "level": st.one_of(st.sampled_from([5, 10, 15]), _scalars),
        "match": _values,
    },
    optional={"aliases": _values, "fallback": _values, "item": _scalars, "color": _scalars},
)


def _toml(document: dict[str, object]) -> str:
    import json

    def value(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float):
            return (
                "nan"
                if v != v
                else ("inf" if v == float("inf") else "-inf" if v == float("-inf") else repr(v))
            )
        if isinstance(v, int):
            return str(v)
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + " }"
        raise TypeError(v)

    lines = []
    for table in document["category"]:  # type: ignore[attr-defined]
        lines.append("[[category]]")
        lines += [f"{json.dumps(k)} = {value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tables=st.lists(_category, min_size=1, max_size=3))
def test_fuzzed_catalog_loads_or_fails_cleanly(
    tmp_path: Path, tables: list[dict[str, object]]
) -> None:
    path = _write(tmp_path, _toml({"category": tables}))
    try:
        catalog = Catalog.load(path)
    except InputError as exc:
        assert str(path) in exc.message
        return
    for category in catalog:
        assert isinstance(category.key, str) and category.level > 0
        catalog.classify({"amenity": "clinic", "name": "a" * 40 + "!"})


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_mutated_shipped_catalog_loads_or_fails_cleanly(
    tmp_path: Path, data: st.DataObject
) -> None:
    raw = (Path(__file__).parents[1] / "data" / "catalog.toml").read_bytes()
    start = data.draw(st.integers(0, len(raw) - 1))
    junk = data.draw(st.binary(min_size=0, max_size=6))
    cut = data.draw(st.integers(0, 40))
    path = tmp_path / "c.toml"
    path.write_bytes(raw[:start] + junk + raw[start + cut :])
    try:
        Catalog.load(path)
    except InputError as exc:
        assert str(path) in exc.message
