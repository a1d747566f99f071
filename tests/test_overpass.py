"""Overpass and Nominatim through a local server: success, retries, failures, the cache."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from conftest import CONTRACT, DATA, DEMO_TOWN, CliResult, FakeOSMServer, Reply, snapshot, town_xml
from helpers import assert_one_line_error

# A box around the synthetic town at Jiegu (WEST,SOUTH,EAST,NORTH).
BBOX = "97.005,32.996,97.015,33.004"


def cache_files(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "cache"
    return sorted(folder.rglob("*.json")) if folder.exists() else []


def test_recorded_answers_match_their_generator() -> None:
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("_make_fixtures", DATA / "make_fixtures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["_make_fixtures"] = module
    spec.loader.exec_module(module)
    for name, text in module.recorded().items():
        assert (DATA / name).read_text(encoding="utf-8") == text, name


def test_place_run_writes_the_contract_and_matches_the_file_run(
    cli: Callable[..., CliResult], osm_server: FakeOSMServer, tmp_path: Path
) -> None:
    out = tmp_path / "place"
    result = cli("--quiet", "run", "--place", DEMO_TOWN, "--out", out)
    assert result.code == 0, result.err
    assert {p.name for p in out.iterdir()} >= CONTRACT
    assert osm_server.count("nominatim") == 1
    assert osm_server.count("overpass") == 1
    assert len(cache_files(tmp_path)) == 2  # the geocoder's answer and Overpass's

    # The same town read from its XML file gives the same walk minutes.
    osm = tmp_path / "town.osm"
    osm.write_text(town_xml(), encoding="utf-8")
    assert cli("--quiet", "run", "--osm-file", osm, "--out", tmp_path / "file").code == 0
    by_place = pd.read_parquet(out / "residences.parquet").set_index("residence_id")
    by_file = pd.read_parquet(tmp_path / "file" / "residences.parquet").set_index("residence_id")
    walk = [c for c in by_file.columns if c.startswith("walk_min_")]
    assert len(by_place) == len(by_file) == 25
    pd.testing.assert_frame_equal(by_place.loc[by_file.index, walk], by_file[walk])

    # A second run is served from the cache: no new request reaches the server.
    assert cli("--quiet", "run", "--place", DEMO_TOWN, "--out", tmp_path / "again").code == 0
    assert osm_server.count("overpass") == 1


def test_place_the_geocoder_cannot_find(
    cli: Callable[..., CliResult], osm_server: FakeOSMServer, good_out: Path, tmp_path: Path
) -> None:
    before = snapshot(good_out)
    result = cli("--quiet", "run", "--place", "不存在的镇 Nowhere", "--out", good_out)
    assert_one_line_error(result, "'不存在的镇 Nowhere'", "geocoder found no area", "--bbox")
    assert osm_server.count("overpass") == 0
    assert snapshot(good_out) == before


def test_geocoder_http_error(
    cli: Callable[..., CliResult], osm_server: FakeOSMServer, good_out: Path, tmp_path: Path
) -> None:
    osm_server.nominatim_replies = [Reply(500, "<html>Internal Server Error</html>")]
    before = snapshot(good_out)
    result = cli("--quiet", "run", "--place", DEMO_TOWN, "--out", good_out)
    assert_one_line_error(result, "geocoder", "HTTP error", "--nominatim-url")
    assert cache_files(tmp_path) == []
    assert snapshot(good_out) == before


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_overpass_busy_or_broken_is_retried_then_reported(
    cli: Callable[..., CliResult],
    osm_server: FakeOSMServer,
    good_out: Path,
    tmp_path: Path,
    status: int,
) -> None:
    osm_server.overpass_replies = [Reply(status, '{"error": "busy"}')] * 4
    before = snapshot(good_out)
    result = cli("--quiet", "run", "--bbox", BBOX, "--out", good_out)
    assert_one_line_error(
        result, f"HTTP {status}", "after 4 attempts", osm_server.overpass_url, "--overpass-url"
    )
    assert osm_server.count("overpass") == 4  # 1 try + 3 retries
    assert cache_files(tmp_path) == []
    assert snapshot(good_out) == before


def test_overpass_timeout_is_retried_then_reported(
    cli: Callable[..., CliResult],
    osm_server: FakeOSMServer,
    good_out: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import osmnx as ox

    monkeypatch.setattr(ox.settings, "requests_timeout", 0.2)
    osm_server.overpass_replies = [Reply(200, b"{}", delay_s=1.0)] * 4
    before = snapshot(good_out)
    result = cli("--quiet", "run", "--bbox", BBOX, "--out", good_out)
    assert_one_line_error(result, "ReadTimeout", "after 4 attempts")
    assert cache_files(tmp_path) == []
    assert snapshot(good_out) == before


def test_overpass_server_side_timeout_remark_is_not_cached(
    cli: Callable[..., CliResult], osm_server: FakeOSMServer, good_out: Path, tmp_path: Path
) -> None:
    # Overpass reports its own query timeout as HTTP 200 with a remark and no elements.
    remark = {
        "elements": [],
        "remark": 'runtime error: Query timed out in "query" at line 1 after 26 seconds.',
    }
    osm_server.overpass_replies = [Reply(200, remark)] * 4
    before = snapshot(good_out)
    result = cli("--quiet", "run", "--bbox", BBOX, "--out", good_out)
    assert_one_line_error(result, "Query timed out", "after 4 attempts")
    assert cache_files(tmp_path) == []
    assert snapshot(good_out) == before


def test_overpass_answer_that_is_not_json(
    cli: Callable[..., CliResult], osm_server: FakeOSMServer, tmp_path: Path
) -> None:
    osm_server.overpass_replies = [Reply(200, "<html>rate limited</html>")] * 4
    result = cli("--quiet", "run", "--bbox", BBOX, "--out", tmp_path / "out")
    assert_one_line_error(result, "not JSON", "after 4 attempts")
    assert cache_files(tmp_path) == []


def test_overpass_refusal_is_not_retried(
    cli: Callable[..., CliResult], osm_server: FakeOSMServer, tmp_path: Path
) -> None:
    osm_server.overpass_replies = [Reply(400, "bad query")]
    result = cli("--quiet", "run", "--bbox", BBOX, "--out", tmp_path / "out")
    assert_one_line_error(result, "HTTP 400")
    assert osm_server.count("overpass") == 1
    assert cache_files(tmp_path) == []


def test_overpass_recovers_after_a_429(
    cli: Callable[..., CliResult], osm_server: FakeOSMServer, tmp_path: Path
) -> None:
    osm_server.overpass_replies = [Reply(429, "slow down"), Reply(503, "busy")]
    out = tmp_path / "out"
    result = cli("--quiet", "run", "--bbox", BBOX, "--out", out)
    assert result.code == 0, result.err
    assert osm_server.count("overpass") == 3
    assert len(cache_files(tmp_path)) == 1  # only the good answer
    cached = json.loads(cache_files(tmp_path)[0].read_text(encoding="utf-8"))
    assert len(cached["elements"]) > 100
    assert {p.name for p in out.iterdir()} >= CONTRACT


def test_overpass_without_streets(
    cli: Callable[..., CliResult], osm_server: FakeOSMServer, tmp_path: Path
) -> None:
    osm_server.overpass_replies = [Reply(200, {"elements": []})]
    result = cli("--quiet", "run", "--bbox", BBOX, "--out", tmp_path / "out")
    assert_one_line_error(result, "no streets", "widen the area")


def test_bad_backoff_setting_is_named(
    cli: Callable[..., CliResult],
    osm_server: FakeOSMServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("YUSHU_CIRCLE_OVERPASS_BACKOFF_S", "soon")
    result = cli("--quiet", "run", "--bbox", BBOX, "--out", tmp_path / "out")
    assert_one_line_error(result, "YUSHU_CIRCLE_OVERPASS_BACKOFF_S", "'soon'")
    assert osm_server.count("overpass") == 0


def test_server_urls_travel_on_the_source_and_osmnx_settings_are_left_alone(
    cli: Callable[..., CliResult],
    osm_server: FakeOSMServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import osmnx as ox

    monkeypatch.setattr(ox.settings, "overpass_url", "http://127.0.0.1:9/closed")
    monkeypatch.setattr(ox.settings, "nominatim_url", "http://127.0.0.1:9/closed/")
    out = tmp_path / "out"
    result = cli(
        "--quiet", "run", "--place", DEMO_TOWN, "--overpass-url", osm_server.overpass_url,
        "--nominatim-url", osm_server.nominatim_url, "--no-isochrones", "--out", out,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert osm_server.count("overpass") == 1 and osm_server.count("nominatim") == 1
    # The command set nothing global: osmnx's settings are what they were.
    assert ox.settings.overpass_url == "http://127.0.0.1:9/closed"
    assert ox.settings.nominatim_url == "http://127.0.0.1:9/closed/"
    # Only the osmnx adapter writes osmnx's settings.
    import re

    writes = re.compile(r"ox\.settings\.\w+\s*=(?!=)|setattr\(\s*ox\.settings")
    package = Path(__file__).resolve().parents[1] / "yushu_circle"
    writing = sorted(
        str(p.relative_to(package))
        for p in package.rglob("*.py")
        if writes.search(p.read_text(encoding="utf-8"))
    )
    assert writing == ["osm/_osmnx.py"]
