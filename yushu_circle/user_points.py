"""Residences and facilities from the user's own files (CSV, GeoJSON, GeoPackage), any datum."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from yushu_circle._config import MAX_TABLE_BYTES, check_regular_file, read_text
from yushu_circle.catalog import Catalog, check_category_name, normalize_key
from yushu_circle.errors import InputError, clip_text
from yushu_circle.options import DEFAULT_DATUM, Datum

DATUMS = tuple(datum.value for datum in Datum)
_LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度", "wgs84_lng", "gcj02_lng", "bd09_lng")
_LAT_NAMES = ("lat", "latitude", "y", "纬度", "wgs84_lat", "gcj02_lat", "bd09_lat")
_NAME_NAMES = ("name", "名称", "name_zh", "title")
_CATEGORY_NAMES = ("category", "类别", "type", "类型")
_POPULATION_NAMES = ("population", "pop", "人口", "residents")
_ID_NAMES = ("residence_id", "id", "编号")


def read_user_points(
    path: str | Path, datum: str = DEFAULT_DATUM, what: str = "points"
) -> gpd.GeoDataFrame:
    """Read a user's point file (CSV with lon/lat, GeoJSON, GeoPackage, Shapefile) to EPSG:4326.

    CSV columns may use the usual aliases (``lng``/``longitude``/``经度``,
    ``lat``/``latitude``/``纬度``); GBK-encoded CSVs from Chinese software are read too.
    Coordinates in GCJ-02 (Amap, Tencent) or BD-09 (Baidu) are converted to WGS-84.

    Parameters
    ----------
    path : str or Path
        The file.
    datum : {"wgs84", "gcj02", "bd09"}
        The datum of the file's coordinates.
    what : str
        What the file holds, used in messages (``residences``/``facilities``).

    Returns
    -------
    GeoDataFrame
        EPSG:4326 points with the file's other columns.

    Raises
    ------
    InputError
        Missing file, unreadable format, no coordinate columns, non-numeric or
        out-of-range coordinates, unknown datum.
    """
    path, layer = _path_and_layer(path)
    datum = check_datum(datum)
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        frame = _read_csv_points(path, what)
    else:
        check_regular_file(path, f"{what} file")
        if path.stat().st_size == 0:
            raise InputError(f"{what} file {path} is empty", "export it again")
        frame = _read_geo_points(path, layer, what)
    lon = frame.geometry.x.to_numpy()
    lat = frame.geometry.y.to_numpy()
    bad = ~((np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        swapped = bool(np.all((np.abs(lat) <= 180) & (np.abs(lon) <= 90)))
        raise InputError(
            f"{what} file {path}: {_row_label(path, row)} has coordinates "
            f"(lon {lon[row]}, lat {lat[row]}) outside longitude/latitude ranges"
            + ("; the longitude and latitude columns look swapped" if swapped else ""),
            "swap the lon/lat columns"
            if swapped
            else "give lon/lat in degrees (WGS-84), or a GeoJSON/GeoPackage with its CRS",
        )
    if datum != Datum.WGS84:
        lon, lat = to_wgs84(lon, lat, datum)
        frame = frame.set_geometry(gpd.points_from_xy(lon, lat, crs="EPSG:4326"))
    frame.attrs["datum"] = datum
    return frame.reset_index(drop=True)


def _path_and_layer(path: str | Path) -> tuple[Path, str | None]:
    """``FILE.gpkg:LAYER`` names one layer of a GeoPackage; any other path has no layer."""
    text = str(path)
    head, sep, tail = text.rpartition(":")
    if sep and tail and Path(head).suffix.lower() == ".gpkg" and Path(head).is_file():
        return Path(head), tail
    return Path(text), None


def _read_geo_points(path: Path, layer: str | None, what: str) -> gpd.GeoDataFrame:
    """A GeoJSON/GeoPackage/Shapefile as EPSG:4326 points; a missing or empty geometry (e.g.
    NaN coordinates) is refused with its feature number, and a GeoPackage with several
    layers must name one (``FILE.gpkg:LAYER``)."""
    import pyogrio

    try:
        layers = [str(row[0]) for row in pyogrio.list_layers(path)]
        if layer is None and len(layers) > 1:
            raise InputError(
                f"{what} file {path} has {len(layers)} layers ({', '.join(layers[:10])})",
                f"name the one to read: {path}:{layers[0]} (FILE.gpkg:LAYER)",
            )
        if layer is not None and layer not in layers:
            raise InputError(
                f"{what} file {path} has no layer {layer!r} (layers: {', '.join(layers[:10])})",
                f"name one of its layers, e.g. {path}:{layers[0]}",
            )
        frame = gpd.read_file(path, layer=layer)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            f"{what} file {path} cannot be read ({type(exc).__name__}: {str(exc)[:120]})",
            "use CSV (lon, lat columns), GeoJSON, GeoPackage or Shapefile",
        ) from None
    missing = frame.geometry.isna().to_numpy() | frame.geometry.is_empty.to_numpy()
    if not missing.all():
        coords = shapely.get_coordinates(frame.geometry.values[~missing])
        if not np.isfinite(coords).all():
            bad = ~np.isfinite(shapely.bounds(frame.geometry.values)).all(axis=1)
            missing |= bad
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise InputError(
            f"{what} file {path}: {int(missing.sum())} of {len(frame)} features have no usable "
            f"coordinates (empty, null or NaN; the first is feature {row + 1})",
            "give those features coordinates or delete them",
        )
    try:
        frame = frame.set_crs("EPSG:4326") if frame.crs is None else frame.to_crs("EPSG:4326")
    except Exception as exc:
        raise InputError(
            f"{what} file {path}: its CRS cannot be converted to WGS-84 ({str(exc)[:120]})",
            "save the file in EPSG:4326 or another standard CRS",
        ) from None
    if not frame.geometry.geom_type.eq("Point").all():
        frame = frame.set_geometry(frame.geometry.representative_point())
    return frame


def read_csv_table(
    path: Path,
    what: str,
    fix: str = "save it as a CSV with a header",
    max_bytes: int = MAX_TABLE_BYTES,
) -> pd.DataFrame:
    """A user's CSV (or TSV) table as text cells, read one way for every CSV the tool reads.

    UTF-8 with or without BOM, or GBK/GB 18030 (Excel on Chinese Windows), through
    :func:`yushu_circle._config.read_text` (no devices, no files over its limit). Empty
    cells stay ``""``.

    Parameters
    ----------
    path : Path
    what : str
        What the file holds, for messages (``residences``, ``scenario``).
    fix : str
        What to do when it is not a readable CSV.
    max_bytes : int
        The largest file read.

    Raises
    ------
    InputError
        When the file is missing, not a regular file, too large, not text, empty or not
        a readable CSV; naming the file.
    """
    from io import StringIO

    text = read_text(path, f"{what} file", "save it as UTF-8 CSV", max_bytes)
    if not text.strip():
        raise InputError(f"{what} file {path} is empty", fix)
    separator = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        return pd.read_csv(StringIO(text), sep=separator, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(
            f"{what} file {path} is not a readable CSV ({clip_text(str(exc))})", fix
        ) from None


def _read_csv_points(path: Path, what: str) -> gpd.GeoDataFrame:
    frame = read_csv_table(path, what)
    frame.columns = [str(c).strip() for c in frame.columns]
    lon_col = _find_column(frame, _LON_NAMES)
    lat_col = _find_column(frame, _LAT_NAMES)
    if lon_col is None or lat_col is None:
        raise InputError(
            f"{what} file {path} has no longitude/latitude columns (found: "
            f"{', '.join(frame.columns[:8])})",
            "add columns named lon and lat (or lng/longitude/经度 and latitude/纬度)",
        )
    lon = pd.to_numeric(frame[lon_col], errors="coerce")
    lat = pd.to_numeric(frame[lat_col], errors="coerce")
    bad = lon.isna() | lat.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{what} file {path}: {_row_label(path, row)} has a non-numeric coordinate "
            f"({lon_col}={frame[lon_col].iloc[row]!r}, {lat_col}={frame[lat_col].iloc[row]!r})",
            "fix or delete that row",
        )
    rest = frame.drop(columns=[lon_col, lat_col])
    return gpd.GeoDataFrame(rest, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def _row_label(path: str | Path, index: int) -> str:
    """Where a record sits in the user's file: the line of a CSV (after its header), or the
    feature's number in a GeoJSON/GeoPackage."""
    if Path(path).suffix.lower() in {".csv", ".txt", ".tsv"}:
        return f"line {index + 2}"
    return f"feature {index + 1}"


def labels_from_column(frame: pd.DataFrame, names: Sequence[str], prefix: str) -> np.ndarray:
    """The first column found under ``names`` (any case), as strings; else numbered labels.

    Parameters
    ----------
    frame : DataFrame
    names : sequence of str
        Accepted column names, lower case, in order of preference.
    prefix : str
        Numbered labels are ``prefix1``, ``prefix2``, … when no column matches.
    """
    column = _find_column(frame, names)
    if column:
        return frame[column].astype(str).to_numpy()
    return np.array([f"{prefix}{i + 1}" for i in range(len(frame))])


def _find_column(frame: pd.DataFrame, names: Sequence[str]) -> str | None:
    lower = {str(c).lower(): c for c in frame.columns}
    for name in names:
        if name in lower:
            return str(lower[name])
    return None


def check_datum(datum: str) -> str:
    """Validate a datum name.

    Raises
    ------
    InputError
        When it is not one of ``wgs84``, ``gcj02``, ``bd09``.
    """
    value = str(datum).lower().replace("-", "").replace("_", "")
    aliases = {"wgs84": "wgs84", "gcj02": "gcj02", "bd09": "bd09", "wgs": "wgs84"}
    if value not in aliases:
        raise InputError(
            f"unknown datum {datum!r}",
            "use wgs84 (GPS, OSM), gcj02 (Amap/Tencent) or bd09 (Baidu)",
        )
    return aliases[value]


def to_wgs84(lon: np.ndarray, lat: np.ndarray, datum: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 or BD-09 coordinates to WGS-84 (prcoords' iterative inverse).

    Parameters
    ----------
    lon, lat : ndarray
        Degrees in ``datum``.
    datum : {"gcj02", "bd09", "wgs84"}
    """
    import prcoords

    datum = check_datum(datum)
    if datum == Datum.WGS84:
        return np.asarray(lon, float), np.asarray(lat, float)
    convert = prcoords.gcj_wgs_bored if datum == "gcj02" else prcoords.bd_wgs_bored
    out_lon = np.empty(len(lon))
    out_lat = np.empty(len(lat))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, (x, y) in enumerate(zip(lon, lat, strict=True)):
            converted = convert(prcoords.Coords(float(y), float(x)))
            out_lat[i], out_lon[i] = converted.lat, converted.lon
    return out_lon, out_lat


def user_residences(path: str | Path, datum: str = DEFAULT_DATUM) -> gpd.GeoDataFrame:
    """Residences from a user file: ``residence_id`` (or generated), ``population`` (or 1).

    Raises
    ------
    InputError
        On an unreadable file or a population that is negative or not a number.
    """
    frame = read_user_points(path, datum, what="residences")
    if frame.empty:
        raise InputError(f"residences file {path} holds no points", "add at least one residence")
    ids = labels_from_column(frame, _ID_NAMES, "r")
    duplicated = pd.Series(ids).duplicated()
    if duplicated.any():
        raise InputError(
            f"residences file {path}: id {ids[int(np.flatnonzero(duplicated)[0])]!r} appears "
            "more than once",
            "give every residence its own id, or drop the id column to number them",
        )
    pop_col = _find_column(frame, _POPULATION_NAMES)
    if pop_col:
        population = pd.to_numeric(frame[pop_col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(population) | (population < 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"residences file {path}: {_row_label(path, row)} has population "
                f"{frame[pop_col].iloc[row]!r}, not a number ≥ 0",
                "fix the value, or leave the column out to count each residence once",
            )
    else:
        population = np.ones(len(frame))
    return gpd.GeoDataFrame(
        {"residence_id": ids, "population": population, "kind": "user file"},
        geometry=frame.geometry.values,
        crs="EPSG:4326",
    )


def user_facilities(
    path: str | Path, datum: str = DEFAULT_DATUM, catalog: Catalog | None = None
) -> tuple[gpd.GeoDataFrame, Catalog | None]:
    """Facilities from a user file (``name``, ``category``, ``lon``, ``lat``).

    A category missing from the catalog becomes a new category (level 15) rather than an
    error; the catalog is returned extended, and the frame's ``attrs["notes"]`` name each
    such category with the nearest known one ("did you mean elderly_daycare?"), so a typo
    is seen in the terminal, ``summary.json`` and the map's notes.

    Returns
    -------
    (GeoDataFrame, Catalog)
        Facilities with the contract's columns and ``source`` = the file's name.

    Raises
    ------
    InputError
        As :func:`read_user_points`; and for a category that is empty or too long.
    """
    path = Path(path)
    frame = read_user_points(path, datum, what="facilities")
    category_col = _find_column(frame, _CATEGORY_NAMES)
    if category_col is None:
        raise InputError(
            f"facilities file {path} has no category column",
            "add a column 'category' with catalog keys such as clinic or kindergarten",
        )
    name_col = _find_column(frame, _NAME_NAMES)
    names = frame[name_col].astype(str).to_numpy() if name_col else np.full(len(frame), "")
    categories = []
    unknown: dict[str, list[str]] = {}  # the file's value → its new key, and its count
    known = catalog
    for row, value in enumerate(frame[category_col].astype(str)):
        value = check_category_name(value, f"facilities file {path}, {_row_label(path, row)}")
        # A key, Chinese or English name or alias (新时代文明实践站 → civilization_station).
        key = catalog.resolve(value) if catalog is not None else None
        if key is None:
            key = normalize_key(value)
            if catalog is not None:
                catalog = catalog.with_category(key, value)
            unknown.setdefault(value, []).append(key)
        categories.append(key)
    result = gpd.GeoDataFrame(
        {
            "facility_id": [f"{path.stem}-{i + 1}" for i in range(len(frame))],
            "category": categories,
            "name": names,
            "source": path.name,
        },
        geometry=frame.geometry.values,
        crs="EPSG:4326",
    )
    capacity_col = _find_column(frame, ("capacity", "容量", "规模"))
    if capacity_col is not None:
        # the planner's inventory: seats, beds, m² (2SFCA supply); blank stays NaN
        result["capacity"] = pd.to_numeric(frame[capacity_col], errors="coerce").to_numpy()
    if known is not None:
        where = f"facilities file {path.name}"
        result.attrs["notes"] = [
            known.unknown_note(value, keys[0], len(keys), where) for value, keys in unknown.items()
        ]
    return result, catalog
