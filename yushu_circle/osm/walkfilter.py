"""The one walk filter: which OSM ways can be walked, as an ordered table of rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_FOOT_ALLOWED = frozenset({"yes", "designated", "permissive", "official"})
_FOOT_FORBIDDEN = frozenset({"no", "private", "use_sidepath"})
_NOT_BUILT = frozenset(
    {"proposed", "planned", "construction", "abandoned", "disused", "razed", "no"}
)
_NOT_FOR_WALKING = frozenset(
    {
        "motorway",
        "motorway_link",
        "bus_guideway",
        "raceway",
        "cycleway",
        "services",
        "rest_area",
        "via_ferrata",
    }
)
_ACCESS_CLOSED = frozenset({"no", "private"})
_SIDE_KEYS = ("sidewalk:left", "sidewalk:right")


@dataclass(frozen=True)
class WalkRule:
    """One row of the walk-filter table: the first rule whose condition holds decides.

    Attributes
    ----------
    when : str
        The condition, as written in the README's table.
    walkable : bool
        The verdict when the condition holds.
    why : str
        The reason for the verdict.
    test : callable
        The condition on a way's tags (what ``when`` says, in code).
    """

    when: str
    walkable: bool
    why: str
    test: Callable[[Mapping[str, Any]], bool]


def _get(tags: Mapping[str, Any], key: str) -> str:
    value = tags.get(key)
    return value.strip() if isinstance(value, str) else ""


def _sidewalks_separate(tags: Mapping[str, Any]) -> bool:
    if "separate" in (_get(tags, "sidewalk"), _get(tags, "sidewalk:both")):
        return True
    sides = [_get(tags, key) for key in _SIDE_KEYS]
    # One side mapped separately and the other without a sidewalk on the road itself.
    return "separate" in sides and all(s in {"separate", "no", "none", ""} for s in sides)


WALK_RULES: tuple[WalkRule, ...] = (
    WalkRule(
        "no `highway=*` tag",
        False,
        "only streets and paths are routed (squares and buildings enter as features)",
        lambda t: not _get(t, "highway"),
    ),
    WalkRule(
        "`foot=no`, `foot=private` or `foot=use_sidepath`",
        False,
        "walking is forbidden here, or must use the sidewalk mapped beside it",
        lambda t: _get(t, "foot") in _FOOT_FORBIDDEN,
    ),
    WalkRule(
        "`highway=proposed/planned/construction/abandoned/disused/razed/no`",
        False,
        "not (or no longer) a usable way, whatever its other tags",
        lambda t: _get(t, "highway") in _NOT_BUILT,
    ),
    WalkRule(
        "`area=yes`",
        False,
        "the outline of a square or plaza is not a path; the square is a feature",
        lambda t: _get(t, "area") == "yes",
    ),
    WalkRule(
        "`sidewalk=separate` or `sidewalk:both=separate`, or one side `separate` and the "
        "other `no`/`none`/absent",
        False,
        "the sidewalks are mapped as their own ways: walkers are routed there (osmnx 2.x)",
        _sidewalks_separate,
    ),
    WalkRule(
        "`foot=yes/designated/permissive/official`",
        True,
        "an explicit permission to walk beats `access=*`, `service=private`, `motorroad` "
        "and the kind of highway (OSM's access hierarchy: the specific tag wins)",
        lambda t: _get(t, "foot") in _FOOT_ALLOWED,
    ),
    WalkRule(
        "`highway=motorway/motorway_link/bus_guideway/raceway/cycleway/services/rest_area/"
        "via_ferrata`",
        False,
        "not meant for walking unless `foot=*` allows it (the row above)",
        lambda t: _get(t, "highway") in _NOT_FOR_WALKING,
    ),
    WalkRule(
        "`motorroad=yes`",
        False,
        "an expressway closed to pedestrians unless `foot=*` allows it",
        lambda t: _get(t, "motorroad") == "yes",
    ),
    WalkRule(
        "`access=no` or `access=private`",
        False,
        "closed to the public unless `foot=*` allows it (so `access=no` + `bicycle=yes` "
        "stays closed to walkers)",
        lambda t: _get(t, "access") in _ACCESS_CLOSED,
    ),
    WalkRule(
        "`service=private`",
        False,
        "a private driveway unless `foot=*` allows it",
        lambda t: _get(t, "service") == "private",
    ),
    WalkRule(
        "any other `highway=*` (roads, `footway`, `path`, `steps`, `elevator`, `bus_stop`, "
        "`platform`, `corridor`, `track`, …)",
        True,
        "walkable; `steps` are closed only by the wheelchair profile",
        lambda t: True,
    ),
)
"""The walk filter, in order: the first rule whose condition holds decides (README table)."""


def walk_rule(tags: Mapping[str, Any]) -> int:
    """The index in :data:`WALK_RULES` of the rule that decides a way with these tags."""
    for index, rule in enumerate(WALK_RULES):
        if rule.test(tags):
            return index
    raise AssertionError("the last walk rule matches every way")  # pragma: no cover


def is_walkable(tags: Mapping[str, Any]) -> bool:
    """Whether an OSM way with these tags can be walked (the first matching rule decides).

    Parameters
    ----------
    tags : mapping
        The way's OSM tags.
    """
    return WALK_RULES[walk_rule(tags)].walkable


def rules_markdown() -> str:
    """The walk-filter table as Markdown, as the README shows it."""
    lines = ["| # | when the way has | walkable | why |", "| --- | --- | --- | --- |"]
    for number, rule in enumerate(WALK_RULES, start=1):
        verdict = "yes" if rule.walkable else "no"
        lines.append(f"| {number} | {rule.when} | {verdict} | {rule.why} |")
    return "\n".join(lines)
