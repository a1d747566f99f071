"""The Overpass and Nominatim servers a source is read from: one small value, no global state.

A :class:`Servers` travels on :class:`yushu_circle.source.Source` (to Dask workers too); the
osmnx adapter (:func:`yushu_circle.osm._osmnx.using`) applies it only around its own calls to
osmnx and restores osmnx's settings afterwards, so nothing outside ``osm/`` sets ``ox.settings``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
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

    def resolved(self) -> Servers:
        """This value with every unset field filled from osmnx's current settings.

        A batch resolves its servers once, in the process that starts it, so its workers
        (fresh processes with osmnx's defaults) ask the same servers and share the cache.
        """
        from yushu_circle.osm import _osmnx

        current = _osmnx.current_settings()
        filled: dict[str, Any] = {
            field.name: current[field.name] if getattr(self, field.name) is None else None
            for field in dataclasses.fields(self)
        }
        return dataclasses.replace(self, **{k: v for k, v in filled.items() if v is not None})

    def settings(self) -> dict[str, Any]:
        """The fields that are set, by name."""
        return {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if getattr(self, field.name) is not None
        }


def answer_cache_folder() -> Path:
    """Where osmnx keeps the Overpass and Nominatim answers for later runs: its setting, or
    (for osmnx's default ``./cache``, which would be left in the working folder) the user
    cache (:func:`yushu_circle.osm._osmnx.cache_folder`)."""
    from yushu_circle.osm import _osmnx

    return _osmnx.cache_folder()
