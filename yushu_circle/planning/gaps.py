"""Gaps: residents beyond each category's threshold, and where they cluster."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from yushu_circle.columns import walk_min
from yushu_circle.errors import InputError
from yushu_circle.planning._shared import study_category

if TYPE_CHECKING:
    from yushu_circle.study import Study

GAP_BUFFER_M = 100.0
"""Unserved residences within 2 × this distance of each other form one gap cluster."""


@dataclass
class Gaps:
    """Residents outside each category's threshold.

    Attributes
    ----------
    table : DataFrame
        Per category: ``threshold_min``, ``unserved_residences``, ``unserved_population``,
        ``share_pop_unserved``, ``clusters``.
    clusters : GeoDataFrame
        Clusters of unserved residences: ``category``, ``cluster``, ``residences``,
        ``population``, polygon (EPSG:4326), largest population first per category.
    """

    table: pd.DataFrame
    clusters: gpd.GeoDataFrame


def gaps(
    study: Study,
    access: pd.DataFrame | None = None,
    categories: Sequence[str] | None = None,
    thresholds: Mapping[str, float] | None = None,
    buffer_m: float = GAP_BUFFER_M,
) -> Gaps:
    """Residences and population beyond each category's threshold, and where they cluster.

    Clusters: every unserved residence is buffered by ``buffer_m`` (in the network's metric
    CRS) and the buffers are unioned; each resulting polygon is one cluster (single-linkage
    at ``2 × buffer_m``), holding the residences inside it and their population.
    Off-network residences count as unserved.

    Parameters
    ----------
    study : Study
    access : DataFrame, optional
        Walk minutes; default ``study.access()``.
    categories : sequence of str, optional
        Default: every catalog category.
    thresholds : mapping of str to float, optional
        Minutes per category; default the category's life-circle level.
    buffer_m : float
        Buffer radius, metres.

    Returns
    -------
    Gaps
    """
    if not buffer_m > 0:
        raise InputError(f"gap buffer {buffer_m!r} m is not positive", "pass a distance above 0")
    access = study.access() if access is None else access
    keys = list(categories) if categories is not None else study.catalog.keys
    population = access["population"].to_numpy(dtype=float)
    total = float(population.sum())
    metric = access.geometry.to_crs(study.network.crs).values
    rows = []
    clusters: list[dict[str, Any]] = []
    for key in keys:
        category = study_category(study, key)
        limit = float((thresholds or {}).get(key, category.level))
        unserved = ~(access[walk_min(key)].to_numpy(dtype=float) <= limit)
        found = _clusters(metric[unserved], population[unserved], buffer_m)
        for i, (count, pop, polygon) in enumerate(found):
            clusters.append(
                {
                    "category": key,
                    "cluster": i + 1,
                    "residences": count,
                    "population": pop,
                    "geometry": polygon,
                }
            )
        rows.append(
            {
                "category": key,
                "name_zh": category.name_zh,
                "name_en": category.name_en,
                "threshold_min": limit,
                "unserved_residences": int(unserved.sum()),
                "unserved_population": float(population[unserved].sum()),
                "share_pop_unserved": float(population[unserved].sum() / total) if total else 0,
                "clusters": len(found),
            }
        )
    frame = gpd.GeoDataFrame(
        pd.DataFrame(clusters, columns=["category", "cluster", "residences", "population"]),
        geometry=[c["geometry"] for c in clusters],
        crs=study.network.crs,
    ).to_crs("EPSG:4326")
    return Gaps(pd.DataFrame(rows).set_index("category"), frame)


def _clusters(
    points: np.ndarray, population: np.ndarray, buffer_m: float
) -> list[tuple[int, float, Any]]:
    if len(points) == 0:
        return []
    union = shapely.union_all(shapely.buffer(points, buffer_m, quad_segs=4))
    parts = shapely.get_parts(union)
    tree = shapely.STRtree(parts)
    point_idx, part_idx = tree.query(points, predicate="intersects")
    owner = np.full(len(points), -1)
    owner[point_idx] = part_idx
    counts = np.bincount(owner, minlength=len(parts))
    pops = np.bincount(owner, weights=population, minlength=len(parts))
    order = np.lexsort((-counts, -pops))
    return [(int(counts[i]), float(pops[i]), parts[i]) for i in order]
