"""Residences and facilities from OSM features (the user's files: :mod:`user_points`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from yushu_circle.catalog import Catalog
from yushu_circle.errors import DataError, InputError
from yushu_circle.osm.features import features_from_elements as features_from_elements
from yushu_circle.osm.features import string_column
from yushu_circle.osm.gcpause import paused_gc
from yushu_circle.residential import (
    DEFAULT_YES_BUILDINGS,
    KIND_TYPED,
    KIND_YES_ELSEWHERE,
    KIND_YES_IN_RESIDENTIAL,
    RESIDENTIAL_BUILDINGS,
    YES_BUILDING_RULES,
    YesBuildings,
    non_residential,
    representative_points,
    surface_areas,
)

PERSONS_PER_FLOOR_M2 = 1 / 35.0
"""Residents per m² of floor area (about 35 m² per person, China's urban average is 35–40)."""
SAMPLE_SPACING_M = 80.0
"""Spacing of fallback sample points where OSM maps too few residential buildings."""
MIN_MAPPED_BUILDINGS = 20

_DEFAULT_LEVELS = {"house": 1, "detached": 1, "bungalow": 1, "hut": 1, "ger": 1, "cabin": 1}


@paused_gc()
def residences_from_features(
    features: gpd.GeoDataFrame,
    utm: Any,
    streets: Callable[[], gpd.GeoDataFrame] | None = None,
    yes_buildings: YesBuildings = DEFAULT_YES_BUILDINGS,
    population: Any = None,
    area: Any = None,
    population_total: float | None = None,
) -> tuple[gpd.GeoDataFrame, str]:
    """Residences from OSM buildings, or sample points where buildings are too few.

    Buildings (ways, multipolygon relations, and buildings clipped at the data's edge) count
    by three rules, each named in the ``kind`` column and counted in the returned sentence:

    1. ``building=`` a residential type (:data:`RESIDENTIAL_BUILDINGS`);
    2. ``building=yes`` inside ``landuse=residential``;
    3. with ``yes_buildings="not_non_residential"`` (the default), any other
       ``building=yes`` that is not a known non-residential use: the building carries no
       use tag (:data:`NON_RESIDENTIAL_KEYS`: ``amenity``, ``shop``, ``office``, …) and does
       not stand in a non-residential area (:data:`NON_RESIDENTIAL_LANDUSE`, or the grounds
       of an ``amenity``/``leisure``/… polygon such as a school). ``"residential_landuse"``
       turns this rule off. A shop node inside a building does not exclude it (ground-floor
       shops under homes, 底商, are common).

    Each becomes its polygon's representative point, with a population estimated from
    floor area (footprint × levels × ``PERSONS_PER_FLOOR_M2``), or taken from a population
    raster (:func:`yushu_circle.population.distribute`). Where fewer than
    ``MIN_MAPPED_BUILDINGS`` are found, points every ``SAMPLE_SPACING_M`` metres inside
    ``landuse=residential`` (or along residential streets) stand in, each with population 1
    (or the raster's people).

    Parameters
    ----------
    features : GeoDataFrame
        From :func:`yushu_circle.osm.features.features_frame`.
    utm : pyproj.CRS
        Metric CRS for areas and sampling.
    streets : callable, optional
        Gives the walk edges (EPSG:4326) with ``highway``, for street sampling and the
        raster's default area; called only when needed (a big city's edge frame takes
        seconds).
    yes_buildings : {"not_non_residential", "residential_landuse"}
        Where untagged ``building=yes`` counts (rule 3 on or off).
    population : str or Path, optional
        A population GeoTIFF (any CRS) whose people are spread over the residences.
    area : shapely Polygon, optional
        The study area (EPSG:4326) the raster is summed over; default the box around the
        streets. When it has several parts (a county's settlements), residences are found
        part by part: each decides between its buildings and sample points.
    population_total : float, optional
        A known total (a census figure) spread over the residences inside ``area``
        (:func:`yushu_circle.population.spread_total`); not with ``population``.

    Returns
    -------
    (GeoDataFrame, str)
        Residences (``residence_id``, ``population``, ``kind``, ``floor_m2``, geometry
        EPSG:4326) and a sentence saying how they were found and where their population
        comes from.
    """
    if yes_buildings not in YES_BUILDING_RULES:
        raise InputError(
            f"unknown building rule {yes_buildings!r}",
            f"use one of {', '.join(YES_BUILDING_RULES)}",
        )
    parts = list(shapely.get_parts(area)) if area is not None else []
    if len(parts) > 1:
        frame, how, basis = _by_part(features, utm, streets, yes_buildings, parts)
    else:
        found = _residences(features, utm, streets, yes_buildings)
        frame, how, basis = found.frame, found.how, found.basis
    if frame.empty and population is None:
        raise DataError(
            "no residences found: OSM maps no residential buildings, no landuse=residential "
            "and no residential streets in the area",
            "pass your own residences with --residences FILE (CSV with lon, lat, population)",
        )
    if population is not None and population_total is not None:
        raise InputError(
            "both a population raster and a population total were given",
            "pass --population FILE or --population-total N, not both",
        )
    if population is not None:
        from yushu_circle.population import distribute

        if area is None and streets is not None:
            area = shapely.box(*streets().total_bounds)
        frame, basis = distribute(frame, population, area)
    elif population_total is not None:
        from yushu_circle.population import spread_total

        frame, basis = spread_total(frame, population_total, area)
    return frame, f"{how}; {basis}"


@dataclasses.dataclass(frozen=True)
class _Found:
    """Residences of one area: the frame, how they were found, whether they are samples."""

    frame: gpd.GeoDataFrame
    how: str
    basis: str
    sampled: bool
    buildings: int


def _residences(
    features: gpd.GeoDataFrame,
    utm: Any,
    streets: Callable[[], gpd.GeoDataFrame] | None,
    yes_buildings: YesBuildings,
) -> _Found:
    buildings = _column(features, "building")
    landuse = _column(features, "landuse")
    geometry = features.geometry.to_numpy()
    polygonal = np.isin(shapely.get_type_id(geometry), (3, 6))  # Polygon, MultiPolygon
    residential_areas = features[polygonal & (landuse == "residential").to_numpy()]
    # Typed homes count as points too (address nodes tagged building=house).
    typed = buildings.isin(RESIDENTIAL_BUILDINGS).to_numpy()
    yes = (buildings == "yes").to_numpy() & polygonal
    # Representative points only of what may become a residence (not of streets, shops…).
    points = np.full(len(features), None, dtype=object)
    maybe = typed | yes
    points[maybe] = representative_points(geometry[maybe])
    in_zone = np.zeros(len(features), dtype=bool)
    if yes.any() and not residential_areas.empty:
        zone = shapely.union_all(residential_areas.geometry.values)
        in_zone[yes] = shapely.contains(zone, points[yes])
    in_residential = yes & in_zone
    other_yes = yes & ~in_zone
    if yes_buildings == "not_non_residential" and other_yes.any():
        other_yes &= ~non_residential(features, points, other_yes)
    else:
        other_yes &= False
    kinds = np.full(len(features), "", dtype=object)
    kinds[typed] = KIND_TYPED
    kinds[in_residential] = KIND_YES_IN_RESIDENTIAL
    kinds[other_yes] = KIND_YES_ELSEWHERE
    chosen_mask = typed | in_residential | other_yes
    chosen = int(chosen_mask.sum())
    mapped = int(buildings.notna().sum())
    if chosen >= MIN_MAPPED_BUILDINGS:
        # The chosen rows' columns only (a copy of the whole features frame is not needed).
        footprint = surface_areas(features.geometry[chosen_mask], utm)
        levels = _column(features, "building:levels")[chosen_mask]
        floor = footprint * _levels(levels, buildings[chosen_mask].to_numpy())
        chosen_kinds = kinds[chosen_mask]
        frame = gpd.GeoDataFrame(
            {
                "residence_id": _osm_ids(features.index[chosen_mask]),
                "population": np.maximum(1, np.round(floor * PERSONS_PER_FLOOR_M2)),
                "kind": chosen_kinds,
                "floor_m2": floor,
            },
            geometry=points[chosen_mask],
            crs="EPSG:4326",
        )
        counts = ", ".join(
            f"{int((chosen_kinds == kind).sum()):,} {kind}"
            for kind in (KIND_TYPED, KIND_YES_IN_RESIDENTIAL, KIND_YES_ELSEWHERE)
        )
        how = f"{len(frame):,} OSM buildings as residences ({counts})"
        return _Found(frame, how, BUILDING_BASIS, False, mapped)
    frame = _sample_points(residential_areas, streets, utm)
    where = (
        "in landuse=residential areas and along residential streets"
        if not residential_areas.empty
        else "along residential streets"
    )
    how = (
        f"{len(frame):,} residences are sample points every {SAMPLE_SPACING_M:.0f} m {where} "
        f"(OSM has {mapped:,} buildings here, {chosen:,} of them homes: too few) / "
        f"{len(frame):,} 个居住点为沿居住街道的采样点（此处 OSM 仅有 {mapped:,} 栋建筑）"
    )
    return _Found(frame, how, SAMPLE_BASIS, True, mapped)


def _given(edges: gpd.GeoDataFrame | None) -> Callable[[], gpd.GeoDataFrame] | None:
    return None if edges is None else (lambda: edges)


BUILDING_BASIS = (
    f"population estimated from floor area at {1 / PERSONS_PER_FLOOR_M2:.0f} m² per person"
)
SAMPLE_BASIS = "sample points carry population 1 each (not an estimate of people)"


def _by_part(
    features: gpd.GeoDataFrame,
    utm: Any,
    streets: Callable[[], gpd.GeoDataFrame] | None,
    yes_buildings: YesBuildings,
    parts: list[Any],
) -> tuple[gpd.GeoDataFrame, str, str]:
    """Residences of a study area of several parts (a county's settlements), part by part:
    where one settlement maps its buildings and another only its streets, each gets its own."""
    tree = shapely.STRtree(features.geometry.values)
    edges = streets() if streets is not None else None
    found = []
    for part in parts:
        inside = np.sort(tree.query(part, predicate="intersects"))
        near = None if edges is None else edges[edges.intersects(part)]
        found.append(_residences(features.iloc[inside], utm, _given(near), yes_buildings))
    # Sample ids restart in each part: told apart before the buildings (shared by two
    # parts only if one stands across both) are counted once.
    frames = [
        f.frame.assign(residence_id=[f"{k}-{i}" for i in range(len(f.frame))])
        if f.sampled
        else f.frame
        for k, f in enumerate(found)
        if not f.frame.empty
    ]
    frame = (
        gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326")
        if frames
        else found[0].frame
    )
    frame = frame.drop_duplicates("residence_id").reset_index(drop=True)
    sampled = frame["kind"].to_numpy() == "sample point"
    frame.loc[sampled, "residence_id"] = [f"sample-{i}" for i in range(int(sampled.sum()))]
    built = [f for f in found if not f.sampled]
    samples = [f for f in found if f.sampled]
    lines, bases = [], []
    if built:
        count = int((~sampled).sum())
        lines.append(f"{count:,} OSM buildings as residences in {len(built)} part(s)")
        bases.append(BUILDING_BASIS)
    if samples:
        count, mapped = int(sampled.sum()), sum(f.buildings for f in samples)
        lines.append(
            f"{count:,} residences are sample points along residential streets in "
            f"{len(samples)} part(s) (OSM has {mapped:,} buildings there) / {count:,} "
            f"个居住点为沿居住街道的采样点（该处 OSM 仅有 {mapped:,} 栋建筑）"
        )
        bases.append(SAMPLE_BASIS)
    how = f"study area of {len(parts)} parts: " + "; ".join(lines)
    return frame, how, "; ".join(bases)


def _osm_ids(index: pd.MultiIndex) -> Any:
    """``osm-{element}-{id}`` of each (element, id), built in Arrow (a million of them)."""
    elements = pa.array(index.get_level_values(0).astype(str).to_numpy(), type=pa.string())
    ids = pa.array(index.get_level_values(1).to_numpy(dtype=np.int64)).cast(pa.string())
    return string_column(pc.binary_join_element_wise("osm-", elements, "-", ids, ""))


def _sample_points(
    areas: gpd.GeoDataFrame, streets: Callable[[], gpd.GeoDataFrame] | None, utm: Any
) -> gpd.GeoDataFrame:
    points: list[Any] = []
    zone = None
    if not areas.empty:
        zone = shapely.union_all(areas.to_crs(utm).geometry.values)
        west, south, east, north = zone.bounds
        xs = np.arange(west + SAMPLE_SPACING_M / 2, east, SAMPLE_SPACING_M)
        ys = np.arange(south + SAMPLE_SPACING_M / 2, north, SAMPLE_SPACING_M)
        gx, gy = np.meshgrid(xs, ys)
        grid = shapely.points(gx.ravel(), gy.ravel())
        points = list(grid[shapely.contains(zone, grid)])
        # An area smaller than the grid (or clipped to a sliver) still gets one point.
        for part in shapely.get_parts(zone):
            if not any(part.contains(p) for p in points):
                points.append(part.representative_point())
    # The street length each point stands for (a grid point: one spacing), for spreading a
    # known population total by street length (:func:`yushu_circle.population.spread_total`).
    street_m: list[float] = [SAMPLE_SPACING_M] * len(points)
    # Residential streets outside the mapped residential areas carry homes too (a clipped
    # extract may keep only a sliver of a residential area).
    if streets is not None and not (edges := streets()).empty:
        kinds = edges["highway"].astype(str)
        residential = edges[kinds.isin(["residential", "living_street"])].to_crs(utm)
        for line in residential.geometry:
            steps = np.arange(SAMPLE_SPACING_M / 2, line.length, SAMPLE_SPACING_M)
            along = shapely.line_interpolate_point(line, steps)
            share = line.length / max(len(along), 1)
            if zone is not None and len(along):
                along = along[~shapely.contains(zone, along)]
            points.extend(along)
            street_m.extend([share] * len(along))
    frame = gpd.GeoDataFrame(
        {
            "residence_id": [f"sample-{i}" for i in range(len(points))],
            "population": np.ones(len(points)),
            "kind": "sample point",
            "street_m": street_m,
        },
        geometry=points,
        crs=utm,
    )
    return frame.to_crs("EPSG:4326")


def facilities_from_features(features: gpd.GeoDataFrame, catalog: Catalog) -> gpd.GeoDataFrame:
    """Facilities from OSM features, one row per (feature, category) match.

    Polygons become their representative point. A feature in several categories (a
    九年一贯制 school is primary and middle) appears once per category.

    Returns
    -------
    GeoDataFrame
        ``facility_id``, ``category``, ``name``, ``source`` (``osm``), geometry (EPSG:4326).
    """
    return classified_facilities(features, catalog)[0]


@paused_gc()
def classified_facilities(
    features: gpd.GeoDataFrame, catalog: Catalog
) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """Facilities from OSM features, and how many each fallback rule took.

    Returns
    -------
    (GeoDataFrame, dict of str to int)
        The facilities as :func:`facilities_from_features` gives them, and per category with a
        fallback rule the number of features it took only through that rule — e.g.
        ``{"primary_school": 3}``: three schools counted as primary because nothing
        (``isced:level``, ``school=*``, ``grades``, name) told their level.
    """
    no_fallbacks = {c.key: 0 for c in catalog if c.fallback}
    if features.empty:
        return empty_facilities(), no_fallbacks
    # Only features carrying a key some rule needs can match (skips the many buildings).
    rule_keys = [k for k in catalog.tag_keys if k in features.columns]
    if not rule_keys:
        return empty_facilities(), no_fallbacks
    features = features[_may_match(features, rule_keys, catalog)]
    tag_columns = [c for c in features.columns if c != "geometry"]
    records = [
        {k: v for k, v in tags.items() if isinstance(v, str)}
        for tags in features[tag_columns].to_dict("records")
    ]
    classification = catalog.classify_features(records)
    points = features.geometry.representative_point().values
    rows: list[dict[str, Any]] = []
    for (element, osm_id), present, match, point in zip(
        features.index, records, classification.matches, points, strict=True
    ):
        for key in match.keys:
            rows.append(
                {
                    "facility_id": f"osm-{element}-{osm_id}-{key}",
                    "category": key,
                    "name": present.get("name", ""),
                    "source": "osm",
                    "geometry": point,
                }
            )
    if not rows:
        return empty_facilities(), classification.fell_back
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326"), classification.fell_back


def _may_match(features: pd.DataFrame, keys: Sequence[str], catalog: Catalog) -> np.ndarray:
    """Per feature, whether one of its ``keys`` tags may match a rule (each distinct value
    asked once): the others match nothing, and a city's plain buildings are most of them."""
    keep = np.zeros(len(features), dtype=bool)
    for key in keys:
        codes, uniques = pd.factorize(features[key])
        filed = np.array(
            [isinstance(v, str) and catalog.may_match(key, v) for v in uniques], dtype=bool
        )
        if filed.any():
            keep |= (codes >= 0) & filed[np.maximum(codes, 0)]
    return keep


def empty_facilities() -> gpd.GeoDataFrame:
    """An empty facilities table with the contract's columns."""
    return gpd.GeoDataFrame(
        {"facility_id": [], "category": [], "name": [], "source": []},
        geometry=gpd.GeoSeries([], crs="EPSG:4326"),
        crs="EPSG:4326",
    )


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame:
        return frame[name]
    return pd.Series(np.full(len(frame), None, dtype=object), index=frame.index)


def _levels(raw_levels: pd.Series, building: np.ndarray) -> np.ndarray:
    """Floors per building: its ``building:levels`` where usable, else by building type."""
    raw = pd.to_numeric(raw_levels, errors="coerce").to_numpy()
    codes, kinds = pd.factorize(building, use_na_sentinel=False)  # a few types, asked once
    default = np.array([_DEFAULT_LEVELS.get(str(b), 3) for b in kinds], dtype=float)[codes]
    levels = np.where(np.isfinite(raw) & (raw > 0) & (raw < 100), raw, default)
    return levels


# --- user files ---------------------------------------------------------------------------
