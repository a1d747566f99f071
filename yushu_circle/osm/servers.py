"""The Overpass and Nominatim servers a source is read from: one small value, no global state.

A :class:`Servers` travels on :class:`yushu_circle.source.Source` (to Dask workers too); the
osmnx adapter (:func:`yushu_circle.osm._osmnx.using`) applies it only around its own calls to
osmnx and restores osmnx's settings afterwards, so nothing outside ``osm/`` sets ``ox.settings``.
This module imports nothing of osmnx or of the adapter: the adapter reads it, never the other
way (:func:`yushu_circle.osm._osmnx.resolved` fills unset fields from osmnx's settings).
"""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class Servers:
    """Where Overpass and Nominatim answer, and osmnx's answer cache (None: osmnx's setting).

    Attributes
    ----------
    overpass_url : str or None
        Overpass API base URL (``…/api``; ``/interpreter`` is appended).
    nominatim_url : str or None
        Nominatim base URL, for place names.
    cache_folder : str or None
        Folder of osmnx's answer cache.
    use_cache : bool or None
        Whether answers are cached.
    timeout_s : float or None
        Seconds to wait for an answer (also Overpass's server-side ``[timeout:…]``).
    """

    overpass_url: str | None = None
    nominatim_url: str | None = None
    cache_folder: str | None = None
    use_cache: bool | None = None
    timeout_s: float | None = None

    def settings(self) -> dict[str, Any]:
        """The fields that are set, by name."""
        return {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if getattr(self, field.name) is not None
        }
