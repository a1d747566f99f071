"""The output folders, both ways: results written atomically, and read back as values.

A study's folder (``yushu-circle run``) holds a :class:`~yushu_circle.results.StudyResults`
(:func:`write_results`, :func:`read_results`), a plan's folder (``yushu-circle plan``) a
:class:`~yushu_circle.results.PlanResults` (:func:`write_plan_results`, :func:`read_plan`);
their file names are :class:`~yushu_circle.results.StudyFile` and
:class:`~yushu_circle.results.PlanFile`. Every write goes through
:mod:`yushu_circle.io.staging` (re-exported here): each file appears whole or not at all.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from yushu_circle.errors import InputError, clip_text
from yushu_circle.io.staging import (
    STALE_STAGING_S,
    StagedWrites,
    Writer,
    check_not_linked,
    check_out_dir,
    csv_writer,
    gpkg_writer,
    json_writer,
    parquet_writer,
    prepare_out_dir,
    staged_writes,
    text_writer,
    wgs84_parquet_writer,
    write_atomically,
)
from yushu_circle.results import PlanFile, PlanResults, StudyFile, StudyResults, schema
from yushu_circle.results.engine import FORMAT as ENGINE_FORMAT
from yushu_circle.results.engine import payload_format, upgraded
from yushu_circle.results.files import COVERAGE_PNG_GLOB

if TYPE_CHECKING:
    from yushu_circle.render.view import MapView

__all__ = [
    "STALE_STAGING_S",
    "StagedWrites",
    "Writer",
    "check_out_dir",
    "csv_writer",
    "gpkg_writer",
    "json_writer",
    "parquet_writer",
    "prepare_out_dir",
    "read_plan",
    "read_results",
    "rebuild_maps",
    "staged_writes",
    "text_writer",
    "wgs84_parquet_writer",
    "write_atomically",
    "write_plan_results",
    "write_report",
    "write_results",
]


def write_results(
    results: StudyResults, out_dir: str | Path, gpkg: bool = False, view: MapView | None = None
) -> list[Path]:
    """Write a study's results into ``out_dir``, atomically: the output contract.

    Files (:class:`~yushu_circle.results.StudyFile`): ``residences.parquet`` (and ``.gpkg``
    when asked), ``facilities.parquet``, ``network.parquet`` (the walk edges with their
    minutes), ``isochrones.parquet`` (when the results hold them), ``summary.csv``,
    ``summary.json``, ``basemap.parquet`` (water and building footprints),
    ``map_network.json`` (the in-page engine's network; ``yushu-circle map`` reads it back)
    and ``map.html``.

    Parameters
    ----------
    results : StudyResults
        ``Study.results()`` (or :func:`read_results` of another folder).
    out_dir : str or Path
    gpkg : bool
        Also write ``residences.gpkg`` and ``facilities.gpkg``.
    view : MapView, optional
        How ``map.html`` opens (default: the score view).

    Returns
    -------
    list of Path
        The files written.
    """
    from yushu_circle.render import maps

    # The big files are written on the background thread, each from its own shallow copy
    # of the frame (no pandas bookkeeping shared between threads), while the map is drawn.
    with staged_writes(out_dir, owns=StudyFile) as stage:
        stage.start(StudyFile.RESIDENCES, parquet_writer(results.access.copy(deep=False)))
        if results.engine is not None:
            stage.start(StudyFile.ENGINE, text_writer(results.engine))
        if results.edges is not None:
            stage.start(StudyFile.NETWORK, wgs84_parquet_writer(results.edges.copy(deep=False)))
        if results.isochrones is not None:
            iso = results.isochrones.copy(deep=False)
            stage.start(StudyFile.ISOCHRONES, parquet_writer(iso))
        html = maps.coverage_map(results, view)
        if results.basemap is not None:
            stage.write(StudyFile.BASEMAP, parquet_writer(results.basemap))
        stage.write(StudyFile.FACILITIES, parquet_writer(results.facilities))
        stage.write(StudyFile.SUMMARY_CSV, csv_writer(results.summary))
        records = results.summary.reset_index().to_dict("records")
        stage.write(
            StudyFile.SUMMARY_JSON, json_writer({"meta": results.meta, "categories": records})
        )
        stage.write(StudyFile.MAP, text_writer(html))
        if gpkg:
            stage.write(StudyFile.RESIDENCES_GPKG, gpkg_writer(results.access, "residences"))
            stage.write(StudyFile.FACILITIES_GPKG, gpkg_writer(results.facilities, "facilities"))
    return stage.written


def read_results(out_dir: str | Path) -> StudyResults:
    """Read a study's output folder back (``yushu-circle run``); nothing is recomputed.

    Every file is checked at the door against its schema (:mod:`yushu_circle.results.schema`,
    the one ``tests/validate.py`` uses): a truncated, emptied, wrong-typed file or one
    missing a column is one line naming it.

    Parameters
    ----------
    out_dir : str or Path
        Folder with ``residences.parquet``, ``facilities.parquet``, ``network.parquet``,
        ``summary.json`` and optionally ``isochrones.parquet``, ``basemap.parquet`` and
        ``map_network.json``.

    Returns
    -------
    StudyResults
        The summary and meta from ``summary.json``; the edges in EPSG:4326; absent optional
        files give None.

    Raises
    ------
    InputError
        When a required file is missing, or a file is unreadable or does not fit its schema.
    """
    out = Path(out_dir)
    needed = [StudyFile.RESIDENCES, StudyFile.FACILITIES, StudyFile.NETWORK]
    missing = [name for name in [*needed, StudyFile.SUMMARY_JSON] if not (out / name).is_file()]
    if missing:
        raise InputError(
            f"output folder {out} lacks {', '.join(missing)}",
            "pass a folder written by 'yushu-circle run --out DIR'",
        )
    fix = f"run 'yushu-circle run --out {out}' again"
    document = read_output_file(out, StudyFile.SUMMARY_JSON, fix)
    access, facilities, edges = (read_output_file(out, name, fix) for name in needed)
    optional = (StudyFile.ISOCHRONES, StudyFile.ENGINE, StudyFile.BASEMAP)
    isochrones, engine, basemap = (
        read_output_file(out, name, fix) if (out / name).exists() else None for name in optional
    )
    summary = pd.DataFrame(document["categories"])
    summary = summary.set_index("category") if "category" in summary else summary
    return StudyResults(
        access=access,
        facilities=facilities,
        summary=summary,
        meta=document["meta"],
        edges=edges,
        isochrones=isochrones,
        engine=engine,
        basemap=basemap,
    )


def read_output_file(folder: Path, name: str, fix: str) -> Any:
    """One file of an output folder, read and checked against its schema at the door.

    Parameters
    ----------
    folder : Path
    name : str
        A :class:`~yushu_circle.results.StudyFile` or :class:`~yushu_circle.results.PlanFile`.
    fix : str
        What the user does when it is damaged (run the command that wrote it again).

    Returns
    -------
    Any
        A parsed JSON document (``map_network.json``: its text), a GeoDataFrame (GeoParquet
        with geometry) or a DataFrame (CSV, with its first column as the index).

    Raises
    ------
    InputError
        Naming the file and what is wrong: unreadable (truncated, emptied, a folder), not
        GeoParquet, not JSON, or not fitting its schema (a column missing or of the wrong
        kind, a document of the wrong shape).
    """
    path = folder / name
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(f"{path} is empty", fix)
    try:
        value = _read_output(path)
    except IsADirectoryError:
        raise InputError(f"{path} is a folder, not the file yushu-circle wrote", fix) from None
    except OSError as exc:
        raise InputError(f"{path} cannot be read ({exc.strerror or exc})", fix) from None
    except ValueError as exc:  # JSON, Parquet (ArrowInvalid) and CSV parse errors alike
        raise InputError(f"{path} {_unreadable(path, exc)}", fix) from None
    if path.suffix == ".json":
        text = value
        value = json.loads(text)
        problem = schema.json_problem(name, value)
        value = text if name == StudyFile.ENGINE else value
    else:
        problem = schema.table_problem(name, value)
        if path.suffix == ".csv" and not value.empty:
            value = value.set_index(value.columns[0])
    if problem:
        raise InputError(f"{path}: {problem}", fix)
    return value


def _read_output(path: Path) -> Any:
    if path.suffix == ".json":
        text = path.read_text(encoding="utf-8")
        json.loads(text)
        return text
    if path.suffix == ".csv":
        raw = path.read_bytes()
        if not raw.endswith(b"\n"):  # every table is written whole, line by line
            raise ValueError("it ends in the middle of a line: truncated")
        return pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
    return gpd.read_parquet(path)


def _unreadable(path: Path, exc: ValueError) -> str:
    text = clip_text(" ".join(str(exc).split()), 120)
    if path.suffix == ".json":
        return f"is not complete JSON (truncated or damaged: {text})"
    if path.suffix == ".csv":
        return f"is not a readable CSV table ({text})"
    if "geo metadata" in text:
        return "is not a GeoParquet file (no geo metadata)"
    return f"is not a readable Parquet file (truncated or damaged: {text})"


def rebuild_maps(out_dir: str | Path, view: MapView | None = None, png: bool = False) -> list[Path]:
    """Rewrite ``map.html`` (and ``png/coverage_<category>.png``) from an output folder.

    The same page as :func:`write_results` gives from the same results; a folder without
    ``map_network.json`` gets the precomputed view and a note saying why; an older run's
    ``map_network.json`` (format ``yushu-network/1``) is rewritten in the current format
    and is among the files returned.

    Parameters
    ----------
    out_dir : str or Path
        A folder written by ``yushu-circle run``.
    view : MapView, optional
        The opening category, Tianditu key (default: ``TIANDITU_KEY``) and budgets.
    png : bool
        Also draw one static PNG coverage map per category into ``out_dir/png``.

    Returns
    -------
    list of Path
        The files written.
    """
    from yushu_circle.render import maps

    results = read_results(out_dir)
    files: dict[str, Writer] = {}
    if results.engine is None:
        reason = (
            f"输出目录无 {StudyFile.ENGINE}(请重新运行 run) · no {StudyFile.ENGINE} in the folder"
        )
        results = results.with_notes(maps.live_needs_python(reason))
    elif payload_format(results.engine) != ENGINE_FORMAT:
        # An older run's network file: rewritten in this version's format (the same arrays),
        # so the page and the file agree; the caller sees it among the files written.
        engine = upgraded(results.engine)
        results = dataclasses.replace(results, engine=engine)
        files[StudyFile.ENGINE] = text_writer(engine)
    html = maps.coverage_map(results, view)
    files[StudyFile.MAP] = text_writer(html)
    written = write_atomically(out_dir, files)
    if png:
        # No PNG written through a link planted out of OUT.
        check_not_linked(Path(out_dir), StudyFile.PNG_FOLDER)
        writers = maps.png_writers(results)
        folder = Path(out_dir) / StudyFile.PNG_FOLDER
        earlier = [p.name for p in folder.glob(COVERAGE_PNG_GLOB)] if folder.is_dir() else []
        written += write_atomically(folder, writers, owns=earlier)
    return written


# --- plans ---------------------------------------------------------------------------------

_PLAN_TABLES: tuple[tuple[PlanFile, str], ...] = (
    (PlanFile.COMPLIANCE, "compliance"),
    (PlanFile.COMPLIANCE_AREAS, "areas"),
    (PlanFile.PROFILES, "profiles"),
    (PlanFile.COMPLETENESS, "completeness"),
    (PlanFile.GAPS_CSV, "gaps"),
    (PlanFile.GAPS, "clusters"),
    (PlanFile.SUPPLY, "supply"),
    (PlanFile.SUPPLY_FACILITIES, "supply_facilities"),
    (PlanFile.SUPPLY_RESIDENCES, "supply_residences"),
    (PlanFile.SITING, "sites"),
    (PlanFile.WHATIF_CSV, "whatif"),
    (PlanFile.WHATIF, "whatif_residences"),
    (PlanFile.STREETS, "streets"),
)
"""Each table of a plan's folder and the ``PlanResults`` field it holds, in writing order."""
REQUIRED_PLAN_FILES = (PlanFile.SUMMARY, PlanFile.COMPLIANCE, PlanFile.COMPLIANCE_AREAS)
"""Files of ``yushu-circle plan`` that :func:`read_plan` (and the report) cannot do without."""


def write_plan_results(
    plan: PlanResults, out_dir: str | Path, view: MapView | None = None
) -> list[Path]:
    """Write a plan's results into ``out_dir``, atomically.

    Files (:class:`~yushu_circle.results.PlanFile`): ``compliance.csv`` (per area × item,
    level and overall, with each row's verified flag and source),
    ``compliance_areas.parquet`` (one polygon per area with 达标率, per-level and per-item
    shares), ``profiles.csv``, ``completeness.csv``, ``gaps.csv`` and ``gaps.parquet``
    (unserved clusters), ``supply.csv``/``supply_facilities.csv``/
    ``supply_residences.parquet`` (2SFCA), ``siting.csv``/``siting.parquet`` (with a
    siting), ``whatif.csv``/``whatif.parquet`` (with a what-if), ``plan_map.html`` (when the
    plan carries its map) and ``plan_summary.json``.

    Parameters
    ----------
    plan : PlanResults
        :func:`yushu_circle.planning.plan.plan_results`.
    out_dir : str or Path
    view : MapView, optional
        Budgets and the Tianditu key of ``plan_map.html``.

    Returns
    -------
    list of Path
        The files written.
    """
    from yushu_circle.render.plan_map import plan_map

    writers: dict[str, Writer] = {}
    for name, field in _PLAN_TABLES:
        frame = getattr(plan, field)
        if frame is None:
            continue
        if name == PlanFile.SITING:
            writers[PlanFile.SITING_CSV] = csv_writer(_siting_table(frame))
        is_table = name.endswith(".csv")
        writers[name] = csv_writer(frame) if is_table else parquet_writer(frame)
    if plan.walker is not None and plan.layers is not None:
        writers[PlanFile.MAP] = text_writer(plan_map(plan, view))
    writers[PlanFile.SUMMARY] = json_writer(plan.summary)
    return write_atomically(out_dir, writers, owns=PlanFile)


def _siting_table(sites: gpd.GeoDataFrame) -> pd.DataFrame:
    """``siting.csv``: the sites without geometry, with ``lon``/``lat`` to six decimals."""
    table = pd.DataFrame(sites.drop(columns="geometry")).assign(
        lon=sites.geometry.x.map("{:.6f}".format),
        lat=sites.geometry.y.map("{:.6f}".format),
    )
    return table.set_index("rank")


def read_plan(out_dir: str | Path) -> PlanResults:
    """Read a plan's output folder back (``yushu-circle plan``); nothing is recomputed.

    Parameters
    ----------
    out_dir : str or Path
        A folder written by ``yushu-circle plan`` (:func:`write_plan_results`).

    Returns
    -------
    PlanResults
        Its tables (CSV tables indexed by their first column, with the four decimals they
        were written with; absent optional files give None); no ``walker``, ``layers`` or
        ``text``.

    Raises
    ------
    InputError
        When the folder is not a plan's output folder or a file is unreadable.
    """
    folder = Path(out_dir)
    missing = [name for name in REQUIRED_PLAN_FILES if not (folder / name).is_file()]
    if missing:
        raise InputError(
            f"{folder} is not a plan output folder (missing {', '.join(missing)})",
            "run `yushu-circle plan --out DIR` first, then `yushu-circle report DIR`",
        )
    fix = f"run 'yushu-circle plan --out {folder}' again"
    summary = read_output_file(folder, PlanFile.SUMMARY, fix)
    tables: dict[str, Any] = {
        field: read_output_file(folder, name, fix) if (folder / name).exists() else None
        for name, field in _PLAN_TABLES
    }
    return PlanResults(summary=summary, **tables)


def write_report(out_dir: str | Path, date: datetime.date | None = None) -> list[Path]:
    """Write ``report.pdf``, ``report.docx`` and ``report.html`` (中文 / English) into a plan's
    output folder.

    The plan is read back (:func:`read_plan`) and drawn by
    :func:`yushu_circle.render.report.report_documents`.

    Parameters
    ----------
    out_dir : str or Path
        A folder written by ``yushu-circle plan``.
    date : datetime.date, optional
        The report's date; default the day ``plan_summary.json`` was written (the plan's
        day, never the clock: the same folder gives the same bytes).

    Returns
    -------
    list of Path
        The files written.
    """
    from yushu_circle.render.report import DATE_FROM_PLAN, DATE_GIVEN, report_documents

    plan = read_plan(out_dir)
    folder = Path(out_dir)
    note = DATE_GIVEN
    if date is None:
        written = (folder / PlanFile.SUMMARY).stat().st_mtime
        date, note = datetime.date.fromtimestamp(written), DATE_FROM_PLAN
    return write_atomically(out_dir, report_documents(plan, folder, date, note))
