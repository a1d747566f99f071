"""Reading a ``yushu-circle run`` output folder back and rewriting its maps (nothing recomputed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from yushu_circle.errors import InputError
from yushu_circle.render.basemap import basemap_overlays
from yushu_circle.render.payload import ISOCHRONE_BUDGET_BYTES


def read_outputs(out_dir: str | Path) -> dict[str, Any]:
    """Read a ``yushu-circle run`` output folder back for mapping (nothing is recomputed).

    Parameters
    ----------
    out_dir : str or Path
        Folder with ``residences.parquet``, ``facilities.parquet``, ``network.parquet``,
        ``summary.json`` and optionally ``isochrones.parquet``, ``basemap.parquet`` and
        ``map_network.json`` (the in-page engine's network).

    Returns
    -------
    dict
        ``residences``, ``facilities``, ``edges``, ``isochrones``, ``basemap`` and
        ``network`` (each None when absent), ``summary`` (DataFrame) and ``meta``.

    Raises
    ------
    InputError
        When a required file is missing or unreadable.
    """
    out = Path(out_dir)
    needed = ["residences.parquet", "facilities.parquet", "network.parquet", "summary.json"]
    missing = [name for name in needed if not (out / name).is_file()]
    if missing:
        raise InputError(
            f"output folder {out} lacks {', '.join(missing)}",
            "pass a folder written by 'yushu-circle run --out DIR'",
        )
    try:
        document = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        result: dict[str, Any] = {
            "residences": gpd.read_parquet(out / "residences.parquet"),
            "facilities": gpd.read_parquet(out / "facilities.parquet"),
            "edges": gpd.read_parquet(out / "network.parquet"),
        }
        iso_path = out / "isochrones.parquet"
        result["isochrones"] = gpd.read_parquet(iso_path) if iso_path.is_file() else None
        net_path = out / "map_network.json"
        result["network"] = (
            json.loads(net_path.read_text(encoding="utf-8")) if net_path.is_file() else None
        )
        base_path = out / "basemap.parquet"
        result["basemap"] = gpd.read_parquet(base_path) if base_path.is_file() else None
    except (OSError, ValueError) as exc:
        raise InputError(
            f"cannot read the outputs in {out} ({exc})", "re-run 'yushu-circle run --out DIR'"
        ) from None
    records = document.get("categories", [])
    summary = pd.DataFrame(records)
    summary = summary.set_index("category") if "category" in summary else summary
    result["summary"] = summary
    result["meta"] = document.get("meta", {})
    return result


def rebuilt_map(
    parts: dict[str, Any],
    category: str | None = None,
    tianditu_key: str | None = None,
    isochrone_budget_bytes: int = ISOCHRONE_BUDGET_BYTES,
) -> str:
    """``map.html`` drawn again from an output folder's parts (:func:`read_outputs`).

    The same page as ``write_study`` gives: :func:`yushu_circle.render.maps.coverage_map`
    decides between the in-page engine and the precomputed view alike; a folder without
    ``map_network.json`` gets the precomputed view and a note saying why.

    Parameters
    ----------
    parts : dict
        What :func:`read_outputs` read.
    category : str, optional
        Category the map opens on.
    tianditu_key : str, optional
        Tianditu key (default: ``TIANDITU_KEY``).
    isochrone_budget_bytes : int
        Cap on the embedded isochrone data.

    Returns
    -------
    str
        The HTML document.
    """
    from yushu_circle.render.maps import coverage_map, live_needs_python

    meta = dict(parts["meta"])
    if parts["network"] is None:
        reason = "输出目录无 map_network.json(请重新运行 run) · no map_network.json in the folder"
        meta["notes"] = [*meta.get("notes", []), live_needs_python(reason)]
    return coverage_map(
        parts["residences"],
        parts["facilities"],
        parts["summary"],
        meta,
        edges=parts["edges"],
        isochrones=parts["isochrones"],
        category=category,
        tianditu_key=tianditu_key,
        isochrone_budget_bytes=isochrone_budget_bytes,
        overlays=basemap_overlays(parts["basemap"]),
        network=parts["network"],
    )
