"""Data completeness: how many facilities the data hold per category, and whether too few."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from yushu_circle.columns import walk_min
from yushu_circle.planning._shared import share

if TYPE_CHECKING:
    from yushu_circle.study import Study

LEVEL_POPULATION_MAX = {5: 12_000, 10: 25_000, 15: 100_000}
"""Largest population GB 50180-2018 lets one life circle of each level serve (5-min: M)."""
MIN_MAPPED = 3
"""Below this many facilities *and* under half the population served, a category is thin."""


def completeness(study: Study, access: pd.DataFrame | None = None) -> pd.DataFrame:
    """How many facilities the data hold per category, and whether that looks too thin.

    A category is **thin** when (a) none is mapped, (b) fewer are mapped than the number of
    life circles of its level the population makes up (population / the largest population
    GB 50180 lets one circle of that level serve, :data:`LEVEL_POPULATION_MAX`, rounded up),
    or (c) fewer than :data:`MIN_MAPPED` are mapped and under half the population reaches
    one within the category's level. Each case likely understates coverage when the data
    (OSM in Chinese towns especially) miss facilities, so the warning says how to add them.

    Returns
    -------
    DataFrame
        Per category: ``facilities``, ``from_osm``, ``from_files``, ``expected_min``,
        ``share_pop_within_level``, ``thin``, ``warning`` (bilingual, empty when fine).
    """
    access = study.access() if access is None else access
    facilities = study.facilities
    population = access["population"].to_numpy(dtype=float)
    total = float(population.sum())
    rows = []
    for category in study.catalog:
        subset = facilities[facilities["category"] == category.key]
        count = len(subset)
        from_osm = int((subset["source"] == "osm").sum()) if "source" in subset else 0
        expected = max(1, math.ceil(total / LEVEL_POPULATION_MAX.get(category.level, 100_000)))
        minutes = access[walk_min(category.key)].to_numpy(dtype=float)
        within = share(minutes <= category.level, population)
        reasons = []
        if count == 0:
            reasons.append("none mapped 未找到")
        elif count < expected:
            reasons.append(f"fewer than the {expected} the population implies")
        elif count < MIN_MAPPED and within < 0.5:
            reasons.append(f"under half the population within {category.level} min")
        warning = ""
        if reasons:
            warning = (
                f"only {count} {category.name_en} mapped for {total:,.0f} residents "
                f"({'; '.join(reasons)}) — coverage is probably understated; add your inventory "
                f"with --facilities FILE / 仅找到 {count} 处{category.name_zh}，覆盖率可能偏低，"
                "请用 --facilities 补充设施清单"
            )
        rows.append(
            {
                "category": category.key,
                "name_zh": category.name_zh,
                "name_en": category.name_en,
                "level_min": category.level,
                "facilities": count,
                "from_osm": from_osm,
                "from_files": count - from_osm,
                "expected_min": expected,
                "share_pop_within_level": within,
                "thin": bool(reasons),
                "warning": warning,
            }
        )
    return pd.DataFrame(rows).set_index("category")
