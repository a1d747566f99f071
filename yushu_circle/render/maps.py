"""The planner's map: ``coverage_map`` (one self-contained folium HTML page) and its public names.

Both maps of a study, ``map.html`` (:func:`coverage_map`) and the notebook's
``Study.explore()`` (:func:`study_map`), are drawn from one
:class:`~yushu_circle.results.StudyResults` and a :class:`~yushu_circle.render.view.MapView`,
with the same choice between the in-page engine and the precomputed view.

The rooms behind it: :mod:`~yushu_circle.render.payload` (the typed data),
:mod:`~yushu_circle.render.overlays`, :mod:`~yushu_circle.render.basemap`,
:mod:`~yushu_circle.render.folium_map` and :mod:`~yushu_circle.render.elements` (folium) and
:mod:`~yushu_circle.render.png` (static maps).
"""

from __future__ import annotations

import folium

from yushu_circle.render._encode import script_json
from yushu_circle.render.basemap import BASEMAP_COLORS, basemap_overlays
from yushu_circle.render.folium_map import MAP_TITLE, folium_map, page
from yushu_circle.render.overlays import Overlay
from yushu_circle.render.payload import MAX_MAP_EDGES, MAX_MAP_RESIDENCES, SYNTHETIC_BANNER
from yushu_circle.render.png import png_writers
from yushu_circle.render.view import ENGINE_PAGE_BUDGET_BYTES, ISOCHRONE_BUDGET_BYTES, MapView
from yushu_circle.results import StudyResults

__all__ = [
    "BASEMAP_COLORS",
    "ENGINE_PAGE_BUDGET_BYTES",
    "ISOCHRONE_BUDGET_BYTES",
    "MAX_MAP_EDGES",
    "MAX_MAP_RESIDENCES",
    "SYNTHETIC_BANNER",
    "MapView",
    "Overlay",
    "basemap_overlays",
    "coverage_map",
    "folium_map",
    "live_needs_python",
    "png_writers",
    "script_json",
    "study_map",
]


def live_needs_python(reason: str) -> str:
    """The map's note when the page cannot compute what-if itself (bilingual)."""
    return (
        f"页面内即时计算未启用({reason}): 任一住宅的等时圈与情景分析请用 notebook (Study.explore, "
        "Study.with_facilities) 或命令行 yushu-circle plan --add / --scenario · Live reach and "
        f"what-if are off in this page ({reason}): use the notebook or the CLI."
    )


def coverage_map(results: StudyResults, view: MapView | None = None) -> str:
    """The planner's map as one self-contained HTML document: a folium map, nothing fetched.

    Layers: an offline basemap drawn from the study's streets (and ``results.basemap``'s
    water and buildings), streets coloured by walk minutes to the chosen category,
    residences coloured by score or by walk minutes, facilities per category, and the
    5/10/15-minute reach of a clicked residence. A category switcher with the "only
    residences beyond N min" filter, a legend and the coverage table come with it; every
    text is bilingual (中文 / English) and every string from the data is shown as text,
    never parsed as HTML.

    With ``results.engine`` the page carries the in-page engine (any residence's reach and
    route, live what-if) when the whole page stays within ``view.page_budget_bytes``;
    otherwise it shows the precomputed minutes and ``results.isochrones`` and says that
    live what-if needs the notebook or the command line.

    Parameters
    ----------
    results : StudyResults
        What to draw (``Study.results()`` or :func:`yushu_circle.io.read_results`).
    view : MapView, optional
        The opening category, Tianditu key, budgets and extra overlays (default
        ``MapView()``).

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    InputError
        When ``view.category`` is not a category of the results, or an overlay names a
        column its frame lacks or a colour that is not ``#rgb``/``#rrggbb``.
    """
    view = view or MapView()
    drawn, live = _fitted(results, view)
    return live if live is not None else page(folium_map(drawn, view), MAP_TITLE)


def study_map(results: StudyResults, view: MapView | None = None) -> folium.Map:
    """The same map as :func:`coverage_map`, as a ``folium.Map`` for Jupyter (``Study.explore``).

    Every asset is inlined, so it shows inline and offline; add your own folium layers to
    it. ``view.height`` sets its height in the notebook.

    Parameters
    ----------
    results : StudyResults
    view : MapView, optional

    Returns
    -------
    folium.Map
    """
    view = view or MapView()
    drawn, live = _fitted(results, view)
    # A folium map is rendered once (its layer control adds its layers again on a second
    # render): the page `_fitted` measured is not the map handed out.
    return folium_map(drawn, view, engine=drawn.engine if live is not None else None)


def _fitted(results: StudyResults, view: MapView) -> tuple[StudyResults, str | None]:
    """The results to draw and, when the page with the engine fits its budget, that page."""
    if results.engine is None:
        return results, None
    budget = view.page_budget_bytes
    size = len(results.engine.encode())
    if size < budget:
        text = page(folium_map(results, view, engine=results.engine), MAP_TITLE)
        size = len(text.encode())
        if size <= budget:
            return results, text
    reason = (
        f"页面将达 {size / 1e6:.1f} MB, 超过 {budget / 1e6:.0f} MB · the page "
        f"would be {size / 1e6:.1f} MB, over {budget / 1e6:.0f} MB"
    )
    return results.with_notes(live_needs_python(reason)), None
