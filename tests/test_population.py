"""Population from a raster: every cell's people go to its residences by floor area, cells
without one get a sample point, and the study area's total is preserved."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from osm_formats import multipolygon_town_xml
from rasterio.transform import from_origin

from yushu_circle import Study
from yushu_circle.errors import InputError
from yushu_circle.population import KIND_RASTER_CELL

CELL = 0.0005  # degrees
BBOX = (97.0095, 32.9995, 97.0145, 33.0040)  # exactly 10 × 9 cells of the raster below


def _town(tmp_path: Path) -> Path:
    path = tmp_path / "town.osm"
    # 16 multipolygon apartments, 1 clipped building and 8 houses: residences are buildings.
    path.write_text(multipolygon_town_xml(houses=8), encoding="utf-8")
    return path


def _raster(
    path: Path, people: np.ndarray, crs: str, west: float, north: float, cell: float
) -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=people.shape[1],
        height=people.shape[0],
        count=1,
        dtype="float32",
        crs=crs,
        transform=from_origin(west, north, cell, cell),
        nodata=-1.0,
    ) as target:
        target.write(people.astype("float32"), 1)
    return path


def _lonlat_raster(tmp_path: Path, seed: int = 1) -> tuple[Path, float]:
    """A 13 × 14 raster: the study bbox's 9 × 10 cells plus two cells around, some nodata."""
    rng = np.random.default_rng(seed)
    people = rng.integers(0, 40, size=(13, 14)).astype(float)
    people[5, 5] = -1.0  # nodata counts as 0
    inner = people[2:11, 2:12]
    total = float(inner[inner > 0].sum())
    west, north = BBOX[0] - 2 * CELL, BBOX[3] + 2 * CELL
    return _raster(tmp_path / "people.tif", people, "EPSG:4326", west, north, CELL), total


def test_residence_total_is_the_raster_sum_over_the_study_area(tmp_path: Path) -> None:
    raster, expected = _lonlat_raster(tmp_path)
    study = Study.from_osm_file(_town(tmp_path), bbox=BBOX, population=raster)
    residences = study.residences
    assert residences["population"].sum() == pytest.approx(expected, rel=1e-3)
    assert (residences["population"] >= 0).all()
    cells = residences[residences["kind"] == KIND_RASTER_CELL]
    assert len(cells) > 0 and (cells["population"] > 0).all()
    assert "from raster people.tif" in study.residence_source


def test_people_of_a_cell_are_shared_by_floor_area(tmp_path: Path) -> None:
    raster, _ = _lonlat_raster(tmp_path, seed=2)
    study = Study.from_osm_file(_town(tmp_path), bbox=BBOX, population=raster)
    frame = study.residences
    buildings = frame[frame["kind"] != KIND_RASTER_CELL]
    with rasterio.open(raster) as source:
        rows, cols = rasterio.transform.rowcol(
            source.transform, buildings.geometry.x.to_numpy(), buildings.geometry.y.to_numpy()
        )
        people = source.read(1)
    checked = 0
    for (row, col), group in buildings.groupby([np.asarray(rows), np.asarray(cols)]):
        value = max(float(people[row, col]), 0.0)
        assert group["population"].sum() == pytest.approx(value, abs=1e-3)
        if len(group) > 1 and value > 0:
            ratio = group["population"].to_numpy() / group["floor_m2"].to_numpy()
            np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)
            checked += 1
    assert len(buildings) >= 20 and buildings["floor_m2"].gt(0).all()
    assert checked > 0


def test_raster_in_another_crs_inside_the_area_keeps_its_total(tmp_path: Path) -> None:
    import pyproj

    x, y = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(
        97.0100, 33.0035
    )
    people = np.full((8, 8), 12.5)
    raster = _raster(tmp_path / "mercator.tif", people, "EPSG:3857", x, y, 50.0)
    study = Study.from_osm_file(_town(tmp_path), bbox=BBOX, population=raster)
    assert study.residences["population"].sum() == pytest.approx(people.sum(), rel=1e-3)


def test_without_a_raster_the_source_says_population_is_estimated(tmp_path: Path) -> None:
    study = Study.from_osm_file(_town(tmp_path), bbox=BBOX)
    assert len(study.residences) >= 20
    assert "population estimated from floor area" in study.residence_source


def test_a_raster_that_misses_the_area_is_one_clear_error(tmp_path: Path) -> None:
    people = np.ones((4, 4))
    raster = _raster(tmp_path / "far.tif", people, "EPSG:4326", 10.0, 50.0, 0.01)
    study = Study.from_osm_file(_town(tmp_path), bbox=BBOX, population=raster)
    with pytest.raises(InputError, match="does not cover the study area"):
        _ = study.residences


def test_cli_population_flag(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    raster, expected = _lonlat_raster(tmp_path)
    out = tmp_path / "out"
    bbox = ",".join(str(v) for v in BBOX)
    result = cli(
        "--quiet",
        "run",
        "--osm-file",
        _town(tmp_path),
        "--clip-bbox",
        bbox,
        "--population",
        raster,
        "--out",
        out,
        "--no-isochrones",
    )
    assert result.code == 0, result.err
    import pandas as pd

    assert pd.read_parquet(out / "residences.parquet")["population"].sum() == pytest.approx(
        expected, rel=1e-3
    )
    assert "raster people.tif" in result.out
