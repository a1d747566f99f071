"""End to end from a local ``.osm.pbf``: parse, network, snap, access, write — time and peak memory.

Usage::

    python benchmarks/end_to_end.py /tmp/cities/city_1000000.osm.pbf --out /tmp/e2e_1m
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from typing import Any

from yushu_circle import Study, write_study


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run one study end to end and print per-stage wall and CPU seconds and peak RSS."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pbf")
    parser.add_argument("--out", required=True)
    parser.add_argument("--no-write", action="store_true", help="stop after the access table")
    args = parser.parse_args(argv)
    stages: dict[str, dict[str, float]] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    first_wall, first_cpu = wall, cpu

    def lap(name: str) -> None:
        nonlocal wall, cpu
        now_wall, now_cpu = time.perf_counter(), time.process_time()
        stages[name] = {
            "wall_s": round(now_wall - wall, 2),
            "cpu_s": round(now_cpu - cpu, 2),
            # Peak so far: the first stage where it jumps is the one that sets the peak.
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }
        wall, cpu = now_wall, now_cpu
        print(name, stages[name], flush=True)

    study = Study.from_osm_file(args.pbf)
    lap("parse")
    network = study.network
    lap("network")
    residences = study.residences
    lap("residences")
    facilities = study.facilities
    lap("facilities")
    _ = study.residence_snap, study.facility_snaps
    lap("snap")
    access = study.access()
    lap("access")
    if not args.no_write:
        write_study(study, args.out, isochrones=False)
        lap("write (isochrones off)")
    result = {
        "file": args.pbf,
        "nodes": network.node_count,
        "edges": network.edge_count,
        "residences": len(residences),
        "facilities": len(facilities),
        "categories": sum(c.startswith("walk_min_") for c in access.columns),
        "stages": stages,
        "total_wall_s": round(time.perf_counter() - first_wall, 2),
        "total_cpu_s": round(time.process_time() - first_cpu, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
