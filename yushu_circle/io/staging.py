"""Atomic output files: a run never leaves a half-written file where a good one stood.

Staged writes moved into place together, one background writer thread, and the writers of
Parquet, GeoParquet, GeoPackage, CSV (Excel-safe), JSON and text. :mod:`yushu_circle.io`
uses them for the output folders and re-exports them.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from yushu_circle.errors import InputError, OutputError, raise_if_stopped
from yushu_circle.geoparquet import write_wgs84_parquet

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
        check_not_linked(self._out, name)
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


def check_not_linked(out: Path, name: str) -> None:
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
