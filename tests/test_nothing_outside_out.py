"""Nothing is written outside ``--out`` and the user cache (issue 31, class 2; the compiled
kernels' cache is tested with the kernels): no write through a symbolic link planted in the
output folder, osmnx's answer cache not in the working folder, Dask's scratch space not in
TMPDIR. Through the real command line, in its own process and working folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_process import yushu
from conftest import DEMO_TOWN, FakeOSMServer, snapshot
from helpers import GOOD_CATEGORY, assert_one_line_error
from validate import validate_output_folder


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_map_png_never_writes_through_a_planted_link(good_out: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (good_out / "png").symlink_to(elsewhere, target_is_directory=True)
    before = snapshot(good_out)
    result = yushu("--quiet", "map", good_out, "--png")
    assert_one_line_error(result, f"{good_out / 'png'} is a symbolic link to {elsewhere}", "rm ")
    assert list(elsewhere.iterdir()) == []  # not one PNG went through the link
    assert snapshot(good_out) == before


def test_check_geojson_never_writes_through_a_planted_link(town_osm: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.geojson"
    target.write_text("{}\n", encoding="utf-8")
    link = tmp_path / "routes.geojson"
    link.symlink_to(target)
    result = yushu(
        "--quiet", "check", "--osm-file", town_osm, "--at", "97.0104,32.9978", "--geojson", link
    )
    assert_one_line_error(result, f"{link} is a symbolic link")
    assert target.read_text(encoding="utf-8") == "{}\n"
    assert link.is_symlink()


def test_map_png_into_a_real_png_folder_still_works(town_osm: Path, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.toml"  # one category: one PNG to draw
    catalog.write_text(GOOD_CATEGORY, encoding="utf-8")
    out = tmp_path / "out"
    run = ["--quiet", "run", "--osm-file", town_osm, "--catalog", catalog, "--no-isochrones"]
    assert yushu(*run, "--out", out).code == 0
    (out / "png").mkdir()
    result = yushu("--quiet", "map", out, "--png")
    assert result.code == 0, result.err
    assert (out / "png" / "coverage_clinic.png").read_bytes()[:4] == b"\x89PNG"


def test_place_run_leaves_no_cache_in_the_working_folder(
    osm_server: FakeOSMServer, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    cache = tmp_path / "user-cache"
    out = work / "out"
    result = yushu(
        "run", "--place", DEMO_TOWN, "--no-isochrones", "--out", out,
        "--overpass-url", osm_server.overpass_url, "--nominatim-url", osm_server.nominatim_url,
        cwd=work,
        env={"YUSHU_CACHE_DIR": str(cache), "NO_PROXY": "127.0.0.1",
             "YUSHU_CIRCLE_OVERPASS_BACKOFF_S": "0.01"},
    )  # fmt: skip
    assert result.code == 0, result.err
    validate_output_folder(out)
    assert {p.split(os.sep)[0] for p in _files(work)} == {"out"}  # no cache/ beside it
    answers = sorted((cache / "overpass").glob("*.json"))
    assert answers, "the answers went nowhere"
    assert f"answers are cached in {cache / 'overpass'}" in result.err  # the run says where
    # A second run is answered from that cache: the server is not asked again.
    asked = osm_server.count("overpass") + osm_server.count("nominatim")
    again = yushu(
        "--quiet", "run", "--place", DEMO_TOWN, "--no-isochrones", "--out", work / "again",
        "--overpass-url", osm_server.overpass_url, "--nominatim-url", osm_server.nominatim_url,
        cwd=work, env={"YUSHU_CACHE_DIR": str(cache), "NO_PROXY": "127.0.0.1"},
    )  # fmt: skip
    assert again.code == 0, again.err
    assert osm_server.count("overpass") + osm_server.count("nominatim") == asked


@pytest.mark.slow
def test_batch_leaves_no_dask_scratch_space_in_tmpdir(town_osm: Path, tmp_path: Path) -> None:
    scratch = tmp_path / "tmpdir"
    scratch.mkdir()
    areas = tmp_path / "areas.csv"
    areas.write_text(f"area_id,osm_file\na,{town_osm}\nb,{town_osm}\n", encoding="utf-8")
    out = tmp_path / "out"
    result = yushu(
        "--quiet", "batch", areas, "--out", out, "--workers", "2", cwd=tmp_path,
        env={"TMPDIR": str(scratch)},
    )  # fmt: skip
    assert result.code == 0, result.err
    assert list(scratch.iterdir()) == []  # no dask-scratch-space/, no lock files
    assert sorted(p.name for p in out.iterdir()) == [
        "a", "b", "batch_status.csv", "combined_summary.csv"
    ]  # fmt: skip
    assert not any(name.startswith(".") for name in _files(out))  # no staging left
    validate_output_folder(out / "a")
