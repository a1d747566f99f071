"""The whole plan as the command line runs it: every analysis, then its files in one folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from yushu_circle.access import coverage_summary
from yushu_circle.network import WalkNetwork
from yushu_circle.planning.completeness import completeness
from yushu_circle.planning.compliance import Compliance, Measure, compliance
from yushu_circle.planning.gaps import Gaps, gaps
from yushu_circle.planning.report import (
    banner,
    completeness_text,
    compliance_text,
    profiles_text,
    siting_text,
    supply_text,
    whatif_text,
)
from yushu_circle.planning.siting import Siting, SitingMethod, site_facilities
from yushu_circle.planning.supply import Supply, supply_demand
from yushu_circle.planning.walkers import profile_coverage, profile_networks
from yushu_circle.planning.whatif import WhatIf, compare
from yushu_circle.profiles import PROFILES, Profile, get_profile
from yushu_circle.standards import Standard, load_standard

if TYPE_CHECKING:
    from yushu_circle.study import Study


@dataclass(frozen=True)
class PlanOptions:
    """What a plan runs: the standard, the walker, the areas, siting and a what-if.

    Attributes
    ----------
    standard : str or Path
        ``gb50180``, ``tdt1062`` or a standards TOML file.
    measure : {"minutes", "metres"}
        A level's reach: its walk minutes or its radius walked at flat speed.
    profile : str
        Walker profile (``adult``, ``elderly``, ``child``, ``wheelchair``).
    dem : Path, optional
        Elevation GeoTIFF: slope-aware walk times.
    areas : Path, optional
        社区/街道 polygons; default OSM's, one per community.
    site : str, optional
        Category to site new facilities of.
    k : int
        Number of new sites.
    candidates : Path, optional
        Candidate sites file; default the network's nodes.
    method : {"greedy", "milp"}
        Siting method.
    added : Path, optional
        What-if: a facilities file to add.
    removed : tuple of str
        What-if: ``facility_id`` values to take out.
    """

    standard: str | Path = "gb50180"
    measure: Measure = "minutes"
    profile: str = "adult"
    dem: Path | None = None
    areas: Path | None = None
    site: str | None = None
    k: int = 3
    candidates: Path | None = None
    method: SitingMethod = "greedy"
    added: Path | None = None
    removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """Every result of a plan, for the walker profile it ran with.

    Attributes
    ----------
    options : PlanOptions
    standard : Standard
    walker : Profile
    network : WalkNetwork
        The study's network as the walker walks it (with slope when a DEM was given).
    access : GeoDataFrame
        Walk minutes of the walker (the residences table of ``Study.access``).
    coverage : DataFrame
        The coverage table of ``access`` (:func:`yushu_circle.access.coverage_summary`).
    compliance : Compliance
    profiles : DataFrame
        Coverage per walker profile.
    completeness : DataFrame
    gaps : Gaps
    supply : Supply
    siting : Siting or None
    whatif : WhatIf or None
    """

    options: PlanOptions
    standard: Standard
    walker: Profile
    network: WalkNetwork
    access: gpd.GeoDataFrame
    coverage: pd.DataFrame
    compliance: Compliance
    profiles: pd.DataFrame
    completeness: pd.DataFrame
    gaps: Gaps
    supply: Supply
    siting: Siting | None
    whatif: WhatIf | None

    @property
    def subtitle(self) -> str:
        """The walker as the map names it, e.g. ``老年人 · elderly · 坡度 slope``."""
        text = f"{self.walker.name_zh} · {self.walker.name}"
        return text + (" · 坡度 slope" if self.options.dem is not None else "")


def run_plan(study: Study, options: PlanOptions | None = None) -> Plan:
    """Run every planning analysis for one walker profile.

    Parameters
    ----------
    study : Study
    options : PlanOptions, optional
        Default: :class:`PlanOptions` ().

    Returns
    -------
    Plan
    """
    options = options or PlanOptions()
    # The planner's own items (the civilization-practice tiers) are assessed beside the
    # standard's, marked ◇ and unverified; like △ rows they never count towards a level.
    chosen = load_standard(options.standard).with_planner_items(study.catalog)
    walker = get_profile(options.profile)
    network = profile_networks(study, [walker], options.dem)[walker.name]
    access = study.access(network=network)
    counts = study.facilities["category"].value_counts().to_dict()
    siting = None
    if options.site is not None:
        siting = site_facilities(
            study,
            options.site,
            k=options.k,
            candidates=options.candidates,
            method=options.method,
            network=network,
        )
    diff = None
    if options.added is not None or options.removed:
        scenario = study.with_facilities(added=options.added, removed=options.removed)
        diff = compare(study, scenario, network=network)
    result = compliance(
        study,
        chosen,
        areas=options.areas,
        access=access,
        measure=options.measure,
        include_recommended=True,
    )
    return Plan(
        options=options,
        standard=chosen,
        walker=walker,
        network=network,
        access=access,
        coverage=coverage_summary(access, study.catalog, counts),
        compliance=result,
        profiles=profile_coverage(study, PROFILES, options.dem),
        completeness=completeness(study, access),
        gaps=gaps(study, access),
        supply=supply_demand(study, chosen, network, areas=result.areas),
        siting=siting,
        whatif=diff,
    )


def plan_summary(study: Study, plan: Plan) -> dict[str, Any]:
    """The plan in brief (``plan_summary.json``)."""
    result = plan.compliance
    complete = plan.completeness
    meta = study.metadata()
    summary: dict[str, Any] = {
        "synthetic": study.synthetic,
        "data": study.data.label,
        "study": {
            key: meta.get(key)
            for key in ("synthetic_note", "residence_source", "residences", "population", "notes")
        },
        "standard": {
            "key": plan.standard.key,
            "title": plan.standard.title,
            "title_zh": plan.standard.title_zh,
        },
        "measure": plan.options.measure,
        "profile": {
            "name": plan.walker.name,
            "name_zh": plan.walker.name_zh,
            "speed_kmh": plan.network.speed_kmh,
            "source": plan.walker.source,
            "slope_dem": None if plan.options.dem is None else str(plan.options.dem),
            "subtitle": plan.subtitle,
        },
        "compliance_rate_pop": float(result.areas["rate_pop"].iloc[0]),
        "compliance_rate_res": float(result.areas["rate_res"].iloc[0]),
        "levels": {str(m): float(result.areas[f"level_{m}min"].iloc[0]) for m in result.levels},
        "unverified_rows": [r.label for r in result.unverified],
        "not_assessed": [r.label for r in result.skipped],
        "thin_categories": complete.index[complete["thin"]].tolist(),
        "supply": plan.supply.brief(),
    }
    if plan.siting is not None:
        siting = plan.siting
        summary["siting"] = {
            "category": siting.category,
            "k": plan.options.k,
            "method": siting.method,
            "threshold_min": siting.threshold_min,
            "candidates": siting.candidates,
            "share_pop_before": siting.share_before,
            "share_pop_after": siting.share_after,
            "seconds": siting.seconds,
        }
    if plan.whatif is not None:
        summary["whatif"] = plan.whatif.summary.reset_index().to_dict("records")
        summary["whatif_note"] = plan.whatif.note
    return summary


def plan_text(study: Study, plan: Plan) -> str:
    """The bilingual text report the command line prints."""
    slope = plan.options.dem is not None
    lines = [
        banner(study),
        compliance_text(plan.compliance, plan.options.measure, plan.walker, slope),
        completeness_text(plan.completeness),
        profiles_text(plan.profiles),
        supply_text(plan.supply),
    ]
    if plan.siting is not None:
        lines.append(siting_text(plan.siting, study))
    if plan.whatif is not None:
        lines.append(whatif_text(plan.whatif))
    return "\n\n".join(lines)
