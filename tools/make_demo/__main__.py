"""Generate the synthetic Jiegu demo town (OSM XML, DEM, README) that yushu_circle ships."""

from __future__ import annotations

import argparse
import bz2
from collections.abc import Sequence
from pathlib import Path

from .dem import write_dem
from .frame import (
    DATA,
    DEM_NAME,
    HEADER_COMMENT,
    OSM_NAME,
    README_NAME,
    SEED,
)
from .state import town_stats
from .town import Town
from .writer import readme_text


def main(argv: Sequence[str] | None = None) -> int:
    """Write the demo files.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument(
        "--out",
        type=Path,
        default=DATA / "demo",
        help="output folder (default: the repository's data/demo)",
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    town = Town(args.seed)
    town.build()
    xml = town.osm.to_xml(HEADER_COMMENT.format(seed=args.seed))
    (out / OSM_NAME).write_bytes(bz2.compress(xml, compresslevel=9))
    dem = write_dem(out / DEM_NAME, town.terrain)
    stats = town_stats(town)
    (out / README_NAME).write_text(readme_text(args.seed, stats, dem), encoding="utf-8")
    print(
        f"wrote {out / OSM_NAME}: {stats.nodes} nodes, {stats.ways} ways, "
        f"{stats.relations} relations, {stats.street_nodes} street nodes, "
        f"{sum(stats.buildings.values())} buildings, {stats.facilities} facilities"
    )
    print(f"wrote {out / DEM_NAME}: {dem['width']:.0f} x {dem['height']:.0f} px")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
