"""Small helpers the planning modules share: population shares, catalog look-ups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from yushu_circle.errors import InputError

if TYPE_CHECKING:
    from yushu_circle.study import Study


def share(flags: np.ndarray, weights: np.ndarray) -> float:
    """Weighted share of ``flags`` (NaN when the weights sum to nothing)."""
    total = float(np.sum(weights))
    return float(np.sum(weights * flags) / total) if total > 0 else float("nan")


def study_category(study: Study, key: str) -> Any:
    """The study's catalog category ``key``, or an error naming the known keys."""
    if key not in study.catalog:
        raise InputError(
            f"category {key!r} is not in the catalog",
            f"use one of {', '.join(study.catalog.keys)}",
        )
    return study.catalog[key]
