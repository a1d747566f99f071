"""Life-circle standards (GB 50180-2018, TD/T 1062-2021): levels and required facilities."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from yushu_circle._config import read_toml, shorten
from yushu_circle._resources import data_path
from yushu_circle.catalog import Catalog
from yushu_circle.errors import InputError
from yushu_circle.options import DEFAULT_MEASURE, DEFAULT_STANDARD, Measure, parse_choice

SHIPPED = {"gb50180": "gb50180_2018.toml", "tdt1062": "tdt1062_2021.toml"}
"""Standards shipped in ``data/standards/``, by the name ``--standard`` takes."""
MAX_MINUTES = 120
"""The longest level a standards file may name, minutes (the shipped ones stop at 15)."""
PLANNER_SOURCE = "the planner's own item (data/catalog.toml, item = planner): no standard lists it"

_TOP: dict[str, type] = {
    "key": str,
    "title": str,
    "title_zh": str,
    "level": list,
    "requirement": list,
}
_LEVEL: dict[str, type] = {
    "minutes": int,
    "radius_m": float,
    "name_zh": str,
    "population": str,
    "verified": bool,
    "source": str,
    "note": str,
}
_LEVEL_REQUIRED = ("minutes", "radius_m", "verified", "source")
_REQUIREMENT: dict[str, type] = {
    "level": int,
    "category": str,
    "name_zh": str,
    "required": bool,
    "verified": bool,
    "source": str,
    "radius_m": float,
    "note": str,
}
_REQUIREMENT_REQUIRED = ("level", "category", "required", "verified", "source")
_EXAMPLE = "see data/standards/gb50180_2018.toml"


@dataclass(frozen=True)
class Level:
    """One life-circle level.

    Parameters
    ----------
    minutes : int
        Walk minutes of the level (5, 10, 15).
    radius_m : float
        The standard's distance measure of the level, metres (300, 500, 1,000).
    name_zh : str
        Chinese name of the level.
    population : str
        Population band the level serves, as the standard states it.
    verified : bool
        Whether the level was read in the source named.
    source : str
        The document and clause, and where it was read.
    """

    minutes: int
    radius_m: float
    name_zh: str
    population: str
    verified: bool
    source: str


@dataclass(frozen=True)
class Requirement:
    """A facility a level requires (▲) or recommends (△).

    Parameters
    ----------
    level : int
        Life-circle level, minutes.
    category : str
        Catalog key of the facility category.
    name_zh : str
        The standard's Chinese name of the facility.
    required : bool
        ``True`` for ▲ (required), ``False`` for △ (recommended).
    verified : bool
        Whether the row was read in a source (``False``: from recollection, to be checked).
    source : str
        Where the row comes from.
    radius_m : float or None
        A service radius specific to this facility, metres (else the level's).
    note : str
        Caveat shown with the row.
    planner : bool
        ``True`` for the planner's own items (e.g. civilization-practice stations) added by
        :meth:`Standard.with_planner_items`: no standard lists them.
    """

    level: int
    category: str
    name_zh: str
    required: bool
    verified: bool
    source: str
    radius_m: float | None = None
    note: str = ""
    planner: bool = False

    @property
    def mark(self) -> str:
        """▲ for required, △ for recommended, ◇ for the planner's own item."""
        if self.planner:
            return "◇"
        return "▲" if self.required else "△"

    @property
    def label(self) -> str:
        """Column-friendly id, e.g. ``kindergarten_5min``."""
        return f"{self.category}_{self.level}min"


@dataclass(frozen=True)
class Standard:
    """A life-circle standard: its levels and facility requirements.

    Parameters
    ----------
    key : str
        Short name (``gb50180``).
    title, title_zh : str
        Full English and Chinese titles.
    levels : dict of int to Level
        By minutes.
    requirements : tuple of Requirement
        Every row of the file, in order.
    source : str
        The file it was read from.
    """

    key: str
    title: str
    title_zh: str
    levels: dict[int, Level]
    requirements: tuple[Requirement, ...]
    source: str

    @property
    def required(self) -> list[Requirement]:
        """The ▲ rows."""
        return [r for r in self.requirements if r.required]

    @property
    def unverified(self) -> list[Requirement]:
        """Rows not read in a source, to be checked before citing (planner's items included)."""
        return [r for r in self.requirements if not r.verified]

    def requirement(self, category: str) -> Requirement | None:
        """The first row for a category (its tightest level), or ``None``."""
        rows = [r for r in self.requirements if r.category == category]
        return min(rows, key=lambda r: r.level) if rows else None

    def with_planner_items(self, catalog: Catalog, required: bool = False) -> Standard:
        """This standard plus the catalog's planner items (``item = planner``), flagged as such.

        The civilization-practice tiers are assessed this way: at the catalog's level, marked
        ◇ and ``verified = False``, their source saying no standard lists them.

        Parameters
        ----------
        catalog : Catalog
        required : bool
            Count them among the required items (default: recommended only).
        """
        known = {r.category for r in self.requirements}
        levels = dict(self.levels)
        extra = []
        for category in catalog:
            if category.item != "planner" or category.key in known:
                continue
            level = _tier(levels, category.level)
            extra.append(
                Requirement(
                    level=level,
                    category=category.key,
                    name_zh=category.name_zh,
                    required=required,
                    verified=False,
                    source=PLANNER_SOURCE,
                    note=category.note,
                    planner=True,
                )
            )
        return replace(self, requirements=(*self.requirements, *extra))

    def threshold_minutes(
        self,
        requirement: Requirement,
        measure: Measure | str = DEFAULT_MEASURE,
        metres_per_minute: float = 66.67,
    ) -> float:
        """The walk minutes within which a requirement counts as met.

        Parameters
        ----------
        requirement : Requirement
        measure : Measure or {"minutes", "metres"}
            ``minutes``: the level's walk minutes. ``metres``: the standard's service radius
            (the row's own, else the level's) walked at ``metres_per_minute`` — on a flat
            network at the study's speed this is the network distance.
        metres_per_minute : float
            Flat walking speed.
        """
        if parse_choice(Measure, "measure", measure) == Measure.MINUTES:
            return float(requirement.level)
        radius = requirement.radius_m or self.levels[requirement.level].radius_m
        return float(radius) / metres_per_minute

    def table(self) -> pd.DataFrame:
        """The requirements as a table (level, category, ▲/△, verified, source) for display."""
        return pd.DataFrame(
            [
                {
                    "level_min": r.level,
                    "category": r.category,
                    "name_zh": r.name_zh,
                    "mark": r.mark,
                    "verified": r.verified,
                    "radius_m": r.radius_m or self.levels[r.level].radius_m,
                    "source": r.source,
                    "note": r.note,
                }
                for r in self.requirements
            ]
        )


def load_standard(name: str | Path = DEFAULT_STANDARD) -> Standard:
    """Read a standard: a shipped one by name (``gb50180``, ``tdt1062``) or a TOML file.

    Parameters
    ----------
    name : str or Path
        A key of :data:`SHIPPED` or a path to a file laid out like
        ``data/standards/gb50180_2018.toml`` (UTF-8, with or without BOM, or GBK).

    Returns
    -------
    Standard

    Raises
    ------
    InputError
        When the name is unknown, the file is missing or not TOML, or a row lacks a field, has
        an unknown one or a value of the wrong kind or range — naming the file, row and key.
    """
    text = str(name)
    shipped = text.lower().replace("-", "").replace(" ", "").replace("_", "")
    if shipped in SHIPPED:
        path = data_path("standards", SHIPPED[shipped])
    else:
        path = Path(name)
        if not path.exists():
            raise InputError(
                f"standard {shorten(text)!r} is neither a shipped standard nor a file",
                f"use one of {', '.join(SHIPPED)} or the path of a standards TOML file",
            )
    document = read_toml(path, "standards")
    where = f"standards file {path}"
    check_table(document, _TOP, (), where, "the file")
    levels: dict[int, Level] = {}
    for i, table in enumerate(_tables(document, "level", where)):
        row = f"{where}: [[level]] #{i + 1}"
        check_table(table, _LEVEL, _LEVEL_REQUIRED, row, "[[level]]")
        minutes = _minutes(table["minutes"], row, "minutes")
        if minutes in levels:
            raise InputError(
                f"{row}: minutes = {minutes} appears twice", "give each [[level]] its own minutes"
            )
        levels[minutes] = Level(
            minutes=minutes,
            radius_m=positive(table["radius_m"], row, "radius_m", "metres"),
            name_zh=table.get("name_zh", ""),
            population=table.get("population", ""),
            verified=table["verified"],
            source=table["source"],
        )
    if not levels:
        raise InputError(f"{where} has no [[level]] tables", f"add some ({_EXAMPLE})")
    requirements = []
    for i, table in enumerate(_tables(document, "requirement", where)):
        row = f"{where}: [[requirement]] #{i + 1}"
        if "per_1000" in table:
            raise InputError(
                f"{row}: per_1000 is no longer read from a standards file — capacity norms "
                "(千人指标) are the planner's assumptions, not the standard's figures",
                "move it to a capacity assumptions file laid out like "
                "data/assumptions/capacity.toml (yushu_circle.assumptions)",
            )
        check_table(table, _REQUIREMENT, _REQUIREMENT_REQUIRED, row, "[[requirement]]")
        level = _minutes(table["level"], row, "level")
        if level not in levels:
            raise InputError(
                f"{row} names level {level}, which has no [[level]]",
                f"add a [[level]] with minutes = {level} or fix the row",
            )
        category = table["category"].strip()
        if not category:
            raise InputError(f"{row}: category is empty", "use a catalog key such as kindergarten")
        radius = table.get("radius_m")
        requirements.append(
            Requirement(
                level=level,
                category=category,
                name_zh=table.get("name_zh", ""),
                required=table["required"],
                verified=table["verified"],
                source=table["source"],
                radius_m=None if radius is None else positive(radius, row, "radius_m", "metres"),
                note=table.get("note", ""),
            )
        )
    if not requirements:
        raise InputError(f"{where} has no [[requirement]] rows", f"add some ({_EXAMPLE})")
    return Standard(
        key=document.get("key", path.stem),
        title=document.get("title", path.stem),
        title_zh=document.get("title_zh", ""),
        levels=levels,
        requirements=tuple(requirements),
        source=str(path),
    )


def disagreements(standard: Standard, catalog: Catalog) -> list[str]:
    """Where a standard and the catalog do not say the same thing (empty when they agree).

    Every requirement names a catalog category; each category the catalog marks as an item of
    the standard (``item = standard``) appears in the standard; and the levels agree — exactly
    for a standard with the catalog's levels, else the catalog's level falls in the standard's
    tier (the smallest of the standard's levels that is at least the catalog's).
    """
    problems = []
    for row in standard.requirements:
        if row.category not in catalog:
            problems.append(f"{row.label}: category {row.category!r} is not in the catalog")
            continue
        wanted = catalog[row.category].level
        if row.level != _tier(standard.levels, wanted):
            problems.append(f"{row.label}: the catalog puts {row.category} at {wanted} min")
    if set(standard.levels) == set(c.level for c in catalog if c.item == "standard"):
        listed = {r.category for r in standard.requirements}
        for category in catalog:
            if category.item == "standard" and category.key not in listed:
                problems.append(f"{category.key}: an item of the standard missing from the file")
    return problems


def _tier(levels: Iterable[int], minutes: int) -> int:
    """The standard's level that holds a walk of ``minutes``: the smallest at least as long."""
    tiers = sorted(levels)
    return next((t for t in tiers if t >= minutes), tiers[-1])


def _tables(document: dict[str, Any], name: str, where: str) -> list[dict[str, Any]]:
    tables = document.get(name, [])
    if not all(isinstance(t, dict) for t in tables):
        raise InputError(f"{where}: {name} must be [[{name}]] tables", f"write [[{name}]] rows")
    return list(tables)


def check_table(
    table: dict[str, Any],
    fields: dict[str, type],
    required: tuple[str, ...],
    where: str,
    kind: str,
    example: str = _EXAMPLE,
) -> None:
    """Check one table of a config file: known keys only, the required ones, their kinds.

    Parameters
    ----------
    table : dict
        The table as TOML read it.
    fields : dict of str to type
        Every key the table may hold and its kind (``int``, ``float``, ``str``, ...).
    required : tuple of str
        The keys it must hold.
    where : str
        The file and row, for messages.
    kind : str
        The table's name (``[[requirement]]``), for messages.
    example : str
        Where a correct file is to be seen, for messages.

    Raises
    ------
    InputError
        Naming the file, row and key, and the fix.
    """
    unknown = sorted(set(table) - set(fields))
    if unknown:
        raise InputError(
            f"{where}: unknown key {shorten(unknown[0])!r}",
            f"{kind} takes only {', '.join(fields)}",
        )
    for key in required:
        if key not in table:
            raise InputError(f"{where} has no {key!r}", f"add {key} = … to that row ({example})")
    for key, kind_of in fields.items():
        if key not in table:
            continue
        value = table[key]
        ok = isinstance(value, kind_of) and not (kind_of is int and isinstance(value, bool))
        if kind_of is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok:
            raise InputError(
                f"{where}: {key} = {shorten(repr(value))} is not {_describe(kind_of)}",
                f"write {key} as {_describe(kind_of)} ({example})",
            )


def _describe(kind: type) -> str:
    return {
        int: "a whole number",
        float: "a number",
        str: "a quoted string",
        bool: "true or false",
        list: "a list of tables",
        dict: "an inline table { … }",
    }[kind]


def _minutes(value: int, where: str, key: str) -> int:
    if not 0 < value <= MAX_MINUTES:
        raise InputError(
            f"{where}: {key} = {value} is not a walk time of 1–{MAX_MINUTES} minutes",
            f"write {key} as whole minutes, e.g. 5, 10 or 15",
        )
    return value


def positive(value: float, where: str, key: str, unit: str) -> float:
    """``value`` as a finite positive float, else an error naming ``where`` and ``key``."""
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise InputError(
            f"{where}: {key} = {shorten(repr(value))} is not a positive number of {unit}",
            f"write {key} as a positive number of {unit}",
        )
    return number
