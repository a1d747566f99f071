"""The plan's findings and its sources, as numbers for the report's summary and cover.

The report states what the plan found — the worst ▲ items, the communities furthest behind,
the population each level leaves unserved, what the proposed sites would change, and for
age-share studies the children and the elderly — and where every input came from. The
numbers are chosen and counted here, from the plan's own per-residence results, so the
report (``render/``) only words them; they travel in ``plan_summary.json``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from yushu_circle.options import Serves
from yushu_circle.planning.compliance import Compliance, level_label

if TYPE_CHECKING:
    from pathlib import Path

    from yushu_circle.assumptions import CapacityAssumptions
    from yushu_circle.planning.siting import Siting
    from yushu_circle.profiles import Profile
    from yushu_circle.standards import Standard
    from yushu_circle.study import Study

WORST_ITEMS = 5
"""How many failing ▲ items the summary names, worst first."""
AREAS_BEHIND = 3
"""How many communities furthest behind the summary names."""
AREA_WORST_ITEMS = 3
"""How many of its worst ▲ items the summary names per community behind."""
OSM_LICENCE = "© OpenStreetMap contributors, ODbL 1.0 (openstreetmap.org/copyright)"


def findings(result: Compliance, siting: Siting | None) -> dict[str, Any]:
    """What the plan found, in numbers (``plan_summary.json``'s ``findings``).

    Parameters
    ----------
    result : Compliance
        The plan's compliance with its standard.
    siting : Siting or None
        The plan's proposed sites, when it sited a category.

    Returns
    -------
    dict
        ``population``; ``overall`` and ``levels`` (share of population meeting every ▲
        item, and the population that does not, per level); ``worst_items`` (the failing
        ▲ items, lowest share first, with the population beyond their level);
        ``areas_behind`` (the communities with the lowest population-weighted share of ▲
        items met, with their worst items); ``groups`` (per item serving children or the
        elderly, when the residences carry age groups: their people and those within the
        item's level); ``gap`` (the category the gap map shows — the sited one, else the
        worst ▲ item — with each community's population beyond the item's level);
        ``siting`` (what the proposed sites change), when sited.
    """
    people = result.residences["population"].to_numpy(dtype=float)
    total = float(people.sum())
    found: dict[str, Any] = {
        "population": total,
        "overall": _unserved(result.residences["meets_all"].to_numpy(bool), people),
        "levels": [
            {"minutes": m, **_unserved(_flags(result, level_label(m)), people)}
            | {"verified": _level_verified(result, m)}
            for m in result.levels
        ],
        "worst_items": _worst_items(result, people),
        "areas_behind": _areas_behind(result),
        "groups": _groups(result.table),
    }
    gap = _gap(result, siting.category if siting is not None else None, found)
    if gap is not None:
        found["gap"] = gap
    if siting is not None:
        found["siting"] = {
            "category": siting.category,
            "sites": len(siting.sites),
            "threshold_min": siting.threshold_min,
            "covered_before": siting.covered_before,
            "covered_after": siting.covered_after,
            "added_population": siting.covered_after - siting.covered_before,
            "share_pop_before": siting.share_before,
            "share_pop_after": siting.share_after,
        }
    return found


def sources(
    study: Study,
    standard: Standard,
    walker: Profile,
    assumed: CapacityAssumptions,
    inputs: tuple[Path | None, Path | None],
) -> list[dict[str, str]]:
    """Where every input of the plan came from, for the report's cover (``sources``).

    Parameters
    ----------
    study : Study
        The study the plan assessed (its data, residences and facilities).
    standard : Standard
        The standard the plan assessed against.
    walker : Profile
        The walker whose speed the plan used.
    assumed : CapacityAssumptions
        The capacity assumptions of the supply figures.
    inputs : tuple of (Path or None, Path or None)
        The planner's ``--areas`` and ``--dem`` files, when given.

    Returns
    -------
    list of dict
        ``what`` (bilingual) and ``source`` per input: the OSM data (with its licence
        unless synthetic), residences and population, facilities (OSM and the planner's
        files), planning areas, elevation, the standard, the capacity assumptions and the
        walker's speed.
    """
    found = [{"what": "街道与设施数据 Streets and facilities", "source": study.data.label}]
    if not study.synthetic:
        found.append({"what": "OSM 许可 OSM licence", "source": OSM_LICENCE})
    found.append(
        {"what": "居住点与人口 Residences and population", "source": study.residence_source}
    )
    counts = study.facilities["source"].astype(str).value_counts(sort=False).sort_index()
    found.append(
        {
            "what": "设施来源 Facilities by source",
            "source": "; ".join(f"{name}: {count:,}" for name, count in counts.items()),
        }
    )
    areas_file, dem = inputs
    areas = "OSM 社区/居住区多边形 community polygons from the data above"
    found.append(
        {
            "what": "规划片区 Planning areas",
            "source": areas if areas_file is None else f"--areas {areas_file.name}",
        }
    )
    if dem is not None:
        found.append({"what": "高程 Elevation (slope)", "source": f"--dem {dem.name}"})
    found.append(
        {
            "what": "标准 Standard",
            "source": f"{standard.title_zh} / {standard.title}",
        }
    )
    if assumed.file:
        found.append(
            {
                "what": "容量假设 Capacity assumptions",
                "source": f"{assumed.file} — the planner's assumptions, not a standard's "
                "figures 规划者假设，非标准数值",
            }
        )
    found.append({"what": f"步行速度 Walking speed ({walker.name})", "source": walker.source})
    return found


def _unserved(flags: np.ndarray, people: np.ndarray) -> dict[str, float]:
    total = float(people.sum())
    within = float(people[flags].sum())
    return {
        "share_pop": within / total if total > 0 else float("nan"),
        "unserved_population": total - within,
    }


def _flags(result: Compliance, label: str) -> np.ndarray:
    return result.residences[f"meets_{label}"].to_numpy(bool)


def _level_verified(result: Compliance, minutes: int) -> bool:
    return all(r.verified for r in result.assessed if r.required and r.level == minutes)


def _worst_items(result: Compliance, people: np.ndarray) -> list[dict[str, Any]]:
    rows = []
    for req in result.assessed:
        if not req.required:
            continue
        counted = _unserved(_flags(result, req.label), people)
        if not counted["share_pop"] < 1.0:
            continue
        rows.append(
            {
                "requirement": req.label,
                "category": req.category,
                "name_zh": req.name_zh,
                "level_min": req.level,
                "verified": req.verified,
                **counted,
            }
        )
    rows.sort(key=lambda r: (r["share_pop"], r["level_min"], r["requirement"]))
    return rows[:WORST_ITEMS]


def _areas_behind(result: Compliance) -> list[dict[str, Any]]:
    areas = result.areas[result.areas["area_kind"] != "study"]
    if len(areas) < 2:
        return []
    required = [r for r in result.assessed if r.required]
    ranked = areas.assign(_order=areas["mean_share"].fillna(np.inf)).sort_values(
        ["_order", "area"], kind="stable"
    )
    behind = []
    for row in ranked.head(AREAS_BEHIND).to_dict("records"):
        shares = sorted(
            ((float(row[f"item_{r.label}"]), r.level, r.label, r.name_zh) for r in required),
            key=lambda t: (np.inf if np.isnan(t[0]) else t[0], t[1], t[2]),
        )
        behind.append(
            {
                "area": row["area"],
                "population": float(row["population"]),
                "rate_pop": float(row["rate_pop"]),
                "mean_share": float(row["mean_share"]),
                "worst": [
                    {"requirement": label, "name_zh": name, "share_pop": value}
                    for value, _, label, name in shares[:AREA_WORST_ITEMS]
                ],
            }
        )
    return behind


def _gap(result: Compliance, sited: str | None, found: dict[str, Any]) -> dict[str, Any] | None:
    worst = found["worst_items"]
    category = sited if sited is not None else (worst[0]["category"] if worst else None)
    items = [r for r in result.assessed if r.category == category]
    if not items:
        return None
    req = min(items, key=lambda r: (not r.required, r.level))
    table = result.table
    rows = table[
        (table["row_kind"] == "item")
        & (table["requirement"] == req.label)
        & (table["area_kind"] != "study")
    ]
    return {
        "category": req.category,
        "requirement": req.label,
        "name_zh": req.name_zh,
        "threshold_min": float(rows["threshold_min"].iloc[0]) if len(rows) else float(req.level),
        "areas": [
            {
                "area": row["area"],
                "population": float(row["population"]),
                # share_pop is within / population: the rest are beyond the level
                "unserved_population": float(row["population"]) * (1.0 - float(row["share_pop"])),
            }
            for row in rows.to_dict("records")
        ],
    }


def _groups(table: pd.DataFrame) -> list[dict[str, Any]]:
    if "serves" not in table:
        return []
    study = table[(table["area_kind"] == "study") & (table["row_kind"] == "item")]
    served = study[study["serves"].isin([str(Serves.CHILDREN), str(Serves.ELDERLY)])]
    return [
        {
            "requirement": row["requirement"],
            "category": row["category"],
            "name_zh": row["name_zh"],
            "mark": row["mark"],
            "level_min": row["level_min"],
            "serves": row["serves"],
            "group_people": float(row["group_people"]),
            "group_within": float(row["group_within"]),
            "share_group": float(row["share_group"]),
            "verified": bool(row["verified"]),
        }
        for row in served.to_dict("records")
    ]
