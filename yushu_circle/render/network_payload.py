"""The in-page engine on a page: its ES modules bundled into one script, its payload inlined.

The payload itself (the network and snaps as JSON) is built by the study
(:meth:`yushu_circle.study.Study.engine_payload`, :mod:`yushu_circle.results.engine`); the
page's "download scenario" CSV is read back by :func:`read_scenario`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from yushu_circle._config import MAX_CONFIG_BYTES
from yushu_circle.catalog import check_category_name
from yushu_circle.errors import InputError, clip_text
from yushu_circle.render.bundle import bundle
from yushu_circle.user_points import read_csv_table

SCENARIO_COLUMNS = ("action", "facility_id", "category", "name", "lon", "lat")
"""Columns of a what-if scenario CSV written by the page (``yushuMap.scenarioCsv()``)."""
ENGINE_MODULES = ("engine.mjs", "payload.mjs")
"""The engine's entry modules (render/js/): their exports make the ``yushuEngine`` global."""


def engine_script(name: str = "yushuEngine") -> str:
    """The engine's modules as one classic script for inlining into a page.

    :func:`yushu_circle.render.bundle.bundle` of ``engine.mjs`` and ``payload.mjs``: it
    sets ``window[name]`` to their exports (``createEngine``, ``hooks``, ``decodePayload``, …).

    Parameters
    ----------
    name : str
        The global the engine is published as.
    """
    return bundle({name: ENGINE_MODULES})


def payload_script(payload: str, element_id: str = "yushu-network") -> str:
    """The payload's JSON text as an inert ``<script type="application/json">`` element.

    ``<``, ``>`` and ``&`` are written as JSON ``\\u`` escapes (the same JSON), so no name in it
    can close the element or read as markup.

    Parameters
    ----------
    payload : str
        ``StudyResults.engine`` (``payload_json`` of the study's engine payload).
    element_id : str
        The element's ``id``.
    """
    text = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def engine_page(payload: str, title: str = "yushu_circle engine") -> str:
    """A minimal page carrying the payload's JSON text and the engine (tests and benchmarks).

    On load it unpacks the payload (``loadPayload``: the browser's ``DecompressionStream``),
    then sets ``window.engine`` (``createEngine`` of it), ``window.yushuMap`` (the documented
    hooks) and ``window.engineReady = true``; the map page embeds the same two scripts.
    """
    return (
        "<!doctype html>\n<html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body>\n"
        + payload_script(payload)
        + "\n<script>\n"
        + engine_script()
        + "</script>\n<script>\n"
        "const doc = JSON.parse(document.getElementById('yushu-network').textContent);\n"
        "yushuEngine.loadPayload(doc).then((net) => {\n"
        "  window.engine = yushuEngine.createEngine(net);\n"
        "  window.yushuMap = Object.assign(window.yushuMap || {}, yushuEngine.hooks(engine));\n"
        "  window.engineReady = true;\n"
        "});\n</script></body></html>\n"
    )


# --- scenarios ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A what-if scenario from the page's "download scenario" CSV.

    Attributes
    ----------
    added : GeoDataFrame
        ``facility_id``, ``category``, ``name``, point geometry (EPSG:4326).
    removed : list of str
        ``facility_id`` values taken out.
    """

    added: gpd.GeoDataFrame
    removed: list[str]


def read_scenario(path: str | Path) -> Scenario:
    """Read a scenario CSV (``action,facility_id,category,name,lon,lat``; action ``add`` or
    ``remove``), as the page writes it, for :meth:`yushu_circle.Study.with_facilities`.

    Read as every CSV the tool reads (:func:`yushu_circle.user_points.read_csv_table`):
    UTF-8 with or without BOM, or GBK as Excel on a Chinese Windows machine saves the
    page's file again; no device and nothing over 16 MiB.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Scenario

    Raises
    ------
    InputError
        Naming the file, row and value when the file is empty, a column is missing, or a
        value is bad (an action, a category, coordinates outside ±180/±90).
    """
    path = Path(path)
    fix = "use the CSV from the map's 'download scenario' (" + ",".join(SCENARIO_COLUMNS) + ")"
    frame = read_csv_table(path, "scenario", fix, max_bytes=MAX_CONFIG_BYTES)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in SCENARIO_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"scenario file {path} lacks column(s) {', '.join(missing)}", fix)
    if frame.empty:
        raise InputError(
            f"scenario file {path} adds and removes no facility (a header and no rows)",
            "add or remove facilities on the map's What-if panel, then download the scenario",
        )
    actions = frame["action"].str.strip().str.lower()
    bad = ~actions.isin(["add", "remove"])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"scenario file {path}, row {row + 2}: action {clip_text(frame['action'].iloc[row])!r}",
            "write 'add' or 'remove'",
        )
    adds = frame[actions == "add"]
    lon = pd.to_numeric(adds["lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(adds["lat"], errors="coerce").to_numpy(dtype=float)
    broken = ~(np.isfinite(lon) & np.isfinite(lat)) | (adds["category"].str.strip() == "")
    if broken.any():
        row = int(adds.index[np.flatnonzero(np.asarray(broken))[0]])
        raise InputError(
            f"scenario file {path}, row {row + 2}: an added facility needs a category, lon and lat",
            "give lon/lat in degrees (WGS-84) and a catalog category such as kindergarten",
        )
    outside = (np.abs(lon) > 180) | (np.abs(lat) > 90)
    if outside.any():
        at = int(np.flatnonzero(outside)[0])
        raise InputError(
            f"scenario file {path}, row {int(adds.index[at]) + 2}: lon {lon[at]:g}, lat "
            f"{lat[at]:g} is outside longitude -180…180 / latitude -90…90",
            "give lon/lat in degrees (WGS-84), as the map's 'download scenario' writes them",
        )
    for row, category in zip(adds.index.to_numpy(), adds["category"], strict=True):
        check_category_name(category, f"scenario file {path}, row {int(row) + 2}")
    added = gpd.GeoDataFrame(
        {
            "facility_id": adds["facility_id"].str.strip().to_numpy(),
            "category": adds["category"].str.strip().to_numpy(),
            "name": adds["name"].to_numpy(),
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )
    removed = [str(i).strip() for i in frame.loc[actions == "remove", "facility_id"]]
    return Scenario(added=added.reset_index(drop=True), removed=removed)
