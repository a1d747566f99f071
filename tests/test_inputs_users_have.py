"""Inputs users really have (issue 31, class 9): the map page's scenario CSV saved again by
Excel on a Chinese Windows machine (GBK, CRLF) or as "CSV UTF-8" (BOM), read like every other
CSV; a device, a pipe or a huge file given for a CSV is refused at once, naming it; an empty
scenario is one clear line. Through the real command line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from cli_process import yushu
from conftest import JIEGU, _offset, street_side_points_csv
from helpers import assert_one_line_error

from yushu_circle import Study
from yushu_circle.render.network_payload import read_scenario

ENGINE = Path(__file__).resolve().parents[1] / "yushu_circle" / "render" / "js" / "engine.mjs"
NAME = "示例幼儿园4"
"""The added kindergarten's name (synthetic, 示例数据): GBK turns it to other bytes."""
_SCRIPT = """
import {{ readFileSync }} from "node:fs";
import {{ createEngine }} from "{engine}";
import {{ loadPayload }} from "{payload}";
const [payload, lon, lat, gone, name] = process.argv.slice(2);
const engine = createEngine(await loadPayload(JSON.parse(readFileSync(payload, "utf8"))));
engine.addFacility("kindergarten", Number(lon), Number(lat), {{ name }});
engine.removeFacility(gone);
process.stdout.write(engine.scenarioCsv());
"""

EXCEL_SAVES = {
    "page": lambda text: text.encode("utf-8"),  # the page's download, as it is
    "excel-csv-gbk": lambda text: text.replace("\n", "\r\n").encode("gbk"),  # "CSV (逗号分隔)"
    "excel-csv-utf8": lambda text: text.replace("\n", "\r\n").encode("utf-8-sig"),  # "CSV UTF-8"
}
SAVES_READ = {**EXCEL_SAVES, "gb18030": lambda text: text.encode("gb18030")}


@pytest.fixture(scope="module")
def page_scenario(town_osm: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The scenario CSV the map page's own engine writes (node runs render/js/engine.mjs)."""
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node is not installed (Debian package nodejs)")
        pytest.skip("node is not installed (Debian package nodejs)")
    folder = tmp_path_factory.mktemp("page")
    study = Study.from_osm_file(town_osm)
    engine = study.results().engine  # the payload map.html carries
    assert engine is not None
    (folder / "payload.json").write_text(engine, encoding="utf-8")
    script = folder / "scenario.mjs"
    script.write_text(
        _SCRIPT.format(engine=ENGINE.as_uri(), payload=ENGINE.with_name("payload.mjs").as_uri()),
        encoding="utf-8",
    )
    gone = study.facilities.loc[study.facilities["category"] == "clinic", "facility_id"].iloc[0]
    lon, lat = _offset(JIEGU, 120, -242)
    done = subprocess.run(
        [node, str(script), str(folder / "payload.json"), str(lon), str(lat), gone, NAME],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert NAME in done.stdout and gone in done.stdout
    return done.stdout


@pytest.mark.parametrize("saved", list(SAVES_READ))
def test_the_pages_scenario_reads_back_however_excel_saved_it(
    saved: str, page_scenario: str, tmp_path: Path
) -> None:
    path = tmp_path / "scenario.csv"
    path.write_bytes(SAVES_READ[saved](page_scenario))
    scenario = read_scenario(path)
    assert scenario.added["name"].tolist() == [NAME]
    assert scenario.added["category"].tolist() == ["kindergarten"]
    assert len(scenario.removed) == 1


def test_plan_gives_the_same_what_if_from_every_saving(
    page_scenario: str, town_osm: Path, tmp_path: Path
) -> None:
    # Excel on a Chinese Windows machine saved the page's scenario.csv in GBK: refused
    # before ('utf-8' codec can't decode), while GBK residences and facilities were read.
    results = {}
    for saved, encode in EXCEL_SAVES.items():
        path = tmp_path / f"{saved}.csv"
        path.write_bytes(encode(page_scenario))
        out = tmp_path / saved
        result = yushu("--quiet", "plan", "--osm-file", town_osm, "--scenario", path, "--out", out)
        assert result.code == 0, (saved, result.err)
        results[saved] = (out / "whatif.csv").read_bytes()
        summary = json.loads((out / "plan_summary.json").read_text(encoding="utf-8"))
        assert {row["category"] for row in summary["whatif"]} == {"clinic", "kindergarten"}
    assert len(set(results.values())) == 1, "the what-if depends on how the file was saved"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_facilities_csv_in_every_encoding_gives_the_same_study(
    encoding: str, town_osm: Path, tmp_path: Path
) -> None:
    text = street_side_points_csv(facilities=True).replace("示例 0", "示例 𠮷 0")
    if encoding == "gbk":
        text = text.replace("𠮷", "吉")  # outside GBK (GB 18030 has it)
    poi = tmp_path / "poi.csv"
    poi.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    out = tmp_path / "out"
    result = yushu(
        "--quiet", "run", "--osm-file", town_osm, "--facilities", poi, "--no-isochrones",
        "--out", out,
    )  # fmt: skip
    assert result.code == 0, result.err
    facilities = pd.read_parquet(out / "facilities.parquet")
    names = set(facilities.loc[facilities["source"] == "poi.csv", "name"])
    assert ("示例 吉 0" if encoding == "gbk" else "示例 𠮷 0") in names
    assert {"示例 1", "示例 5"} <= names


# --- what is not a CSV file ------------------------------------------------------------


def _plan_with(scenario: Path | str, town: Path, out: Path, timeout: float = 120) -> object:
    return yushu(
        "--quiet", "plan", "--osm-file", town, "--scenario", scenario, "--out", out,
        timeout=timeout,
    )  # fmt: skip


def test_scenario_from_dev_zero_is_refused_at_once(town_osm: Path, tmp_path: Path) -> None:
    # It used to grow memory ~0.4 GB/s until the machine killed it.
    result = _plan_with("/dev/zero", town_osm, tmp_path / "out", timeout=60)
    assert_one_line_error(result, "scenario file /dev/zero is not a regular file")
    assert not (tmp_path / "out").exists()


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(
    town_osm: Path, tmp_path: Path
) -> None:
    fifo = tmp_path / "scenario.csv"
    os.mkfifo(fifo)
    assert_one_line_error(_plan_with(fifo, town_osm, tmp_path / "o", 60), "not a regular file")
    homes = tmp_path / "homes.csv"
    os.mkfifo(homes)
    result = yushu(
        "--quiet", "run", "--osm-file", town_osm, "--residences", homes, "--out", tmp_path / "o",
        timeout=60,
    )  # fmt: skip
    assert_one_line_error(result, f"residences file {homes} is not a regular file")


def test_a_scenario_over_the_size_limit_is_refused_unread(town_osm: Path, tmp_path: Path) -> None:
    huge = tmp_path / "scenario.csv"
    with huge.open("wb") as file:
        file.truncate(17 * 1024**2)  # sparse: no disk used, nothing to read
    result = _plan_with(huge, town_osm, tmp_path / "out", timeout=60)
    assert_one_line_error(result, f"scenario file {huge} is 17 MiB", "16 MiB")


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "is empty"),
        (b" \r\n\r\n", "is empty"),
        (b"action,facility_id,category,name,lon,lat\r\n", "adds and removes no facility"),
        ("action,facility_id\n".encode("utf-16"), "UTF-16"),
        (bytes(range(128, 256)) * 8, "neither UTF-8 nor GBK"),
    ],
    ids=["empty", "blank-lines", "header-only", "utf-16", "binary"],
)
def test_an_empty_or_unreadable_scenario_is_one_line(
    data: bytes, fragment: str, town_osm: Path, tmp_path: Path
) -> None:
    path = tmp_path / "scenario.csv"
    path.write_bytes(data)
    result = _plan_with(path, town_osm, tmp_path / "out")
    assert_one_line_error(result, f"scenario file {path}", fragment)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_an_areas_file_saved_by_excel_is_read(encoding: str, tmp_path: Path) -> None:
    from yushu_circle.batch import read_areas

    (tmp_path / "结古.osm").write_text("<osm/>", encoding="utf-8")
    areas = tmp_path / "areas.csv"
    text = "# 玉树市 Yushu (示例)\narea_id,osm_file\n结古镇,结古.osm\n"
    areas.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    (area,) = read_areas(areas)
    assert area.area_id == "结古镇"
    assert area.source.path == tmp_path / "结古.osm"
