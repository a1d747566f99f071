"""Bad inputs through the command line: one clear line, exit 2, no traceback, outputs intact.

The cases are one table, :data:`CASES`: the arguments, the fragments the one error line must
hold and the exit status; a case that needs a file names the builder that writes it.
Cases that need more than a file (a full disk, a killed process, a monkeypatched writer)
follow the table as their own tests.
"""

from __future__ import annotations

import bz2
import errno
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import JIEGU, CliResult, _offset, snapshot, town_xml, write_town
from shapely.geometry import Point
from test_overpass import assert_one_line_error
from test_standards import SMALL as _STANDARD
from validate import validate_output_folder

import yushu_circle
from yushu_circle import io as outputs
from yushu_circle.errors import MAX_FRAGMENT, InputError, OutputError

PACKAGE = Path(yushu_circle.__file__).parent
Cli = Callable[..., CliResult]
MAX_LINE = 5 * MAX_FRAGMENT + 200
"""No error line is longer than this, whatever the input echoed."""


def fails_cleanly(cli: Cli, out: Path, *args: str | Path, fragments: tuple[str, ...]) -> str:
    """Run a bad case into ``out`` (holding a good run) and check nothing there changed."""
    before = snapshot(out)
    result = cli("--quiet", "run", *args, "--out", out)
    line = assert_one_line_error(result, *fragments)
    assert snapshot(out) == before
    return line


def residences_csv(path: Path, rows: list[dict[str, object]], encoding: str = "utf-8") -> Path:
    pd.DataFrame(rows).to_csv(path, index=False, encoding=encoding)
    return path


def street_side_points(center: tuple[float, float] = JIEGU) -> list[tuple[float, float]]:
    """Points 8 m north of the town's southern street (which runs 250 m south of the centre)."""
    return [_offset(center, dx, -250.0 + 8.0) for dx in (-200, -120, -40, 40, 120, 200)]


# --- the table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ctx:
    """What a case's builder may use: a scratch folder, the synthetic town, the good outputs."""

    tmp: Path
    town: Path
    out: Path

    @property
    def osm_bytes(self) -> bytes:
        return self.town.read_bytes()


Make = Callable[[Ctx], Path]


@dataclass(frozen=True)
class Case:
    """One bad input: ``argv`` (``{town}``, ``{file}``, ``{out}``, ``{tmp}`` filled in), the
    fragments the error line holds, the exit status; ``usage``: argparse's own two-line
    usage error instead of the one-line message."""

    id: str
    argv: tuple[str, ...]
    fragments: tuple[str, ...]
    make: Make | None = None
    code: int = 2
    usage: bool = False


def _file(name: str, data: bytes | Callable[[Ctx], bytes]) -> Make:
    def make(ctx: Ctx) -> Path:
        path = ctx.tmp / name
        path.write_bytes(data(ctx) if callable(data) else data)
        return path

    return make


def _rows_csv(
    name: str, rows: Callable[[], list[dict[str, object]]], encoding: str = "utf-8"
) -> Make:
    return lambda ctx: residences_csv(ctx.tmp / name, rows(), encoding)


def _png(ctx: Ctx) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    png = ctx.tmp / "map.osm"
    fig = plt.figure(figsize=(1, 1))
    fig.savefig(png, format="png")
    plt.close(fig)
    assert png.read_bytes()[:4] == b"\x89PNG"
    return png


def _corrupt_xml(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + b"<<&\x00garbage>>" + data[middle:]


def _pbf(ctx: Ctx) -> Path:
    import osmium

    pbf = ctx.tmp / "town.osm.pbf"
    writer = osmium.SimpleWriter(str(pbf))
    for obj in osmium.FileProcessor(str(ctx.town)):
        writer.add(obj)
    writer.close()
    return pbf


def _truncated_pbf(keep: float) -> Make:
    def make(ctx: Ctx) -> Path:
        pbf = _pbf(ctx)
        data = pbf.read_bytes()
        pbf.write_bytes(data[: int(len(data) * keep)])
        return pbf

    return make


def _corrupt_pbf(ctx: Ctx) -> Path:
    pbf = _pbf(ctx)
    data = bytearray(pbf.read_bytes())
    rng = np.random.default_rng(7)
    for i in rng.integers(20, len(data), 40):
        data[i] = int(rng.integers(0, 256))
    pbf.write_bytes(bytes(data))
    return pbf


def _points(**change: object) -> Callable[[], list[dict[str, object]]]:
    def rows() -> list[dict[str, object]]:
        result: list[dict[str, object]] = [{"lon": x, "lat": y} for x, y in street_side_points()]
        for key, value in change.items():
            column, row = key.rsplit("_", 1)
            result[int(row)][column] = value
        return result

    return rows


def _population(value: str) -> Callable[[], list[dict[str, object]]]:
    def rows() -> list[dict[str, object]]:
        result: list[dict[str, object]] = [
            {"lon": x, "lat": y, "population": "12"} for x, y in street_side_points()
        ]
        result[3]["population"] = value
        return result

    return rows


def _duplicate_ids() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        {"id": f"h{i}", "lon": x, "lat": y} for i, (x, y) in enumerate(street_side_points())
    ]
    rows[4]["id"] = "h1"
    return rows


def _point_polygon_file(ctx: Ctx) -> Path:
    path = ctx.tmp / "area.geojson"
    gpd.GeoDataFrame(geometry=[Point(JIEGU)], crs="EPSG:4326").to_file(path, driver="GeoJSON")
    return path


def _osm_text(name: str, text: Callable[[], str]) -> Make:
    def make(ctx: Ctx) -> Path:
        path = ctx.tmp / name
        path.write_text(text(), encoding="utf-8")
        return path

    return make


def _ways_without_nodes() -> str:
    return re.sub(r'<node id="\d+" lat="[^"]+" lon="[^"]+"/>\n', "", town_xml())


def _town(name: str, **options: object) -> Make:
    return lambda ctx: write_town(ctx.tmp / name, **options)


def _huge_header_csv(ctx: Ctx) -> Path:
    # One 50 MB line: a header of 20,000 long column names, none of them coordinates.
    path = ctx.tmp / "one_line.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(f"c{i}_" + "x" * 2500 for i in range(20_000)))
        handle.write("\n")
    assert path.stat().st_size > 40_000_000
    return path


def _planted_link(ctx: Ctx) -> Path:
    elsewhere = ctx.tmp / "elsewhere.parquet"
    elsewhere.write_bytes(b"someone else's file")
    target = ctx.out / "residences.parquet"
    target.unlink()
    target.symlink_to(elsewhere)
    return target


_GOOD_CATEGORY = """
[[category]]
key = "clinic"
name_zh = "诊所"
name_en = "Clinic"
level = 15
match = [{ amenity = "clinic" }]
"""
_CATALOG_CHANGES: list[tuple[tuple[str, str], tuple[str, ...]]] = [
    (("level = 15", "level = 15\ncolour = 'red'"), ("unknown field 'colour'", "allowed")),
    (("level = 15", 'level = "15"'), ("(clinic)", "level '15'")),
    (("level = 15", "level = 0"), ("(clinic)", "level 0")),
    (("level = 15", "level = -5"), ("(clinic)", "level -5")),
    (("level = 15", "level = 7.5"), ("(clinic)", "level 7.5")),
    (("level = 15", "level = true"), ("(clinic)", "level True")),
    (('name_zh = "诊所"', "name_zh = 3"), ("(clinic)", "name_zh")),
    (('key = "clinic"', 'key = "Clinic Station"'), ("key 'Clinic Station'", "snake_case")),
    (('match = [{ amenity = "clinic" }]', 'match = "amenity=clinic"'), ("clinic) match",)),
    (('match = [{ amenity = "clinic" }]', "match = [{ amenity = 5 }]"), ("amenity", "5")),
    (('match = [{ amenity = "clinic" }]', 'match = [{ "name~" = "(" }]'), ("regular",)),
    (('match = [{ amenity = "clinic" }]', ""), ("missing field 'match'",)),
    (("[[category]]", "speed = 4\n[[category]]"), ("unknown top-level key 'speed'",)),
    (("[[category]]", "[[category"), ("not valid TOML",)),
    (("level = 15", "level = 15\nverified = 'yes'"), ("verified",)),
]


def _catalog(text: str) -> Make:
    assert text != _GOOD_CATEGORY
    return lambda ctx: _osm_text("catalog.toml", lambda: text)(ctx)


RUN_TOWN = ("run", "--osm-file", "{town}")

CASES: list[Case] = [
    # OSM files
    Case(
        "missing-osm-file",
        ("run", "--osm-file", "{tmp}/nowhere.osm"),
        ("{tmp}/nowhere.osm", "does not exist"),
    ),
    Case(
        "empty-osm-file",
        ("run", "--osm-file", "{file}"),
        ("{file}", "is empty"),
        _file("empty.osm", b""),
    ),
    Case("osm-file-is-a-folder", ("run", "--osm-file", "{tmp}"), ("{tmp}", "folder")),
    Case("png-named-osm", ("run", "--osm-file", "{file}"), ("{file}", "not", "OSM"), _png),
    Case(
        "unknown-osm-type",
        ("run", "--osm-file", "{file}"),
        ("{file}", ".osm.pbf"),
        _file("town.json", lambda c: c.osm_bytes),
    ),
    Case(
        "truncated-osm-xml",
        ("run", "--osm-file", "{file}"),
        ("{file}", "truncated or corrupt"),
        _file("cut.osm", lambda c: c.osm_bytes[: len(c.osm_bytes) // 2]),
    ),
    Case(
        "truncated-bz2",
        ("run", "--osm-file", "{file}"),
        ("{file}", "download it again"),
        _file(
            "cut.osm.bz2",
            lambda c: bz2.compress(c.osm_bytes)[: len(bz2.compress(c.osm_bytes)) // 2],
        ),
    ),
    Case(
        "bz2-not-compressed",
        ("run", "--osm-file", "{file}"),
        ("{file}",),
        _file("plain.osm.bz2", lambda c: c.osm_bytes),
    ),
    Case(
        "corrupt-osm-xml",
        ("run", "--osm-file", "{file}"),
        ("{file}", "not valid OSM XML", "line "),
        _file("bad.osm", lambda c: _corrupt_xml(c.osm_bytes)),
    ),
    *[
        Case(
            f"truncated-pbf-{keep}",
            ("run", "--osm-file", "{file}"),
            ("{file}", "PBF"),
            _truncated_pbf(keep),
        )
        for keep in (0.1, 0.5, 0.9)
    ],
    Case("corrupt-pbf", ("run", "--osm-file", "{file}"), ("{file}", "PBF"), _corrupt_pbf),
    # user point files
    Case(
        "missing-residences",
        (*RUN_TOWN, "--residences", "{tmp}/homes.csv"),
        ("{tmp}/homes.csv", "does not exist"),
    ),
    Case(
        "empty-residences",
        (*RUN_TOWN, "--residences", "{file}"),
        ("{file}", "empty"),
        _file("homes.csv", b""),
    ),
    Case(
        "csv-without-coordinates",
        (*RUN_TOWN, "--residences", "{file}"),
        ("{file}", "no longitude/latitude columns", "east", "lon"),
        _rows_csv("homes.csv", lambda: [{"name": "a", "east": 97.0, "north": 33.0}]),
    ),
    Case(
        "csv-text-coordinate",
        (*RUN_TOWN, "--residences", "{file}"),
        ("{file}", "line 4", "'三十三度'"),
        _rows_csv("homes.csv", _points(lat_2="三十三度")),
    ),
    Case(
        "swapped-lat-lon-out-of-range",
        (*RUN_TOWN, "--residences", "{file}"),
        ("{file}", "line 2", "swapped"),
        _rows_csv("homes.csv", lambda: [{"lon": y, "lat": x} for x, y in street_side_points()]),
    ),
    Case(
        "duplicated-residence-ids",
        (*RUN_TOWN, "--residences", "{file}"),
        ("{file}", "'h1'", "more than once"),
        _rows_csv("homes.csv", _duplicate_ids),
    ),
    *[
        Case(
            f"bad-population-{value or 'empty'}",
            (*RUN_TOWN, "--residences", "{file}"),
            ("{file}", "line 5", "population", repr(value)),
            _rows_csv("homes.csv", _population(value)),
        )
        for value in ("-5", "NaN", "many", "", "inf")
    ],
    Case(
        "one-line-50mb-csv",
        (*RUN_TOWN, "--residences", "{file}"),
        ("{file}", "no longitude/latitude columns", "…"),
        _huge_header_csv,
    ),
    Case(
        "missing-polygon-file",
        ("run", "--polygon", "{tmp}/area.geojson"),
        ("{tmp}/area.geojson", "does not exist"),
    ),
    Case(
        "polygon-file-without-polygon",
        ("run", "--polygon", "{file}"),
        ("{file}", "no polygon"),
        _point_polygon_file,
    ),
    Case(
        "facilities-without-category",
        (*RUN_TOWN, "--facilities", "{file}"),
        ("{file}", "no category column"),
        _rows_csv("poi.csv", lambda: [{"name": "x", "lon": JIEGU[0], "lat": JIEGU[1]}]),
    ),
    # configuration
    *[
        Case(
            f"catalog-{n}",
            (*RUN_TOWN, "--catalog", "{file}"),
            ("{file}", *fragments),
            _catalog(_GOOD_CATEGORY.replace(*change)),
        )
        for n, (change, fragments) in enumerate(_CATALOG_CHANGES)
    ],
    Case(
        "duplicate-catalog-key",
        (*RUN_TOWN, "--catalog", "{file}"),
        ("{file}", "'clinic' appears twice"),
        _catalog(_GOOD_CATEGORY * 2),
    ),
    # numeric options: one validator, every subcommand
    *[
        Case(f"speed-{v}", (*RUN_TOWN, "--speed", v), ("--speed", v, "at most 20 km/h"))
        for v in ("0", "-4", "25", "nan", "inf", "fast")
    ],
    *[
        Case(f"snap-limit-{v}", (*RUN_TOWN, "--snap-limit", v), ("--snap-limit", v, "5,000 m"))
        for v in ("0", "-10", "nan", "inf", "1e9")
    ],
    *[
        Case(f"iso-buffer-{v}", (*RUN_TOWN, "--iso-buffer", v), ("--iso-buffer", v, "500 m"))
        for v in ("1e9", "nan", "inf", "0", "-25")
    ],
    *[
        Case(f"iso-minutes-{v}", (*RUN_TOWN, "--iso-minutes", v), ("--iso-minutes",))
        for v in ("5,nan", "inf", "0,10", "-5", "500", ",", "five")
    ],
    *[
        Case(
            f"map-iso-budget-{v}",
            ("map", "{out}", "--iso-budget-mb", v),
            ("--iso-budget-mb", v, "1,000 MB"),
        )
        for v in ("nan", "inf", "-1", "1e9", "lots")
    ],
    *[
        Case(
            f"plan-k-{v}",
            ("plan", "--osm-file", "{town}", "--out", "{tmp}/plan", "--k", v),
            ("--k", v),
        )
        for v in ("0", "nan", "2.5", "1e9")
    ],
    Case(
        "plan-unknown-standard-leaves-no-folder",
        ("plan", "--osm-file", "{town}", "--out", "{tmp}/plan", "--standard", "{tmp}/no.toml"),
        ("{tmp}/no.toml", "neither a shipped standard nor a file"),
    ),
    Case(
        "plan-speed-nan",
        ("plan", "--osm-file", "{town}", "--out", "{tmp}/plan", "--speed", "nan"),
        ("--speed", "nan"),
    ),
    *[
        Case(
            f"batch-{flag}-{v}",
            ("batch", "{tmp}/areas.csv", "--out", "{tmp}/b", f"--{flag}", v),
            (f"--{flag}", v),
        )
        for flag, v in (
            ("workers", "0"),
            ("workers", "nan"),
            ("workers", "1.5"),
            ("retries", "-1"),
            ("retries", "inf"),
        )
    ],
    Case(
        "bbox-three-numbers",
        ("run", "--bbox", "97,33,97.1"),
        ("--bbox", "'97,33,97.1'", "WEST,SOUTH,EAST,NORTH"),
    ),
    Case("bbox-nan", ("run", "--bbox", "nan,33,97.1,33.1"), ("bbox", "WEST,SOUTH,EAST,NORTH")),
    Case(
        "clip-bbox-without-osm-file",
        ("run", "--clip-bbox", "97,33,97.1,33.1"),
        ("--clip-bbox", "--osm-file"),
    ),
    # the command line itself: argparse's usage error, with a suggestion
    Case(
        "misspelt-subcommand", ("rn",), ("invalid choice: 'rn'", "did you mean 'run'?"), usage=True
    ),
    Case(
        "misspelt-option",
        ("run", "--osmfile", "{town}"),
        ("--osmfile", "did you mean --osm-file?"),
        usage=True,
    ),
    Case(
        "misspelt-option-value",
        ("run", "--osm_file={town}"),
        ("did you mean --osm-file?",),
        usage=True,
    ),
    Case(
        "misspelt-choice",
        ("run", "--datum", "gcj2"),
        ("invalid choice: 'gcj2'", "did you mean 'gcj02'?"),
        usage=True,
    ),
    Case(
        "misspelt-plan-option",
        ("plan", "--profiel", "elderly"),
        ("did you mean --profile?",),
        usage=True,
    ),
    # areas
    Case(
        "no-walkable-streets",
        ("run", "--osm-file", "{file}"),
        ("no walkable streets", "--bbox"),
        _town("motorways.osm", streets=False),
    ),
    Case(
        "no-residences",
        ("run", "--osm-file", "{file}"),
        ("no residences", "--residences"),
        _town("empty_town.osm", residences=False),
    ),
    Case(
        "ways-without-nodes",
        ("run", "--osm-file", "{file}"),
        ("reference no nodes", "export"),
        _osm_text("ways_only.osm", _ways_without_nodes),
    ),
    # outputs
    Case(
        "output-path-is-a-file",
        (*RUN_TOWN, "--out", "{file}"),
        ("{file}", "is a file"),
        _file("out.txt", b"keep me"),
    ),
    Case(
        "symlink-planted-at-an-output",
        RUN_TOWN,
        ("residences.parquet", "symbolic link to", "elsewhere.parquet", "remove the link"),
        _planted_link,
    ),
]


# --- round two (issue 18): standards files, regexes, areas, silent losses ------------------


def _standard(text: str, encoding: str = "utf-8") -> Make:
    return _file("standard.toml", text.encode(encoding))


def _geojson_with_nan(ctx: Ctx) -> Path:
    features = [
        {
            "type": "Feature",
            "properties": {"population": 10},
            "geometry": {"type": "Point", "coordinates": [x, y]},
        }
        for x, y in street_side_points()
    ]
    features[2]["geometry"] = {"type": "Point", "coordinates": [float("nan"), float("nan")]}
    path = ctx.tmp / "res_nan.geojson"
    # NaN is not JSON, but it is what such files hold (json.dumps writes NaN by default).
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _two_layer_gpkg(ctx: Ctx) -> Path:
    path = ctx.tmp / "two.gpkg"
    for layer, shift in (("homes", 0.0), ("shops", 0.0005)):
        points = [Point(x + shift, y) for x, y in street_side_points()]
        gpd.GeoDataFrame({"population": [5] * len(points)}, geometry=points, crs=4326).to_file(
            path, layer=layer, driver="GPKG"
        )
    return path


PLAN_TOWN = ("plan", "--osm-file", "{town}", "--out", "{tmp}/plan")
ROUND_TWO: list[Case] = [
    Case(
        "standard-minutes-not-a-number",
        (*PLAN_TOWN, "--standard", "{file}"),
        ("{file}", "minutes = 'abc'", "whole number"),
        _standard(_STANDARD.replace("minutes = 5", 'minutes = "abc"')),
    ),
    Case(
        "standard-minutes-negative",
        (*PLAN_TOWN, "--standard", "{file}"),
        ("{file}", "minutes = -5", "1–120 minutes"),
        _standard(_STANDARD.replace("minutes = 5", "minutes = -5")),
    ),
    Case(
        "standard-file-neither-utf8-nor-gbk",
        (*PLAN_TOWN, "--standard", "{file}"),
        ("{file}", "neither UTF-8 nor GBK", "UTF-8"),
        _file("standard.toml", b'key = "\xff\xfe\xfa"\n'),
    ),
    Case(
        "catalog-pattern-needing-backtracking",
        (*RUN_TOWN, "--catalog", "{file}"),
        ("{file}", "back-references", "linear time with RE2"),
        _catalog(
            _GOOD_CATEGORY.replace(
                'match = [{ amenity = "clinic" }]', 'match = [{ "name~" = "(a)\\\\1" }]'
            )
        ),
    ),
    Case(
        "whole-world-bbox-before-any-query",
        ("run", "--bbox=-180,-90,180,90"),
        ("km²", "--allow-large-area", "smaller"),
    ),
    Case(
        "geojson-residence-with-nan-coordinates",
        (*RUN_TOWN, "--residences", "{file}"),
        ("{file}", "1 of 6 features", "feature 3"),
        _geojson_with_nan,
    ),
    Case(
        "geopackage-with-two-layers",
        (*RUN_TOWN, "--residences", "{file}"),
        ("{file}", "2 layers (homes, shops)", ":homes"),
        _two_layer_gpkg,
    ),
]
CASES += ROUND_TWO


def _fill(text: str, ctx: Ctx, file: Path | None) -> str:
    return (
        text.replace("{town}", str(ctx.town))
        .replace("{file}", str(file))
        .replace("{out}", str(ctx.out))
        .replace("{tmp}", str(ctx.tmp))
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_table(
    case: Case, cli: Cli, good_out: Path, town_osm: Path, tmp_path: Path
) -> None:
    scratch = tmp_path / "in"
    scratch.mkdir()
    ctx = Ctx(scratch, town_osm, good_out)
    file = case.make(ctx) if case.make else None
    argv = [_fill(a, ctx, file) for a in case.argv]
    if argv[0] in {"run", "plan"} and "--out" not in argv:
        argv += ["--out", str(good_out)]
    before = snapshot(good_out)
    folders_before = sorted(p.name for p in scratch.iterdir())
    result = cli("--quiet", *argv)  # argparse's usage errors are returned too, not raised
    fragments = [_fill(f, ctx, file) for f in case.fragments]
    lines = result.err.strip().splitlines()
    assert all(len(line) <= MAX_LINE for line in lines), [len(line) for line in lines]
    if case.usage:
        assert result.code == case.code, result.err
        assert "Traceback" not in result.err
        assert lines[-1].startswith("yushu-circle") and ": error: " in lines[-1], lines
        for fragment in fragments:
            assert fragment in lines[-1], (fragment, lines[-1])
    else:
        assert_one_line_error(result, *fragments, code=case.code)
    assert snapshot(good_out) == before  # earlier outputs byte-identical
    # A run that fails before writing creates no output folder.
    assert sorted(p.name for p in scratch.iterdir()) == folders_before


# --- cases that need more than a file ------------------------------------------------------


@pytest.fixture
def town_pbf(town_osm: Path, tmp_path: Path) -> Path:
    import osmium

    pbf = tmp_path / "town.osm.pbf"
    writer = osmium.SimpleWriter(str(pbf))
    for obj in osmium.FileProcessor(str(town_osm)):
        writer.add(obj)
    writer.close()
    return pbf


def test_good_pbf_gives_the_same_walk_minutes_as_the_xml(
    cli: Cli, town_pbf: Path, good_out: Path, tmp_path: Path
) -> None:
    out = tmp_path / "pbf"
    assert cli("--quiet", "run", "--osm-file", town_pbf, "--out", out).code == 0
    validate_output_folder(out)
    from_pbf = pd.read_parquet(out / "residences.parquet").set_index("residence_id")
    from_xml = pd.read_parquet(good_out / "residences.parquet").set_index("residence_id")
    walk = [c for c in from_xml.columns if c.startswith("walk_min_")]
    # Within 0.01 min (< 1 m): the PBF reader simplifies the grid's corners differently.
    np.testing.assert_allclose(
        from_pbf.loc[from_xml.index, walk].to_numpy(), from_xml[walk].to_numpy(), atol=0.01
    )


def test_swapped_lat_lon_outside_the_study_area(cli: Cli, tmp_path: Path) -> None:
    # A town at 40 E, 30 N: swapped columns give valid but far-away points (30 E, 40 N).
    center = (40.0, 30.0)
    osm = write_town(tmp_path / "town.osm", center=center)
    out = tmp_path / "out"
    assert cli("--quiet", "run", "--osm-file", osm, "--out", out).code == 0
    validate_output_folder(out)
    rows = [{"lon": y, "lat": x} for x, y in street_side_points(center)]
    path = residences_csv(tmp_path / "homes.csv", rows)
    fails_cleanly(
        cli,
        out,
        "--osm-file",
        osm,
        "--residences",
        path,
        fragments=(str(path), "outside the study area", "swapped", "--datum"),
    )


def test_projected_geojson_is_converted(cli: Cli, town_osm: Path, tmp_path: Path) -> None:
    points = street_side_points()
    wgs = gpd.GeoDataFrame(
        {"residence_id": [f"h{i}" for i in range(len(points))], "population": 10.0},
        geometry=[Point(p) for p in points],
        crs="EPSG:4326",
    )
    path = tmp_path / "homes.geojson"
    wgs.to_crs("EPSG:32647").to_file(path, driver="GeoJSON")
    assert "32647" in path.read_text()
    out = tmp_path / "out"
    result = cli("--quiet", "run", "--osm-file", town_osm, "--residences", path, "--out", out)
    assert result.code == 0, result.err
    validate_output_folder(out)
    got = gpd.read_parquet(out / "residences.parquet").set_index("residence_id")
    assert got.crs.to_epsg() == 4326
    for rid, point in zip(wgs["residence_id"], wgs.geometry, strict=True):
        assert got.loc[rid].geometry.distance(point) < 1e-7  # ~1 cm
    assert (got["snap_m"] < 10).all()  # 8 m from the street, as placed
    assert got["population"].sum() == 60


def test_gbk_csv_from_chinese_software(cli: Cli, town_osm: Path, tmp_path: Path) -> None:
    rows = [
        {"编号": f"楼{i}", "经度": x, "纬度": y, "人口": 10 * (i + 1)}
        for i, (x, y) in enumerate(street_side_points())
    ]
    path = residences_csv(tmp_path / "住宅.csv", rows, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    out = tmp_path / "out"
    result = cli("--quiet", "run", "--osm-file", town_osm, "--residences", path, "--out", out)
    assert result.code == 0, result.err
    validate_output_folder(out)
    got = pd.read_parquet(out / "residences.parquet")
    assert list(got["residence_id"]) == [f"楼{i}" for i in range(6)]
    assert list(got["population"]) == [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]


def gcj_rows() -> list[dict[str, object]]:
    import prcoords

    rows = []
    for i, (lon, lat) in enumerate(street_side_points()):
        gcj = prcoords.wgs_gcj(prcoords.Coords(lat, lon))
        rows.append({"id": f"h{i}", "lng": gcj.lon, "lat": gcj.lat})
    return rows


def test_gcj02_declared_as_wgs84_is_flagged(cli: Cli, town_osm: Path, tmp_path: Path) -> None:
    path = residences_csv(tmp_path / "amap.csv", gcj_rows())
    out = tmp_path / "out"
    result = cli("--quiet", "run", "--osm-file", town_osm, "--residences", path, "--out", out)
    assert result.code == 0, result.err
    validate_output_folder(out)
    got = pd.read_parquet(out / "residences.parquet")
    assert got["snap_m"].median() > 100  # GCJ-02 moves points ~240 m at Jiegu
    notes = json.loads((out / "summary.json").read_text(encoding="utf-8"))["meta"]["notes"]
    flagged = [n for n in notes if "GCJ-02" in n and "--datum" in n]
    assert len(flagged) == 1
    assert flagged[0] in result.out


def test_gcj02_declared_as_such_is_converted(cli: Cli, town_osm: Path, tmp_path: Path) -> None:
    path = residences_csv(tmp_path / "amap.csv", gcj_rows())
    out = tmp_path / "out"
    args = ("--osm-file", town_osm, "--residences", path, "--datum", "gcj02", "--out", out)
    result = cli("--quiet", "run", *args)
    assert result.code == 0, result.err
    validate_output_folder(out)
    got = pd.read_parquet(out / "residences.parquet")
    assert np.allclose(got["snap_m"], 8.0, atol=0.5)  # back where they were placed
    notes = json.loads((out / "summary.json").read_text(encoding="utf-8"))["meta"]["notes"]
    assert not [n for n in notes if "GCJ-02" in n]


def test_good_small_catalog_works(cli: Cli, town_osm: Path, tmp_path: Path) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text(_GOOD_CATEGORY, encoding="utf-8")
    out = tmp_path / "out"
    assert cli("--quiet", "run", "--osm-file", town_osm, "--catalog", path, "--out", out).code == 0
    validate_output_folder(out)
    columns = pd.read_parquet(out / "residences.parquet").columns
    assert [c for c in columns if c.startswith("walk_min_")] == ["walk_min_clinic"]


@pytest.mark.parametrize(
    ("thresholds", "fragment"),
    [((10, 5, 15), "increasing"), ((5, 5, 15), "increasing"), ((0, 10), "0"), ((-5,), "-5")],
)
def test_bad_summary_thresholds(town_osm: Path, thresholds: tuple[int, ...], fragment: str) -> None:
    from yushu_circle import Study

    study = Study.from_osm_file(town_osm)
    with pytest.raises(InputError) as info:
        study.summary(thresholds=thresholds)
    assert "thresholds" in info.value.message
    assert fragment in info.value.message
    assert "\n" not in info.value.message


def test_missing_category_is_reported_as_none(cli: Cli, good_out: Path) -> None:
    access = pd.read_parquet(good_out / "residences.parquet")
    summary = pd.read_csv(good_out / "summary.csv", encoding="utf-8-sig").set_index("category")
    meta = json.loads((good_out / "summary.json").read_text(encoding="utf-8"))["meta"]
    # The synthetic town has no hospital, but does have a clinic.
    assert access["walk_min_hospital"].isna().all()
    assert access["walk_min_clinic"].notna().all()
    assert summary.loc["hospital", "facilities"] == 0
    assert summary.loc["hospital", "share_pop_15min"] == 0
    missing = [n for n in meta["notes"] if n.startswith("no facility found for")]
    assert len(missing) == 1
    assert "hospital" in missing[0].split(":")[1]
    assert "clinic" not in missing[0].split(":")[1].split(", ")


def test_town_without_any_facility(cli: Cli, tmp_path: Path) -> None:
    osm = write_town(tmp_path / "bare.osm", facilities=False)
    out = tmp_path / "out"
    result = cli("--quiet", "run", "--osm-file", osm, "--out", out)
    assert result.code == 0, result.err
    validate_output_folder(out)
    access = pd.read_parquet(out / "residences.parquet")
    walk = [c for c in access.columns if c.startswith("walk_min_")]
    assert walk and access[walk].isna().all().all()
    assert (access["score"] == 0).all()


def test_everything_unreachable_on_islands(cli: Cli, tmp_path: Path) -> None:
    osm = write_town(tmp_path / "islands.osm", island=True)
    out = tmp_path / "out"
    result = cli("--quiet", "run", "--osm-file", osm, "--out", out)
    assert result.code == 0, result.err
    validate_output_folder(out)
    access = pd.read_parquet(out / "residences.parquet")
    walk = [c for c in access.columns if c.startswith("walk_min_")]
    assert access[walk].isna().all().all()
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig").set_index("category")
    assert summary.loc["clinic", "facilities"] == 1
    assert summary.loc["clinic", "share_pop_15min"] == 0
    notes = json.loads((out / "summary.json").read_text(encoding="utf-8"))["meta"]["notes"]
    assert any("disconnected" in n for n in notes)
    on_island = len(pd.read_parquet(out / "facilities.parquet"))  # every one is on the island
    assert any(f"{on_island} facilities are farther" in n for n in notes), notes


def test_street_with_a_missing_node_is_split_not_fatal(cli: Cli, tmp_path: Path) -> None:
    # Clipped extracts hold ways whose nodes lie outside the file: drop them, keep the rest.
    text = town_xml()
    first_way = text.index("<way")
    first_nd = text.index("<nd ref=", first_way)
    broken = text[:first_nd] + '<nd ref="987654321"/>\n    ' + text[first_nd:]
    osm = tmp_path / "clipped.osm"
    osm.write_text(broken, encoding="utf-8")
    out = tmp_path / "out"
    result = cli("--quiet", "run", "--osm-file", osm, "--out", out)
    assert result.code == 0, result.err
    validate_output_folder(out)
    assert pd.read_parquet(out / "residences.parquet")["walk_min_clinic"].notna().all()


def test_area_across_a_utm_zone_boundary(cli: Cli, good_out: Path, tmp_path: Path) -> None:
    # The same town (in metres) centred on 102 E, where UTM zones 47 and 48 meet.
    osm = write_town(tmp_path / "zone_edge.osm", center=(102.0, 33.0))
    out = tmp_path / "out"
    assert cli("--quiet", "run", "--osm-file", osm, "--out", out).code == 0
    validate_output_folder(out)
    edge = pd.read_parquet(out / "residences.parquet").sort_values("residence_id")
    home = pd.read_parquet(good_out / "residences.parquet").sort_values("residence_id")
    for column in ("walk_min_kindergarten", "walk_min_clinic", "walk_min_supermarket"):
        a, b = edge[column].to_numpy(), home[column].to_numpy()
        assert np.all(np.isfinite(a))
        np.testing.assert_allclose(a, b, rtol=5e-3)  # UTM scale error < 0.1 % at 3° off-centre


def _failing_writer(path: Path) -> None:
    path.write_bytes(b"half a file")
    raise OSError(errno.ENOSPC, "No space left on device")


def test_failing_writer_leaves_the_folder_unchanged(good_out: Path) -> None:
    before = snapshot(good_out)
    writers = {
        "summary.csv": lambda p: p.write_text("new", encoding="utf-8"),
        "map.html": _failing_writer,
    }
    with pytest.raises(OutputError) as info:
        outputs.write_atomically(good_out, writers)
    assert "No space left on device" in info.value.message
    assert "left intact" in info.value.message
    assert snapshot(good_out) == before


def test_crashing_writer_leaves_the_folder_unchanged(good_out: Path) -> None:
    def crash(path: Path) -> None:
        path.write_bytes(b"x")
        raise RuntimeError("boom")

    before = snapshot(good_out)
    with pytest.raises(RuntimeError):
        outputs.write_atomically(good_out, {"summary.csv": crash})
    assert snapshot(good_out) == before


def test_a_background_writer_failing_leaves_the_folder_unchanged(good_out: Path) -> None:
    before = snapshot(good_out)
    with pytest.raises(OutputError) as info, outputs.staged_writes(good_out) as stage:
        stage.start("network.parquet", _failing_writer)
        stage.write("summary.csv", lambda p: p.write_text("new", encoding="utf-8"))
    assert "No space left on device" in info.value.message
    assert snapshot(good_out) == before


def test_a_failure_while_a_file_is_written_in_the_background_does_not_wait_for_it(
    good_out: Path,
) -> None:
    before = snapshot(good_out)
    release = threading.Event()

    def stuck(path: Path) -> None:
        path.write_text("half", encoding="utf-8")
        release.wait(30)

    started = time.monotonic()
    try:
        with (
            pytest.raises(RuntimeError, match="made elsewhere"),
            outputs.staged_writes(good_out) as stage,
        ):
            stage.start("residences.parquet", stuck)
            stage.start("network.parquet", stuck)
            raise RuntimeError("made elsewhere")
        assert time.monotonic() - started < 10
        assert snapshot(good_out) == before
    finally:
        release.set()


def test_background_and_foreground_files_all_land_in_order(tmp_path: Path) -> None:
    with outputs.staged_writes(tmp_path / "out") as stage:
        stage.start("b.txt", lambda p: p.write_text("b", encoding="utf-8"))
        stage.write("a.txt", lambda p: p.write_text("a", encoding="utf-8"))
        stage.start("c.txt", lambda p: p.write_text("c", encoding="utf-8"))
    assert [p.name for p in stage.written] == ["b.txt", "a.txt", "c.txt"]
    assert [p.read_text(encoding="utf-8") for p in stage.written] == ["b", "a", "c"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.txt", "b.txt", "c.txt"]


def test_disk_full_during_run_is_reported(
    cli: Cli, good_out: Path, town_osm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outputs, "text_writer", lambda text: _failing_writer)
    fails_cleanly(
        cli, good_out, "--osm-file", town_osm, fragments=(str(good_out), "No space left on device")
    )


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs (needs mount rights; skipped where the sandbox has none)."""
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: " + made.stderr.decode(errors="replace").strip())
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_really_full_disk_keeps_earlier_outputs(
    cli: Cli, good_out: Path, town_osm: Path, small_tmpfs: Path
) -> None:
    out = small_tmpfs / "out"
    shutil.copytree(good_out, out)
    filler = small_tmpfs / "filler"
    try:
        with filler.open("wb", buffering=0) as handle:
            while True:
                handle.write(b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    before = snapshot(out)
    result = cli("--quiet", "run", "--osm-file", town_osm, "--out", out)
    assert_one_line_error(result, str(out), "No space left on device")
    assert snapshot(out) == before


@pytest.mark.parametrize(
    "where",
    [
        pytest.param("/sys/yushu_circle_out", id="sysfs-cannot-create"),
        pytest.param("/sys/kernel", id="sysfs-cannot-write"),
        pytest.param("file/sub", id="under-a-file"),
    ],
)
def test_unwritable_output_folder(cli: Cli, town_osm: Path, tmp_path: Path, where: str) -> None:
    # Tests run as root, where chmod does not stop writes: these places fail even for root.
    if where.startswith("/sys") and not Path("/sys/kernel").is_dir():
        pytest.skip("no sysfs")
    if where == "file/sub":
        (tmp_path / "file").write_text("x")
        out = tmp_path / where
    else:
        out = Path(where)
    result = cli("--quiet", "run", "--osm-file", town_osm, "--out", out)
    assert_one_line_error(result, str(out), "cannot be written", "--out")


def test_rerun_is_byte_identical(cli: Cli, good_out: Path, town_osm: Path) -> None:
    before = snapshot(good_out)
    assert cli("--quiet", "run", "--osm-file", town_osm, "--out", good_out).code == 0
    after = snapshot(good_out)
    assert sorted(after) == sorted(before)
    changed = [name for name in before if before[name] != after[name]]
    assert changed == []


_KILL_SCRIPT = """
import sys, time
from pathlib import Path
from yushu_circle import io as outputs
from yushu_circle.cli import main

def slow(text):
    def write(path):
        path.write_text(text[: len(text) // 2], encoding="utf-8")
        Path(sys.argv[1]).write_text("writing")
        time.sleep(60)
    return write

outputs.text_writer = slow
main(["--quiet", "run", "--osm-file", sys.argv[2], "--out", sys.argv[3]])
"""
_EXITING_KILL_SCRIPT = _KILL_SCRIPT.replace("\nmain([", "\nsys.exit(main([").replace(
    "])\n", "]))\n"
)
"""The same run, exiting with the command's status."""


@pytest.mark.slow
def test_run_killed_mid_write_keeps_earlier_outputs(
    good_out: Path, town_osm: Path, tmp_path: Path
) -> None:

    before = snapshot(good_out)
    marker = tmp_path / "writing"
    process = _run_until(marker, _KILL_SCRIPT, str(town_osm), str(good_out))
    try:
        assert marker.exists(), "the run never reached the writers"
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
    after = snapshot(good_out)
    visible = {k: v for k, v in after.items() if not k.startswith(".")}
    assert visible == before
    # The half-written file sits only in the run's hidden staging folder.
    assert any(
        k.startswith(".staging-") and k.endswith(("map.html", "map_network.json")) for k in after
    )


@pytest.mark.slow
def test_subprocess_error_has_no_traceback(tmp_path: Path) -> None:
    exe = shutil.which("yushu-circle")
    command = [exe] if exe else [sys.executable, "-m", "yushu_circle.cli"]
    missing = tmp_path / "missing.osm"
    done = subprocess.run(
        [*command, "--quiet", "run", "--osm-file", str(missing), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"yushu-circle: error: OSM file {missing} does not exist — fix: check the path passed "
        "to --osm-file"
    ]


# --- security -------------------------------------------------------------------------------


def test_hostile_names_are_escaped_in_outputs(cli: Cli, town_osm: Path, tmp_path: Path) -> None:
    hostile = '<img src=x onerror=alert("poi")>'
    rows = [
        {"name": hostile, "category": '=HYPERLINK("http://evil")', "lon": x, "lat": y}
        for x, y in street_side_points()[:2]
    ]
    poi = residences_csv(tmp_path / "poi.csv", rows)
    out = tmp_path / "out"
    result = cli("--quiet", "run", "--osm-file", town_osm, "--facilities", poi, "--out", out)
    assert result.code == 0, result.err
    validate_output_folder(out)
    page = (out / "map.html").read_text(encoding="utf-8")
    assert "<img src=x onerror=" not in page  # neither the OSM name nor the file's
    facilities = pd.read_parquet(out / "facilities.parquet")
    assert hostile in set(facilities["name"])  # kept as data, not altered
    # No cell of the CSV report starts a spreadsheet formula.
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig", dtype=str)
    cells = summary.fillna("").to_numpy().ravel()
    assert not [c for c in cells if c[:1] in ("=", "+", "@")]
    assert any("HYPERLINK" in c for c in cells)
    json.loads((out / "summary.json").read_text(encoding="utf-8"))


def test_user_strings_cannot_write_outside_the_output_folder(
    cli: Cli, town_osm: Path, tmp_path: Path
) -> None:
    rows = [
        {"name": "../../../escape", "category": "../../../../tmp/escape", "lon": x, "lat": y}
        for x, y in street_side_points()[:2]
    ]
    poi = residences_csv(tmp_path / "poi.csv", rows)
    out = tmp_path / "out"
    before = {p for p in tmp_path.parent.rglob("*")}
    assert (
        cli("--quiet", "run", "--osm-file", town_osm, "--facilities", poi, "--out", out).code == 0
    )
    validate_output_folder(out)
    created = {p for p in tmp_path.parent.rglob("*")} - before
    assert created and all(p == out or out in p.parents for p in created)


def test_writer_names_cannot_leave_the_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        outputs.write_atomically(tmp_path, {"../escape.txt": lambda p: p.write_text("x")})
    assert "'../escape.txt'" in info.value.message
    assert not (tmp_path.parent / "escape.txt").exists()


def test_package_never_evals_or_unpickles() -> None:
    pattern = re.compile(r"\b(eval|exec)\(|pickle\.loads?\(|yaml\.load\(|marshal\.loads?\(")
    offenders = []
    for source in PACKAGE.rglob("*.py"):
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line) and "literal_eval" not in line:
                offenders.append(f"{source.name}:{number}: {line.strip()}")
    assert offenders == []


def test_gcj_offset_helper_sanity() -> None:
    # The GCJ cases above rely on the offset at Jiegu being well over 100 m.
    import prcoords

    lon, lat = JIEGU
    gcj = prcoords.wgs_gcj(prcoords.Coords(lat, lon))
    metres = math.hypot(
        (gcj.lon - lon) * 111_320 * math.cos(math.radians(lat)), (gcj.lat - lat) * 111_320
    )
    assert 150 < metres < 700


def test_town_fixture_is_deterministic() -> None:
    assert town_xml() == town_xml()


def test_unexpected_bug_is_one_line_and_keeps_outputs(
    cli: Cli, good_out: Path, town_osm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yushu_circle import study

    def broken(self: object) -> None:
        raise RuntimeError("injected bug")

    monkeypatch.setattr(study.Study, "summary", broken)
    before = snapshot(good_out)
    result = cli("--quiet", "run", "--osm-file", town_osm, "--out", good_out)
    assert result.code == 70
    lines = result.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("yushu-circle: internal error: RuntimeError: injected bug — fix:")
    assert "--debug" in lines[0]
    assert snapshot(good_out) == before
    with pytest.raises(RuntimeError, match="injected bug"):
        cli("--quiet", "--debug", "run", "--osm-file", town_osm, "--out", good_out)


# --- signals: a stop swallowed or landing mid-compile still ends cleanly ------------------


def _run_until(marker: Path, script: str, *args: str, env: dict[str, str] | None = None) -> Any:
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(marker), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    for _ in range(2400):  # up to 4 minutes on a loaded machine
        if marker.exists() or process.poll() is not None:
            break
        time.sleep(0.1)
    return process


# SIGINT, SIGTERM and SIGHUP mid-write, in every command: tests/test_signals.py.


_SWALLOWED_SCRIPT = _EXITING_KILL_SCRIPT.replace(
    "outputs.text_writer = slow\n",
    """import os, signal
from yushu_circle.render import maps

class Finalized:
    def __del__(self):
        # The user's Ctrl-C lands while Python runs a finalizer, where an exception
        # cannot propagate: it is reported as unraisable and dropped.
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):
            pass

drawn = maps.coverage_map

def coverage_map(*args, **kwargs):
    while not Path(sys.argv[1]).exists():  # the background writer is inside its file
        time.sleep(0.05)
    Finalized()
    return drawn(*args, **kwargs)

maps.coverage_map = coverage_map
outputs.text_writer = slow
""",
)


@pytest.mark.slow
def test_ctrl_c_swallowed_in_a_finalizer_still_stops_the_writes(
    good_out: Path, town_osm: Path, tmp_path: Path
) -> None:
    # A Ctrl-C whose KeyboardInterrupt is dropped (inside a finalizer, or llvmlite's
    # callbacks) used to let the run wait out the file the background writer was in.
    before = snapshot(good_out)
    marker = tmp_path / "writing"
    done = subprocess.run(
        [sys.executable, "-c", _SWALLOWED_SCRIPT, str(marker), str(town_osm), str(good_out)],
        capture_output=True,
        text=True,
        timeout=45,
    )
    assert marker.exists(), done.stderr
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip().splitlines() == [
        "yushu-circle: interrupted; earlier outputs are intact"
    ]
    assert snapshot(good_out) == before


_HALF_BUILT_SCRIPT = """
import os, signal, sys
from yushu_circle.cli import main
from yushu_circle.render import maps

class HalfBuilt:
    # As llvmlite's PipelineTuningOptions: a Ctrl-C inside the constructor leaves no
    # handle, and the finalizer, run later by the garbage collector, fails on it.
    def __init__(self):
        self.cycle = self
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):
            pass
        self.handle = 1

    def __del__(self):
        self.handle

drawn = maps.coverage_map

def coverage_map(*args, **kwargs):
    HalfBuilt()
    return drawn(*args, **kwargs)

maps.coverage_map = coverage_map
arguments = ["--quiet", "run", "--no-isochrones", "--osm-file", sys.argv[1], "--out", sys.argv[2]]
sys.exit(main(arguments))
"""


@pytest.mark.slow
def test_ctrl_c_that_leaves_an_object_half_built_is_still_one_line(
    town_osm: Path, tmp_path: Path
) -> None:
    # The compile test failed about once in 30 runs on a loaded machine: after the one-line
    # message came "Exception ignored in ... AttributeError: 'PipelineTuningOptions' object
    # has no attribute '_as_parameter_'", the finalizer of an object the stop interrupted.
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", _HALF_BUILT_SCRIPT, str(town_osm), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip().splitlines() == [
        "yushu-circle: interrupted; earlier outputs are intact"
    ]
    assert not out.exists()


_COMPILE_SCRIPT = """
import sys
from pathlib import Path
import yushu_circle._core as core
from yushu_circle.cli import main

core.on_first_compile(lambda module: Path(sys.argv[1]).write_text(module))
sys.exit(main(["run", "--no-isochrones", "--osm-file", sys.argv[2], "--out", sys.argv[3]]))
"""


@pytest.mark.slow
def test_ctrl_c_while_kernels_compile_is_a_clean_interrupt(town_osm: Path, tmp_path: Path) -> None:
    # numba used to turn the KeyboardInterrupt into "SystemError: CPUDispatcher(...) returned
    # a result with an exception set" (an internal error, exit 70).
    env = {**os.environ, "YUSHU_CACHE_DIR": str(tmp_path / "cold")}
    env.pop("NUMBA_CACHE_DIR", None)
    for attempt in range(3):  # the signal must land while the run is still going
        marker = tmp_path / f"compiling{attempt}"
        out = tmp_path / f"out{attempt}"
        env["YUSHU_CACHE_DIR"] = str(tmp_path / f"cold{attempt}")
        process = _run_until(marker, _COMPILE_SCRIPT, str(town_osm), str(out), env=env)
        try:
            assert marker.exists(), "no kernel compiled"
            time.sleep(0.3)  # inside numba's compiler
            process.send_signal(signal.SIGINT)
            _, err = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
        if process.returncode != 0:
            break  # 0: the tiny town's run ended before the signal came; try again
    assert process.returncode == 130, err
    assert "compiling walk kernels once (一次性编译)" in err
    assert err.strip().splitlines()[-1] == "yushu-circle: interrupted; earlier outputs are intact"
    assert "Traceback" not in err and "SystemError" not in err
    assert not out.exists()
