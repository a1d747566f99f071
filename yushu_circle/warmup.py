"""A first run's isochrone kernels, compiled in two processes at once.

On a first run numba compiles the isochrone kernels, which costs about as much CPU as a
whole warm run. They come in two parts (:data:`~yushu_circle.isochrones.KERNEL_STAGES`): the
bounded search and the outlines. The command line calls :func:`start` before it loads the
data: a child process (forked on Linux, so it shares this process's imports; a new
interpreter elsewhere) runs the outline part on a tiny built-in grid, which compiles exactly
the kernels (and type signatures) a study's outlines use and saves them in numba's disk
cache, while the parent loads, snaps and computes walk minutes. Before its own isochrones
the parent compiles the search part itself (:meth:`Warmup.finish`; it calls the walk
kernels the parent has compiled by then), waits for the child, and then loads the outline
kernels from the cache instead of compiling them a second time.

A marker file in the kernel cache folder records a finished warm-up for these kernel sources
(their paths, sizes and modification times — what numba's own cache checks), this numba and
this Python: later runs start no child. A child that fails costs nothing but time: the
parent compiles in-line as it would have anyway.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path

from yushu_circle import _core
from yushu_circle.errors import raise_if_stopped

DISABLE_ENV = "YUSHU_NO_WARMUP"
"""Set to ``1`` to compile in-line, in one process (e.g. on a one-core machine)."""

_GRID = 6  # nodes per side of the warm-up grid: ~90 m blocks, partly and fully reached edges


@dataclass
class Warmup:
    """A running (or finished) warm-up child; :meth:`finish` before the first isochrones."""

    process: subprocess.Popen[bytes] | _Forked | None
    marker: Path
    started: float

    def finish(self, progress: bool = False) -> float:
        """Compile the search kernels here, then wait for the child's outline kernels.

        Parameters
        ----------
        progress : bool
            While waiting, show the seconds since the child started against its usual time.

        Returns
        -------
        float
            The seconds this took (0 once it has finished).
        """
        if self.process is None:
            return 0.0
        start = time.perf_counter()
        compile_isochrone_kernels(("search",))
        from tqdm.auto import tqdm

        usual = float(_core.COMPILE_SECONDS["warmup"])
        with tqdm(
            total=usual,
            desc="compiling 编译",
            bar_format="{desc}: {n:.0f} of ~{total:.0f} s |{bar}|",
            disable=not progress,
        ) as bar:
            while True:
                try:
                    code = self.process.wait(timeout=0.5)
                    break
                except subprocess.TimeoutExpired:
                    raise_if_stopped()
                    bar.n = min(usual, time.perf_counter() - self.started)
                    bar.refresh()
        if code == 0:
            _write_marker(self.marker)
        self.process = None
        return time.perf_counter() - start

    def stop(self) -> None:
        """End the child without waiting (the run failed or was interrupted)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None


def start() -> Warmup | None:
    """Start compiling the isochrone kernels in a child process, when not done before.

    Returns
    -------
    Warmup or None
        The running child; None when this installation's kernels were compiled before,
        warm-ups are disabled (``YUSHU_NO_WARMUP=1``) or there is no kernel cache to fill.
    """
    if _core.cache_problem() is not None:
        return None
    marker = _marker()
    if os.environ.get(DISABLE_ENV, "") == "1" or marker.exists():
        return None
    # The child inherits NUMBA_CACHE_DIR (set when _core was imported), so it fills the
    # cache this process reads.
    process = _forked() if _FORK else _spawned()
    return Warmup(process, marker, time.perf_counter())


_FORK = sys.platform == "linux"
"""Fork the child where forking is the platform's own way (Linux): it then shares this
process's imports (numba, numpy, shapely, the kernel modules: ~0.5 CPU-s a spawned child
spends first, CPU a busy machine does not have) and its very module objects, so it compiles
exactly the files this process runs. Elsewhere (macOS, Windows) a new interpreter starts."""


def _forked() -> _Forked:
    import multiprocessing
    import warnings

    # What the child needs, imported here once: this process needs it for its own
    # isochrones anyway.
    import yushu_circle.isochrones
    import yushu_circle.network  # noqa: F401
    from yushu_circle._core.jit import load_compiler

    load_compiler()

    child = multiprocessing.get_context("fork").Process(
        target=_forked_child, name="yushu-circle warm-up", daemon=True
    )
    with warnings.catch_warnings():
        # Python 3.12+ warns of forking a process with threads: numpy's BLAS and pyarrow
        # start idle ones at import. The child runs no code of theirs: it compiles and exits.
        warnings.simplefilter("ignore", DeprecationWarning)
        child.start()
    return _Forked(child)


def _forked_child() -> None:
    import signal

    # Quiet, and stopped by a stop signal at once (the parent's handlers only set a flag).
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    compile_isochrone_kernels(("outline",))


def _spawned() -> subprocess.Popen[bytes]:
    # It must compile this very package's files: numba keys its cache by the source file's
    # path, and ``python -m`` would put the working folder first on sys.path, where a
    # checkout (the Quick start runs from one beside `pip install .`) shadows the installed
    # package — the child then compiled the checkout's kernels and this process compiled
    # its own all over again.
    return subprocess.Popen(
        [sys.executable, "-P", "-c", _CHILD, str(Path(__file__).resolve().parents[1])],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


class _Forked:
    """A forked :class:`multiprocessing.Process` behind :class:`subprocess.Popen`'s
    ``wait``/``poll``/``kill``, the calls :class:`Warmup` makes."""

    def __init__(self, process: BaseProcess) -> None:
        self._process = process

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        code = self._process.exitcode
        if code is None:
            raise subprocess.TimeoutExpired("yushu-circle warm-up", timeout or 0.0)
        return int(code)

    def poll(self) -> int | None:
        code = self._process.exitcode
        return None if code is None else int(code)

    def kill(self) -> None:
        self._process.kill()


_CHILD = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from yushu_circle.warmup import compile_isochrone_kernels; "
    "compile_isochrone_kernels(('outline',))"
)
"""The spawned child's program: this package's folder first on its path, then the tiny
grid's outlines (``-P``: the working folder is not on the path at all)."""


def compile_isochrone_kernels(stages: Sequence[str] | None = None) -> None:
    """Run these parts of the isochrone kernels on a tiny grid, compiling them.

    Parameters
    ----------
    stages : sequence of str
        Of :data:`~yushu_circle.isochrones.KERNEL_STAGES` (None: all).
    """
    import numpy as np

    from yushu_circle.isochrones import KERNEL_STAGES, run_kernel_stage
    from yushu_circle.network import WalkNetwork

    step = 0.0008  # degrees: ~75–90 m at Yushu's latitude
    i, j = np.divmod(np.arange(_GRID * _GRID), _GRID)
    lon, lat = 97.0 + j * step, 33.0 + i * step
    right = np.flatnonzero(j < _GRID - 1)
    up = np.flatnonzero(i < _GRID - 1)
    u = np.concatenate([right, up])
    v = np.concatenate([right + 1, up + _GRID])
    # Each edge with a middle vertex, as most OSM ways have some.
    edge_lon = np.stack([lon[u], (lon[u] + lon[v]) / 2, lon[v]], axis=1).ravel()
    edge_lat = np.stack([lat[u], (lat[u] + lat[v]) / 2 + step / 20, lat[v]], axis=1).ravel()
    network = WalkNetwork.from_arrays(
        lon, lat, u, v, edge_lon, edge_lat, np.arange(0, 3 * len(u) + 1, 3)
    )
    x, y = network.to_projected(
        np.array([97.0011, 97.0023, 97.0]), np.array([33.0013, 33.0, 33.02])
    )
    origins = network.snap(x, y)
    for stage in KERNEL_STAGES if stages is None else stages:
        run_kernel_stage(network, origins, stage)


def _marker() -> Path:
    stamp = hashlib.sha256()
    import numba

    stamp.update(f"{sys.version}|{numba.__version__}".encode())
    for path in sorted(Path(_core.__file__).parent.glob("*.py")):
        info = path.stat()
        stamp.update(f"|{path.resolve()}|{info.st_size}|{info.st_mtime_ns}".encode())
    return _core.cache_dir() / f"isochrone-kernels-{stamp.hexdigest()[:16]}.done"


def _write_marker(marker: Path) -> None:
    # A read-only cache only means the next run warms up again.
    with contextlib.suppress(OSError):
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("isochrone kernels compiled\n", encoding="utf-8")


if __name__ == "__main__":
    compile_isochrone_kernels()
