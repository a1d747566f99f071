"""One validator of an output folder, run by the CLI tests on every accepted run.

Every file first goes through the same door the tool reads it back by
(``yushu_circle.io.read_output_file``: one schema per file, ``yushu_circle.results.schema``);
then what every accepted run must write, whatever the input: finite coordinates, valid
polygons, walk minutes that are ≥ 0 or NaN (never negative, never infinite), unique ids,
JSON without ``NaN``/``Infinity`` tokens, and one run per folder (the isochrones are of the
residences beside them).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from yushu_circle.errors import InputError
from yushu_circle.io import read_output_file
from yushu_circle.results.schema import DOCUMENTS, TABLES

WALK_PREFIX = "walk_min_"


def _finite_geometry(frame: gpd.GeoDataFrame, name: str) -> None:
    assert frame.crs is not None and frame.crs.to_epsg() == 4326, f"{name}: CRS {frame.crs}"
    geometry = frame.geometry.to_numpy()
    assert not shapely.is_missing(geometry).any(), f"{name}: a missing geometry"
    coordinates = shapely.get_coordinates(geometry)
    assert np.isfinite(coordinates).all(), f"{name}: non-finite coordinates"
    assert (np.abs(coordinates[:, 0]) <= 180).all(), f"{name}: longitude out of range"
    assert (np.abs(coordinates[:, 1]) <= 90).all(), f"{name}: latitude out of range"


def _minutes(frame: pd.DataFrame, name: str) -> None:
    for column in [c for c in frame.columns if str(c).startswith(WALK_PREFIX)]:
        values = frame[column].to_numpy(dtype=float)
        assert not np.isinf(values).any(), f"{name}.{column}: infinite minutes"
        assert (values[~np.isnan(values)] >= 0).all(), f"{name}.{column}: negative minutes"


def _strict_json(path: Path) -> object:
    def refuse(token: str) -> None:
        raise AssertionError(f"{path.name}: {token} in JSON")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


def validate_output_folder(folder: Path) -> list[str]:
    """Assert an output folder of ``run`` is sound; the names of the files checked.

    Parameters
    ----------
    folder : Path
        A folder written by ``yushu-circle run`` (or ``plan``: only the files present
        are checked, but at least one must be).

    Raises
    ------
    AssertionError
        Naming the file and the rule broken.
    """
    checked = []
    for name in sorted({*TABLES, *DOCUMENTS}):
        if (folder / name).exists():
            try:
                read_output_file(folder, name, "")
            except InputError as exc:
                raise AssertionError(exc.message) from None
    residences_path = folder / "residences.parquet"
    if residences_path.exists():
        residences = gpd.read_parquet(residences_path)
        _finite_geometry(residences, "residences")
        assert residences["residence_id"].is_unique, "residences: duplicate residence_id"
        _minutes(residences, "residences")
        if "score" in residences:
            assert residences["score"].between(0, 1).all(), "residences: score outside 0–1"
        if "population" in residences:
            population = residences["population"].to_numpy(dtype=float)
            assert np.isfinite(population).all() and (population >= 0).all(), "population"
        checked.append(residences_path.name)
    facilities_path = folder / "facilities.parquet"
    if facilities_path.exists():
        facilities = gpd.read_parquet(facilities_path)
        if len(facilities):
            _finite_geometry(facilities, "facilities")
        assert facilities["facility_id"].is_unique, "facilities: duplicate facility_id"
        checked.append(facilities_path.name)
    network_path = folder / "network.parquet"
    if network_path.exists():
        network = gpd.read_parquet(network_path)
        _finite_geometry(network, "network")
        _minutes(network, "network")
        checked.append(network_path.name)
    iso_path = folder / "isochrones.parquet"
    if iso_path.exists():
        iso = gpd.read_parquet(iso_path)
        if len(iso):
            _finite_geometry(iso, "isochrones")
            geometry = iso.geometry.to_numpy()
            assert shapely.is_valid(geometry).all(), "isochrones: invalid polygon"
            assert set(iso.geom_type) <= {"Polygon", "MultiPolygon"}, "isochrones: not polygons"
        minutes = iso["minutes"].to_numpy(dtype=float)
        assert np.isfinite(minutes).all() and (minutes > 0).all(), "isochrones: minutes"
        assert not iso.duplicated(["residence_id", "minutes"]).any(), "isochrones: duplicates"
        if residences_path.exists():  # one run's files, not two runs' mixed
            ids = set(gpd.read_parquet(residences_path)["residence_id"])
            assert set(iso["residence_id"]) <= ids, "isochrones: of residences not in this run"
        checked.append(iso_path.name)
    for path in sorted(folder.glob("*.json")):
        _strict_json(path)
        checked.append(path.name)
    summary_path = folder / "summary.csv"
    if summary_path.exists():
        summary = pd.read_csv(summary_path, encoding="utf-8-sig")
        assert summary["category"].is_unique, "summary.csv: duplicate category"
        shares = summary[[c for c in summary.columns if c.startswith("share_pop_")]]
        assert ((shares >= 0) & (shares <= 1)).all().all(), "summary.csv: share outside 0–1"
        checked.append(summary_path.name)
    assert not list(folder.glob(".staging-*")), "a staging folder was left behind"
    assert checked, f"no output files in {folder}"
    return checked
