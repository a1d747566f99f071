"""Study areas: bbox and polygon files validated, widened by the reach margin."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from yushu_circle.errors import InputError

CLIP_MARGIN_M = 1500.0
"""Streets and facilities are read this far beyond a clipped study area, so residents near
its edge still reach the services just outside it (15 minutes at 4 km/h is 1,000 m)."""
EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), for area estimates."""


def area_from(
    bbox: Sequence[float] | None, polygon: Polygon | MultiPolygon | None
) -> Polygon | MultiPolygon | None:
    """The study area of a bbox or polygon (polygon first), or None."""
    if polygon is not None:
        return polygon
    if bbox is not None:
        return bbox_polygon(bbox)
    return None


def with_margin(area: Polygon | MultiPolygon, metres: float) -> Polygon | MultiPolygon:
    """An EPSG:4326 area widened by at least ``metres`` in every direction."""
    latitude = abs(area.centroid.y)
    degrees = metres / (111_320.0 * max(math.cos(math.radians(latitude)), 0.05))
    widened = area.buffer(degrees, quad_segs=4)
    assert isinstance(widened, Polygon | MultiPolygon)
    return widened


def bbox_area_km2(bounds: Sequence[float]) -> float:
    """Area on the sphere of a (west, south, east, north) box in degrees, km²."""
    west, south, east, north = (float(v) for v in bounds)
    south, north = max(south, -90.0), min(north, 90.0)
    width = math.radians(max(min(east, 180.0) - max(west, -180.0), 0.0))
    band = math.sin(math.radians(north)) - math.sin(math.radians(south))
    return EARTH_RADIUS_M**2 * width * max(band, 0.0) / 1e6


def bbox_polygon(bbox: Sequence[float]) -> Polygon:
    """Validate a (west, south, east, north) box in degrees and return it as a polygon.

    Raises
    ------
    InputError
        When the box has the wrong length, is outside lon/lat ranges or is empty.
    """
    values = list(bbox)
    if len(values) != 4:
        raise InputError(
            f"bbox {bbox!r} does not have 4 numbers", "write --bbox WEST,SOUTH,EAST,NORTH"
        )
    west, south, east, north = (float(v) for v in values)
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InputError(
            f"bbox {west},{south},{east},{north} is not a valid WEST,SOUTH,EAST,NORTH box",
            "use degrees with west < east and south < north, e.g. 96.99,32.99,97.03,33.02",
        )
    return box(west, south, east, north)


def read_polygons(path: str | Path, what: str, fix: str) -> Any:
    """Read the polygons of a GeoJSON, GeoPackage or Shapefile as an EPSG:4326 GeoDataFrame.

    Parameters
    ----------
    path : str or Path
        The file (a file without a CRS is taken as EPSG:4326).
    what : str
        What the file holds, for messages (``polygon file``, ``areas file``).
    fix : str
        What to do when it holds no polygon.

    Raises
    ------
    InputError
        When the file is missing, unreadable or holds no polygon.
    """
    import geopandas as gpd

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} {path} does not exist", "check the path")
    try:
        frame = gpd.read_file(path)
    except Exception as exc:
        raise InputError(
            f"{what} {path} cannot be read ({type(exc).__name__}: {exc})",
            "pass a GeoJSON, GeoPackage or Shapefile with polygons",
        ) from None
    frame = frame.set_crs("EPSG:4326") if frame.crs is None else frame.to_crs("EPSG:4326")
    frame = frame[frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if frame.empty:
        raise InputError(f"{what} {path} holds no polygon", fix)
    return frame


def read_polygon_file(path: str | Path) -> Polygon | MultiPolygon:
    """Read a study-area polygon (GeoJSON, GeoPackage, Shapefile) as one EPSG:4326 shape.

    Raises
    ------
    InputError
        When the file is missing, unreadable or holds no polygon.
    """
    frame = read_polygons(path, "polygon file", "draw the study area as a polygon")
    shape = shapely.union_all(frame.geometry.values)
    if not isinstance(shape, Polygon | MultiPolygon):
        raise InputError(f"polygon file {path} holds no polygon", "draw the area as a polygon")
    return shape
