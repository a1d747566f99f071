"""The routing core: every compiled (numba) kernel — heap, searches, the edge-end → point rule.

Importing this package (which every kernel module does first, being inside it) points
numba's on-disk cache at a per-user folder *before* any kernel is decorated (:mod:`.jit`):
numba picks a function's cache folder when it is decorated. Left to itself numba
writes next to the source, i.e. into ``site-packages/yushu_circle/…/__pycache__``, files
``pip uninstall`` does not know about — the leftover folder then shadows a later editable
install as an empty namespace package.

The folder is, in this order: ``$NUMBA_CACHE_DIR`` (numba's own setting, respected when
the user set it), ``$YUSHU_CACHE_DIR/numba``, or the platform's user cache folder
(``~/.cache/yushu_circle/numba`` on Linux). When it cannot be written (a file, a read-only
folder, an unwritable home) the kernels are compiled for the process only
(:func:`cache_problem` says why; :mod:`.jit` compiles every kernel accordingly): no cache is
better than one inside the installed package. :func:`on_first_compile` lets the command line
say once that kernels are being compiled, whichever kernel module compiles.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from yushu_circle._config import CACHE_ENV, user_cache_dir

COMPILE_SECONDS = {
    "kernels": 3,
    "isochrone": 4,
    "isochrones": 4,
    "coverage": 5,
    "warmup": 4,
    "nearest": 4,
}
"""Rough one-off compile time of each kernel module's kernels a demo run needs, seconds,
by the module's last name: cold minus warm step time of ``yushu-circle run`` on the demo on
the 2-CPU build machine (walk minutes 1.8–2.9 s, idle to one busy loop; isochrones compiled
in-line, ``YUSHU_NO_WARMUP=1``, ~4 s); ``warmup``: the warm-up child alongside a first run
(2.8 s idle, ~4.5 s with one busy loop); ``nearest``: the grid nearest-edge search a big
study's snapping compiles (2.9–4.8 s cold, measured on the loaded machine; a demo-sized study
snaps without it); siting not measured."""


def cache_dir() -> Path:
    """The folder holding numba's compiled kernels for this user.

    Returns
    -------
    Path
        ``$NUMBA_CACHE_DIR`` when set, else ``$YUSHU_CACHE_DIR/numba``, else the user cache
        folder of :mod:`platformdirs` plus ``numba``; never inside the installed package.
    """
    numba_dir = os.environ.get("NUMBA_CACHE_DIR", "").strip()
    if numba_dir:
        return Path(numba_dir)
    return user_cache_dir("numba")  # the one user cache folder, as the Overpass answers'


def cache_problem() -> str | None:
    """Why the kernel cache folder cannot be used (None when it can).

    Returns
    -------
    str or None
        E.g. ``"the kernel cache folder /x/numba cannot be written (Not a directory)"``.
    """
    return _problem[0]


def compile_notice(what: str, seconds: int) -> str:
    """The line saying a kind of kernels compiles now, and whether later runs keep them.

    Parameters
    ----------
    what : str
        The kernels (``walk``, ``isochrone``…).
    seconds : int
        Their usual compile time.
    """
    problem = cache_problem()
    if problem is None:
        return (
            f"  compiling {what} kernels once (一次性编译), ~{seconds} s; "
            f"later runs load them from {cache_dir()}"
        )
    line = f"  compiling {what} kernels (编译), ~{seconds} s, for this run only (不缓存)"
    if _problem_told[0]:
        return line
    _problem_told[0] = True  # the reason and the fix once per process
    return f"{line}: {problem} — set {CACHE_ENV} to a writable folder to keep them"


def _unwritable(folder: str) -> str | None:
    # What numba's own check asks of a cache folder: that it can be made and written in.
    try:
        os.makedirs(folder, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as exc:
        return f"the kernel cache folder {folder} cannot be written ({exc.strerror or exc})"
    return None


_problem: list[str | None] = [None]
_problem_told = [False]


def _point_numba_cache() -> None:
    folder = str(cache_dir())
    _problem[0] = _unwritable(folder)
    # The environment variable survives numba's config reloads (the compiler reloads its
    # config from the environment) and reaches worker processes (Dask, process pools).
    os.environ["NUMBA_CACHE_DIR"] = folder
    if "numba" not in sys.modules:
        # LLVM's -O1 instead of -O3: ~20 % less compile time on a first run, and no slower
        # on these kernels (graph searches, not vectorisable loops), measured on the demo.
        # Left alone when the user set it or imported numba first.
        os.environ.setdefault("NUMBA_OPT", "1")
    numba_config = sys.modules.get("numba.core.config")
    if numba_config is not None:  # numba already imported by the caller: set it directly
        numba_config.CACHE_DIR = folder  # type: ignore[attr-defined]


_point_numba_cache()

_listeners: list[Callable[[str], None]] = []
_lock = threading.Lock()
_announced: set[str] = set()
_registered = False


def on_first_compile(callback: Callable[[str], None]) -> None:
    """Call ``callback(module)`` when this process first compiles a kernel of a module.

    Once per kernel module of the package (``yushu_circle._core.kernels``, the isochrone
    kernels, …, including modules added later: the numba ``numba:compile`` event filtered
    on the function's module). Loading a kernel from the disk cache is not compiling, so a
    warm run never calls it.

    Parameters
    ----------
    callback : callable
        Called with the kernel module's name, at most once per module and process.
    """
    global _registered
    with _lock:
        _listeners.append(callback)
        if _registered:
            return
        _registered = True
    from numba.core import event

    class _Listener(event.Listener):
        def on_start(self, ev: Any) -> None:
            dispatcher = (ev.data or {}).get("dispatcher")
            module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
            if not module.startswith("yushu_circle") or module in _announced:
                return
            _announced.add(module)
            for listener in list(_listeners):
                listener(module)

        def on_end(self, ev: Any) -> None:
            return None

    event.register("numba:compile", _Listener())
