"""Many areas on Dask: reading the AREAS file, failing fast, resuming, the combined summary."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import psutil
import pytest
from conftest import CONTRACT, DEMO_TOWN, CliResult, FakeOSMServer, write_town
from shapely.geometry import Point, box

from yushu_circle.batch import (
    COMBINED_FILE,
    DONE_MARKER,
    STATUS_FILE,
    Area,
    StudySettings,
    _make_job,
    read_areas,
    run_area,
)
from yushu_circle.errors import InputError
from yushu_circle.options import StudyOptions
from yushu_circle.source import Source, SourceKind
from yushu_circle.study import Study

# Three overlapping strips (WEST,SOUTH,EAST,NORTH) across the synthetic town at Jiegu.
STRIPS = {
    "west": (97.005, 32.996, 97.0095, 33.004),
    "结古中部": (97.0085, 32.996, 97.0115, 33.004),
    "east-1": (97.0105, 32.996, 97.015, 33.004),
}
SHARE_COLUMNS = ["share_pop_5min", "share_pop_10min", "share_pop_15min", "share_res_15min"]


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False, encoding="utf-8")
    return path


# --- reading and checking the AREAS file --------------------------------------------------


def test_missing_areas_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nowhere\.csv does not exist"):
        read_areas(tmp_path / "nowhere.csv")


def test_areas_file_without_id_column_lists_its_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [{"town": "x", "osm_file": "x.osm"}])
    with pytest.raises(InputError, match=r"no area_id .*columns: town, osm_file"):
        read_areas(path)


def test_areas_file_without_source_column_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [{"area_id": "x", "note": "?"}])
    with pytest.raises(InputError, match="no source column"):
        read_areas(path)


def test_duplicate_area_ids_differing_in_case_are_refused(tmp_path: Path) -> None:
    rows = [{"area_id": "Jiegu", "place": "a"}, {"area_id": "jiegu", "place": "b"}]
    with pytest.raises(InputError, match=r"'jiegu' repeats row 2"):
        read_areas(write_csv(tmp_path / "a.csv", rows))


@pytest.mark.parametrize(
    "area_id", ["../outside", "a/b", "a\\b", ".hidden", "_x", "two words", "a.b", "CON", "x" * 65]
)
def test_area_id_that_is_not_a_safe_folder_name_is_refused(tmp_path: Path, area_id: str) -> None:
    path = write_csv(tmp_path / "a.csv", [{"area_id": area_id, "place": "somewhere"}])
    with pytest.raises(InputError, match="cannot be a folder name"):
        read_areas(path)


def test_name_column_serves_as_id_and_chinese_ids_are_allowed(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [{"name": "结古街道", "place": "结古街道, 玉树市"}])
    assert read_areas(path) == [Area("结古街道", Source.place("结古街道, 玉树市"))]


def test_row_without_source_or_with_two_overpass_sources_is_refused(tmp_path: Path) -> None:
    empty = write_csv(tmp_path / "a.csv", [{"area_id": "a", "place": "", "bbox": ""}])
    with pytest.raises(InputError, match=r"row 2 \(a\) has no source"):
        read_areas(empty)
    both = write_csv(tmp_path / "b.csv", [{"area_id": "a", "place": "p", "bbox": "1,2,3,4"}])
    with pytest.raises(InputError, match="gives place and bbox"):
        read_areas(both)


def test_bad_bbox_names_the_row_and_the_value(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [{"area_id": "a", "bbox": "97.1,33,97.0,33.1"}])
    with pytest.raises(InputError, match=r"row 2 \(a\): bbox '97.1,33,97.0,33.1'"):
        read_areas(path)


def test_relative_osm_file_is_resolved_against_the_areas_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "areas"
    folder.mkdir()
    path = write_csv(
        folder / "a.csv", [{"area_id": "a", "osm_file": "data/t.osm", "bbox": "97,32.9,97.1,33"}]
    )
    monkeypatch.chdir(tmp_path)
    (area,) = read_areas(path)
    assert area.source.kind is SourceKind.OSM_FILE
    assert area.source.path == (folder / "data" / "t.osm").resolve()
    assert area.source.box == (97.0, 32.9, 97.1, 33.0)
    assert area.origin == f"AREAS file {path}, row 2"


def test_geopackage_polygons_clip_an_osm_file_or_are_fetched(tmp_path: Path) -> None:
    shapes = [box(97.0, 32.99, 97.01, 33.0), Point(97.0, 33.0).buffer(0.01)]
    frame = gpd.GeoDataFrame(
        {"area_id": ["clip", "fetch"], "osm_file": ["t.osm", None]},
        geometry=shapes,
        crs="EPSG:4326",
    ).to_crs("EPSG:32647")  # read back in EPSG:4326 whatever the file's CRS
    path = tmp_path / "areas.gpkg"
    frame.to_file(path, driver="GPKG")
    clip, fetch = read_areas(path)
    assert clip.source.path == tmp_path / "t.osm"
    assert fetch.source.kind is SourceKind.POLYGON
    assert fetch.source.path is None and fetch.source.name is None and fetch.source.box is None
    import shapely

    for area, shape in zip((clip, fetch), shapes, strict=True):
        assert area.source.polygon_wkt is not None
        back = shapely.from_wkt(area.source.polygon_wkt)
        assert back.symmetric_difference(shape).area < 1e-9 * shape.area + 1e-12


def test_geopackage_point_geometry_is_refused(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"area_id": ["p"]}, geometry=[Point(97, 33)], crs="EPSG:4326")
    path = tmp_path / "areas.gpkg"
    frame.to_file(path, driver="GPKG")
    with pytest.raises(InputError, match="geometry is a Point, not a polygon"):
        read_areas(path)


# --- one area's task ------------------------------------------------------------------------


def test_bad_input_fails_fast_as_a_row_without_raising(tmp_path: Path) -> None:
    # Returned, not raised: Dask retries only what raises, and bad input fails the same way.
    bad = tmp_path / "bad.osm"
    bad.write_text("not OSM at all", encoding="utf-8")
    job = _make_job(tmp_path / "out", StudySettings(), False)
    row = run_area(Area("bad", Source.osm_file(bad)), job)
    assert row["status"] == "failed"
    assert "bad.osm is not OSM XML" in row["error"]
    assert not (tmp_path / "out" / "bad" / DONE_MARKER).exists()


def test_missing_osm_file_names_the_areas_column_and_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [{"area_id": "x", "osm_file": "gone.osm"}])
    (area,) = read_areas(path)
    row = run_area(area, _make_job(tmp_path / "out", StudySettings(), False))
    assert row["status"] == "failed"
    assert row["error"].startswith(f"AREAS file {path}, row 2 (x), column osm_file: OSM file ")
    assert "--osm-file" not in row["error"]
    assert "correct the osm_file column" in row["error"]


def test_batch_report_shows_errors_whole(tmp_path: Path) -> None:
    from yushu_circle.batch import BatchResult, format_batch_report

    error = "AREAS file a.csv, row 2 (x): " + "a long reason " * 20 + "— fix: the fix at the end"
    status = pd.DataFrame(
        [
            {
                "area_id": "x",
                "status": "failed",
                "resumed": False,
                "seconds": 0.1,
                "source": "place p",
                "error": error,
            }
        ]
    )
    text = format_batch_report(BatchResult(status, pd.DataFrame(), tmp_path))
    assert f"x: {error}" in text


def test_done_marker_counts_only_for_the_same_source_and_settings(tmp_path: Path) -> None:
    from yushu_circle.batch import _fingerprint, _is_done

    town = write_town(tmp_path / "town.osm", n=4)
    area = Area("town", Source.osm_file(town))
    job = _make_job(tmp_path / "out", StudySettings(options=StudyOptions(speed_kmh=4.0)), False)
    assert run_area(area, job)["status"] == "ok"
    folder = tmp_path / "out" / "town"
    assert _is_done(folder, _fingerprint(area, job))
    slower = _make_job(tmp_path / "out", StudySettings(options=StudyOptions(speed_kmh=3.0)), False)
    assert not _is_done(folder, _fingerprint(area, slower))
    clipped = Area("town", Source.osm_file(town, clip_bbox=(97.0, 32.99, 97.01, 33.0)))
    assert _is_done(folder, _fingerprint(Area("town", Source.osm_file(town), origin="x"), job))
    assert not _is_done(folder, _fingerprint(clipped, job))
    (folder / "summary.csv").unlink()  # an output removed by hand: the area runs again
    assert not _is_done(folder, _fingerprint(area, job))


def test_unreachable_scheduler_is_one_clear_error_and_leaves_no_folder(
    tmp_path: Path, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    import yushu_circle.batch

    with socket.socket() as probe:  # a port on 127.0.0.1 nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(yushu_circle.batch, "SCHEDULER_TIMEOUT_S", 1.0)
    areas = write_csv(tmp_path / "a.csv", [{"area_id": "a", "osm_file": "town.osm"}])
    out = tmp_path / "out"
    result = cli("--quiet", "batch", areas, "--out", out, "--scheduler", f"tcp://127.0.0.1:{port}")
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        f"yushu-circle: error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port} "
        "(OSError) — fix: start it with `dask scheduler` (and `dask worker ADDRESS`), "
        "or leave out --scheduler to run on a local cluster"
    ]
    assert not out.exists()


# --- the whole batch on a real local cluster ------------------------------------------------


@pytest.fixture(scope="module")
def cluster_address() -> Iterator[str]:
    """A running LocalCluster of one worker on 127.0.0.1, as for ``--scheduler``."""
    import logging

    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.CRITICAL,
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def _children() -> dict[int, psutil.Process]:
    return {p.pid: p for p in psutil.Process().children(recursive=True)}


def _mtimes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


def _expected_summary(town: Path, bbox: tuple[float, float, float, float]) -> pd.DataFrame:
    """The same area computed in this process, without Dask."""
    return Study.from_osm_file(town, bbox=bbox).summary()


@pytest.mark.slow
def test_batch_on_a_local_cluster_survives_a_bad_area_and_resumes(
    tmp_path: Path,
    cli: Callable[..., CliResult],
    osm_server: FakeOSMServer,
    cluster_address: str,
) -> None:
    town = write_town(tmp_path / "town.osm", n=8)
    (tmp_path / "broken.osm").write_text("this is not OSM", encoding="utf-8")
    rows = [
        {"area_id": k, "osm_file": "town.osm", "bbox": ",".join(map(str, b)), "place": ""}
        for k, b in STRIPS.items()
    ]
    rows.append({"area_id": "broken", "osm_file": "broken.osm", "bbox": "", "place": ""})
    rows.append({"area_id": "demo_town", "osm_file": "", "bbox": "", "place": DEMO_TOWN})
    areas = write_csv(tmp_path / "areas.csv", rows)
    out = tmp_path / "out"
    before = _children()

    # 1. The default local cluster (2 workers): one bad area, the others complete.
    first = cli("--quiet", "batch", areas, "--out", out, "--workers", "2")
    assert first.code == 1, first.err
    new = [p for pid, p in _children().items() if pid not in before]
    _, alive = psutil.wait_procs(new, timeout=15)
    assert not alive, [p.cmdline() for p in alive]  # the local cluster's processes are gone
    status = pd.read_csv(out / STATUS_FILE, encoding="utf-8-sig").set_index("area_id")
    assert list(status.index) == [*STRIPS, "broken", "demo_town"]  # the AREAS file's order
    assert "seconds" not in status.columns  # timings would make each run's file differ
    assert status.loc["broken", "status"] == "failed"
    assert "broken.osm is not OSM XML" in status.loc["broken", "error"]
    done = [*STRIPS, "demo_town"]
    assert (status.loc[done, "status"] == "ok").all()
    assert osm_server.count("overpass") == 1  # the workers used the client's Overpass URL
    for area_id in done:
        assert CONTRACT | {DONE_MARKER} <= {p.name for p in (out / area_id).iterdir()}
    assert not (out / "broken").exists() or not (out / "broken" / DONE_MARKER).exists()
    assert "broken" in first.out and "结古中部" in first.out  # the printed tables

    # The combined summary holds each area's summary, as computed here without Dask.
    combined = pd.read_csv(out / COMBINED_FILE, encoding="utf-8-sig")
    assert set(combined["area_id"]) == set(done)
    for area_id, bbox in STRIPS.items():
        expected = _expected_summary(town, bbox)
        got = combined[combined["area_id"] == area_id].set_index("category")
        assert list(got.index) == list(expected.index)
        np.testing.assert_allclose(
            got[SHARE_COLUMNS].to_numpy(), expected[SHARE_COLUMNS].to_numpy(), atol=1e-4
        )
    # The strips really differ, so a mix-up between areas would show.
    west, east = (combined[combined["area_id"] == a][SHARE_COLUMNS] for a in ("west", "east-1"))
    assert not np.allclose(west.to_numpy(), east.to_numpy())

    # 2. Resume on an existing scheduler: done areas are skipped, the bad one is tried again.
    stamps = {a: _mtimes(out / a) for a in done}
    second = cli("--quiet", "batch", areas, "--out", out, "--scheduler", cluster_address)
    assert second.code == 1, second.err
    assert {a: _mtimes(out / a) for a in done} == stamps  # not recomputed
    status = pd.read_csv(out / STATUS_FILE, encoding="utf-8-sig").set_index("area_id")
    assert status.loc[done, "resumed"].all()
    assert not status.loc["broken", "resumed"] and status.loc["broken", "status"] == "failed"

    # 3. With the file repaired, only the broken area runs.
    write_town(tmp_path / "broken.osm", n=4)
    third = cli("--quiet", "batch", areas, "--out", out, "--scheduler", cluster_address)
    assert third.code == 0, third.err
    assert {a: _mtimes(out / a) for a in done} == stamps
    assert (out / "broken" / DONE_MARKER).exists()
    marker = json.loads((out / "west" / DONE_MARKER).read_text(encoding="utf-8"))
    assert marker["fingerprint"]["area"]["source"]["box"] == list(STRIPS["west"])

    # 4. --force runs every area again.
    fourth = cli("--quiet", "batch", areas, "--out", out, "--scheduler", cluster_address, "--force")
    assert fourth.code == 0, fourth.err
    redone = {a: _mtimes(out / a) for a in done}
    for area_id in done:
        assert redone[area_id]["summary.csv"] > stamps[area_id]["summary.csv"]
