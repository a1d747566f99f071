"""Maps of a Study: its streets with walk minutes, and ``Study.explore``."""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from yushu_circle import access
from yushu_circle.render.basemap import basemap_frame, basemap_overlays
from yushu_circle.render.folium_map import folium_map


def street_minutes(study: Any) -> gpd.GeoDataFrame:
    """The study's walk-network edges with ``walk_min_<category>`` per edge (EPSG:4326)."""
    node_minutes = study.access_detail().node_minutes
    minutes = access.edge_minutes(study.network, study.facility_snaps, node_minutes)
    return pd.concat([study.network.edges_frame(), minutes], axis=1)


def explore(study: Any, category: str | None = None, **options: Any) -> folium.Map:
    """The study's planner map as a ``folium.Map``, for Jupyter (``Study.explore``).

    The same map as ``map.html`` (its basemap, streets, residences, facilities, controls),
    every asset inlined, so it shows inline and offline. Add your own folium layers to it.

    Parameters
    ----------
    study : Study
        The study.
    category : str, optional
        Category the map opens on (default: the score view).
    **options
        Passed to :func:`yushu_circle.render.folium_map.folium_map`: ``isochrones``
        (a GeoDataFrame, e.g. ``study.isochrones()``), ``overlays``, ``tianditu_key``,
        ``isochrone_budget_bytes``, ``height`` (default ``"600px"``).

    Returns
    -------
    folium.Map
    """
    basemap, notes = basemap_frame(study.features)
    meta = dict(study.metadata())
    meta["notes"] = [*meta.get("notes", []), *notes]
    extra = list(options.pop("overlays", ()))
    options.setdefault("height", "600px")
    return folium_map(
        study.access(),
        study.facilities,
        study.summary(),
        meta,
        edges=street_minutes(study),
        category=category,
        overlays=[*basemap_overlays(basemap), *extra],
        **options,
    )
