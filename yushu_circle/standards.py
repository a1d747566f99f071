"""Life-circle standards (GB 50180-2018, TD/T 1062-2021): levels and required facilities."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from yushu_circle._resources import data_path
from yushu_circle.errors import InputError

SHIPPED = {"gb50180": "gb50180_2018.toml", "tdt1062": "tdt1062_2021.toml"}
"""Standards shipped in ``data/standards/``, by the name ``--standard`` takes."""
MEASURES = ("minutes", "metres")


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
        Whether the level was read in a source.
    source : str
        Where it comes from (``R: …`` read, ``M: …`` from recollection).
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
    """

    level: int
    category: str
    name_zh: str
    required: bool
    verified: bool
    source: str
    radius_m: float | None = None
    note: str = ""

    @property
    def mark(self) -> str:
        """▲ for required, △ for recommended."""
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
        """Rows from recollection, to be checked before citing."""
        return [r for r in self.requirements if not r.verified]

    def threshold_minutes(
        self, requirement: Requirement, measure: str = "minutes", metres_per_minute: float = 66.67
    ) -> float:
        """The walk minutes within which a requirement counts as met.

        Parameters
        ----------
        requirement : Requirement
        measure : {"minutes", "metres"}
            ``minutes``: the level's walk minutes. ``metres``: the standard's service radius
            (the row's own, else the level's) walked at ``metres_per_minute`` — on a flat
            network at the study's speed this is the network distance.
        metres_per_minute : float
            Flat walking speed.
        """
        if measure == "minutes":
            return float(requirement.level)
        if measure == "metres":
            radius = requirement.radius_m or self.levels[requirement.level].radius_m
            return float(radius) / metres_per_minute
        raise InputError(f"measure {measure!r} is not known", f"use one of {', '.join(MEASURES)}")

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


def load_standard(name: str | Path = "gb50180") -> Standard:
    """Read a standard: a shipped one by name (``gb50180``, ``tdt1062``) or a TOML file.

    Parameters
    ----------
    name : str or Path
        A key of :data:`SHIPPED` or a path to a file laid out like
        ``data/standards/gb50180_2018.toml``.

    Returns
    -------
    Standard

    Raises
    ------
    InputError
        When the name is unknown, the file is missing or a row lacks a field.
    """
    text = str(name)
    if text.lower().replace("-", "").replace(" ", "") in SHIPPED:
        path = data_path("standards", SHIPPED[text.lower().replace("-", "").replace(" ", "")])
    else:
        path = Path(name)
        if not path.exists():
            raise InputError(
                f"standard {text!r} is neither a shipped standard nor a file",
                f"use one of {', '.join(SHIPPED)} or the path of a standards TOML file",
            )
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(
            f"standards file {path} cannot be read ({exc})", "fix the TOML syntax"
        ) from None
    levels = {}
    for i, table in enumerate(document.get("level", [])):
        level = Level(
            minutes=int(_field(table, "minutes", path, "level", i)),
            radius_m=float(_field(table, "radius_m", path, "level", i)),
            name_zh=str(table.get("name_zh", "")),
            population=str(table.get("population", "")),
            verified=bool(_field(table, "verified", path, "level", i)),
            source=str(_field(table, "source", path, "level", i)),
        )
        levels[level.minutes] = level
    requirements = []
    for i, table in enumerate(document.get("requirement", [])):
        level_minutes = int(_field(table, "level", path, "requirement", i))
        if level_minutes not in levels:
            raise InputError(
                f"{path}: requirement #{i + 1} names level {level_minutes}, which has no [[level]]",
                f"add a [[level]] with minutes = {level_minutes} or fix the row",
            )
        radius = table.get("radius_m")
        requirements.append(
            Requirement(
                level=level_minutes,
                category=str(_field(table, "category", path, "requirement", i)),
                name_zh=str(table.get("name_zh", "")),
                required=bool(_field(table, "required", path, "requirement", i)),
                verified=bool(_field(table, "verified", path, "requirement", i)),
                source=str(_field(table, "source", path, "requirement", i)),
                radius_m=None if radius is None else float(radius),
                note=str(table.get("note", "")),
            )
        )
    if not requirements:
        raise InputError(f"standards file {path} has no [[requirement]] rows", "add some")
    return Standard(
        key=str(document.get("key", path.stem)),
        title=str(document.get("title", path.stem)),
        title_zh=str(document.get("title_zh", "")),
        levels=levels,
        requirements=tuple(requirements),
        source=str(path),
    )


def _field(table: dict[str, Any], key: str, path: Path, kind: str, index: int) -> Any:
    if key not in table:
        raise InputError(
            f"{path}: [[{kind}]] #{index + 1} has no {key!r}",
            f"add {key} = … to that row (see data/standards/gb50180_2018.toml)",
        )
    return table[key]
