"""Matplotlib charts of walk minutes: histograms and population-weighted coverage curves."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from yushu_circle.catalog import LEVELS, Catalog, Category
from yushu_circle.errors import InputError
from yushu_circle.render import fonts
from yushu_circle.render.fonts import legible, text_font

DEFAULT_MAX_MINUTES = 30.0
MINUTE_COLORS = ["#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027"]
"""Walk-minute class colours, best first: the HTML map's ≤5, 5–10, 10–15, 15–30, > 30 min."""
MINUTE_BANDS = (5.0, 10.0, 15.0, 30.0)
"""Upper bounds of the walk-minute classes, as on the HTML map."""

_LEVEL_COLOR = "#888888"


def coverage_curve_table(
    access: pd.DataFrame,
    categories: Sequence[str] | None = None,
    minutes: Sequence[float] | np.ndarray | None = None,
    weight: str | None = "population",
) -> pd.DataFrame:
    """Share of residents within each number of walk minutes, per category.

    The numbers behind :func:`coverage_curves`: for a threshold ``t``, the weighted share
    of residences whose ``walk_min_<category>`` is at most ``t``. Unreachable and
    off-network residences (NaN minutes) count in the total but are never covered, so a
    curve can stay below 1.

    Parameters
    ----------
    access : DataFrame
        Output of :meth:`yushu_circle.Study.access`: ``walk_min_<category>`` columns and
        the ``weight`` column.
    categories : sequence of str, optional
        Category keys (default: every ``walk_min_*`` column, in column order).
    minutes : sequence of float, optional
        Thresholds in minutes (default 0, 0.5, …, 30).
    weight : str or None
        Column weighting each residence (default ``population``); ``None`` counts
        residences.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``minutes``; one column per category key, shares from 0 to 1.

    Raises
    ------
    InputError
        When a category or the weight column is missing, or a weight is negative.
    """
    keys = _category_keys(access, categories)
    grid = (
        np.arange(0.0, DEFAULT_MAX_MINUTES + 0.25, 0.5)
        if minutes is None
        else np.asarray(minutes, dtype=float)
    )
    weights = _weights(access, weight)
    table = {}
    for key in keys:
        times, cumulative = _cumulative_share(access[f"walk_min_{key}"].to_numpy(float), weights)
        # Share covered at t = the cumulative share up to the last time <= t (0 before any).
        padded = np.concatenate([[0.0], cumulative])
        table[key] = padded[np.searchsorted(times, grid, side="right")]
    return pd.DataFrame(table, index=pd.Index(grid, name="minutes"))


def walk_minutes_histogram(
    access: pd.DataFrame,
    category: str | Category,
    ax: Axes | None = None,
    weight: str | None = "population",
    max_minutes: float = DEFAULT_MAX_MINUTES,
    bin_minutes: float = 1.0,
) -> Axes:
    """Histogram of walk minutes to the nearest facility of one category.

    Residences beyond ``max_minutes`` fall in the last bin; unreachable ones are counted
    in the legend. A dashed line marks the category's life-circle level.

    Parameters
    ----------
    access : DataFrame
        Output of :meth:`yushu_circle.Study.access`.
    category : str or Category
        The category (``study.catalog[key]``: its names, colour and level), or its key,
        e.g. ``kindergarten`` (names and level from the shipped catalog).
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).
    weight : str or None
        Column weighting each residence (default ``population``: bars are residents);
        ``None`` counts residences.
    max_minutes : float
        Right end of the axis, minutes.
    bin_minutes : float
        Bin width, minutes.

    Returns
    -------
    matplotlib.axes.Axes
    """
    given = category if isinstance(category, Category) else None
    (key,) = _category_keys(access, [given.key if given is not None else str(category)])
    if not (max_minutes > 0 and bin_minutes > 0):
        raise InputError(
            f"max_minutes={max_minutes!r} and bin_minutes={bin_minutes!r} must be positive",
            "pass minutes above 0, e.g. max_minutes=30, bin_minutes=1",
        )
    ax = _axes(ax)
    info = given if given is not None else _category(None, key)
    minutes = access[f"walk_min_{key}"].to_numpy(float)
    weights = _weights(access, weight)
    reachable = np.isfinite(minutes)
    edges = np.arange(0.0, max_minutes + bin_minutes, bin_minutes)
    clipped = np.minimum(minutes[reachable], edges[-1] - bin_minutes / 2)
    unreachable = float(weights[~reachable].sum())
    label = f"{_label(info, key)}" + (f" ({unreachable:,.0f} unreachable)" if unreachable else "")
    ax.hist(
        clipped,
        bins=edges.tolist(),
        weights=weights[reachable],
        color=info.color if info else None,
        alpha=0.8,
        label=label,
    )
    if info is not None:
        ax.axvline(info.level, color=_LEVEL_COLOR, linestyle="--", linewidth=1)
    ax.set_xlim(0, edges[-1])
    ax.set_xlabel("walk minutes to the nearest facility (last bin: that or more)")
    ax.set_ylabel({None: "residences", "population": "residents"}.get(weight, str(weight)))
    ax.legend(loc="upper right", prop=text_font(small=True))
    return ax


def coverage_curves(
    access: pd.DataFrame,
    categories: Sequence[str] | None = None,
    ax: Axes | None = None,
    catalog: Catalog | None = None,
    weight: str | None = "population",
    max_minutes: float = DEFAULT_MAX_MINUTES,
) -> Axes:
    """Cumulative coverage curves: share of residents reaching each category vs minutes.

    Each curve is exact (a step at every residence's walk time), weighted by ``weight``;
    dotted lines mark the 5/10/15-minute levels.

    Parameters
    ----------
    access : DataFrame
        Output of :meth:`yushu_circle.Study.access`.
    categories : sequence of str, optional
        Category keys (default: every ``walk_min_*`` column).
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).
    catalog : Catalog, optional
        Gives names and colours (default: the shipped catalog).
    weight : str or None
        Column weighting each residence (default ``population``); ``None`` counts
        residences.
    max_minutes : float
        Right end of the axis, minutes.

    Returns
    -------
    matplotlib.axes.Axes
    """
    curves = {key: access for key in _category_keys(access, categories)}
    ax = _axes(ax)
    for key, frame in curves.items():
        info = _category(catalog, key)
        minutes, weights = frame[f"walk_min_{key}"].to_numpy(float), _weights(frame, weight)
        color = info.color if info else None
        _draw_curve(ax, minutes, weights, max_minutes, _label(info, key), color)
    return _finish_curves(ax, weight, max_minutes)


def profile_curves(
    accesses: Mapping[str, pd.DataFrame],
    category: str,
    ax: Axes | None = None,
    catalog: Catalog | None = None,
    weight: str | None = "population",
    max_minutes: float = DEFAULT_MAX_MINUTES,
) -> Axes:
    """Coverage curves of one category under several walker profiles (or scenarios).

    Parameters
    ----------
    accesses : mapping of str to DataFrame
        Label (e.g. ``"adult 4.0 km/h"``) to an :meth:`yushu_circle.Study.access` result.
    category : str
        Category key.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).
    catalog : Catalog, optional
        Gives the category's names and level (default: the shipped catalog).
    weight : str or None
        Column weighting each residence (default ``population``).
    max_minutes : float
        Right end of the axis, minutes.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not accesses:
        raise InputError("no access tables to compare", "pass {label: study.access(...)}")
    ax = _axes(ax)
    info = _category(catalog, category)
    for label, frame in accesses.items():
        (key,) = _category_keys(frame, [category])
        minutes, weights = frame[f"walk_min_{key}"].to_numpy(float), _weights(frame, weight)
        _draw_curve(ax, minutes, weights, max_minutes, str(label), None)
    if info is not None:
        ax.axvline(info.level, color=_LEVEL_COLOR, linestyle="--", linewidth=1)
    ax.set_title(_label(info, category), **text_font())
    return _finish_curves(ax, weight, max_minutes)


def residence_minutes(
    access: Any,
    column: str,
    ax: Axes | None = None,
    edges: Any = None,
    vmax: float | None = None,
    bands: Sequence[float] | None = None,
) -> Axes:
    """A static map of residences coloured by a column (walk minutes or ``score``).

    Parameters
    ----------
    access : GeoDataFrame
        Output of :meth:`yushu_circle.Study.access` (point geometry).
    column : str
        Column to colour by, e.g. ``walk_min_kindergarten`` or ``score``.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).
    edges : GeoDataFrame, optional
        Streets to draw underneath (e.g. ``study.network.edges_frame()``), same CRS.
    vmax : float, optional
        Top of the colour scale (default: the column's 95th percentile).
    bands : sequence of float, optional
        Class upper bounds in minutes, e.g. ``(5, 10, 15, 30)``: residences are coloured
        in classes as on the HTML map (:data:`MINUTE_COLORS`, one more class above the
        last bound) with a legend of the classes instead of a continuous colour bar.

    Returns
    -------
    matplotlib.axes.Axes
        NaN (unreachable) residences are drawn as black crosses.
    """
    if column not in access:
        raise InputError(
            f"column {column!r} is not in the table",
            "pass a column of study.access(), e.g. 'walk_min_clinic' or 'score'",
        )
    ax = _axes(ax)
    if edges is not None:
        edges.plot(ax=ax, color="#cccccc", linewidth=0.6)
    values = access[column].to_numpy(float)
    finite = np.isfinite(values)
    if vmax is None and finite.any():
        vmax = float(np.percentile(values[finite], 95))
    if bands is not None:
        _banded(ax, access[finite], column, [float(b) for b in bands])
    else:
        cmap = "viridis" if column == "score" else "magma_r"
        access[finite].plot(
            ax=ax, column=column, cmap=cmap, vmin=0, vmax=vmax, markersize=6, legend=True
        )
    if (~finite).any():
        access[~finite].plot(ax=ax, color="black", marker="x", markersize=10)
    ax.set_title(column)
    ax.set_axis_off()
    return ax


# --- private helpers --------------------------------------------------------------------


def _banded(ax: Axes, frame: Any, column: str, bands: list[float]) -> None:
    from matplotlib.patches import Patch

    if len(bands) + 1 > len(MINUTE_COLORS) or np.any(np.diff(bands) <= 0):
        raise InputError(
            f"bands {bands} are not increasing or have more than {len(MINUTE_COLORS) - 1} bounds",
            "pass increasing minutes, e.g. (5, 10, 15, 30)",
        )
    colors = MINUTE_COLORS[: len(bands)] + MINUTE_COLORS[-1:]
    values = frame[column].to_numpy(float)
    klass = np.searchsorted(np.asarray(bands), values, side="left")
    labels = [f"≤ {bands[0]:g}"] + [f"{a:g}–{b:g}" for a, b in itertools.pairwise(bands)]
    labels.append(f"> {bands[-1]:g}")
    for k, color in enumerate(colors):
        part = frame[klass == k]
        if len(part):
            part.plot(ax=ax, color=color, markersize=7, edgecolor="#333333", linewidth=0.2)
    handles = [
        Patch(facecolor=c, edgecolor="#333333", label=legible(f"{t} 分钟 min"))
        for c, t in zip(colors, labels, strict=True)
    ]
    ax.legend(handles=handles, loc="lower right", prop=text_font(small=True), framealpha=0.9)


def _category_keys(access: pd.DataFrame, categories: Sequence[str] | None) -> list[str]:
    available = [
        str(c)[len("walk_min_") :] for c in access.columns if str(c).startswith("walk_min_")
    ]
    if categories is None:
        if not available:
            raise InputError(
                "the table has no walk_min_<category> columns",
                "pass the result of study.access()",
            )
        return available
    if isinstance(categories, str):
        categories = [categories]
    missing = [c for c in categories if c not in available]
    if missing:
        raise InputError(
            f"no walk_min_ column for {', '.join(map(repr, missing))}",
            f"use one of: {', '.join(available) or '(none: pass study.access())'}",
        )
    return list(categories)


def _weights(access: pd.DataFrame, weight: str | None) -> np.ndarray:
    if weight is None:
        return np.ones(len(access))
    if weight not in access:
        raise InputError(
            f"weight column {weight!r} is not in the table",
            "pass weight=None to count residences, or a column such as 'population'",
        )
    values = np.nan_to_num(access[weight].to_numpy(float), nan=0.0)
    if (values < 0).any():
        raise InputError(f"weight column {weight!r} has negative values", "fix the weights")
    return values


def _cumulative_share(minutes: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted finite minutes and the weighted share covered at each of them."""
    total = float(weights.sum())
    finite = np.isfinite(minutes)
    order = np.argsort(minutes[finite], kind="stable")
    times = minutes[finite][order]
    cumulative = np.cumsum(weights[finite][order])
    return times, (cumulative / total if total > 0 else np.zeros_like(cumulative))


def _draw_curve(
    ax: Axes,
    minutes: np.ndarray,
    weights: np.ndarray,
    max_minutes: float,
    label: str,
    color: str | None,
) -> None:
    times, share = _cumulative_share(minutes, weights)
    x = np.concatenate([[0.0], times, [max(max_minutes, times[-1] if len(times) else 0.0)]])
    y = np.concatenate([[0.0], share, [share[-1] if len(share) else 0.0]])
    ax.step(x, y, where="post", label=label, color=color, linewidth=1.5)


def _finish_curves(ax: Axes, weight: str | None, max_minutes: float) -> Axes:
    for level in LEVELS:
        ax.axvline(level, color=_LEVEL_COLOR, linestyle=":", linewidth=1)
    ax.set_xlim(0, max_minutes)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("walk minutes")
    who = "residents (population-weighted)" if weight == "population" else "residences"
    ax.set_ylabel(f"share of {who} covered")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", prop=text_font(small=True))
    return ax


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=(7, 4))
    return new


def _category(catalog: Catalog | None, key: str) -> Category | None:
    if catalog is None:
        catalog = Catalog.default()
    if key not in catalog:
        return None
    return catalog[key]


def _label(info: Category | None, key: str) -> str:
    if info is None:
        return key
    return info.label if fonts.cjk_font() else info.name_en
