"""Maximal covering solvers: greedy, and the exact mixed-integer programme."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from yushu_circle.errors import DataError

EXACT_TIME_LIMIT_S = 60.0
"""Seconds the exact search may take before it returns its best, unproven, solution."""


def greedy_cover(
    coverage: sp.csr_matrix, weights: np.ndarray, k: int
) -> tuple[list[int], list[float]]:
    """Greedy maximal covering: pick, ``k`` times, the candidate adding the most weight.

    Its total is at least (1 − 1/e) ≈ 63 % of the optimum (Nemhauser, Wolsey & Fisher 1978).
    Ties go to the lowest candidate index; it stops early when nothing more can be covered.

    Parameters
    ----------
    coverage : csr_matrix of bool
        Candidates × demand points.
    weights : ndarray
        Weight (population) of each demand point not yet covered (0 for covered ones).
    k : int
        Number of sites.

    Returns
    -------
    (list of int, list of float)
        Chosen candidate indices in order and the weight each adds.
    """
    remaining = np.asarray(weights, dtype=float).copy()
    matrix = sp.csr_matrix(coverage, dtype=float)
    picks: list[int] = []
    gains: list[float] = []
    for _ in range(k):
        if matrix.shape[0] == 0:
            break
        gain = matrix @ remaining
        best = int(np.argmax(gain))
        if gain[best] <= 0:
            break
        picks.append(best)
        gains.append(float(gain[best]))
        remaining[matrix.indices[matrix.indptr[best] : matrix.indptr[best + 1]]] = 0.0
    return picks, gains


@dataclass
class _Search:
    """State of one branch-and-bound run (the incumbent and the clock)."""

    matrix: sp.csr_matrix
    columns: sp.csc_matrix
    k: int
    best_value: float
    best_picks: list[int]
    deadline: float
    nodes: int = 0
    stopped: bool = False
    tolerance: float = field(default=1e-9)


def exact_cover(
    coverage: sp.csr_matrix,
    weights: np.ndarray,
    k: int,
    time_limit: float = EXACT_TIME_LIMIT_S,
) -> tuple[list[int], float, bool]:
    """Exact maximal covering by branch and bound on the submodular bound, from greedy.

    The covered weight ``f`` is submodular, so for a chosen set ``S`` with ``r`` sites
    left, ``f(S ∪ T) ≤ f(S) + Σ`` of the ``r`` largest marginal gains ``Δ(c | S)`` — the
    bound of Nemhauser, Wolsey & Fisher (1978). The search starts from the greedy
    solution as incumbent, branches on candidates in decreasing gain (each explored one
    is excluded from its later siblings, so every set is seen once) and cuts every branch
    whose bound does not beat the incumbent. Marginal gains are updated incrementally:
    adding ``c`` lowers each candidate's gain by the weight it shares with ``c``'s newly
    covered points. Where greedy is optimal (often) the root bound or a handful of nodes
    prove it.

    Parameters
    ----------
    coverage : csr_matrix of bool
        Candidates × demand points.
    weights : ndarray
        Weight of each demand point (0 for covered ones).
    k : int
        Number of sites.
    time_limit : float
        Seconds; past it the best solution found is returned, not proven optimal.

    Returns
    -------
    (list of int, float, bool)
        Chosen candidate indices, the covered weight, and whether it is proven optimal.
    """
    weights = np.asarray(weights, dtype=float)
    matrix = sp.csr_matrix(coverage, dtype=float)
    if matrix.shape[0] == 0 or k <= 0:
        return [], 0.0, True
    picks, gains = greedy_cover(matrix, weights, k)
    search = _Search(
        matrix,
        matrix.tocsc(),
        k,
        float(sum(gains)),
        list(picks),
        time.perf_counter() + time_limit,
    )
    _branch(search, [], 0.0, weights.copy(), matrix @ weights, np.ones(matrix.shape[0], bool))
    return sorted(search.best_picks), search.best_value, not search.stopped


def _branch(
    search: _Search,
    chosen: list[int],
    value: float,
    remaining: np.ndarray,
    gains: np.ndarray,
    allowed: np.ndarray,
) -> None:
    search.nodes += 1
    if time.perf_counter() > search.deadline:
        search.stopped = True
        return
    left = search.k - len(chosen)
    gain = np.where(allowed, gains, 0.0)
    order = np.argsort(-gain, kind="stable")
    if value + gain[order[:left]].sum() <= search.best_value + search.tolerance:
        return
    if left == 1:
        c = int(order[0])
        if value + gain[c] > search.best_value + search.tolerance:
            search.best_value, search.best_picks = value + float(gain[c]), [*chosen, c]
        return
    allowed = allowed.copy()
    matrix = search.matrix
    for i, c in enumerate(order.tolist()):
        if gain[c] <= 0:
            break
        bound = value + gain[c] + gain[order[i + 1 : i + left]].sum()
        if bound <= search.best_value + search.tolerance:
            break  # the gains fall: no later sibling can do better either
        hit = matrix.indices[matrix.indptr[c] : matrix.indptr[c + 1]]
        newly = hit[remaining[hit] > 0]
        after = remaining.copy()
        after[newly] = 0.0
        shared = search.columns[:, newly] @ remaining[newly]
        allowed[c] = False
        _branch(search, [*chosen, c], value + float(gain[c]), after, gains - shared, allowed)
        if search.stopped:
            return


def milp_cover(
    coverage: sp.csr_matrix, weights: np.ndarray, k: int, time_limit: float = 60.0
) -> tuple[list[int], float, bool]:
    """Exact maximal covering location by mixed-integer programming (HiGHS via scipy).

    ``max Σ w_r y_r`` subject to ``y_r ≤ Σ_{c covers r} x_c``, ``Σ x_c ≤ k``,
    ``x`` binary, ``0 ≤ y ≤ 1`` (Church & ReVelle 1974).

    Returns
    -------
    (list of int, float, bool)
        Chosen candidate indices, the covered weight, and whether it is proven optimal
        (``False``: the time limit stopped HiGHS; the best solution found is returned).

    Raises
    ------
    DataError
        When the solver finds no solution at all within ``time_limit`` seconds.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    weights = np.asarray(weights, dtype=float)
    matrix = sp.csr_matrix(coverage, dtype=float)
    demand = np.flatnonzero((weights > 0) & (np.asarray(matrix.sum(axis=0)).ravel() > 0))
    m, d = matrix.shape[0], len(demand)
    if m == 0 or d == 0 or k <= 0:
        return [], 0.0, True
    cover = matrix[:, demand].T.tocsr()
    link = sp.hstack([-cover, sp.identity(d, format="csr")], format="csr")
    budget = sp.csr_matrix(np.concatenate([np.ones(m), np.zeros(d)])[None, :])
    constraints = [
        LinearConstraint(link, -np.inf, 0.0),
        LinearConstraint(budget, -np.inf, float(min(k, m))),
    ]
    objective = np.concatenate([np.zeros(m), -weights[demand]])
    integrality = np.concatenate([np.ones(m), np.zeros(d)])
    result = milp(
        objective,
        constraints=constraints,
        integrality=integrality,
        bounds=Bounds(0.0, 1.0),
        options={"time_limit": time_limit},
    )
    if result.x is None:
        raise DataError(
            f"the siting MILP found no solution ({result.message})",
            "use --method greedy, fewer candidates or a smaller k",
        )
    picks = [int(i) for i in np.flatnonzero(result.x[:m] > 0.5)]
    return picks, float(-result.fun), bool(result.status == 0)


def rank_picks(
    coverage: sp.csr_matrix, weights: np.ndarray, picks: list[int]
) -> list[tuple[int, float, int]]:
    """Order chosen sites by marginal gain: (candidate, added weight, added demand points)."""
    remaining = np.asarray(weights, dtype=float).copy()
    left = list(picks)
    ranked = []
    while left:
        gains = [float(remaining[coverage[c].indices].sum()) for c in left]
        best = left.pop(int(np.argmax(gains)))
        hit = coverage[best].indices
        newly = hit[remaining[hit] > 0]
        if len(newly) == 0:
            break  # the rest add nothing (the MILP may pad its k with idle sites)
        ranked.append((best, float(remaining[newly].sum()), len(newly)))
        remaining[hit] = 0.0
    return ranked
