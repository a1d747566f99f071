"""Tagged features (points, lines, polygons, multipolygon relations) from an extract."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import chain
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import linemerge

from yushu_circle.osm.extract import (
    Extract,
    Relation,
    decide_per_tag_set,
    extract_from_elements,
)
from yushu_circle.osm.gcpause import paused_gc

_LINEAR_KEYS = ("highway", "barrier", "railway", "waterway", "route", "power")
_LINEAR_NATURAL = frozenset({"coastline", "cliff", "ridge", "arete", "tree_row"})


def polygonal(tags: Mapping[str, str]) -> bool:
    """Whether a closed way with these tags is an area (else it is a closed line).

    ``area=yes``/``no`` decide; otherwise a closed way is an area unless it carries a key
    of linear things (``highway``, ``barrier``, ``railway``, ``waterway``, ``route``,
    ``power``, linear ``natural=*``) and no ``building``/``landuse``/``amenity``.
    """
    area = tags.get("area")
    if area in {"yes", "no"}:
        return area == "yes"
    if any(k in tags for k in ("building", "landuse", "amenity")):
        return True
    if tags.get("natural") in _LINEAR_NATURAL:
        return False
    return not any(k in tags for k in _LINEAR_KEYS)


@paused_gc()
def features_frame(extract: Extract, tag_keys: set[str] | frozenset[str]) -> gpd.GeoDataFrame:
    """Tagged features carrying any of ``tag_keys``, one row per OSM element.

    Nodes become points; closed ways of four or more nodes polygons (see
    :func:`polygonal`), other ways lines; ``multipolygon``/``boundary`` relations
    polygons assembled from their member ways. Data clipped at the edge of the extract is
    used as far as it goes: a way's absent nodes are skipped, a clipped ring is closed
    straight across the gap, and a relation with nothing left to close is left out (with a
    note in ``frame.attrs["notes"]``), never an error.

    Parameters
    ----------
    extract : Extract
    tag_keys : set of str
        Keep features with at least one of these keys.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by (``element``, ``id``), one column per tag (sorted), EPSG:4326.
    """
    keys = frozenset(tag_keys)
    p_idx = [i for i, t in enumerate(extract.point_tags) if not keys.isdisjoint(t)]
    w_idx = [i for i, t in enumerate(extract.way_tags) if not keys.isdisjoint(t)]
    r_list = [r for r in extract.relations if not keys.isdisjoint(r.tags)]
    points = shapely.points(extract.point_lon[p_idx], extract.point_lat[p_idx])
    way_shapes = _way_shapes(extract, np.asarray(w_idx, dtype=np.int64))
    relation_shapes, skipped = _relation_shapes(extract, r_list)
    records: list[dict[str, str]] = [extract.point_tags[i] for i in p_idx]
    records += [extract.way_tags[i] for i in w_idx]
    records += [r.tags for r in r_list]
    counts = [len(p_idx), len(w_idx), len(r_list)]
    ids = np.concatenate(
        [
            extract.point_ids[p_idx],
            extract.way_ids[w_idx],
            np.array([r.id for r in r_list], dtype=np.int64),
        ]
    ).astype(np.int64)
    geometry = np.concatenate(
        [
            np.asarray(points, dtype=object).reshape(-1),
            way_shapes,
            np.asarray(relation_shapes, dtype=object).reshape(-1),
        ]
    )
    valid = ~(pd.isna(geometry) | shapely.is_empty(geometry))
    index = _element_index(counts, ids)
    columns = _tag_columns(records)
    frame = pd.DataFrame({key: columns[key] for key in sorted(columns)}, index=index)
    result = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")[valid]
    notes = []
    if skipped:
        notes.append(
            f"{skipped:,} area relation(s) left out: too little of their outline is in the data "
            "(clipped at its edge)"
        )
    result.attrs["notes"] = notes
    return result


def _element_index(counts: list[int], ids: np.ndarray) -> pd.MultiIndex:
    """The (``element``, ``id``) index of ``counts`` nodes, ways and relations, as
    ``MultiIndex.from_arrays`` makes it (sorted levels of the present values), without
    factorizing a million element names."""
    kinds = ["node", "way", "relation"]
    present = sorted(k for k, n in zip(kinds, counts, strict=True) if n)
    code_of = {k: i for i, k in enumerate(present)}
    element_codes = np.repeat([code_of.get(k, -1) for k in kinds], counts).astype(np.int8)
    id_level, id_codes = np.unique(ids, return_inverse=True)
    levels = [pd.Index(np.array(present, dtype=object)), pd.Index(id_level)]
    codes: list[Any] = [element_codes, id_codes]
    return pd.MultiIndex(
        levels=levels,
        codes=codes,
        names=["element", "id"],
        verify_integrity=False,
    )


def _tag_columns(records: list[dict[str, str]]) -> dict[str, Any]:
    """One column per tag key, NaN where a feature lacks the tag, as
    ``DataFrame.from_records`` gives them, with no Python work per row in the columns.

    Every (row, key, value) is laid out flat once, grouped by key with one stable sort,
    and where pandas reads strings as its ``str`` dtype (pandas 3), each column is built
    as that Arrow-backed array straight from its present values.
    """
    count = len(records)
    if not count:
        return {}
    lengths = np.fromiter(map(len, records), np.int64, count)
    rows = np.repeat(np.arange(count), lengths)
    keys = np.fromiter(chain.from_iterable(records), object, len(rows))
    values = np.fromiter(chain.from_iterable(t.values() for t in records), object, len(rows))
    codes, uniques = pd.factorize(keys)
    order = np.argsort(codes, kind="stable")  # rows stay in order within a key
    bounds = np.zeros(len(uniques) + 1, dtype=np.int64)
    np.cumsum(np.bincount(codes, minlength=len(uniques)), out=bounds[1:])
    dtype = string_dtype()
    columns: dict[str, Any] = {}
    for k, key in enumerate(uniques):
        picked = order[bounds[k] : bounds[k + 1]]
        if dtype is None:
            column = np.full(count, np.nan, dtype=object)
            column[rows[picked]] = values[picked]
            columns[str(key)] = column
            continue
        # Position of each row's value among the present ones; -1 (null) where absent.
        where = np.full(count, -1, dtype=np.int64)
        where[rows[picked]] = np.arange(len(picked))
        present = pa.array(values[picked], type=pa.large_string())
        columns[str(key)] = pd.array(present.take(pa.array(where, mask=where < 0)), dtype=dtype)
    return columns


def string_column(values: pa.Array) -> Any:
    """Strings (no nulls) as the column pandas makes of the same Python strings: its
    Arrow-backed ``str`` dtype (pandas 3), built without a Python object per value;
    else an object array."""
    dtype = string_dtype()
    if dtype is None:
        return np.asarray(values.to_pylist(), dtype=object)
    return pd.array(values.cast(pa.large_string()), dtype=dtype)


def string_dtype() -> Any:
    """The dtype pandas gives a column of strings and NaN: its Arrow-backed ``str`` (pandas
    3, or ``future.infer_string``), or None where it keeps them as objects."""
    dtype = pd.Series(np.array(["x", np.nan], dtype=object)).dtype
    if getattr(dtype, "storage", None) != "pyarrow":
        return None
    return dtype


def _way_shapes(extract: Extract, w_idx: np.ndarray) -> np.ndarray:
    """Geometry of the selected ways (vectorized for complete ways, one by one for clipped)."""
    offsets = extract.way_offsets
    shapes = np.full(len(w_idx), None, dtype=object)
    if not len(w_idx):
        return shapes
    starts, ends = offsets[w_idx], offsets[w_idx + 1]
    counts = ends - starts
    # Per way: whether any node is absent (NaN), summed per run without a Python loop.
    absent = np.zeros(len(offsets) - 1, dtype=bool)
    nonempty = np.diff(offsets) > 0
    if nonempty.any():
        gaps = np.add.reduceat(~np.isfinite(extract.way_lon), offsets[:-1][nonempty])
        absent[nonempty] = gaps > 0
    complete = ~absent[w_idx]
    closed = (counts >= 4) & (extract.way_refs[starts] == extract.way_refs[np.maximum(ends - 1, 0)])
    # Only closed ways can be areas: ask their tags alone.
    area = closed.copy()
    area[closed] = decide_per_tag_set([extract.way_tags[i] for i in w_idx[closed]], polygonal)
    for kind in ("polygon", "line"):
        pick = complete & (area if kind == "polygon" else ~area & (counts >= 2))
        if not pick.any():
            continue
        picked = counts[pick]
        run_starts = np.zeros(len(picked), dtype=np.int64)
        np.cumsum(picked[:-1], out=run_starts[1:])
        sel = np.repeat(starts[pick] - run_starts, picked) + np.arange(int(picked.sum()))
        coords = np.column_stack([extract.way_lon[sel], extract.way_lat[sel]])
        line_of = np.repeat(np.arange(int(pick.sum())), counts[pick])
        if kind == "polygon":
            made = shapely.polygons(shapely.linearrings(coords, indices=line_of))
        else:
            made = shapely.linestrings(coords, indices=line_of)
        shapes[pick] = made
    for k in np.flatnonzero(~complete | (counts < 2)):
        s, e = starts[k], ends[k]
        coords = np.column_stack([extract.way_lon[s:e], extract.way_lat[s:e]])
        shapes[k] = _partial_shape(coords[np.isfinite(coords[:, 0])], bool(area[k]))
    return shapes


def _partial_shape(coords: np.ndarray, is_area: bool) -> Any:
    """The shape of the present nodes of a way clipped at the data's edge."""
    distinct = np.unique(coords, axis=0) if len(coords) else coords
    if is_area and len(distinct) >= 3:
        polygon = _valid_area(Polygon(coords))
        if polygon is not None:
            return polygon
    if len(distinct) >= 2:
        return LineString(coords)
    if len(distinct) == 1:
        return Point(distinct[0])
    return None


def _valid_area(shape: Any) -> Any:
    """The polygonal part of a shape made valid, or None when it has no area."""
    fixed = shapely.make_valid(shape)
    parts = [g for g in shapely.get_parts(fixed) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    merged = shapely.union_all(parts)
    return merged if merged.area > 0 else None


def _relation_shapes(extract: Extract, relations: list[Relation]) -> tuple[list[Any], int]:
    """Polygons of area relations from their member ways; count of the unusable ones."""
    if not relations:
        return [], 0
    position = {int(w): i for i, w in enumerate(extract.way_ids)}
    shapes: list[Any] = []
    skipped = 0
    for relation in relations:
        rings: dict[bool, list[LineString]] = {True: [], False: []}
        for kind, ref, role in relation.members:
            if kind != "way" or ref not in position:
                continue
            i = position[ref]
            s, e = extract.way_offsets[i], extract.way_offsets[i + 1]
            coords = np.column_stack([extract.way_lon[s:e], extract.way_lat[s:e]])
            rings[role != "inner"] += _present_lines(coords)
        try:
            outer = _rings_area(rings[True])
            inner = _rings_area(rings[False])
            shape = (
                outer if outer is None or inner is None else _valid_area(outer.difference(inner))
            )
        except shapely.errors.GEOSException:
            shape = None
        skipped += shape is None
        shapes.append(shape)
    return shapes, skipped


def _present_lines(coords: np.ndarray) -> list[LineString]:
    """The runs of two or more present nodes of a member way, as lines."""
    present = np.isfinite(coords[:, 0])
    runs: list[LineString] = []
    start = None
    for k in range(len(coords) + 1):
        if k < len(coords) and present[k]:
            start = k if start is None else start
            continue
        if start is not None and k - start >= 2:
            runs.append(LineString(coords[start:k]))
        start = None
    return runs


def _rings_area(lines: list[LineString]) -> Any:
    """The area enclosed by member lines joined end to end; an open chain (clipped) is
    closed straight across its gap when it still has three distinct points."""
    if not lines:
        return None
    merged = linemerge(lines) if len(lines) > 1 else lines[0]
    areas = []
    for line in shapely.get_parts(merged):
        coords = np.asarray(line.coords)
        if len(np.unique(coords, axis=0)) < 3:
            continue
        polygon = _valid_area(Polygon(coords))
        if polygon is not None:
            areas.append(polygon)
    if not areas:
        return None
    # Rings of one role that overlap (nested outers) count once: symmetric difference would
    # punch holes, union keeps every mapped area.
    return _valid_area(shapely.union_all(areas))


def features_from_elements(
    elements: Iterable[Mapping[str, Any]], tag_keys: Iterable[str], area: Any = None
) -> gpd.GeoDataFrame:
    """Turn OSM elements into a GeoDataFrame of tagged features (the reader every format uses).

    Parameters
    ----------
    elements : iterable of dict
        Overpass-JSON style elements.
    tag_keys : iterable of str
        Keep features carrying any of these keys.
    area : shapely Polygon, optional
        Keep only features touching it (EPSG:4326).

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by (``element``, ``id``), EPSG:4326, one column per tag.
    """
    extract = extract_from_elements(elements)
    if area is not None:
        extract = extract.clip(area)
    return features_frame(extract, set(tag_keys))
