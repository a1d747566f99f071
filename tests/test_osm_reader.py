"""The one libosmium reader reads XML as osmnx's SAX reader did, in any object order, and
refuses what it cannot read (huge tags, ids beyond 64 bits, nodes off the world) in one line."""

from __future__ import annotations

import bz2
import gzip
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import osmium
import pytest
from conftest import DATA, CliResult, FakeOSMServer, Reply, town_xml
from osm_formats import OAKLAND, multipolygon_town_xml

from yushu_circle.osm import _osmnx
from yushu_circle.osm.extract import Extract, elements_of, extract_from_elements
from yushu_circle.osm.libosmium import MAX_STRING_BYTES
from yushu_circle.osm.pbf import read_pbf
from yushu_circle.osm.xml import read_xml


def _assert_same(got: Extract, expected: Extract) -> None:
    for name in ("way_ids", "way_offsets", "way_refs", "point_ids"):
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name), err_msg=name)
    for name in ("way_lon", "way_lat", "point_lon", "point_lat"):
        # Both read the 7 decimals the files hold; NaN (absent nodes) equal to NaN.
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name), err_msg=name)
    assert got.way_tags == expected.way_tags
    assert got.point_tags == expected.point_tags
    assert got.relations == expected.relations
    assert got.notes == expected.notes


def _sax_oracle(path: Path) -> Extract:
    """The file read the old way: osmnx's Python SAX handler, element by element."""
    return extract_from_elements(_osmnx.overpass_json_from_xml(path)["elements"], path.name)


@pytest.mark.parametrize("source", ["multipolygon town", "West Oakland"])
def test_libosmium_reader_matches_the_osmnx_sax_reader(tmp_path: Path, source: str) -> None:
    if source == "West Oakland":
        if not OAKLAND.exists():
            pytest.skip("../shared/data is absent")
        path = OAKLAND
    else:
        path = tmp_path / "town.osm"
        path.write_text(multipolygon_town_xml(houses=6), encoding="utf-8")
    got = read_xml(path)
    _assert_same(got, _sax_oracle(path))
    assert len(got.way_ids) > 20
    if source == "West Oakland":
        assert len(got.point_ids) > 5
    else:
        assert got.notes and got.relations  # clipped ways and multipolygons included


def _reordered(xml: str, order: str) -> str:
    """The same OSM XML with its objects in another order (Overpass's ``out body; >;``
    gives ways first, then their nodes)."""
    found = list(re.finditer(r"  <(node|way|relation)\b[^>]*?(?:/>|>.*?</\1>)\n", xml, flags=re.S))
    assert len(found) > 50
    # A stable sort by kind: each kind keeps its own order.
    ordered = sorted(found, key=lambda m: order.index(m.group(1)[0]))
    head = xml[: found[0].start()]
    return head + "".join(m.group(0) for m in ordered) + "</osm>\n"


@pytest.mark.parametrize("order", ["wnr", "rwn", "wrn"])
def test_xml_with_ways_before_their_nodes_reads_as_nodes_first(tmp_path: Path, order: str) -> None:
    xml = multipolygon_town_xml(houses=6)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = tmp_path / "a" / "town.osm"  # one name: the notes name the file
    first.write_text(xml, encoding="utf-8")
    later = tmp_path / "b" / "town.osm"
    later.write_text(_reordered(xml, order), encoding="utf-8")
    expected = read_xml(first)
    got = read_xml(later)
    _assert_same(got, expected)
    _assert_same(got, _sax_oracle(later))
    assert np.isfinite(got.way_lon).mean() > 0.9


def test_compressed_and_xml_named_files_read_alike(tmp_path: Path) -> None:
    data = town_xml().encode("utf-8")
    plain = tmp_path / "town.osm"
    plain.write_bytes(data)
    (tmp_path / "town.osm.bz2").write_bytes(bz2.compress(data))
    (tmp_path / "town.osm.gz").write_bytes(gzip.compress(data))
    (tmp_path / "town.xml").write_bytes(data)
    expected = read_xml(plain)
    assert len(expected.way_ids) > 10
    for name in ("town.osm.bz2", "town.osm.gz", "town.xml"):
        _assert_same(read_xml(tmp_path / name), expected)


def test_elements_of_an_extract_read_back_into_the_same_extract(tmp_path: Path) -> None:
    path = tmp_path / "town.osm"
    path.write_text(multipolygon_town_xml(houses=6), encoding="utf-8")
    extract = read_xml(path)
    elements = elements_of(extract)
    _assert_same(extract_from_elements(elements, path.name), extract)
    # Every way the SAX reader saw with tags comes with the same nodes and tags.
    ways = {e["id"]: e for e in elements if e["type"] == "way"}
    sax = _osmnx.overpass_json_from_xml(path)["elements"]
    tagged = [e for e in sax if e["type"] == "way" and e.get("tags")]
    assert len(tagged) > 10
    for way in tagged:
        assert ways[way["id"]]["nodes"] == way["nodes"]
        assert ways[way["id"]]["tags"] == way["tags"]


# --- refusals, through the command line in a child process -------------------------------------


def _run(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("yushu-circle")
    command = [exe] if exe else [sys.executable, "-m", "yushu_circle.cli"]
    return subprocess.run(
        [*command, "--quiet", "run", "--osm-file", str(path), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _one_line_error(done: subprocess.CompletedProcess[str], path: Path) -> str:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("yushu-circle: error: ") and str(path) in lines[0]
    assert "Traceback" not in done.stderr
    return lines[0]


_NODE = '<node id="1" lat="33.0" lon="97.0">{}</node>'


@pytest.mark.parametrize("what", ["tag value", "tag key", "member role"])
def test_an_oversized_tag_is_refused_naming_the_file_and_the_limit(
    tmp_path: Path, what: str
) -> None:
    huge = "x" * 2_000_000  # far past the limit; a 50 MB one is benchmarks/xml_read.py's
    body = {
        "tag value": _NODE.format(f'<tag k="name" v="{huge}"/>'),
        "tag key": _NODE.format(f'<tag k="{huge}" v="x"/>'),
        "member role": f'<relation id="5"><member type="way" ref="2" role="{huge}"/>'
        '<tag k="type" v="multipolygon"/></relation>',
    }[what]
    path = tmp_path / "huge.osm"
    path.write_text(f'<osm version="0.6">{body}</osm>', encoding="utf-8")
    line = _one_line_error(_run(path, tmp_path), path)
    assert f"{what.split()[-1]} longer than {MAX_STRING_BYTES:,} bytes" in line


def test_a_tag_value_at_the_limit_is_read(tmp_path: Path) -> None:
    value = "玉" * (MAX_STRING_BYTES // 3) + "x" * (MAX_STRING_BYTES % 3)  # exactly the limit
    assert len(value.encode("utf-8")) == MAX_STRING_BYTES
    path = tmp_path / "long.osm"
    tag = f'<tag k="name" v="{value}"/>'
    path.write_text(f'<osm version="0.6">{_NODE.format(tag)}</osm>', encoding="utf-8")
    assert read_xml(path).point_tags == [{"name": value}]


@pytest.mark.parametrize(
    "where",
    ["node id", "way id", "nd ref", "member ref", "2^63"],
)
def test_an_osm_id_beyond_64_bits_is_one_line_not_an_overflow(tmp_path: Path, where: str) -> None:
    big = "123456789012345678901234567890" if where != "2^63" else str(2**63)
    objects = {
        "node id": f'<node id="{big}" lat="33" lon="97"><tag k="shop" v="x"/></node>',
        "way id": f'<way id="{big}"><nd ref="1"/><tag k="highway" v="footway"/></way>',
        "nd ref": f'<way id="2"><nd ref="{big}"/><tag k="highway" v="footway"/></way>',
        "member ref": f'<relation id="3"><member type="way" ref="{big}" role="outer"/>'
        '<tag k="type" v="multipolygon"/><tag k="building" v="yes"/></relation>',
        "2^63": f'<node id="{big}" lat="33" lon="97"><tag k="shop" v="x"/></node>',
    }
    path = tmp_path / "big_id.osm"
    path.write_text(f'<osm version="0.6">{objects[where]}</osm>', encoding="utf-8")
    line = _one_line_error(_run(path, tmp_path), path)
    assert "not a whole number of 64 bits" in line and big[:20] in line


@pytest.mark.parametrize("suffix", [".osm", ".osm.pbf"])
def test_a_node_off_the_world_is_refused_in_xml_and_pbf(tmp_path: Path, suffix: str) -> None:
    # libosmium's location handler used to abort the whole process on such a way node in a
    # PBF ("terminate called after throwing an instance of 'osmium::io_error'").
    path = tmp_path / f"off_world{suffix}"
    writer = osmium.SimpleWriter(str(path))
    try:
        writer.add_node(osmium.osm.mutable.Node(id=1, location=(97.0, 33.0)))
        writer.add_node(osmium.osm.mutable.Node(id=2, location=(97.0, 95.0)))
        writer.add_way(osmium.osm.mutable.Way(id=3, nodes=[1, 2], tags={"highway": "footway"}))
    finally:
        writer.close()
    line = _one_line_error(_run(path, tmp_path), path)
    assert "node 2 has no valid position (lon=97, lat=95)" in line


def test_pbf_reader_survives_an_off_world_node_in_process(tmp_path: Path) -> None:
    from yushu_circle.errors import InputError

    path = tmp_path / "off.osm.pbf"
    writer = osmium.SimpleWriter(str(path))
    try:
        writer.add_node(osmium.osm.mutable.Node(id=2, location=(200.0, 33.0), tags={"a": "b"}))
    finally:
        writer.close()
    with pytest.raises(InputError, match="node 2 has no valid position"):
        read_pbf(path)


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ('<node lat="33" lon="97"><tag k="shop" v="x"/></node>', "a <node> has no id"),
        (
            '<node id="1" lat="33" lon="97"/><way id="2"><nd/><tag k="highway" v="footway"/></way>',
            "a way's <nd> has no id",
        ),
        ('<node id="1"><tag k="shop" v="x"/></node>', "node 1 has no valid position"),
        ('<node id="1" lat="NaN" lon="97"/>', "not a coordinate"),
    ],
)
def test_an_element_without_id_or_position_is_refused(tmp_path: Path, body: str, said: str) -> None:
    from yushu_circle.errors import InputError

    path = tmp_path / "odd.osm"
    path.write_text(f'<osm version="0.6">{body}</osm>', encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(said)):
        read_xml(path)


@pytest.mark.parametrize("kind", ["node", "way"])
def test_an_object_longer_than_two_csv_blocks_is_read(tmp_path: Path, kind: str) -> None:
    # 40,000 tags: ~4.5 MB of OPL on one line, more than two of pyarrow's 1 MiB CSV blocks
    # (one line may straddle one boundary); this used to be refused as "not valid OSM XML".
    tags = {f"k{i}": "v" * 100 for i in range(40_000)}
    tag_xml = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
    body = {
        "node": _NODE.format(tag_xml),
        "way": '<node id="1" lat="33" lon="97"/><node id="2" lat="33.001" lon="97"/>'
        f'<way id="3"><nd ref="1"/><nd ref="2"/>{tag_xml}</way>',
    }[kind]
    path = tmp_path / "many_tags.osm"
    path.write_text(f'<osm version="0.6">{body}</osm>', encoding="utf-8")
    got = read_xml(path)
    assert (got.point_tags if kind == "node" else got.way_tags) == [tags]
    if kind == "way":
        np.testing.assert_array_equal(got.way_lat, [33.0, 33.001])


def test_an_object_too_long_for_any_block_is_refused_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yushu_circle.errors import InputError
    from yushu_circle.osm import libosmium

    # The real limit (64 MiB) would need a file of hundreds of MB; the same path with 1 MiB.
    monkeypatch.setattr(libosmium, "MAX_OBJECT_BYTES", 2**20)
    tags = "".join(f'<tag k="k{i}" v="{"v" * 100}"/>' for i in range(40_000))  # ~4.5 MB
    path = tmp_path / "many_tags.osm"
    path.write_text(f'<osm version="0.6">{_NODE.format(tags)}</osm>', encoding="utf-8")
    with pytest.raises(InputError, match="too long to read") as refused:
        read_xml(path)
    assert str(path) in str(refused.value) and "over 1 MiB" in str(refused.value)


def test_an_overpass_answer_with_an_id_beyond_64_bits_is_one_line(
    cli: Callable[..., CliResult], osm_server: FakeOSMServer, tmp_path: Path
) -> None:
    answer = json.loads((DATA / "overpass_demo_town.json").read_text(encoding="utf-8"))
    way = next(e for e in answer["elements"] if e["type"] == "way")
    way["nodes"][0] = 2**64 + 5
    osm_server.overpass_replies = [Reply(200, answer)]
    result = cli("--quiet", "run", "--bbox", "97.005,32.996,97.015,33.004", "--out", tmp_path / "o")
    assert result.code == 2, result.err
    assert "Traceback" not in result.err and "OverflowError" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "whole number of 64 bits" in lines[0], result.err
    assert f"way {way['id']}" in lines[0]
