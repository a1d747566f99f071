"""Planning areas (社区/街道): read, found in OSM, one per community, and who lives in each."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from yushu_circle.errors import InputError
from yushu_circle.options import Datum
from yushu_circle.osm.sources import read_polygons
from yushu_circle.user_points import labels_from_column, to_wgs84

if TYPE_CHECKING:
    from yushu_circle.study import Study

ALL_AREA = "全部 all"
"""Name of the whole-study row in the compliance tables."""
SAME_COMMUNITY_OVERLAP = 0.8
"""Two polygons whose shared area is at least this share of the smaller one, and whose
names agree once generic words are dropped, are one community."""
_AREA_NAMES = ("name", "名称", "社区", "街道", "community", "subdistrict", "name_zh")
_CODE_NAMES = ("code", "区划代码", "行政区划代码", "adcode", "division_code")
"""Columns that carry an area's official division code (统计用区划代码)."""
_PLACE_KINDS = {"neighbourhood", "quarter", "suburb", "village", "hamlet", "town"}
_KIND_ORDER = {"user": 0, "admin": 1, "place": 2, "residential": 3}
# Words that say what kind of polygon a community is, not which community.
_GENERIC = re.compile(
    r"居住区|住宅区|生活区|小区|居委会|\(synthetic\)|（示例）|residential\s+area|residential"
    r"|neighbou?rhood|housing\s+estate",
    re.IGNORECASE,
)


def area_polygons(study: Study, areas: str | Path | gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """The planning areas: the user's polygons or OSM's, one polygon per community.

    Parameters
    ----------
    study : Study
    areas : str, Path or GeoDataFrame, optional
        社区/街道 boundaries with a name column; default :func:`community_areas`.

    Returns
    -------
    GeoDataFrame
        ``area``, ``area_kind``, polygons (EPSG:4326), de-duplicated by
        :func:`merge_same_communities`.
    """
    if areas is None:
        return merge_same_communities(community_areas(study), study.network.crs)
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
    geometry = frame.geometry.values
    datum = str(study.options.datum)
    if datum != Datum.WGS84 and not isinstance(areas, gpd.GeoDataFrame):
        # A file from Amap/Tencent (GCJ-02) or Baidu (BD-09): the same --datum as the points.
        geometry = shapely.transform(
            geometry, lambda c: np.column_stack(to_wgs84(c[:, 0], c[:, 1], datum))
        )
    names = labels_from_column(frame, _AREA_NAMES, f"{label}-")
    columns: dict[str, Any] = {"area": names, "area_kind": "user"}
    code_column = next((c for c in frame.columns if str(c).lower() in _CODE_NAMES), None)
    if code_column is not None:
        codes = [_code_text(v) for v in frame[code_column]]
        columns["area"] = _named_by_code([str(n) for n in names], codes)
        columns["code"] = codes
    polygons = gpd.GeoDataFrame(columns, geometry=geometry, crs="EPSG:4326")
    return merge_same_communities(polygons, study.network.crs)


def _code_text(value: Any) -> str:
    """A division code as text (a number read from a file keeps no ``.0``)."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value).strip()


def _named_by_code(names: list[str], codes: list[str]) -> list[str]:
    """Names that two divisions share (新寨村 in two townships) get their code added."""
    seen: dict[str, set[str]] = {}
    for name, code in zip(names, codes, strict=True):
        seen.setdefault(name, set()).add(code)
    return [
        f"{name} ({code})" if len(seen[name]) > 1 and code else name
        for name, code in zip(names, codes, strict=True)
    ]


def area_codes(polygons: gpd.GeoDataFrame) -> dict[tuple[str, str], str] | None:
    """The division code of each (area, kind), or None when the areas carry no codes."""
    if "code" not in polygons:
        return None
    return {
        (str(name), str(kind)): str(code)
        for name, kind, code in zip(
            polygons["area"], polygons["area_kind"], polygons["code"], strict=True
        )
    }


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


def community_key(name: str) -> str:
    """A community's name without the generic words (居住区, Residential Area, …), folded."""
    return " ".join(_GENERIC.sub(" ", name).split()).casefold()


def merge_same_communities(polygons: gpd.GeoDataFrame, metric_crs: Any) -> gpd.GeoDataFrame:
    """One area per community: polygons with the same name that mostly overlap become one.

    Two polygons are the same community when their names agree once generic words are
    dropped (:func:`community_key`: ``示例社区A居住区`` and ``示例社区A``) and they share at
    least :data:`SAME_COMMUNITY_OVERLAP` of the smaller one's area (in ``metric_crs``). The
    merged area keeps the name and kind of its most official polygon (user, then admin,
    place, residential) and the union of the polygons; ``merged`` lists the kinds joined
    by ``+``.

    Parameters
    ----------
    polygons : GeoDataFrame
        ``area``, ``area_kind``, polygons.
    metric_crs : CRS
        A metric CRS for the areas.

    Returns
    -------
    GeoDataFrame
        ``area``, ``area_kind``, ``merged``, EPSG:4326, in the input's order of each
        group's first polygon.
    """
    if len(polygons) < 2:
        return polygons.assign(merged=polygons["area_kind"].astype(str))
    metric = polygons.to_crs(metric_crs).geometry.values
    keys = [community_key(str(n)) for n in polygons["area"]]
    parent = list(range(len(polygons)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    left, right = shapely.STRtree(metric).query(metric, predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i >= j or keys[i] != keys[j]:
            continue
        shared = shapely.area(shapely.intersection(metric[i], metric[j]))
        smaller = min(shapely.area(metric[i]), shapely.area(metric[j]))
        if smaller > 0 and shared >= SAME_COMMUNITY_OVERLAP * smaller:
            parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(polygons)):
        groups.setdefault(root(i), []).append(i)
    names, kinds, merged, shapes, bests = [], [], [], [], []
    geometry = polygons.to_crs("EPSG:4326").geometry.values
    for members in groups.values():
        kind_of = [str(polygons["area_kind"].iloc[i]) for i in members]
        best = min(
            members, key=lambda i: (_KIND_ORDER.get(str(polygons["area_kind"].iloc[i]), 9), i)
        )
        bests.append(best)
        names.append(str(polygons["area"].iloc[best]))
        kinds.append(kind_of[members.index(best)])
        ordered = sorted(kind_of, key=lambda k: _KIND_ORDER.get(k, 9))
        merged.append("+".join(dict.fromkeys(ordered)))
        shapes.append(shapely.union_all(geometry[members]))
    columns: dict[str, Any] = {"area": names, "area_kind": kinds, "merged": merged}
    if "code" in polygons:  # the most official polygon's division code
        columns["code"] = [str(polygons["code"].iloc[i]) for i in bests]
    return gpd.GeoDataFrame(columns, geometry=shapes, crs="EPSG:4326")


def area_members(
    points: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame
) -> list[tuple[tuple[str, str], np.ndarray]]:
    """Point indices per (area name, kind), the whole study first; empty areas left out."""
    groups: list[tuple[tuple[str, str], np.ndarray]] = [
        ((ALL_AREA, "study"), np.arange(len(points)))
    ]
    if polygons.empty:
        return groups
    tree = shapely.STRtree(points.geometry.values)
    for name, kind, geometry in zip(
        polygons["area"], polygons["area_kind"], polygons.geometry.values, strict=True
    ):
        inside = np.sort(tree.query(geometry, predicate="intersects"))
        if len(inside):
            groups.append(((str(name), str(kind)), inside))
    return groups


def area_geometry(
    polygons: gpd.GeoDataFrame, name: str, kind: str, points: gpd.GeoDataFrame
) -> Any:
    """The polygon of an area (the whole study: the points' convex hull)."""
    if kind == "study":
        return shapely.convex_hull(shapely.union_all(points.geometry.values))
    match = polygons[(polygons["area"] == name) & (polygons["area_kind"] == kind)]
    return shapely.union_all(match.geometry.values)
