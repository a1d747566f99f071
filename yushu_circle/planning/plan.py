"""The whole plan as the command line runs it: every analysis, then one value for its folder."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from yushu_circle.access import coverage_summary, edge_minutes
from yushu_circle.assumptions import CapacityAssumptions, load_capacity_assumptions
from yushu_circle.columns import walk_min
from yushu_circle.network import WalkNetwork
from yushu_circle.options import (
    DEFAULT_MEASURE,
    DEFAULT_METHOD,
    DEFAULT_PROFILE,
    DEFAULT_SITES,
    DEFAULT_STANDARD,
    Measure,
    ProfileName,
    SitingMethod,
    parse_choice,
)
from yushu_circle.planning.completeness import completeness
from yushu_circle.planning.compliance import Compliance, compliance, level_label
from yushu_circle.planning.findings import findings, sources
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
from yushu_circle.planning.siting import Siting, site_facilities
from yushu_circle.planning.supply import Supply, supply_demand
from yushu_circle.planning.walkers import profile_coverage, profile_networks
from yushu_circle.planning.whatif import WhatIf, compare
from yushu_circle.profiles import PROFILES, Profile, get_profile
from yushu_circle.results import AreaItem, PlanLayers, PlanResults, StudyResults
from yushu_circle.results.basemap import basemap_frame, streets_frame
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
    measure : Measure
        A level's reach: its walk minutes or its radius walked at flat speed.
    profile : ProfileName
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
    method : SitingMethod
        Siting method (``greedy`` or ``milp``).
    added : Path, optional
        What-if: a facilities file to add.
    removed : tuple of str
        What-if: ``facility_id`` values to take out.
    capacity : Path or CapacityAssumptions, optional
        The planner's capacity assumptions file (laid out like
        ``data/assumptions/capacity.toml``, the default); a path is read and checked when
        the options are made, so a bad file fails before any search.
    """

    standard: str | Path = DEFAULT_STANDARD
    measure: Measure = DEFAULT_MEASURE
    profile: ProfileName = DEFAULT_PROFILE
    dem: Path | None = None
    areas: Path | None = None
    site: str | None = None
    k: int = DEFAULT_SITES
    candidates: Path | None = None
    method: SitingMethod = DEFAULT_METHOD
    added: Path | None = None
    removed: tuple[str, ...] = ()
    capacity: Path | CapacityAssumptions | None = None

    def __post_init__(self) -> None:
        # Frozen: a choice given by name ("metres", from the command line) becomes its member.
        object.__setattr__(self, "measure", parse_choice(Measure, "measure", self.measure))
        object.__setattr__(self, "profile", parse_choice(ProfileName, "profile", self.profile))
        object.__setattr__(self, "method", parse_choice(SitingMethod, "method", self.method))
        if self.capacity is not None and not isinstance(self.capacity, CapacityAssumptions):
            object.__setattr__(self, "capacity", load_capacity_assumptions(self.capacity))

    @property
    def assumptions(self) -> CapacityAssumptions | None:
        """The capacity assumptions read from ``capacity`` (None: the shipped file's)."""
        return self.capacity if isinstance(self.capacity, CapacityAssumptions) else None


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
    node_minutes : mapping of str to ndarray
        Per category, the walker's minutes from every network node (for the streets'
        minutes, without searching again).
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
    node_minutes: Mapping[str, np.ndarray]

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
    detail = study.access_detail(network=network)
    access = study.access_table(detail)
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
        supply=supply_demand(
            study,
            chosen,
            network,
            areas=result.areas,
            assumptions=options.assumptions,
        ),
        siting=siting,
        whatif=diff,
        node_minutes=detail.node_minutes,
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
            for key in (
                "tool",
                "synthetic_note",
                "residence_source",
                "residences",
                "population",
                "notes",
            )
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
        "findings": findings(result, plan.siting),
        "sources": sources(
            study,
            plan.standard,
            plan.walker,
            plan.supply.assumptions,
            (plan.options.areas, plan.options.dem),
        ),
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


def plan_results(study: Study, plan: Plan) -> PlanResults:
    """The plan as a value for its folder, its map and its report.

    The tables are those of the plan's files; ``walker`` is the study seen by the plan's
    walker (its minutes, its streets' minutes from the plan's own search, its subtitle and
    notes); ``layers`` says which view the plan map opens on and what it draws.

    Parameters
    ----------
    study : Study
    plan : Plan
        From :func:`run_plan` on ``study``.

    Returns
    -------
    PlanResults
    """
    result = plan.compliance
    whatif = plan.whatif
    edges = study.network.edges_frame()
    basemap = basemap_frame(study.features)
    return PlanResults(
        summary=plan_summary(study, plan),
        compliance=result.table.set_index("area"),
        areas=result.areas,
        profiles=plan.profiles.set_index("profile"),
        completeness=plan.completeness,
        gaps=plan.gaps.table,
        clusters=plan.gaps.clusters,
        supply=plan.supply.areas.set_index("area"),
        supply_facilities=plan.supply.facilities_table(),
        supply_residences=plan.supply.residences,
        sites=plan.siting.sites if plan.siting is not None else None,
        whatif=whatif.summary if whatif is not None else None,
        whatif_residences=whatif.residences if whatif is not None else None,
        streets=streets_frame(edges, study.network.edge_name, basemap[0]),
        walker=_walker_results(study, plan, edges, basemap),
        layers=_layers(study, plan),
        text=plan_text(study, plan),
    )


def _walker_results(
    study: Study,
    plan: Plan,
    edges: gpd.GeoDataFrame,
    basemap: tuple[gpd.GeoDataFrame, list[str]],
) -> StudyResults:
    """The study as the plan's walker sees it: the plan map's residences, streets, notes."""
    minutes = edge_minutes(plan.network, study.facility_snaps, plan.node_minutes)
    footprints, notes = basemap
    meta = dict(study.metadata())
    unverified = [r.label for r in plan.compliance.unverified]
    extra = [
        f"步行者 {plan.walker.label}，{plan.network.speed_kmh:.2f} km/h"
        + ("，含坡度 with slope" if plan.options.dem is not None else "")
        + f" · walk minutes of the plan's walker ({plan.walker.name})"
    ]
    if unverified:
        extra.append(
            f"{len(unverified)} 条标准条目未核实 · {len(unverified)} standard rows unverified "
            f"(check before citing): {', '.join(unverified)}"
        )
    meta["notes"] = [*meta.get("notes", []), *extra, *notes]
    meta["map_subtitle"] = plan.subtitle
    meta["speed_kmh"] = plan.network.speed_kmh
    return StudyResults(
        access=plan.access,
        facilities=study.facilities,
        summary=plan.coverage,
        meta=meta,
        edges=gpd.GeoDataFrame(edges.join(minutes), crs=edges.crs),
        basemap=footprints,
    )


def _layers(study: Study, plan: Plan) -> PlanLayers:
    category, column = initial_view(plan)
    if category is not None and walk_min(category) not in plan.access:
        category = None
    result = plan.compliance
    siting = plan.siting
    return PlanLayers(
        category=category,
        column=column,
        items=tuple(
            AreaItem(r.label, r.category, r.level, r.name_zh, r.verified) for r in result.assessed
        ),
        levels=tuple((m, level_label(m)) for m in result.levels),
        sited=siting.category if siting is not None else None,
        sited_label=study.catalog[siting.category].label if siting is not None else "",
        siting_method=siting.method if siting is not None else "",
        whatif_categories=tuple(plan.whatif.categories) if plan.whatif is not None else (),
        supply_points=plan.supply.facilities,
    )


def initial_view(plan: Plan) -> tuple[str | None, str]:
    """The category and the area column the plan map opens on.

    The per-item view of the first failing ▲ item whose areas differ (so the choropleth
    is not one colour); else the per-level layer whose areas differ most; else 达标率.

    Returns
    -------
    (str or None, str)
        Category key (None: the score view) and the ``Compliance.areas`` column.
    """
    result = plan.compliance
    areas = result.areas[result.areas["area_kind"] != "study"]
    first = result.first_failing()
    failing = [first] if first is not None else []
    failing += sorted(
        (
            r
            for r in result.assessed
            if r.required and r is not first and _value(result, r.label) < 1.0
        ),
        key=lambda r: (r.level, result.standard.requirements.index(r)),
    )
    for req in failing:
        column = f"item_{req.label}"
        if len(areas) == 0 or _spread(areas[column]) > 0:
            return req.category, column
    levels = [level_label(m) for m in result.levels]
    if levels and len(areas):
        best = max(levels, key=lambda c: _spread(areas[c]))
        if _spread(areas[best]) > 0:
            return None, best
    return None, "rate_pop"


def _value(result: Compliance, label: str) -> float:
    rows = result.study_rows("item").set_index("requirement")["share_pop"]
    value = float(rows.get(label, np.nan))
    return value if np.isfinite(value) else 1.0


def _spread(values: Any) -> float:
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    return float(finite.max() - finite.min()) if len(finite) else 0.0
