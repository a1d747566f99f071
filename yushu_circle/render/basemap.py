"""The offline basemap drawn: the study's water and building footprints as ground overlays."""

from __future__ import annotations

import geopandas as gpd

from yushu_circle.render.overlays import Overlay

BASEMAP_COLORS = {"building": "#d3d0ca", "water": "#a9cfee"}
"""Fixed colours of the basemap overlays: light grey buildings, light blue water."""


def basemap_overlays(basemap: gpd.GeoDataFrame | None) -> list[Overlay]:
    """The basemap's water and buildings as ground overlays, shown by default.

    Parameters
    ----------
    basemap : GeoDataFrame or None
        ``StudyResults.basemap`` (:func:`yushu_circle.results.basemap.basemap_frame`).

    Returns
    -------
    list of Overlay
        Water (light blue) then buildings (light grey); a kind without features is left out.
    """
    if basemap is None or basemap.empty:
        return []
    kinds = basemap["kind"].astype(str)
    layers = [
        ("water", "水系", "Water", 0.8),
        ("building", "建筑", "Buildings", 0.9),
    ]
    return [
        Overlay(
            zh,
            en,
            basemap[(kinds == key).to_numpy()],
            color=BASEMAP_COLORS[key],
            ground=True,
            fill_opacity=opacity,
            weight=1.0 if key == "water" else 0.5,
        )
        for key, zh, en, opacity in layers
        if (kinds == key).any()
    ]
