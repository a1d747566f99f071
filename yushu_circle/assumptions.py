"""The planner's capacity assumptions (规划假设) for supply and demand: no standard's figures."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yushu_circle._config import read_toml, shorten
from yushu_circle._resources import data_path
from yushu_circle.errors import InputError
from yushu_circle.standards import check_table, positive

SHIPPED_CAPACITY = ("assumptions", "capacity.toml")
"""The shipped capacity assumptions, below the package's ``data/``."""
SHIPPED_LABEL = "data/assumptions/capacity.toml"
"""How outputs name the shipped file (a path every user's copy of the project has)."""
APPLIED_BASIS = "residents"
"""The only basis applied: a norm per 1,000 of an age group waits for that population."""
_EXAMPLE = f"see {SHIPPED_LABEL}"
_TOP: dict[str, type] = {"title": str, "title_zh": str, "capacity": list}
_ROW: dict[str, type] = {
    "category": str,
    "per_1000": float,
    "unit": str,
    "basis": str,
    "population_served": float,
    "source": str,
}
_ROW_REQUIRED = ("category", "per_1000", "unit", "basis", "population_served", "source")


@dataclass(frozen=True)
class CapacityAssumption:
    """The capacity assumed for a facility of one category whose capacity nobody gave.

    Attributes
    ----------
    category : str
        Catalog key.
    per_1000 : float
        Capacity per 1,000 people of ``basis`` (千人指标), e.g. 30 seats.
    unit : str
        What the capacity counts (``seats``, ``beds``).
    basis : str
        Whose thousand: ``residents`` (applied), or a group such as ``residents aged 60+``
        (kept, not applied).
    population_served : float
        The people one facility is assumed to serve.
    source : str
        Where the figure comes from.
    file : str
        The file it was read from, as outputs name it.
    """

    category: str
    per_1000: float
    unit: str
    basis: str
    population_served: float
    source: str
    file: str

    @property
    def capacity(self) -> float:
        """The assumed capacity of one facility: ``per_1000 × population_served / 1,000``."""
        return self.per_1000 * self.population_served / 1000

    @property
    def applies(self) -> bool:
        """Whether supply and demand uses it (its basis is all residents)."""
        return self.basis == APPLIED_BASIS

    def text(self) -> str:
        """The assumption as every output states it, with its numbers and its file."""
        return (
            f"assumed 假设: {self.per_1000:g} {self.unit} per 1,000 {self.basis} × "
            f"{self.population_served:,.0f} served = {self.capacity:,.0f} {self.unit} "
            f"({self.file}; the planner's assumption, not a GB 50180/TD/T 1062 figure)"
        )

    def brief(self) -> dict[str, Any]:
        """The assumption as ``plan_summary.json`` gives it."""
        return {
            "per_1000": self.per_1000,
            "unit": self.unit,
            "basis": self.basis,
            "population_served": self.population_served,
            "capacity": self.capacity,
            "source": self.source,
            "file": self.file,
            "text": self.text(),
        }


@dataclass(frozen=True)
class CapacityAssumptions:
    """Every row of a capacity assumptions file.

    Attributes
    ----------
    rows : tuple of CapacityAssumption
    title : str
    file : str
        Where they were read from, as outputs name it.
    """

    rows: tuple[CapacityAssumption, ...]
    title: str
    file: str

    def applied(self, category: str) -> CapacityAssumption | None:
        """The assumption supply and demand uses for a category, or ``None``."""
        return next((r for r in self.rows if r.category == category and r.applies), None)

    @classmethod
    def none(cls) -> CapacityAssumptions:
        """No assumptions: facilities without a capacity count one each."""
        return cls((), "no capacity assumptions", "")


def load_capacity_assumptions(path: str | Path | None = None) -> CapacityAssumptions:
    """Read capacity assumptions: the shipped file (default) or the planner's own.

    Parameters
    ----------
    path : str or Path, optional
        A TOML file laid out like ``data/assumptions/capacity.toml`` (UTF-8 or GBK).

    Returns
    -------
    CapacityAssumptions

    Raises
    ------
    InputError
        When the file is missing or not TOML, or a row lacks a field, has an unknown one, a
        value of the wrong kind, a non-positive number or a category twice — naming the file,
        row and key.
    """
    file = data_path(*SHIPPED_CAPACITY) if path is None else Path(path)
    label = SHIPPED_LABEL if path is None else str(path)
    document = read_toml(file, "capacity assumptions")
    where = f"capacity assumptions file {file}"
    check_table(document, _TOP, (), where, "the file", _EXAMPLE)
    tables = document.get("capacity", [])
    if not tables or not all(isinstance(t, dict) for t in tables):
        raise InputError(f"{where} has no [[capacity]] tables", f"add some ({_EXAMPLE})")
    rows: list[CapacityAssumption] = []
    for i, table in enumerate(tables):
        row = f"{where}: [[capacity]] #{i + 1}"
        check_table(table, _ROW, _ROW_REQUIRED, row, "[[capacity]]", _EXAMPLE)
        category = table["category"].strip()
        if not category:
            raise InputError(f"{row}: category is empty", "use a catalog key such as kindergarten")
        if any(r.category == category for r in rows):
            raise InputError(
                f"{row}: category {shorten(category)!r} appears twice",
                "give each category one [[capacity]] row",
            )
        rows.append(
            CapacityAssumption(
                category=category,
                per_1000=positive(table["per_1000"], row, "per_1000", table["unit"] or "units"),
                unit=table["unit"],
                basis=table["basis"].strip(),
                population_served=positive(
                    table["population_served"], row, "population_served", "people"
                ),
                source=table["source"],
                file=label,
            )
        )
    return CapacityAssumptions(tuple(rows), document.get("title", label), label)
