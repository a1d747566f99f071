"""What-if: a study with facilities added or removed, and the difference it makes."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from yushu_circle.columns import walk_min
from yushu_circle.errors import InputError
from yushu_circle.network import WalkNetwork
from yushu_circle.places import user_facilities
from yushu_circle.planning._shared import share

if TYPE_CHECKING:
    from yushu_circle.study import Study


def with_facilities(
    study: Study,
    added: str | Path | gpd.GeoDataFrame | None = None,
    removed: Iterable[str] = (),
) -> Study:
    """A what-if copy of a study with facilities added and/or removed.

    The copy shares the network, residences and their snapping with ``study`` (nothing of
    those is recomputed); only the facilities change, and walk minutes are computed afresh
    when asked.

    Parameters
    ----------
    study : Study
    added : str, Path or GeoDataFrame, optional
        New facilities: a facilities file (as ``--facilities``) or a GeoDataFrame with a
        ``category`` column (``name``, ``facility_id`` optional).
    removed : iterable of str
        ``facility_id`` values to take out.

    Returns
    -------
    Study

    Raises
    ------
    InputError
        When a removed id is not a facility of the study or an added row has no category.
    """
    facilities = study.facilities
    catalog = study.catalog
    drop = [str(i) for i in removed]
    known = set(facilities["facility_id"].astype(str))
    missing = [i for i in drop if i not in known]
    if missing:
        raise InputError(
            f"facility id(s) {', '.join(missing[:5])} not in the study",
            "use facility_id values from facilities.parquet",
        )
    kept = facilities[~facilities["facility_id"].astype(str).isin(drop)]
    parts = [kept]
    if added is not None:
        if isinstance(added, gpd.GeoDataFrame):
            frame = _added_frame(added)
            for key in frame["category"].unique():
                catalog = catalog.with_category(str(key))
        else:
            frame, extended = user_facilities(added, study.options.datum, catalog)
            catalog = extended or catalog
        parts.append(frame)
    combined = gpd.GeoDataFrame(
        pd.concat(parts, ignore_index=True), geometry="geometry", crs="EPSG:4326"
    )
    changed = set(facilities[facilities["facility_id"].astype(str).isin(drop)]["category"])
    if added is not None:
        changed |= set(parts[-1]["category"])
    new = copy.copy(study)
    note = (
        f"what-if 情景: {len(drop)} facility(ies) removed, {len(combined) - len(kept)} added "
        f"({', '.join(sorted(map(str, changed)))})"
    )
    new.notes = [*study.notes, note]
    new.node_minutes = {}
    for name in ("facilities", "facility_snaps", "_access"):
        new.__dict__.pop(name, None)
    new.__dict__["facilities"] = combined
    new._extra_catalog = catalog
    old_snaps = study.__dict__.get("facility_snaps", {})
    snaps = {}
    for category in catalog:
        if category.key in old_snaps and category.key not in changed:
            snaps[category.key] = old_snaps[category.key]
        else:
            subset = combined[combined["category"] == category.key]
            snaps[category.key] = new._snap_frame(subset)
    new.__dict__["facility_snaps"] = snaps
    return new


def _added_frame(added: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if "category" not in added:
        raise InputError(
            "the added facilities have no 'category' column",
            "give each new facility a catalog category such as clinic",
        )
    frame = added.to_crs("EPSG:4326") if added.crs is not None else added.set_crs("EPSG:4326")
    if not frame.geometry.geom_type.eq("Point").all():
        frame = frame.set_geometry(frame.geometry.representative_point())
    count = len(frame)
    return gpd.GeoDataFrame(
        {
            "facility_id": (
                frame["facility_id"].astype(str).to_numpy()
                if "facility_id" in frame
                else [f"added-{i + 1}" for i in range(count)]
            ),
            "category": frame["category"].astype(str).to_numpy(),
            "name": frame["name"].astype(str).to_numpy() if "name" in frame else [""] * count,
            "source": "what-if",
        },
        geometry=frame.geometry.values,
        crs="EPSG:4326",
    )


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
    """

    residences: gpd.GeoDataFrame
    summary: pd.DataFrame
    categories: list[str]


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
    return WhatIf(frame, summary, keys)
