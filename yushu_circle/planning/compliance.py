"""Compliance with a life-circle standard: per item, per level and overall, per area."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from yushu_circle.columns import walk_min
from yushu_circle.options import DEFAULT_MEASURE, DEFAULT_STANDARD, Measure, Serves, parse_choice
from yushu_circle.planning._shared import share
from yushu_circle.planning.areas import (
    ALL_AREA,
    area_codes,
    area_geometry,
    area_members,
    area_polygons,
)
from yushu_circle.standards import Requirement, Standard, load_standard

if TYPE_CHECKING:
    from yushu_circle.study import Study

NOT_ASSESSED = "not assessed: category not in the catalog, bring a --facilities file 无数据未评估"
"""Status of a row whose category the study has no data for."""
_ALL_ZH = "全部必配设施达标"
UNVERIFIED_FLAG = "unverified 未核实: check against the standard before citing"
"""Flag written beside every row that rests on an unverified standard row."""


def level_label(minutes: int) -> str:
    """Row id of a life-circle level, e.g. ``level_5min``."""
    return f"level_{minutes}min"


@dataclass(frozen=True)
class Compliance:
    """Compliance with a life-circle standard.

    Attributes
    ----------
    standard : Standard
    residences : GeoDataFrame
        Per residence: ``residence_id``, ``population``, ``meets_<category>_<level>min`` for
        every assessed requirement, ``meets_level_<m>min`` (every assessed ▲ item of the
        level met), ``required_met``, ``required_total``, ``meets_all``.
    table : DataFrame
        One row per area and item, per area and level, and an ``overall`` row per area
        (``row_kind`` = ``item``/``level``/``overall``): residences, population,
        ``share_res``, ``share_pop`` (within the item's level, or meeting every ▲ item of
        the level / of the standard), ``verified``, ``source``, ``flag``, ``status``.
    areas : GeoDataFrame
        One polygon per area (EPSG:4326): ``residences``, ``population``, ``rate_res``,
        ``rate_pop`` (达标率, every ▲ item), ``mean_share``, ``level_<m>min`` (share of
        population meeting every ▲ item of the level) and ``item_<label>`` (share of
        population within the item's level) — map layers.
    skipped : list of Requirement
        Rows not assessed: their category is not in the study's catalog (no data).
    assessed : list of Requirement
        Rows assessed.
    """

    standard: Standard
    residences: gpd.GeoDataFrame
    table: pd.DataFrame
    areas: gpd.GeoDataFrame
    skipped: list[Requirement] = field(default_factory=list)
    assessed: list[Requirement] = field(default_factory=list)

    @property
    def unverified(self) -> list[Requirement]:
        """Assessed rows that are from recollection, to be checked before citing."""
        return [r for r in self.assessed if not r.verified]

    @property
    def levels(self) -> list[int]:
        """Levels (minutes) with at least one assessed ▲ item, smallest first."""
        return sorted({r.level for r in self.assessed if r.required})

    def study_rows(self, kind: str = "item") -> pd.DataFrame:
        """The whole-study rows of one ``row_kind`` (``item``, ``level`` or ``overall``)."""
        table = self.table
        return table[(table["area_kind"] == "study") & (table["row_kind"] == kind)]

    def first_failing(self) -> Requirement | None:
        """The first ▲ item (smallest level first, in the standard's order) not everyone meets."""
        shares = self.study_rows("item").set_index("requirement")["share_pop"]
        for req in sorted(
            (r for r in self.assessed if r.required), key=lambda r: (r.level, self._order(r))
        ):
            value = float(shares.get(req.label, np.nan))
            if np.isfinite(value) and value < 1.0:
                return req
        return None

    def _order(self, req: Requirement) -> int:
        return self.standard.requirements.index(req)


def compliance(
    study: Study,
    standard: str | Path | Standard = DEFAULT_STANDARD,
    areas: str | Path | gpd.GeoDataFrame | None = None,
    access: pd.DataFrame | None = None,
    measure: Measure | str = DEFAULT_MEASURE,
    include_recommended: bool = False,
) -> Compliance:
    """Which residences meet a standard's items, per item, per level and overall, per area.

    Parameters
    ----------
    study : Study
    standard : str, Path or Standard
        ``gb50180`` (default), ``tdt1062`` or a standards TOML file.
    areas : str, Path or GeoDataFrame, optional
        社区/街道 boundaries (a polygon file with a name column); default: named OSM
        admin boundaries, ``place=neighbourhood``-like areas and ``landuse=residential``,
        one area per community (:func:`yushu_circle.planning.areas.merge_same_communities`).
    access : DataFrame, optional
        Walk minutes (e.g. of a walker profile); default ``study.access()``.
    measure : Measure or {"minutes", "metres"}
        Walk minutes of the level, or the standard's radius walked at the network speed.
    include_recommended : bool
        Assess the △ rows too (they never count towards a level or 达标率).

    Returns
    -------
    Compliance
    """
    chosen = standard if isinstance(standard, Standard) else load_standard(standard)
    measure = parse_choice(Measure, "measure", measure)
    access = study.access() if access is None else access
    catalog = study.catalog
    per_minute = study.network.metres_per_minute
    rows = [r for r in chosen.requirements if r.required or include_recommended]
    assessed = [r for r in rows if r.category in catalog]
    skipped = [r for r in rows if r.category not in catalog]
    population = access["population"].to_numpy(dtype=float)
    count = len(access)
    met: dict[str, np.ndarray] = {}
    for req in assessed:
        limit = chosen.threshold_minutes(req, measure, per_minute)
        met[req.label] = access[walk_min(req.category)].to_numpy(dtype=float) <= limit
    required = [r for r in assessed if r.required]
    levels = sorted({r.level for r in required})
    by_level = {m: [r for r in required if r.level == m] for m in levels}
    level_met = {m: _all(met, by_level[m], count) for m in levels}
    all_met = _all(met, required, count)
    req_matrix = (
        np.column_stack([met[r.label] for r in required])
        if required
        else np.zeros((count, 0), dtype=bool)
    )
    residences = gpd.GeoDataFrame(
        {"residence_id": access["residence_id"].to_numpy(), "population": population}
        | {f"meets_{label}": flags for label, flags in met.items()}
        | {f"meets_{level_label(m)}": flags for m, flags in level_met.items()}
        | {
            "required_met": req_matrix.sum(axis=1),
            "required_total": np.full(count, len(required)),
            "meets_all": all_met,
        },
        geometry=access.geometry.values,
        crs="EPSG:4326",
    )
    polygons = area_polygons(study, areas)
    members = area_members(residences, polygons)
    codes = area_codes(polygons)  # the areas file's division codes, for the bureau's joins
    people = _group_people(access, catalog, assessed)  # 一老一小: when age shares were given
    table_rows: list[dict[str, Any]] = []
    area_rows: list[dict[str, Any]] = []
    for (name, kind), index in members:
        pop = population[index]
        ones = np.ones(len(index))
        base = {"area": name, "area_kind": kind, "residences": len(index), "population": pop.sum()}
        if codes is not None:
            base = {"area": name, "code": codes.get((name, kind), "")} | base
        area_row = dict(base)
        for req in assessed:
            flags = met[req.label][index]
            table_rows.append(
                base
                | _item_row(chosen, req, measure, per_minute)
                | {"share_res": share(flags, ones), "share_pop": share(flags, pop)}
                | _served(people, req.category, index, flags)
            )
            area_row[f"item_{req.label}"] = share(flags, pop)
        for m in levels:
            flags = level_met[m][index]
            table_rows.append(
                base
                | _group_row(
                    level_label(m),
                    f"{m}分钟生活圈 {m}-minute level",
                    f"{m}分钟生活圈全部必配设施达标",
                    m,
                    by_level[m],
                    chosen,
                )
                | {"share_res": share(flags, ones), "share_pop": share(flags, pop)}
            )
            area_row[level_label(m)] = share(flags, pop)
        flags = all_met[index]
        table_rows.append(
            base
            | _group_row(
                "overall", "达标率 all required", "全部必配设施达标", np.nan, required, chosen
            )
            | {"share_res": share(flags, ones), "share_pop": share(flags, pop)}
        )
        shares = req_matrix[index].mean(axis=1) if required else np.zeros(len(index))
        area_rows.append(
            area_row
            | {
                "rate_res": share(flags, ones),
                "rate_pop": share(flags, pop),
                "mean_share": share(shares, pop) if len(index) else np.nan,
            }
        )
    area_frame = gpd.GeoDataFrame(
        pd.DataFrame(area_rows),
        geometry=[area_geometry(polygons, name, kind, residences) for (name, kind), _ in members],
        crs="EPSG:4326",
    )
    for req in skipped:
        table_rows.append(
            {
                "area": ALL_AREA,
                "area_kind": "study",
                "residences": count,
                "population": float(population.sum()),
            }
            | _item_row(chosen, req, measure, per_minute)
            | {"threshold_min": np.nan, "share_res": np.nan, "share_pop": np.nan}
            | {"status": NOT_ASSESSED}
        )
    table = pd.DataFrame(table_rows)
    table["status"] = (
        table["status"].fillna("assessed 已评估") if "status" in table else "assessed 已评估"
    )
    table["flag"] = np.where(table["verified"].astype(bool), "", UNVERIFIED_FLAG)
    return Compliance(chosen, residences, table, area_frame, skipped, assessed)


def _all(met: dict[str, np.ndarray], rows: list[Requirement], count: int) -> np.ndarray:
    if not rows:
        return np.zeros(count, dtype=bool)
    return np.logical_and.reduce([met[r.label] for r in rows])


def _item_row(
    standard: Standard, req: Requirement, measure: Measure, per_minute: float
) -> dict[str, Any]:
    return {
        "row_kind": "item",
        "requirement": req.label,
        "category": req.category,
        "name_zh": req.name_zh,
        "level_min": req.level,
        "mark": req.mark,
        "threshold_min": round(standard.threshold_minutes(req, measure, per_minute), 2),
        "verified": req.verified,
        "source": req.source,
    }


def _group_row(
    label: str,
    category: str,
    name_zh: str,
    level: float,
    rows: list[Requirement],
    standard: Standard,
) -> dict[str, Any]:
    unverified = [r.label for r in rows if not r.verified]
    source = f"{len(rows)} required (▲) rows of {standard.title}; {len(unverified)} unverified"
    if unverified:
        source += f" ({', '.join(unverified)})"
    return {
        "row_kind": "overall" if label == "overall" else "level",
        "requirement": label,
        "category": category,
        "name_zh": name_zh,
        "level_min": level,
        "mark": "▲",
        "threshold_min": level,
        "verified": not unverified,
        "source": source,
    }


def _group_people(
    access: pd.DataFrame, catalog: Any, assessed: list[Requirement]
) -> dict[str, tuple[str, np.ndarray]] | None:
    """Per assessed category, whom it serves and their people per residence (一老一小);
    None when the residences carry no age groups."""
    if not any(str(g) in access for g in (Serves.CHILDREN, Serves.ELDERLY)):
        return None
    found = {}
    for req in assessed:
        serves = catalog[req.category].serves
        column = str(serves) if serves is not Serves.ALL and str(serves) in access else ""
        values = access[column or "population"].to_numpy(dtype=float)
        found[req.category] = (column or str(Serves.ALL), values)
    return found


def _served(
    people: dict[str, tuple[str, np.ndarray]] | None,
    category: str,
    index: np.ndarray,
    flags: np.ndarray,
) -> dict[str, Any]:
    """An item row's group columns: whom it serves, their people, those within its level."""
    if people is None:
        return {}
    serves, values = people[category]
    group = values[index]
    return {
        "serves": serves,
        "group_people": float(group.sum()),
        "group_within": float(group[flags].sum()),
        "share_group": share(flags, group),
    }
