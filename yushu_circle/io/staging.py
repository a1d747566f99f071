"""Atomic output files: a run never leaves a half-written file where a good one stood.

Staged writes moved into place together, one background writer thread, and the writers of
Parquet, GeoParquet, GeoPackage, CSV (Excel-safe), JSON and text. :mod:`yushu_circle.io`
uses them for the output folders and re-exports them.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import queue
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
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
_FAILED_WAIT_S = 2.0
"""How long a failed run waits for the file the background writer is in (a stuck writer
does not hold the error back longer)."""


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
        self._cancelled = threading.Event()
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
        if (self._out / name).is_dir():
            raise OutputError(
                f"{self._out / name} is a folder, where yushu-circle writes its file {name}",
                "move or rename that folder, or choose another output folder",
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
            if self._cancelled.is_set():  # stopped while this file was written: tidy up
                remove_staging(self._staging)
                return

    def _failed(self, exc: OSError) -> OutputError:
        where = f"{self._out / Path(exc.filename).name}" if exc.filename else str(self._out)
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
        return OutputError(
            f"writing {where} failed ({exc.strerror or exc})",
            ("free disk space or choose another output folder" if full else "check that folder")
            + "; earlier outputs were left intact",
        )

    def _finish(self, owns: Iterable[str] = ()) -> None:
        """Move the staged files into place, and what this kind of run owns but did not
        write this time out of the way, as one step: when a move fails, every earlier file
        is put back, byte for byte, and the message names the file that failed."""
        try:
            for pending in self._pending:
                pending.result()  # the first failure, in the order the files were started
        except OSError as exc:
            raise self._failed(exc) from None
        earlier = self._staging / _EARLIER
        earlier.mkdir()
        done: list[tuple[str, bool]] = []  # (name, an earlier one was kept aside)
        stale = [n for n in dict.fromkeys(owns) if n not in self._names and _present(self._out / n)]
        name = ""
        try:
            for name in self._names:
                final = self._out / name
                done.append((name, _keep_aside(final, earlier / name)))
                os.replace(self._staging / name, final)
            for name in stale:  # the earlier run's, which this one does not write
                os.replace(self._out / name, earlier / name)
                done.append((name, True))
        except OSError as exc:
            unrestored = _put_back(self._out, earlier, done)
            problem = f"moving {self._out / name} into place failed ({exc.strerror or exc})"
            raise OutputError(
                problem
                + (
                    f"; these could not be put back: {', '.join(unrestored)}"
                    if unrestored
                    else "; every earlier output was put back as it was"
                ),
                "check that folder (free disk space, permissions) and run again",
            ) from None
        self.written = [self._out / n for n in self._names]

    def _stop(self, cancel: bool, wait: float = math.inf) -> None:
        """End the background writer: after its files (``cancel=False``), or at once,
        dropping those not begun and waiting at most ``wait`` seconds for the file it is in
        (a failed run gives it a moment, so its staging folder goes whole; a stop signal
        none). A writer still in its file removes the staging folder itself when done; a
        stop signal ends any wait."""
        if self._background is None:
            return
        self._jobs.put(None)
        if cancel:
            self._cancelled.set()
            for pending in self._pending:
                pending.cancel()  # those not yet begun
        give_up = time.monotonic() + wait
        while self._background.is_alive() and time.monotonic() < give_up:
            self._background.join(min(_STOP_POLL_SECONDS, wait))
            raise_if_stopped()


@contextmanager
def staged_writes(out_dir: str | Path, owns: Iterable[str] = ()) -> Iterator[StagedWrites]:
    """Write several files so that each appears whole or not at all.

    Every file is first written into a hidden staging folder inside ``out_dir``; only
    when the ``with`` block ends and all are written are they moved into place with
    ``os.replace`` (atomic on one file system), together with removing what ``owns``
    names but this run did not write (an earlier run's ``isochrones.parquet`` after a
    ``--no-isochrones`` run), so the folder holds one run. If anything fails, nothing in
    ``out_dir`` changes (a failure while moving puts every earlier file back), and a
    folder this call created is removed again.

    Parameters
    ----------
    out_dir : str or Path
        The output folder.
    owns : iterable of str
        The files (and folders) of ``out_dir`` this kind of run owns: those not written
        this time are removed with the rest of the step.

    Yields
    ------
    StagedWrites
        ``write(name, writer)`` / ``start(name, writer)``; ``written`` lists the files
        once the block has ended.
    """
    created = not Path(out_dir).exists()
    out = prepare_out_dir(out_dir)
    _remove_stale_staging(out)
    staging = make_staging(out)
    stage = StagedWrites(out, staging)
    finished = False
    try:
        try:
            yield stage
        except BaseException as exc:
            # A failure waits a moment for the file being written, so the staging folder
            # goes whole; a stop signal does not wait (the writer tidies up after itself).
            stopped = isinstance(exc, KeyboardInterrupt)
            stage._stop(cancel=True, wait=0 if stopped else _FAILED_WAIT_S)
            raise
        stage._stop(cancel=False)
        stage._finish(owns)
        finished = True
    finally:
        remove_staging(staging)
        if created and not finished:
            with contextlib.suppress(OSError):  # not empty: files were moved in; keep them
                out.rmdir()  # the folder this call made, for outputs that never came


def write_atomically(
    out_dir: str | Path, writers: Mapping[str, Writer], owns: Iterable[str] = ()
) -> list[Path]:
    """Write several files at once so that each appears whole or not at all.

    :func:`staged_writes` with every file written in turn.

    Parameters
    ----------
    out_dir : str or Path
        The output folder.
    writers : mapping of str to callable
        File name → function writing that file to the path it is given.
    owns : iterable of str
        What this kind of run owns in the folder (see :func:`staged_writes`).

    Returns
    -------
    list of Path
        The written files.
    """
    with staged_writes(out_dir, owns) as stage:
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
"""A staging folder of this tool older than this, whose process is gone, was left by a killed
run and is removed."""
STAGING_MARKER = ".yushu-staging"
"""The file inside every staging folder this tool makes: who made it (tool, host, process)."""
_EARLIER = ".earlier"
"""Inside a staging folder: the earlier outputs a run replaces or removes, until it is done."""


def make_staging(out: Path, prefix: str = ".staging-") -> Path:
    """A new staging folder in ``out``, with the marker that proves this tool made it.

    Only folders carrying the marker are ever swept (:func:`is_stale_staging`); a folder
    the user named ``.staging-thesis`` is theirs and is kept.
    """
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=out))
    marker = {
        "tool": "yushu-circle",
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "created": time.time(),
    }
    (folder / STAGING_MARKER).write_text(json.dumps(marker), encoding="utf-8")
    return folder


def made_here(folder: Path) -> dict[str, Any] | None:
    """The marker of a staging folder this tool made, or None (not ours, or unreadable)."""
    try:
        marker = json.loads((folder / STAGING_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("tool") != "yushu-circle":
        return None
    return marker


def is_stale_staging(folder: Path, now: float | None = None) -> bool:
    """Whether a staging folder is this tool's, left by a run that is gone: its marker is
    older than :data:`STALE_STAGING_S` and its process no longer runs on this host."""
    marker = made_here(folder)
    if marker is None:
        return False
    created = marker.get("created")
    made = created if isinstance(created, int | float) else 0.0
    if (time.time() if now is None else now) - made <= STALE_STAGING_S:
        return False
    pid = marker.get("pid")
    running = marker.get("host") == socket.gethostname() and isinstance(pid, int) and _alive(pid)
    return not running  # a long run still going keeps its folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, as another user's process
        return True
    return True


def _remove_stale_staging(out: Path) -> None:
    for folder in out.glob(".staging-*"):
        try:
            if folder.is_dir() and not folder.is_symlink() and is_stale_staging(folder):
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def remove_staging(folder: Path) -> None:
    """Remove a staging folder; its marker goes last, and stays when a file the background
    writer is still in keeps the folder (the writer, or a later sweep, removes it)."""
    try:
        entries = [entry for entry in folder.iterdir() if entry.name != STAGING_MARKER]
    except OSError:
        return  # already gone
    for entry in entries:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        if [entry.name for entry in folder.iterdir()] == [STAGING_MARKER]:
            (folder / STAGING_MARKER).unlink()
        folder.rmdir()


def _present(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _keep_aside(final: Path, aside: Path) -> bool:
    """Keep the earlier ``final`` (if any) at ``aside`` while it stays in place: a hard link,
    else a copy. Whether there was one."""
    if not final.is_file():
        return False
    try:
        os.link(final, aside)
    except OSError:  # no hard links on this file system
        shutil.copy2(final, aside)
    return True


def _put_back(out: Path, earlier: Path, done: list[tuple[str, bool]]) -> list[str]:
    """Undo the moves of :meth:`StagedWrites._finish`, last first; the names that could not
    be put back."""
    failed = []
    for name, kept in reversed(done):
        try:
            if kept:
                os.replace(earlier / name, out / name)
            else:
                (out / name).unlink(missing_ok=True)  # new in this run: there was none
        except OSError:
            failed.append(name)
    return failed
