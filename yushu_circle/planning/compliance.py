"""Compliance with a life-circle standard, per residence and per area."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from yushu_circle.columns import walk_min
from yushu_circle.errors import InputError
from yushu_circle.osm.sources import read_polygons
from yushu_circle.places import labels_from_column
from yushu_circle.planning._shared import share
from yushu_circle.standards import Requirement, Standard, load_standard

if TYPE_CHECKING:
    from yushu_circle.study import Study

ALL_AREA = "全部 all"
NOT_ASSESSED = "not assessed: category not in the catalog, bring a --facilities file 无数据未评估"
"""Name of the whole-study row in the compliance tables."""
_AREA_NAMES = ("name", "名称", "社区", "街道", "community", "subdistrict", "name_zh")
_PLACE_KINDS = {"neighbourhood", "quarter", "suburb", "village", "hamlet", "town"}


@dataclass
class Compliance:
    """Compliance with a life-circle standard.

    Attributes
    ----------
    standard : Standard
    residences : GeoDataFrame
        Per residence: ``residence_id``, ``population``, ``meets_<category>_<level>min`` for
        every assessed requirement, ``required_met``, ``required_total``, ``meets_all``.
    table : DataFrame
        Per area and requirement (plus an ``overall`` row per area, 达标率 = share of the
        population meeting every assessed required category): residences, population,
        ``share_res``, ``share_pop``, ``verified``, ``source``.
    areas : GeoDataFrame
        Area polygons (EPSG:4326) with ``residences``, ``population``,
        ``rate_res``, ``rate_pop`` (达标率) and ``mean_share`` — a map layer.
    skipped : list of Requirement
        Rows not assessed: their category is not in the study's catalog (no data).
    assessed : list of Requirement
        Rows assessed.
    """

    standard: Standard
    residences: gpd.GeoDataFrame
    table: pd.DataFrame
    areas: gpd.GeoDataFrame
    skipped: list[Requirement] = field(default_factory=list)
    assessed: list[Requirement] = field(default_factory=list)

    @property
    def unverified(self) -> list[Requirement]:
        """Assessed rows that are from recollection, to be checked before citing."""
        return [r for r in self.assessed if not r.verified]


def compliance(
    study: Study,
    standard: str | Path | Standard = "gb50180",
    areas: str | Path | gpd.GeoDataFrame | None = None,
    access: pd.DataFrame | None = None,
    measure: str = "minutes",
    include_recommended: bool = False,
) -> Compliance:
    """Which residences meet a standard's required facilities, per residence and per area.

    Parameters
    ----------
    study : Study
    standard : str, Path or Standard
        ``gb50180`` (default), ``tdt1062`` or a standards TOML file.
    areas : str, Path or GeoDataFrame, optional
        社区/街道 boundaries (a polygon file with a name column); default: named OSM
        admin boundaries, ``place=neighbourhood``-like areas and ``landuse=residential``.
    access : DataFrame, optional
        Walk minutes (e.g. of a walker profile); default ``study.access()``.
    measure : {"minutes", "metres"}
        Walk minutes of the level, or the standard's radius walked at the network speed.
    include_recommended : bool
        Assess the △ rows too (they never count towards 达标率).

    Returns
    -------
    Compliance
    """
    chosen = standard if isinstance(standard, Standard) else load_standard(standard)
    access = study.access() if access is None else access
    catalog = study.catalog
    per_minute = study.network.metres_per_minute
    rows = [r for r in chosen.requirements if r.required or include_recommended]
    assessed = [r for r in rows if r.category in catalog]
    skipped = [r for r in rows if r.category not in catalog]
    population = access["population"].to_numpy(dtype=float)
    met: dict[str, np.ndarray] = {}
    for req in assessed:
        limit = chosen.threshold_minutes(req, measure, per_minute)
        met[req.label] = access[walk_min(req.category)].to_numpy(dtype=float) <= limit
    required = [r for r in assessed if r.required]
    req_matrix = (
        np.column_stack([met[r.label] for r in required])
        if required
        else np.zeros((len(access), 0), dtype=bool)
    )
    residences = gpd.GeoDataFrame(
        {"residence_id": access["residence_id"].to_numpy(), "population": population}
        | {f"meets_{label}": flags for label, flags in met.items()}
        | {
            "required_met": req_matrix.sum(axis=1),
            "required_total": np.full(len(access), len(required)),
            "meets_all": req_matrix.all(axis=1) if required else np.zeros(len(access), bool),
        },
        geometry=access.geometry.values,
        crs="EPSG:4326",
    )
    polygons = _areas_frame(study, areas)
    members = _area_members(residences, polygons)
    table_rows: list[dict[str, Any]] = []
    area_rows: list[dict[str, Any]] = []
    for (name, kind), index in members:
        pop = population[index]
        total_pop = float(pop.sum())
        base = {"area": name, "area_kind": kind, "residences": len(index), "population": total_pop}
        for req in assessed:
            flags = met[req.label][index]
            table_rows.append(
                base
                | {
                    "requirement": req.label,
                    "category": req.category,
                    "name_zh": req.name_zh,
                    "level_min": req.level,
                    "mark": req.mark,
                    "threshold_min": round(chosen.threshold_minutes(req, measure, per_minute), 2),
                    "share_res": share(flags, np.ones(len(flags))),
                    "share_pop": share(flags, pop),
                    "verified": req.verified,
                    "source": req.source,
                }
            )
        all_flags = residences["meets_all"].to_numpy()[index]
        table_rows.append(
            base
            | {
                "requirement": "overall",
                "category": "达标率 all required",
                "name_zh": "全部必配设施达标",
                "level_min": np.nan,
                "mark": "▲",
                "threshold_min": np.nan,
                "share_res": share(all_flags, np.ones(len(all_flags))),
                "share_pop": share(all_flags, pop),
                "verified": all(r.verified for r in required),
                "source": f"{len(required)} required rows of {chosen.key}; "
                f"{sum(not r.verified for r in required)} unverified",
            }
        )
        shares = req_matrix[index].mean(axis=1) if required else np.zeros(len(index))
        area_rows.append(
            base
            | {
                "rate_res": share(all_flags, np.ones(len(all_flags))),
                "rate_pop": share(all_flags, pop),
                "mean_share": share(shares, pop) if len(index) else np.nan,
            }
        )
    area_frame = gpd.GeoDataFrame(
        pd.DataFrame(area_rows),
        geometry=[_geometry_of(polygons, name, kind, residences) for (name, kind), _ in members],
        crs="EPSG:4326",
    )
    for req in skipped:
        table_rows.append(
            {
                "area": ALL_AREA,
                "area_kind": "study",
                "residences": len(access),
                "population": float(population.sum()),
                "requirement": req.label,
                "category": req.category,
                "name_zh": req.name_zh,
                "level_min": req.level,
                "mark": req.mark,
                "threshold_min": np.nan,
                "share_res": np.nan,
                "share_pop": np.nan,
                "verified": req.verified,
                "source": req.source,
                "status": NOT_ASSESSED,
            }
        )
    table = pd.DataFrame(table_rows)
    table["status"] = (
        table["status"].fillna("assessed 已评估") if "status" in table else "assessed 已评估"
    )
    return Compliance(chosen, residences, table, area_frame, skipped, assessed)


def _area_members(
    residences: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame
) -> list[tuple[tuple[str, str], np.ndarray]]:
    """Residence indices per (area name, kind), the whole study first."""
    groups: list[tuple[tuple[str, str], np.ndarray]] = [
        ((ALL_AREA, "study"), np.arange(len(residences)))
    ]
    if polygons.empty:
        return groups
    tree = shapely.STRtree(residences.geometry.values)
    for name, kind, geometry in zip(
        polygons["area"], polygons["area_kind"], polygons.geometry.values, strict=True
    ):
        inside = np.sort(tree.query(geometry, predicate="contains"))
        if len(inside):
            groups.append(((str(name), str(kind)), inside))
    return groups


def _geometry_of(
    polygons: gpd.GeoDataFrame, name: str, kind: str, residences: gpd.GeoDataFrame
) -> Any:
    if kind == "study":
        return shapely.convex_hull(shapely.union_all(residences.geometry.values))
    match = polygons[(polygons["area"] == name) & (polygons["area_kind"] == kind)]
    return shapely.union_all(match.geometry.values)


def _areas_frame(study: Study, areas: str | Path | gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    if areas is None:
        return community_areas(study)
    if isinstance(areas, gpd.GeoDataFrame):
        frame = areas
        label = "areas"
    else:
        path = Path(areas)
        frame = read_polygons(path, "areas file", "give 社区/街道 boundary polygons")
        label = path.stem
    if frame.crs is None:
        frame = frame.set_crs("EPSG:4326")
    frame = frame.to_crs("EPSG:4326")
    frame = frame[frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if frame.empty:
        raise InputError(f"{label} hold no polygons", "give 社区/街道 boundary polygons")
    names = labels_from_column(frame, _AREA_NAMES, f"{label}-")
    return gpd.GeoDataFrame(
        {"area": names, "area_kind": "user"}, geometry=frame.geometry.values, crs="EPSG:4326"
    )


def community_areas(study: Study) -> gpd.GeoDataFrame:
    """Named areas from OSM: admin boundaries (admin_level ≥ 8), places, residential land use.

    Parameters
    ----------
    study : Study

    Returns
    -------
    GeoDataFrame
        ``area``, ``area_kind`` (``admin``, ``place`` or ``residential``), polygons (EPSG:4326).
    """
    features = study.features
    empty = gpd.GeoDataFrame({"area": [], "area_kind": []}, geometry=[], crs="EPSG:4326")
    if features.empty or "name" not in features:
        return empty
    polygonal = features.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    named = features["name"].notna().to_numpy() & polygonal

    def column(key: str) -> pd.Series:
        return features[key] if key in features else pd.Series(None, index=features.index)

    level = pd.to_numeric(column("admin_level"), errors="coerce").to_numpy()
    admin = (column("boundary") == "administrative").to_numpy() & ~(level < 8)
    place = column("place").isin(_PLACE_KINDS).to_numpy()
    residential = (column("landuse") == "residential").to_numpy()
    kind = np.select([admin, place, residential], ["admin", "place", "residential"], "")
    keep = named & (kind != "")
    if not keep.any():
        return empty
    return gpd.GeoDataFrame(
        {"area": features["name"].to_numpy()[keep].astype(str), "area_kind": kind[keep]},
        geometry=features.geometry.values[keep],
        crs="EPSG:4326",
    )
