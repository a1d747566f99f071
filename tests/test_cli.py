"""The ``yushu-circle run`` command on the demo, a real OSM file and user files."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import prcoords
import pytest

from yushu_circle import Catalog
from yushu_circle.cli import main

OAKLAND = Path(__file__).resolve().parents[2] / "shared" / "data" / "west-oakland.osm.bz2"
CONTRACT = [
    "map.html",
    "residences.parquet",
    "facilities.parquet",
    "summary.csv",
    "summary.json",
]


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    assert main(["--quiet", "run", "--out", str(out)]) == 0
    return out


def test_demo_run_writes_every_contract_file(demo_out: Path) -> None:
    for name in CONTRACT:
        assert (demo_out / name).stat().st_size > 0, name
    residences = gpd.read_parquet(demo_out / "residences.parquet")
    assert residences.crs.to_epsg() == 4326
    keys = Catalog.default().keys
    expected = {"residence_id", "population", "snap_m", "score"} | {f"walk_min_{k}" for k in keys}
    assert expected <= set(residences.columns)
    assert residences["residence_id"].is_unique
    assert residences["score"].between(0, 1).all()
    facilities = gpd.read_parquet(demo_out / "facilities.parquet")
    assert {"facility_id", "category", "name", "source"} <= set(facilities.columns)
    assert set(keys) <= set(facilities["category"])  # the demo has every default category


def test_demo_outputs_say_synthetic(demo_out: Path) -> None:
    document = json.loads((demo_out / "summary.json").read_text(encoding="utf-8"))
    assert document["meta"]["synthetic"] is True
    assert "示例数据" in document["meta"]["data"]
    assert "synthetic" in (demo_out / "map.html").read_text(encoding="utf-8").lower()
    facilities = gpd.read_parquet(demo_out / "facilities.parquet")
    named = facilities[facilities["name"] != ""]
    assert named["name"].str.contains("示例|synthetic|Demo", regex=True).all()


def test_demo_summary_matches_the_residence_table(demo_out: Path) -> None:
    residences = gpd.read_parquet(demo_out / "residences.parquet")
    summary = pd.read_csv(demo_out / "summary.csv", encoding="utf-8-sig", index_col=0)
    minutes = residences["walk_min_clinic"].to_numpy()
    population = residences["population"].to_numpy()
    share = population[minutes <= 15].sum() / population.sum()
    assert summary.loc["clinic", "share_pop_15min"] == pytest.approx(share, abs=1e-4)
    assert summary.loc["clinic", "median_min"] == pytest.approx(np.nanmedian(minutes), abs=1e-3)


def test_demo_under_served_community_is_worse(demo_out: Path) -> None:
    # The generator leaves community F without a clinic; its residents walk farther.
    residences = gpd.read_parquet(demo_out / "residences.parquet")
    assert residences["walk_min_clinic"].max() > 15
    assert residences["walk_min_clinic"].min() < 5


@pytest.mark.skipif(not OAKLAND.exists(), reason="../shared/data is absent")
def test_osm_file_run_on_real_data(tmp_path: Path) -> None:
    assert main(["--quiet", "run", "--osm-file", str(OAKLAND), "--out", str(tmp_path)]) == 0
    document = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert document["meta"]["synthetic"] is False
    assert "west-oakland" in document["meta"]["data"]


def test_user_facilities_in_gcj02_land_where_they_really_are(tmp_path: Path) -> None:
    baseline = tmp_path / "base"
    assert main(["--quiet", "run", "--no-isochrones", "--out", str(baseline)]) == 0
    residences = gpd.read_parquet(baseline / "residences.parquet")
    home = residences.iloc[int(np.argmax(residences["walk_min_clinic"].to_numpy()))]
    # A planner's Amap export: the clinic at this residence's door, in GCJ-02 coordinates.
    gcj = prcoords.wgs_gcj(prcoords.Coords(home.geometry.y, home.geometry.x))
    csv = tmp_path / "inventory.csv"
    csv.write_text(
        f"名称,类别,经度,纬度\n新诊所 New clinic,clinic,{gcj.lon:.7f},{gcj.lat:.7f}\n"
        f"新时代文明实践站,新时代文明实践站,{gcj.lon:.7f},{gcj.lat:.7f}\n",
        encoding="utf-8",
    )
    out = tmp_path / "with"
    args = ["--quiet", "run", "--no-isochrones", "--facilities", str(csv), "--datum", "gcj02"]
    args += ["--out", str(out)]
    assert main(args) == 0
    after = gpd.read_parquet(out / "residences.parquet").set_index("residence_id")
    before_min = home["walk_min_clinic"]
    now = after.loc[home["residence_id"]]
    assert now["walk_min_clinic"] < before_min
    # At the door: only the residence's and the clinic's access legs remain.
    assert now["walk_min_clinic"] == pytest.approx(2 * home["snap_m"] / (4000 / 60), abs=0.05)
    facilities = gpd.read_parquet(out / "facilities.parquet")
    added = facilities[facilities["source"] == "inventory.csv"]
    assert len(added) == 2
    # The Chinese tier name is an alias of the catalog key.
    assert set(added["category"]) == {"clinic", "civilization_station"}
    metres = added.to_crs(32647).distance(
        gpd.GeoSeries([home.geometry], crs=4326).to_crs(32647).iloc[0]
    )
    assert (metres < 1.0).all()
    assert "walk_min_civilization_station" in after.columns


def test_clipped_study_keeps_services_just_outside_its_edge() -> None:
    from yushu_circle import Study
    from yushu_circle._resources import data_path
    from yushu_circle.osm.sources import DEMO_OSM

    full = Study.demo().access().set_index("residence_id")
    west, south, east, north = full.total_bounds
    half = [west, south, (west + east) / 2, north]  # the western half of the town
    clipped = Study.from_osm_file(data_path(DEMO_OSM), bbox=half).access()
    clipped = clipped.set_index("residence_id")
    assert 0 < len(clipped) < len(full)
    assert (clipped.geometry.x <= half[2]).all()
    # A walk of at most 15 minutes (1 km) from a residence inside the area never leaves the
    # 1.5 km margin, so it must be found exactly as in the whole town.
    columns = [c for c in full.columns if c.startswith("walk_min_")]
    both = full.loc[clipped.index, columns]
    within = both.to_numpy() <= 15
    np.testing.assert_allclose(clipped[columns].to_numpy()[within], both.to_numpy()[within])
