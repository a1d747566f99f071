"""Column names of the output tables, spelt in one place."""

from __future__ import annotations

WALK_MIN_PREFIX = "walk_min_"
"""Prefix of the per-category walk-minutes columns (``walk_min_<category>``)."""


def walk_min(key: str) -> str:
    """The walk-minutes column of a category key (``walk_min_kindergarten``)."""
    return f"{WALK_MIN_PREFIX}{key}"


def category_of(column: str) -> str | None:
    """The category key of a walk-minutes column, or None for any other column."""
    return column[len(WALK_MIN_PREFIX) :] if column.startswith(WALK_MIN_PREFIX) else None
