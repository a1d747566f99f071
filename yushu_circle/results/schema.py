"""One schema per file of the output folders: what :mod:`yushu_circle.io` checks at the door when
it reads a folder back (``map``, ``report``, ``batch``) and ``tests/validate.py`` checks on every
folder a test writes.

A table's schema names its required columns and their kind, the column families (every
``walk_min_*`` column is a number) and its geometry types; a JSON file's schema is the nested
shape of the document. :func:`table_problem` and :func:`json_problem` say, in one phrase,
what is wrong with a file that does not fit (``None`` when it fits).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from yushu_circle.results.engine import FORMAT as ENGINE_FORMAT
from yushu_circle.results.engine import OLD_FORMAT as ENGINE_FORMAT_1
from yushu_circle.results.files import PlanFile, StudyFile


class Kind(enum.StrEnum):
    """What a column holds."""

    TEXT = "text"
    NUMBER = "number"
    INTEGER = "whole number"
    BOOL = "true/false"
    ANY = "anything"


@dataclass(frozen=True)
class TableSchema:
    """The columns (and geometry) a Parquet or CSV output table must have.

    Attributes
    ----------
    columns : mapping of str to Kind
        Required columns.
    families : mapping of str to Kind
        Column name prefixes whose every column holds this kind (``walk_min_``).
    geometry : frozenset of str or None
        Allowed geometry types (empty: any); None for a table without geometry (CSV).
    """

    columns: Mapping[str, Kind]
    families: Mapping[str, Kind] = field(default_factory=dict)
    geometry: frozenset[str] | None = None


_POINTS = frozenset({"Point"})
_POLYGONS = frozenset({"Polygon", "MultiPolygon"})
_LINES = frozenset({"LineString", "MultiLineString"})
_T, _N, _I, _B, _A = Kind.TEXT, Kind.NUMBER, Kind.INTEGER, Kind.BOOL, Kind.ANY

TABLES: dict[str, TableSchema] = {
    StudyFile.RESIDENCES: TableSchema(
        {"residence_id": _T, "population": _N, "snap_m": _N, "on_network": _B},
        {"walk_min_": _N},
        _POINTS,
    ),
    StudyFile.FACILITIES: TableSchema(
        {"facility_id": _T, "category": _T, "name": _T, "source": _T}, geometry=_POINTS
    ),
    StudyFile.NETWORK: TableSchema(
        {"u": _I, "v": _I, "length_m": _N, "highway": _T}, {"walk_min_": _N}, _LINES
    ),
    StudyFile.ISOCHRONES: TableSchema({"residence_id": _T, "minutes": _N}, geometry=_POLYGONS),
    StudyFile.BASEMAP: TableSchema({"kind": _T}, geometry=frozenset()),
    StudyFile.SUMMARY_CSV: TableSchema(
        {"category": _A, "level_min": _N, "facilities": _N, "share_pop_15min": _N}
    ),
    PlanFile.COMPLIANCE: TableSchema(
        {"area": _A, "area_kind": _A, "row_kind": _A, "share_res": _N, "share_pop": _N}
    ),
    PlanFile.COMPLIANCE_AREAS: TableSchema(
        {
            "area": _T,
            "area_kind": _T,
            "residences": _N,
            "population": _N,
            "rate_pop": _N,
            "rate_res": _N,
        },
        {"item_": _N, "level_": _N},
        _POLYGONS,
    ),
    PlanFile.PROFILES: TableSchema(
        {"profile": _A, "category": _A, "share_pop_5min": _N, "share_pop_15min": _N}
    ),
    PlanFile.COMPLETENESS: TableSchema({"category": _A, "facilities": _N, "warning": _A}),
    PlanFile.GAPS_CSV: TableSchema(
        {"category": _A, "unserved_population": _N, "share_pop_unserved": _N, "clusters": _N}
    ),
    PlanFile.GAPS: TableSchema(
        {"category": _T, "cluster": _N, "residences": _N, "population": _N}, geometry=_POLYGONS
    ),
    PlanFile.SUPPLY: TableSchema(
        {"area": _A, "category": _A, "sfca_per_1000": _N, "e2sfca_per_1000": _N}
    ),
    PlanFile.SUPPLY_FACILITIES: TableSchema(
        {"facility_id": _A, "category": _A, "capacity": _N, "catchment_population": _N}
    ),
    PlanFile.SUPPLY_RESIDENCES: TableSchema(
        {"residence_id": _T, "population": _N}, {"sfca_": _N, "e2sfca_": _N}, _POINTS
    ),
    PlanFile.SITING_CSV: TableSchema({"rank": _N, "added_population": _N, "lon": _N, "lat": _N}),
    PlanFile.SITING: TableSchema(
        {"rank": _N, "added_population": _N, "share_pop_after": _N}, geometry=_POINTS
    ),
    PlanFile.WHATIF_CSV: TableSchema(
        {
            "category": _A,
            "facilities_before": _N,
            "facilities_after": _N,
            "share_pop_before": _N,
            "share_pop_after": _N,
        }
    ),
    PlanFile.STREETS: TableSchema(  # pedestrian areas are polygons
        {"kind": _T, "highway": _T, "name": _T}, geometry=frozenset()
    ),
    PlanFile.WHATIF: TableSchema(
        {"residence_id": _T, "population": _N, "score_before": _N, "score_after": _N},
        {"walk_min_": _N, "delta_min_": _N},
        _POINTS,
    ),
}
"""Every output table by file name."""

NUMBER = (int, float)
"""A JSON number (``null`` where a value is missing, as the writer puts NaN)."""


@dataclass(frozen=True)
class Maybe:
    """A JSON value that may be ``null`` or, in an object, absent."""

    shape: Any


_NUMBER_OR_NULL = Maybe(NUMBER)
_CATEGORY_ROW = {
    "category": str,
    "name_zh": str,
    "name_en": str,
    "level_min": NUMBER,
    "facilities": NUMBER,
    "share_pop_5min": _NUMBER_OR_NULL,
    "share_pop_10min": _NUMBER_OR_NULL,
    "share_pop_15min": _NUMBER_OR_NULL,
    "median_min": _NUMBER_OR_NULL,
}
_ENGINE_SETTINGS = {
    "categories": [dict],
    "coord_scale": NUMBER,
    "metres_per_minute": NUMBER,
    "speed_kmh": NUMBER,
    "snap_limit_m": NUMBER,
    "buffer_m": NUMBER,
    "thresholds": [NUMBER],
    "synthetic": bool,
    "utm": Maybe(dict),
    "coverage": Maybe(dict),
}
_ENGINE_FORMAT_1_SHAPE: Mapping[str, Any] = {
    "format": ENGINE_FORMAT_1,
    "nodes": dict,
    "edges": dict,
    "residences": dict,
    "facilities": dict,
    **_ENGINE_SETTINGS,
}
DOCUMENTS: dict[str, Mapping[str, Any]] = {
    StudyFile.SUMMARY_JSON: {
        "meta": {"data": str, "synthetic": bool, "notes": [str], "catalog": Maybe(list)},
        "categories": [_CATEGORY_ROW],
    },
    StudyFile.ENGINE: {
        "format": ENGINE_FORMAT,
        "nodes": {"count": NUMBER},
        "edges": {"count": NUMBER, "interior": NUMBER},
        "residences": {"count": NUMBER, "id_prefixes": Maybe([str]), "digest": str},
        "facilities": {"count": NUMBER, "id": [str], "name": [str]},
        "packed": {
            "codec": str,
            "blocks": [list],
            "bytes": NUMBER,
            "data": {"dtype": "uint8", "count": NUMBER, "b64": str},
        },
        **_ENGINE_SETTINGS,
    },
    PlanFile.SUMMARY: {
        "synthetic": bool,
        "data": str,
        "study": {"notes": Maybe([str])},
        "standard": {"key": str, "title": str, "title_zh": str},
        "measure": str,
        "profile": {"name": str, "name_zh": str, "speed_kmh": NUMBER, "subtitle": str},
        "compliance_rate_pop": _NUMBER_OR_NULL,
        "compliance_rate_res": _NUMBER_OR_NULL,
        "levels": dict,
        "unverified_rows": [str],
        "not_assessed": [str],
        "thin_categories": [str],
        "supply": dict,
        "siting": Maybe(dict),
        "whatif": Maybe([dict]),
        "whatif_note": Maybe(str),
    },
}
"""Every output JSON document by file name: its nested shape (a type, a tuple of types, a
nested mapping for an object, a one-item list for a list of such items, a string for a fixed
value, :class:`Maybe` for a value that may be null or absent)."""


def table_problem(name: str, frame: pd.DataFrame) -> str | None:
    """What is wrong with an output table read back, in one phrase; None when it fits.

    Parameters
    ----------
    name : str
        Its file name (a key of :data:`TABLES`).
    frame : DataFrame or GeoDataFrame
        The table as read (a CSV with its first column as read, not as the index).
    """
    schema = TABLES[name]
    missing = [column for column in schema.columns if column not in frame.columns]
    if missing:
        return f"it lacks the column(s) {', '.join(missing)}"
    kinds = dict(schema.columns)
    for prefix, kind in schema.families.items():
        kinds.update({str(c): kind for c in frame.columns if str(c).startswith(prefix)})
    for column, kind in kinds.items():
        if not _holds(frame[column], kind):
            return f"its column {column!r} does not hold a {kind}"
    if schema.geometry is not None:
        return _geometry_problem(frame, schema.geometry)
    return None


def _holds(values: pd.Series, kind: Kind) -> bool:
    if kind is Kind.ANY or values.isna().all():
        return True
    dtype = values.dtype
    if kind is Kind.BOOL:
        return bool(pd.api.types.is_bool_dtype(dtype))
    if kind is Kind.INTEGER:
        return bool(pd.api.types.is_integer_dtype(dtype))
    if kind is Kind.NUMBER:
        return bool(pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype))
    present = values.dropna()
    return bool(present.map(lambda v: isinstance(v, str)).all())


def _geometry_problem(frame: pd.DataFrame, allowed: frozenset[str]) -> str | None:
    geometry = getattr(frame, "geometry", None) if "geometry" in frame.columns else None
    if geometry is None or not hasattr(geometry, "geom_type"):
        return "it has no geometry column"
    crs = getattr(frame, "crs", None)
    if crs is None or crs.to_epsg() != 4326:
        return f"its geometry is not in EPSG:4326 (CRS {crs})"
    if geometry.isna().any() or geometry.is_empty.any():
        return "a row has no geometry"
    found = set(geometry.geom_type)
    if allowed and not found <= allowed:
        wrong, right = ", ".join(sorted(found - allowed)), "/".join(sorted(allowed))
        return f"its geometry holds {wrong}, not {right}"
    return None


def json_problem(name: str, document: Any) -> str | None:
    """What is wrong with an output JSON document read back, in one phrase; None when it fits.

    Parameters
    ----------
    name : str
        Its file name (a key of :data:`DOCUMENTS`).
    document : Any
        The parsed JSON.
    """
    shape = DOCUMENTS[name]
    old_engine = isinstance(document, dict) and document.get("format") == ENGINE_FORMAT_1
    if name == StudyFile.ENGINE and old_engine:
        shape = _ENGINE_FORMAT_1_SHAPE
    return _shape_problem(document, shape, "the document")


def _shape_problem(value: Any, shape: Any, where: str) -> str | None:
    if isinstance(shape, Maybe):
        return None if value is None else _shape_problem(value, shape.shape, where)
    if isinstance(shape, str):
        return None if value == shape else f"{where} is {_short(value)}, not {shape!r}"
    if isinstance(shape, Mapping):
        if not isinstance(value, dict):
            return f"{where} is {_kind(value)}, not an object"
        for key, inner in shape.items():
            if key not in value:
                if isinstance(inner, Maybe):
                    continue
                return f"{where} lacks {key!r}"
            problem = _shape_problem(value[key], inner, f"{key!r}")
            if problem:
                return problem
        return None
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{where} is {_kind(value)}, not a list"
        for index, item in enumerate(value):
            problem = _shape_problem(item, shape[0], f"{where}[{index}]")
            if problem:
                return problem
        return None
    kinds = shape if isinstance(shape, tuple) else (shape,)
    wrong_bool = isinstance(value, bool) and bool not in kinds
    if wrong_bool or not isinstance(value, kinds):
        wanted = "a number" if kinds == NUMBER else _kind_name(kinds[0])
        return f"{where} is {_kind(value)}, not {wanted}"
    return None


def _kind(value: Any) -> str:
    return "null" if value is None else _kind_name(type(value))


def _kind_name(kind: type) -> str:
    names = {
        dict: "an object",
        list: "a list",
        str: "text",
        bool: "true/false",
        int: "a number",
        float: "a number",
    }
    return names.get(kind, kind.__name__)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"
