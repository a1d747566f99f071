"""What-if: a study with facilities added or removed, and the difference it makes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from yushu_circle.columns import walk_min
from yushu_circle.errors import InputError
from yushu_circle.network import WalkNetwork
from yushu_circle.planning._shared import share

if TYPE_CHECKING:
    from yushu_circle.study import Study


@dataclass
class WhatIf:
    """The difference a scenario makes.

    Attributes
    ----------
    residences : GeoDataFrame
        Per residence: ``residence_id``, ``population``, and for each changed category
        ``walk_min_<key>_before``, ``walk_min_<key>_after``, ``delta_min_<key>``; then
        ``score_before``, ``score_after``, ``score_delta`` — a diff map layer.
    summary : DataFrame
        Per changed category: facilities and share of population within its level before
        and after, residences better and worse off.
    categories : list of str
        The categories that changed.
    note : str
        What the scenario did, with any added category not in the catalog named beside
        the nearest known one ("did you mean elderly_daycare?"); empty when not known.
    """

    residences: gpd.GeoDataFrame
    summary: pd.DataFrame
    categories: list[str]
    note: str = ""


def compare(before: Study, after: Study, network: WalkNetwork | None = None) -> WhatIf:
    """Per-residence and summary differences between two studies of the same residences.

    Parameters
    ----------
    before, after : Study
        Usually ``study`` and ``study.with_facilities(...)``.
    network : WalkNetwork, optional
        A walker profile's network used for both; default each study's own.

    Returns
    -------
    WhatIf
    """
    if len(before.residences) != len(after.residences):
        raise InputError(
            "the two studies have different residences", "compare a study with its what-if copy"
        )
    a = before.access(network=network)
    b = after.access(network=network)
    keys = [
        c.key
        for c in after.catalog
        if walk_min(c.key) in b
        and (
            walk_min(c.key) not in a
            or not np.array_equal(
                a[walk_min(c.key)].to_numpy(), b[walk_min(c.key)].to_numpy(), equal_nan=True
            )
        )
    ]
    population = b["population"].to_numpy(dtype=float)
    columns: dict[str, Any] = {
        "residence_id": b["residence_id"].to_numpy(),
        "population": population,
    }
    rows = []
    before_counts = before.facilities["category"].value_counts()
    after_counts = after.facilities["category"].value_counts()
    for key in keys:
        old = a[walk_min(key)].to_numpy(dtype=float) if walk_min(key) in a else None
        new = b[walk_min(key)].to_numpy(dtype=float)
        if old is None:
            old = np.full(len(new), np.nan)
        columns[walk_min(key) + "_before"] = old
        columns[walk_min(key) + "_after"] = new
        columns[f"delta_min_{key}"] = new - old
        level = after.catalog[key].level
        better = np.nan_to_num(new, nan=np.inf) < np.nan_to_num(old, nan=np.inf)
        worse = np.nan_to_num(new, nan=np.inf) > np.nan_to_num(old, nan=np.inf)
        rows.append(
            {
                "category": key,
                "name_zh": after.catalog[key].name_zh,
                "level_min": level,
                "facilities_before": int(before_counts.get(key, 0)),
                "facilities_after": int(after_counts.get(key, 0)),
                "share_pop_before": share(old <= level, population),
                "share_pop_after": share(new <= level, population),
                "residences_better": int(better.sum()),
                "residences_worse": int(worse.sum()),
                "population_newly_within": float(
                    population[(new <= level) & ~(old <= level)].sum()
                ),
                "population_no_longer_within": float(
                    population[(old <= level) & ~(new <= level)].sum()
                ),
            }
        )
    columns["score_before"] = a["score"].to_numpy()
    columns["score_after"] = b["score"].to_numpy()
    columns["score_delta"] = columns["score_after"] - columns["score_before"]
    frame = gpd.GeoDataFrame(columns, geometry=b.geometry.values, crs="EPSG:4326")
    summary = pd.DataFrame(
        rows,
        columns=[
            "category",
            "name_zh",
            "level_min",
            "facilities_before",
            "facilities_after",
            "share_pop_before",
            "share_pop_after",
            "residences_better",
            "residences_worse",
            "population_newly_within",
            "population_no_longer_within",
        ],
    ).set_index("category")
    return WhatIf(frame, summary, keys, after.inputs.scenario)
