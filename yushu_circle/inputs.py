"""What a study is built from: its frozen inputs and options, the residence and facility sets."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from yushu_circle.catalog import Catalog, normalize_key
from yushu_circle.errors import DataError, InputError
from yushu_circle.network import Snap, WalkNetwork
from yushu_circle.options import AgeShares, Datum, StudyOptions
from yushu_circle.osm.sources import CLIP_MARGIN_M, OSMData
from yushu_circle.places import (
    classified_facilities,
    empty_facilities,
    residences_from_features,
)
from yushu_circle.user_points import user_facilities, user_residences

_FAR_OUTSIDE_M = 5000.0
"""User points farther than this (or 10 snap limits) outside the street network are refused."""
_LARGE_MEDIAN_SNAP_M = 100.0
"""A median residence-to-street distance above this suggests a wrong datum (GCJ-02/BD-09)."""


ResidenceInput: TypeAlias = str | Path | gpd.GeoDataFrame | None
"""Residences instead of OSM buildings: a file path or a GeoDataFrame (None: from OSM)."""


@dataclasses.dataclass(frozen=True)
class StudyInputs:
    """What a study is built from — fixed once the study exists.

    Parameters
    ----------
    data : OSMData
        The OSM data of the area (streets and features, read once).
    catalog : Catalog
        The categories: the base catalog plus any category the user's facility files bring.
    base_keys : tuple of str
        The base catalog's keys (those a "no facility found" note names).
    residences : str, Path, GeoDataFrame or None
        Residences instead of OSM buildings.
    facilities : tuple of (GeoDataFrame, str)
        The user's facilities, already read, each with the name of where it came from.
    options : StudyOptions
    osm_facilities : bool
        Whether OSM's facilities count (a what-if study carries its full facility list in
        ``facilities`` instead).
    scenario : str
        A what-if study's description ("" for a plain study).
    population : str or Path, optional
        A population GeoTIFF (WorldPop, GHS-POP; any CRS) spread over the OSM residences
        (:func:`yushu_circle.population.distribute`).
    population_total : float, optional
        A known total (a census figure) spread over the residences
        (:func:`yushu_circle.population.spread_total`).
    age_shares : AgeShares, optional
        Shares of children and elderly: residences then carry ``children``/``elderly``
        (:func:`yushu_circle.population.age_groups`).
    """

    data: OSMData
    catalog: Catalog
    base_keys: tuple[str, ...]
    residences: ResidenceInput
    facilities: tuple[tuple[gpd.GeoDataFrame, str], ...]
    options: StudyOptions
    osm_facilities: bool = True
    scenario: str = ""
    population: str | Path | None = None
    population_total: float | None = None
    age_shares: AgeShares | None = None


@dataclasses.dataclass(frozen=True)
class ResidenceSet:
    """The study's residences and how they were found.

    Attributes
    ----------
    frame : GeoDataFrame
        ``residence_id``, ``population``, point geometry (EPSG:4326).
    source : str
        How they were found ("1,442 residential buildings …", "… from homes.csv").
    notes : tuple of str
        What was left out or assumed on the way.
    """

    frame: gpd.GeoDataFrame
    source: str
    notes: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class FacilitySet:
    """The study's facilities (OSM's and the user's) and what was noted reading them."""

    frame: gpd.GeoDataFrame
    notes: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class SharedResults:
    """Parts of another study a what-if study reuses unchanged (immutable values)."""

    network: WalkNetwork
    features: gpd.GeoDataFrame
    residences: ResidenceSet
    residence_snap: Snap
    facility_snaps: Mapping[str, Snap]


def check_in_study_area(
    network: WalkNetwork, frame: gpd.GeoDataFrame, source: Any, what: str, snap_limit_m: float
) -> list[str]:
    """Notes on a user file's points far outside the street network; refuse it if most are."""
    if frame.empty:
        return []
    net = network
    x, y = net.to_projected(frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy())
    (west, south), (east, north) = net.node_xy.min(axis=0), net.node_xy.max(axis=0)
    dx = np.maximum(np.maximum(west - x, x - east), 0.0)
    dy = np.maximum(np.maximum(south - y, y - north), 0.0)
    away = np.hypot(dx, dy)
    away[~np.isfinite(away)] = np.inf
    limit = max(_FAR_OUTSIDE_M, 10 * snap_limit_m)
    far = away > limit
    if far.sum() * 2 > len(frame):
        first = int(np.flatnonzero(far)[0])
        point = frame.geometry.iloc[first]
        raise DataError(
            f"{what} file {source}: {int(far.sum())} of {len(frame)} points lie outside the "
            f"study area, over {limit / 1000:g} km from its streets (the first at "
            f"lon {point.x:.5f}, lat {point.y:.5f})",
            "check that the lon/lat columns are not swapped, that --datum is right, and "
            "that the file is for this area",
        )
    if far.any():
        return [
            f"{int(far.sum())} of {len(frame)} points in {what} file {source} lie over "
            f"{limit / 1000:g} km outside the study area: they get no walk time"
        ]
    return []


def what_if_frame(added: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Facilities a what-if adds, with the contract's columns (``source`` = ``what-if``)."""
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


def _categorised(
    frame: gpd.GeoDataFrame, catalog: Catalog
) -> tuple[gpd.GeoDataFrame, Catalog, list[str]]:
    """Added facilities with their categories resolved (``幼儿园`` → ``kindergarten``); an
    unknown one becomes a category of its own, noted with the nearest known one."""
    keys = []
    unknown: dict[str, list[str]] = {}
    known = catalog
    for value in frame["category"].astype(str):
        key = known.resolve(value.strip())
        if key is None:
            key = normalize_key(value)
            catalog = catalog.with_category(key, value.strip())
            unknown.setdefault(value.strip(), []).append(key)
        keys.append(key)
    notes = [
        known.unknown_note(value, found[0], len(found), "what-if")
        for value, found in unknown.items()
    ]
    return frame.assign(category=keys), catalog, notes


def read_user_facilities(
    items: Sequence[Any], catalog: Catalog, datum: str
) -> tuple[tuple[tuple[gpd.GeoDataFrame, str], ...], Catalog]:
    """The user's facility files and frames, read now; the catalog extended by them.

    Raises
    ------
    InputError
        When one file is given twice, or two files share a name (their facility ids,
        ``<name>-<row>``, would clash).
    """
    _check_distinct_files([item for item in items if not isinstance(item, gpd.GeoDataFrame)])
    read = []
    for item in items:
        if isinstance(item, gpd.GeoDataFrame):
            frame = item.to_crs("EPSG:4326")
            for key in frame["category"].unique():
                catalog = catalog.with_category(str(key))
            read.append((frame, ""))
        else:
            frame, extended = user_facilities(item, datum, catalog)
            catalog = extended or catalog
            read.append((frame, str(item)))
    return tuple(read), catalog


def _check_distinct_files(paths: Sequence[str | Path]) -> None:
    seen: dict[str, Path] = {}
    for item in paths:
        path = Path(item)
        earlier = seen.get(path.stem)
        if earlier is None:
            seen[path.stem] = path
            continue
        same = earlier.resolve() == path.resolve()
        raise InputError(
            f"facilities file {path} is given twice"
            if same
            else f"facilities files {earlier} and {path} share the name {path.stem!r}, so "
            f"their facility ids ({path.stem}-1, {path.stem}-2, …) would clash",
            "give each file once" if same else "rename one of them",
        )


def catalog_of(value: Any) -> Catalog:
    """The catalog a ``catalog=`` argument names: the shipped one, a TOML file or itself."""
    if value is None:
        return Catalog.default()
    return value if isinstance(value, Catalog) else Catalog.load(value)


def snap_notes(
    residence_snap: Snap,
    facility_snaps: Mapping[str, Snap],
    base_keys: Sequence[str],
    options: StudyOptions,
    user_residences: bool,
    catalog: Catalog | None = None,
) -> list[str]:
    """What snapping found worth saying (中文 / English): off-network points, categories with
    no facility mapped (named from ``catalog``), datums."""
    notes = []
    off = int((~residence_snap.on_network).sum())
    if off:
        notes.append(
            f"{off:,} residence(s) are farther than {options.snap_limit_m:g} m from any "
            f"walkable street: flagged off-network, no walk time / {off:,} 个居住点距"
            f"可步行街道超过 {options.snap_limit_m:g} 米：标为不在路网上，无步行时间"
        )
    base = set(base_keys)
    thin = [k for k, s in facility_snaps.items() if len(s) == 0 and k in base]
    if thin:
        names = "、".join(catalog[k].name_zh if catalog and k in catalog else k for k in thin)
        notes.append(
            "no facility found for: "
            + ", ".join(thin)
            + f" / 本区无以下设施（none mapped here）：{names}"
        )
    stranded = sum(int((~s.on_network).sum()) for s in facility_snaps.values())
    if stranded:
        notes.append(
            f"{stranded:,} facilit{'y is' if stranded == 1 else 'ies are'} farther than "
            f"{options.snap_limit_m:g} m from the walk network (off the streets or on "
            f"a disconnected street part): no walk time to them / {stranded:,} 处设施距"
            f"步行路网超过 {options.snap_limit_m:g} 米（不在街道上或在不连通的街道片段上）："
            "无法步行到达"
        )
    if user_residences and len(residence_snap) and off < len(residence_snap):
        median = float(np.median(residence_snap.snap_m[np.isfinite(residence_snap.snap_m)]))
        if median > _LARGE_MEDIAN_SNAP_M:
            hint = (
                "if the coordinates come from Amap/Tencent (GCJ-02) or Baidu (BD-09), "
                "pass --datum gcj02 or --datum bd09"
                if options.datum == Datum.WGS84
                else f"check the file's datum (declared {options.datum})"
            )
            notes.append(
                f"residences sit a median {median:.0f} m from the nearest street (over "
                f"{_LARGE_MEDIAN_SNAP_M:g} m): {hint} / 居住点距最近街道的中位距离为 "
                f"{median:.0f} 米（超过 {_LARGE_MEDIAN_SNAP_M:g} 米）：请检查坐标系"
                "（高德/腾讯为 GCJ-02，百度为 BD-09）"
            )
    return notes


def find_residences(
    inputs: StudyInputs, network: WalkNetwork, features: Callable[[], gpd.GeoDataFrame]
) -> ResidenceSet:
    """The study's residences: the user's file or frame, else OSM's buildings (or samples)."""
    source = inputs.residences
    data = inputs.data
    notes: list[str] = []
    if isinstance(source, gpd.GeoDataFrame):
        frame = source.to_crs("EPSG:4326")
        how = f"{len(frame):,} residences given as a GeoDataFrame"
    elif source is not None:
        frame = user_residences(source, inputs.options.datum)
        notes += check_in_study_area(
            network, frame, source, "residences", inputs.options.snap_limit_m
        )
        how = f"{len(frame):,} residences from {Path(source).name}"
    else:
        if not data.has_features:
            raise DataError(
                "the source has no building data to find residences in",
                "pass --residences FILE (CSV with lon, lat, population)",
            )
        frame, how = residences_from_features(
            features(),
            network.crs,
            network.edges_frame,
            population=inputs.population,
            area=data.area,
            population_total=inputs.population_total,
        )
    if data.area is not None and not frame.empty:
        inside = shapely.contains_xy(
            data.area, frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
        )
        if not inside.all():
            notes.append(
                f"{int((~inside).sum()):,} residence(s) outside the study area left out; "
                f"streets and facilities up to {CLIP_MARGIN_M:g} m beyond it still count / "
                f"研究区外的 {int((~inside).sum()):,} 个居住点未计入；区外 {CLIP_MARGIN_M:g} 米内的"
                "街道和设施仍计入"
            )
            frame = frame[inside]
            how += f" ({len(frame):,} inside the study area)"
    if frame.empty:
        raise DataError(
            "no residences in the study area", "pass --residences FILE or widen the area"
        )
    if "population" not in frame:
        frame = frame.assign(population=1.0)
    frame, how, notes = _people(inputs, frame, how, notes, user=source is not None)
    return ResidenceSet(frame.reset_index(drop=True), how, tuple(notes))


def _people(
    inputs: StudyInputs, frame: gpd.GeoDataFrame, how: str, notes: list[str], user: bool
) -> tuple[gpd.GeoDataFrame, str, list[str]]:
    """A known total spread over the user's residences (OSM's got it where they were
    found), then the age groups; each named in the notes."""
    from yushu_circle.population import age_groups, spread_total

    if inputs.population_total is not None and user:
        if inputs.population is not None:
            raise InputError(
                "both a population raster and a population total were given",
                "pass --population FILE or --population-total N, not both",
            )
        frame, basis = spread_total(frame, inputs.population_total)
        how = f"{how}; {basis}"
    if "population_method" in frame and len(frame):
        notes = [*notes, f"population 人口: {frame['population_method'].iloc[0]}"]
    if inputs.age_shares is not None:
        frame, groups = age_groups(frame, inputs.age_shares)
        how, notes = f"{how}; {groups}", [*notes, groups]
    return frame, how, notes


def find_facilities(
    inputs: StudyInputs, network: WalkNetwork, features: Callable[[], gpd.GeoDataFrame]
) -> FacilitySet:
    """The study's facilities: OSM's (unless a what-if replaced them) and the user's."""
    parts = []
    notes: list[str] = []
    data = inputs.data
    if inputs.osm_facilities and data.has_features:
        found, fell_back = classified_facilities(features(), inputs.catalog)
        parts.append(found)
        notes += [
            f"{count:,} OSM feature(s) counted as {inputs.catalog[key].name_en} "
            f"({inputs.catalog[key].name_zh}) only by the documented fallback rule "
            "(nothing told their level; see the README's facility categories) / "
            f"{count:,} 个 OSM 要素仅按文档中的默认规则计为{inputs.catalog[key].name_zh}"
            "（未标注级别）"
            for key, count in sorted(fell_back.items())
            if count
        ]
    for frame, origin in inputs.facilities:
        notes += frame.attrs.get("notes", [])  # categories not in the catalog
        if origin:
            notes += check_in_study_area(
                network, frame, origin, "facilities", inputs.options.snap_limit_m
            )
        parts.append(frame)
    parts = [p for p in parts if not p.empty]
    if not parts:
        return FacilitySet(empty_facilities(), tuple(notes))
    combined = pd.concat(parts, ignore_index=True)
    frame = gpd.GeoDataFrame(combined, geometry="geometry", crs="EPSG:4326")
    return FacilitySet(frame, tuple(notes))


def what_if_inputs(
    inputs: StudyInputs,
    facilities: gpd.GeoDataFrame,
    added: str | Path | gpd.GeoDataFrame | None,
    removed: Sequence[str],
) -> tuple[StudyInputs, set[str]]:
    """The inputs of a what-if study, and the categories whose facilities change.

    The new inputs carry the full facility list (``facilities`` minus ``removed`` plus
    ``added``) in place of OSM's, the catalog extended by any new category, and a scenario
    note.
    """
    ids = facilities["facility_id"].astype(str)
    drop = [str(i) for i in removed]
    missing = [i for i in drop if i not in set(ids)]
    if missing:
        raise InputError(
            f"facility id(s) {', '.join(missing[:5])} not in the study",
            "use facility_id values from facilities.parquet",
        )
    kept = facilities[~ids.isin(drop)]
    changed = set(facilities[ids.isin(drop)]["category"].astype(str))
    catalog = inputs.catalog
    parts = [kept]
    notes: list[str] = []
    if added is not None:
        if isinstance(added, gpd.GeoDataFrame):
            new, catalog, notes = _categorised(what_if_frame(added), catalog)
        else:
            new, extended = user_facilities(added, inputs.options.datum, catalog)
            catalog = extended or catalog
            notes = new.attrs.get("notes", [])
        changed |= set(new["category"].astype(str))
        parts.append(new)
    combined = gpd.GeoDataFrame(
        pd.concat(parts, ignore_index=True), geometry="geometry", crs="EPSG:4326"
    )
    scenario = (
        f"what-if 情景: {len(drop)} facility(ies) removed, {len(combined) - len(kept)} added "
        f"({', '.join(sorted(changed))})"
    )
    scenario = "; ".join([scenario, *notes])
    new_inputs = dataclasses.replace(
        inputs,
        catalog=catalog,
        facilities=((combined, ""),),
        osm_facilities=False,
        scenario=scenario,
    )
    return new_inputs, changed
