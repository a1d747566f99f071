"""Bad input files and arguments through the command line: one clear line, exit 2, no
traceback, earlier outputs intact, no output folder made.

The cases are one table, :data:`CASES`: the arguments, the fragments the one error line must
hold and the exit status; a case that needs a file names the builder that writes it. Cases
that need more than a file follow in their own files: odd but legitimate inputs
(``test_input_edge_cases.py``), failing writers and full disks
(``test_outputs_survive_failures.py``), hostile strings (``test_hostile_inputs.py``) and
stopped runs (``test_interrupted_runs.py``).
"""

from __future__ import annotations

import bz2
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from conftest import JIEGU, snapshot, street_side_points, town_xml, write_town
from helpers import (
    GOOD_CATEGORY,
    MAX_LINE,
    SMALL_STANDARD,
    Cli,
    assert_one_line_error,
    residences_csv,
)
from shapely.geometry import Point


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
    assert text != GOOD_CATEGORY
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
            _catalog(GOOD_CATEGORY.replace(*change)),
        )
        for n, (change, fragments) in enumerate(_CATALOG_CHANGES)
    ],
    Case(
        "duplicate-catalog-key",
        (*RUN_TOWN, "--catalog", "{file}"),
        ("{file}", "'clinic' appears twice"),
        _catalog(GOOD_CATEGORY * 2),
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
        _standard(SMALL_STANDARD.replace("minutes = 5", 'minutes = "abc"')),
    ),
    Case(
        "standard-minutes-negative",
        (*PLAN_TOWN, "--standard", "{file}"),
        ("{file}", "minutes = -5", "1–120 minutes"),
        _standard(SMALL_STANDARD.replace("minutes = 5", "minutes = -5")),
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
            GOOD_CATEGORY.replace(
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
