"""Walk minutes from every residence to the nearest facility of each category; coverage tables."""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from typing import TypeVar

import numpy as np
import pandas as pd
import scipy.sparse as sp
from tqdm.auto import tqdm

from yushu_circle._core.kernels import edge_point_sources, nearest_source_minutes, origin_minutes
from yushu_circle.catalog import LEVELS, Catalog
from yushu_circle.columns import walk_min
from yushu_circle.errors import InputError
from yushu_circle.network import Snap, WalkNetwork
from yushu_circle.options import Serves

PARALLEL_WORKERS = min(2, os.cpu_count() or 1)
"""Threads searching categories at once (the compiled kernels drop the GIL); the calling
thread is one of them."""
PER_CATEGORY_MIN_NODES = 20_000
"""Networks at least this big search one category per call, so the progress bar moves per
category; smaller ones split the categories into one block per thread, as there the fixed
cost of a call, not the search, is what counts."""

_Block = list[str]
_T = TypeVar("_T")
_helpers: ThreadPoolExecutor | None = None


def _helper_pool() -> ThreadPoolExecutor:
    # Kept for the life of the process: starting threads per call would cost more than a
    # small network's searches.
    global _helpers
    if _helpers is None:
        _helpers = ThreadPoolExecutor(
            max_workers=max(PARALLEL_WORKERS - 1, 1), thread_name_prefix="yushu-access"
        )
    return _helpers


def _forget_helper_pool() -> None:
    # A forked child has none of its parent's threads.
    global _helpers
    _helpers = None


os.register_at_fork(after_in_child=_forget_helper_pool)


def _run_blocks(blocks: Sequence[_Block], work: Callable[[_Block], _T]) -> list[_T]:
    """``work`` on every block, shared between the calling thread and the helper threads."""
    results: list[_T | None] = [None] * len(blocks)
    claim = itertools.count()  # next() on it is atomic under the GIL
    stop = threading.Event()

    def drain() -> None:
        while not stop.is_set() and (i := next(claim)) < len(blocks):
            results[i] = work(blocks[i])

    helpers = [_helper_pool().submit(drain) for _ in range(min(PARALLEL_WORKERS, len(blocks)) - 1)]
    try:
        drain()
    finally:
        stop.set()
        for helper in helpers:
            helper.result()
    return [result for result in results if result is not None]


@dataclass(frozen=True)
class _Targets:
    """Targets of one or more groups (categories) on the network, sorted by edge."""

    edge: np.ndarray
    frac: np.ndarray
    access: np.ndarray
    group: np.ndarray
    groups: int


def _targets(network: WalkNetwork, snaps: Sequence[Snap]) -> _Targets:
    def joined(attr: str) -> np.ndarray:
        return np.concatenate([getattr(snap, attr) for snap in snaps])

    edge = joined("edge")
    usable = joined("on_network") & (edge >= 0)
    group = np.repeat(np.arange(len(snaps), dtype=np.int64), [len(snap) for snap in snaps])
    edge, group = edge[usable], group[usable]
    order = np.argsort(edge, kind="stable")
    return _Targets(
        edge=edge[order].astype(np.int64, copy=False),
        frac=joined("frac")[usable][order].astype(np.float64, copy=False),
        access=joined("snap_m")[usable][order] / network.metres_per_minute,
        group=group[order],
        groups=len(snaps),
    )


def _node_minutes(network: WalkNetwork, targets: _Targets, limit: float) -> np.ndarray:
    # Walking *to* a target is searched from the target on the reversed graph.
    nodes, minutes = edge_point_sources(
        network.edge_u,
        network.edge_v,
        network.time_uv,
        network.time_vu,
        targets.edge,
        targets.frac,
        targets.access,
    )
    csr = network.csr(reverse=True)
    return nearest_source_minutes(
        csr.indptr,
        csr.indices,
        csr.data,
        targets.groups,
        np.concatenate([targets.group, targets.group]),
        nodes,
        minutes,
        float(limit),
    )


def _origin_minutes(
    network: WalkNetwork,
    origins: Snap,
    targets: _Targets,
    node_minutes: np.ndarray,
    limit: float,
) -> np.ndarray:
    usable = origins.on_network & (origins.edge >= 0)
    return origin_minutes(
        np.ascontiguousarray(node_minutes, dtype=np.float64),
        network.edge_u,
        network.edge_v,
        network.time_uv,
        network.time_vu,
        np.where(usable, origins.edge, -1).astype(np.int64, copy=False),
        origins.frac.astype(np.float64, copy=False),
        (origins.snap_m / network.metres_per_minute).astype(np.float64, copy=False),
        targets.edge,
        targets.frac,
        targets.access,
        targets.group,
        float(limit),
    )


def point_sources(
    network: WalkNetwork, snap: Snap, toward: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Start nodes and minutes of a search at snapped points: the one edge-end rule.

    A point on edge (u, v) at fraction ``t`` is joined to both ends: walking *to* the
    point (``toward=True``, searched on the reversed graph) costs its access leg plus
    ``t`` of the u→v time from ``u`` and ``1 − t`` of the v→u time from ``v``; walking
    *from* it (``toward=False``) costs ``t`` of v→u to reach ``u`` and ``1 − t`` of u→v to
    reach ``v``. A zero share of a closed (infinite) edge costs nothing. Every Python
    caller that needs this rule calls this function (the kernels apply the same rule).

    Parameters
    ----------
    network : WalkNetwork
    snap : Snap
        The snapped points (off-network points are left out).
    toward : bool
        Walk to the points (True) or from them (False).

    Returns
    -------
    nodes, minutes : ndarray
        Two entries per usable point (its ``u`` entries, then its ``v`` entries): node
        indices and the minutes already spent on reaching them.
    """
    usable = snap.on_network & (snap.edge >= 0)
    forward, backward = (
        (network.time_uv, network.time_vu) if toward else (network.time_vu, network.time_uv)
    )
    return edge_point_sources(
        network.edge_u,
        network.edge_v,
        forward,
        backward,
        snap.edge[usable].astype(np.int64, copy=False),
        snap.frac[usable].astype(np.float64, copy=False),
        (snap.snap_m[usable] / network.metres_per_minute).astype(np.float64, copy=False),
    )


def multi_source_minutes(
    csr: sp.csr_matrix,
    nodes: np.ndarray,
    start_minutes: np.ndarray,
    limit: float = np.inf,
) -> np.ndarray:
    """Shortest minutes from a set of sources, each node starting at its own offset.

    Every source node starts the search at its own offset (as if a virtual source were
    joined to it with that weight), so this is one Dijkstra run whatever the number of
    sources; the compiled kernel :func:`yushu_circle._core.kernels.nearest_source_minutes`
    runs it.

    Parameters
    ----------
    csr : scipy.sparse.csr_matrix
        Adjacency in minutes (``n × n``).
    nodes : ndarray of int
        Source node indices (repeats allowed: the smallest offset wins).
    start_minutes : ndarray of float
        Minutes already spent when at each source node.
    limit : float
        Stop the search beyond this many minutes (farther nodes get ``inf``).

    Returns
    -------
    ndarray of float64
        Minutes for every node (``inf`` where unreachable).
    """
    nodes = np.asarray(nodes, dtype=np.int64)
    return nearest_source_minutes(
        csr.indptr,
        csr.indices,
        csr.data,
        1,
        np.zeros(len(nodes), dtype=np.int64),
        nodes,
        np.asarray(start_minutes, dtype=np.float64),
        float(limit),
    )[0]


def minutes_to_nearest(
    network: WalkNetwork,
    origins: Snap,
    targets: Snap,
    limit: float = np.inf,
    node_minutes: np.ndarray | None = None,
) -> np.ndarray:
    """Walk minutes from each origin to its nearest target, along the network.

    Each time counts the origin's straight access leg to its edge, the walk along the
    network (edges are entered part-way where the points snapped), and the target's
    access leg. Facility→residence times run on the reversed graph, so asymmetric edges
    (slopes) are walked in the right direction. Origin and target on the same edge are
    joined directly along it.

    Parameters
    ----------
    network : WalkNetwork
        The walk network with its edge times.
    origins, targets : Snap
        Snapped residences and facilities.
    limit : float
        Minutes beyond which the search stops (those origins get NaN).
    node_minutes : ndarray, optional
        Per-node minutes to these targets, when already computed (``Access.node_minutes``;
        all ``inf`` gives only the direct same-edge walks).

    Returns
    -------
    ndarray of float64
        Minutes per origin; NaN when off the network, unreachable or beyond ``limit``.
    """
    found = _targets(network, [targets])
    if node_minutes is None:
        nodes = _node_minutes(network, found, limit)
    else:
        nodes = np.asarray(node_minutes, dtype=np.float64)[np.newaxis, :]
    return _origin_minutes(network, origins, found, nodes, limit)[:, 0]


def edge_minutes(
    network: WalkNetwork,
    facility_snaps: Mapping[str, Snap],
    node_minutes: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Walk minutes from the middle of every street edge to the nearest facility of each category.

    The midpoint of each edge is treated as an origin on that edge and timed with
    :func:`yushu_circle.access.minutes_to_nearest`, the same rule residences follow, so a
    street's colour on the map means "a resident standing halfway along it walks this long".

    Parameters
    ----------
    network : WalkNetwork
        The study's walk network.
    facility_snaps : mapping of str to Snap
        Snapped facilities per category (``Study.facility_snaps``).
    node_minutes : mapping of str to ndarray, optional
        Per-node minutes already found for the residences (``Study.node_minutes``), so
        no second search runs.

    Returns
    -------
    pandas.DataFrame
        One ``walk_min_<category>`` column per category, one row per edge (NaN unreachable).
    """
    count = network.edge_count
    midpoints = Snap(
        edge=np.arange(count, dtype=np.int64),
        frac=np.full(count, 0.5),
        snap_m=np.zeros(count),
        on_network=np.ones(count, dtype=bool),
        # Only the edge and the position along it are read: no point is placed.
        x=np.full(count, np.nan),
        y=np.full(count, np.nan),
    )
    keys = list(facility_snaps)
    known = node_minutes or {}
    columns = np.empty((len(keys), count))
    row_of = {key: row for row, key in enumerate(keys)}

    def one(block: _Block) -> None:
        key = block[0]
        columns[row_of[key]] = minutes_to_nearest(
            network, midpoints, facility_snaps[key], node_minutes=known.get(key)
        )

    network.csr(reverse=True)  # built once here, not by two threads at once
    _run_blocks([[key] for key in keys], one)
    return pd.DataFrame(columns.T, columns=[walk_min(key) for key in keys], copy=False)


@dataclass(frozen=True)
class Access:
    """Walk minutes from residences to the nearest facility of each category: a result value.

    Attributes
    ----------
    minutes : pandas.DataFrame
        One ``walk_min_<category>`` column per category, one row per residence (NaN where
        unreachable or off-network).
    node_minutes : mapping of str to ndarray
        Per category, the minutes from every network node to the nearest facility (what
        street colours and what-if comparisons reuse without a second search).
    """

    minutes: pd.DataFrame
    node_minutes: Mapping[str, np.ndarray]


def walk_access(
    network: WalkNetwork,
    residences: Snap,
    facility_snaps: Mapping[str, Snap],
    progress: bool = False,
) -> Access:
    """Walk minutes from every residence to the nearest facility of every category.

    One multi-source search per category (several categories per compiled call on small
    networks), shared between two threads.

    Parameters
    ----------
    network : WalkNetwork
    residences : Snap
        Snapped residences.
    facility_snaps : mapping of str to Snap
        Snapped facilities per category key (an empty Snap gives an all-NaN column).
    progress : bool
        Show a progress bar per category.

    Returns
    -------
    Access
        The minutes per residence and the per-node minutes per category.
    """
    keys = list(facility_snaps)
    if network.node_count >= PER_CATEGORY_MIN_NODES:
        per_block = 1
    else:
        per_block = -(-len(keys) // PARALLEL_WORKERS)
    blocks = [keys[i : i + per_block] for i in range(0, len(keys), max(per_block, 1))]
    bar = tqdm(total=len(keys), desc="walk minutes per category", unit="cat", disable=not progress)

    # One category per row, filled in place as each block ends: the table's one block,
    # without a second copy of a million residences' minutes.
    columns = np.full((len(keys), len(residences)), np.nan)
    first_row = {block[0]: i * per_block for i, block in enumerate(blocks)}

    def one(block: _Block) -> np.ndarray:
        found = _targets(network, [facility_snaps[key] for key in block])
        nodes = _node_minutes(network, found, np.inf)
        row = first_row[block[0]]
        columns[row : row + len(block)] = _origin_minutes(
            network, residences, found, nodes, np.inf
        ).T
        bar.update(len(block))
        return nodes

    network.csr(reverse=True)  # built once here, not by two threads at once
    results = _run_blocks(blocks, one)
    bar.close()
    index = pd.RangeIndex(len(residences))
    if not results:
        return Access(pd.DataFrame(index=index), {})
    node_minutes = {
        key: nodes
        for block, per_block_nodes in zip(blocks, results, strict=True)
        for key, nodes in zip(block, per_block_nodes, strict=True)
    }
    table = pd.DataFrame(
        columns.T, columns=[walk_min(key) for key in keys], index=index, copy=False
    )
    return Access(table, node_minutes)


def score(walk_minutes: pd.DataFrame, catalog: Catalog, keys: Sequence[str]) -> np.ndarray:
    """Share of the standard's categories a residence reaches within their life-circle level.

    Parameters
    ----------
    walk_minutes : DataFrame
        ``walk_min_<key>`` columns.
    catalog : Catalog
        Gives each category's level.
    keys : sequence of str
        The categories that count (the catalog's own, not user-added ones).
    """
    if not keys:
        return np.full(len(walk_minutes), np.nan)
    reached = np.column_stack(
        [(walk_minutes[walk_min(k)].to_numpy() <= catalog[k].level) for k in keys]
    )
    return reached.mean(axis=1)


def check_thresholds(thresholds: Sequence[float], name: str = "thresholds") -> list[float]:
    """Validate walk-minute thresholds: finite, above 0 and strictly increasing.

    Raises
    ------
    InputError
        Naming ``name`` and the bad value.
    """
    try:
        values = [float(t) for t in thresholds]
    except (TypeError, ValueError):
        raise InputError(
            f"{name} {list(thresholds)!r} are not numbers", "give minutes, e.g. 5, 10, 15"
        ) from None
    if not values:
        raise InputError(f"{name} are empty", "give minutes, e.g. 5, 10, 15")
    for value in values:
        if not (np.isfinite(value) and value > 0):
            raise InputError(
                f"{name}: {value:g} is not a number of minutes above 0", "e.g. 5, 10, 15"
            )
    if any(b <= a for a, b in pairwise(values)):
        raise InputError(
            f"{name} {', '.join(f'{v:g}' for v in values)} are not strictly increasing",
            "list them from small to large, e.g. 5, 10, 15",
        )
    return values


def coverage_summary(
    residences: pd.DataFrame,
    catalog: Catalog,
    facility_counts: dict[str, int],
    thresholds: Sequence[float] = LEVELS,
) -> pd.DataFrame:
    """Per category: facility count, share of residences and population within each threshold,
    median and 90th-percentile walk minutes.

    Parameters
    ----------
    residences : DataFrame
        With ``population`` and ``walk_min_<key>`` columns.
    catalog : Catalog
    facility_counts : dict of str to int
        Facilities found per category.
    thresholds : sequence of float
        Minutes (default 5, 10, 15).

    Returns
    -------
    pandas.DataFrame
        Indexed by category key. When the residences carry ``children``/``elderly`` (age
        shares, 一老一小) each row also says whom its item serves (``serves``: the
        catalog's ``all``, ``children`` or ``elderly``), how many of those people there are
        (``group_people``), how many live within the item's level (``group_within_level``)
        and their share (``share_group_within_level``).
    """
    check_thresholds(thresholds)
    population = residences["population"].to_numpy(dtype=float)
    total_pop = float(np.nansum(population))
    groups = [g for g in (Serves.CHILDREN, Serves.ELDERLY) if str(g) in residences]
    rows = []
    for category in catalog:
        column = walk_min(category.key)
        if column not in residences:
            continue
        minutes = residences[column].to_numpy(dtype=float)
        row: dict[str, object] = {
            "category": category.key,
            "name_zh": category.name_zh,
            "name_en": category.name_en,
            "level_min": category.level,
            "facilities": int(facility_counts.get(category.key, 0)),
        }
        for t in thresholds:
            within = minutes <= t
            label = f"{t:g}"
            row[f"share_res_{label}min"] = float(within.mean()) if len(minutes) else np.nan
            row[f"share_pop_{label}min"] = (
                float(population[within].sum() / total_pop) if total_pop > 0 else np.nan
            )
        finite = minutes[np.isfinite(minutes)]
        row["median_min"] = float(np.median(finite)) if len(finite) else np.nan
        row["p90_min"] = float(np.percentile(finite, 90)) if len(finite) else np.nan
        row["unreachable"] = int((~np.isfinite(minutes)).sum())
        if groups:
            row |= _group_row(residences, category.serves, minutes <= category.level)
        rows.append(row)
    return pd.DataFrame(rows).set_index("category")


def _group_row(residences: pd.DataFrame, serves: Serves, within: np.ndarray) -> dict[str, object]:
    """Whom an item serves and how many of them live within its level (一老一小)."""
    column = "population" if serves is Serves.ALL or str(serves) not in residences else serves
    people = residences[str(column)].to_numpy(dtype=float)
    total = float(np.nansum(people))
    reached = float(np.nansum(people[within]))
    return {
        "serves": str(serves) if column != "population" else "all",
        "group_people": total,
        "group_within_level": reached,
        "share_group_within_level": reached / total if total > 0 else np.nan,
    }
