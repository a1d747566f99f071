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
from yushu_circle.render.png import png_writers


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


def rebuild_maps(
    out_dir: str | Path,
    png: bool = False,
    category: str | None = None,
    tianditu_key: str | None = None,
    isochrone_budget_bytes: int = ISOCHRONE_BUDGET_BYTES,
) -> list[Path]:
    """Rewrite ``map.html`` (and ``png/coverage_<category>.png``) from an output folder.

    Parameters
    ----------
    out_dir : str or Path
        A folder written by ``yushu-circle run``.
    png : bool
        Also draw one static PNG coverage map per category into ``out_dir/png``.
    category : str, optional
        Category the HTML map opens on.
    tianditu_key : str, optional
        Tianditu key (default: ``TIANDITU_KEY``).
    isochrone_budget_bytes : int
        Cap on the embedded isochrone data (see :func:`yushu_circle.render.maps.coverage_map`).

    Returns
    -------
    list of Path
        The files written.
    """
    from yushu_circle.io import text_writer, write_atomically
    from yushu_circle.render.maps import coverage_map, live_needs_python

    parts = read_outputs(out_dir)
    meta = dict(parts["meta"])
    if parts["network"] is None:
        reason = "输出目录无 map_network.json(请重新运行 run) · no map_network.json in the folder"
        meta["notes"] = [*meta.get("notes", []), live_needs_python(reason)]
    # The same page as write_study: coverage_map decides engine or precomputed view alike.
    html = coverage_map(
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
    written = write_atomically(out_dir, {"map.html": text_writer(html)})
    if png:
        writers = png_writers(
            parts["residences"], parts["facilities"], parts["meta"], parts["edges"]
        )
        written += write_atomically(Path(out_dir) / "png", writers)
    return written
