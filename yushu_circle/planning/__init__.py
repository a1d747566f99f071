"""Planning: compliance, completeness, gaps, siting, supply and demand, what-if, the plan."""

from __future__ import annotations

from yushu_circle.planning.areas import ALL_AREA, community_areas, merge_same_communities
from yushu_circle.planning.completeness import LEVEL_POPULATION_MAX, MIN_MAPPED, completeness
from yushu_circle.planning.compliance import NOT_ASSESSED, Compliance, compliance
from yushu_circle.planning.cover import exact_cover, greedy_cover, milp_cover
from yushu_circle.planning.gaps import GAP_BUFFER_M, Gaps, gaps
from yushu_circle.planning.plan import Plan, PlanOptions, run_plan
from yushu_circle.planning.siting import (
    MAX_CANDIDATES,
    Candidates,
    Siting,
    coverage_matrix,
    node_candidates,
    point_candidates,
    site_facilities,
)
from yushu_circle.planning.supply import Supply, supply_demand
from yushu_circle.planning.walkers import profile_coverage, profile_networks
from yushu_circle.planning.whatif import WhatIf, compare

__all__ = [
    "ALL_AREA",
    "GAP_BUFFER_M",
    "LEVEL_POPULATION_MAX",
    "MAX_CANDIDATES",
    "MIN_MAPPED",
    "NOT_ASSESSED",
    "Candidates",
    "Compliance",
    "Gaps",
    "Plan",
    "PlanOptions",
    "Siting",
    "Supply",
    "WhatIf",
    "community_areas",
    "compare",
    "completeness",
    "compliance",
    "coverage_matrix",
    "exact_cover",
    "gaps",
    "greedy_cover",
    "merge_same_communities",
    "milp_cover",
    "node_candidates",
    "point_candidates",
    "profile_coverage",
    "profile_networks",
    "run_plan",
    "site_facilities",
    "supply_demand",
]
