"""Population from a raster (WorldPop, GHS-POP): each cell's people over its residences."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from yushu_circle.errors import DataError, InputError

KIND_RASTER_CELL = "raster cell without a mapped residence"


def distribute(
    residences: gpd.GeoDataFrame, raster: str | Path, area: Any
) -> tuple[gpd.GeoDataFrame, str]:
    """Give residences the people of a population raster, preserving its total.

    Every cell whose centre lies in ``area`` counts. Its people go to the residences
    inside it in proportion to their floor area (``floor_m2``; equal shares where it is
    unknown, e.g. sample points); a cell with people and no residence gets a sample point at
    its centre carrying them. Residences in no counted cell get population 0. So the
    residences' total equals the raster's sum over the area.

    Parameters
    ----------
    residences : GeoDataFrame
        ``residence_id``, ``kind``, optional ``floor_m2``, point geometry (EPSG:4326).
    raster : str or Path
        A single-band GeoTIFF of people per cell, in any CRS (nodata and negative values
        count as 0).
    area : shapely Polygon
        The study area (EPSG:4326).

    Returns
    -------
    (GeoDataFrame, str)
        The residences with ``population`` replaced (and cell points appended), and a
        sentence saying where the population comes from.

    Raises
    ------
    InputError
        When the raster cannot be read, has no CRS, or does not overlap the area.
    """
    import rasterio
    import rasterio.windows

    path = Path(raster)
    if not path.is_file():
        raise InputError(f"population raster {path} does not exist", "check the --population path")
    try:
        with rasterio.open(path) as source:
            if source.crs is None:
                raise InputError(
                    f"population raster {path} has no CRS",
                    "save it as a GeoTIFF with its coordinate system (WorldPop/GHS-POP have one)",
                )
            crs = pyproj.CRS.from_user_input(source.crs.to_wkt())
            to_raster = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
            local = shapely.transform(area, lambda c: np.column_stack(to_raster.transform(*c.T)))
            rough = rasterio.windows.from_bounds(*local.bounds, transform=source.transform)
            col0 = max(int(np.floor(rough.col_off)), 0)
            row0 = max(int(np.floor(rough.row_off)), 0)
            col1 = min(int(np.ceil(rough.col_off + rough.width)), source.width)
            row1 = min(int(np.ceil(rough.row_off + rough.height)), source.height)
            if col1 <= col0 or row1 <= row0:
                raise InputError(
                    f"population raster {path} does not cover the study area",
                    "pass a raster of this area (e.g. WorldPop's country file)",
                )
            window = rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0)
            values = source.read(1, window=window, masked=True).astype(float)
            transform = source.window_transform(window)
            offset = (int(window.row_off), int(window.col_off))
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            f"population raster {path} cannot be read ({type(exc).__name__}: {str(exc)[:120]})",
            "pass a single-band GeoTIFF of people per cell",
        ) from None
    people = np.where(np.ma.getmaskarray(values), 0.0, np.ma.getdata(values))
    people = np.where(np.isfinite(people) & (people > 0), people, 0.0)
    rows, cols = np.indices(people.shape)
    cx, cy = _apply(transform, cols.ravel() + 0.5, rows.ravel() + 0.5)
    counted = shapely.contains_xy(local, np.asarray(cx), np.asarray(cy)).reshape(people.shape)
    people = np.where(counted, people, 0.0)
    total = float(people.sum())
    if total <= 0:
        raise DataError(
            f"population raster {path} has no people in the study area",
            "check that the raster is of this area and holds people per cell",
        )
    residences = residences.reset_index(drop=True)
    rx, ry = to_raster.transform(residences.geometry.x.to_numpy(), residences.geometry.y.to_numpy())
    inverse = ~transform
    col_f, row_f = _apply(inverse, np.asarray(rx), np.asarray(ry))
    row = np.floor(np.asarray(row_f)).astype(np.int64)
    col = np.floor(np.asarray(col_f)).astype(np.int64)
    inside = (row >= 0) & (row < people.shape[0]) & (col >= 0) & (col < people.shape[1])
    cell = np.where(inside, row * people.shape[1] + col, -1)
    inside &= np.where(inside, counted.ravel()[np.maximum(cell, 0)], False)
    # Residences outside the study area are left out of the study: they take no people.
    inside &= shapely.contains_xy(
        area, residences.geometry.x.to_numpy(), residences.geometry.y.to_numpy()
    )
    cell = np.where(inside, cell, -1)
    floor = (
        residences["floor_m2"].to_numpy(dtype=float)
        if "floor_m2" in residences
        else np.full(len(residences), np.nan)
    )
    weight = np.where(np.isfinite(floor) & (floor > 0), floor, 1.0) * inside
    flat = people.ravel()
    cell_weight = np.bincount(cell[inside], weights=weight[inside], minlength=flat.size)
    share = np.zeros(len(residences))
    share[inside] = weight[inside] / cell_weight[cell[inside]]
    population = np.where(inside, share * flat[np.maximum(cell, 0)], 0.0)
    empty = np.flatnonzero((flat > 0) & (cell_weight == 0))
    from_lonlat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = from_lonlat.transform(np.asarray(cx)[empty], np.asarray(cy)[empty])
    r0, c0 = offset
    extra = gpd.GeoDataFrame(
        {
            "residence_id": [
                f"cell-{r0 + k // people.shape[1]}-{c0 + k % people.shape[1]}" for k in empty
            ],
            "population": flat[empty],
            "kind": KIND_RASTER_CELL,
            "floor_m2": np.nan,
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )
    result = residences.assign(population=population)
    result = gpd.GeoDataFrame(
        _concat(result, extra), geometry="geometry", crs="EPSG:4326"
    ).reset_index(drop=True)
    outside = int((~inside).sum())
    basis = (
        f"population {total:,.0f} from raster {path.name} ({int((flat > 0).sum()):,} cells with "
        f"people), spread over residences by floor area; {len(empty):,} cells with people but "
        "no residence got a sample point"
    )
    if outside:
        basis += f"; {outside:,} residence(s) in no counted cell got population 0"
    return result, basis


def _concat(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> Any:
    import pandas as pd

    if b.empty:
        return a
    return pd.concat([a, b], ignore_index=True)


def _apply(t: Any, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An affine transform applied to arrays (column, row → x, y or back)."""
    return t.a * x + t.b * y + t.c, t.d * x + t.e * y + t.f
