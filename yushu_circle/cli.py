"""The ``yushu-circle`` command line: options, help, messages and signals (the work is elsewhere).

Importing this module is cheap (argparse and :mod:`yushu_circle.options` only), so
``yushu-circle --help`` answers at once; each subcommand imports what it uses.
"""

from __future__ import annotations

import argparse
import difflib
import gc
import os
import re
import signal
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from yushu_circle import __version__
from yushu_circle import options as opt
from yushu_circle.commands import (
    cmd_batch,
    cmd_check,
    cmd_map,
    cmd_plan,
    cmd_report,
    cmd_run,
)
from yushu_circle.errors import STOP_SIGNALS, InputError, YushuError, clip_text

PROG = "yushu-circle"
EXIT_INTERRUPTED = 130
_VALUE_NOT_OPTION = re.compile(r"^-\.?\d")
"""A word starting ``-5`` or ``-.5`` is a value (``--at -122.27,37.80``), never an option."""
_DEMO_NOTE = (
    "With no source (--osm-file, --place, --bbox, --polygon) it runs on the embedded "
    "SYNTHETIC demo town at Jiegu, Yushu (合成示例数据), offline."
)


class _Help(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Keeps the examples' line breaks and shows every option's default (when it has one)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False or action.default == []:
            return action.help
        return super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors suggest the nearest subcommand or choice.

    West of Greenwich and south of the equator coordinates start with ``-``: argparse
    takes only a lone negative number (``-5``) as a value, so ``--at -122.27,37.80`` and
    ``--clip-bbox -122.28,37.79,-122.26,37.81`` were read as unknown options. No option
    of this tool starts with ``-`` and a digit, so every such word is a value.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _VALUE_NOT_OPTION

    def error(self, message: str) -> Any:
        message = " ".join(clip_text(word) for word in message.split())
        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice is not None:
            known = re.findall(r"'([^']*)'", choice.group(2))
            close = difflib.get_close_matches(choice.group(1), known, n=1, cutoff=0.5)
            if close:
                message += f" — did you mean {close[0]!r}?"
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


# --- options -----------------------------------------------------------------------------


def _global_options() -> _Parser:
    # SUPPRESS: a subcommand's parser leaves the value alone unless the flag is given there,
    # so `--quiet run` and `run --quiet` both work.
    common = _Parser(add_help=False)
    common.add_argument(
        "--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress output"
    )
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
    )
    return common


def _add_source_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("source (default: the synthetic demo 示例数据)")
    source = group.add_mutually_exclusive_group()
    source.add_argument("--osm-file", type=Path, help=".osm/.osm.bz2/.osm.pbf/.graphml file")
    source.add_argument("--place", help='place name for Overpass, e.g. "玉树市, 青海省, 中国"')
    source.add_argument("--bbox", metavar="W,S,E,N", help="box in degrees, from Overpass")
    source.add_argument("--polygon", type=Path, help="GeoJSON/GeoPackage of the study area")
    group.add_argument("--clip-bbox", metavar="W,S,E,N", help="clip an --osm-file extract")
    _add_study_options(parser)


def _add_study_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("study")
    group.add_argument("--residences", type=Path, help="residences file (CSV lon/lat, GeoJSON…)")
    group.add_argument(
        "--facilities", type=Path, action="append", help="extra facilities file (repeatable)"
    )
    group.add_argument(
        "--datum",
        default=opt.DEFAULT_DATUM.value,
        choices=[d.value for d in opt.Datum],
        help="datum of --residences/--facilities/--areas coordinates (Amap: gcj02, Baidu: bd09)",
    )
    group.add_argument("--catalog", type=Path, help="facility catalog TOML (default: shipped)")
    group.add_argument(
        "--speed", default=opt.DEFAULT_SPEED_KMH, help=f"walking speed, km/h ({opt.SPEED.text})"
    )
    group.add_argument(
        "--snap-limit",
        default=opt.DEFAULT_SNAP_LIMIT_M,
        help=f"max metres from a street ({opt.SNAP_LIMIT.text})",
    )
    group.add_argument(
        "--population-total",
        metavar="N",
        help="a known population total (e.g. the census) spread over the residences 已知总人口",
    )
    group.add_argument(
        "--age-shares",
        metavar="SHARES",
        help="children/elderly shares, e.g. 0-14=0.277,65+=0.061, or a file 一老一小年龄结构",
    )
    group.add_argument("--overpass-url", help="Overpass API base URL")
    group.add_argument("--nominatim-url", help="Nominatim base URL for --place")


def _out_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(opt.DEFAULT_OUT),
        help="output folder (created when the run writes; earlier files are replaced whole)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    common = _global_options()
    parser = _Parser(
        prog=PROG,
        parents=[common],
        formatter_class=_Help,
        description="15-minute living circle (15分钟生活圈) walk-access analysis on OSM "
        f"streets. {_DEMO_NOTE}",
        epilog="examples:\n  yushu-circle run\n  yushu-circle run --osm-file town.osm.pbf "
        "--out town\n  yushu-circle plan --site clinic --k 3\n  yushu-circle run --help",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, description: str, examples: str) -> Any:
        sub = commands.add_parser(
            name,
            help=summary,
            description=description,
            epilog="examples:\n" + examples,
            parents=[common],
            formatter_class=_Help,
        )
        return sub

    run = command(
        "run",
        "compute walk minutes and write the outputs 计算步行时间",
        "Walk minutes from every residence to the nearest facility of every category, "
        "5/10/15-minute isochrones, summary tables and map.html, written to --out "
        f"(default {opt.DEFAULT_OUT}/). {_DEMO_NOTE}",
        "  yushu-circle run\n"
        '  yushu-circle run --place "玉树市, 青海省, 中国" --out yushu\n'
        "  yushu-circle run --osm-file extract.osm.pbf --clip-bbox 96.99,32.98,97.04,33.02\n"
        "  yushu-circle run --facilities inventory.csv --datum gcj02 --speed 3.2",
    )
    _add_source_arguments(run)
    _out_argument(run)
    run.add_argument("--gpkg", action="store_true", help="also write GeoPackage files")
    run.add_argument(
        "--no-isochrones", action="store_true", help="skip isochrones.parquet (等时圈)"
    )
    run.add_argument(
        "--iso-minutes",
        default=",".join(f"{m:g}" for m in opt.DEFAULT_ISO_MINUTES),
        help=f"isochrone thresholds, comma-separated minutes (each {opt.ISO_MINUTE.text})",
    )
    run.add_argument(
        "--iso-buffer",
        default=opt.DEFAULT_ISO_BUFFER_M,
        help=f"isochrone buffer half-width, m ({opt.ISO_BUFFER.text})",
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

    batch = command(
        "batch",
        "one study per area of an AREAS file, in parallel on Dask 多区域批量",
        "Run one study per area listed in AREAS (CSV or GeoPackage: area_id and "
        "osm_file, place, bbox or polygon) on Dask distributed; each area's outputs go to "
        "OUT/<area_id>/, with OUT/batch_status.csv and OUT/combined_summary.csv. Areas "
        "already done are skipped; exit status 1 when any area failed (the others are "
        "still written). A row with no source is an error (batch never falls back to the demo).",
        "  yushu-circle batch areas.csv --out batch_out\n"
        "  yushu-circle batch areas.gpkg --out batch_out --workers 4 --force",
    )
    batch.add_argument("areas", type=Path, metavar="AREAS", help="CSV or GeoPackage of areas")
    batch.add_argument("--out", type=Path, required=True, help="output folder (one per area)")
    batch.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786")
    batch.add_argument(
        "--workers",
        default=opt.DEFAULT_WORKERS,
        help=f"local worker processes ({opt.WORKERS.text})",
    )
    batch.add_argument(
        "--retries",
        default=opt.DEFAULT_RETRIES,
        help=f"retries after an unexpected error ({opt.RETRIES.text})",
    )
    batch.add_argument("--force", action="store_true", help="recompute areas already done")
    batch.add_argument("--gpkg", action="store_true", help="also write GeoPackage files")
    _add_study_options(batch)
    batch.set_defaults(handler=cmd_batch)

    maps = command(
        "map",
        "rebuild map.html (and PNG maps) from an output folder 重新生成地图",
        "Rewrite map.html in OUT_DIR from the files of an earlier 'run' (residences, "
        "facilities, network, summary.json; isochrones.parquet when present) without "
        "recomputing. Set TIANDITU_KEY to offer Tianditu (天地图) tiles.",
        f"  yushu-circle map {opt.DEFAULT_OUT}\n"
        f"  yushu-circle map {opt.DEFAULT_OUT} --png --category clinic --iso-budget-mb 5",
    )
    maps.add_argument("out", type=Path, metavar="OUT_DIR", help="folder written by 'run'")
    maps.add_argument("--png", action="store_true", help="also write png/coverage_<cat>.png")
    maps.add_argument("--category", help="category the map opens on, e.g. clinic")
    maps.add_argument(
        "--iso-budget-mb",
        default=opt.DEFAULT_ISO_BUDGET_MB,
        help=f"cap on the isochrones embedded in map.html, MB ({opt.ISO_BUDGET.text}; "
        "0 embeds none)",
    )
    maps.set_defaults(handler=cmd_map)

    plan = command(
        "plan",
        "standard compliance, profiles, gaps, siting, what-if 规划分析",
        "GB 50180 / TD/T 1062 compliance (达标率) per community, coverage per walker "
        "profile (optionally with slope from a DEM), data completeness, unserved clusters, "
        "new-facility siting and what-if scenarios, written to --out "
        f"(default {opt.DEFAULT_OUT}/). {_DEMO_NOTE}",
        "  yushu-circle plan --out plan_demo\n"
        "  yushu-circle plan --profile elderly --site clinic --k 3 --method milp\n"
        "  yushu-circle plan --osm-file town.osm --add new_clinics.csv --remove F12",
    )
    _add_source_arguments(plan)
    _add_plan_arguments(plan)
    plan.set_defaults(handler=cmd_plan)
    check = commands.add_parser(
        "check",
        help="walk minutes and routes from one location 单点步行核查",
        description="For one location, the walk minutes to the nearest facility of every "
        "category and the route to each (streets, metres, minutes): how a planner checks a "
        "resident's claim such as 'kindergarten 5 minutes, bank 3'.",
    )
    _add_source_arguments(check)
    check.add_argument(
        "--at",
        required=True,
        metavar="LON,LAT",
        help="the location in --datum (default WGS-84); west and south are negative, "
        "e.g. -122.27,37.80",
    )
    check.add_argument("--category", action="append", help="only this category (repeatable)")
    check.add_argument("--geojson", type=Path, help="also write the routes as GeoJSON")
    check.set_defaults(handler=cmd_check)
    report = commands.add_parser(
        "report",
        help="bilingual report.pdf, report.docx and report.html of a plan's folder 规划报告",
        description="Write report.pdf, report.docx and report.html (中文 / English) into a "
        "folder written by `yushu-circle plan`: cover, contents, summary of findings, "
        "compliance per level and item, maps, siting, supply and demand, caveats.\n\n"
        "example:\n  yushu-circle plan --out plan_demo && yushu-circle report plan_demo",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument("out_dir", type=Path, help="a folder written by `yushu-circle plan`")
    report.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        help="the date on the cover (default: the day the plan was written)",
    )
    report.set_defaults(handler=cmd_report)
    return parser


def _add_plan_arguments(plan: argparse.ArgumentParser) -> None:
    _out_argument(plan)
    group = plan.add_argument_group("planning")
    group.add_argument(
        "--standard", default=opt.DEFAULT_STANDARD, help="gb50180, tdt1062 or a standards TOML"
    )
    group.add_argument(
        "--measure",
        default=opt.DEFAULT_MEASURE.value,
        choices=[m.value for m in opt.Measure],
        help="what a level threshold counts",
    )
    group.add_argument(
        "--profile",
        default=opt.DEFAULT_PROFILE.value,
        choices=[p.value for p in opt.ProfileName],
        help="walker for compliance, gaps and siting",
    )
    group.add_argument("--dem", type=Path, help="elevation GeoTIFF: slope-aware times (Tobler)")
    group.add_argument("--areas", type=Path, help="社区/街道 boundary polygons (default: OSM's)")
    group.add_argument("--site", metavar="CATEGORY", help="site new facilities of this category")
    group.add_argument(
        "--k", default=opt.DEFAULT_SITES, help=f"number of new sites ({opt.SITES.text})"
    )
    group.add_argument("--candidates", type=Path, help="candidate sites file (default: nodes)")
    group.add_argument(
        "--method",
        default=opt.DEFAULT_METHOD.value,
        choices=[m.value for m in opt.SitingMethod],
        help="siting method",
    )
    group.add_argument(
        "--capacity",
        type=Path,
        metavar="FILE",
        help="the planner's capacity assumptions TOML (default: data/assumptions/capacity.toml)",
    )
    group.add_argument("--add", type=Path, help="what-if: facilities file to add")
    group.add_argument(
        "--remove", action="append", default=[], metavar="FACILITY_ID", help="what-if: remove"
    )
    group.add_argument(
        "--scenario",
        type=Path,
        help="what-if: the map's 'download scenario' CSV (added and removed facilities)",
    )


def _check_numbers(args: argparse.Namespace) -> None:
    """Every numeric option through the one validator of :mod:`yushu_circle.options`."""
    for dest, option in opt.NUMERIC_OPTIONS.items():
        value = getattr(args, dest, None)
        if value is not None:
            number = option.check(value)
            setattr(args, dest, int(number) if option.integer else number)
    if getattr(args, "iso_minutes", None) is not None:
        args.iso_minutes = opt.check_minutes(args.iso_minutes)
    if getattr(args, "age_shares", None) is not None:
        opt.parse_age_shares(args.age_shares)  # a bad value fails before any work


_NAME_MAX = 255
"""Longest file name, in bytes, most file systems allow (ext4, XFS, APFS, NTFS's 255 units)."""
_PATH_MAX = 4096
_NAME_OR_FILE = {"standard"}
"""Options taking a shipped name or a file's path (``--standard gb50180`` or a TOML file)."""


def _check_paths(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Every file and folder option: no name longer than the file system allows.

    Too long a name fails deep inside a run with ``Errno 36`` (a bug's exit 70); here it
    is one line naming the option.
    """
    sub = _subparser(parser, args.command)
    for action in sub._actions:
        values = getattr(args, action.dest, None)
        name = action.option_strings[0] if action.option_strings else action.metavar
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, Path) or (action.dest in _NAME_OR_FILE and value):
                _check_path(str(name or action.dest), Path(value))


def _check_path(option: str, path: Path) -> None:
    fix = f"give {option} a shorter name (a file name is at most {_NAME_MAX} bytes)"
    # Room is left for the names written inside (a staging folder, then the file).
    if len(os.fsencode(path.absolute())) > _PATH_MAX - _NAME_MAX:
        raise InputError(f"{option} {clip_text(str(path))} is too long a path", fix)
    for part in path.parts:
        size = len(os.fsencode(part))
        if size > _NAME_MAX:
            raise InputError(
                f"{option}: the name {clip_text(part, 40)!r} is {size} bytes, longer than "
                "the file system allows",
                fix,
            )


def _subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return subparsers.choices[command]


# --- entry point ---------------------------------------------------------------------------


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse, refusing unknown options with the nearest known one ("did you mean …?")."""
    args, extras = parser.parse_known_args(argv)
    if extras:
        sub = _subparser(parser, args.command)
        known = sorted(sub._option_string_actions)
        hints = []
        bare = {name.lstrip("-"): name for name in known if name.startswith("--")}
        for extra in extras:
            name = extra.split("=", 1)[0]
            close = difflib.get_close_matches(name.lstrip("-"), list(bare), n=1, cutoff=0.6)
            if name.startswith("-") and close:
                hints.append(f"did you mean {bare[close[0]]}?")
        hint = " — " + " ".join(hints) if hints else f" — see {PROG} {args.command} --help"
        sub.error(f"unrecognized arguments: {' '.join(extras)}{hint}")
    args.quiet = getattr(args, "quiet", False)
    args.debug = getattr(args, "debug", False)
    return args


def _on_signal(signum: int, frame: FrameType | None) -> None:
    # Raised once: the cleanup that follows (staging folders) is not interrupted again.
    if STOP_SIGNALS:
        return
    STOP_SIGNALS.append(signum)
    raise KeyboardInterrupt


def _stop_signals() -> list[signal.Signals]:
    """The signals that stop a run cleanly: Ctrl-C, ``kill`` and a closed terminal."""
    names = ("SIGINT", "SIGTERM", "SIGHUP")
    return [getattr(signal, name) for name in names if hasattr(signal, name)]


@contextmanager
def _signals() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP all stop the run through KeyboardInterrupt (cleanups run)."""
    STOP_SIGNALS.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _on_signal) for s in _stop_signals()}
    reporter = sys.unraisablehook

    def quiet_interrupts(unraisable: Any) -> None:
        # Once a stop came, "Exception ignored" reports are its echoes: the stop itself,
        # swallowed inside a native callback (llvmlite's, while numba compiles; the run
        # stops at the next step anyway, ``raise_if_stopped``), or the finalizer of an
        # object the stop left half-built (llvmlite's ``PipelineTuningOptions``, with no
        # ``_as_parameter_``). The one-line message stays the only one.
        if STOP_SIGNALS:
            return
        reporter(unraisable)

    sys.unraisablehook = quiet_interrupts
    try:
        yield
    finally:
        if STOP_SIGNALS:
            gc.collect()  # those half-built objects are finalized while the hook is quiet
        sys.unraisablehook = reporter
        for s, handler in previous.items():
            signal.signal(s, handler)


def _close_bars() -> None:
    """Close progress bars a failed step left open, so the message is the last line."""
    tqdm_module = sys.modules.get("tqdm")
    if tqdm_module is None:
        return
    for bar in list(getattr(tqdm_module.tqdm, "_instances", ())):
        try:
            bar.close()
        except Exception:  # a bar half-built when the signal came: nothing to tidy
            continue


def _stopped_message() -> tuple[str, int]:
    """The one line and the exit status (128 + the signal, as a shell reports it)."""
    _close_bars()
    signum = STOP_SIGNALS[0] if STOP_SIGNALS else int(signal.SIGINT)
    if signum == signal.SIGINT:
        what, code = "interrupted", EXIT_INTERRUPTED
    else:
        what, code = f"stopped by {signal.Signals(signum).name}", 128 + signum
    return f"{PROG}: {what}; earlier outputs are intact", code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``yushu-circle``; returns the exit status."""
    parser = build_parser()
    try:
        args = _parse(parser, argv)
    except SystemExit as exc:  # --help, --version, usage errors: a status, as for the rest
        return exc.code if isinstance(exc.code, int) else 2
    if not args.debug:
        warnings.filterwarnings("ignore")
    with _signals():
        try:
            _check_paths(parser, args)
            _check_numbers(args)
            status = int(args.handler(args))
        except YushuError as exc:
            if args.debug:
                raise
            _close_bars()
            print(f"{PROG}: error: {exc.message}", file=sys.stderr)
            return exc.exit_code
        except KeyboardInterrupt:
            message, code = _stopped_message()
            print(message, file=sys.stderr)
            return code
        except MemoryError:
            print(
                f"{PROG}: error: out of memory — fix: use a smaller area or more memory",
                file=sys.stderr,
            )
            return 3
        except Exception as exc:  # a bug: still one line, and earlier outputs stay intact
            if STOP_SIGNALS or _interrupted(exc):
                # A signal inside compiled code can surface as another exception, e.g.
                # numba's "SystemError: CPUDispatcher(...) returned a result with an
                # exception set": it is still the user's Ctrl-C.
                message, code = _stopped_message()
                print(message, file=sys.stderr)
                return code
            if args.debug:
                raise
            _close_bars()
            text = clip_text(" ".join(f"{type(exc).__name__}: {exc}".split()), 300)
            print(
                f"{PROG}: internal error: {text} — fix: this is a bug in yushu-circle; "
                "earlier outputs are intact; rerun with --debug and report the traceback",
                file=sys.stderr,
            )
            return 70
    return status


def _interrupted(exc: BaseException) -> bool:
    """Whether a KeyboardInterrupt is in the exception's chain (cause or context)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


if __name__ == "__main__":
    sys.exit(main())
