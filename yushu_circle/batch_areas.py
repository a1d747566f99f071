"""The AREAS file of a batch: one study area per row (its id and source), read and checked."""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path
from typing import Any

import pandas as pd

from yushu_circle._config import read_text
from yushu_circle.errors import InputError
from yushu_circle.options import POPULATION_TOTAL, AgeShares, StudyOptions
from yushu_circle.source import Source

_ID_COLUMNS = ("area_id", "name")
_SOURCE_COLUMNS = ("osm_file", "place", "bbox", "geometry")
# A folder name on every platform: starts with a letter or digit (any script), then letters,
# digits, ``_`` or ``-``; no dots, slashes or spaces, so it cannot leave the output folder.
_SAFE_ID = re.compile(r"[^\W_][\w-]{0,63}")
_RESERVED_IDS = {"con", "prn", "aux", "nul"} | {
    f"{p}{i}" for p in ("com", "lpt") for i in range(10)
}


@dataclasses.dataclass(frozen=True)
class StudySettings:
    """Everything a study is built with besides its source (typed; shared by every area).

    The command line and a batch make one of these; it goes to the Study as it is (its
    ``options`` are the study's :class:`~yushu_circle.options.StudyOptions`).

    Attributes
    ----------
    catalog : Path or None
        A facility catalog TOML (default: the shipped one).
    residences : Path or None
        The user's residences file (default: OSM buildings).
    facilities : tuple of Path
        Extra facilities files.
    options : StudyOptions
        Speed, snap limit, datum of the user's point files.
    population : Path or None
        A population GeoTIFF spread over the OSM residences (default: floor-area estimates).
    population_total : float or None
        A known total (a census figure) spread over each area's residences.
    age_shares : AgeShares or None
        Children and elderly shares of the population (一老一小).
    """

    catalog: Path | None = None
    residences: Path | None = None
    facilities: tuple[Path, ...] = ()
    options: StudyOptions = dataclasses.field(default_factory=StudyOptions)
    population: Path | None = None
    population_total: float | None = None
    age_shares: AgeShares | None = None

    def study_kwargs(self, progress: bool = False) -> dict[str, object]:
        """Keyword arguments for :class:`yushu_circle.study.Study` and its builders."""
        return {
            "catalog": self.catalog,
            "residences": self.residences,
            "facilities": list(self.facilities) or None,
            "options": self.options,
            "progress": progress,
            "population": self.population,
            "population_total": self.population_total,
            "age_shares": self.age_shares,
        }


@dataclasses.dataclass(frozen=True)
class Area:
    """One study area of a batch and where its OSM data comes from.

    Parameters
    ----------
    area_id : str
        The area's name, also its output folder (letters, digits, ``_`` or ``-``).
    source : Source
        Its OSM data: a local ``osm_file`` (optionally clipped to a box or polygon), a
        ``place`` name, a ``bbox`` or a ``polygon`` fetched from Overpass.
    residences : str, optional
        Absolute path of the area's own residences file.
    origin : str
        Where the area was read, for messages (``"AREAS file areas.csv, row 3"``); not
        part of the area's identity.
    code : str, optional
        The area's official division code (e.g. ``632701001``), carried into the batch's
        tables so a bureau can join them to its own.
    population_total : float, optional
        The area's own known population (a census figure), spread over its residences.
    """

    area_id: str
    source: Source
    residences: str | None = None
    origin: str = dataclasses.field(default="", compare=False)
    code: str | None = None
    population_total: float | None = None


# --- reading the AREAS file -------------------------------------------------------------


def read_areas(path: str | Path) -> list[Area]:
    """Read and check an AREAS file: a CSV or a GeoPackage/GeoJSON with one row per area.

    Columns: ``area_id`` (or ``name``) and a source — ``osm_file`` (a path, relative to the
    AREAS file's folder), ``place``, ``bbox`` (``"WEST,SOUTH,EAST,NORTH"``) or the row's
    polygon ``geometry`` (GeoPackage/GeoJSON). An ``osm_file`` with a ``bbox`` or polygon is
    clipped to it. Optional columns: ``residences`` (the area's own residences file),
    ``code`` (its official division code), ``population_total`` (its own known population,
    e.g. from the census) and ``by_settlement`` (``yes``: read a place or polygon settlement
    by settlement whatever its size; ``no``: whole; empty: by settlement when it is over the
    Overpass size limit).

    Parameters
    ----------
    path : str or Path
        The AREAS file (``.csv``, ``.gpkg``, ``.geojson``, ``.json``).

    Returns
    -------
    list of Area

    Raises
    ------
    InputError
        When the file is missing or unreadable, lacks the id or source columns, has an
        empty, duplicate or unsafe area id, a row without a source or with two Overpass
        sources, or a bad bbox or geometry.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"AREAS file {path} does not exist", "pass a CSV or GeoPackage listing the areas"
        )
    frame = _read_table(path)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    id_column = next((c for c in _ID_COLUMNS if c in frame.columns), None)
    if id_column is None:
        raise InputError(
            f"AREAS file {path} has no area_id (or name) column "
            f"(columns: {', '.join(frame.columns) or 'none'})",
            "add an area_id column naming each area (letters, digits, _ or -)",
        )
    if not set(_SOURCE_COLUMNS) & set(frame.columns):
        raise InputError(
            f"AREAS file {path} has no source column (columns: {', '.join(frame.columns)})",
            "add one of osm_file, place, bbox, or polygon geometries (GeoPackage)",
        )
    if frame.empty:
        raise InputError(f"AREAS file {path} lists no areas", "add one row per area")
    areas: list[Area] = []
    seen: dict[str, int] = {}
    for number, (_, row) in enumerate(frame.iterrows(), start=2 if path.suffix == ".csv" else 1):
        where = f"AREAS file {path}, row {number}"
        area_id = _area_id(row.get(id_column), where)
        key = area_id.casefold()
        if key in seen:
            raise InputError(
                f"{where}: area id {area_id!r} repeats row {seen[key]} "
                "(ids differing only in case share a folder on some systems)",
                "give every area its own id",
            )
        seen[key] = number
        areas.append(_area_from_row(row, area_id, path.parent, f"{where} ({area_id})"))
    return areas


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            # Leading "#" lines are the file's header notes (e.g. the sources of a shipped
            # areas file); only those are skipped, so a "#" inside a value stays data.
            # UTF-8 with or without BOM, or GBK as Excel saves it: one reader for every CSV.
            text = read_text(path, "AREAS file", "save it as UTF-8 CSV")
            lines = text.splitlines(keepends=True)
            skip = next((i for i, ln in enumerate(lines) if not ln.startswith("#")), len(lines))
            body = io.StringIO("".join(lines[skip:]))
            return pd.read_csv(body, dtype=str, keep_default_na=False)
        if suffix in {".gpkg", ".geojson", ".json"}:
            import geopandas as gpd

            frame = gpd.read_file(path)
            if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
                frame = frame.to_crs("EPSG:4326")
            return frame
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            f"AREAS file {path} cannot be read ({type(exc).__name__}: {exc})",
            "save it as UTF-8 CSV or as a GeoPackage",
        ) from None
    raise InputError(f"AREAS file {path} is not a CSV or GeoPackage", "use .csv, .gpkg or .geojson")


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def _area_id(value: Any, where: str) -> str:
    area_id = _text(value)
    if area_id is None:
        raise InputError(f"{where} has no area id", "give every row an area_id")
    if not _SAFE_ID.fullmatch(area_id) or area_id.casefold() in _RESERVED_IDS:
        raise InputError(
            f"{where}: area id {area_id!r} cannot be a folder name "
            "(it is used as the area's output folder)",
            "use 1–64 letters (any script, e.g. 结古街道), digits, _ or -, "
            "starting with a letter or digit",
        )
    return area_id


def _area_from_row(row: pd.Series, area_id: str, base: Path, where: str) -> Area:
    import shapely
    from shapely.geometry import MultiPolygon, Polygon

    from yushu_circle.osm.sources import bbox_polygon

    osm_file = _text(row.get("osm_file"))
    place = _text(row.get("place"))
    bbox_text = _text(row.get("bbox"))
    geometry = row.get("geometry")
    if geometry is not None and (not hasattr(geometry, "is_empty") or geometry.is_empty):
        geometry = None
    bbox: tuple[float, float, float, float] | None = None
    if bbox_text is not None:
        try:
            values = [float(v) for v in bbox_text.replace(";", ",").split(",")]
            west, south, east, north = bbox_polygon(values).bounds
        except (ValueError, InputError):
            raise InputError(
                f"{where}: bbox {bbox_text!r} is not WEST,SOUTH,EAST,NORTH in degrees",
                'write it as "96.99,32.99,97.03,33.02" (quoted in the CSV)',
            ) from None
        bbox = (west, south, east, north)
    polygon_wkt = None
    if geometry is not None:
        if not isinstance(geometry, Polygon | MultiPolygon):
            raise InputError(
                f"{where}: geometry is a {geometry.geom_type}, not a polygon",
                "draw each area as a polygon",
            )
        polygon_wkt = shapely.to_wkt(geometry, rounding_precision=-1)
    residences = _text(row.get("residences"))
    if residences is not None:
        residences = str((base / residences).resolve())
    origin = where.rsplit(" (", 1)[0]
    code = _text(row.get("code"))
    by_settlement = _yes_no(row.get("by_settlement"), where)
    total_text = _text(row.get("population_total"))
    total = None
    if total_text is not None:
        try:
            total = POPULATION_TOTAL.check(total_text)
        except InputError as exc:
            raise InputError(f"{where}, column population_total: {exc.problem}", exc.fix) from None
    if osm_file is not None:
        if place is not None:
            raise InputError(
                f"{where} gives both osm_file and place",
                "keep one: osm_file (local) or place (Overpass)",
            )
        source = Source.osm_file(
            (base / osm_file).resolve(), clip_bbox=bbox, clip_polygon=polygon_wkt
        )
        return Area(
            area_id, source, residences=residences, origin=origin, code=code, population_total=total
        )
    sources = {"place": place, "bbox": bbox, "geometry": polygon_wkt}
    given = [name for name, value in sources.items() if value is not None]
    if not given:
        raise InputError(
            f"{where} has no source", "fill in its osm_file, place, bbox or polygon geometry"
        )
    if len(given) > 1:
        raise InputError(
            f"{where} gives {' and '.join(given)}: it is unclear which area to fetch",
            "keep one source per row (a bbox or polygon only clips an osm_file)",
        )
    if place is not None:
        source = Source.place(place, by_settlement=by_settlement)
    elif bbox is not None:
        source = dataclasses.replace(Source.bbox(bbox), by_settlement=by_settlement)
    else:
        assert polygon_wkt is not None
        source = Source.polygon(polygon_wkt, by_settlement=by_settlement)
    return Area(
        area_id, source, residences=residences, origin=origin, code=code, population_total=total
    )


def _yes_no(value: Any, where: str) -> bool | None:
    """``by_settlement``: yes/no (or 1/0, true/false), empty for "when over the limit"."""
    text = _text(value)
    if text is None:
        return None
    flag = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}
    if text.lower() not in flag:
        raise InputError(
            f"{where}: by_settlement {text!r} is not yes or no",
            "write yes (study its settlements), no (the whole area) or leave it empty",
        )
    return flag[text.lower()]
