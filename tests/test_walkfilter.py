"""The walk filter: one table of rules (README), the code saying exactly that, a test per rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from yushu_circle.osm.walkfilter import WALK_RULES, is_walkable, rules_markdown, walk_rule

README = Path(__file__).resolve().parents[1] / "README.md"

# (tags, walkable, number of the deciding rule in the README table)
CASES = [
    ({}, False, 1),
    ({"building": "yes"}, False, 1),
    ({"highway": "footway", "foot": "no"}, False, 2),
    ({"highway": "primary", "foot": "use_sidepath"}, False, 2),
    ({"highway": "footway", "foot": "private"}, False, 2),
    ({"highway": "construction", "foot": "yes"}, False, 3),
    ({"highway": "proposed"}, False, 3),
    ({"highway": "disused"}, False, 3),
    ({"highway": "pedestrian", "area": "yes"}, False, 4),
    ({"highway": "secondary", "sidewalk": "separate"}, False, 5),
    ({"highway": "secondary", "sidewalk:both": "separate"}, False, 5),
    ({"highway": "secondary", "sidewalk:left": "separate", "sidewalk:right": "no"}, False, 5),
    ({"highway": "secondary", "sidewalk:right": "separate"}, False, 5),
    ({"highway": "footway", "access": "no", "foot": "yes"}, True, 6),
    ({"highway": "service", "access": "private", "foot": "yes"}, True, 6),
    ({"highway": "cycleway", "foot": "designated"}, True, 6),
    ({"highway": "trunk", "motorroad": "yes", "foot": "permissive"}, True, 6),
    ({"highway": "motorway"}, False, 7),
    ({"highway": "motorway_link"}, False, 7),
    ({"highway": "cycleway"}, False, 7),
    ({"highway": "bus_guideway"}, False, 7),
    ({"highway": "raceway"}, False, 7),
    ({"highway": "services"}, False, 7),
    ({"highway": "rest_area"}, False, 7),
    ({"highway": "via_ferrata"}, False, 7),
    ({"highway": "trunk", "motorroad": "yes"}, False, 8),
    ({"highway": "footway", "access": "no"}, False, 9),
    ({"highway": "steps", "access": "no", "bicycle": "yes"}, False, 9),
    ({"highway": "residential", "access": "private"}, False, 9),
    ({"highway": "service", "service": "private"}, False, 10),
    ({"highway": "footway"}, True, 11),
    ({"highway": "steps"}, True, 11),
    ({"highway": "elevator"}, True, 11),
    ({"highway": "bus_stop"}, True, 11),
    ({"highway": "platform"}, True, 11),
    ({"highway": "residential", "sidewalk:left": "separate", "sidewalk:right": "yes"}, True, 11),
    ({"highway": "service", "access": "destination"}, True, 11),
    ({"highway": "track"}, True, 11),
]


@pytest.mark.parametrize(("tags", "walkable", "rule"), CASES)
def test_each_rule_decides_as_the_table_says(
    tags: dict[str, str], walkable: bool, rule: int
) -> None:
    assert walk_rule(tags) + 1 == rule
    assert is_walkable(tags) is walkable
    assert WALK_RULES[rule - 1].walkable is walkable


def test_every_rule_has_a_case() -> None:
    assert {rule for _, _, rule in CASES} == set(range(1, len(WALK_RULES) + 1))


def test_readme_shows_exactly_the_rules_of_the_code() -> None:
    assert rules_markdown() in README.read_text(encoding="utf-8")


def test_every_reader_uses_the_one_filter(tmp_path: Path) -> None:
    from osm_formats import formats

    from yushu_circle import Study

    source = tmp_path / "filter.osm"
    ways = [
        ({"highway": "footway", "access": "no", "foot": "yes"}, True),
        ({"highway": "footway", "access": "no"}, False),
        ({"highway": "elevator"}, True),
        ({"highway": "residential", "sidewalk": "separate"}, False),
    ]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    for k in range(len(ways) + 1):
        lines.append(f'<node id="{k + 1}" lat="33.0" lon="{97.0 + 0.001 * k:.7f}"/>')
    for k, (tags, _) in enumerate(ways):
        lines.append(f'<way id="{100 + k}"><nd ref="{k + 1}"/><nd ref="{k + 2}"/>')
        lines += [f'<tag k="{key}" v="{value}"/>' for key, value in tags.items()]
        lines.append("</way>")
    source.write_text("\n".join([*lines, "</osm>"]) + "\n", encoding="utf-8")
    for kind, path in formats(tmp_path / "copies", source).items():
        if kind == "json":
            continue  # Overpass answers go through the same Extract: see test_formats
        extract = Study.from_osm_file(path).data.extract
        assert extract is not None
        assert extract.walkable.tolist() == [walkable for _, walkable in ways], kind
