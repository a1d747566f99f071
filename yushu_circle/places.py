"""Residences and facilities: from OSM features and from the user's own files."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from yushu_circle.catalog import Catalog, normalize_key
from yushu_circle.errors import DataError, InputError
from yushu_circle.osm.extract import extract_from_elements
from yushu_circle.osm.features import features_frame

DATUMS = ("wgs84", "gcj02", "bd09")
PERSONS_PER_FLOOR_M2 = 1 / 35.0
"""Residents per m² of floor area (about 35 m² per person, China's urban average is 35–40)."""
SAMPLE_SPACING_M = 80.0
"""Spacing of fallback sample points where OSM maps too few residential buildings."""
MIN_MAPPED_BUILDINGS = 20

RESIDENTIAL_BUILDINGS = {
    "apartments",
    "residential",
    "house",
    "detached",
    "semidetached_house",
    "terrace",
    "dormitory",
    "bungalow",
    "farm",
    "cabin",
    "hut",
    "ger",
    "static_caravan",
    "houseboat",
}
_DEFAULT_LEVELS = {"house": 1, "detached": 1, "bungalow": 1, "hut": 1, "ger": 1, "cabin": 1}
_LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度", "wgs84_lng", "gcj02_lng", "bd09_lng")
_LAT_NAMES = ("lat", "latitude", "y", "纬度", "wgs84_lat", "gcj02_lat", "bd09_lat")
_NAME_NAMES = ("name", "名称", "name_zh", "title")
_CATEGORY_NAMES = ("category", "类别", "type", "类型")
_POPULATION_NAMES = ("population", "pop", "人口", "residents")
_ID_NAMES = ("residence_id", "id", "编号")


def features_from_elements(
    elements: list[dict[str, Any]], tag_keys: Iterable[str], area: Any = None
) -> gpd.GeoDataFrame:
    """Turn OSM elements into a GeoDataFrame of tagged features (the reader every format uses).

    Parameters
    ----------
    elements : list of dict
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


def residences_from_features(
    features: gpd.GeoDataFrame,
    utm: Any,
    streets: Callable[[], gpd.GeoDataFrame] | None = None,
) -> tuple[gpd.GeoDataFrame, str]:
    """Residences from OSM buildings, or sample points where buildings are too few.

    Residential building types count, and untagged ``building=yes`` inside
    ``landuse=residential``. Each becomes its polygon's representative point, with a
    population estimated from floor area (footprint × levels × ``PERSONS_PER_FLOOR_M2``).
    Where fewer than ``MIN_MAPPED_BUILDINGS`` are mapped, points every ``SAMPLE_SPACING_M``
    metres inside ``landuse=residential`` (or along residential streets) stand in, each
    with population 1.

    Parameters
    ----------
    features : GeoDataFrame
        From :func:`features_from_elements`.
    utm : pyproj.CRS
        Metric CRS for areas and sampling.
    streets : callable, optional
        Gives the walk edges (EPSG:4326) with ``highway``, for street sampling; called
        only when the streets are needed (a big city's edge frame takes seconds).

    Returns
    -------
    (GeoDataFrame, str)
        Residences (``residence_id``, ``population``, ``kind``, geometry EPSG:4326) and a
        sentence saying how they were found.
    """
    buildings = _column(features, "building")
    landuse = _column(features, "landuse")
    polygonal = features.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    residential_areas = features[polygonal & (landuse == "residential")]
    typed = buildings.isin(RESIDENTIAL_BUILDINGS)
    untagged = (buildings == "yes") & polygonal
    if untagged.any() and not residential_areas.empty:
        zone = shapely.union_all(residential_areas.geometry.values)
        inside = shapely.contains(zone, features.geometry.representative_point().values)
        untagged &= inside
    else:
        untagged &= False
    chosen = features[(typed | untagged) & buildings.notna()]
    if len(chosen) >= MIN_MAPPED_BUILDINGS:
        metric = chosen.to_crs(utm)
        footprint = metric.geometry.area.to_numpy()
        levels = _levels(chosen, _column(chosen, "building").to_numpy())
        population = np.maximum(1, np.round(footprint * levels * PERSONS_PER_FLOOR_M2))
        points = chosen.geometry.representative_point()
        elements, osm_ids = (chosen.index.get_level_values(k).tolist() for k in (0, 1))
        ids = [f"osm-{e}-{i}" for e, i in zip(elements, osm_ids, strict=True)]
        frame = gpd.GeoDataFrame(
            {
                "residence_id": ids,
                "population": population.astype(float),
                "kind": np.where(typed[chosen.index], "building", "building=yes in residential"),
            },
            geometry=points.values,
            crs="EPSG:4326",
        )
        how = (
            f"{len(frame):,} OSM residential buildings ({int(typed.sum()):,} typed, "
            f"{int(untagged.sum()):,} untagged building=yes in landuse=residential); "
            f"population estimated from floor area at {1 / PERSONS_PER_FLOOR_M2:.0f} m² per person"
        )
        return frame, how
    samples = _sample_points(residential_areas, streets, utm)
    if samples.empty:
        raise DataError(
            "no residences found: OSM maps no residential buildings, no landuse=residential "
            "and no residential streets in the area",
            "pass your own residences with --residences FILE (CSV with lon, lat, population)",
        )
    where = "landuse=residential areas" if not residential_areas.empty else "residential streets"
    how = (
        f"only {len(chosen)} residential buildings mapped in OSM: {len(samples):,} sample points "
        f"every {SAMPLE_SPACING_M:.0f} m in {where} stand in for residences (population 1 each)"
    )
    return samples, how


def _sample_points(
    areas: gpd.GeoDataFrame, streets: Callable[[], gpd.GeoDataFrame] | None, utm: Any
) -> gpd.GeoDataFrame:
    points: list[Any] = []
    if not areas.empty:
        zone = shapely.union_all(areas.to_crs(utm).geometry.values)
        west, south, east, north = zone.bounds
        xs = np.arange(west + SAMPLE_SPACING_M / 2, east, SAMPLE_SPACING_M)
        ys = np.arange(south + SAMPLE_SPACING_M / 2, north, SAMPLE_SPACING_M)
        gx, gy = np.meshgrid(xs, ys)
        grid = shapely.points(gx.ravel(), gy.ravel())
        points = list(grid[shapely.contains(zone, grid)])
        # An area smaller than the grid (or clipped to a sliver) still gets one point.
        for part in shapely.get_parts(zone):
            if not any(part.contains(p) for p in points):
                points.append(part.representative_point())
    elif streets is not None and not (edges := streets()).empty:
        kinds = edges["highway"].astype(str)
        residential = edges[kinds.isin(["residential", "living_street"])].to_crs(utm)
        for line in residential.geometry:
            steps = np.arange(SAMPLE_SPACING_M / 2, line.length, SAMPLE_SPACING_M)
            points.extend(shapely.line_interpolate_point(line, steps))
    frame = gpd.GeoDataFrame(
        {
            "residence_id": [f"sample-{i}" for i in range(len(points))],
            "population": np.ones(len(points)),
            "kind": "sample point",
        },
        geometry=points,
        crs=utm,
    )
    return frame.to_crs("EPSG:4326")


def facilities_from_features(features: gpd.GeoDataFrame, catalog: Catalog) -> gpd.GeoDataFrame:
    """Facilities from OSM features, one row per (feature, category) match.

    Polygons become their representative point. A feature in several categories (a
    九年一贯制 school is primary and middle) appears once per category.

    Returns
    -------
    GeoDataFrame
        ``facility_id``, ``category``, ``name``, ``source`` (``osm``), geometry (EPSG:4326).
    """
    return classified_facilities(features, catalog)[0]


def classified_facilities(
    features: gpd.GeoDataFrame, catalog: Catalog
) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """Facilities from OSM features, and how many each fallback rule took.

    Returns
    -------
    (GeoDataFrame, dict of str to int)
        The facilities as :func:`facilities_from_features` gives them, and per category with a
        fallback rule the number of features it took only through that rule — e.g.
        ``{"primary_school": 3}``: three schools counted as primary because nothing
        (``isced:level``, ``school=*``, ``grades``, name) told their level.
    """
    no_fallbacks = {c.key: 0 for c in catalog if c.fallback}
    if features.empty:
        return empty_facilities(), no_fallbacks
    # Only features carrying a key some rule needs can match (skips the many buildings).
    rule_keys = [k for k in catalog.tag_keys if k in features.columns]
    if not rule_keys:
        return empty_facilities(), no_fallbacks
    features = features[features[rule_keys].notna().any(axis=1).to_numpy()]
    tag_columns = [c for c in features.columns if c != "geometry"]
    records = [
        {k: v for k, v in tags.items() if isinstance(v, str)}
        for tags in features[tag_columns].to_dict("records")
    ]
    classification = catalog.classify_features(records)
    points = features.geometry.representative_point().values
    rows: list[dict[str, Any]] = []
    for (element, osm_id), present, match, point in zip(
        features.index, records, classification.matches, points, strict=True
    ):
        for key in match.keys:
            rows.append(
                {
                    "facility_id": f"osm-{element}-{osm_id}-{key}",
                    "category": key,
                    "name": present.get("name", ""),
                    "source": "osm",
                    "geometry": point,
                }
            )
    if not rows:
        return empty_facilities(), classification.fell_back
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326"), classification.fell_back


def empty_facilities() -> gpd.GeoDataFrame:
    """An empty facilities table with the contract's columns."""
    return gpd.GeoDataFrame(
        {"facility_id": [], "category": [], "name": [], "source": []},
        geometry=gpd.GeoSeries([], crs="EPSG:4326"),
        crs="EPSG:4326",
    )


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame:
        return frame[name]
    return pd.Series(np.full(len(frame), None, dtype=object), index=frame.index)


def _levels(frame: pd.DataFrame, building: np.ndarray) -> np.ndarray:
    raw = pd.to_numeric(_column(frame, "building:levels"), errors="coerce").to_numpy()
    default = np.array([_DEFAULT_LEVELS.get(str(b), 3) for b in building], dtype=float)
    levels = np.where(np.isfinite(raw) & (raw > 0) & (raw < 100), raw, default)
    return levels


# --- user files ---------------------------------------------------------------------------


def read_user_points(
    path: str | Path, datum: str = "wgs84", what: str = "points"
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
    path = Path(path)
    datum = check_datum(datum)
    if not path.is_file():
        raise InputError(f"{what} file {path} does not exist", "check the path")
    if path.stat().st_size == 0:
        raise InputError(f"{what} file {path} is empty", "export it again")
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        frame = _read_csv_points(path, what)
    else:
        try:
            frame = gpd.read_file(path)
        except Exception as exc:
            raise InputError(
                f"{what} file {path} cannot be read ({type(exc).__name__}: {str(exc)[:120]})",
                "use CSV (lon, lat columns), GeoJSON, GeoPackage or Shapefile",
            ) from None
        if frame.crs is None:
            frame = frame.set_crs("EPSG:4326")
        elif not frame.crs.equals("EPSG:4326"):
            frame = frame.to_crs("EPSG:4326")
        frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
        if not frame.geometry.geom_type.eq("Point").all():
            frame = frame.set_geometry(frame.geometry.representative_point())
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
    if datum != "wgs84":
        lon, lat = to_wgs84(lon, lat, datum)
        frame = frame.set_geometry(gpd.points_from_xy(lon, lat, crs="EPSG:4326"))
    frame.attrs["datum"] = datum
    return frame.reset_index(drop=True)


def _read_csv_points(path: Path, what: str) -> gpd.GeoDataFrame:
    raw = path.read_bytes()
    text = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise InputError(
            f"{what} file {path} is neither UTF-8 nor GBK text", "save it as UTF-8 CSV"
        )
    from io import StringIO

    separator = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        frame = pd.read_csv(StringIO(text), sep=separator, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(
            f"{what} file {path} is not a readable CSV ({exc})", "save it as a CSV with a header"
        ) from None
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
    if datum == "wgs84":
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


def user_residences(path: str | Path, datum: str = "wgs84") -> gpd.GeoDataFrame:
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
    path: str | Path, datum: str = "wgs84", catalog: Catalog | None = None
) -> tuple[gpd.GeoDataFrame, Catalog | None]:
    """Facilities from a user file (``name``, ``category``, ``lon``, ``lat``).

    A category missing from the catalog becomes a new category (level 15) rather than an
    error; the catalog is returned extended.

    Returns
    -------
    (GeoDataFrame, Catalog)
        Facilities with the contract's columns and ``source`` = the file's name.
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
    for value in frame[category_col].astype(str):
        # A key, Chinese or English name or alias (新时代文明实践站 → civilization_station).
        key = catalog.resolve(value.strip()) if catalog is not None else None
        if key is None:
            key = normalize_key(value)
            if catalog is not None:
                catalog = catalog.with_category(key, value.strip())
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
    return result, catalog
