"""Many study areas at once: one study per area on Dask distributed, resumable, with retries.

The AREAS file and its rows (:class:`Area`, :func:`read_areas`) and the settings every area
shares (:class:`StudySettings`) live in :mod:`yushu_circle.batch_areas`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import signal
import threading
import time
import uuid
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from yushu_circle.batch_areas import Area, StudySettings, read_areas
from yushu_circle.errors import InputError, YushuError, clip_text
from yushu_circle.options import DEFAULT_RETRIES, DEFAULT_WORKERS, RETRIES, WORKERS
from yushu_circle.results.files import StudyFile

__all__ = [
    "Area",
    "BatchResult",
    "StudySettings",
    "format_batch_report",
    "read_areas",
    "run_area",
    "run_batch",
]

DONE_MARKER = "_DONE"
STATUS_FILE = "batch_status.csv"
COMBINED_FILE = "combined_summary.csv"
_SUMMARY_FILES = (StudyFile.SUMMARY_CSV, StudyFile.SUMMARY_JSON)
"""An area's files that must still be there for it to count as done."""
SCHEDULER_TIMEOUT_S = 10.0  # to connect to a --scheduler; then up to 6× this for a worker
_TRACKER_QUIET = "ignore::UserWarning:multiprocessing.resource_tracker"


@dataclasses.dataclass(frozen=True)
class _Job:
    """What every area's task shares: the output folder and the study settings."""

    out_dir: str
    settings: StudySettings
    gpkg: bool
    settings_spec: dict[str, Any]


@dataclasses.dataclass
class BatchResult:
    """The outcome of :func:`run_batch`.

    Attributes
    ----------
    status : pandas.DataFrame
        One row per area, in the AREAS file's order: ``area_id``, ``code`` (its division
        code, ``""`` when the AREAS file gives none), ``status`` (``ok`` or ``failed``),
        ``resumed`` (True when done by an earlier run and skipped), ``seconds``,
        ``source``, ``error`` (one line, empty when ok).
    combined : pandas.DataFrame
        Every ok area's ``summary.csv`` stacked: ``area_id``, ``code``, ``category`` and
        the summary columns.
    out_dir : Path
        The batch output folder.
    """

    status: pd.DataFrame
    combined: pd.DataFrame
    out_dir: Path

    @property
    def failed(self) -> list[str]:
        """Ids of the areas that failed."""
        return [str(a) for a in self.status.loc[self.status["status"] != "ok", "area_id"]]


# --- running ----------------------------------------------------------------------------


def run_batch(
    areas: Sequence[Area],
    out_dir: str | Path,
    settings: StudySettings | None = None,
    scheduler: str | None = None,
    workers: int = DEFAULT_WORKERS,
    retries: int = DEFAULT_RETRIES,
    force: bool = False,
    gpkg: bool = False,
    progress: bool = True,
) -> BatchResult:
    """Run one study per area in parallel on Dask distributed and write every output.

    Each area's outputs go to ``out_dir/<area_id>/`` (the ``run`` output contract, written
    atomically), followed by a ``_DONE`` marker recording the area's source and the
    settings. Then ``out_dir/combined_summary.csv`` (every ok area's summary) and
    ``out_dir/batch_status.csv`` (ok/failed and a one-line error per area) are written.

    Resuming: an area whose ``_DONE`` marker matches its current source and settings is
    skipped (``force=True`` recomputes it). Retries: an area that fails with a
    :class:`~yushu_circle.errors.YushuError` — bad input, no streets, Overpass still
    failing after its own retries — fails at once, since running it again gives the same
    answer; any other error (a crash, a lost worker) is retried up to ``retries`` times
    by Dask. One failing area never stops the others.

    Parameters
    ----------
    areas : sequence of Area
        From :func:`read_areas`.
    out_dir : str or Path
        The batch output folder. With ``scheduler``, the workers must see it (and the
        areas' files) at the same paths.
    settings : StudySettings, optional
        What every area's :class:`~yushu_circle.study.Study` is built with (catalog,
        residences, facilities, speed, snap limit, datum); default: the defaults.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); default: a local
        cluster of ``workers`` processes with one thread each, on 127.0.0.1.
    workers : int
        Worker processes of the local cluster.
    retries : int
        Extra attempts for an area that fails with an unexpected error.
    force : bool
        Recompute areas already done.
    gpkg : bool
        Also write GeoPackage files per area.
    progress : bool
        Show a progress bar over finished areas.

    Returns
    -------
    BatchResult

    Raises
    ------
    InputError
        When ``areas`` is empty or has duplicate ids, or ``workers``/``retries`` are out
        of range, or the scheduler cannot be reached.
    """
    from yushu_circle.io import csv_writer, prepare_out_dir, write_atomically

    ids = [a.area_id for a in areas]
    if not ids:
        raise InputError("no areas to run", "list at least one area in the AREAS file")
    if len({i.casefold() for i in ids}) != len(ids):
        raise InputError(f"duplicate area ids in {ids}", "give every area its own id")
    workers = int(WORKERS.check(workers))
    retries = int(RETRIES.check(retries))
    # Each area's servers are resolved here, in the process that starts the batch: the
    # workers (fresh processes) ask the same servers and share the same answer cache.
    from yushu_circle.osm import _osmnx  # osmnx loads when a batch starts, not on import

    areas = [
        dataclasses.replace(a, source=a.source.with_servers(_osmnx.resolved(a.source.servers)))
        for a in areas
    ]
    created = not Path(out_dir).exists()
    out = prepare_out_dir(out_dir).resolve()
    job = _make_job(out, settings or StudySettings(), gpkg)
    rows: dict[str, dict[str, Any]] = {}
    todo = []
    for area in areas:
        if not force and _is_done(out / area.area_id, _fingerprint(area, job)):
            rows[area.area_id] = _row(area, "ok", resumed=True)
        else:
            todo.append(area)
    staging = _staging_folders(out, todo)
    existed = {area.area_id for area in todo if (out / area.area_id).exists()}
    try:
        try:
            if todo:
                rows.update(_run_on_dask(todo, job, scheduler, workers, retries, progress))
        finally:
            if scheduler is None:  # the local workers are gone; a remote one may still write
                _remove_leftovers(out, todo, staging, existed)
    except BaseException:
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()  # a batch that could not start leaves no empty output folder behind
        raise
    status = pd.DataFrame([rows[i] for i in ids])
    codes = {a.area_id: a.code or "" for a in areas}
    combined = _combined_summary(out, [i for i in ids if rows[i]["status"] == "ok"], codes)
    write_atomically(
        out,
        {
            COMBINED_FILE: csv_writer(combined.set_index(["area_id", "category"])),
            # Each area's seconds stay in the terminal's table: a file holding them would
            # differ from run to run.
            STATUS_FILE: csv_writer(status.drop(columns="seconds").set_index("area_id")),
        },
    )
    return BatchResult(status, combined, out)


def _staging_folders(out: Path, areas: Sequence[Area]) -> set[Path]:
    """The staging folders this tool made inside the areas' output folders (their marker
    says so: a user's ``.staging-thesis`` is not one)."""
    from yushu_circle.io.staging import made_here

    found = (path for area in areas for path in (out / area.area_id).glob(".staging-*"))
    return {path for path in found if made_here(path) is not None}


def _remove_leftovers(
    out: Path, areas: Sequence[Area], staging: set[Path], existed: set[str]
) -> None:
    """What workers stopped mid-write (Ctrl-C, SIGTERM, a crash) could not tidy up: the
    staging folders this batch made, then the area folders it made that stayed empty."""
    for folder in _staging_folders(out, areas) - staging:
        shutil.rmtree(folder, ignore_errors=True)
    for area in areas:
        folder = out / area.area_id
        if area.area_id not in existed and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _make_job(out: Path, settings: StudySettings, gpkg: bool) -> _Job:
    spec = {"study": _jsonable(settings), "gpkg": gpkg}
    return _Job(str(out), settings, gpkg, spec)


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value.resolve())
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def _fingerprint(area: Area, job: _Job) -> dict[str, Any]:
    """What an area's outputs depend on; a done area whose fingerprint changed runs again."""
    # The servers an area is read from are not what its outputs depend on.
    source = {k: v for k, v in _jsonable(area.source).items() if k != "servers"}
    area_spec: dict[str, Any] = {
        "area_id": area.area_id,
        "source": source,
        "residences": area.residences,
    }
    if area.population_total is not None:
        area_spec["population_total"] = area.population_total
    return {"area": area_spec, "settings": job.settings_spec}


def _is_done(folder: Path, fingerprint: dict[str, Any]) -> bool:
    """Whether the area's marker matches and its summary files are still there, whole (a
    damaged one is computed again)."""
    from yushu_circle.io import read_output_file

    if not all((folder / name).is_file() for name in _SUMMARY_FILES):
        return False
    marker = folder / DONE_MARKER
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
        for name in _SUMMARY_FILES:
            read_output_file(folder, name, "")
    except (OSError, ValueError, InputError):
        return False
    return isinstance(recorded, dict) and recorded.get("fingerprint") == _jsonable(fingerprint)


def _row(
    area: Area, status: str, resumed: bool = False, seconds: float = 0.0, error: str = ""
) -> dict[str, Any]:
    return {
        "area_id": area.area_id,
        "code": area.code or "",
        "status": status,
        "resumed": resumed,
        "seconds": round(seconds, 2),
        "source": area.source.description,
        "error": error,
    }


@contextmanager
def _client(scheduler: str | None, workers: int, out_dir: Path) -> Iterator[Any]:
    """A Dask client on the given scheduler, or on a local cluster closed afterwards."""
    import dask
    from distributed import Client, LocalCluster

    from yushu_circle.io.staging import make_staging

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT_S}s")
        except ValueError as exc:  # no port, an unknown protocol
            raise InputError(
                f"--scheduler {clip_text(repr(scheduler))} is not a Dask scheduler address "
                f"({clip_text(str(exc), 120)})",
                "write it as tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786",
            ) from None
        except (OSError, TimeoutError) as exc:
            raise InputError(
                f"cannot reach the Dask scheduler at {scheduler} ({type(exc).__name__})",
                "start it with `dask scheduler` (and `dask worker ADDRESS`), "
                "or leave out --scheduler to run on a local cluster",
            ) from None
        try:
            try:
                client.wait_for_workers(1, timeout=6 * SCHEDULER_TIMEOUT_S)
            except TimeoutError:
                raise InputError(
                    f"the Dask scheduler at {scheduler} has no workers",
                    "start workers with `dask worker ADDRESS`",
                ) from None
            yield client
        finally:
            client.close()
        return
    # Dask's scratch space (lock files, spilled data) in a staging folder of this batch,
    # removed with the cluster; not dask-scratch-space/ in the user's TMPDIR.
    scratch = make_staging(out_dir, ".staging-dask-")
    # Quiet until the cluster is closed, not only while it runs (silence_logs below): the
    # scheduler logs a worker that dies on the way out (SIGTERM to the whole process group)
    # with a traceback, after LocalCluster has put its logging level back.
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] == "distributed"]
    loggers = [logging.getLogger(n) for n in ["distributed", *names]]
    levels = [logger.level for logger in loggers]  # some have their own (distributed.client)
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        with dask.config.set({"temporary-directory": str(scratch)}), _quiet_workers():
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=logging.CRITICAL,  # failures are reported in the status table
            )
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
        shutil.rmtree(scratch, ignore_errors=True)


@contextmanager
def _quiet_workers() -> Iterator[None]:
    """Worker processes started inside ignore SIGINT and SIGHUP and log nothing (both
    inherited when spawned: signal dispositions and the environment).

    Ctrl-C in a terminal, and the hang-up of a closed one, reach every process of the
    foreground group: each worker would print its own KeyboardInterrupt traceback. Only
    this process is stopped by them; it closes the cluster, which ends its workers. A
    Ctrl-C in the second or two the workers take to start is ignored too. A worker's own
    failures are reported in the status table, so its log stays quiet
    (``DASK_LOGGING__DISTRIBUTED``), on its way out too.

    multiprocessing's resource tracker, started with the first worker, reports the
    semaphores of a cluster stopped mid-way as "leaked" (and removes them): the report is
    kept quiet, the one-line message stays the only one.
    """
    warnings_now = os.environ.get("PYTHONWARNINGS")
    quiet = {
        "PYTHONWARNINGS": ",".join(filter(None, [warnings_now, _TRACKER_QUIET])),
        "DASK_LOGGING__DISTRIBUTED": "critical",
    }
    saved = {name: os.environ.get(name) for name in quiet}
    os.environ.update(quiet)
    names = ("SIGINT", "SIGHUP") if threading.current_thread() is threading.main_thread() else ()
    previous = {
        signum: signal.signal(signum, signal.SIG_IGN)
        for signum in (getattr(signal, n) for n in names if hasattr(signal, n))
    }
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _run_on_dask(
    areas: Sequence[Area],
    job: _Job,
    scheduler: str | None,
    workers: int,
    retries: int,
    progress: bool,
) -> dict[str, dict[str, Any]]:
    from distributed import as_completed
    from tqdm.auto import tqdm

    rows: dict[str, dict[str, Any]] = {}
    token = uuid.uuid4().hex[:8]  # unique task keys: two batches may share a scheduler
    with _client(scheduler, workers, Path(job.out_dir)) as client:
        futures = {
            client.submit(
                run_area, area, job, retries=retries, key=f"area-{area.area_id}-{token}"
            ): area
            for area in areas
        }
        bar = tqdm(
            total=len(futures), desc="areas 区域", unit="area", disable=not progress, leave=True
        )
        try:
            for future in as_completed(futures):
                area = futures[future]
                if future.status == "finished":
                    rows[area.area_id] = future.result()
                else:
                    rows[area.area_id] = _row(area, "failed", error=_task_error(future, retries))
                bar.update(1)
                bar.set_postfix_str(f"{area.area_id}: {rows[area.area_id]['status']}")
        finally:
            bar.close()
    return rows


def _task_error(future: Any, retries: int) -> str:
    """One line saying why a task failed after its retries (or was cancelled)."""
    if future.status != "error":
        return f"task {future.status} (the scheduler or its workers went away)"
    exc = future.exception()
    problem = " ".join(str(exc).split()) or "no message"
    return f"{type(exc).__name__}: {problem} (after {retries} retries)"


def run_area(area: Area, job: _Job) -> dict[str, Any]:
    """Run and write one area's study; the task each Dask worker runs.

    A :class:`~yushu_circle.errors.YushuError` is returned as a failed row instead of
    raised, so Dask does not retry what would fail the same way again; any other error
    is raised and retried.

    Parameters
    ----------
    area : Area
    job : _Job
        The batch's shared settings.

    Returns
    -------
    dict
        The area's status row.
    """
    from yushu_circle.io import json_writer, write_atomically
    from yushu_circle.outputs import write_study

    start = time.perf_counter()
    folder = Path(job.out_dir) / area.area_id
    (folder / DONE_MARKER).unlink(missing_ok=True)
    try:
        _check_area_files(area)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            study = _study_for(area, job.settings)
            write_study(study, folder, job.gpkg)
    except YushuError as exc:
        where = f"{area.origin} ({area.area_id})" if area.origin else f"area {area.area_id}"
        message = exc.message if exc.message.startswith(where) else f"{where}: {exc.message}"
        return _row(area, "failed", seconds=time.perf_counter() - start, error=message)
    seconds = time.perf_counter() - start
    marker = {
        "fingerprint": _jsonable(_fingerprint(area, job)),
        "seconds": round(seconds, 2),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    write_atomically(folder, {DONE_MARKER: json_writer(marker)})
    return _row(area, "ok", seconds=seconds)


def _check_area_files(area: Area) -> None:
    """Missing files named by the AREAS column they came from (not by a CLI option)."""
    where = f"{area.origin} ({area.area_id})" if area.origin else f"area {area.area_id}"
    path = area.source.path
    if path is not None and not path.is_file():
        raise InputError(
            f"{where}, column osm_file: OSM file {path} does not exist",
            "correct the osm_file column (a path relative to the AREAS file's folder)",
        )
    if area.residences is not None and not Path(area.residences).is_file():
        raise InputError(
            f"{where}, column residences: residences file {area.residences} does not exist",
            "correct the residences column (a path relative to the AREAS file's folder)",
        )


def _study_for(area: Area, settings: StudySettings) -> Any:
    from yushu_circle.study import Study

    kwargs = settings.study_kwargs(progress=False)
    if area.residences is not None:
        kwargs["residences"] = area.residences
    if area.population_total is not None:
        kwargs["population_total"] = area.population_total
    return Study.from_source(area.source, **kwargs)


def _combined_summary(out: Path, area_ids: Sequence[str], codes: dict[str, str]) -> pd.DataFrame:
    from yushu_circle.io import read_output_file

    parts = []
    for area_id in area_ids:
        fix = "run the batch again with --force"
        summary = read_output_file(out / area_id, StudyFile.SUMMARY_CSV, fix).reset_index()
        parts.append(summary.assign(area_id=area_id, code=codes.get(area_id, "")))
    if not parts:
        return pd.DataFrame(columns=["area_id", "code", "category"])
    combined = pd.concat(parts, ignore_index=True)
    first = ["area_id", "code", "category"]
    return combined[first + [c for c in combined.columns if c not in first]]


# --- reporting --------------------------------------------------------------------------


def format_batch_report(result: BatchResult) -> str:
    """The status table and, per category, the share of population within its level.

    Parameters
    ----------
    result : BatchResult

    Returns
    -------
    str
        Plain text for the terminal (中文 / English).
    """
    status = result.status[["area_id", "status", "resumed", "seconds", "source"]]
    lines = ["Areas 区域:", status.to_string(index=False)]
    errors = result.status.loc[result.status["status"] != "ok", ["area_id", "error"]]
    if not errors.empty:  # whole, one line each: a cut message hides the fix
        lines += ["", "Errors 错误:"] + [f"  {a}: {e}" for a, e in errors.itertuples(index=False)]
    combined = result.combined
    if not combined.empty:
        within = combined.apply(_share_within_level, axis=1)
        table = combined.assign(
            within=within, label=combined["name_zh"] + " " + combined["category"]
        )
        pivot = table.pivot_table(index="label", columns="area_id", values="within", sort=False)
        pivot = pivot[[c for c in result.status["area_id"] if c in pivot.columns]]
        lines += [
            "",
            "Population within each category's level, % 各类设施在其生活圈时间内覆盖人口比例:",
            pivot.map(lambda v: "" if v != v else f"{v * 100:5.1f}").to_string(),
        ]
    failed = result.failed
    lines += [
        "",
        f"{len(result.status) - len(failed)} ok, {len(failed)} failed; "
        f"wrote {result.out_dir / COMBINED_FILE} and {result.out_dir / STATUS_FILE}",
    ]
    return "\n".join(lines)


def _share_within_level(row: pd.Series) -> float:
    try:
        column = f"share_pop_{float(row['level_min']):g}min"
    except (TypeError, ValueError):
        return float("nan")
    return float(row[column]) if column in row else float("nan")
