"""The whole plan as the command line runs it: every analysis, written into one folder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from yushu_circle.planning.completeness import completeness
from yushu_circle.planning.compliance import compliance
from yushu_circle.planning.gaps import gaps
from yushu_circle.planning.report import (
    banner,
    completeness_text,
    compliance_text,
    profiles_text,
    siting_text,
    whatif_text,
)
from yushu_circle.planning.siting import site_facilities
from yushu_circle.planning.walkers import profile_coverage, profile_networks
from yushu_circle.planning.whatif import compare, with_facilities
from yushu_circle.profiles import PROFILES, get_profile
from yushu_circle.standards import load_standard

if TYPE_CHECKING:
    from yushu_circle.study import Study


def write_plan(
    study: Study,
    out_dir: str | Path,
    standard: str | Path = "gb50180",
    measure: str = "minutes",
    profile: str = "adult",
    dem: str | Path | None = None,
    areas: str | Path | None = None,
    site: str | None = None,
    k: int = 3,
    candidates: str | Path | None = None,
    method: str = "greedy",
    added: str | Path | None = None,
    removed: Sequence[str] = (),
) -> tuple[list[Path], str]:
    """Run every planning analysis and write its files atomically into ``out_dir``.

    Files: ``compliance.csv`` (per area × requirement, with each row's verified flag and
    source), ``compliance_areas.parquet`` (area polygons with 达标率, a map layer),
    ``profiles.csv`` (coverage per walker profile), ``completeness.csv``, ``gaps.csv`` and
    ``gaps.parquet`` (unserved clusters), ``siting.csv``/``siting.parquet`` (with ``site``),
    ``whatif.csv``/``whatif.parquet`` (with ``added``/``removed``), ``plan_summary.json`` and
    ``plan_map.html`` (the coverage map with compliance, gap and what-if layers).
    Compliance, gaps and siting use ``profile`` (with slope when ``dem`` is given).

    Returns
    -------
    (list of Path, str)
        The files written and a bilingual text report.
    """
    from yushu_circle.io import (
        csv_writer,
        json_writer,
        parquet_writer,
        text_writer,
        write_atomically,
    )
    from yushu_circle.render import maps

    chosen = load_standard(standard)
    walker = get_profile(profile)
    network = profile_networks(study, [walker], dem)[walker.name]
    access = study.access(network=network)
    result = compliance(study, chosen, areas=areas, access=access, measure=measure)
    profiles_table = profile_coverage(study, PROFILES, dem)
    complete = completeness(study, access)
    found = gaps(study, access)
    writers: dict[str, Any] = {
        "compliance.csv": csv_writer(result.table.set_index("area")),
        "compliance_areas.parquet": parquet_writer(result.areas),
        "profiles.csv": csv_writer(profiles_table.set_index("profile")),
        "completeness.csv": csv_writer(complete),
        "gaps.csv": csv_writer(found.table),
        "gaps.parquet": parquet_writer(found.clusters),
    }
    summary: dict[str, Any] = {
        "synthetic": study.synthetic,
        "data": study.data.label,
        "standard": {"key": chosen.key, "title": chosen.title, "title_zh": chosen.title_zh},
        "measure": measure,
        "profile": {
            "name": walker.name,
            "name_zh": walker.name_zh,
            "speed_kmh": network.speed_kmh,
            "source": walker.source,
            "slope_dem": None if dem is None else str(dem),
        },
        "compliance_rate_pop": float(result.areas["rate_pop"].iloc[0]),
        "compliance_rate_res": float(result.areas["rate_res"].iloc[0]),
        "unverified_rows": [r.label for r in result.unverified],
        "not_assessed": [r.label for r in result.skipped],
        "thin_categories": complete.index[complete["thin"]].tolist(),
    }
    lines = [banner(study), compliance_text(result, measure, walker, dem is not None)]
    lines.append(completeness_text(complete))
    lines.append(profiles_text(profiles_table))
    if site is not None:
        siting = site_facilities(
            study, site, k=k, candidates=candidates, method=method, network=network
        )
        table = pd.DataFrame(siting.sites.drop(columns="geometry")).assign(
            lon=siting.sites.geometry.x.map("{:.6f}".format),
            lat=siting.sites.geometry.y.map("{:.6f}".format),
        )
        writers["siting.csv"] = csv_writer(table.set_index("rank"))
        writers["siting.parquet"] = parquet_writer(siting.sites)
        summary["siting"] = {
            "category": siting.category,
            "k": k,
            "method": method,
            "threshold_min": siting.threshold_min,
            "candidates": siting.candidates,
            "share_pop_before": siting.share_before,
            "share_pop_after": siting.share_after,
            "seconds": siting.seconds,
        }
        lines.append(siting_text(siting, study))
    whatif_frame: gpd.GeoDataFrame | None = None
    changed: list[str] = []
    if added is not None or removed:
        scenario = with_facilities(study, added=added, removed=removed)
        diff = compare(study, scenario, network=network)
        writers["whatif.csv"] = csv_writer(diff.summary)
        writers["whatif.parquet"] = parquet_writer(diff.residences)
        summary["whatif"] = diff.summary.reset_index().to_dict("records")
        lines.append(whatif_text(diff))
        whatif_frame, changed = diff.residences, diff.categories
    layers = maps.plan_overlays(result.areas, found.clusters, whatif_frame, changed)
    writers["plan_map.html"] = text_writer(maps.plan_map(study, layers))
    writers["plan_summary.json"] = json_writer(summary)
    written = write_atomically(out_dir, writers)
    return written, "\n\n".join(lines)
