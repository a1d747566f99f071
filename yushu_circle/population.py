"""Population from a raster (WorldPop, GHS-POP) or a known total, and the age groups of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from yushu_circle.errors import DataError, InputError
from yushu_circle.options import AgeShares, Serves

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
    if b.empty:
        return a
    return pd.concat([a, b], ignore_index=True)


def _apply(t: Any, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An affine transform applied to arrays (column, row → x, y or back)."""
    return t.a * x + t.b * y + t.c, t.d * x + t.e * y + t.f


# --- a known total (a census figure) and age groups (一老一小) ------------------------------


def spread_total(
    residences: gpd.GeoDataFrame, total: float, area: Any = None
) -> tuple[gpd.GeoDataFrame, str]:
    """Spread a known population total (e.g. the census's) over the residences.

    Each residence inside ``area`` (all, when None) gets ``total × weight / Σ weight``; the
    others get 0 (they are left out of the study). The weight, named in the returned
    sentence and in the ``population_method`` column, is the first that every counted
    residence has:

    - its floor area (``floor_m2``: OSM buildings);
    - the residential street length it stands for (``street_m``: sample points along
      residential streets, :func:`yushu_circle.places.residences_from_features`);
    - the population column of the user's residences file;
    - else equal shares.

    Parameters
    ----------
    residences : GeoDataFrame
        ``residence_id``, ``population``, point geometry (EPSG:4326); optional ``kind``,
        ``floor_m2``, ``street_m``.
    total : float
        People to spread (> 0).
    area : shapely Polygon or MultiPolygon, optional
        The study area (EPSG:4326).

    Returns
    -------
    (GeoDataFrame, str)
        The residences with ``population`` replaced and ``population_method`` added, and a
        sentence (中文 / English) saying how.
    """
    residences = residences.reset_index(drop=True)
    if area is None:
        inside = np.ones(len(residences), dtype=bool)
    else:
        inside = shapely.contains_xy(
            area, residences.geometry.x.to_numpy(), residences.geometry.y.to_numpy()
        )
    weights, method_en, method_zh = _spread_weights(residences[inside])
    population = np.zeros(len(residences))
    if inside.any():
        population[inside] = float(total) * weights / weights.sum()
    method = (
        f"known total {total:,.0f} spread by {method_en} "
        f"(已知总人口 {total:,.0f} 按{method_zh}分配)"
    )
    frame = residences.assign(population=population, population_method=method)
    sentence = f"population: {method} over {int(inside.sum()):,} residences"
    return frame, sentence


def _spread_weights(residences: pd.DataFrame) -> tuple[np.ndarray, str, str]:
    """Weights of a known total: floor area, street length, the file's population, or equal."""
    for column, en, zh in (
        ("floor_m2", "floor area", "建筑面积"),
        ("street_m", "residential street length", "居住街道长度"),
    ):
        if column in residences:
            values = residences[column].to_numpy(dtype=float)
            if len(values) and np.all(np.isfinite(values) & (values > 0)):
                return values, en, zh
    if "kind" not in residences and "population" in residences:  # the user's own file
        values = residences["population"].to_numpy(dtype=float)
        if len(values) and values.sum() > 0:
            return values, "the residences file's population", "居住点文件人口比例"
    return np.ones(len(residences)), "equal shares", "平均"


def age_groups(residences: gpd.GeoDataFrame, shares: AgeShares) -> tuple[gpd.GeoDataFrame, str]:
    """Give every residence its children and elderly: its population × the groups' shares.

    Parameters
    ----------
    residences : GeoDataFrame
        With ``population``.
    shares : AgeShares
        E.g. the census's 0-14 and 65+ shares.

    Returns
    -------
    (GeoDataFrame, str)
        The residences with ``children`` and/or ``elderly`` columns (people), and a
        sentence naming the shares.
    """
    population = residences["population"].to_numpy(dtype=float)
    columns = {}
    for group in (Serves.CHILDREN, Serves.ELDERLY):
        share = shares.share(group)
        if share is not None:
            columns[str(group)] = population * share
    sentence = (
        f"age groups 一老一小: {shares.text} of each residence's population "
        "(children 儿童 and elderly 老年人 columns)"
    )
    return residences.assign(**columns), sentence
