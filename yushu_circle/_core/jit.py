"""How every kernel is compiled: numba's ``njit``, its disk cache kept to the kernel cache
folder (never the installed package), and a damaged cache file rebuilt, never fatal.

The only module that touches numba's caching internals (``Dispatcher._cache``,
``FunctionCache``'s index and data files): numba gives no public way to forbid its
fall-back to the source folder or to survive a truncated cache file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numba
from numba.core.caching import FunctionCache, NullCache

from yushu_circle import _core

F = TypeVar("F", bound=Callable[..., Any])


def kernel(**options: Any) -> Callable[[F], F]:
    """``numba.njit(**options)`` for a kernel of this package, cached in
    :func:`~yushu_circle._core.cache_dir` only.

    When that folder cannot be written (:func:`~yushu_circle._core.cache_problem`) the
    kernel is compiled in memory for this process: numba would otherwise fall back to a
    ``__pycache__`` beside the source, inside the installed package.

    Parameters
    ----------
    **options
        numba's ``njit`` options (``nogil``…); ``cache`` is decided here.
    """

    def decorate(function: F) -> F:
        dispatcher = numba.njit(**options)(function)
        if _core.cache_problem() is None:
            dispatcher._cache = _kernel_cache(function)
        return dispatcher  # typed as the function it compiles

    return decorate


def load_compiler() -> None:
    """Load numba's CPU target (its typing and lowering registries) now, as a process's
    first compile would: a process forked afterwards starts with it loaded (~0.15 s)."""
    from numba.core.registry import cpu_target

    cpu_target.target_context.refresh()


def helper(**options: Any) -> Callable[[F], F]:
    """:func:`kernel` for a function only other kernels call: numba builds no Python
    wrapper for it (``no_cpython_wrapper``, ``no_cfunc_wrapper``), compile time a first run
    would spend on code nothing calls.

    Parameters
    ----------
    **options
        numba's ``njit`` options, as for :func:`kernel`.
    """
    return kernel(no_cpython_wrapper=True, no_cfunc_wrapper=True, **options)


class _RebuiltWhenDamaged(FunctionCache):
    """numba's per-function disk cache, where a file that cannot be read back (truncated,
    garbage, written by a crashed process) is removed and the kernel compiled again, and a
    failed save (a full disk) only leaves the kernel uncached."""

    def load_overload(self, sig: Any, target_context: Any) -> Any:
        try:
            return super().load_overload(sig, target_context)
        except Exception:
            self._remove_files()
            return None

    def save_overload(self, sig: Any, data: Any) -> None:
        try:
            super().save_overload(sig, data)
        except OSError:
            self._remove_files()

    def _remove_files(self) -> None:
        """This kernel's index and data files (``name.nbi``, ``name.<n>.nbc``)."""
        index = Path(self._cache_file._index_path)
        prefix = self._cache_file._data_name_pattern.split("{", 1)[0]
        with contextlib.suppress(OSError):
            for path in [index, *index.parent.iterdir()]:
                if path == index or (path.name.startswith(prefix) and path.suffix == ".nbc"):
                    with contextlib.suppress(OSError):
                        path.unlink()


def _kernel_cache(function: Callable[..., Any]) -> Any:
    """The disk cache of one kernel, or numba's no-op cache when it would not lie inside
    the kernel cache folder."""
    folder = os.path.realpath(_core.cache_dir())
    try:
        cache = _RebuiltWhenDamaged(function)
    except RuntimeError:  # numba found no folder it may write ("no locator available")
        return NullCache()
    where = os.path.realpath(cache.cache_path)
    if os.path.commonpath([folder, where]) != folder:
        return NullCache()
    return cache
