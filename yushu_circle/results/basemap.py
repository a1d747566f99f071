"""The offline basemap's data: water and building footprints from the study's own OSM features."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

MAX_BASEMAP_BUILDINGS = 30_000
"""Building footprints kept in ``basemap.parquet`` at most; past it buildings are left out."""
_SIMPLIFY_DEG = 0.000005  # ≈ 0.5 m


def basemap_frame(
    features: gpd.GeoDataFrame, max_buildings: int = MAX_BASEMAP_BUILDINGS
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Water and building footprints of the study's OSM features, for ``basemap.parquet``.

    Water is ``natural=water`` and any ``waterway=*``; buildings are polygons tagged
    ``building``. Geometry is simplified by about half a metre.

    Parameters
    ----------
    features : GeoDataFrame
        ``Study.features`` (EPSG:4326).
    max_buildings : int
        More buildings than this and all are left out (a note says so), keeping big
        cities' maps within their size budget.

    Returns
    -------
    (GeoDataFrame, list of str)
        ``kind`` (``water`` or ``building``) and geometry, EPSG:4326; and bilingual notes.
    """
    empty = gpd.GeoDataFrame({"kind": []}, geometry=[], crs="EPSG:4326")
    if features.empty:
        return empty, []
    frame = features.to_crs("EPSG:4326") if features.crs else features

    def column(key: str) -> pd.Series:
        return frame[key] if key in frame else pd.Series(None, index=frame.index, dtype=object)

    kind = frame.geometry.geom_type.to_numpy()
    polygonal = np.isin(kind, ["Polygon", "MultiPolygon"])
    linear = np.isin(kind, ["LineString", "MultiLineString"])
    water = ((column("natural") == "water").to_numpy() & polygonal) | (
        column("waterway").notna().to_numpy() & (polygonal | linear)
    )
    building = column("building").notna().to_numpy() & polygonal & ~water
    notes = []
    if building.sum() > max_buildings:
        notes.append(
            f"底图未绘建筑：{int(building.sum()):,} 栋超过上限 {max_buildings:,} · basemap "
            f"buildings left out: {int(building.sum()):,} exceed the cap of {max_buildings:,}"
        )
        building[:] = False
    keep = water | building
    shapes = shapely.simplify(frame.geometry.to_numpy()[keep], _SIMPLIFY_DEG)
    result = gpd.GeoDataFrame(
        {"kind": np.where(water[keep], "water", "building")}, geometry=shapes, crs="EPSG:4326"
    )
    return result[~result.geometry.is_empty].reset_index(drop=True), notes


def streets_frame(
    edges: gpd.GeoDataFrame, names: np.ndarray | None, basemap: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """The streets and water under the report's maps (a plan's ``streets.parquet``).

    Parameters
    ----------
    edges : GeoDataFrame
        The walk network's edges (``WalkNetwork.edges_frame()``, EPSG:4326, ``highway``).
    names : ndarray of str, optional
        Each edge's street name (``WalkNetwork.edge_name``; empty where unnamed).
    basemap : GeoDataFrame
        :func:`basemap_frame`'s water and buildings; its water is kept.

    Returns
    -------
    GeoDataFrame
        ``kind`` (``street`` or ``water``), ``highway``, ``name``, geometry simplified by
        about half a metre (EPSG:4326).
    """
    frame = edges.to_crs("EPSG:4326") if edges.crs else edges
    streets = pd.DataFrame(
        {
            "kind": "street",
            "highway": frame["highway"].astype(str).to_numpy(),
            "name": (
                np.full(len(frame), "", dtype=object)
                if names is None
                else pd.Series(names, dtype=object).fillna("").astype(str).to_numpy()
            ),
        }
    )
    water = basemap[basemap["kind"] == "water"]
    table = pd.concat(
        [streets, pd.DataFrame({"kind": "water", "highway": "", "name": [""] * len(water)})],
        ignore_index=True,
    )
    shapes = np.concatenate(
        [
            shapely.simplify(frame.geometry.to_numpy(), _SIMPLIFY_DEG),
            water.geometry.to_numpy(),
        ]
    )
    return gpd.GeoDataFrame(table, geometry=shapes, crs="EPSG:4326")
