"""Atomic output files: a run never leaves a half-written file where a good one stood."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from yushu_circle.errors import InputError, OutputError, raise_if_stopped
from yushu_circle.geoparquet import write_wgs84_parquet
from yushu_circle.options import DEFAULT_ISO_BUFFER_M, DEFAULT_ISO_MINUTES

if TYPE_CHECKING:
    from yushu_circle.planning.plan import PlanOptions
    from yushu_circle.study import Study

Writer = Callable[[Path], None]
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_STOP_POLL_SECONDS = 0.1
"""How often a wait for the background writer looks for a stop signal."""


def prepare_out_dir(out_dir: str | Path) -> Path:
    """Create the output folder if needed and check it can be written.

    Raises
    ------
    OutputError
        When the path is a file, or the folder cannot be created or written.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputError(f"output path {out} is a file, not a folder", "pass a folder to --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-") as probe:
            probe.write(b"ok")  # a real write: a full disk or read-only mount fails here
    except OSError as exc:
        raise OutputError(
            f"output folder {out} cannot be written ({exc.strerror or exc})",
            "choose a folder you can write to with --out, or free some disk space",
        ) from None
    return out


def check_out_dir(out_dir: str | Path) -> Path:
    """Check an output folder could be written, without creating it.

    A run calls this before any work, so a bad ``--out`` fails at once, and a run that
    fails before writing leaves no (empty) output folder behind.

    Raises
    ------
    OutputError
        When the path is a file, or neither it nor its nearest existing parent folder
        can be written.
    """
    out = Path(out_dir)
    if out.exists():
        return prepare_out_dir(out)
    parent = out.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(
            f"output folder {out} cannot be written: {parent} is a file",
            "pass a folder to --out",
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(
            f"output folder {out} cannot be written: no write permission in {parent}",
            "choose a folder you can write to with --out",
        )
    return out


class StagedWrites:
    """Output files written into a hidden staging folder, moved into place together.

    Made by :func:`staged_writes`. ``write`` writes a file at once in the calling thread;
    ``start`` writes it on one background thread, while the caller goes on making the
    next output (Parquet and JSON writing mostly runs outside the GIL).
    """

    def __init__(self, out: Path, staging: Path) -> None:
        self._out = out
        self._staging = staging
        self._names: list[str] = []
        self._pending: list[Future[None]] = []
        self._jobs: queue.SimpleQueue[tuple[Future[None], Writer, Path] | None] = (
            queue.SimpleQueue()
        )
        self._background: threading.Thread | None = None
        self.written: list[Path] = []

    def _claim(self, name: str) -> Path:
        # A stop whose KeyboardInterrupt was swallowed (see STOP_SIGNALS) ends the writes
        # here rather than after the next file.
        raise_if_stopped()
        _check_not_linked(self._out, name)
        if (self._out / name).resolve().parent != self._out.resolve():
            raise InputError(
                f"output file name {name!r} would be written outside {self._out}",
                "use plain file names",
            )
        self._names.append(name)
        return self._staging / name

    def write(self, name: str, writer: Writer) -> None:
        """Write ``name`` now."""
        path = self._claim(name)
        try:
            writer(path)
        except OSError as exc:
            raise self._failed(exc) from None

    def start(self, name: str, writer: Writer) -> None:
        """Write ``name`` on the background thread (its errors come out of the ``with``)."""
        path = self._claim(name)
        if self._background is None:
            # A daemon: Ctrl-C or a failure elsewhere ends the run at once, without waiting
            # for a half-written file that is thrown away anyway.
            self._background = threading.Thread(
                target=self._write_in_turn, name="yushu-write", daemon=True
            )
            self._background.start()
        pending: Future[None] = Future()
        self._pending.append(pending)
        self._jobs.put((pending, writer, path))

    def _write_in_turn(self) -> None:
        while (job := self._jobs.get()) is not None:
            pending, writer, path = job
            if not pending.set_running_or_notify_cancel():
                continue
            try:
                writer(path)
            except BaseException as exc:  # handed to the caller by ``_finish``
                pending.set_exception(exc)
            else:
                pending.set_result(None)

    def _failed(self, exc: OSError) -> OutputError:
        return OutputError(
            f"writing to {self._out} failed ({exc.strerror or exc})",
            "free disk space or choose another --out folder; earlier outputs were left intact",
        )

    def _finish(self) -> None:
        try:
            for pending in self._pending:
                pending.result()  # the first failure, in the order the files were started
            for name in self._names:
                final = self._out / name
                os.replace(self._staging / name, final)
                self.written.append(final)
        except OSError as exc:
            raise self._failed(exc) from None

    def _stop(self, cancel: bool) -> None:
        if self._background is None:
            return
        self._jobs.put(None)
        if cancel:
            for pending in self._pending:
                pending.cancel()  # those not yet begun
        else:
            while self._background.is_alive():
                self._background.join(_STOP_POLL_SECONDS)
                raise_if_stopped()


@contextmanager
def staged_writes(out_dir: str | Path) -> Iterator[StagedWrites]:
    """Write several files so that each appears whole or not at all.

    Every file is first written into a hidden staging folder inside ``out_dir``; only
    when the ``with`` block ends and all are written are they moved into place with
    ``os.replace`` (atomic on one file system). If anything fails, nothing in
    ``out_dir`` changes, and a folder this call created is removed again.

    Parameters
    ----------
    out_dir : str or Path
        The output folder.

    Yields
    ------
    StagedWrites
        ``write(name, writer)`` / ``start(name, writer)``; ``written`` lists the files
        once the block has ended.
    """
    created = not Path(out_dir).exists()
    out = prepare_out_dir(out_dir)
    _remove_stale_staging(out)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    stage = StagedWrites(out, staging)
    finished = False
    try:
        try:
            yield stage
        except BaseException:
            stage._stop(cancel=True)
            raise
        stage._stop(cancel=False)
        stage._finish()
        finished = True
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not finished:
            with contextlib.suppress(OSError):  # not empty: files were moved in; keep them
                out.rmdir()  # the folder this call made, for outputs that never came


def write_atomically(out_dir: str | Path, writers: Mapping[str, Writer]) -> list[Path]:
    """Write several files at once so that each appears whole or not at all.

    :func:`staged_writes` with every file written in turn.

    Parameters
    ----------
    out_dir : str or Path
        The output folder.
    writers : mapping of str to callable
        File name → function writing that file to the path it is given.

    Returns
    -------
    list of Path
        The written files.
    """
    with staged_writes(out_dir) as stage:
        for name, writer in writers.items():
            stage.write(name, writer)
    return stage.written


def _check_not_linked(out: Path, name: str) -> None:
    """Refuse to replace a symbolic link planted where an output file goes."""
    path = out / name
    if not path.is_symlink():
        return
    try:
        points_to = str(os.readlink(path))
    except OSError:
        points_to = "an unreadable target"
    raise OutputError(
        f"{path} is a symbolic link to {points_to}, not an output file; yushu-circle "
        "neither writes through it nor replaces it",
        f"remove the link (rm {path}) and run again, or choose another --out folder",
    )


def parquet_writer(frame: gpd.GeoDataFrame | pd.DataFrame) -> Writer:
    """A writer for (Geo)Parquet."""

    def write(path: Path) -> None:
        frame.to_parquet(path, index=False)

    return write


def wgs84_parquet_writer(frame: gpd.GeoDataFrame) -> Writer:
    """A writer for GeoParquet in EPSG:4326 of a frame held in another CRS, a chunk at a
    time (:func:`yushu_circle.geoparquet.write_wgs84_parquet`)."""

    def write(path: Path) -> None:
        write_wgs84_parquet(frame, path)

    return write


def gpkg_writer(frame: gpd.GeoDataFrame, layer: str) -> Writer:
    """A writer for a GeoPackage layer."""

    def write(path: Path) -> None:
        frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")

    return write


def csv_writer(frame: pd.DataFrame) -> Writer:
    """A writer for UTF-8 CSV with a BOM, so Excel in China opens Chinese text correctly.

    Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``,
    ``-``, ``@``, tab or carriage return — e.g. a category name from a user's file) are
    prefixed with ``'`` so they stay text.
    """

    def write(path: Path) -> None:
        _defused(frame).to_csv(path, encoding="utf-8-sig", float_format="%.4f")

    return write


def _is_text(dtype: Any) -> bool:
    return bool(pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype))


def _defused(frame: pd.DataFrame) -> pd.DataFrame:
    def defuse(value: Any) -> Any:
        if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
            return "'" + value
        return value

    result = frame.copy()
    for column in result.columns:
        if _is_text(result[column].dtype):
            result[column] = result[column].map(defuse)
    if _is_text(result.index.dtype):
        result.index = result.index.map(defuse)
    return result


def json_writer(document: Any) -> Writer:
    """A writer for pretty JSON (NaN written as null)."""

    def write(path: Path) -> None:
        path.write_text(
            json.dumps(_clean(document), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )

    return write


def text_writer(text: str) -> Writer:
    """A writer for a UTF-8 text file."""

    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")

    return write


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


STALE_STAGING_S = 3600.0
"""A staging folder older than this was left by a killed run and is removed."""


def _remove_stale_staging(out: Path) -> None:
    import time

    now = time.time()
    for folder in out.glob(".staging-*"):
        try:
            if folder.is_dir() and now - folder.stat().st_mtime > STALE_STAGING_S:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def write_study(
    study: Study,
    out_dir: str | Path,
    gpkg: bool = False,
    isochrones: bool = True,
    iso_minutes: Sequence[float] = DEFAULT_ISO_MINUTES,
    iso_buffer_m: float = DEFAULT_ISO_BUFFER_M,
) -> list[Path]:
    """Write the output contract of a study into ``out_dir``, atomically.

    Files: ``residences.parquet`` (and ``.gpkg`` when asked), ``facilities.parquet``,
    ``network.parquet`` (the walk edges, for maps), ``isochrones.parquet`` (unless
    ``isochrones=False``), ``summary.csv``, ``summary.json``, ``basemap.parquet`` (water
    and building footprints, for maps), ``map_network.json`` (the walk network and snaps
    the map's in-page engine computes with; ``yushu-circle map`` reads it back) and
    ``map.html``.

    Parameters
    ----------
    study : Study
    out_dir : str or Path
    gpkg : bool
        Also write ``residences.gpkg`` and ``facilities.gpkg``.
    isochrones : bool
        Write ``isochrones.parquet`` (``residence_id``, ``minutes``, polygon).
    iso_minutes : sequence of float
        Isochrone thresholds, minutes.
    iso_buffer_m : float
        Isochrone buffer half-width, metres.

    Returns
    -------
    list of Path
        The files written.
    """
    from yushu_circle.access import edge_minutes
    from yushu_circle.render import maps
    from yushu_circle.render.network_payload import payload_json, study_payload

    # Each big file is written on the background thread, from its own shallow copy of the
    # frame (no pandas bookkeeping shared between threads), while the next output is made;
    # the street edges stay in the network's CRS, on its own geometry: the map reprojects
    # only the streets it draws, and the file is reprojected a chunk at a time.
    with staged_writes(out_dir) as stage:
        access = study.access()
        stage.start("residences.parquet", parquet_writer(access.copy(deep=False)))
        summary = study.summary()
        meta = study.metadata()
        facilities = study.facilities
        # The payload's dict is gone before the edges are made (a lower peak).
        network = study_payload(study, buffer_m=iso_buffer_m, coverage=summary)
        network_json = payload_json(network)
        del network  # its text is all the rest needs
        stage.start("map_network.json", text_writer(network_json))
        minutes = edge_minutes(
            study.network, study.facility_snaps, study.access_detail().node_minutes
        )
        edges = pd.concat([study.network.edges_frame(projected=True), minutes], axis=1)
        del minutes  # held by ``edges`` now
        stage.start("network.parquet", wgs84_parquet_writer(edges.copy(deep=False)))
        basemap, basemap_notes = maps.basemap_frame(study.features)
        meta["notes"] = [*meta.get("notes", []), *basemap_notes]
        iso = study.isochrones(iso_minutes, iso_buffer_m) if isochrones else None
        if iso is not None:
            stage.start("isochrones.parquet", parquet_writer(iso.copy(deep=False)))
        html = maps.coverage_map(
            access,
            facilities,
            summary,
            meta,
            edges=edges,
            isochrones=iso,
            overlays=maps.basemap_overlays(basemap),
            network_json=network_json,
        )
        stage.write("basemap.parquet", parquet_writer(basemap))
        stage.write("facilities.parquet", parquet_writer(facilities))
        stage.write("summary.csv", csv_writer(summary))
        document = {"meta": meta, "categories": summary.reset_index().to_dict("records")}
        stage.write("summary.json", json_writer(document))
        stage.write("map.html", text_writer(html))
        if gpkg:
            stage.write("residences.gpkg", gpkg_writer(access, "residences"))
            stage.write("facilities.gpkg", gpkg_writer(facilities, "facilities"))
    return stage.written


def write_plan(
    study: Study, out_dir: str | Path, options: PlanOptions | None = None
) -> tuple[list[Path], str]:
    """Run every planning analysis and write its files atomically into ``out_dir``.

    Files: ``compliance.csv`` (per area × item, level and overall, with each row's
    verified flag and source), ``compliance_areas.parquet`` (one polygon per area with
    达标率, per-level and per-item shares), ``profiles.csv`` (coverage per walker profile),
    ``completeness.csv``, ``gaps.csv`` and ``gaps.parquet`` (unserved clusters),
    ``supply.csv``/``supply_facilities.csv``/``supply_residences.parquet`` (2SFCA),
    ``siting.csv``/``siting.parquet`` (with ``site``), ``whatif.csv``/``whatif.parquet``
    (with ``added``/``removed``), ``plan_summary.json`` and ``plan_map.html``.
    Everything uses the walker profile of ``options`` (with slope when ``dem`` is given).

    Parameters
    ----------
    study : Study
    out_dir : str or Path
    options : PlanOptions, optional

    Returns
    -------
    (list of Path, str)
        The files written and a bilingual text report.
    """
    from yushu_circle.planning.plan import plan_summary, plan_text, run_plan
    from yushu_circle.render.plan_map import plan_map

    plan = run_plan(study, options)
    result = plan.compliance
    writers: dict[str, Any] = {
        "compliance.csv": csv_writer(result.table.set_index("area")),
        "compliance_areas.parquet": parquet_writer(result.areas),
        "profiles.csv": csv_writer(plan.profiles.set_index("profile")),
        "completeness.csv": csv_writer(plan.completeness),
        "gaps.csv": csv_writer(plan.gaps.table),
        "gaps.parquet": parquet_writer(plan.gaps.clusters),
        "supply.csv": csv_writer(plan.supply.areas.set_index("area")),
        "supply_facilities.csv": csv_writer(plan.supply.facilities_table()),
        "supply_residences.parquet": parquet_writer(plan.supply.residences),
    }
    if plan.siting is not None:
        sites = plan.siting.sites
        table = pd.DataFrame(sites.drop(columns="geometry")).assign(
            lon=sites.geometry.x.map("{:.6f}".format),
            lat=sites.geometry.y.map("{:.6f}".format),
        )
        writers["siting.csv"] = csv_writer(table.set_index("rank"))
        writers["siting.parquet"] = parquet_writer(sites)
    if plan.whatif is not None:
        writers["whatif.csv"] = csv_writer(plan.whatif.summary)
        writers["whatif.parquet"] = parquet_writer(plan.whatif.residences)
    writers["plan_map.html"] = text_writer(plan_map(study, plan))
    writers["plan_summary.json"] = json_writer(plan_summary(study, plan))
    written = write_atomically(out_dir, writers)
    return written, plan_text(study, plan)


def write_report(out_dir: str | Path) -> list[Path]:
    """Write ``report.html`` and ``report.pdf`` (中文 / English) into a plan's output folder.

    See :func:`yushu_circle.render.report.report_documents`.

    Returns
    -------
    list of Path
        The two files.
    """
    from yushu_circle.render.report import report_documents

    return write_atomically(out_dir, report_documents(out_dir))


def rebuild_maps(
    out_dir: str | Path,
    png: bool = False,
    category: str | None = None,
    tianditu_key: str | None = None,
    isochrone_budget_bytes: int | None = None,
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
    isochrone_budget_bytes : int, optional
        Cap on the embedded isochrone data (default: the map's own).

    Returns
    -------
    list of Path
        The files written.
    """
    from yushu_circle.render.outputs import read_outputs, rebuilt_map
    from yushu_circle.render.png import png_writers

    parts = read_outputs(out_dir)
    budget = (
        {} if isochrone_budget_bytes is None else {"isochrone_budget_bytes": isochrone_budget_bytes}
    )
    html = rebuilt_map(parts, category=category, tianditu_key=tianditu_key, **budget)
    written = write_atomically(out_dir, {"map.html": text_writer(html)})
    if png:
        _check_not_linked(Path(out_dir), "png")  # no PNG written through a link out of OUT
        writers = png_writers(
            parts["residences"], parts["facilities"], parts["meta"], parts["edges"]
        )
        written += write_atomically(Path(out_dir) / "png", writers)
    return written
