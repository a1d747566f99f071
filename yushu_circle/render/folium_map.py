"""The folium map builder: layers, layer control and the planner's controls on an offline map."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote

import folium
import numpy as np
from branca.element import Figure

from yushu_circle.errors import DataError
from yushu_circle.render.elements import (
    CategorySwitcher,
    CoverageTable,
    Legend,
    LiveEngine,
    MapReady,
    OfflineMap,
    OpeningView,
    PlannerLayers,
    SyntheticBanner,
)
from yushu_circle.render.payload import MapPayload, build_payload
from yushu_circle.render.view import MapView
from yushu_circle.results import StudyResults

MAP_TITLE = "15分钟生活圈 · 15-minute living circle (yushu_circle)"
"""The ``<title>`` of ``map.html``."""
PLAN_TITLE = "15分钟生活圈 规划图 · 15-minute living circle planning map (yushu_circle)"
"""The ``<title>`` of ``plan_map.html``."""
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
_TIANDITU = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
    "&TILECOL={x}&tk={key}"
)
_JIEGU = (33.005, 97.01)


def folium_map(results: StudyResults, view: MapView, engine: str | None = None) -> folium.Map:
    """The planner's coverage map of ``results`` as a ``folium.Map``.

    Parameters
    ----------
    results : StudyResults
        What to draw.
    view : MapView
        How: the opening category, the Tianditu key, budgets, overlays, height.
    engine : str, optional
        The in-page engine's payload (``results.engine``): the page then computes reach,
        routes and what-if itself and carries no precomputed minutes.

    Returns
    -------
    folium.Map
        An :class:`~yushu_circle.render.elements.OfflineMap`; add folium layers to it as to
        any folium map (they appear in its layer control when added before rendering).
    """
    payload = build_payload(results, view, minutes_in_page=engine is not None)
    fmap = map_from_payload(payload, engine=engine)
    if view.height is not None:
        figure = fmap.get_root()
        assert isinstance(figure, Figure), "a folium.Map always has its Figure"
        figure.height = view.height  # the notebook's iframe; the map fills it
    return fmap


def map_from_payload(payload: MapPayload, engine: str | None = None) -> folium.Map:
    """Build the folium map of a :class:`~yushu_circle.render.payload.MapPayload`.

    Parameters
    ----------
    payload : MapPayload
        What to draw.
    engine : str, optional
        The engine's payload as JSON text (``StudyResults.engine``): adds the in-page engine.

    Returns
    -------
    folium.Map
    """
    fmap = OfflineMap(
        location=list(_JIEGU),
        zoom_start=14,
        tiles=None,
        prefer_canvas=True,
        zoom_control=False,
        control_scale=True,
        font_size="13px",
        zoom_snap=0.25,
    )
    basemap = folium.FeatureGroup(name=_label("离线底图(本研究街道) Offline basemap (streets)"))
    basemap.overlay = False
    basemap.add_to(fmap)
    folium.TileLayer(
        OSM_TILES,
        name="OpenStreetMap",
        attr="© OpenStreetMap contributors",
        max_zoom=19,
        overlay=False,
        show=False,
    ).add_to(fmap)
    if payload.tianditu:
        _tianditu(payload.tianditu).add_to(fmap)
    ground = [o for o in payload.overlays if o["ground"]]
    others = [o for o in payload.overlays if not o["ground"]]
    overlay_groups: dict[int, folium.FeatureGroup] = {}
    for layer in [*ground, *others]:
        index = payload.overlays.index(layer)
        group = folium.FeatureGroup(
            name=_swatch(layer) + _label(f"{layer['zh']} {layer['en']} ({len(layer['geom'])})"),
            show=bool(layer["shown"]),
        )
        group.add_to(fmap)
        overlay_groups[index] = group
    streets = folium.FeatureGroup(name=_label("街道步行时间 Streets: walk minutes")).add_to(fmap)
    residences = folium.FeatureGroup(name=_label("居住点 Residences")).add_to(fmap)
    iso = folium.FeatureGroup(
        name=_label("等时圈 Isochrones (点击居住点 click a residence)")
    ).add_to(fmap)
    facility_groups = {}
    for cat in payload.cats:
        if not cat["count"]:
            continue
        name = _swatch({"color": cat["color"], "kind": 0}) + _label(
            f"设施 {cat['zh']} {cat['en']}" if cat["zh"] != cat["en"] else f"设施 {cat['zh']}"
        )
        facility_groups[cat["key"]] = folium.FeatureGroup(name=name).add_to(fmap)
    app = PlannerLayers(
        payload,
        {
            "basemap": basemap,
            "streets": streets,
            "residences": residences,
            "isochrones": iso,
            "facilities": facility_groups,
            "overlays": [overlay_groups[i] for i in range(len(payload.overlays))],
        },
    )
    fmap.add_child(app)
    fmap.add_child(SyntheticBanner(app))
    fmap.add_child(CategorySwitcher(app))
    folium.LayerControl(position="topright", collapsed=True).add_to(fmap)
    fmap.add_child(Legend(app))
    fmap.add_child(CoverageTable(app))
    if engine is not None:
        fmap.add_child(LiveEngine(app, engine))
    bounds = _bounds(payload)
    if bounds is not None:
        fmap.add_child(OpeningView(bounds, padding=(10, 10)))
    fmap.add_child(MapReady(app))
    return fmap


def page(fmap: folium.Map, title: str) -> str:
    """The map as one self-contained HTML page, refused if anything in it links a URL.

    Parameters
    ----------
    fmap : folium.Map
        From :func:`folium_map`.
    title : str
        The page's ``<title>``.

    Returns
    -------
    str

    Raises
    ------
    DataError
        When an element added to the map links a script or stylesheet (a CDN asset).
    """
    figure = fmap.get_root()
    assert isinstance(figure, Figure), "a folium.Map always has its Figure"
    figure.title = title
    _stable_ids(figure)
    text = str(figure.render())
    if re.search(r"<script[^>]*\bsrc=|<link\b[^>]*\bhref=", text, re.I):
        raise DataError(
            "the map links an external script or stylesheet",
            "add only elements whose assets are inlined (see yushu_circle.render.elements)",
        )
    return text


def _stable_ids(root: Any) -> None:
    """Number every element of the page in tree order, so equal inputs give equal bytes.

    branca names elements from random bytes (``map_5f81…``); a map rebuilt from the same
    outputs must be byte-identical.
    """
    stack = [root]
    count = 0
    while stack:
        element = stack.pop(0)
        element._id = f"{count:08x}"
        count += 1
        stack[:0] = list(element._children.values())


def _label(text: str) -> str:
    """A layer-control label: Leaflet writes it as HTML, so the text is escaped."""
    return html.escape(text, quote=True)


def _swatch(layer: dict[str, Any]) -> str:
    color = layer["bins"][-1]["color"] if layer.get("bins") else layer["color"]
    kind = "yc-line" if layer.get("kind") == 1 else "yc-swatch"
    return f"<span class='{kind}' style='background:{html.escape(color)}'></span> "


def _tianditu(key: str) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=_label("天地图 Tianditu (CGCS2000 ≈ WGS-84)"), show=False)
    group.overlay = False
    for layer in ("vec", "cva"):
        url = _TIANDITU.replace("{layer}", layer).replace("{key}", quote(key, safe=""))
        folium.TileLayer(
            url, attr="© 天地图 Tianditu", subdomains="01234567", max_zoom=18, control=False
        ).add_to(group)
    return group


def _bounds(payload: MapPayload) -> list[list[float]] | None:
    lat = [v for v in payload.res["lat"] if v is not None]
    lon = [v for v in payload.res["lon"] if v is not None]
    for flat in payload.edges["coords"]:
        lon.extend(flat[0::2])
        lat.extend(flat[1::2])
    if not lat:
        return None
    return [[float(np.min(lat)), float(np.min(lon))], [float(np.max(lat)), float(np.max(lon))]]
