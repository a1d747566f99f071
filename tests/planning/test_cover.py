"""Choosing k sites (:mod:`yushu_circle.planning.cover`): greedy, exact and MILP cover against
brute force, greedy's bound and its classic trap, the exact search's time limit."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp

from yushu_circle.planning import exact_cover, greedy_cover, milp_cover


def _brute_force(coverage: np.ndarray, weights: np.ndarray, k: int) -> float:
    best = 0.0
    for combo in itertools.combinations(range(coverage.shape[0]), min(k, coverage.shape[0])):
        covered = coverage[list(combo)].any(axis=0)
        best = max(best, float(weights[covered].sum()))
    return best


def _covered(coverage: np.ndarray, weights: np.ndarray, picks: list[int]) -> float:
    return float(weights[coverage[picks].any(axis=0)].sum()) if picks else 0.0


@pytest.mark.parametrize("seed", range(40))
def test_greedy_and_milp_against_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m, d = int(rng.integers(3, 9)), int(rng.integers(4, 15))
    coverage = rng.random((m, d)) < rng.uniform(0.15, 0.5)
    weights = rng.integers(1, 50, size=d).astype(float)
    weights[rng.random(d) < 0.2] = 0.0  # already covered residences weigh nothing
    matrix = sp.csr_matrix(coverage)
    picks, gains = greedy_cover(matrix, weights, 1)
    assert sum(gains) == _brute_force(coverage, weights, 1)  # greedy is exact for k = 1
    for k in (2, 3):
        optimum = _brute_force(coverage, weights, k)
        exact, exact_value, proven = exact_cover(matrix, weights, k)
        assert proven and len(exact) <= k
        assert exact_value == pytest.approx(optimum)
        assert _covered(coverage, weights, exact) == pytest.approx(optimum)
        chosen, value, optimal = milp_cover(matrix, weights, k)
        assert optimal
        assert len(chosen) <= k
        assert value == pytest.approx(optimum)
        assert _covered(coverage, weights, chosen) == pytest.approx(optimum)
        picks, gains = greedy_cover(matrix, weights, k)
        assert sum(gains) == pytest.approx(_covered(coverage, weights, picks))
        assert sum(gains) >= (1 - 1 / math.e) * optimum - 1e-9


def test_greedy_can_miss_the_optimum_but_stays_within_its_bound() -> None:
    # The classic trap: the big middle set first, then only one of the two halves.
    coverage = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 0, 1], [0, 0, 1, 1, 1, 0]], dtype=bool)
    weights = np.array([1, 1, 1, 1, 1, 1.0])
    _, gains = greedy_cover(sp.csr_matrix(coverage), weights, 2)
    _, value, _ = milp_cover(sp.csr_matrix(coverage), weights, 2)
    picks, exact, proven = exact_cover(sp.csr_matrix(coverage), weights, 2)
    assert sum(gains) == 5.0 and value == exact == 6.0 == _brute_force(coverage, weights, 2)
    assert proven and picks == [1, 2]


@pytest.mark.parametrize("seed", range(6))
def test_exact_cover_against_brute_force_on_larger_instances(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    m, d = 14, 40
    # overlapping neighbourhoods, like sites on a street grid: greedy often misses here
    centres = rng.uniform(0, 10, size=m)
    points = rng.uniform(0, 10, size=d)
    coverage = np.abs(centres[:, None] - points[None, :]) < rng.uniform(0.8, 2.5, size=(m, 1))
    weights = rng.integers(1, 30, size=d).astype(float)
    for k in (2, 3, 4):
        optimum = _brute_force(coverage, weights, k)
        picks, value, proven = exact_cover(sp.csr_matrix(coverage), weights, k)
        assert proven and len(picks) <= k
        assert value == pytest.approx(optimum)
        assert _covered(coverage, weights, picks) == pytest.approx(optimum)


def test_exact_cover_past_its_time_limit_returns_greedy_unproven() -> None:
    coverage = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 0, 1], [0, 0, 1, 1, 1, 0]], dtype=bool)
    weights = np.ones(6)
    picks, value, proven = exact_cover(sp.csr_matrix(coverage), weights, 2, time_limit=0.0)
    assert not proven
    assert value == 5.0 and picks == [0, 1]  # greedy's trap, honestly marked unproven
