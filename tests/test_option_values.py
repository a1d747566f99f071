"""Option and file values validated once, each a clear line (issue 31, class 5): repeated
minutes, a facilities file given twice, coordinates out of range in scenario rows, ids beyond
64 bits, names too long for the file system. Through the real command line.

Before, ``--iso-minutes 5,5,10`` and a repeated ``--facilities`` file ran and wrote outputs
that ``tests/validate.py`` refuses (duplicate bands, duplicate facility ids); a scenario
facility at lon 200, lat 95 vanished with "无变化"; the rest were internal errors (exit 70).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cli_process import yushu
from conftest import JIEGU, _offset, snapshot, street_side_points_csv
from helpers import GOOD_CATEGORY, assert_one_line_error
from validate import validate_output_folder

from yushu_circle.catalog import MAX_CATEGORY_CHARS
from yushu_circle.errors import InputError

SCENARIO_HEAD = "action,facility_id,category,name,lon,lat\n"


def _fails_cleanly(out: Path, *args: str | Path, fragments: tuple[str, ...]) -> str:
    """A bad run into ``out`` (holding a good run): one line, nothing there changed."""
    before = snapshot(out) if out.exists() else None
    line = assert_one_line_error(yushu("--quiet", *args), *fragments)
    assert (snapshot(out) if out.exists() else None) == before
    return line


def test_repeated_iso_minutes_are_refused_before_any_work(good_out: Path, town_osm: Path) -> None:
    _fails_cleanly(
        good_out, "run", "--osm-file", town_osm, "--iso-minutes", "5,5,10", "--out", good_out,
        fragments=("--iso-minutes '5,5,10' lists 5 minutes more than once", "--iso-minutes 5,10"),
    )  # fmt: skip


def test_repeated_minutes_are_refused_by_the_api_too(town_osm: Path) -> None:
    from yushu_circle import Study

    study = Study.from_osm_file(town_osm)
    with pytest.raises(InputError, match="more than once"):
        study.isochrones([5, 10, 5.0])


def test_a_facilities_file_given_twice_is_refused(
    good_out: Path, town_osm: Path, tmp_path: Path
) -> None:
    poi = tmp_path / "poi.csv"
    poi.write_text(street_side_points_csv(facilities=True), encoding="utf-8")
    _fails_cleanly(
        good_out, "run", "--osm-file", town_osm, "--facilities", poi, "--facilities", poi,
        "--out", good_out, fragments=(f"facilities file {poi} is given twice", "once"),
    )  # fmt: skip


def test_two_facilities_files_sharing_a_name_are_refused(
    good_out: Path, town_osm: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "a" / "poi.csv", tmp_path / "b" / "poi.csv"
    for path in (first, second):
        path.parent.mkdir()
        path.write_text(street_side_points_csv(facilities=True), encoding="utf-8")
    _fails_cleanly(
        good_out, "run", "--osm-file", town_osm, "--facilities", first, "--facilities", second,
        "--out", good_out, fragments=("share the name 'poi'", "would clash", "rename one"),
    )  # fmt: skip


def test_two_different_facilities_files_give_valid_outputs(town_osm: Path, tmp_path: Path) -> None:
    text = street_side_points_csv(facilities=True)
    (tmp_path / "clinics.csv").write_text(text, encoding="utf-8")
    (tmp_path / "shops.csv").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = yushu(
        "--quiet", "run", "--osm-file", town_osm, "--no-isochrones", "--out", out,
        "--facilities", tmp_path / "clinics.csv", "--facilities", tmp_path / "shops.csv",
    )  # fmt: skip
    assert result.code == 0, result.err
    validate_output_folder(out)  # unique facility ids among others


@pytest.mark.parametrize(
    ("row", "fragments"),
    [
        ("add,new1,kindergarten,示例,200,95", ("row 2: lon 200, lat 95 is outside",)),
        ("add,new1,kindergarten,示例,97.01,-91", ("row 2", "outside longitude -180…180")),
        (f"add,new1,{'类' * (MAX_CATEGORY_CHARS + 1)},示例,97.01,33.0", ("row 2", "characters")),
    ],
    ids=["lon-200-lat-95", "lat-below-90", "category-too-long"],
)
def test_a_bad_scenario_row_is_one_line_naming_the_row(
    row: str, fragments: tuple[str, ...], town_osm: Path, tmp_path: Path
) -> None:
    scenario = tmp_path / "scenario.csv"
    scenario.write_text(SCENARIO_HEAD + row + "\n", encoding="utf-8")
    out = tmp_path / "plan"
    result = yushu("--quiet", "plan", "--osm-file", town_osm, "--scenario", scenario, "--out", out)
    line = assert_one_line_error(result, f"scenario file {scenario}", *fragments)
    assert "无变化" not in line
    assert not out.exists()


_HUGE = "99999999999999999999"


def _huge_id(text: str, what: str) -> str:
    if what == "node":
        first = re.search(r'<node id="(\d+)"', text)
        assert first
        old = first.group(1)
        return text.replace(f'id="{old}"', f'id="{_HUGE}"').replace(
            f'ref="{old}"', f'ref="{_HUGE}"'
        )
    if what == "way":
        first = re.search(r'<way id="(\d+)"', text)
        assert first
        return text.replace(f'<way id="{first.group(1)}"', f'<way id="{_HUGE}"', 1)
    relation = (
        f'<relation id="{_HUGE}"><member type="way" ref="5" role="outer"/>'
        '<tag k="type" v="multipolygon"/><tag k="landuse" v="residential"/></relation>\n'
    )
    return text.replace("</osm>", relation + "</osm>")


@pytest.mark.parametrize("what", ["node", "way", "relation"])
def test_an_osm_id_beyond_64_bits_is_one_line(what: str, town_osm: Path, tmp_path: Path) -> None:
    osm = tmp_path / "huge.osm"
    osm.write_text(_huge_id(town_osm.read_text(encoding="utf-8"), what), encoding="utf-8")
    assert _HUGE in osm.read_text(encoding="utf-8")
    result = yushu("--quiet", "run", "--osm-file", osm, "--out", tmp_path / "out")
    assert_one_line_error(result, "huge.osm holds", "64 bits")
    assert not (tmp_path / "out").exists()


def test_a_graphml_node_id_beyond_64_bits_is_one_line(town_osm: Path, tmp_path: Path) -> None:
    import osmnx as ox

    from yushu_circle.network import walk_graph_from_elements
    from yushu_circle.osm.sources import read_osm_file

    graph = walk_graph_from_elements(read_osm_file(town_osm).elements)
    path = tmp_path / "town.graphml"
    ox.save_graphml(graph, path)
    first = str(next(iter(graph.nodes)))
    path.write_text(
        path.read_text(encoding="utf-8").replace(f'"{first}"', f'"{_HUGE}"'), encoding="utf-8"
    )
    homes = tmp_path / "homes.csv"
    homes.write_text("lon,lat\n{:.7f},{:.7f}\n".format(*_offset(JIEGU, 40, -242)))
    result = yushu("--quiet", "run", "--osm-file", path, "--residences", homes, "--out", tmp_path)
    assert_one_line_error(result, "node id beyond 64 bits", str(path))


@pytest.mark.parametrize(
    ("option", "name"),
    [
        ("--out", "x" * 300),
        ("--residences", "村" * 90 + ".csv"),
        ("--scenario", "s" * 256),
        ("--standard", "标" * 90 + ".toml"),
    ],
)
def test_a_name_longer_than_the_file_system_allows_is_one_line(
    option: str, name: str, tmp_path: Path
) -> None:
    # Errno 36 (File name too long) used to surface as an internal error.
    command = "plan" if option in ("--scenario", "--standard") else "run"
    result = yushu("--quiet", command, option, tmp_path / name, cwd=tmp_path)
    assert_one_line_error(result, f"{option}: the name", "longer than the file system allows")
    assert list(tmp_path.iterdir()) == []


def test_a_category_name_too_long_for_a_file_name_is_one_line(
    town_osm: Path, tmp_path: Path
) -> None:
    # Its PNG, png/coverage_<category>.png, would be a name the file system refuses.
    lon, lat = _offset(JIEGU, 40, -242)
    poi = tmp_path / "poi.csv"
    poi.write_text(f"name,category,lon,lat\n示例,{'类' * 100},{lon},{lat}\n", encoding="utf-8")
    result = yushu("--quiet", "run", "--osm-file", town_osm, "--facilities", poi, "--out", tmp_path)
    fragments = (f"facilities file {poi}, line 2", "100 characters", f"{MAX_CATEGORY_CHARS}")
    assert_one_line_error(result, *fragments)


def test_the_longest_category_name_allowed_still_gets_its_png(
    town_osm: Path, tmp_path: Path
) -> None:
    lon, lat = _offset(JIEGU, 40, -242)
    name = "类" * MAX_CATEGORY_CHARS
    poi = tmp_path / "poi.csv"
    poi.write_text(f"name,category,lon,lat\n示例,{name},{lon},{lat}\n", encoding="utf-8")
    out = tmp_path / "out"
    catalog = tmp_path / "catalog.toml"  # one category and the file's: two PNGs to draw
    catalog.write_text(GOOD_CATEGORY, encoding="utf-8")
    result = yushu(
        "--quiet", "run", "--osm-file", town_osm, "--facilities", poi, "--catalog", catalog,
        "--no-isochrones", "--out", out,
    )  # fmt: skip
    assert result.code == 0, result.err
    drawn = yushu("--quiet", "map", out, "--png", "--category", name)
    assert drawn.code == 0, drawn.err
    assert (out / "png" / f"coverage_{name}.png").read_bytes()[:4] == b"\x89PNG"


def test_two_chinese_categories_get_two_pngs(town_osm: Path, tmp_path: Path) -> None:
    # Both used to be drawn to png/coverage_category.png, the second over the first.
    (lon1, lat1), (lon2, lat2) = _offset(JIEGU, 40, -242), _offset(JIEGU, -120, -242)
    poi = tmp_path / "poi.csv"
    poi.write_text(
        f"name,category,lon,lat\n示例,村史馆,{lon1},{lat1}\n示例,老年活动中心,{lon2},{lat2}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(GOOD_CATEGORY, encoding="utf-8")
    result = yushu(
        "--quiet", "run", "--osm-file", town_osm, "--facilities", poi, "--catalog", catalog,
        "--no-isochrones", "--out", out,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert yushu("--quiet", "map", out, "--png").code == 0
    for name in ("村史馆", "老年活动中心"):
        assert (out / "png" / f"coverage_{name}.png").read_bytes()[:4] == b"\x89PNG"
    assert not (out / "png" / "coverage_category.png").exists()


def test_a_path_longer_than_the_system_allows_is_one_line(tmp_path: Path) -> None:
    deep = Path(*["d" * 200] * 20)  # each name fits; the whole path (4,000 bytes) does not
    result = yushu("--quiet", "run", "--out", deep, cwd=tmp_path)
    assert_one_line_error(result, "--out", "is too long a path")
    assert list(tmp_path.iterdir()) == []


def test_the_readers_refuse_a_name_too_long_through_the_api_too(tmp_path: Path) -> None:
    from yushu_circle.render.network_payload import read_scenario

    with pytest.raises(InputError, match="cannot be looked up"):
        read_scenario(tmp_path / ("s" * 300 + ".csv"))


@pytest.mark.parametrize(
    "address",
    ["x" * 300, "foo://host:1", "tcp://127.0.0.1:notaport"],
    ids=["no-port", "scheme", "port"],
)
def test_a_scheduler_address_that_is_none_is_one_line(
    address: str, town_osm: Path, tmp_path: Path
) -> None:
    areas = tmp_path / "areas.csv"
    areas.write_text(f"area_id,osm_file\na,{town_osm}\n", encoding="utf-8")
    result = yushu("--quiet", "batch", areas, "--out", tmp_path / "out", "--scheduler", address)
    assert_one_line_error(result, "is not a Dask scheduler address", "tcp://HOST:PORT")
    assert not (tmp_path / "out").exists()
