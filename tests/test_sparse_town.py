"""Residences where OSM has no buildings: sample points, a census total, age shares (一老一小).

On the synthetic sparse town (``yushu_circle.osm.sparse``, shaped like Jiegu's real OSM), every
answer is counted by hand from its documented layout: 5 residential streets of 6 segments of
100 m give 30 sample points; the walk to the kindergarten on the south-west corner is the
Manhattan distance on the grid (every street is walkable).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import CliResult

from yushu_circle import Study
from yushu_circle.options import AgeShares, parse_age_shares
from yushu_circle.osm import sparse
from yushu_circle.planning import compliance

TOTAL = 141_308  # Yushu city's 2020 census population (tudigong, MIT; PROVENANCE.md)
SHARES = AgeShares(children=0.277, elderly=0.061)  # its 0-14 and 65+ shares, rounded
SEGMENTS = sparse.ROWS * (sparse.COLS - 1)  # 100 m residential segments, one point each
SPEED_M_PER_MIN = 4000 / 60


def _local_m(frame: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Residences in metres east/north of the town's centre (the layout's own frame)."""
    lon0, lat0 = sparse.CENTER
    east = (frame.geometry.x.to_numpy() - lon0) * 111_320.0 * math.cos(math.radians(lat0))
    north = (frame.geometry.y.to_numpy() - lat0) * 111_320.0
    return east, north


def _study(**kwargs: object) -> Study:
    return Study(sparse.sparse_town(), **kwargs)  # type: ignore[arg-type]


def test_the_sparse_town_says_its_residences_are_street_samples() -> None:
    study = _study()
    assert study.synthetic and "示例数据" in study.data.label
    residences = study.residences
    assert len(residences) == SEGMENTS == 30
    assert (residences["kind"] == "sample point").all()
    how = study.residence_source
    assert how.startswith("30 residences are sample points every 80 m along residential streets")
    assert "(OSM has 4 buildings here" in how and "30 个居住点为沿居住街道的采样点" in how
    # Each point stands for its 100 m segment of street.
    np.testing.assert_allclose(residences["street_m"], 100.0, rtol=2e-3)  # UTM scale ~1.001
    _, north = _local_m(residences)
    assert set(np.round(north).astype(int)) == {-200, -100, 0, 100, 200}  # the residential rows


def test_a_census_total_and_age_shares_by_hand() -> None:
    study = _study(population_total=TOTAL, age_shares=SHARES)
    residences = study.residences
    # The total, spread by street length (all segments 100 m: equal shares).
    assert residences["population"].sum() == pytest.approx(TOTAL, rel=1e-3)
    np.testing.assert_allclose(residences["population"], TOTAL / 30, rtol=1e-3)
    method = residences["population_method"].iloc[0]
    assert "spread by residential street length" in method and "按居住街道长度分配" in method
    assert residences["children"].sum() == pytest.approx(0.277 * TOTAL, rel=1e-3)
    assert residences["elderly"].sum() == pytest.approx(0.061 * TOTAL, rel=1e-3)
    np.testing.assert_allclose(
        residences["children"] + residences["elderly"], 0.338 * residences["population"]
    )
    assert any(method in note for note in study.notes)

    # Kindergarten within 5 minutes: the grid walk from the south-west corner ≤ 333.3 m.
    east, north = _local_m(residences)
    kx, ky = sparse.KINDERGARTEN_M
    walk_m = np.abs(east - kx) + np.abs(north - ky)
    within = walk_m <= 5 * SPEED_M_PER_MIN
    # By hand: the points sit 40 m into each segment from its west end; walks of 40, 140,
    # 240 m on the southern street, 140 and 240 m on the next, 240 m on the middle one.
    assert within.sum() == 6
    access = study.access().set_index("residence_id").loc[residences["residence_id"]]
    np.testing.assert_array_equal(access["walk_min_kindergarten"].to_numpy() <= 5, within)
    # (The tool measures in UTM, this oracle on a flat local frame: 0.5 % apart at most.)
    minutes = access["walk_min_kindergarten"].to_numpy()
    np.testing.assert_allclose(minutes, walk_m / SPEED_M_PER_MIN, rtol=5e-3)
    people_within = within.sum() * TOTAL / 30
    children_within = 0.277 * people_within
    assert children_within == pytest.approx(7828.46, abs=0.01)  # 0.277 × 6 × 141,308 / 30

    summary = study.summary()
    row = summary.loc["kindergarten"]
    assert row["serves"] == "children"
    assert row["group_people"] == pytest.approx(0.277 * TOTAL, rel=1e-3)
    assert row["group_within_level"] == pytest.approx(children_within, rel=1e-3)
    assert row["share_pop_5min"] == pytest.approx(within.sum() / 30, rel=1e-3)
    assert summary.loc["supermarket", "serves"] == "all"
    assert summary.loc["supermarket", "group_people"] == pytest.approx(TOTAL, rel=1e-3)
    assert summary.loc["nursing_home", "serves"] == "elderly"
    assert summary.loc["nursing_home", "group_people"] == pytest.approx(0.061 * TOTAL, rel=1e-3)
    assert summary.loc["nursing_home", "group_within_level"] == 0  # no elderly care mapped

    # Compliance scores the kindergarten against the children: 27.7 % of the people it
    # counts for all ages, the same share of them (the shares are the same everywhere).
    table = compliance(study).table.set_index(["area", "requirement"])
    kg = table.loc[("全部 all", "kindergarten_5min")]
    assert kg["serves"] == "children"
    assert kg["share_pop"] * kg["population"] == pytest.approx(people_within, rel=1e-3)
    assert kg["group_within"] == pytest.approx(children_within, rel=1e-3)
    assert kg["group_within"] == pytest.approx(0.277 * kg["share_pop"] * kg["population"])
    assert kg["share_group"] == pytest.approx(kg["share_pop"])
    elderly = table.loc[("全部 all", "elderly_daycare_5min")]
    assert elderly["serves"] == "elderly" and elderly["group_within"] == 0
    assert elderly["group_people"] == pytest.approx(0.061 * TOTAL, rel=1e-3)


def test_without_age_shares_no_group_columns_are_added() -> None:
    study = _study()
    assert "serves" not in study.summary().columns
    assert {"children", "elderly", "population_method"}.isdisjoint(study.access().columns)
    assert (study.residences["population"] == 1).all()  # sample points count once each


def test_run_writes_the_method_and_the_groups(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    osm = tmp_path / "sparse.osm"
    osm.write_text(_xml(sparse.sparse_town_elements()), encoding="utf-8")
    out = tmp_path / "out"
    result = cli(
        "run", "--osm-file", osm, "--population-total", str(TOTAL), "--age-shares",
        "0-14=0.277,65+=0.061", "--no-isochrones", "--out", out,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "30 residences are sample points" in result.out
    assert "spread by residential street length" in result.out
    residences = pd.read_parquet(out / "residences.parquet")
    assert residences["population"].sum() == pytest.approx(TOTAL, rel=1e-3)
    assert {"population_method", "children", "elderly"} <= set(residences.columns)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert any("按居住街道长度分配" in n for n in summary["meta"]["notes"])
    assert any("0-14: 27.7 %, 65+: 6.1 %" in n for n in summary["meta"]["notes"])
    table = pd.read_csv(out / "summary.csv", encoding="utf-8-sig").set_index("category")
    assert table.loc["kindergarten", "serves"] == "children"


@pytest.mark.parametrize(
    ("option", "value", "fragment"),
    [
        ("--population-total", "0", "--population-total 0 people is out of range"),
        ("--population-total", "-5", "out of range"),
        ("--population-total", "nan", "not a finite number"),
        ("--age-shares", "0-14=1.5", "share '1.5' of 0-14 is not 0–1"),
        ("--age-shares", "0-14=0.8,65+=0.3", "the shares sum to 1.1, over 1"),
        ("--age-shares", "15-64=0.6", "is not AGES=SHARE"),
        ("--age-shares", "missing.csv", "file missing.csv does not exist"),
    ],
)
def test_bad_population_options_are_one_clear_line(
    cli: Callable[..., CliResult], tmp_path: Path, option: str, value: str, fragment: str
) -> None:
    result = cli("run", option, value, "--out", tmp_path / "out")
    assert result.code == 2, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and " — fix: " in lines[0], lines
    assert not (tmp_path / "out").exists()


def test_a_raster_and_a_total_together_are_refused(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    raster = tmp_path / "pop.tif"
    raster.write_bytes(b"")
    result = cli("run", "--population", raster, "--population-total", "100", "--out", tmp_path)
    assert result.code == 2
    assert "--population and --population-total" in result.err


def test_age_shares_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "ages.csv"
    path.write_text("age,share\n0-14,27.72%\n65+,0.0609\n", encoding="utf-8")
    shares = parse_age_shares(str(path))
    assert shares == AgeShares(children=0.2772, elderly=0.0609)
    assert shares.text == "0-14: 27.7 %, 65+: 6.1 %"


def _xml(elements: list[dict]) -> str:
    from xml.sax.saxutils import quoteattr

    lines = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="test">']
    for e in elements:
        tags = [f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in e.get("tags", {}).items()]
        if e["type"] == "node":
            lines.append(
                f'<node id="{e["id"]}" lat="{e["lat"]}" lon="{e["lon"]}">{"".join(tags)}</node>'
            )
        else:
            refs = "".join(f'<nd ref="{r}"/>' for r in e["nodes"])
            lines.append(f'<way id="{e["id"]}">{refs}{"".join(tags)}</way>')
    return "\n".join([*lines, "</osm>"]) + "\n"


def test_a_batch_takes_each_areas_own_total(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    from yushu_circle.batch_areas import read_areas
    from yushu_circle.errors import InputError

    path = tmp_path / "areas.csv"
    path.write_text(
        "area_id,code,place,population_total\n"
        'jiegu,632701001,"结古街道, 玉树市",52000\nlongbao,632701101,"隆宝镇, 玉树市",\n',
        encoding="utf-8",
    )
    areas = read_areas(path)
    assert [a.population_total for a in areas] == [52000.0, None]
    assert [a.code for a in areas] == ["632701001", "632701101"]
    path.write_text("area_id,place,population_total\nx,somewhere,-3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2 \(x\), column population_total: .*-3"):
        read_areas(path)
    # One total for every area of a batch would be wrong for all but one: refused.
    result = cli("batch", path, "--population-total", "100", "--out", tmp_path / "out")
    assert result.code == 2 and "population_total column" in result.err
    assert not (tmp_path / "out").exists()
