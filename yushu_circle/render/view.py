"""How a map is shown: the small typed view the maps take beside the results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from yushu_circle.options import DEFAULT_ISO_BUDGET_MB
from yushu_circle.render.overlays import Overlay

ISOCHRONE_BUDGET_BYTES = round(DEFAULT_ISO_BUDGET_MB * 1_000_000)
"""Default cap on the embedded isochrone data; beyond it an even sample of residences is kept."""
ENGINE_PAGE_BUDGET_BYTES = 25_000_000
"""Largest ``map.html`` that carries the in-page engine; past it the page keeps the
precomputed view (a 1,000,000-edge city fits; see render/js/README.md)."""


@dataclass(frozen=True)
class MapView:
    """What a map shows of its results, and within which sizes.

    Attributes
    ----------
    category : str, optional
        Category selected when the map opens (default: the score view).
    tianditu_key : str, optional
        Tianditu (天地图) browser key; default: environment variable ``TIANDITU_KEY``. The
        Tianditu layer is offered only with a key, and the key is written into the page.
    isochrone_budget_bytes : int
        Cap on the embedded isochrone data; past it an even sample of residences keeps
        theirs (the map says how many, and the others' popups say they have none).
    page_budget_bytes : int
        Largest page that carries the in-page engine (any residence's reach and route,
        live what-if); a larger one keeps the precomputed view and says that live what-if
        needs the notebook or the command line.
    overlays : sequence of Overlay
        Extra layers over the basemap (planning areas, clusters, a what-if diff), each
        toggleable in the layer control with a legend entry.
    height : str, optional
        Height of the map shown in a notebook (``"600px"``); default: the page's height
        (a ``map.html`` fills its window).
    """

    category: str | None = None
    tianditu_key: str | None = None
    isochrone_budget_bytes: int = ISOCHRONE_BUDGET_BYTES
    page_budget_bytes: int = ENGINE_PAGE_BUDGET_BYTES
    overlays: Sequence[Overlay] = ()
    height: str | None = None
