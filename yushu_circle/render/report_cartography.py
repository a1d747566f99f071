"""The report maps' frame and furniture: projection, streets, labels, scale bar, north, legend.

Every map is drawn in the study's UTM zone (metres), so the scale bar is true and the north
arrow points to true north (the grid's convergence is measured, not assumed). The streets
come from the plan's ``streets.parquet``; where a study has very many, they are drawn as one
raster layer under the vector words. Words stay text in the SVG (a white box behind them,
not a stroked halo, which would turn them into outlines), so the PDF can be searched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from yushu_circle.render import fonts
from yushu_circle.render.fonts import legible
from yushu_circle.results import PlanResults

MAP_SIZE = (7.0, 4.45)
"""Inches of one map: two fit an A4 page with their captions."""
RASTER_STREETS = 20_000
"""Past this many street lines the street layer is drawn as an image (PDF size, speed)."""
MAX_NAMED_AREAS = 40
"""Communities are named on the maps up to this many (more would cover the map)."""
_AXES = (0.01, 0.07, 0.74, 0.80)
_SCALE_STEPS = (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 50_000)
_MAJOR = {"motorway", "trunk", "primary", "secondary", "tertiary"}
_MINOR = {"residential", "unclassified", "living_street", "road"}


@dataclass(frozen=True)
class Label:
    """A word on a map: its text and how it is set."""

    text: str
    size: float = 6.5
    colour: str = "#111111"
    offset: tuple[float, float] = (0.0, 0.0)
    rotation: float = 0.0


@dataclass(frozen=True)
class MapFrame:
    """What every map of one report shares, projected to the study's UTM zone.

    Attributes
    ----------
    crs : pyproj.CRS
    areas : GeoDataFrame
        The communities (or the study area when there are none), projected.
    streets, water : GeoDataFrame or None
    extent : (float, float, float, float)
        ``xmin, xmax, ymin, ymax`` in metres, shaped like the map's axes.
    north_deg : float
        True north's angle from the grid's up, degrees clockwise.
    walker : str
        The walker the plan's minutes are for, named on every map they change.
    synthetic : bool
    """

    crs: Any
    areas: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame | None
    water: gpd.GeoDataFrame | None
    extent: tuple[float, float, float, float]
    north_deg: float
    walker: str
    synthetic: bool

    def project(self, frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
        """``frame`` in the maps' CRS (None stays None)."""
        return None if frame is None else frame.to_crs(self.crs)


def map_frame(plan: PlanResults, walker: str) -> MapFrame:
    """The maps' common frame: projection, communities, streets, extent and north.

    Parameters
    ----------
    plan : PlanResults
    walker : str
        How the maps name the walker (``步行者 老年人 · elderly · 坡度 slope, 3.24 km/h``).
    """
    areas = plan.areas[plan.areas["area_kind"] != "study"]
    if areas.empty:
        areas = plan.areas
    crs = areas.estimate_utm_crs()
    projected = areas.to_crs(crs)
    streets = water = None
    if plan.streets is not None and len(plan.streets):
        lines = plan.streets.to_crs(crs)
        streets = lines[lines["kind"] == "street"]
        water = lines[lines["kind"] == "water"]
    # The study's own area (its row and its communities), not the streets' reach margin.
    bounds = np.array(plan.areas.to_crs(crs).total_bounds, dtype=float)
    centre = shapely.box(*plan.areas.total_bounds).centroid
    up = gpd.GeoSeries([centre, shapely.Point(centre.x, centre.y + 0.01)], crs="EPSG:4326").to_crs(
        crs
    )
    north = math.degrees(math.atan2(up.iloc[1].x - up.iloc[0].x, up.iloc[1].y - up.iloc[0].y))
    return MapFrame(
        crs=crs,
        areas=projected,
        streets=streets,
        water=water,
        extent=_fit(bounds),
        north_deg=north,
        walker=walker,
        synthetic=bool(plan.summary.get("synthetic")),
    )


def area_label(name: str) -> str:
    """A community's name as the maps print it: the Chinese name alone where there is one."""
    text = str(name)
    head = text.split(" ")[0]
    if fonts.cjk_font() is not None and head and any("\u4e00" <= c <= "\u9fff" for c in head):
        return head
    return legible(text if len(text) <= 28 else text[:27] + "…")


# --- drawing helpers -----------------------------------------------------------------------


def _fit(bounds: np.ndarray) -> tuple[float, float, float, float]:
    """Bounds grown by a margin and to the axes' shape (so the map fills them, undistorted)."""
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    width, height = max(xmax - xmin, 1.0), max(ymax - ymin, 1.0)
    xmin, xmax = xmin - 0.04 * width, xmax + 0.04 * width
    ymin, ymax = ymin - 0.06 * height, ymax + 0.06 * height
    shape = (_AXES[3] * MAP_SIZE[1]) / (_AXES[2] * MAP_SIZE[0])
    width, height = xmax - xmin, ymax - ymin
    if height / width < shape:
        grow = (width * shape - height) / 2
        ymin, ymax = ymin - grow, ymax + grow
    else:
        grow = (height / shape - width) / 2
        xmin, xmax = xmin - grow, xmax + grow
    return xmin, xmax, ymin, ymax


def map_axes(made: Any, frame: MapFrame, title: str) -> Any:
    """The map's axes in the frame's extent, under its title and the walker's name."""
    heading = made.text(0.01, 0.975, legible(title), fontsize=10, va="top")
    # A long item name would run off the figure: the title shrinks to fit its width.
    width = heading.get_window_extent(made.canvas.get_renderer()).width
    room = 0.98 * made.get_figwidth() * made.dpi
    if width > room:
        heading.set_fontsize(max(6.5, 10 * room / width))
    made.text(0.01, 0.915, legible(frame.walker), fontsize=7, color="#444", va="top")
    axes = made.add_axes(_AXES)
    axes.set_xlim(frame.extent[0], frame.extent[1])
    axes.set_ylim(frame.extent[2], frame.extent[3])
    axes.set_aspect("equal")
    axes.set_xticks([])
    axes.set_yticks([])
    for spine in axes.spines.values():
        spine.set_edgecolor("#888")
        spine.set_linewidth(0.6)
    return axes


def draw_basemap(axes: Any, frame: MapFrame) -> None:
    from matplotlib.collections import LineCollection

    if frame.water is not None and len(frame.water):
        polygons = frame.water[frame.water.geom_type.isin(["Polygon", "MultiPolygon"])]
        lines = frame.water[~frame.water.index.isin(polygons.index)]
        if len(polygons):
            polygons.plot(ax=axes, color="#cfe3f3", edgecolor="none", zorder=1.5)
        if len(lines):
            lines.plot(ax=axes, color="#9cc3e6", linewidth=0.8, zorder=1.5)
    streets = frame.streets
    if streets is None or streets.empty:
        return
    raster = len(streets) > RASTER_STREETS
    kinds = streets["highway"].astype(str)
    for chosen, width, colour in (
        (~kinds.isin(_MAJOR | _MINOR), 0.3, "#9a9a9a"),
        (kinds.isin(_MINOR), 0.55, "#707070"),
        (kinds.isin(_MAJOR), 1.2, "#505050"),
    ):
        segments = _segments(streets.geometry[chosen.to_numpy()].to_numpy())
        if segments:
            axes.add_collection(
                LineCollection(
                    segments, colors=colour, linewidths=width, zorder=2, rasterized=raster
                )
            )


def _segments(lines: np.ndarray) -> list[np.ndarray]:
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    if not len(coords):
        return []
    cuts = np.flatnonzero(np.diff(owner)) + 1
    return [part for part in np.split(coords, cuts) if len(part) > 1]


def draw_outlines(axes: Any, frame: MapFrame) -> None:
    frame.areas.boundary.plot(ax=axes, color="#333333", linewidth=0.9, zorder=3.5)


def label_areas(axes: Any, frame: MapFrame, extra: list[str] | None = None) -> None:
    if len(frame.areas) > MAX_NAMED_AREAS:
        return
    for position, row in enumerate(frame.areas.itertuples()):
        point = row.geometry.representative_point()
        text = area_label(str(row.area))
        if extra is not None and extra[position]:
            text += f"\n{extra[position]}"
        put_label(axes, point.x, point.y, Label(text))


def draw_clusters(axes: Any, shapes: gpd.GeoDataFrame) -> None:
    shapes.boundary.plot(ax=axes, color="#67000d", linewidth=0.8, linestyle="--", zorder=4)


def cluster_handle(label: str = "未覆盖居民聚类\nclusters of unserved residents") -> Any:
    from matplotlib.lines import Line2D

    return Line2D([], [], color="#67000d", lw=0.8, linestyle="--", label=legible(label))


def _street_labels(axes: Any, frame: MapFrame, count: int = 6) -> None:
    """The longest named streets, named along their longest stretch (for orientation)."""
    streets = frame.streets
    if streets is None or "name" not in streets:
        return
    named = streets[streets["name"].astype(str) != ""]
    if named.empty:
        return
    totals = named.geometry.length.groupby(named["name"].astype(str)).sum()
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:count]
    xmin, xmax, ymin, ymax = frame.extent
    for name, _ in ranked:
        merged = shapely.line_merge(shapely.union_all(named.geometry[named["name"] == name]))
        parts = shapely.get_parts(merged)
        line = max(parts, key=lambda part: (part.length, part.wkb))
        if line.length <= 0:
            continue
        a, b = line.interpolate(0.45, normalized=True), line.interpolate(0.55, normalized=True)
        middle = line.interpolate(0.5, normalized=True)
        if not (xmin < middle.x < xmax and ymin < middle.y < ymax):
            continue
        angle = math.degrees(math.atan2(b.y - a.y, b.x - a.x))
        angle = angle - 180 if angle > 90 else angle + 180 if angle <= -90 else angle
        put_label(axes, middle.x, middle.y, Label(area_label(name), 5.3, "#555555", rotation=angle))


def put_label(axes: Any, x: float, y: float, label: Label) -> None:
    """A word on the map at ``x``, ``y`` (metres), on a white box so it stays legible."""
    centred = label.offset == (0.0, 0.0)
    axes.annotate(
        legible(label.text),
        (x, y),
        xytext=label.offset,
        textcoords="offset points",
        ha="center" if centred else "left",
        va="center" if centred else "bottom",
        fontsize=label.size,
        color=label.colour,
        rotation=label.rotation,
        rotation_mode="anchor",
        zorder=8,
        bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.72},
    )


def draw_points(
    axes: Any,
    frame: MapFrame,
    points: gpd.GeoDataFrame,
    style: tuple[str, float, str],
    on_top: bool = False,
) -> gpd.GeoDataFrame:
    """Points as white-edged markers (``style``: marker, size, colour) over the map's areas,
    ``on_top`` of the facilities too (a proposed site); returns them as projected."""
    marker, size, color = style
    shown = frame.project(points)
    assert shown is not None
    axes.scatter(
        shown.geometry.x,
        shown.geometry.y,
        marker=marker,
        s=size,
        color=color,
        edgecolor="white",
        linewidth=0.6 if on_top else 0.5,
        zorder=7 if on_top else 6,
    )
    return shown


def draw_facilities(axes: Any, frame: MapFrame, points: gpd.GeoDataFrame, label: str) -> Any:
    draw_points(axes, frame, points, ("D", 22, "#1f4e9c"))
    return marker_handle("D", "#1f4e9c", label, 5)


def base_handles(frame: MapFrame) -> list[Any]:
    from matplotlib.lines import Line2D

    handles = [_patch("none", "#333333", "社区边界 community boundary")]
    if frame.streets is not None and len(frame.streets):
        handles.append(Line2D([], [], color="#606060", lw=0.9, label=legible("街道 streets")))
    return handles


def _patch(face: str, edge: str, label: str, hatch: str | None = None) -> Any:
    from matplotlib.patches import Patch

    return Patch(facecolor=face, edgecolor=edge, hatch=hatch, label=legible(label))


def marker_handle(marker: str, colour: str, label: str, size: float) -> Any:
    from matplotlib.lines import Line2D

    return Line2D([], [], marker=marker, color=colour, lw=0, markersize=size, label=legible(label))


def finish_map(made: Any, axes: Any, frame: MapFrame, handles: list[Any]) -> None:
    _street_labels(axes, frame)
    axes.set_xlabel("")
    axes.set_ylabel("")
    _scale_bar(axes, frame)
    _north_arrow(axes, frame)
    made.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.765, 0.87),
        fontsize=6.2,
        frameon=False,
        handlelength=1.6,
        borderaxespad=0,
    )
    if frame.synthetic:
        made.text(
            0.01,
            0.015,
            legible("合成示例数据 SYNTHETIC demo data — not survey data"),
            fontsize=6.5,
            color="#b00000",
        )
    made.text(
        0.99,
        0.015,
        legible(f"坐标 UTM {frame.crs.utm_zone or ''} (m) · © OpenStreetMap contributors"),
        fontsize=5.5,
        color="#666",
        ha="right",
    )


def _scale_bar(axes: Any, frame: MapFrame) -> None:
    from matplotlib.patches import Rectangle

    xmin, xmax, ymin, ymax = frame.extent
    width = xmax - xmin
    length = max((s for s in _SCALE_STEPS if s <= 0.22 * width), default=_SCALE_STEPS[0])
    x0, y0 = xmin + 0.04 * width, ymin + 0.05 * (ymax - ymin)
    tall = 0.012 * (ymax - ymin)
    for i, colour in enumerate(("#222222", "white")):
        axes.add_patch(
            Rectangle(
                (x0 + i * length / 2, y0),
                length / 2,
                tall,
                facecolor=colour,
                edgecolor="#222222",
                linewidth=0.6,
                zorder=9,
            )
        )
    unit = (lambda m: f"{m / 1000:g} km") if length >= 1000 else (lambda m: f"{m:g} m")
    for at, text in (
        (0, "0"),
        (length / 2, f"{length / 2:g}" if length < 1000 else ""),
        (length, unit(length)),
    ):
        if text:
            axes.text(x0 + at, y0 + 1.8 * tall, text, ha="center", fontsize=6, zorder=9)
    axes.text(x0, y0 - 0.6 * tall, legible("比例尺 scale"), fontsize=5.5, va="top", zorder=9)


def _north_arrow(axes: Any, frame: MapFrame) -> None:
    angle = math.radians(frame.north_deg)
    dx, dy = 0.045 * math.sin(angle), 0.1 * math.cos(angle)
    base = (0.95 - dx / 2, 0.80)
    axes.annotate(
        "",
        xy=(base[0] + dx, base[1] + dy),
        xytext=base,
        xycoords="axes fraction",
        arrowprops={"arrowstyle": "-|>", "color": "#222222", "lw": 1.4, "mutation_scale": 12},
        zorder=9,
    )
    axes.text(
        base[0] + dx,
        base[1] + dy + 0.015,
        legible("北 N"),
        transform=axes.transAxes,
        ha="center",
        va="bottom",
        fontsize=7,
        zorder=9,
    )
