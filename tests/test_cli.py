"""The ``yushu-circle run`` command on the demo, a real OSM file and user files."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import prcoords
import pytest
from validate import validate_output_folder

from yushu_circle import Catalog
from yushu_circle.cli import main

OAKLAND = Path(__file__).resolve().parents[2] / "shared" / "data" / "west-oakland.osm.bz2"
CONTRACT = [
    "map.html",
    "residences.parquet",
    "facilities.parquet",
    "summary.csv",
    "summary.json",
]


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    assert main(["--quiet", "run", "--out", str(out)]) == 0
    return out


def test_demo_run_writes_every_contract_file(demo_out: Path) -> None:
    validate_output_folder(demo_out)
    for name in CONTRACT:
        assert (demo_out / name).stat().st_size > 0, name
    residences = gpd.read_parquet(demo_out / "residences.parquet")
    assert residences.crs.to_epsg() == 4326
    keys = Catalog.default().keys
    expected = {"residence_id", "population", "snap_m", "score"} | {f"walk_min_{k}" for k in keys}
    assert expected <= set(residences.columns)
    assert residences["residence_id"].is_unique
    assert residences["score"].between(0, 1).all()
    facilities = gpd.read_parquet(demo_out / "facilities.parquet")
    assert {"facility_id", "category", "name", "source"} <= set(facilities.columns)
    assert set(keys) <= set(facilities["category"])  # the demo has every default category


def test_demo_outputs_say_synthetic(demo_out: Path) -> None:
    document = json.loads((demo_out / "summary.json").read_text(encoding="utf-8"))
    assert document["meta"]["synthetic"] is True
    assert "示例数据" in document["meta"]["data"]
    assert "synthetic" in (demo_out / "map.html").read_text(encoding="utf-8").lower()
    facilities = gpd.read_parquet(demo_out / "facilities.parquet")
    named = facilities[facilities["name"] != ""]
    assert named["name"].str.contains("示例|synthetic|Demo", regex=True).all()


def test_demo_summary_matches_the_residence_table(demo_out: Path) -> None:
    residences = gpd.read_parquet(demo_out / "residences.parquet")
    summary = pd.read_csv(demo_out / "summary.csv", encoding="utf-8-sig", index_col=0)
    minutes = residences["walk_min_clinic"].to_numpy()
    population = residences["population"].to_numpy()
    share = population[minutes <= 15].sum() / population.sum()
    assert summary.loc["clinic", "share_pop_15min"] == pytest.approx(share, abs=1e-4)
    assert summary.loc["clinic", "median_min"] == pytest.approx(np.nanmedian(minutes), abs=1e-3)


def test_demo_under_served_community_is_worse(demo_out: Path) -> None:
    # The generator leaves community F without a clinic; its residents walk farther.
    residences = gpd.read_parquet(demo_out / "residences.parquet")
    assert residences["walk_min_clinic"].max() > 15
    assert residences["walk_min_clinic"].min() < 5


REAL_DATA_ABSENT = (
    "needs ../shared/data/west-oakland.osm.bz2, a real OpenStreetMap extract (West Oakland, "
    "CA) kept next to the repository, not in it; CI always has it — to run these tests "
    "locally, put the file in ../shared/data/ (see README, Development)"
)


@pytest.mark.skipif(not OAKLAND.exists(), reason=REAL_DATA_ABSENT)
def test_osm_file_run_on_real_data(tmp_path: Path) -> None:
    assert main(["--quiet", "run", "--osm-file", str(OAKLAND), "--out", str(tmp_path)]) == 0
    validate_output_folder(tmp_path)
    document = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert document["meta"]["synthetic"] is False
    assert "west-oakland" in document["meta"]["data"]


def test_user_facilities_in_gcj02_land_where_they_really_are(tmp_path: Path) -> None:
    baseline = tmp_path / "base"
    assert main(["--quiet", "run", "--no-isochrones", "--out", str(baseline)]) == 0
    residences = gpd.read_parquet(baseline / "residences.parquet")
    home = residences.iloc[int(np.argmax(residences["walk_min_clinic"].to_numpy()))]
    # A planner's Amap export: the clinic at this residence's door, in GCJ-02 coordinates.
    gcj = prcoords.wgs_gcj(prcoords.Coords(home.geometry.y, home.geometry.x))
    csv = tmp_path / "inventory.csv"
    csv.write_text(
        f"名称,类别,经度,纬度\n新诊所 New clinic,clinic,{gcj.lon:.7f},{gcj.lat:.7f}\n"
        f"新时代文明实践站,新时代文明实践站,{gcj.lon:.7f},{gcj.lat:.7f}\n",
        encoding="utf-8",
    )
    out = tmp_path / "with"
    args = ["--quiet", "run", "--no-isochrones", "--facilities", str(csv), "--datum", "gcj02"]
    args += ["--out", str(out)]
    assert main(args) == 0
    validate_output_folder(out)
    after = gpd.read_parquet(out / "residences.parquet").set_index("residence_id")
    before_min = home["walk_min_clinic"]
    now = after.loc[home["residence_id"]]
    assert now["walk_min_clinic"] < before_min
    # At the door: only the residence's and the clinic's access legs remain.
    assert now["walk_min_clinic"] == pytest.approx(2 * home["snap_m"] / (4000 / 60), abs=0.05)
    facilities = gpd.read_parquet(out / "facilities.parquet")
    added = facilities[facilities["source"] == "inventory.csv"]
    assert len(added) == 2
    # The Chinese tier name is an alias of the catalog key.
    assert set(added["category"]) == {"clinic", "civilization_station"}
    metres = added.to_crs(32647).distance(
        gpd.GeoSeries([home.geometry], crs=4326).to_crs(32647).iloc[0]
    )
    assert (metres < 1.0).all()
    assert "walk_min_civilization_station" in after.columns


def test_clipped_study_keeps_services_just_outside_its_edge() -> None:
    from yushu_circle import Study
    from yushu_circle._resources import data_path
    from yushu_circle.osm.sources import DEMO_OSM

    full = Study.demo().access().set_index("residence_id")
    west, south, east, north = full.total_bounds
    half = [west, south, (west + east) / 2, north]  # the western half of the town
    clipped = Study.from_osm_file(data_path(DEMO_OSM), bbox=half).access()
    clipped = clipped.set_index("residence_id")
    assert 0 < len(clipped) < len(full)
    assert (clipped.geometry.x <= half[2]).all()
    # A walk of at most 15 minutes (1 km) from a residence inside the area never leaves the
    # 1.5 km margin, so it must be found exactly as in the whole town.
    columns = [c for c in full.columns if c.startswith("walk_min_")]
    both = full.loc[clipped.index, columns]
    within = both.to_numpy() <= 15
    np.testing.assert_allclose(clipped[columns].to_numpy()[within], both.to_numpy()[within])


# --- a new user's first hour: the command line itself -----------------------------------------


def test_global_options_work_before_or_after_the_subcommand(
    town_osm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for n, argv in enumerate((["--quiet", "run"], ["run", "--quiet"]), start=1):
        out = tmp_path / f"o{n}"
        args = [*argv, "--no-isochrones", "--osm-file", str(town_osm), "--out", str(out)]
        capsys.readouterr()
        assert main(args) == 0
        assert capsys.readouterr().err == ""  # quiet: no progress at all
        validate_output_folder(out)


def test_progress_prints_each_step_once(
    town_osm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    argv = ["run", "--no-isochrones", "--osm-file", str(town_osm), "--out", str(tmp_path / "o")]
    assert main(argv) == 0
    err = capsys.readouterr().err
    started = [line for line in err.splitlines() if line.startswith("… ")]
    assert len(started) == len(set(started)) >= 5  # one line per step, none twice
    assert sum("finding residences" in line for line in started) == 1
    bars = {
        line.split(":")[0].strip() for line in err.replace("\r", "\n").splitlines() if "%|" in line
    }
    assert bars == {"walk minutes per category"}
    validate_output_folder(tmp_path / "o")


def test_plan_prints_no_bar_per_profile(
    town_osm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    out = tmp_path / "plan"
    assert main(["plan", "--osm-file", str(town_osm), "--out", str(out)]) == 0
    err = capsys.readouterr().err.replace("\r", "\n")
    assert err.count("walk minutes per category") <= 1  # was five bars, one per search
    assert sum(line.startswith("… walk minutes") for line in err.splitlines()) == 1


@pytest.mark.parametrize("command", ["run", "batch", "map", "plan"])
def test_every_subcommand_help_has_description_defaults_and_examples(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "examples:" in text and f"yushu-circle {command}" in text
    assert "(default: " in text
    if command in {"run", "plan"}:
        assert "default yushu_circle_out/" in text
        assert "SYNTHETIC demo" in text  # no source means the synthetic demo
        assert "(default: 4.0)" in text and "(default: 300.0)" in text
    if command == "map":
        assert "(default: 2.4)" in text


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    import yushu_circle

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"yushu-circle {yushu_circle.__version__}"


def test_importing_the_package_and_the_cli_is_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, yushu_circle, yushu_circle.cli; "
        "heavy = [m for m in ('osmnx', 'geopandas', 'numba', 'pandas', 'matplotlib') "
        "if m in sys.modules]; print(heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_subpackages_are_attributes_of_the_package() -> None:
    import subprocess
    import sys

    code = (
        "import yushu_circle as yc; "
        "print(yc.planning.__name__, yc.plots.__name__, yc.render.__name__, "
        "yc.Study.__name__, yc.Source.__name__, 'planning' in dir(yc))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == [
        "yushu_circle.planning",
        "yushu_circle.render.plots",
        "yushu_circle.render",
        "Study",
        "Source",
        "True",
    ]
    import yushu_circle

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = yushu_circle.nope


def test_first_compile_is_announced_once_per_kernel_module(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import numba

    from yushu_circle import commands

    commands._Steps(quiet=False)  # what every subcommand with steps does
    import yushu_circle._core as core

    calls: list[str] = []
    core.on_first_compile(calls.append)

    def probe(x: int) -> int:
        return x + 1

    def probe_iso(x: int) -> int:
        return x + 2

    probe.__module__ = "yushu_circle._core.probe"  # kernels of ours, compiled now
    probe_iso.__module__ = "yushu_circle._core.isochrone_probe"
    assert numba.njit(probe)(1) == 2
    assert numba.njit(lambda x: x * 2)(3) == 6  # not ours: no notice
    assert numba.njit(probe_iso)(1) == 3
    assert numba.njit(lambda x: x + 3)(1) == 4
    assert calls == ["yushu_circle._core.probe", "yushu_circle._core.isochrone_probe"]
    err = capsys.readouterr().err
    assert "compiling walk kernels once (一次性编译), ~10 s" in err
    assert "compiling isochrone kernels once (一次性编译)" in err


def test_source_values_round_trip_and_describe_themselves(tmp_path: Path) -> None:
    import pickle

    from shapely.geometry import box

    from yushu_circle.source import Source, SourceKind

    sources = [
        Source.demo(),
        Source.osm_file(tmp_path / "t.osm", clip_bbox=(97, 33, 97.1, 33.1)),
        Source.place("玉树市"),
        Source.bbox([97, 33, 97.1, 33.1]),
        Source.polygon(box(97, 33, 97.1, 33.1)),
    ]
    assert [s.kind for s in sources] == list(SourceKind)
    for source in sources:
        assert pickle.loads(pickle.dumps(source)) == source
        assert hash(source) == hash(pickle.loads(pickle.dumps(source)))
    assert sources[0].synthetic and "示例数据" in sources[0].description
    assert sources[1].description == "osm_file t.osm clipped to bbox"
    assert sources[3].description == "bbox 97,33,97.1,33.1"
    from yushu_circle import Study

    study = Study.from_source(Source.demo())
    assert study.synthetic


def test_options_have_one_validator_and_typed_choices() -> None:
    from yushu_circle import options as opt
    from yushu_circle.errors import InputError

    assert opt.SPEED.check("4.5") == 4.5
    for value in ("nan", "inf", "-inf", "0", "21", "", "x" * 10_000):
        with pytest.raises(InputError) as info:
            opt.SPEED.check(value)
        assert info.value.message.startswith("--speed ")
        assert len(info.value.message) < 600
    assert opt.parse_choice(opt.Datum, "--datum", "GCJ02") is opt.Datum.GCJ02
    with pytest.raises(InputError, match="--datum 'utm' is not one of wgs84, gcj02, bd09"):
        opt.parse_choice(opt.Datum, "--datum", "utm")
    from yushu_circle.network import DEFAULT_SPEED_KMH
    from yushu_circle.study import StudyOptions

    assert StudyOptions().speed_kmh == DEFAULT_SPEED_KMH == opt.DEFAULT_SPEED_KMH


def test_options_live_once_typed_checked_and_shared_from_the_cli_to_the_study() -> None:
    import dataclasses
    import re

    from yushu_circle import options as opt
    from yushu_circle.batch_areas import StudySettings
    from yushu_circle.errors import InputError
    from yushu_circle.planning.plan import PlanOptions

    # StudyOptions: its datum a Datum, its numbers checked by the one range of each option.
    options = opt.StudyOptions(speed_kmh="3.5", datum="GCJ02")  # type: ignore[arg-type]
    assert options.datum is opt.Datum.GCJ02 and options.speed_kmh == 3.5
    assert opt.StudyOptions().datum is opt.DEFAULT_DATUM
    for bad, text in (
        ({"speed_kmh": 25.0}, opt.SPEED.text),
        ({"snap_limit_m": 0}, opt.SNAP_LIMIT.text),
    ):
        with pytest.raises(InputError) as info:
            opt.StudyOptions(**bad)  # type: ignore[arg-type]
        assert text in info.value.fix
    with pytest.raises(InputError, match="datum 'utm' is not one of"):
        opt.StudyOptions(datum="utm")  # type: ignore[arg-type]
    with pytest.raises(InputError) as info:
        opt.check_speed(20.5, "elderly speed")
    assert info.value.message.startswith("elderly speed ") and opt.SPEED.text in info.value.fix
    # One settings value from the command line and a batch to the study: its options are
    # the study's own StudyOptions, not copied field by field.
    settings = StudySettings(options=options)
    assert settings.study_kwargs()["options"] is options
    names = {f.name for f in dataclasses.fields(StudySettings)}
    assert not names & {f.name for f in dataclasses.fields(opt.StudyOptions)}
    # Planning's choices are options' StrEnums, their defaults options' defaults.
    plan = PlanOptions(measure="metres", method="MILP", profile="elderly")  # type: ignore[arg-type]
    assert (plan.measure, plan.method, plan.profile) == (
        opt.Measure.METRES,
        opt.SitingMethod.MILP,
        opt.ProfileName.ELDERLY,
    )
    default = PlanOptions()
    assert (default.standard, default.measure, default.profile, default.k, default.method) == (
        opt.DEFAULT_STANDARD,
        opt.DEFAULT_MEASURE,
        opt.DEFAULT_PROFILE,
        opt.DEFAULT_SITES,
        opt.DEFAULT_METHOD,
    )
    with pytest.raises(InputError, match="measure 'km' is not one of minutes, metres"):
        PlanOptions(measure="km")  # type: ignore[arg-type]
    # No module spells the choices again as a Literal beside the StrEnums.
    package = Path(opt.__file__).parent
    spelled = re.compile(r"Literal\[\s*\"(minutes|metres|greedy|milp|wgs84|adult)\"")
    again = [p.name for p in package.rglob("*.py") if spelled.search(p.read_text("utf-8"))]
    assert again == []


def test_long_input_fragments_are_cut_in_messages() -> None:
    from yushu_circle.errors import MAX_FRAGMENT, InputError, clip_text

    assert clip_text("a" * 1000) == "a" * (MAX_FRAGMENT - 1) + "…"
    error = InputError("columns: " + ", ".join(f"col{i}" for i in range(100_000)), "x" * 5000)
    assert len(error.message) < 2000 and error.message.count("…") == 2
