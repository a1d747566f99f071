"""Standards files: the catalog's schema, encodings and messages; rows as the standard has them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import SMALL_STANDARD
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yushu_circle import Catalog
from yushu_circle.errors import InputError
from yushu_circle.standards import PLANNER_SOURCE, disagreements, load_standard

STANDARDS = Path(__file__).parents[1] / "data" / "standards"


def _write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "standard.toml"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("name", ["gb50180", "tdt1062"])
def test_shipped_standard_and_catalog_say_the_same_thing(name: str) -> None:
    catalog = Catalog.default()
    standard = load_standard(name)
    assert disagreements(standard, catalog) == []
    for row in standard.requirements:
        category = catalog[row.category]
        assert category.item == "standard", row
        if name == "gb50180":
            assert row.level == category.level and row.name_zh == category.name_zh, row
            assert row.verified == category.verified, row


def test_gb50180_has_every_standard_item_once() -> None:
    catalog = Catalog.default()
    rows = load_standard("gb50180").requirements
    keys = [r.category for r in rows]
    assert len(keys) == len(set(keys))
    assert set(keys) == {c.key for c in catalog if c.item == "standard"}
    # The split items: each tier its own category at its own level.
    by_key = {r.category: r.level for r in rows}
    assert (by_key["clinic"], by_key["health_centre"]) == (5, 15)
    assert (by_key["elderly_daycare"], by_key["nursing_home"], by_key["care_home"]) == (5, 15, 15)
    assert (by_key["culture_station"], by_key["culture_centre"]) == (5, 15)
    assert (by_key["community_service_station"], by_key["community_service_centre"]) == (5, 15)


def test_disagreement_is_found(tmp_path: Path) -> None:
    ten = '[[level]]\nminutes = 10\nradius_m = 500\nverified = false\nsource = "t"\n\n'
    text = SMALL_STANDARD.replace("[[requirement]]", ten + "[[requirement]]").replace(
        "level = 5", "level = 10"
    )
    problems = disagreements(load_standard(_write(tmp_path, text)), Catalog.default())
    assert problems == ["kindergarten_10min: the catalog puts kindergarten at 5 min"]
    other = SMALL_STANDARD.replace('category = "kindergarten"', 'category = "toilet_block"')
    problems = disagreements(load_standard(_write(tmp_path, other)), Catalog.default())
    assert problems == ["toilet_block_5min: category 'toilet_block' is not in the catalog"]


@pytest.mark.parametrize("name", ["gb50180", "tdt1062"])
def test_every_row_names_a_document_and_never_a_file_outside_the_repository(name: str) -> None:
    standard = load_standard(name)
    rows = [*standard.levels.values(), *standard.requirements]
    document = "GB 50180-2018" if name == "gb50180" else "TD/T 1062-2021"
    for row in rows:
        assert row.source.startswith(document), row
        assert "STANDARDS.md" not in row.source and "/work/" not in row.source, row
        if row.verified:
            # A verified row says where it was read: a title and an address.
            assert "read in" in row.source and re.search(r"https?://\S+", row.source), row
        else:
            assert "not read" in row.source, row
    text = (STANDARDS / Path(standard.source).name).read_text(encoding="utf-8")
    assert "STANDARDS.md" not in text


def test_verified_rows_are_the_ones_read() -> None:
    gb = load_standard("gb50180")
    verified = {r.label for r in gb.requirements if r.verified}
    assert verified == {
        "culture_centre_15min",
        "community_service_centre_15min",
        "subdistrict_office_15min",
        "park_10min",
    }
    assert [m for m, level in sorted(gb.levels.items()) if level.verified] == [10]
    assert len(gb.unverified) == len(gb.requirements) - 4
    tdt = load_standard("tdt1062")
    assert not any(r.verified for r in tdt.requirements)
    assert not any(level.verified for level in tdt.levels.values())


def test_planner_items_are_added_flagged() -> None:
    catalog = Catalog.default()
    standard = load_standard("gb50180").with_planner_items(catalog)
    planner = [r for r in standard.requirements if r.planner]
    assert {r.category: r.level for r in planner} == {
        "civilization_center": 15,
        "civilization_institute": 15,
        "civilization_station": 15,
        "civilization_point": 5,
    }
    for row in planner:
        assert row.mark == "◇" and not row.verified and not row.required
        assert row.source == PLANNER_SOURCE and row in standard.unverified
    # tdt1062 has no 5-minute tier: the point goes to the tier that holds 5 minutes.
    tdt = load_standard("tdt1062").with_planner_items(catalog)
    assert {r.category: r.level for r in tdt.requirements if r.planner}["civilization_point"] == 10


def test_threshold_minutes_by_level_and_by_radius() -> None:
    gb = load_standard("gb50180")
    row = gb.requirement("primary_school")
    assert row is not None
    assert gb.threshold_minutes(row) == 10.0
    assert gb.threshold_minutes(row, "metres", 50.0) == pytest.approx(500 / 50)
    with pytest.raises(InputError, match="furlongs"):
        gb.threshold_minutes(row, "furlongs")


# --- the loader: same schema validation, encodings and messages as the catalog ---------------


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (("minutes = 5", 'minutes = "abc"'), ("[[level]] #1", "minutes = 'abc'", "whole number")),
        (("minutes = 5", "minutes = -5"), ("[[level]] #1", "minutes = -5", "1–120 minutes")),
        (("minutes = 5", "minutes = 5.5"), ("minutes = 5.5",)),
        (("minutes = 5", "minutes = true"), ("minutes = True",)),
        (("level = 5", "level = 0"), ("[[requirement]] #1", "level = 0")),
        (("level = 5", "level = 15"), ("names level 15", "add a [[level]]")),
        (("radius_m = 300", "radius_m = -1"), ("radius_m = -1", "positive")),
        (("radius_m = 300", "radius_m = nan"), ("radius_m = nan",)),
        (("radius_m = 300", "radius_m = inf"), ("radius_m = inf",)),
        (("required = true", 'required = "yes"'), ("required = 'yes'", "true or false")),
        (("required = true\nverified = false", "required = true\nverified = 1"), ("verified = 1",)),
        (('category = "kindergarten"', 'category = ""'), ("category is empty",)),
        (('category = "kindergarten"', "category = 5"), ("category = 5",)),
        (('name_zh = "幼儿园"', 'name_zh = "幼儿园"\ncolour = "red"'), ("unknown key 'colour'",)),
        (('title = "Test standard"', 'title = "T"\nextra = 1'), ("unknown key 'extra'",)),
        (('source = "test"\n\n[[requirement]]', '\n[[requirement]]'), ("has no 'source'",)),
        (
            ("required = true", "required = true\nper_1000 = 30"),
            ("per_1000 is no longer read", "data/assumptions/capacity.toml"),
        ),
        (("[[requirement]]", "[[requirement]]\n[[level]]"), ("[[level]]",)),
    ],
)  # fmt: skip
def test_bad_standards_value_names_file_key_and_fix(
    tmp_path: Path, change: tuple[str, str], words: tuple[str, ...]
) -> None:
    assert change[0] in SMALL_STANDARD
    path = _write(tmp_path, SMALL_STANDARD.replace(*change, 1))
    with pytest.raises(InputError) as caught:
        load_standard(path)
    message = caught.value.message
    assert str(path) in message and "fix:" in message, message
    for word in words:
        assert word in message, message


def test_no_levels_or_no_requirements_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no \[\[requirement\]\] rows"):
        load_standard(_write(tmp_path, SMALL_STANDARD.split("[[requirement]]")[0]))
    with pytest.raises(InputError, match=r"no \[\[level\]\] tables"):
        load_standard(_write(tmp_path, 'key = "x"\n'))


def test_duplicate_level_is_refused(tmp_path: Path) -> None:
    level = SMALL_STANDARD[
        SMALL_STANDARD.index("[[level]]") : SMALL_STANDARD.index("[[requirement]]")
    ]
    text = SMALL_STANDARD.replace("[[requirement]]", level + "[[requirement]]", 1)
    with pytest.raises(InputError, match="minutes = 5 appears twice"):
        load_standard(_write(tmp_path, text))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_standards_file_reads_utf8_bom_and_gbk(tmp_path: Path, encoding: str) -> None:
    text = (STANDARDS / "gb50180_2018.toml").read_text(encoding="utf-8")
    standard = load_standard(_write(tmp_path, text, "gb18030" if encoding == "gbk" else encoding))
    shipped = load_standard("gb50180")
    assert standard.requirements == shipped.requirements
    assert standard.levels == shipped.levels


def test_standards_file_that_is_not_text_or_not_toml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "standard.toml"
    path.write_bytes(b"\x00\xff\xfe\x81" * 10)
    with pytest.raises(InputError, match=r"neither UTF-8 nor GBK.*fix: save it as UTF-8"):
        load_standard(path)
    path.write_text("[[level]\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"not valid TOML.*fix: fix the TOML syntax"):
        load_standard(path)


def test_unknown_standard_name_lists_the_shipped_ones() -> None:
    with pytest.raises(InputError, match="gb50180, tdt1062"):
        load_standard("gb99999")
    assert load_standard("GB-50180").key == "gb50180"


# --- fuzzing: any TOML gives a standard or one clean InputError -----------------------------

_scalars = st.one_of(
    st.text(max_size=6),
    st.integers(-10, 200),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
)
_keys = st.sampled_from(
    [
        "minutes",
        "radius_m",
        "level",
        "category",
        "required",
        "verified",
        "source",
        "value",
        "unit",
        "x",
    ]
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=10,
)
_level = st.fixed_dictionaries(
    {"minutes": st.one_of(st.sampled_from([5, 10, 15]), _scalars), "radius_m": _scalars},
    optional={"verified": _scalars, "source": _scalars, "name_zh": _values, "x": _values},
)
_requirement = st.fixed_dictionaries(
    {"level": st.one_of(st.sampled_from([5, 10, 15]), _scalars), "category": _scalars},
    optional={
        "required": _scalars,
        "verified": _scalars,
        "source": _scalars,
        "radius_m": _values,
        "per_1000": _values,
    },
)


def _value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if v != v:
            return "nan"
        if v in (float("inf"), float("-inf")):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    assert isinstance(v, dict)
    return "{ " + ", ".join(f"{json.dumps(k)} = {_value(x)}" for k, x in v.items()) + " }"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    levels=st.lists(_level, max_size=3),
    requirements=st.lists(_requirement, max_size=3),
)
def test_fuzzed_standards_file_loads_or_fails_cleanly(
    tmp_path: Path, levels: list[dict[str, object]], requirements: list[dict[str, object]]
) -> None:
    lines = ['key = "fuzz"']
    for kind, tables in (("level", levels), ("requirement", requirements)):
        for table in tables:
            lines.append(f"[[{kind}]]")
            lines += [f"{json.dumps(k)} = {_value(v)}" for k, v in table.items()]
    path = _write(tmp_path, "\n".join(lines) + "\n")
    try:
        standard = load_standard(path)
    except InputError as exc:
        assert str(path) in exc.message
        return
    for row in standard.requirements:
        assert row.level in standard.levels and 0 < row.level <= 120
        assert standard.threshold_minutes(row, "metres") > 0


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_mutated_shipped_standard_loads_or_fails_cleanly(
    tmp_path: Path, data: st.DataObject
) -> None:
    raw = (STANDARDS / "gb50180_2018.toml").read_bytes()
    start = data.draw(st.integers(0, len(raw) - 1))
    junk = data.draw(st.binary(max_size=6))
    cut = data.draw(st.integers(0, 40))
    path = tmp_path / "standard.toml"
    path.write_bytes(raw[:start] + junk + raw[start + cut :])
    try:
        load_standard(path)
    except InputError as exc:
        assert str(path) in exc.message
