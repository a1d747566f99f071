"""The synthetic demo: its generator (tools/make_demo, not shipped) and what the town holds."""

from __future__ import annotations

import bz2
import os
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pytest

from yushu_circle import Study
from yushu_circle.catalog import Catalog
from yushu_circle.columns import walk_min

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
TIERS = ("civilization_center", "civilization_institute", "civilization_station")
POINT = "civilization_point"
# The tag rule used when the shipped catalog does not (yet) define the practice tiers.
FALLBACK_TOML = "".join(
    f"""
[[category]]
key = "{key}"
name_zh = "{zh}"
name_en = "{key}"
level = 15
group = "civilization_practice"
color = "#b22222"
verified = false
match = [{{ amenity = "community_centre", "name~" = "{zh}" }}]
"""
    for key, zh in zip(
        (*TIERS, POINT),
        ("新时代文明实践中心", "新时代文明实践所", "新时代文明实践站", "新时代文明实践点"),
        strict=True,
    )
)


def _practice_catalog(tmp_path: Path) -> Catalog:
    default = Catalog.default()
    if all(key in default for key in (*TIERS, POINT)):
        return default
    path = tmp_path / "practice.toml"
    path.write_text(FALLBACK_TOML, encoding="utf-8")
    return Catalog.load(path)


def test_the_generator_reproduces_the_shipped_demo_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    # Under another hash seed than the one the shipped files were made with: no set order leaks.
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    run = subprocess.run(
        [sys.executable, "-m", "tools.make_demo", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    shipped = sorted(p.name for p in DEMO.iterdir())
    assert sorted(p.name for p in out.iterdir()) == shipped
    for name in shipped:
        assert (out / name).read_bytes() == (DEMO / name).read_bytes(), name


def test_the_generator_is_not_shipped_but_the_demo_files_are() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = config["tool"]["setuptools"]["packages"]
    assert not any(p.startswith("tools") for p in packages)
    data_dir = Path(config["tool"]["setuptools"]["package-dir"]["yushu_circle.data"])
    assert sorted(p.name for p in (ROOT / data_dir).glob("*.py")) == ["__init__.py"]
    assert "demo/*" in config["tool"]["setuptools"]["package-data"]["yushu_circle.data"]
    assert len(list((ROOT / "tools" / "make_demo").glob("*.py"))) >= 6


def test_every_named_feature_says_it_is_synthetic() -> None:
    root = ET.fromstring(bz2.decompress((DEMO / "jiegu_synthetic_demo.osm.bz2").read_bytes()))
    names = 0
    for element in root:
        tags = {t.get("k"): t.get("v") for t in element.findall("tag")}
        if "name" in tags:
            names += 1
            assert tags["name"].startswith("示例") and "(synthetic)" in tags["name"], tags
            assert "synthetic" in tags["note"] and "示例数据" in tags["note"], tags
    assert names > 100
    head = bz2.decompress((DEMO / "jiegu_synthetic_demo.osm.bz2").read_bytes())[:400]
    assert "SYNTHETIC DEMO DATA 示例数据".encode() in head
    readme = (DEMO / "README.md").read_text(encoding="utf-8")
    assert "synthetic" in readme and "示例" in readme and "python -m tools.make_demo" in readme


@pytest.mark.slow
def test_practice_tiers_and_the_community_beyond_15_minutes(tmp_path: Path) -> None:
    study = Study.demo(catalog=_practice_catalog(tmp_path))
    facilities = study.facilities
    counts = facilities["category"].value_counts()
    assert counts["civilization_center"] == 1
    assert counts["civilization_institute"] == 1
    assert counts["civilization_station"] == 5
    assert counts[POINT] == 3
    practice = facilities[facilities["category"].isin([*TIERS, POINT])]
    assert practice["name"].str.startswith("示例").all()
    assert practice["name"].str.contains("(synthetic)", regex=False).all()

    access = study.access()
    features = study.features
    areas = features[features.get("landuse") == "residential"][["name", "geometry"]]
    joined = gpd.sjoin(access, areas, how="inner", predicate="within")
    by_community = joined.groupby("name")[walk_min("civilization_station")]
    worst = by_community.min()
    # Community F has no station: every one of its residences is beyond 15 minutes of one.
    beyond = [name for name, minutes in worst.items() if minutes > 15.0]
    assert len(beyond) == 1 and "社区F" in beyond[0], worst.to_dict()
    assert 20.0 < worst[beyond[0]] < 24.0  # the README says "about 22 minutes"
    # Every other community has a station within 15 minutes of most of its residents.
    medians = by_community.median()
    assert (medians.drop(beyond[0]) < 15.0).all(), medians.to_dict()


def _readme_tally() -> dict[str, int]:
    readme = (DEMO / "README.md").read_text(encoding="utf-8")
    rows = [line.split("|") for line in readme.splitlines() if line.startswith("| `")]
    return {row[1].strip(" `"): int(row[2]) for row in rows if row[2].strip().isdigit()}


def test_the_readme_tally_follows_the_generators_category_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(ROOT))  # tools/ is not installed: import it from the repo
    from tools.make_demo.writer import CATEGORY_ORDER

    tally = _readme_tally()
    assert list(tally) == list(CATEGORY_ORDER)
    assert all(tally[key] >= 1 for key in CATEGORY_ORDER)  # the demo exercises every one


@pytest.mark.skipif(
    "civilization_station" not in Catalog.default(), reason="needs the catalog's new categories"
)
def test_the_catalog_finds_what_the_readme_says() -> None:
    catalog = Catalog.default()
    tally = _readme_tally()
    assert set(tally) == set(catalog.keys)
    counts = Study.demo().facilities["category"].value_counts().to_dict()
    assert counts == tally
