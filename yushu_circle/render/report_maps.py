"""The report's maps: communities by share, the gaps, the proposed sites.

Each is drawn on the study's streets in its UTM zone with community names, a scale bar, a
north arrow, a legend with units and the walker whose minutes it shows
(:mod:`yushu_circle.render.report_cartography`), and kept as SVG and PNG.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from yushu_circle.render.fonts import legible
from yushu_circle.render.report_blocks import Figure, figure, pct, people
from yushu_circle.render.report_cartography import (
    MAP_SIZE,
    Label,
    MapFrame,
    base_handles,
    cluster_handle,
    draw_basemap,
    draw_clusters,
    draw_facilities,
    draw_outlines,
    draw_points,
    finish_map,
    label_areas,
    map_axes,
    marker_handle,
    put_label,
)

_SHARE_CMAP = "RdYlGn"
_LABELLED_CLUSTERS = 8
"""The most populous gap clusters labelled with their population."""


@dataclass(frozen=True)
class MapWords:
    """A map's words: title (in the figure), caption (under it), colour bar label (units)."""

    title: str
    caption: str
    legend: str = ""


@dataclass(frozen=True)
class Marks:
    """What a map marks over its communities (EPSG:4326 frames, or None).

    Attributes
    ----------
    facilities : GeoDataFrame, optional
        The category's facilities today (◆).
    facilities_label : str
    clusters : GeoDataFrame, optional
        The category's gap clusters: ``cluster``, ``population`` (outlined, dashed).
    """

    facilities: gpd.GeoDataFrame | None = None
    facilities_label: str = "现有设施 existing facilities"
    clusters: gpd.GeoDataFrame | None = None


def share_map(frame: MapFrame, column: str, words: MapWords, marks: Marks) -> Figure:
    """Communities coloured by a share (0–100 %), named and labelled with it.

    Parameters
    ----------
    frame : MapFrame
    column : str
        The ``areas`` column (``item_<label>``, ``mean_share`` …), shares 0–1.
    words : MapWords
    marks : Marks
    """

    def draw(made: Any) -> None:
        import matplotlib.pyplot as plt

        axes = map_axes(made, frame, words.title)
        values = pd.to_numeric(frame.areas[column], errors="coerce")
        _choropleth(axes, frame, values, _SHARE_CMAP, plt.Normalize(0, 1))
        handles = _marks(axes, frame, marks)
        label_areas(axes, frame, [pct(v, 0) for v in values])
        finish_map(made, axes, frame, handles)
        _colour_bar(made, _SHARE_CMAP, plt.Normalize(0, 100), words.legend)

    return figure(draw, words.caption, MAP_SIZE)


def gap_map(frame: MapFrame, unserved: dict[str, float], words: MapWords, marks: Marks) -> Figure:
    """Communities coloured and labelled by their people beyond the level; clusters outlined
    and the most populous labelled with their population.

    Parameters
    ----------
    frame : MapFrame
    unserved : dict of str to float
        Per community name, its population beyond the item's level.
    words : MapWords
    marks : Marks
    """

    def draw(made: Any) -> None:
        import matplotlib.pyplot as plt

        axes = map_axes(made, frame, words.title)
        values = frame.areas["area"].astype(str).map(unserved).astype(float)
        top = float(np.nanmax(values)) if values.notna().any() else 0.0
        norm = plt.Normalize(0, max(top, 1.0))
        _choropleth(axes, frame, values, "Reds", norm)
        handles = _marks(axes, frame, marks)
        shapes = frame.project(marks.clusters)
        if shapes is not None and len(shapes):
            order = shapes.sort_values(["population", "cluster"], ascending=[False, True])
            for row in order.head(_LABELLED_CLUSTERS).itertuples():
                point = row.geometry.representative_point()
                text = f"聚类 cluster {row.cluster}: {people(row.population)}"
                put_label(axes, point.x, point.y, Label(text, 6, "#67000d", (4, -12)))
        finite = values.to_numpy(dtype=float)
        label_areas(axes, frame, [f"{people(v)} 人" if np.isfinite(v) else "" for v in finite])
        finish_map(made, axes, frame, handles)
        _colour_bar(made, "Reds", norm, "未覆盖人口（人）\nunserved population (persons)")

    return figure(draw, words.caption, MAP_SIZE)


def sites_map(frame: MapFrame, sites: gpd.GeoDataFrame, words: MapWords, marks: Marks) -> Figure:
    """The proposed sites, ranked and labelled with the population each newly covers.

    Parameters
    ----------
    frame : MapFrame
    sites : GeoDataFrame
        ``rank``, ``added_population``, points (EPSG:4326).
    words : MapWords
    marks : Marks
        The category's facilities and today's gap clusters (shaded).
    """

    def draw(made: Any) -> None:
        axes = map_axes(made, frame, words.title)
        shapes = frame.project(marks.clusters)
        if shapes is not None and len(shapes):
            shapes.plot(ax=axes, color="#fcbba1", alpha=0.45, edgecolor="none", zorder=1)
        handles = _marks(axes, frame, marks, "今日未覆盖聚类\nunserved today")
        proposed = draw_points(axes, frame, sites, ("*", 140, "#6a3d9a"), on_top=True)
        for row in proposed.itertuples():
            text = f"#{row.rank} +{row.added_population:,.0f}"
            put_label(axes, row.geometry.x, row.geometry.y, Label(text, 7, "#3f007d", (6, 6)))
        handles.append(
            marker_handle("*", "#6a3d9a", "新选址（新增覆盖人口）\nproposed site (+people)", 9)
        )
        label_areas(axes, frame)
        finish_map(made, axes, frame, handles)

    return figure(draw, words.caption, MAP_SIZE)


def points_frame(table: pd.DataFrame | None, category: str) -> gpd.GeoDataFrame | None:
    """A category's facilities from ``supply_facilities.csv`` (``lon``/``lat``), or None."""
    if table is None or "lon" not in table or "category" not in table:
        return None
    rows = table[table["category"].astype(str) == category]
    if rows.empty:
        return None
    return gpd.GeoDataFrame(
        rows.reset_index(drop=True),
        geometry=gpd.points_from_xy(rows["lon"], rows["lat"]),
        crs="EPSG:4326",
    )


def _choropleth(axes: Any, frame: MapFrame, values: pd.Series, cmap: str, norm: Any) -> None:
    frame.areas.assign(_v=values.to_numpy()).plot(
        ax=axes,
        column="_v",
        cmap=cmap,
        norm=norm,
        alpha=0.6,
        edgecolor="none",
        zorder=1,
        missing_kwds={"color": "#f2f2f2"},
    )


def _marks(
    axes: Any, frame: MapFrame, marks: Marks, clusters_label: str | None = None
) -> list[Any]:
    """Streets, community boundaries, gap clusters and facilities; their legend entries."""
    draw_basemap(axes, frame)
    draw_outlines(axes, frame)
    handles = base_handles(frame)
    shapes = frame.project(marks.clusters)
    if shapes is not None and len(shapes):
        draw_clusters(axes, shapes)
        handles.append(cluster_handle(clusters_label) if clusters_label else cluster_handle())
    if marks.facilities is not None and len(marks.facilities):
        handles.append(draw_facilities(axes, frame, marks.facilities, marks.facilities_label))
    return handles


def _colour_bar(made: Any, cmap: str, norm: Any, label: str) -> None:
    import matplotlib.pyplot as plt

    bar = made.add_axes((0.80, 0.12, 0.022, 0.36))
    scale = plt.cm.ScalarMappable(cmap=cmap, norm=norm)
    colorbar = made.colorbar(scale, cax=bar, alpha=0.6)  # as light as the communities
    colorbar.set_label(legible(label), fontsize=6.5)
    colorbar.ax.tick_params(labelsize=6.5)
