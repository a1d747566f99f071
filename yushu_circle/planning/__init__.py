"""Planning analysis: standard compliance, data completeness, gaps, facility siting, what-if."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra

from yushu_circle.access import coverage_summary, minutes_to_nearest
from yushu_circle.catalog import LEVELS
from yushu_circle.errors import DataError, InputError
from yushu_circle.network import Snap, WalkNetwork, min_csr
from yushu_circle.osm.sources import read_polygons
from yushu_circle.places import (
    _find_column,
    labels_from_column,
    read_user_points,
)
from yushu_circle.profiles import PROFILES, Profile, get_profile, node_elevations, profile_network
from yushu_circle.standards import Requirement, Standard, load_standard

if TYPE_CHECKING:
    from yushu_circle.study import Study

ALL_AREA = "全部 all"
NOT_ASSESSED = "not assessed: category not in the catalog, bring a --facilities file 无数据未评估"
"""Name of the whole-study row in the compliance tables."""
LEVEL_POPULATION_MAX = {5: 12_000, 10: 25_000, 15: 100_000}
"""Largest population GB 50180-2018 lets one life circle of each level serve (5-min: M)."""
MIN_MAPPED = 3
"""Below this many facilities *and* under half the population served, a category is thin."""
GAP_BUFFER_M = 100.0
"""Unserved residences within 2 × this distance of each other form one gap cluster."""
MAX_CANDIDATES = 4000
"""Network-node candidates are thinned on a grid to at most this many for siting."""
_AREA_NAMES = ("name", "名称", "社区", "街道", "community", "subdistrict", "name_zh")
_PLACE_KINDS = {"neighbourhood", "quarter", "suburb", "village", "hamlet", "town"}


# --- compliance --------------------------------------------------------------------------


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
        met[req.label] = access[f"walk_min_{req.category}"].to_numpy(dtype=float) <= limit
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
                    "share_res": _share(flags, np.ones(len(flags))),
                    "share_pop": _share(flags, pop),
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
                "share_res": _share(all_flags, np.ones(len(all_flags))),
                "share_pop": _share(all_flags, pop),
                "verified": all(r.verified for r in required),
                "source": f"{len(required)} required rows of {chosen.key}; "
                f"{sum(not r.verified for r in required)} unverified",
            }
        )
        shares = req_matrix[index].mean(axis=1) if required else np.zeros(len(index))
        area_rows.append(
            base
            | {
                "rate_res": _share(all_flags, np.ones(len(all_flags))),
                "rate_pop": _share(all_flags, pop),
                "mean_share": _share(shares, pop) if len(index) else np.nan,
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


def _share(flags: np.ndarray, weights: np.ndarray) -> float:
    total = float(np.sum(weights))
    return float(np.sum(weights * flags) / total) if total > 0 else float("nan")


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


# --- walker profiles ---------------------------------------------------------------------


def profile_networks(
    study: Study,
    profiles: Iterable[str | Profile] = tuple(PROFILES),
    dem: str | Path | None = None,
) -> dict[str, WalkNetwork]:
    """The study's network as each walker profile walks it (with slope when a DEM is given).

    Parameters
    ----------
    study : Study
    profiles : iterable of str or Profile
    dem : str or Path, optional
        Elevation GeoTIFF; node elevations are sampled once and shared.

    Returns
    -------
    dict of str to WalkNetwork
        By profile name.
    """
    elevation = None if dem is None else node_elevations(study.network, dem)
    result = {}
    for item in profiles:
        profile = get_profile(item)
        result[profile.name] = profile_network(study.network, profile, elevation)
    return result


def profile_coverage(
    study: Study,
    profiles: Iterable[str | Profile] = tuple(PROFILES),
    dem: str | Path | None = None,
    thresholds: Sequence[float] = LEVELS,
) -> pd.DataFrame:
    """The coverage table (shares within 5/10/15 minutes, median) for each walker profile.

    Returns
    -------
    DataFrame
        ``profile``, ``speed_kmh``, ``slope``, then :func:`access.coverage_summary`'s columns.
    """
    counts = study.facilities["category"].value_counts().to_dict()
    frames = []
    for name, network in profile_networks(study, profiles, dem).items():
        access = study.access(network=network)
        table = coverage_summary(access, study.catalog, counts, thresholds).reset_index()
        table.insert(0, "profile", name)
        table.insert(1, "profile_zh", PROFILES[name].name_zh if name in PROFILES else "")
        table.insert(2, "speed_kmh", round(network.speed_kmh, 3))
        table.insert(3, "slope", dem is not None)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


# --- data completeness -------------------------------------------------------------------


def completeness(study: Study, access: pd.DataFrame | None = None) -> pd.DataFrame:
    """How many facilities the data hold per category, and whether that looks too thin.

    A category is **thin** when (a) none is mapped, (b) fewer are mapped than the number of
    life circles of its level the population makes up (population / the largest population
    GB 50180 lets one circle of that level serve, :data:`LEVEL_POPULATION_MAX`, rounded up),
    or (c) fewer than :data:`MIN_MAPPED` are mapped and under half the population reaches
    one within the category's level. Each case likely understates coverage when the data
    (OSM in Chinese towns especially) miss facilities, so the warning says how to add them.

    Returns
    -------
    DataFrame
        Per category: ``facilities``, ``from_osm``, ``from_files``, ``expected_min``,
        ``share_pop_within_level``, ``thin``, ``warning`` (bilingual, empty when fine).
    """
    access = study.access() if access is None else access
    facilities = study.facilities
    population = access["population"].to_numpy(dtype=float)
    total = float(population.sum())
    rows = []
    for category in study.catalog:
        subset = facilities[facilities["category"] == category.key]
        count = len(subset)
        from_osm = int((subset["source"] == "osm").sum()) if "source" in subset else 0
        expected = max(1, math.ceil(total / LEVEL_POPULATION_MAX.get(category.level, 100_000)))
        minutes = access[f"walk_min_{category.key}"].to_numpy(dtype=float)
        share = _share(minutes <= category.level, population)
        reasons = []
        if count == 0:
            reasons.append("none mapped 未找到")
        elif count < expected:
            reasons.append(f"fewer than the {expected} the population implies")
        elif count < MIN_MAPPED and share < 0.5:
            reasons.append(f"under half the population within {category.level} min")
        warning = ""
        if reasons:
            warning = (
                f"only {count} {category.name_en} mapped for {total:,.0f} residents "
                f"({'; '.join(reasons)}) — coverage is probably understated; add your inventory "
                f"with --facilities FILE / 仅找到 {count} 处{category.name_zh}，覆盖率可能偏低，"
                "请用 --facilities 补充设施清单"
            )
        rows.append(
            {
                "category": category.key,
                "name_zh": category.name_zh,
                "name_en": category.name_en,
                "level_min": category.level,
                "facilities": count,
                "from_osm": from_osm,
                "from_files": count - from_osm,
                "expected_min": expected,
                "share_pop_within_level": share,
                "thin": bool(reasons),
                "warning": warning,
            }
        )
    return pd.DataFrame(rows).set_index("category")


# --- gaps --------------------------------------------------------------------------------


@dataclass
class Gaps:
    """Residents outside each category's threshold.

    Attributes
    ----------
    table : DataFrame
        Per category: ``threshold_min``, ``unserved_residences``, ``unserved_population``,
        ``share_pop_unserved``, ``clusters``.
    clusters : GeoDataFrame
        Clusters of unserved residences: ``category``, ``cluster``, ``residences``,
        ``population``, polygon (EPSG:4326), largest population first per category.
    """

    table: pd.DataFrame
    clusters: gpd.GeoDataFrame


def gaps(
    study: Study,
    access: pd.DataFrame | None = None,
    categories: Sequence[str] | None = None,
    thresholds: Mapping[str, float] | None = None,
    buffer_m: float = GAP_BUFFER_M,
) -> Gaps:
    """Residences and population beyond each category's threshold, and where they cluster.

    Clusters: every unserved residence is buffered by ``buffer_m`` (in the network's metric
    CRS) and the buffers are unioned; each resulting polygon is one cluster (single-linkage
    at ``2 × buffer_m``), holding the residences inside it and their population.
    Off-network residences count as unserved.

    Parameters
    ----------
    study : Study
    access : DataFrame, optional
        Walk minutes; default ``study.access()``.
    categories : sequence of str, optional
        Default: every catalog category.
    thresholds : mapping of str to float, optional
        Minutes per category; default the category's life-circle level.
    buffer_m : float
        Buffer radius, metres.

    Returns
    -------
    Gaps
    """
    if not buffer_m > 0:
        raise InputError(f"gap buffer {buffer_m!r} m is not positive", "pass a distance above 0")
    access = study.access() if access is None else access
    keys = list(categories) if categories is not None else study.catalog.keys
    population = access["population"].to_numpy(dtype=float)
    total = float(population.sum())
    metric = access.geometry.to_crs(study.network.crs).values
    rows = []
    clusters: list[dict[str, Any]] = []
    for key in keys:
        category = _category(study, key)
        limit = float((thresholds or {}).get(key, category.level))
        unserved = ~(access[f"walk_min_{key}"].to_numpy(dtype=float) <= limit)
        found = _clusters(metric[unserved], population[unserved], buffer_m)
        for i, (count, pop, polygon) in enumerate(found):
            clusters.append(
                {
                    "category": key,
                    "cluster": i + 1,
                    "residences": count,
                    "population": pop,
                    "geometry": polygon,
                }
            )
        rows.append(
            {
                "category": key,
                "name_zh": category.name_zh,
                "name_en": category.name_en,
                "threshold_min": limit,
                "unserved_residences": int(unserved.sum()),
                "unserved_population": float(population[unserved].sum()),
                "share_pop_unserved": float(population[unserved].sum() / total) if total else 0,
                "clusters": len(found),
            }
        )
    frame = gpd.GeoDataFrame(
        pd.DataFrame(clusters, columns=["category", "cluster", "residences", "population"]),
        geometry=[c["geometry"] for c in clusters],
        crs=study.network.crs,
    ).to_crs("EPSG:4326")
    return Gaps(pd.DataFrame(rows).set_index("category"), frame)


def _clusters(
    points: np.ndarray, population: np.ndarray, buffer_m: float
) -> list[tuple[int, float, Any]]:
    if len(points) == 0:
        return []
    union = shapely.union_all(shapely.buffer(points, buffer_m, quad_segs=4))
    parts = shapely.get_parts(union)
    tree = shapely.STRtree(parts)
    point_idx, part_idx = tree.query(points, predicate="intersects")
    owner = np.full(len(points), -1)
    owner[point_idx] = part_idx
    counts = np.bincount(owner, minlength=len(parts))
    pops = np.bincount(owner, weights=population, minlength=len(parts))
    order = np.lexsort((-counts, -pops))
    return [(int(counts[i]), float(pops[i]), parts[i]) for i in order]


# --- siting ------------------------------------------------------------------------------


@dataclass
class Siting:
    """New sites for one category, ranked by the population each newly brings in range.

    Attributes
    ----------
    category : str
    threshold_min : float
    method : str
        ``greedy`` or ``milp``.
    sites : GeoDataFrame
        ``rank``, ``candidate``, ``added_population``, ``added_residences``,
        ``covered_population_after``, ``share_pop_after``, point geometry (EPSG:4326).
    total_population, covered_before, covered_after : float
        Population of the study, and within the threshold before and after.
    candidates : int
        Number of candidates considered.
    seconds : dict of str to float
        Time spent building coverage and solving.
    """

    category: str
    threshold_min: float
    method: str
    sites: gpd.GeoDataFrame
    total_population: float
    covered_before: float
    covered_after: float
    candidates: int
    seconds: dict[str, float]

    @property
    def share_before(self) -> float:
        """Share of the population within the threshold today."""
        return self.covered_before / self.total_population if self.total_population else np.nan

    @property
    def share_after(self) -> float:
        """Share of the population within the threshold with the new sites."""
        return self.covered_after / self.total_population if self.total_population else np.nan

    def as_facilities(self) -> gpd.GeoDataFrame:
        """The sites as a facilities table, ready for :meth:`Study.with_facilities`."""
        return gpd.GeoDataFrame(
            {
                "facility_id": [f"site-{self.category}-{r}" for r in self.sites["rank"]],
                "category": self.category,
                "name": [f"new site 新选址 {r}" for r in self.sites["rank"]],
                "source": "siting",
            },
            geometry=self.sites.geometry.values,
            crs="EPSG:4326",
        )


@dataclass
class Candidates:
    """Candidate sites placed on the network.

    Attributes
    ----------
    u, v : ndarray of int
        The two nodes a candidate reaches first (equal for a node candidate).
    start_u, start_v : ndarray of float
        Minutes from ``u`` / ``v`` to the candidate (incl. its access leg).
    snap : Snap or None
        Edge placement of file candidates (for residences on the same edge).
    x, y : ndarray of float
        Projected coordinates (network CRS) of the site.
    ids : ndarray
        Candidate ids.
    """

    u: np.ndarray
    v: np.ndarray
    start_u: np.ndarray
    start_v: np.ndarray
    snap: Snap | None
    x: np.ndarray
    y: np.ndarray
    ids: np.ndarray

    def __len__(self) -> int:
        return len(self.u)

    def subset(self, index: np.ndarray) -> Candidates:
        """The candidates at ``index``."""
        return Candidates(
            self.u[index],
            self.v[index],
            self.start_u[index],
            self.start_v[index],
            None if self.snap is None else self.snap.subset(index),
            self.x[index],
            self.y[index],
            self.ids[index],
        )


def node_candidates(network: WalkNetwork, nodes: np.ndarray | None = None) -> Candidates:
    """Network nodes as candidate sites (all, or the given node indices)."""
    index = np.arange(network.node_count) if nodes is None else np.asarray(nodes, np.int64)
    zeros = np.zeros(len(index))
    return Candidates(
        index,
        index,
        zeros,
        zeros.copy(),
        None,
        network.node_xy[index, 0],
        network.node_xy[index, 1],
        network.node_ids[index],
    )


def point_candidates(
    network: WalkNetwork, snap: Snap, x: np.ndarray, y: np.ndarray, ids: np.ndarray
) -> Candidates:
    """Candidate sites from points (e.g. vacant lots) snapped onto edges; off-network dropped."""
    keep = snap.on_network & (snap.edge >= 0)
    snap = snap.subset(keep)
    edge = snap.edge
    access = snap.snap_m / network.metres_per_minute
    return Candidates(
        network.edge_u[edge],
        network.edge_v[edge],
        access + snap.frac * network.time_uv[edge],
        access + (1.0 - snap.frac) * network.time_vu[edge],
        snap,
        np.asarray(x)[keep],
        np.asarray(y)[keep],
        np.asarray(ids)[keep],
    )


def coverage_matrix(
    network: WalkNetwork,
    residences: Snap,
    candidates: Candidates,
    threshold: float,
    chunk: int | None = None,
    demand: np.ndarray | None = None,
) -> sp.csr_matrix:
    """Which residences reach which candidate site within ``threshold`` minutes.

    Residences walk *to* the site, so each candidate runs one bounded Dijkstra on the
    reversed graph (many candidates per scipy call, each a virtual node joined to its
    ``u``/``v`` with its offsets); a residence then adds its own access leg and the
    along-edge part to its edge's ends, as in :func:`access.minutes_to_nearest`.

    Parameters
    ----------
    network : WalkNetwork
    residences : Snap
        Off-network residences never count as covered.
    candidates : Candidates
    threshold : float
        Minutes.
    chunk : int, optional
        Candidates per Dijkstra call (default: keeps the dense block near 64 MB).
    demand : ndarray of bool, optional
        Only these residences are evaluated (others get no coverage); default all.

    Returns
    -------
    scipy.sparse.csr_matrix of bool
        Shape ``(candidates, residences)``.
    """
    n = network.node_count
    m = len(candidates)
    reverse = network.csr(reverse=True)
    virtual = n + np.arange(m)
    rows = np.concatenate([virtual, virtual])
    cols = np.concatenate([candidates.u, candidates.v])
    data = np.concatenate([candidates.start_u, candidates.start_v])
    coo = reverse.tocoo()
    augmented = min_csr(
        np.concatenate([coo.row, rows]),
        np.concatenate([coo.col, cols]),
        np.concatenate([coo.data, data]),
        n + m,
    )
    usable = residences.on_network & (residences.edge >= 0)
    ok = np.flatnonzero(usable if demand is None else usable & demand)
    edge = residences.edge[ok]
    access = residences.snap_m[ok] / network.metres_per_minute
    # each residence hangs off both end nodes of its edge: (node, residence, minutes) arcs,
    # sorted by node so the nodes a search reached expand into residences sparsely
    arc_node = np.concatenate([network.edge_u[edge], network.edge_v[edge]])
    arc_res = np.concatenate([np.arange(len(ok)), np.arange(len(ok))])
    arc_cost = np.concatenate(
        [
            access + residences.frac[ok] * network.time_vu[edge],
            access + (1.0 - residences.frac[ok]) * network.time_uv[edge],
        ]
    )
    order = np.argsort(arc_node, kind="stable")
    arc_node, arc_res, arc_cost = arc_node[order], arc_res[order], arc_cost[order]
    first = np.searchsorted(arc_node, np.arange(n + 1))
    step = chunk or max(1, int(8_000_000 // max(n + m, 1)))
    # a candidate on a residence's own edge is also reached directly along it
    on_network = residences.subset(ok)
    unreached = np.full(n, np.inf)
    blocks = []
    for start in range(0, m, step):
        ids = virtual[start : start + step]
        dist = dijkstra(augmented, directed=True, indices=ids, limit=threshold)[:, :n]
        cand, node = np.nonzero(dist <= threshold)
        counts = first[node + 1] - first[node]
        offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        arc = np.repeat(first[node], counts) + offset
        minutes = np.repeat(dist[cand, node], counts) + arc_cost[arc]
        hit = minutes <= threshold
        rows, cols = np.repeat(cand, counts)[hit], arc_res[arc[hit]]
        if candidates.snap is not None:
            extra_rows, extra_cols = [rows], [cols]
            for j in range(len(ids)):
                one = candidates.snap.subset(np.array([start + j]))
                direct = minutes_to_nearest(
                    network, on_network, one, limit=threshold, node_minutes=unreached
                )
                near = np.flatnonzero(np.isfinite(direct))
                extra_rows.append(np.full(len(near), j))
                extra_cols.append(near)
            rows, cols = np.concatenate(extra_rows), np.concatenate(extra_cols)
        block = sp.csr_matrix(
            (np.ones(len(rows), bool), (rows, ok[cols])), shape=(len(ids), len(residences))
        )
        block.sum_duplicates()
        blocks.append(block)
    if not blocks:
        return sp.csr_matrix((0, len(residences)), dtype=bool)
    return sp.vstack(blocks, format="csr")


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


def _ranked(
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


def site_facilities(
    study: Study,
    category: str,
    k: int = 3,
    candidates: str | Path | gpd.GeoDataFrame | None = None,
    threshold: float | None = None,
    method: str = "greedy",
    network: WalkNetwork | None = None,
    max_candidates: int = MAX_CANDIDATES,
) -> Siting:
    """Choose ``k`` new sites for a category that bring the most people within its threshold.

    Candidates are network nodes (thinned on a grid to ``max_candidates``, and only those a
    currently unserved residence can reach in time) or the points of a user file, e.g.
    vacant lots (polygons become a point inside).

    Parameters
    ----------
    study : Study
    category : str
        Catalog key.
    k : int
        Number of new sites.
    candidates : str, Path or GeoDataFrame, optional
        Candidate sites; default the network's nodes.
    threshold : float, optional
        Minutes; default the category's life-circle level.
    method : {"greedy", "milp"}
        Greedy (fast, ≥ 63 % of the optimum) or the exact MILP.
    network : WalkNetwork, optional
        A walker profile's network; default the study's.
    max_candidates : int
        Cap on node candidates.

    Returns
    -------
    Siting
    """
    key = _category(study, category).key
    if k < 1:
        raise InputError(f"k = {k} new sites is not positive", "pass --k 1 or more")
    if method not in ("greedy", "milp"):
        raise InputError(f"siting method {method!r} is not known", "use greedy or milp")
    net = network or study.network
    limit = float(threshold if threshold is not None else study.catalog[key].level)
    residences = study.residence_snap
    population = study.residences["population"].to_numpy(dtype=float)
    before = minutes_to_nearest(net, residences, study.facility_snaps[key], limit=limit)
    covered = before <= limit
    weights = np.where(covered | ~residences.on_network, 0.0, population)
    clock = time.perf_counter()
    if candidates is None:
        pool = node_candidates(net, _reachable_nodes(net, residences, weights > 0, limit))
        pool = _thin(pool, max_candidates)
    else:
        pool = _file_candidates(study, net, candidates)
    coverage = coverage_matrix(net, residences, pool, limit, demand=weights > 0)
    built = time.perf_counter() - clock
    clock = time.perf_counter()
    if method == "greedy":
        picks, _ = greedy_cover(coverage, weights, k)
    else:
        picks, value, optimal = milp_cover(coverage, weights, k)
        if not optimal:
            method = "milp (time limit: best found, not proven optimal)"
            greedy, gains = greedy_cover(coverage, weights, k)
            if sum(gains) > value:
                picks, method = greedy, "greedy (milp hit its time limit with less)"
    solved = time.perf_counter() - clock
    ranked = _ranked(coverage, weights, picks)
    total = float(population.sum())
    covered_before = float(population[covered].sum())
    running = covered_before
    rows = []
    for rank, (c, added, count) in enumerate(ranked, start=1):
        running += added
        rows.append(
            {
                "rank": rank,
                "candidate": pool.ids[c],
                "added_population": added,
                "added_residences": count,
                "covered_population_after": running,
                "share_pop_after": running / total if total else np.nan,
            }
        )
    chosen = [c for c, _, _ in ranked]
    sites = gpd.GeoDataFrame(
        pd.DataFrame(
            rows,
            columns=[
                "rank",
                "candidate",
                "added_population",
                "added_residences",
                "covered_population_after",
                "share_pop_after",
            ],
        ),
        geometry=gpd.points_from_xy(pool.x[chosen], pool.y[chosen]),
        crs=net.crs,
    ).to_crs("EPSG:4326")
    return Siting(
        key,
        limit,
        method,
        sites,
        total,
        covered_before,
        running,
        len(pool),
        {"coverage": built, "solve": solved},
    )


def _reachable_nodes(
    network: WalkNetwork, residences: Snap, demand: np.ndarray, limit: float
) -> np.ndarray:
    """Nodes some demand residence reaches within ``limit`` (the only useful node sites)."""
    from yushu_circle.access import multi_source_minutes

    chosen = residences.subset(demand & residences.on_network & (residences.edge >= 0))
    if len(chosen) == 0:
        return np.zeros(0, dtype=np.int64)
    edge = chosen.edge
    access = chosen.snap_m / network.metres_per_minute
    minutes = multi_source_minutes(
        network.csr(),
        np.concatenate([network.edge_u[edge], network.edge_v[edge]]),
        np.concatenate(
            [
                access + chosen.frac * network.time_vu[edge],
                access + (1 - chosen.frac) * network.time_uv[edge],
            ]
        ),
        limit=limit,
    )
    return np.flatnonzero(minutes <= limit)


def _thin(pool: Candidates, cap: int) -> Candidates:
    """Keep one candidate per grid cell, the cell size doubling until at most ``cap`` remain."""
    if len(pool) <= cap:
        return pool
    cell = 10.0
    while True:
        keys = np.column_stack([np.floor(pool.x / cell), np.floor(pool.y / cell)])
        _, first = np.unique(keys, axis=0, return_index=True)
        if len(first) <= cap:
            return pool.subset(np.sort(first))
        cell *= 2.0


def _file_candidates(
    study: Study, network: WalkNetwork, source: str | Path | gpd.GeoDataFrame
) -> Candidates:
    if isinstance(source, gpd.GeoDataFrame):
        frame = source.to_crs("EPSG:4326")
        if not frame.geometry.geom_type.eq("Point").all():
            frame = frame.set_geometry(frame.geometry.representative_point())
    else:
        frame = read_user_points(source, study.options.datum, what="candidate sites")
    if frame.empty:
        raise InputError("the candidate sites hold no points", "give at least one candidate")
    id_col = _find_column(frame, ("candidate", "id", "name", "名称", "编号"))
    ids = frame[id_col].astype(str).to_numpy() if id_col else np.arange(1, len(frame) + 1)
    x, y = network.to_projected(frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy())
    snap = network.snap(x, y, study.options.snap_limit_m)
    pool = point_candidates(network, snap, x, y, ids)
    if len(pool) == 0:
        raise DataError(
            f"none of the {len(frame)} candidate sites is within "
            f"{study.options.snap_limit_m:g} m of a walkable street",
            "check the candidates' coordinates and --datum",
        )
    return pool


def _category(study: Study, key: str) -> Any:
    if key not in study.catalog:
        raise InputError(
            f"category {key!r} is not in the catalog",
            f"use one of {', '.join(study.catalog.keys)}",
        )
    return study.catalog[key]


# --- what-if -----------------------------------------------------------------------------


def with_facilities(
    study: Study,
    added: str | Path | gpd.GeoDataFrame | None = None,
    removed: Iterable[str] = (),
) -> Study:
    """A what-if study with facilities added and/or removed: :meth:`Study.with_facilities`."""
    return study.with_facilities(added=added, removed=list(removed))


@dataclass
class WhatIf:
    """The difference a scenario makes.

    Attributes
    ----------
    residences : GeoDataFrame
        Per residence: ``residence_id``, ``population``, and for each changed category
        ``walk_min_<key>_before``, ``walk_min_<key>_after``, ``delta_min_<key>``; then
        ``score_before``, ``score_after``, ``score_delta`` — a diff map layer.
    summary : DataFrame
        Per changed category: facilities and share of population within its level before
        and after, residences better and worse off.
    categories : list of str
        The categories that changed.
    """

    residences: gpd.GeoDataFrame
    summary: pd.DataFrame
    categories: list[str]


def compare(before: Study, after: Study, network: WalkNetwork | None = None) -> WhatIf:
    """Per-residence and summary differences between two studies of the same residences.

    Parameters
    ----------
    before, after : Study
        Usually ``study`` and ``study.with_facilities(...)``.
    network : WalkNetwork, optional
        A walker profile's network used for both; default each study's own.

    Returns
    -------
    WhatIf
    """
    if len(before.residences) != len(after.residences):
        raise InputError(
            "the two studies have different residences", "compare a study with its what-if copy"
        )
    a = before.access(network=network)
    b = after.access(network=network)
    keys = [
        c.key
        for c in after.catalog
        if f"walk_min_{c.key}" in b
        and (
            f"walk_min_{c.key}" not in a
            or not np.array_equal(
                a[f"walk_min_{c.key}"].to_numpy(), b[f"walk_min_{c.key}"].to_numpy(), equal_nan=True
            )
        )
    ]
    population = b["population"].to_numpy(dtype=float)
    columns: dict[str, Any] = {
        "residence_id": b["residence_id"].to_numpy(),
        "population": population,
    }
    rows = []
    before_counts = before.facilities["category"].value_counts()
    after_counts = after.facilities["category"].value_counts()
    for key in keys:
        old = a[f"walk_min_{key}"].to_numpy(dtype=float) if f"walk_min_{key}" in a else None
        new = b[f"walk_min_{key}"].to_numpy(dtype=float)
        if old is None:
            old = np.full(len(new), np.nan)
        columns[f"walk_min_{key}_before"] = old
        columns[f"walk_min_{key}_after"] = new
        columns[f"delta_min_{key}"] = new - old
        level = after.catalog[key].level
        better = np.nan_to_num(new, nan=np.inf) < np.nan_to_num(old, nan=np.inf)
        worse = np.nan_to_num(new, nan=np.inf) > np.nan_to_num(old, nan=np.inf)
        rows.append(
            {
                "category": key,
                "name_zh": after.catalog[key].name_zh,
                "level_min": level,
                "facilities_before": int(before_counts.get(key, 0)),
                "facilities_after": int(after_counts.get(key, 0)),
                "share_pop_before": _share(old <= level, population),
                "share_pop_after": _share(new <= level, population),
                "residences_better": int(better.sum()),
                "residences_worse": int(worse.sum()),
                "population_newly_within": float(
                    population[(new <= level) & ~(old <= level)].sum()
                ),
                "population_no_longer_within": float(
                    population[(old <= level) & ~(new <= level)].sum()
                ),
            }
        )
    columns["score_before"] = a["score"].to_numpy()
    columns["score_after"] = b["score"].to_numpy()
    columns["score_delta"] = columns["score_after"] - columns["score_before"]
    frame = gpd.GeoDataFrame(columns, geometry=b.geometry.values, crs="EPSG:4326")
    summary = pd.DataFrame(
        rows,
        columns=[
            "category",
            "name_zh",
            "level_min",
            "facilities_before",
            "facilities_after",
            "share_pop_before",
            "share_pop_after",
            "residences_better",
            "residences_worse",
            "population_newly_within",
            "population_no_longer_within",
        ],
    ).set_index("category")
    return WhatIf(frame, summary, keys)


# --- the whole plan, as the command line runs it ----------------------------------------


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
    added: str | Path | gpd.GeoDataFrame | None = None,
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
    lines = [_banner(study), _compliance_text(result, measure, walker, dem is not None)]
    lines.append(_completeness_text(complete))
    lines.append(_profiles_text(profiles_table))
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
        lines.append(_siting_text(siting, study))
    whatif_frame: gpd.GeoDataFrame | None = None
    changed: list[str] = []
    if added is not None or removed:
        scenario = with_facilities(study, added=added, removed=removed)
        diff = compare(study, scenario, network=network)
        writers["whatif.csv"] = csv_writer(diff.summary)
        writers["whatif.parquet"] = parquet_writer(diff.residences)
        summary["whatif"] = diff.summary.reset_index().to_dict("records")
        lines.append(_whatif_text(diff))
        whatif_frame, changed = diff.residences, diff.categories
    layers = maps.plan_overlays(result.areas, found.clusters, whatif_frame, changed)
    writers["plan_map.html"] = text_writer(maps.plan_map(study, layers))
    writers["plan_summary.json"] = json_writer(summary)
    written = write_atomically(out_dir, writers)
    return written, "\n\n".join(lines)


def _banner(study: Study) -> str:
    if study.synthetic:
        return "NOTE 注意: SYNTHETIC demo data 合成示例数据 — not survey data."
    return f"Data 数据: {study.data.label}"


def _pct(value: Any) -> str:
    number = float(value)
    return "   n/a" if not np.isfinite(number) else f"{100 * number:5.1f}%"


def _compliance_text(result: Compliance, measure: str, walker: Profile, slope: bool) -> str:
    std = result.standard
    how = f"profile 步行者 {walker.label}" + (" + slope 坡度" if slope else "")
    lines = [f"Compliance 达标 — {std.title_zh} / {std.title} ({measure}; {how})"]
    study_rows = result.table[
        (result.table["area_kind"] == "study") & (result.table["requirement"] != "overall")
    ]
    for row in study_rows.itertuples():
        flag = "" if row.verified else "  (unverified 未核实)"
        if row.status == NOT_ASSESSED:
            flag = "  not assessed: no data (bring --facilities) 无数据未评估"
        lines.append(
            f"  {row.mark} {row.level_min:>4g} min  {row.category:<18} {row.name_zh:<12} "
            f"pop 人口 {_pct(row.share_pop)}{flag}"
        )
    lines.append(
        "  Per area 各片区: 达标率 = share of population meeting every assessed ▲ row; "
        "mean = population-weighted share of ▲ rows met 平均达标比例"
    )
    for row in result.areas.itertuples():
        lines.append(
            f"    {row.area:<40.40} {row.residences:>6,} residences  达标率 {_pct(row.rate_pop)}"
            f"  mean {_pct(row.mean_share)}"
        )
    lines.append(
        f"  {len(result.unverified)} assessed rows are from recollection (unverified 未核实): "
        "check them against the standard before citing."
    )
    return "\n".join(lines)


def _completeness_text(table: pd.DataFrame) -> str:
    lines = ["Data completeness 数据完整性"]
    thin = table[table["thin"]]
    if thin.empty:
        lines.append("  every category looks plausibly mapped 各类设施数量合理")
    for row in thin.itertuples():
        lines.append(f"  ! {row.warning}")
    return "\n".join(lines)


def _profiles_text(table: pd.DataFrame) -> str:
    pivot = table.pivot_table(index="category", columns="profile", values="share_pop_15min")
    pivot = pivot.reindex(table["category"].drop_duplicates())
    pivot = pivot[[c for c in PROFILES if c in pivot.columns]]
    text = pivot.map(_pct).to_string()
    return "Share of population within 15 min per walker profile 各类人群15分钟覆盖率\n" + text


def _siting_text(siting: Siting, study: Study) -> str:
    label = study.catalog[siting.category].label
    lines = [
        f"Siting 选址: {len(siting.sites)} new {label} ({siting.method}, "
        f"≤ {siting.threshold_min:g} min, {siting.candidates:,} candidates)",
        f"  coverage 覆盖率 {_pct(siting.share_before)} → {_pct(siting.share_after)}",
    ]
    for row in siting.sites.itertuples():
        lines.append(
            f"  #{row.rank} candidate {row.candidate}  +{row.added_population:,.0f} residents "
            f"新增覆盖人口 ({row.geometry.y:.5f} N, {row.geometry.x:.5f} E)"
        )
    return "\n".join(lines)


def _whatif_text(diff: WhatIf) -> str:
    lines = ["What-if 情景对比 (share of population within the level 覆盖率)"]
    for row in diff.summary.itertuples():
        lines.append(
            f"  {row.Index:<18} {row.name_zh:<12} {_pct(row.share_pop_before)} → "
            f"{_pct(row.share_pop_after)}  better 改善 {row.residences_better:,}, "
            f"worse 变差 {row.residences_worse:,}"
        )
    if diff.summary.empty:
        lines.append("  no category changed 无变化")
    return "\n".join(lines)
