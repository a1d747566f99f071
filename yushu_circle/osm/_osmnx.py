"""The only place that touches osmnx internals (its XML parser, Overpass settings, cache, errors).

osmnx gives no public API for these; each use is one small function here, and the
supported osmnx versions are checked when this module is imported, so an osmnx release
that moves them fails with one clear line instead of an ``AttributeError`` deep in a run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import osmnx as ox

from yushu_circle._config import user_cache_dir

if TYPE_CHECKING:
    from yushu_circle.osm.servers import Servers

SUPPORTED = ((2, 0), (2, 2))
"""osmnx versions whose internals this adapter was written against: ``>=2.0, <2.2``
(the bounds in ``pyproject.toml``)."""


def check_version(version: str) -> None:
    """Refuse an osmnx version outside :data:`SUPPORTED`.

    Raises
    ------
    ImportError
        Naming the version found and the ``pip install`` that fixes it.
    """
    try:
        found = tuple(int(part) for part in version.split(".")[:2])
    except ValueError:
        found = (0, 0)
    low, high = SUPPORTED
    if not (low <= found < high):
        raise ImportError(
            f"yushu_circle needs osmnx >={low[0]}.{low[1]},<{high[0]}.{high[1]} "
            f"(found osmnx {version}) — fix: pip install 'osmnx>={low[0]}.{low[1]},"
            f"<{high[0]}.{high[1]}'"
        )


check_version(ox.__version__)

GeocoderHTTPError: type[Exception] = ox._errors.ResponseStatusCodeError
"""Raised by osmnx's geocoder when Nominatim answers with an HTTP error."""
InsufficientResponse: type[Exception] = ox._errors.InsufficientResponseError
"""Raised by osmnx when an answer holds nothing usable (e.g. no geocoding result)."""


def overpass_json_from_xml(path: Path) -> dict[str, Any]:
    """Parse an OSM XML file (plain, ``.bz2`` or ``.gz``) into an Overpass-JSON document.

    No reader of this package uses it (XML goes through :mod:`~yushu_circle.osm.libosmium`):
    it is osmnx's Python SAX handler, kept as the independent oracle of the XML reader's
    tests and the old path ``benchmarks/xml_read.py`` times against.
    """
    document: dict[str, Any] = ox._osm_xml._overpass_json_from_xml(path, "utf-8")
    return document


def overpass_settings() -> str:
    """The ``[out:json][timeout:…]`` header osmnx would send (from ``ox.settings``)."""
    settings: str = ox._overpass._make_overpass_settings()
    return settings


def cached_answer(key: str) -> Any:
    """An answer saved in osmnx's HTTP cache under ``key`` (a prepared URL), or None."""
    return ox._http._retrieve_from_cache(key)


def save_answer(key: str, document: dict[str, Any]) -> None:
    """Save an answer in osmnx's HTTP cache (when ``ox.settings.use_cache`` is on)."""
    ox._http._save_to_cache(key, document, True)


# Servers' fields → the osmnx settings they stand for.
_SETTINGS = {
    "overpass_url": "overpass_url",
    "nominatim_url": "nominatim_url",
    "cache_folder": "cache_folder",
    "use_cache": "use_cache",
    "timeout_s": "requests_timeout",
}


_OSMNX_CACHE = Path("./cache")
"""osmnx's own default cache folder: ``cache/`` in whatever folder the user runs from."""


def cache_folder() -> Path:
    """The folder osmnx's answer cache is in: osmnx's setting, except that its default
    (``./cache``, left behind in the working folder) is the user cache's ``overpass``
    folder (:func:`yushu_circle._config.user_cache_dir`); absolute, so another process (a
    Dask worker) finds the same one."""
    folder = Path(ox.settings.cache_folder)
    if folder == _OSMNX_CACHE:
        return user_cache_dir("overpass")
    return folder.resolve()


def resolved(servers: Servers) -> Servers:
    """``servers`` with every unset field filled from osmnx's current settings (the cache
    folder as :func:`cache_folder` gives it).

    A batch resolves its servers once, in the process that starts it, so its workers (fresh
    processes with osmnx's defaults) ask the same servers and share the cache.
    """
    current = {field: getattr(ox.settings, name) for field, name in _SETTINGS.items()}
    current["cache_folder"] = str(cache_folder())
    unset = {field: value for field, value in current.items() if getattr(servers, field) is None}
    return dataclasses.replace(servers, **unset)


@contextmanager
def using(servers: Servers | None) -> Iterator[None]:
    """osmnx's settings set to ``servers`` for the duration of a call, then restored (the
    cache folder, when not given, is :func:`cache_folder`)."""
    wanted = {"cache_folder": str(cache_folder())}
    wanted.update({} if servers is None else servers.settings())
    saved = {_SETTINGS[field]: getattr(ox.settings, _SETTINGS[field]) for field in wanted}
    try:
        for field, value in wanted.items():
            setattr(ox.settings, _SETTINGS[field], value)
        yield
    finally:
        for name, value in saved.items():
            setattr(ox.settings, name, value)


def settings_value(name: str) -> Any:
    """One of osmnx's settings (read inside :func:`using`: the servers in force)."""
    return getattr(ox.settings, name)
