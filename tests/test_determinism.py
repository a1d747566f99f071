"""Every output file is byte-identical across reruns and PYTHONHASHSEED values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from osm_formats import OAKLAND, OAKLAND_CLIP, REAL_TOWN, REAL_TOWN_CLIP, write_copy

from yushu_circle.network import WalkNetwork
from yushu_circle.osm.streets import one_highway, one_name

SEEDS = ("0", "1", "2", "3")
_STUDY = frozenset({"network.parquet", "residences.parquet", "map.html"})


def _run(seed: str, out: Path, *args: str | Path, command: str = "run") -> dict[str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    argv = [sys.executable, "-m", "yushu_circle.cli", "--quiet", command, *map(str, args)]
    done = subprocess.run(
        [*argv, "--out", str(out)], env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def _assert_identical(runs: dict[str, dict[str, bytes]], made: frozenset[str] = _STUDY) -> None:
    first = runs[next(iter(runs))]
    assert made <= set(first)
    for seed, files in runs.items():
        assert set(files) == set(first), seed
        different = sorted(name for name in files if files[name] != first[name])
        assert different == [], (seed, different)


@pytest.mark.slow
def test_demo_outputs_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    _assert_identical({seed: _run(seed, tmp_path / f"demo{seed}") for seed in SEEDS})


@pytest.mark.slow
@pytest.mark.skipif(not OAKLAND.exists(), reason="../shared/data is absent")
def test_clipped_west_oakland_outputs_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    clipped = write_copy(OAKLAND, tmp_path / "clipped.osm", OAKLAND_CLIP)
    runs = {seed: _run(seed, tmp_path / f"clip{seed}", "--osm-file", clipped) for seed in SEEDS}
    _assert_identical(runs)


def test_rerun_gives_identical_files(tmp_path: Path) -> None:
    # Real OSM shipped in tests/data: this runs on every clone (no ../shared needed).
    clipped = write_copy(REAL_TOWN, tmp_path / "clipped.osm", REAL_TOWN_CLIP)
    first = _run("0", tmp_path / "a", "--osm-file", clipped, "--no-isochrones")
    again = _run("0", tmp_path / "b", "--osm-file", clipped, "--no-isochrones")
    assert first == again


def test_a_plan_with_sites_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    # plan_summary.json once carried the siting solver's seconds: a different file each run.
    clipped = write_copy(REAL_TOWN, tmp_path / "clipped.osm", REAL_TOWN_CLIP)
    args = ("--osm-file", clipped, "--site", "clinic", "--k", "2")
    runs = {seed: _run(seed, tmp_path / f"plan{seed}", *args, command="plan") for seed in "12"}
    _assert_identical(runs, frozenset({"plan_summary.json", "siting.csv", "plan_map.html"}))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["footway", "steps"], "steps"),
        (["steps", "footway"], "steps"),
        (["service", "footway", "residential"], "footway"),
        ({"residential", "tertiary"}, "residential"),
        ("path", "path"),
        ([], ""),
        (None, ""),
    ],
)
def test_a_merged_edge_takes_one_documented_highway(value: object, expected: str) -> None:
    assert one_highway(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["Willow Street", "8th Street"], "8th Street / Willow Street"),
        ({"Willow Street", "8th Street", ""}, "8th Street / Willow Street"),
        ("Campbell Street", "Campbell Street"),
        ([], ""),
        (None, ""),
    ],
)
def test_a_merged_edge_names_all_its_streets_in_one_order(value: object, expected: str) -> None:
    assert one_name(value) == expected


def test_graph_with_merged_highway_lists_gives_the_same_network_in_any_order() -> None:
    import networkx as nx

    def graph(order: list[str]) -> nx.MultiDiGraph:
        g = nx.MultiDiGraph(crs="EPSG:32647")
        g.add_node(1, x=0.0, y=0.0)
        g.add_node(2, x=100.0, y=0.0)
        g.add_edge(1, 2, length=100.0, highway=order)
        return g

    a = WalkNetwork.from_graph(graph(["footway", "steps"]))
    b = WalkNetwork.from_graph(graph(["steps", "footway"]))
    assert list(a.edge_highway) == list(b.edge_highway) == ["steps"]
