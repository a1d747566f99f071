"""Handing freed memory back to the system, where the C library can (glibc)."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Any


@functools.cache
def _glibc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        library = ctypes.CDLL(name)
        library.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError, TypeError):
        return None  # not glibc (musl, macOS, Windows): nothing to call
    return library


def give_back_freed_memory() -> bool:
    """Return the C heap's free pages to the system (glibc ``malloc_trim``).

    Freed blocks in the middle of the heap stay counted in the process's resident memory
    until trimmed, and the large arrays made later are mapped afresh rather than placed
    there; so after letting a big input go (a city's extract), trimming lowers the peak
    the rest of the run reaches.

    Returns
    -------
    bool
        Whether any memory was given back (False where the C library cannot).
    """
    library = _glibc()
    return bool(library is not None and library.malloc_trim(0))
