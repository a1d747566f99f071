"""The ``yushu-circle`` command line."""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from yushu_circle.errors import YushuError

DEFAULT_OUT = "yushu_circle_out"


class _Steps:
    """Prints each long step with its duration to stderr."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet

    def run(self, label: str, action: Callable[[], Any]) -> Any:
        if not self.quiet:
            print(f"… {label}", file=sys.stderr, flush=True)
        start = time.perf_counter()
        result = action()
        if not self.quiet:
            print(f"✓ {label} ({time.perf_counter() - start:.1f} s)", file=sys.stderr, flush=True)
        return result


def _bbox(text: str) -> list[float]:
    parts = text.replace(" ", "").split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"bbox {text!r} is not four numbers: write WEST,SOUTH,EAST,NORTH"
        ) from None
    if len(values) != 4:
        raise argparse.ArgumentTypeError(f"bbox {text!r} needs 4 numbers: WEST,SOUTH,EAST,NORTH")
    return values


def _minutes(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(p) for p in text.replace(" ", "").split(",") if p)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"minutes {text!r} are not numbers: write e.g. 5,10,15"
        ) from None
    if not values or any(not v > 0 for v in values):
        raise argparse.ArgumentTypeError(f"minutes {text!r} must be positive, e.g. 5,10,15")
    return values


def _add_source_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--osm-file", type=Path, help=".osm/.osm.bz2/.osm.pbf/.graphml file")
    source.add_argument("--place", help='place name for Overpass, e.g. "玉树市, 青海省, 中国"')
    source.add_argument("--bbox", type=_bbox, help="WEST,SOUTH,EAST,NORTH in degrees")
    source.add_argument("--polygon", type=Path, help="GeoJSON/GeoPackage of the study area")
    parser.add_argument(
        "--clip-bbox", type=_bbox, help="clip an --osm-file extract to WEST,SOUTH,EAST,NORTH"
    )
    _add_study_options(parser)


def _add_study_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--residences", type=Path, help="residences file (CSV lon/lat, GeoJSON…)")
    parser.add_argument(
        "--facilities", type=Path, action="append", help="extra facilities file (repeatable)"
    )
    parser.add_argument(
        "--datum",
        default="wgs84",
        choices=["wgs84", "gcj02", "bd09"],
        help="datum of --residences/--facilities coordinates (Amap: gcj02, Baidu: bd09)",
    )
    parser.add_argument("--catalog", type=Path, help="facility catalog TOML (default: shipped)")
    parser.add_argument("--speed", type=float, default=4.0, help="walking speed, km/h (4.0)")
    parser.add_argument(
        "--snap-limit", type=float, default=300.0, help="max metres from a street (300)"
    )
    parser.add_argument("--overpass-url", help="Overpass API base URL")
    parser.add_argument("--nominatim-url", help="Nominatim base URL for --place")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="yushu-circle",
        description="15-minute living circle (15分钟生活圈) walk-access analysis. "
        "With no source, runs on the embedded synthetic demo of Jiegu (示例数据).",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="compute walk minutes and write the outputs")
    _add_source_arguments(run)
    run.add_argument("--out", type=Path, default=Path(DEFAULT_OUT), help="output folder")
    run.add_argument("--gpkg", action="store_true", help="also write GeoPackage files")
    run.add_argument(
        "--no-isochrones", action="store_true", help="skip isochrones.parquet (等时圈)"
    )
    run.add_argument(
        "--iso-minutes",
        type=_minutes,
        default=(5.0, 10.0, 15.0),
        help="isochrone thresholds in minutes (5,10,15)",
    )
    run.add_argument(
        "--iso-buffer", type=float, default=25.0, help="isochrone buffer half-width, m (25)"
    )
    run.add_argument(
        "--population",
        type=Path,
        help="population GeoTIFF (WorldPop/GHS-POP, any CRS) spread over the residences 人口栅格",
    )
    run.add_argument(
        "--allow-large-area",
        action="store_true",
        help="query Overpass for an area over the size limit (1,000 km² with margin)",
    )
    run.set_defaults(handler=cmd_run)
    batch = commands.add_parser(
        "batch",
        help="one study per area of an AREAS file, in parallel on Dask 多区域批量",
        description="Run one study per area listed in AREAS (CSV or GeoPackage: area_id and "
        "osm_file, place, bbox or polygon) on Dask distributed. Areas already done are "
        "skipped; exit status 1 when any area failed (the others are still written).",
    )
    batch.add_argument("areas", type=Path, metavar="AREAS", help="CSV or GeoPackage of areas")
    batch.add_argument("--out", type=Path, required=True, help="output folder (one per area)")
    batch.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786")
    batch.add_argument("--workers", type=int, default=2, help="local worker processes (2)")
    batch.add_argument(
        "--retries", type=int, default=2, help="retries after an unexpected error (2)"
    )
    batch.add_argument("--force", action="store_true", help="recompute areas already done")
    batch.add_argument("--gpkg", action="store_true", help="also write GeoPackage files")
    _add_study_options(batch)
    batch.set_defaults(handler=cmd_batch)
    maps = commands.add_parser(
        "map",
        help="rebuild map.html (and PNG maps) from an output folder 重新生成地图",
        description="Rewrite map.html from the files of an earlier 'run' (residences, "
        "facilities, network, summary.json; isochrones.parquet when present) without "
        "recomputing. Set TIANDITU_KEY to offer Tianditu (天地图) tiles.",
    )
    maps.add_argument("out", type=Path, metavar="OUT_DIR", help="folder written by 'run'")
    maps.add_argument("--png", action="store_true", help="also write png/coverage_<cat>.png")
    maps.add_argument("--category", help="category the map opens on, e.g. clinic")
    maps.add_argument(
        "--iso-budget-mb",
        type=float,
        default=2.5,
        help="cap on the isochrones embedded in map.html, MB (2.5; 0 embeds none)",
    )
    maps.set_defaults(handler=cmd_map)
    plan = commands.add_parser(
        "plan",
        help="standard compliance, profiles, gaps, siting, what-if 规划分析",
        description="GB 50180 / TD/T 1062 compliance (达标率) per community, coverage per walker "
        "profile (optionally with slope from a DEM), data completeness, unserved clusters, "
        "new-facility siting and what-if scenarios.",
    )
    _add_source_arguments(plan)
    _add_plan_arguments(plan)
    plan.set_defaults(handler=cmd_plan)
    return parser


def _add_plan_arguments(plan: argparse.ArgumentParser) -> None:
    plan.add_argument("--out", type=Path, default=Path(DEFAULT_OUT), help="output folder")
    plan.add_argument(
        "--standard", default="gb50180", help="gb50180 (default), tdt1062 or a standards TOML"
    )
    plan.add_argument(
        "--measure", default="minutes", choices=["minutes", "metres"], help="level threshold"
    )
    plan.add_argument(
        "--profile",
        default="adult",
        choices=["adult", "elderly", "child", "wheelchair"],
        help="walker for compliance, gaps and siting (adult)",
    )
    plan.add_argument("--dem", type=Path, help="elevation GeoTIFF: slope-aware times (Tobler)")
    plan.add_argument("--areas", type=Path, help="社区/街道 boundary polygons (default: OSM's)")
    plan.add_argument("--site", metavar="CATEGORY", help="site new facilities of this category")
    plan.add_argument("--k", type=int, default=3, help="number of new sites (3)")
    plan.add_argument("--candidates", type=Path, help="candidate sites file (default: nodes)")
    plan.add_argument("--method", default="greedy", choices=["greedy", "milp"], help="siting")
    plan.add_argument("--add", type=Path, help="what-if: facilities file to add")
    plan.add_argument(
        "--remove", action="append", default=[], metavar="FACILITY_ID", help="what-if: remove"
    )


def study_kwargs_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The ``Study`` keyword arguments of the study options (and set osmnx's server URLs)."""
    import osmnx as ox

    from yushu_circle.study import StudyOptions

    if getattr(args, "overpass_url", None):
        ox.settings.overpass_url = args.overpass_url
    if getattr(args, "nominatim_url", None):
        ox.settings.nominatim_url = args.nominatim_url
    options = StudyOptions(speed_kmh=args.speed, snap_limit_m=args.snap_limit, datum=args.datum)
    if getattr(args, "allow_large_area", False):
        import os

        from yushu_circle.osm.overpass import ALLOW_LARGE_AREA_ENV

        os.environ[ALLOW_LARGE_AREA_ENV] = "1"
    extra = {"population": args.population} if getattr(args, "population", None) else {}
    return {
        **extra,
        "catalog": args.catalog,
        "residences": args.residences,
        "facilities": args.facilities,
        "options": options,
        "progress": not args.quiet,
    }


def study_from_args(args: argparse.Namespace) -> Any:
    """Build the ``Study`` an argument namespace describes (shared by the subcommands)."""
    from yushu_circle.osm.sources import bbox_polygon, read_polygon_file
    from yushu_circle.study import Study

    common = study_kwargs_from_args(args)
    if args.osm_file is not None:
        clip = bbox_polygon(args.clip_bbox) if args.clip_bbox else None
        return Study.from_osm_file(args.osm_file, polygon=clip, **common)
    if args.place is not None:
        return Study.from_place(args.place, **common)
    if args.bbox is not None:
        return Study.from_bbox(args.bbox, **common)
    if args.polygon is not None:
        return Study.from_polygon(read_polygon_file(args.polygon), **common)
    return Study.demo(**common)


def cmd_run(args: argparse.Namespace) -> int:
    """``yushu-circle run``: the main job."""
    from yushu_circle.io import prepare_out_dir

    steps = _Steps(args.quiet)
    created = not args.out.exists()
    prepare_out_dir(args.out)
    try:
        study = steps.run("loading OSM data 读取数据", lambda: study_from_args(args))
        return _run_study(study, args, steps)
    except BaseException:
        if created and args.out.is_dir() and not any(args.out.iterdir()):
            args.out.rmdir()  # a failed first run leaves no empty output folder behind
        raise


def _run_study(study: Any, args: argparse.Namespace, steps: _Steps) -> int:
    from yushu_circle.study import write_study

    if study.synthetic:
        print("NOTE: running on SYNTHETIC demo data (示例数据) — not survey data.", file=sys.stderr)
    net = steps.run("building the walk network 步行路网", lambda: study.network)
    steps.run("finding residences and facilities 居住点与设施", lambda: study.facilities)
    steps.run("finding residences 居住点", lambda: study.residences)
    steps.run(
        "snapping onto streets 吸附到路网", lambda: (study.residence_snap, study.facility_snaps)
    )
    steps.run("walk minutes per category 各类设施步行时间", study.access)
    iso = not getattr(args, "no_isochrones", True)
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
            iso_minutes=getattr(args, "iso_minutes", (5.0, 10.0, 15.0)),
            iso_buffer_m=getattr(args, "iso_buffer", 25.0),
        ),
    )
    summary = study.summary()
    meta = study.metadata()
    print(f"Data 数据: {meta['data']}")
    print(f"Residences 居住点: {meta['residences']:,}  ({meta['residence_source']})")
    print(
        f"Walk network 路网: {net.node_count:,} nodes, {net.edge_count:,} edges; "
        f"speed {net.speed_kmh:g} km/h"
    )
    for note in meta["notes"]:
        print(f"Note 注意: {note}")
    print(_format_summary(summary))
    print(f"Wrote {len(written)} files to {args.out}/: " + ", ".join(p.name for p in written))
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    """``yushu-circle batch``: one study per area on Dask; 1 when any area failed."""
    from yushu_circle.batch import format_batch_report, read_areas, run_batch

    areas = read_areas(args.areas)
    result = run_batch(
        areas,
        args.out,
        study_kwargs=study_kwargs_from_args(args),
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
    from yushu_circle.render.maps import rebuild_maps

    written = rebuild_maps(
        args.out,
        png=args.png,
        category=args.category,
        isochrone_budget_bytes=int(args.iso_budget_mb * 1e6),
    )
    for path in written:
        print(f"Wrote 写出 {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    """``yushu-circle plan``: the planning analyses of :mod:`yushu_circle.planning`."""
    from yushu_circle.io import prepare_out_dir
    from yushu_circle.planning import write_plan

    steps = _Steps(args.quiet)
    prepare_out_dir(args.out)
    study = steps.run("loading OSM data 读取数据", lambda: study_from_args(args))
    steps.run("walk minutes 步行时间", study.access)
    written, report = steps.run(
        "planning analyses 规划分析",
        lambda: write_plan(
            study,
            args.out,
            standard=args.standard,
            measure=args.measure,
            profile=args.profile,
            dem=args.dem,
            areas=args.areas,
            site=args.site,
            k=args.k,
            candidates=args.candidates,
            method=args.method,
            added=args.add,
            removed=args.remove,
        ),
    )
    print(report)
    print(f"Wrote {len(written)} files to {args.out}/: " + ", ".join(p.name for p in written))
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
    table["median_min"] = table["median_min"].map(lambda v: f"{v:5.1f}")
    table.columns = ["类别", "level", "count", "pop≤5", "pop≤10", "pop≤15", "median min"]
    return table.to_string()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``yushu-circle``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.debug:
        warnings.filterwarnings("ignore")
    try:
        status = int(args.handler(args))
    except YushuError as exc:
        if args.debug:
            raise
        print(f"yushu-circle: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("yushu-circle: interrupted; earlier outputs are intact", file=sys.stderr)
        return 130
    except MemoryError:
        print(
            "yushu-circle: error: out of memory — fix: use a smaller area or more memory",
            file=sys.stderr,
        )
        return 3
    except Exception as exc:  # a bug: still one line, and earlier outputs stay intact
        if args.debug:
            raise
        text = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
        print(
            f"yushu-circle: internal error: {text} — fix: this is a bug in yushu-circle; "
            "earlier outputs are intact; rerun with --debug and report the traceback",
            file=sys.stderr,
        )
        return 70
    return status


if __name__ == "__main__":
    sys.exit(main())
