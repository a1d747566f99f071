"""Benchmark: our isochrones vs the OSMnx example recipe, with IoU against an exact oracle.

Runs, on the same origins and network, (1) ``yushu_circle.isochrones.isochrones`` and (2) the
OSMnx example notebook's recipe (``nx.ego_graph`` from the nearest node per origin and
threshold, edges buffered 25 m, ``union_all``, infill), and prints throughput (isochrones
per CPU-second), the ratio, and the IoU of ours and of the recipe against an exact oracle:
the buffered union of the reached edge pieces from ``nx.single_source_dijkstra`` on a graph
with the origin inserted as a virtual node splitting its edge.

Networks, in one run: (a) a dense synthetic centre (合成, ``synthetic_city.make_centre``:
sidewalks on both sides of every street, crossings, entrance paths, median edge ~10 m),
(b) the real West Oakland extract (``../shared/data``), (c) a synthetic grid city of
``--size`` × ``--size`` nodes (long, straight edges), and, with ``--osm-file``, any file.
Then the fresh-process figure: a small study (the ``--recipe-origins`` residences of the centre)
run in a new interpreter — import, load the ``.osm.pbf``, snap, isochrones — with a warm
numba cache and with an empty one, against the recipe over the same origins.

Usage::

    python benchmarks/isochrones.py
    /usr/bin/time -v python benchmarks/isochrones.py --size 448 --scale 100000  # ~200,000 nodes
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import substring

from yushu_circle.isochrones import isochrones, iter_isochrones, prepare
from yushu_circle.network import Snap, WalkNetwork

MINUTES = (5.0, 10.0, 15.0)
BUFFER_M = 25.0
SHARED_OSM = Path(__file__).resolve().parents[2] / "shared" / "data" / "west-oakland.osm.bz2"


# --- networks -----------------------------------------------------------------------------


def grid_city(size: int, spacing_m: float = 90.0, seed: int = 0) -> WalkNetwork:
    """A synthetic grid city (合成): jittered nodes, some bent streets, ~8% links missing.

    Parameters
    ----------
    size : int
        Nodes per side (``size²`` nodes).
    spacing_m : float
        Block size, metres.
    seed : int
        Random seed.
    """
    rng = np.random.default_rng(seed)
    ij = np.arange(size * size)
    xy = np.column_stack([ij % size, ij // size]).astype(float) * spacing_m
    xy += rng.uniform(-0.15, 0.15, size=xy.shape) * spacing_m
    graph = nx.MultiGraph(crs="EPSG:32647")
    for n in range(size * size):
        graph.add_node(n, x=float(xy[n, 0]), y=float(xy[n, 1]))
    for n in range(size * size):
        i, j = n % size, n // size
        for di, dj in ((1, 0), (0, 1)):
            if i + di >= size or j + dj >= size or rng.random() < 0.08:
                continue
            m = n + di + dj * size
            a, b = xy[n], xy[m]
            if rng.random() < 0.25:  # a bent street
                mid = (a + b) / 2 + rng.uniform(-0.12, 0.12, 2) * spacing_m
                line = LineString([a, mid, b])
            else:
                line = LineString([a, b])
            graph.add_edge(n, m, length=line.length, geometry=line, highway="residential")
    return WalkNetwork.from_graph(graph)


def random_origins(network: WalkNetwork, count: int, seed: int = 1) -> Snap:
    """Points scattered near the streets (up to ~40 m off), snapped onto edges."""
    rng = np.random.default_rng(seed)
    edges = rng.integers(0, network.edge_count, count)
    pts = shapely.line_interpolate_point(
        network.edge_geometry[edges], rng.uniform(0, 1, count), normalized=True
    )
    x = shapely.get_x(pts) + rng.uniform(-40, 40, count)
    y = shapely.get_y(pts) + rng.uniform(-40, 40, count)
    return network.snap(x, y)


def study_network(path: Path) -> tuple[WalkNetwork, Snap]:
    """The walk network of an OSM file and its residences' snaps."""
    from yushu_circle.study import Study

    study = Study.from_osm_file(path)
    return study.network, study.residence_snap


def centre_file(workdir: Path, blocks: int) -> Path:
    """The dense synthetic centre as ``.osm.pbf`` (written once per size)."""
    from synthetic_city import make_centre

    path = workdir / f"centre_{blocks}.osm.pbf"
    if not path.exists():
        make_centre(path, blocks=blocks)
    return path


# --- the exact oracle ---------------------------------------------------------------------


def oracle_polygon(network: WalkNetwork, snap: Snap, i: int, minutes: float) -> Polygon:
    """Buffered union of the reached pieces, from networkx with the origin as a virtual node."""
    budget = minutes - snap.snap_m[i] / network.metres_per_minute
    if budget < 0:
        return Polygon()
    e0, f = int(snap.edge[i]), float(snap.frac[i])
    graph = nx.DiGraph()
    segments = []  # (a, b, geometry a->b, time a->b, time b->a)
    for e in range(network.edge_count):
        u, v = int(network.edge_u[e]), int(network.edge_v[e])
        geom, tuv, tvu = network.edge_geometry[e], network.time_uv[e], network.time_vu[e]
        if e == e0:
            segments.append((u, "O", _substring(geom, 0, f), f * tuv, f * tvu))
            segments.append(("O", v, _substring(geom, f, 1), (1 - f) * tuv, (1 - f) * tvu))
        else:
            segments.append((u, v, geom, tuv, tvu))
    for a, b, _, tab, tba in segments:
        for x, y, t in ((a, b, tab), (b, a, tba)):
            if np.isfinite(t) and (not graph.has_edge(x, y) or graph[x][y]["w"] > t):
                graph.add_edge(x, y, w=t)
    dist = nx.single_source_dijkstra_path_length(graph, "O", cutoff=budget, weight="w")
    pieces = []
    for a, b, geom, tab, tba in segments:
        if a in dist:
            reach = 1.0 if tab == 0 else min(1.0, (budget - dist[a]) / tab)
            if reach > 0:
                pieces.append(_substring(geom, 0, reach))
        if b in dist:
            reach = 1.0 if tba == 0 else min(1.0, (budget - dist[b]) / tba)
            if reach > 0:
                pieces.append(_substring(geom, 1 - reach, 1))
    pieces = [p for p in pieces if p.length > 0]
    if not pieces:
        return Polygon()
    return shapely.union_all(shapely.buffer(np.array(pieces, dtype=object), BUFFER_M))


def _substring(line: LineString, start: float, end: float) -> LineString:
    """``line`` from fraction ``start`` to ``end`` (zero length, not a Point, when they meet)."""
    part = substring(line, start, end, normalized=True)
    return LineString([part, part]) if part.geom_type == "Point" else part


def iou(a: shapely.Geometry, b: shapely.Geometry) -> float:
    """Intersection over union (1 when both are empty)."""
    union = shapely.union(a, b).area
    return 1.0 if union == 0 else shapely.intersection(a, b).area / union


# --- the OSMnx example recipe -------------------------------------------------------------


def recipe(network: WalkNetwork, snap: Snap, minutes: Sequence[float]) -> list[list[Polygon]]:
    """The OSMnx isochrone notebook's ``make_iso_polys(G, edge_buff=25, node_buff=0, infill=True)``.

    Origins go to their nearest node (found in one batch, which favours the recipe).
    """
    graph = network.graph
    meters_per_minute = network.speed_kmh * 1000 / 60
    for _, _, _, data in graph.edges(data=True, keys=True):
        data["time"] = data["length"] / meters_per_minute
    sx, sy = snap.x, snap.y  # the recipe starts from the node nearest the snapped point
    centers = ox.distance.nearest_nodes(graph, sx, sy)
    out = []
    for center_node in centers:
        out.append(_make_iso_polys(graph, center_node, minutes, edge_buff=25, node_buff=0))
    return out


def _make_iso_polys(
    G: nx.MultiDiGraph,
    center_node: int,
    trip_times: Sequence[float],
    edge_buff: float = 25,
    node_buff: float = 50,
    infill: bool = True,
) -> list[Polygon]:
    isochrone_polys = []
    for trip_time in sorted(trip_times, reverse=True):
        subgraph = nx.ego_graph(G, center_node, radius=trip_time, distance="time")
        node_points = [Point((data["x"], data["y"])) for node, data in subgraph.nodes(data=True)]
        nodes_gdf = gpd.GeoDataFrame({"id": list(subgraph.nodes)}, geometry=node_points)
        nodes_gdf = nodes_gdf.set_index("id")
        edge_lines = []
        for n_fr, n_to in subgraph.edges():
            f = nodes_gdf.loc[n_fr].geometry
            t = nodes_gdf.loc[n_to].geometry
            edge_lookup = G.get_edge_data(n_fr, n_to)[0].get("geometry", LineString([f, t]))
            edge_lines.append(edge_lookup)
        n = nodes_gdf.buffer(node_buff).geometry
        e = gpd.GeoSeries(edge_lines).buffer(edge_buff).geometry
        all_gs = list(n) + list(e)
        new_iso = gpd.GeoSeries(all_gs).union_all()
        if infill and isinstance(new_iso, Polygon):  # the notebook fails on MultiPolygons
            new_iso = Polygon(new_iso.exterior)
        isochrone_polys.append(new_iso)
    return isochrone_polys[::-1]


# --- the run ------------------------------------------------------------------------------


def compare(label: str, network: WalkNetwork, snap: Snap, many: Snap | None, oracle: int) -> float:
    """Time ours and the recipe on the same origins; IoU of both against the oracle.

    Both run in this one process, one after the other, single-threaded (``threads=1``), so
    the CPU-time ratio is fair on a shared machine; wall-clock is printed too. Both are
    warmed up on two origins first; ours (well under a second) is the median of 3 runs,
    the recipe (tens of seconds) runs once.
    """
    k = len(MINUTES)
    print(f"\n== {label}: {network.node_count:,} nodes, {network.edge_count:,} edges ==")
    t, c = time.perf_counter(), time.process_time()
    prepare(network)
    prep, prep_cpu = time.perf_counter() - t, time.process_time() - c
    warm = snap.subset(np.arange(min(2, len(snap))))
    isochrones(network, warm, threads=1)  # numba and imports
    recipe(network, warm, MINUTES)
    runs = []
    for _ in range(3):  # ours takes a fraction of a second: the median of 3 runs
        t, c = time.perf_counter(), time.process_time()
        ours = isochrones(network, snap, threads=1)
        runs.append((time.process_time() - c, time.perf_counter() - t))
    c_ours, t_ours = sorted(runs)[1]
    t, c = time.perf_counter(), time.process_time()
    theirs = recipe(network, snap, MINUTES)
    t_recipe, c_recipe = time.perf_counter() - t, time.process_time() - c
    n_iso = len(snap) * k
    print(f"origins: {len(snap)} × {k} thresholds = {n_iso} isochrones ({ours.searches} searches)")
    print(f"network preparation (once per network): wall {prep:.3f} s, cpu {prep_cpu:.3f} s")
    for name, wall, cpu in (("ours", t_ours, c_ours), ("recipe", t_recipe, c_recipe)):
        print(
            f"{name:6s}: wall {wall:8.3f} s = {n_iso / wall:8.1f} isochrones/s;"
            f"  cpu {cpu:8.3f} s = {n_iso / cpu:8.1f} isochrones/cpu-s"
        )
    print(
        f"RATIO ours vs recipe: cpu {c_recipe / c_ours:.1f}×, wall {t_recipe / t_ours:.1f}×"
        f"  (ours incl. preparation: cpu {c_recipe / (c_ours + prep_cpu):.1f}×,"
        f" wall {t_recipe / (t_ours + prep):.1f}×)"
    )
    if many is not None:
        t, c = time.perf_counter(), time.process_time()
        result = isochrones(network, many, threads=1)
        dt, dc = time.perf_counter() - t, time.process_time() - c
        print(
            f"ours on {len(many):,} origins: wall {dt:.2f} s, cpu {dc:.2f} s = "
            f"{len(many) * k / dc:.1f} isochrones/cpu-s ({result.searches:,} searches, "
            f"{result.built:,} polygons built)"
        )
    m = min(oracle, len(snap))
    ours_iou = np.empty((m, k))
    recipe_iou = np.empty((m, k))
    for i in range(m):
        for j, minutes in enumerate(MINUTES):
            exact = oracle_polygon(network, snap, i, minutes)
            ours_iou[i, j] = iou(ours.polygons[i, j], exact)
            recipe_iou[i, j] = iou(theirs[i][j], exact)
    for name, values in (("ours", ours_iou), ("recipe", recipe_iou)):
        q = np.percentile(values, [0, 1, 5, 50])
        per = ", ".join(f"{t:g} min {values[:, j].min():.4f}" for j, t in enumerate(MINUTES))
        print(
            f"IoU vs exact oracle, {name:6s} ({values.size} polygons): min {q[0]:.4f}  "
            f"p1 {q[1]:.4f}  p5 {q[2]:.4f}  median {q[3]:.4f}  share ≥ 0.99: "
            f"{np.mean(values >= 0.99):.3f}  (min by threshold: {per})"
        )
    return c_recipe


_FRESH = """
import sys, time
import numpy as np
from yushu_circle.study import Study
from yushu_circle.isochrones import isochrones
study = Study.from_osm_file(sys.argv[1])
rows = np.array([int(i) for i in sys.argv[2].split(",")])
result = isochrones(study.network, study.residence_snap.subset(rows), threads=1)
print(int((result.polygons != None).sum()))
"""


def fresh(path: Path, rows: np.ndarray, recipe_cpu: float) -> None:
    """A new interpreter: import, load, snap and isochrones of ``rows``; its CPU vs the recipe's.

    The recipe's figure is its query time alone (its imports and graph loading are not
    charged), which favours the recipe.
    """
    import os
    import resource
    import subprocess
    import sys
    import tempfile

    k = len(MINUTES)
    arg = ",".join(str(int(i)) for i in rows)
    print(f"\n== fresh process: {len(rows)} residences of {path.name}, × {k} thresholds ==")
    with tempfile.TemporaryDirectory() as cold_cache:
        for label, env in (
            ("warm numba cache", dict(os.environ)),
            ("warm numba cache", dict(os.environ)),
            ("cold numba cache", {**os.environ, "NUMBA_CACHE_DIR": cold_cache}),
        ):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, "-c", _FRESH, str(path), arg],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            wall = time.perf_counter() - t
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            print(
                f"ours, {label}: wall {wall:.2f} s, cpu {cpu:.2f} s (import, load, snap, "
                f"isochrones); recipe query alone cpu {recipe_cpu:.2f} s;"
                f" RATIO cpu {recipe_cpu / cpu:.1f}×"
            )


def scale(size: int, count: int, threads: int) -> None:
    """Ours alone on ``count`` residences of a ``size²``-node grid, streamed batch by batch.

    Polygons are counted (vertices, area) and dropped as they come, as a writer streaming
    them to disk would; run under ``/usr/bin/time -v`` for the peak memory.
    """
    t = time.perf_counter()
    grid = grid_city(size)
    print(
        f"grid {size}×{size} (合成): {grid.node_count:,} nodes, {grid.edge_count:,} edges "
        f"built in {time.perf_counter() - t:.1f} s",
        flush=True,
    )
    t = time.perf_counter()
    prepare(grid)
    snap = random_origins(grid, count, seed=11)
    print(
        f"preparation: {time.perf_counter() - t:.1f} s; peak RSS so far (network, origins) "
        f"{_peak_rss_gib():.2f} GiB",
        flush=True,
    )
    t, c = time.perf_counter(), time.process_time()
    vertices, area, done = 0, 0.0, 0
    for rows, polygons in iter_isochrones(grid, snap, threads=threads, progress=True):
        vertices += int(shapely.get_num_coordinates(polygons).sum())
        area += float(shapely.area(polygons).sum())
        done += len(rows)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    print(
        f"{done:,} of {count:,} residences × {len(MINUTES)} thresholds with {threads} "
        f"worker(s): wall {wall:.1f} s ({done * len(MINUTES) / wall:.1f} isochrones/s), "
        f"cpu of this process {cpu:.1f} s; {vertices:,} polygon vertices, "
        f"mean area {area / max(done, 1) / len(MINUTES) / 1e6:.2f} km² per polygon; "
        f"peak RSS of this process {_peak_rss_gib():.2f} GiB (workers: see time -v)"
    )


def _peak_rss_gib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark."""
    import sys
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent))  # synthetic_city
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=120, help="grid city nodes per side")
    parser.add_argument("--blocks", type=int, default=16, help="dense centre blocks per side")
    parser.add_argument("--recipe-origins", type=int, default=50, help="origins timed on both")
    parser.add_argument(
        "--origins", type=int, default=1000, help="random origins on the grid for ours alone"
    )
    parser.add_argument("--oracle", type=int, default=20, help="origins checked by the oracle")
    parser.add_argument(
        "--no-fresh",
        action="store_true",
        help="skip the fresh-process study (the centre's --recipe-origins residences)",
    )
    parser.add_argument("--osm-file", type=Path, help="one more network")
    parser.add_argument(
        "--oakland", type=Path, default=SHARED_OSM, help="the West Oakland extract (../shared/data)"
    )
    parser.add_argument(
        "--only", choices=["centre", "oakland", "grid"], help="one network (and no fresh study)"
    )
    parser.add_argument("--workdir", type=Path, help="where the centre is written (default: tmp)")
    parser.add_argument(
        "--scale",
        type=int,
        metavar="N",
        help="only run ours on N random residences of the --size grid (memory/throughput at scale)",
    )
    parser.add_argument("--threads", type=int, default=2, help="worker processes for --scale")
    args = parser.parse_args(argv)
    if args.scale:
        scale(args.size, args.scale, args.threads)
        return
    import os

    print(f"nproc {os.cpu_count()}; load average at start {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        centre = centre_file(workdir, args.blocks)
        files = [(f"dense synthetic centre {args.blocks}×{args.blocks} blocks (合成)", centre)]
        if args.oakland.exists():
            files.append((f"West Oakland (real OSM, {args.oakland.name})", args.oakland))
        else:
            print(f"(West Oakland skipped: {args.oakland} is absent)")
        if args.only:
            files = [f for f in files if (f[1] == centre) == (args.only == "centre")]
            files = [] if args.only == "grid" else files
        if args.osm_file:
            files.append((str(args.osm_file), args.osm_file))
        fresh_rows, fresh_recipe = None, 0.0
        for label, path in files:
            network, every = study_network(path)
            rng = np.random.default_rng(3)
            if len(every) < args.recipe_origins:  # a small extract: points near its streets
                every = random_origins(network, max(args.recipe_origins, 200), seed=3)
                label += f", {len(every)} random origins near streets (all timed for ours alone)"
            else:
                label += f", residences ({len(every):,}, all timed for ours alone)"
            rows = np.sort(rng.choice(len(every), args.recipe_origins, replace=False))
            recipe_cpu = compare(label, network, every.subset(rows), every, args.oracle)
            if path == centre and not args.no_fresh:
                fresh_rows, fresh_recipe = rows, recipe_cpu
        if args.only in (None, "grid"):
            t = time.perf_counter()
            grid = grid_city(args.size)
            print(f"\n(grid city built in {time.perf_counter() - t:.1f} s)")
            snap = random_origins(grid, args.recipe_origins, seed=5)
            many = random_origins(grid, args.origins, seed=7) if args.origins else None
            compare(f"grid city {args.size}×{args.size} (合成)", grid, snap, many, args.oracle)
        if fresh_rows is not None and args.only is None:
            fresh(centre, fresh_rows, fresh_recipe)
    print(f"load average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
