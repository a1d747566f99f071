"""PBF read, walk network and features frame on synthetic cities: wall and CPU seconds per stage.

Usage::

    python benchmarks/pbf_read.py /tmp/cities/city_100000.osm.pbf /tmp/cities/city_1000000.osm.pbf

Each file runs in a fresh subprocess (so peak RSS is that file's own); the stages are the
ones ``Study.from_osm_file`` pays before residences: ``read_pbf`` (pyosmium → ``Extract``),
``street_edges`` + ``WalkNetwork.from_arrays`` and ``features_frame`` with the default
catalog's keys. Cities come from ``benchmarks/synthetic_city.py`` (synthetic, 合成城市).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def _one(path: str) -> dict[str, Any]:
    """Time the three stages on one file in this process."""
    from yushu_circle.catalog import Catalog
    from yushu_circle.network import WalkNetwork

    # All three through osm.pbf, which has re-exported them since before the Extract form,
    # so the same script times older versions too.
    from yushu_circle.osm.pbf import features_frame, read_pbf, street_edges

    stages: dict[str, dict[str, float]] = {}
    wall, cpu = time.perf_counter(), time.process_time()

    def lap(name: str) -> None:
        nonlocal wall, cpu
        now_wall, now_cpu = time.perf_counter(), time.process_time()
        stages[name] = {"wall_s": round(now_wall - wall, 2), "cpu_s": round(now_cpu - cpu, 2)}
        wall, cpu = now_wall, now_cpu

    extract = read_pbf(Path(path))
    lap("read_pbf")
    network = WalkNetwork.from_arrays(**street_edges(extract))
    lap("network")
    # The same keys Study.features asks for.
    base = {"building", "landuse", "boundary", "place", "name", "natural", "waterway"}
    frame = features_frame(extract, Catalog.default().tag_keys | base)
    lap("features")
    return {
        "file": path,
        "ways": len(extract.way_ids),
        "way_nodes": len(extract.way_refs),
        "points": len(extract.point_ids),
        "network_nodes": network.node_count,
        "network_edges": network.edge_count,
        "features": len(frame),
        "stages": stages,
        "total_wall_s": round(sum(s["wall_s"] for s in stages.values()), 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Run every file in its own subprocess and print one line of stage times per file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pbf", nargs="+")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        result = _one(args.pbf[0])
        print(json.dumps(result))
        return [result]
    results = []
    for path in args.pbf:
        done = subprocess.run(
            [sys.executable, __file__, "--one", path],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        results.append(result)
        times = "  ".join(
            f"{name} {s['wall_s']:.2f} s (cpu {s['cpu_s']:.2f})"
            for name, s in result["stages"].items()
        )
        print(
            f"{Path(path).name}: {result['way_nodes']:,} way nodes, "
            f"{result['network_nodes']:,} network nodes, {result['features']:,} features | "
            f"{times} | total {result['total_wall_s']:.2f} s, peak {result['peak_rss_mib']:,} MiB",
            flush=True,
        )
    return results


if __name__ == "__main__":
    main()
