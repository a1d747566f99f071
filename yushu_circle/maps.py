"""Folium coverage maps for planners."""

from __future__ import annotations

import html
from typing import Any

import folium
import geopandas as gpd
import pandas as pd


def coverage_map(
    residences: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    summary: pd.DataFrame,
    meta: dict[str, Any],
    edges: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """A basic coverage map: residences coloured by score, facilities by category.

    Parameters
    ----------
    residences : GeoDataFrame
        Output of ``Study.access()``.
    facilities : GeoDataFrame
        ``Study.facilities``.
    summary : DataFrame
        ``Study.summary()``.
    meta : dict
        ``Study.metadata()``.
    edges : GeoDataFrame, optional
        Walk network edges (EPSG:4326).
    """
    center = residences.geometry.union_all().centroid
    fmap = folium.Map(location=[center.y, center.x], zoom_start=15, tiles=None)
    if meta.get("synthetic"):
        banner = html.escape(meta.get("synthetic_note", "synthetic demo data"))
        fmap.get_root().html.add_child(folium.Element(f"<div class='banner'>{banner}</div>"))
    if edges is not None:
        folium.GeoJson(edges[["geometry"]], name="streets 街道").add_to(fmap)
    colors = {c["key"]: c["color"] for c in meta.get("catalog", [])}
    for row in facilities.itertuples():
        folium.CircleMarker(
            [row.geometry.y, row.geometry.x],
            radius=5,
            color=colors.get(row.category, "#333"),
            popup=folium.Popup(html.escape(f"{row.name} ({row.category})")),
        ).add_to(fmap)
    for row in residences.itertuples():
        folium.CircleMarker(
            [row.geometry.y, row.geometry.x], radius=2, fill=True, opacity=row.score
        ).add_to(fmap)
    return fmap
