"""Walk minutes from every residence to the nearest facility of each category; coverage tables."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import pandas as pd
import scipy.sparse as sp

from yushu_circle._kernels import dijkstra_from_starts
from yushu_circle.catalog import LEVELS, Catalog
from yushu_circle.errors import InputError
from yushu_circle.network import Snap, WalkNetwork

PARALLEL_MIN_NODES = 20_000
"""Networks at least this big search two categories at once (threads; the kernel drops the GIL)."""
PARALLEL_WORKERS = 2


def multi_source_minutes(
    csr: sp.csr_matrix,
    nodes: np.ndarray,
    start_minutes: np.ndarray,
    limit: float = np.inf,
) -> np.ndarray:
    """Shortest minutes from a set of sources, each node starting at its own offset.

    Every source node starts the search at its own offset (as if a virtual source were
    joined to it with that weight), so this is one Dijkstra run whatever the number of
    sources; the compiled kernel :func:`yushu_circle._kernels.dijkstra_from_starts` runs it.

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
    size = csr.shape[0]
    start = np.full(size, np.inf)
    np.minimum.at(start, np.asarray(nodes, dtype=np.int64), np.asarray(start_minutes, float))
    return dijkstra_from_starts(csr.indptr, csr.indices, csr.data, start, float(limit))


def node_minutes_to_nearest(
    network: WalkNetwork, targets: Snap, limit: float = np.inf
) -> np.ndarray:
    """Walk minutes from every network node to its nearest target (one Dijkstra run).

    The search runs on the reversed graph from a virtual source joined to both ends of
    every target's edge, weighted by the target's access leg and along-edge offset, so the
    result is the time of walking *to* the target even on asymmetric edges.

    Parameters
    ----------
    network : WalkNetwork
    targets : Snap
        Snapped facilities.
    limit : float
        Minutes beyond which the search stops.

    Returns
    -------
    ndarray of float64
        Minutes per node (``inf`` where unreachable, beyond ``limit`` or without targets).
    """
    tgt = targets.subset(targets.on_network & (targets.edge >= 0))
    if len(tgt) == 0:
        return np.full(network.node_count, np.inf)
    t_edge = tgt.edge
    t_access = tgt.snap_m / network.metres_per_minute
    return multi_source_minutes(
        network.csr(reverse=True),
        np.concatenate([network.edge_u[t_edge], network.edge_v[t_edge]]),
        np.concatenate(
            [
                t_access + tgt.frac * network.time_uv[t_edge],
                t_access + (1.0 - tgt.frac) * network.time_vu[t_edge],
            ]
        ),
        limit=limit,
    )


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
        :func:`node_minutes_to_nearest` for these targets, when already computed.

    Returns
    -------
    ndarray of float64
        Minutes per origin; NaN when off the network, unreachable or beyond ``limit``.
    """
    result = np.full(len(origins), np.nan)
    target_ok = targets.on_network & (targets.edge >= 0)
    origin_ok = origins.on_network & (origins.edge >= 0)
    if not target_ok.any() or not origin_ok.any():
        return result
    per_minute = network.metres_per_minute
    tgt = targets.subset(target_ok)
    if node_minutes is None:
        node_minutes = node_minutes_to_nearest(network, tgt, limit)
    org = origins.subset(origin_ok)
    o_edge = org.edge
    via_u = org.frac * network.time_vu[o_edge] + node_minutes[network.edge_u[o_edge]]
    via_v = (1.0 - org.frac) * network.time_uv[o_edge] + node_minutes[network.edge_v[o_edge]]
    best = np.minimum(via_u, via_v)
    t_access = tgt.snap_m / per_minute
    best = np.minimum(best, _same_edge_minutes(network, org, tgt, t_access))
    total = org.snap_m / per_minute + best
    total[~np.isfinite(total) | (total > limit)] = np.nan
    result[origin_ok] = total
    return result


def _same_edge_minutes(
    network: WalkNetwork, origins: Snap, targets: Snap, target_access: np.ndarray
) -> np.ndarray:
    best = np.full(len(origins), np.inf)
    if len(targets) < 64:  # few targets: test the origins' edges against a small set
        maybe = np.isin(origins.edge, targets.edge)
        if not maybe.any():
            return best
    order = np.argsort(targets.edge, kind="stable")
    sorted_edges = targets.edge[order]
    lo = np.searchsorted(sorted_edges, origins.edge, side="left")
    hi = np.searchsorted(sorted_edges, origins.edge, side="right")
    shared = np.flatnonzero(hi > lo)
    if len(shared) == 0:
        return best
    counts = (hi - lo)[shared]
    origin_idx = np.repeat(shared, counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    target_idx = order[np.repeat(lo[shared], counts) + within]
    edge = origins.edge[origin_idx]
    fo = origins.frac[origin_idx]
    ft = targets.frac[target_idx]
    along = np.where(ft >= fo, (ft - fo) * network.time_uv[edge], (fo - ft) * network.time_vu[edge])
    np.minimum.at(best, origin_idx, along + target_access[target_idx])
    return best


def walk_minutes_table(
    network: WalkNetwork,
    residences: Snap,
    facility_snaps: dict[str, Snap],
    progress: bool = False,
    node_minutes: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Walk minutes from every residence to the nearest facility of every category.

    Parameters
    ----------
    network : WalkNetwork
    residences : Snap
        Snapped residences.
    facility_snaps : dict of str to Snap
        Snapped facilities per category key (an empty Snap gives an all-NaN column).
    progress : bool
        Show a progress bar per category.
    node_minutes : dict, optional
        Filled with each category's per-node minutes (for colouring streets without a
        second search).

    Returns
    -------
    pandas.DataFrame
        One ``walk_min_<category>`` column per category, one row per residence.
    """
    from concurrent.futures import ThreadPoolExecutor

    from tqdm.auto import tqdm

    keys = list(facility_snaps)
    bar = tqdm(total=len(keys), desc="walk minutes per category", unit="cat", disable=not progress)

    def one(key: str) -> tuple[str, np.ndarray, np.ndarray]:
        nodes = node_minutes_to_nearest(network, facility_snaps[key])
        minutes = minutes_to_nearest(network, residences, facility_snaps[key], node_minutes=nodes)
        bar.update()
        return key, nodes, minutes

    # The compiled search releases the GIL: on a big network two categories run at once.
    workers = PARALLEL_WORKERS if network.node_count >= PARALLEL_MIN_NODES else 1
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(one, keys))
    else:
        results = [one(key) for key in keys]
    bar.close()
    if node_minutes is not None:
        node_minutes.update({key: nodes for key, nodes, _ in results})
    return pd.DataFrame({f"walk_min_{key}": minutes for key, _, minutes in results})


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
        [(walk_minutes[f"walk_min_{k}"].to_numpy() <= catalog[k].level) for k in keys]
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
        Indexed by category key.
    """
    check_thresholds(thresholds)
    population = residences["population"].to_numpy(dtype=float)
    total_pop = float(np.nansum(population))
    rows = []
    for category in catalog:
        column = f"walk_min_{category.key}"
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
        rows.append(row)
    return pd.DataFrame(rows).set_index("category")
