"""The planner's map: ``coverage_map`` (one self-contained folium HTML page) and its public names.

The rooms behind it: :mod:`~yushu_circle.render.payload` (the typed data),
:mod:`~yushu_circle.render.overlays`, :mod:`~yushu_circle.render.basemap`,
:mod:`~yushu_circle.render.folium_map` and :mod:`~yushu_circle.render.elements` (folium),
:mod:`~yushu_circle.render.outputs` (rebuilding from an output folder) and
:mod:`~yushu_circle.render.png` (static maps).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd

from yushu_circle.render._encode import script_json
from yushu_circle.render.basemap import BASEMAP_COLORS, basemap_frame, basemap_overlays
from yushu_circle.render.folium_map import MAP_TITLE, folium_map, page
from yushu_circle.render.network_payload import payload_json
from yushu_circle.render.outputs import read_outputs
from yushu_circle.render.overlays import Overlay
from yushu_circle.render.payload import (
    ISOCHRONE_BUDGET_BYTES,
    MAX_MAP_EDGES,
    MAX_MAP_RESIDENCES,
    SYNTHETIC_BANNER,
)
from yushu_circle.render.png import png_writers
from yushu_circle.render.study_maps import explore

ENGINE_PAGE_BUDGET_BYTES = 15_000_000
"""Largest ``map.html`` that carries the in-page engine; past it the page keeps the
precomputed view (a 100,000-edge city fits; see render/js/README.md)."""


def live_needs_python(reason: str) -> str:
    """The map's note when the page cannot compute what-if itself (bilingual)."""
    return (
        f"页面内即时计算未启用({reason}): 任一住宅的等时圈与情景分析请用 notebook (Study.explore, "
        "Study.with_facilities) 或命令行 yushu-circle plan --add / --scenario · Live reach and "
        f"what-if are off in this page ({reason}): use the notebook or the CLI."
    )


__all__ = [
    "BASEMAP_COLORS",
    "ENGINE_PAGE_BUDGET_BYTES",
    "ISOCHRONE_BUDGET_BYTES",
    "MAX_MAP_EDGES",
    "MAX_MAP_RESIDENCES",
    "SYNTHETIC_BANNER",
    "Overlay",
    "basemap_frame",
    "basemap_overlays",
    "coverage_map",
    "explore",
    "folium_map",
    "live_needs_python",
    "png_writers",
    "read_outputs",
    "script_json",
]


def coverage_map(
    residences: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    summary: pd.DataFrame,
    meta: Mapping[str, Any],
    edges: gpd.GeoDataFrame | None = None,
    isochrones: gpd.GeoDataFrame | None = None,
    category: str | None = None,
    tianditu_key: str | None = None,
    isochrone_budget_bytes: int = ISOCHRONE_BUDGET_BYTES,
    overlays: Sequence[Overlay] = (),
    network: Mapping[str, Any] | None = None,
    page_budget_bytes: int = ENGINE_PAGE_BUDGET_BYTES,
    network_json: str | None = None,
) -> str:
    """The planner's map as one self-contained HTML document: a folium map, nothing fetched.

    Layers: an offline basemap drawn from the study's streets, streets coloured by walk
    minutes to the chosen category, residences coloured by score or by walk minutes,
    facilities per category, and the 5/10/15-minute isochrones of a clicked residence.
    A category switcher with the "only residences beyond N min" filter, a legend and the
    coverage table come with it; every text is bilingual (中文 / English) and every string
    from the data is shown as text, never parsed as HTML.

    Parameters
    ----------
    residences : GeoDataFrame
        ``Study.access()`` (or ``residences.parquet``): ``residence_id``, ``population``,
        ``walk_min_<category>``, ``score``, point geometry (EPSG:4326).
    facilities : GeoDataFrame
        ``facility_id``, ``category``, ``name``, ``source``, point geometry.
    summary : DataFrame
        ``Study.summary()``, indexed by category key.
    meta : mapping
        ``Study.metadata()`` (``catalog``, ``synthetic``, ``data``, ``notes``, and
        optionally ``map_subtitle``, shown under the title).
    edges : GeoDataFrame, optional
        Walk network edges (EPSG:4326), with ``walk_min_<category>`` columns from
        :func:`yushu_circle.access.edge_minutes` when available (else streets are grey).
    isochrones : GeoDataFrame, optional
        ``residence_id``, ``minutes``, polygon geometry (``isochrones.parquet``).
    category : str, optional
        Category selected when the map opens (default: the score view).
    tianditu_key : str, optional
        Tianditu (天地图) browser key; default: environment variable ``TIANDITU_KEY``. The
        Tianditu layer is offered only with a key, and the key is written into the file.
    isochrone_budget_bytes : int
        Cap on the embedded isochrone data; past it an even sample of residences keeps
        theirs (the map says how many, and the others' popups say they have none).
    overlays : sequence of Overlay
        Extra layers (basemap water and buildings, planning areas, a what-if diff), each
        toggleable in the layer control with a legend entry.
    network : mapping, optional
        ``network_payload.study_payload`` of the study: the page then carries the
        in-page engine (any residence's reach and route, live what-if) instead of the
        precomputed isochrones, when the whole page stays within ``page_budget_bytes``;
        otherwise it keeps the precomputed view and says that live what-if needs the
        notebook or the CLI.
    page_budget_bytes : int
        Largest page that carries the engine.
    network_json : str, optional
        ``payload_json(network)``, when the caller has it already: enough on its own (a
        city's is 100 MB of text, and its dict need not be kept beside it).

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    InputError
        When ``category`` is not a category of the residences table, or an overlay names
        a column its frame lacks or a colour that is not ``#rgb``/``#rrggbb``.
    """
    meta = dict(meta)
    if network is not None or network_json is not None:
        text = network_json if network_json is not None else payload_json(network or {})
        size = len(text.encode())
        if size < page_budget_bytes:
            if network is None:
                network = json.loads(text)  # small: the page fits
            live = page(
                folium_map(
                    residences,
                    facilities,
                    summary,
                    meta,
                    edges=edges,
                    category=category,
                    tianditu_key=tianditu_key,
                    overlays=overlays,
                    network=network,
                ),
                MAP_TITLE,
            )
            if len(live.encode()) <= page_budget_bytes:
                return live
            size = len(live.encode())
        reason = (
            f"页面将达 {size / 1e6:.1f} MB, 超过 {page_budget_bytes / 1e6:.0f} MB · the page "
            f"would be {size / 1e6:.1f} MB, over {page_budget_bytes / 1e6:.0f} MB"
        )
        meta["notes"] = [*meta.get("notes", []), live_needs_python(reason)]
    fmap = folium_map(
        residences,
        facilities,
        summary,
        meta,
        edges=edges,
        isochrones=isochrones,
        category=category,
        tianditu_key=tianditu_key,
        isochrone_budget_bytes=isochrone_budget_bytes,
        overlays=overlays,
    )
    return page(fmap, MAP_TITLE)
