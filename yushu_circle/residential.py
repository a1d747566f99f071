"""Which OSM buildings are homes: the residential building types and the ``building=yes`` rules."""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

RESIDENTIAL_BUILDINGS = {
    "apartments",
    "residential",
    "house",
    "detached",
    "semidetached_house",
    "terrace",
    "dormitory",
    "bungalow",
    "farm",
    "cabin",
    "hut",
    "ger",
    "static_caravan",
    "houseboat",
}

YesBuildings = Literal["not_non_residential", "residential_landuse"]
"""Where untagged ``building=yes`` counts as a residence (see :func:`residences_from_features`)."""
YES_BUILDING_RULES: tuple[YesBuildings, ...] = ("not_non_residential", "residential_landuse")
DEFAULT_YES_BUILDINGS: YesBuildings = "not_non_residential"
KIND_TYPED = "residential building type"
KIND_YES_IN_RESIDENTIAL = "building=yes in landuse=residential"
KIND_YES_ELSEWHERE = "building=yes, no non-residential use"
NON_RESIDENTIAL_KEYS = (
    "amenity",
    "shop",
    "office",
    "craft",
    "industrial",
    "religion",
    "healthcare",
    "tourism",
    "leisure",
    "sport",
    "man_made",
    "power",
    "military",
    "public_transport",
    "railway",
    "aeroway",
    "emergency",
)
"""A ``building=yes`` with any of these tags is a known non-residential use."""
NON_RESIDENTIAL_LANDUSE = frozenset(
    {
        "industrial",
        "commercial",
        "retail",
        "religious",
        "military",
        "railway",
        "education",
        "institutional",
        "garages",
        "construction",
        "brownfield",
        "cemetery",
        "port",
        "depot",
        "landfill",
        "quarry",
        "farmyard",
    }
)
"""``landuse=*`` areas whose ``building=yes`` are not counted as homes by rule 3."""


def _tag(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame:
        return frame[name]
    return pd.Series(np.full(len(frame), None, dtype=object), index=frame.index)


def non_residential(
    features: gpd.GeoDataFrame, points: np.ndarray, candidates: np.ndarray
) -> np.ndarray:
    """Which candidate buildings are a known non-residential use (own tags or their grounds)."""
    result = np.zeros(len(features), dtype=bool)
    own = np.zeros(len(features), dtype=bool)
    for key in NON_RESIDENTIAL_KEYS:
        if key in features:
            own |= features[key].notna().to_numpy()
    result |= candidates & own
    polygonal = features.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    landuse = _tag(features, "landuse").isin(NON_RESIDENTIAL_LANDUSE).to_numpy()
    grounds = own & _tag(features, "building").isna().to_numpy()
    areas = features.geometry.values[polygonal & (landuse | grounds)]
    rest = candidates & ~result
    if len(areas) and rest.any():
        zone = shapely.union_all(areas)
        result[rest] = shapely.contains(zone, points[rest])
    return result


def representative_points(shapes: np.ndarray) -> np.ndarray:
    """Each shape's representative point; a point is its own (no copy made of it)."""
    points = shapes.copy()
    other = shapely.get_type_id(shapes) != 0
    points[other] = shapely.point_on_surface(shapes[other])
    return points


def surface_areas(shapes: gpd.GeoSeries, crs: object) -> np.ndarray:
    """Areas in ``crs`` (m²); only surfaces are reprojected: points and lines have none."""
    areas = np.zeros(len(shapes))
    surface = np.isin(shapely.get_type_id(shapes.to_numpy()), (3, 6, 7))
    areas[surface] = shapes[surface].to_crs(crs).area.to_numpy()
    return areas
