"""Exact siting on a synthetic city: greedy, branch and bound, HiGHS MILP and (optional) CBC.

Every solver gets the identical covering problem (``planning.siting.siting_problem``: node
candidates thinned to the default cap, residences not yet served). Run::

    python benchmarks/siting.py --nodes 12000 --seeds 0 1 2 --k 3
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from synthetic_city import make_city

from yushu_circle import Study
from yushu_circle.planning.cover import exact_cover, greedy_cover, milp_cover
from yushu_circle.planning.siting import siting_problem

CATEGORIES = ("kindergarten", "clinic", "supermarket")


def _timed(run: Any, *args: Any) -> tuple[Any, float]:
    clock = time.perf_counter()
    result = run(*args)
    return result, time.perf_counter() - clock


def _cbc(coverage: sp.csr_matrix, weights: np.ndarray, k: int, limit: float) -> float | None:
    """The same MILP through PuLP's bundled CBC (None when PuLP is not installed)."""
    try:
        import pulp
    except ImportError:
        return None
    matrix = sp.csr_matrix(coverage, dtype=float)
    demand = np.flatnonzero((weights > 0) & (np.asarray(matrix.sum(axis=0)).ravel() > 0))
    cover = matrix[:, demand].T.tocsr()
    model = pulp.LpProblem("mclp", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{c}", cat="Binary") for c in range(matrix.shape[0])]
    y = [pulp.LpVariable(f"y{r}", 0, 1) for r in range(len(demand))]
    model += pulp.lpSum(float(weights[d]) * y[r] for r, d in enumerate(demand))
    for r in range(len(demand)):
        model += y[r] <= pulp.lpSum(
            x[c] for c in cover.indices[cover.indptr[r] : cover.indptr[r + 1]]
        )
    model += pulp.lpSum(x) <= k
    model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=limit))
    return float(pulp.value(model.objective))


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Print one row per (city, category): value and seconds of each solver, and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=12_000, help="street nodes asked for")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--limit", type=float, default=60.0, help="solver time limit, s")
    parser.add_argument("--cbc", action="store_true", help="also CBC through PuLP")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            path = Path(tmp) / f"city{seed}.osm.pbf"
            make_city(path, args.nodes, seed)
            study = Study.from_osm_file(path)
            for category in CATEGORIES:
                problem = siting_problem(study, category)
                cov, w, k = problem.coverage, problem.weights, args.k
                (_, gains), t_greedy = _timed(greedy_cover, cov, w, k)
                (_, exact, proven), t_exact = _timed(exact_cover, cov, w, k, args.limit)
                try:
                    (_, milp, optimal), t_milp = _timed(milp_cover, cov, w, k, args.limit)
                except Exception as exc:  # no solution at all within the limit
                    milp, optimal, t_milp = float("nan"), False, args.limit
                    print(f"  milp: {exc}")
                row: dict[str, Any] = {
                    "seed": seed,
                    "nodes": study.network.node_count,
                    "category": category,
                    "candidates": cov.shape[0],
                    "pairs": int(cov.nnz),
                    "greedy": [round(sum(gains), 1), round(t_greedy, 3)],
                    "exact_bnb": [round(exact, 1), round(t_exact, 3), proven],
                    "highs_milp": [round(milp, 1), round(t_milp, 2), optimal],
                    "milp_over_bnb": round(t_milp / max(t_exact, 1e-6), 1),
                }
                if args.cbc:
                    value, t_cbc = _timed(_cbc, cov, w, k, args.limit)
                    row["cbc"] = [value, round(t_cbc, 2)]
                rows.append(row)
                print(json.dumps(row, ensure_ascii=False), flush=True)
    return rows


if __name__ == "__main__":
    main()
