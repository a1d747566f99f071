"""The subcommands' work: each builds its Study from the options and runs its steps.

:mod:`yushu_circle.cli` parses the command line and reports errors; the handlers here import
what they use when they run, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from yushu_circle import options as opt
from yushu_circle.errors import InputError, clip_text, raise_if_stopped
from yushu_circle.osm.servers import Servers
from yushu_circle.source import Source

if TYPE_CHECKING:
    from yushu_circle.batch import StudySettings


class _Steps:
    """Prints each long step, when it starts and with its duration, to stderr."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        _notice["on"] = not quiet
        if not _notice["registered"]:
            from yushu_circle._core import on_first_compile

            on_first_compile(_compile_notice)
            _notice["registered"] = True

    def run(self, label: str, action: Callable[[], Any]) -> Any:
        if not self.quiet:
            print(f"… {label}", file=sys.stderr, flush=True)
        start = time.perf_counter()
        result = action()
        raise_if_stopped()  # a signal swallowed inside native code still stops the run here
        if not self.quiet:
            print(f"✓ {label} ({time.perf_counter() - start:.1f} s)", file=sys.stderr, flush=True)
        return result


_notice = {"on": False, "registered": False}  # one listener per process; quiet per run


def _compile_notice(module: str) -> None:
    if not _notice["on"]:
        return
    from tqdm.auto import tqdm

    from yushu_circle._core import COMPILE_SECONDS, compile_notice

    name = module.rsplit(".", 1)[-1]
    what = (
        "isochrone" if name.startswith("isochrone") else "siting" if name == "coverage" else "walk"
    )
    tqdm.write(compile_notice(what, COMPILE_SECONDS.get(name, 10)), file=sys.stderr)


def _numbers(text: str) -> list[float]:
    parts = text.replace(" ", "").replace(";", ",").split(",")
    try:
        return [float(p) for p in parts]
    except ValueError:
        return []


def _in_degrees(
    name: str, text: str, lon: Sequence[float], lat: Sequence[float], form: str, example: str
) -> None:
    """Refuse longitudes outside ±180 and latitudes outside ±90 (NaN and inf included)."""
    lon_ok = all(math.isfinite(v) and -180 <= v <= 180 for v in lon)
    lat_ok = all(math.isfinite(v) and -90 <= v <= 90 for v in lat)
    if lon_ok and lat_ok:
        return
    swapped = all(abs(v) <= 90 for v in lon) and all(abs(v) <= 180 for v in lat)
    raise InputError(
        f"{name} {clip_text(repr(text))} is outside longitude -180…180 / latitude -90…90"
        + ("; longitude and latitude look swapped" if swapped else ""),
        f"write {name} {form} in degrees, longitude first; west of Greenwich and south of "
        f"the equator are negative, e.g. {name} {example}",
    )


def _parse_bbox(name: str, text: str) -> list[float]:
    values = _numbers(text)
    if len(values) != 4:
        raise InputError(
            f"{name} {clip_text(repr(text))} is not four numbers",
            f"write {name} WEST,SOUTH,EAST,NORTH in degrees, e.g. 96.99,32.99,97.03,33.02",
        )
    _in_degrees(
        name,
        text,
        values[0::2],
        values[1::2],
        "WEST,SOUTH,EAST,NORTH",
        "-122.28,37.79,-122.26,37.81",
    )
    west, south, east, north = values
    if not (west < east and south < north):
        raise InputError(
            f"{name} {clip_text(repr(text))} is not a WEST,SOUTH,EAST,NORTH box "
            "(west must be less than east, south less than north)",
            f"write {name} WEST,SOUTH,EAST,NORTH, e.g. -122.28,37.79,-122.26,37.81",
        )
    return values


def parse_lonlat(name: str, text: str, datum: opt.Datum = opt.DEFAULT_DATUM) -> tuple[float, float]:
    """A ``LON,LAT`` option in degrees, converted from ``datum`` to WGS-84.

    Raises
    ------
    InputError
        Naming the option when the text is not two numbers or is outside the ranges.
    """
    values = _numbers(text)
    if len(values) != 2:
        raise InputError(
            f"{name} {clip_text(repr(text))} is not LON,LAT",
            f"write e.g. {name} 97.0100,33.0050 (or {name} -122.27,37.80)",
        )
    _in_degrees(name, text, values[:1], values[1:], "LON,LAT", "-122.27,37.80")
    if datum is opt.Datum.WGS84:
        return values[0], values[1]
    import numpy as np

    from yushu_circle.user_points import to_wgs84

    lon, lat = to_wgs84(np.array(values[:1]), np.array(values[1:]), datum.value)
    return float(lon[0]), float(lat[0])


def source_from_args(args: argparse.Namespace) -> Source:
    """The :class:`~yushu_circle.source.Source` an argument namespace describes."""
    source = _named_source(args).with_servers(servers_from_args(args))
    if getattr(args, "allow_large_area", False):
        return dataclasses.replace(source, allow_large_area=True)
    return source


def servers_from_args(args: argparse.Namespace) -> Servers:
    """The servers of ``--overpass-url``/``--nominatim-url`` (unset: osmnx's settings)."""
    return Servers(
        overpass_url=getattr(args, "overpass_url", None) or None,
        nominatim_url=getattr(args, "nominatim_url", None) or None,
    )


def _named_source(args: argparse.Namespace) -> Source:
    if args.clip_bbox is not None and args.osm_file is None:
        raise InputError("--clip-bbox clips an --osm-file", "add --osm-file, or use --bbox")
    if args.osm_file is not None:
        clip = _parse_bbox("--clip-bbox", args.clip_bbox) if args.clip_bbox else None
        return Source.osm_file(args.osm_file, clip_bbox=clip)
    if args.place is not None:
        return Source.place(args.place)
    if args.bbox is not None:
        return Source.bbox(_parse_bbox("--bbox", args.bbox))
    if args.polygon is not None:
        return Source.polygon_file(args.polygon)
    return Source.demo()


def settings_from_args(args: argparse.Namespace) -> StudySettings:
    """The study settings of the options (the servers travel on the source)."""
    from yushu_circle.batch import StudySettings

    if getattr(args, "population", None) and getattr(args, "population_total", None):
        raise InputError(
            "--population and --population-total both set the population",
            "pass the raster (--population FILE) or the known total (--population-total N)",
        )
    return StudySettings(
        catalog=args.catalog,
        residences=args.residences,
        facilities=tuple(args.facilities or ()),
        options=opt.StudyOptions(
            speed_kmh=args.speed,
            snap_limit_m=args.snap_limit,
            datum=opt.parse_choice(opt.Datum, "--datum", args.datum),
        ),
        population=getattr(args, "population", None),
        population_total=getattr(args, "population_total", None),
        age_shares=(
            opt.parse_age_shares(args.age_shares) if getattr(args, "age_shares", None) else None
        ),
    )


def study_from_args(args: argparse.Namespace, source: Source, progress: bool) -> Any:
    """Build the ``Study`` an argument namespace describes (shared by the subcommands)."""
    from yushu_circle.source import SourceKind
    from yushu_circle.study import Study

    if source.kind in (SourceKind.PLACE, SourceKind.BBOX, SourceKind.POLYGON) and not args.quiet:
        from yushu_circle.osm._osmnx import cache_folder

        print(
            f"  Overpass/Nominatim answers are cached in {cache_folder()} "
            "(reused by later runs; delete it to fetch afresh) 网络数据缓存",
            file=sys.stderr,
            flush=True,
        )
    return Study.from_source(source, **settings_from_args(args).study_kwargs(progress))


# --- subcommands ---------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    """``yushu-circle run``: the main job."""
    from yushu_circle.io import check_out_dir

    steps = _Steps(args.quiet)
    source = source_from_args(args)
    check_out_dir(args.out)  # fails before any work; the folder appears only when written
    iso = not args.no_isochrones
    warmup = _start_warmup(args.quiet) if iso else None
    try:
        return _run_steps(args, steps, source, warmup)
    finally:
        if warmup is not None:
            warmup.stop()


def _start_warmup(quiet: bool) -> Any:
    from yushu_circle import warmup

    started = warmup.start()
    if started is not None and not quiet:
        from yushu_circle._core import COMPILE_SECONDS, cache_dir

        print(
            f"  compiling isochrone kernels once, alongside (一次性编译，并行), "
            f"~{COMPILE_SECONDS['warmup']} s; later runs load them from {cache_dir()}",
            file=sys.stderr,
            flush=True,
        )
    return started


def _finish_warmup(warmup: Any, progress: bool) -> float:
    # The step's own line says the isochrone kernels compile now: no second notice.
    _notice["on"] = False
    try:
        return float(warmup.finish(progress))
    finally:
        _notice["on"] = progress


def _run_steps(args: argparse.Namespace, steps: _Steps, source: Source, warmup: Any) -> int:
    from yushu_circle.outputs import write_study

    study = steps.run(
        "loading OSM data 读取数据", lambda: study_from_args(args, source, not args.quiet)
    )
    if study.synthetic:
        print("NOTE: running on SYNTHETIC demo data (示例数据) — not survey data.", file=sys.stderr)
    net = steps.run("building the walk network 步行路网", lambda: study.network)
    steps.run(
        "finding residences and facilities 居住点与设施",
        lambda: (study.residences, study.facilities),
    )
    steps.run(
        "snapping onto streets 吸附到路网", lambda: (study.residence_snap, study.facility_snaps)
    )
    steps.run("walk minutes per category 各类设施步行时间", study.access)
    iso = not args.no_isochrones
    if warmup is not None:
        steps.run(
            "isochrone kernels (compiled alongside) 等时圈内核",
            lambda: _finish_warmup(warmup, progress=not args.quiet),
        )
    if iso:
        steps.run(
            "isochrones 等时圈",
            lambda: study.isochrones(args.iso_minutes, args.iso_buffer),
        )
    written = steps.run(
        "writing outputs 写出结果",
        lambda: write_study(
            study,
            args.out,
            args.gpkg,
            isochrones=iso,
            iso_minutes=args.iso_minutes,
            iso_buffer_m=args.iso_buffer,
        ),
    )
    meta = study.metadata()
    print(f"Data 数据: {meta['data']}")
    print(f"Residences 居住点: {meta['residences']:,}  ({meta['residence_source']})")
    print(
        f"Walk network 路网: {net.node_count:,} nodes, {net.edge_count:,} edges; "
        f"speed {net.speed_kmh:g} km/h"
    )
    for note in meta["notes"]:
        print(f"Note 注意: {note}")
    print(_format_summary(study.summary()))
    print(f"Wrote {len(written)} files to {args.out}/: " + ", ".join(p.name for p in written))
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    """``yushu-circle batch``: one study per area on Dask; 1 when any area failed."""
    from yushu_circle.batch import format_batch_report, read_areas, run_batch

    if getattr(args, "population_total", None) is not None:
        raise InputError(
            "--population-total is one area's population: in a batch every area would get it",
            "give each area its own total in a population_total column of the AREAS file",
        )

    servers = servers_from_args(args)
    areas = [
        dataclasses.replace(area, source=area.source.with_servers(servers))
        for area in read_areas(args.areas)
    ]
    result = run_batch(
        areas,
        args.out,
        settings=settings_from_args(args),
        scheduler=args.scheduler,
        workers=args.workers,
        retries=args.retries,
        force=args.force,
        gpkg=args.gpkg,
        progress=not args.quiet,
    )
    print(format_batch_report(result))
    return 1 if result.failed else 0


def cmd_map(args: argparse.Namespace) -> int:
    """``yushu-circle map OUT_DIR``: rebuild the maps from existing outputs."""
    from yushu_circle.io import rebuild_maps
    from yushu_circle.render.view import MapView
    from yushu_circle.results import StudyFile
    from yushu_circle.results.engine import FORMAT as ENGINE_FORMAT

    view = MapView(category=args.category, isochrone_budget_bytes=int(args.iso_budget_mb * 1e6))
    written = rebuild_maps(args.out, view, png=args.png)
    for path in written:
        if path.name == StudyFile.ENGINE:
            print(
                f"{path} 为旧格式, 已按当前格式重写 · was in an older format "
                f"(yushu-network/1): rewritten as {ENGINE_FORMAT}"
            )
        print(f"Wrote 写出 {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    """``yushu-circle plan``: the planning analyses of :mod:`yushu_circle.planning`."""
    from yushu_circle.io import check_out_dir
    from yushu_circle.outputs import write_plan
    from yushu_circle.planning.plan import PlanOptions

    steps = _Steps(args.quiet)
    source = source_from_args(args)
    whatif = _whatif_args(args)  # a bad scenario file fails before any work
    check_out_dir(args.out)
    options = PlanOptions(  # a bad --capacity file fails here, before any work
        standard=args.standard,
        measure=args.measure,
        profile=args.profile,
        dem=args.dem,
        areas=args.areas,
        site=args.site,
        k=args.k,
        candidates=args.candidates,
        method=args.method,
        added=whatif["added"],
        removed=tuple(whatif["removed"] or ()),
        capacity=args.capacity,
    )
    # No bars inside the planning step: it searches again per profile and what-if, and
    # one bar per search would print five; the step lines say what runs.
    study = steps.run("loading OSM data 读取数据", lambda: study_from_args(args, source, False))
    steps.run("walk minutes 步行时间", study.access)
    written, report = steps.run(
        "planning analyses 规划分析", lambda: write_plan(study, args.out, options)
    )
    print(report)
    print(f"Wrote {len(written)} files to {args.out}/: " + ", ".join(p.name for p in written))
    return 0


def _whatif_args(args: argparse.Namespace) -> dict[str, Any]:
    """``added``/``removed`` of ``plan``: from --add/--remove, or the map's --scenario CSV."""
    if args.scenario is None:
        return {"added": args.add, "removed": args.remove}
    from yushu_circle.errors import InputError
    from yushu_circle.render.network_payload import read_scenario

    if args.add is not None:
        raise InputError(
            "--add and --scenario both give added facilities",
            "put every added facility in the scenario CSV, or use --add alone",
        )
    scenario = read_scenario(args.scenario)
    return {
        "added": scenario.added if len(scenario.added) else None,
        "removed": [*args.remove, *scenario.removed],
    }


def cmd_check(args: argparse.Namespace) -> int:
    """``yushu-circle check --at LON,LAT``: minutes and routes from one location."""
    from yushu_circle.check import check_location
    from yushu_circle.io import json_writer, write_atomically

    datum = opt.parse_choice(opt.Datum, "--datum", args.datum)
    lon, lat = parse_lonlat("--at", args.at, datum)
    if datum is not opt.Datum.WGS84:
        print(f"--at {args.at} ({datum.value}) → WGS-84 {lon:.6f},{lat:.6f} (坐标已换算 converted)")
    study = study_from_args(args, source_from_args(args), not args.quiet)
    result = check_location(study, lon, lat, categories=args.category)
    print(result.to_text(), end="")
    if args.geojson is not None:
        target = args.geojson.absolute()  # a planted link is refused, never written through
        write_atomically(target.parent, {target.name: json_writer(result.to_geojson())})
        print(f"Wrote {args.geojson}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """``yushu-circle report OUT_DIR``: :func:`yushu_circle.io.write_report`."""
    from yushu_circle.io import write_report
    from yushu_circle.options import parse_date

    date = None if args.date is None else parse_date(args.date)
    for path in write_report(args.out_dir, date):
        print(f"Wrote 写出 {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


def _format_summary(summary: Any) -> str:
    table = summary[
        [
            "name_zh",
            "level_min",
            "facilities",
            "share_pop_5min",
            "share_pop_10min",
            "share_pop_15min",
            "median_min",
        ]
    ].copy()
    for column in ("share_pop_5min", "share_pop_10min", "share_pop_15min"):
        table[column] = (table[column] * 100).map(lambda v: f"{v:5.1f}%")
    table["median_min"] = [
        _median_text(median, count)
        for median, count in zip(table["median_min"], table["facilities"], strict=True)
    ]
    table.columns = ["类别", "level", "count", "pop≤5", "pop≤10", "pop≤15", "median min"]
    return table.to_string()


def _median_text(median: float, facilities: int) -> str:
    """A median walk, or why there is none: no facility mapped, or none within reach."""
    if math.isfinite(median):
        return f"{median:5.1f}"
    return "本区无 none mapped here" if facilities == 0 else "不可达 unreachable"
