"""Nearest facility of every category: yushu_circle vs networkx, pandana, cityseer, same graphs.

For each size a synthetic city (``synthetic_city.py``) is parsed once through the PBF
fast path and its walk network and snapped residences/facilities are saved; then each
method runs in its own subprocess so its peak memory (``ru_maxrss``) is its own.

What is timed, per size (all default categories):

* **ours** — ``access.walk_minutes_table``: for every residence the walk minutes to the
  nearest facility of every category, with edge snapping (access legs, along-edge
  offsets, a virtual source per category, one compiled multi-source Dijkstra each), the
  reversed adjacency arrays built inside the timing. Loading the compiled kernels from
  numba's cache is reported apart (``kernel_load_s``), as the peers' imports are.
* **networkx** — ``nx.single_source_dijkstra_path_length`` per category on an
  ``nx.Graph`` of the same edges (minutes) from a virtual source joined to the facility
  edges' end nodes with the same offsets — networkx's multi-source Dijkstra — so the
  node minutes are identical to ours and are checked (max abs difference). Graph
  construction is timed separately and the per-residence step is not counted for
  networkx (in its favour).
* **pandana** — ``Network(...)`` (its contraction-hierarchy build, timed separately),
  ``set_pois`` per category (facilities snapped to their nearest node, timed apart) and
  ``nearest_pois(num_pois=1)`` per category (the query), searching up to 30 minutes
  (twice the 15-minute circle; its query cost grows with the radius, ours computes every
  node with no radius). pandana has no edge snapping, so it is checked against our
  ``multi_source_minutes`` from the same nearest nodes with zero offsets, on the nodes
  within the radius. Weights are given in seconds: in minutes pandana's answers were off
  by up to 0.025 min (it rounds weights); in milliseconds its build did not finish.

* **cityseer** — ``io.network_structure_from_nx`` (its Rust ``NetworkStructure``, timed
  apart as *build*) and ``layers.compute_accessibilities`` with one distance (the same 30
  minutes in metres) and ``decay_fn="1"`` for every category (the *query*), which gives each
  node's nearest facility of each category. The arrays keep no edge geometry, so cityseer
  gets straight edges; it joins a facility to the nodes of nearby edges by straight lines
  where ours walks along the edge, so node minutes are compared (median and max abs
  difference) but not required to be equal. Skipped above ``CITYSEER_MAX_NODES``.

Below 50,000 nodes a query takes milliseconds, so every method repeats it (at least 5
times and 0.5 s in all, as ``timeit`` does) and the median is kept (``runs`` says how
many); ours also reports its first run (``first_s``).

Usage::

    python benchmarks/access_peers.py --sizes 1000,10000,100000,1000000 --workdir /tmp/cities
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
NX_MAX_NODES = 1_100_000
_MARK = "RESULT "
_S_PER_MIN = 60.0  # pandana weights in seconds (see the module docstring)
PANDANA_MAX_NODES = 120_000
REPEAT_BELOW_NODES = 50_000
REPEATS_SMALL = 5
REPEATS_MAX = 500
REPEAT_TOTAL_S = 0.5
# pandana's CH build grows to tens of minutes beyond PANDANA_MAX_NODES on 2 cores.
CITYSEER_MAX_NODES = 120_000
PANDANA_HORIZON_MIN = 30.0  # nearest_pois searches up to here (its cost grows with the radius)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def prepare(size: int, workdir: Path) -> dict[str, Any]:
    """Generate (once) and parse a city; save network and snaps arrays as ``.npz``."""
    sys.path.insert(0, str(HERE))
    from synthetic_city import make_city

    from yushu_circle import Study

    pbf = workdir / f"city_{size}.osm.pbf"
    if not pbf.exists():
        make_city(pbf, size, seed=0)
    started = time.perf_counter()
    study = Study.from_osm_file(pbf)
    net = study.network
    res = study.residence_snap
    facs = study.facility_snaps
    load_s = time.perf_counter() - started
    arrays: dict[str, np.ndarray] = {
        "node_xy": net.node_xy,
        "edge_u": net.edge_u,
        "edge_v": net.edge_v,
        "edge_length": net.edge_length,
        "speed_kmh": np.array([net.speed_kmh]),
    }
    for name, snap in [("res", res), *((f"fac_{k}", s) for k, s in facs.items())]:
        for attr in ("edge", "frac", "snap_m", "on_network", "x", "y"):
            arrays[f"{name}__{attr}"] = getattr(snap, attr)
    np.savez(workdir / f"arrays_{size}.npz", **arrays)
    return {
        "size": size,
        "nodes": net.node_count,
        "edges": net.edge_count,
        "residences": len(res),
        "facilities": int(sum(len(s) for s in facs.values())),
        "categories": len(facs),
        "load_s": round(load_s, 2),
        "peak_mib": round(_peak_mib()),
    }


def _load(size: int, workdir: Path) -> tuple[Any, Any, dict[str, Any]]:
    from yushu_circle.network import Snap, WalkNetwork, utm_crs

    data = np.load(workdir / f"arrays_{size}.npz")
    edges = len(data["edge_u"])
    net = WalkNetwork(
        crs=utm_crs(97.0, 33.0),
        node_ids=np.arange(len(data["node_xy"])),
        node_xy=data["node_xy"],
        edge_u=data["edge_u"],
        edge_v=data["edge_v"],
        edge_length=data["edge_length"],
        edge_geometry=np.empty(edges, dtype=object),
        edge_highway=np.full(edges, "", dtype=object),
        speed_kmh=float(data["speed_kmh"][0]),
    )
    fields = ("edge", "frac", "snap_m", "on_network", "x", "y")
    res = Snap(*(data[f"res__{f}"] for f in fields))
    keys = sorted({k.split("__")[0][4:] for k in data.files if k.startswith("fac_")})
    facs = {k: Snap(*(data[f"fac_{k}__{f}"] for f in fields)) for k in keys}
    return net, res, facs


def _virtual_sources(net: Any, snap: Any) -> tuple[np.ndarray, np.ndarray]:
    """Start nodes and minutes of a search *to* the facilities: the one edge-end rule."""
    from yushu_circle.access import point_sources

    return point_sources(net, snap, toward=True)


def _timed(nodes: int, run: Callable[[], Any]) -> list[float]:
    """Seconds per call of ``run``: once on a big network; on a small one (milliseconds)
    at least ``REPEATS_SMALL`` times and ``REPEAT_TOTAL_S`` seconds in all, as timeit does."""
    times: list[float] = []
    while not times or (
        nodes < REPEAT_BELOW_NODES
        and (len(times) < REPEATS_SMALL or sum(times) < REPEAT_TOTAL_S)
        and len(times) < REPEATS_MAX
    ):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def _warm_up() -> float:
    """Load our compiled kernels (numba's on-disk cache) on a two-node network; seconds."""
    from yushu_circle.access import walk_minutes_table
    from yushu_circle.network import Snap, WalkNetwork, utm_crs

    started = time.perf_counter()
    net = WalkNetwork(
        crs=utm_crs(97.0, 33.0),
        node_ids=np.arange(2),
        node_xy=np.array([[0.0, 0.0], [100.0, 0.0]]),
        edge_u=np.array([0]),
        edge_v=np.array([1]),
        edge_length=np.array([100.0]),
        edge_geometry=np.empty(1, dtype=object),
        edge_highway=np.full(1, "", dtype=object),
    )
    one = Snap(np.array([0]), np.array([0.5]), np.array([1.0]), np.array([True]), *np.zeros((2, 1)))
    walk_minutes_table(net, one, {"a": one, "b": one})
    return time.perf_counter() - started


def run_ours(size: int, workdir: Path) -> dict[str, Any]:
    """Our nearest-facility minutes for every residence and category."""
    from yushu_circle.access import multi_source_minutes, walk_minutes_table

    net, res, facs = _load(size, workdir)
    # Kernel loading is reported apart, as networkx's and pandana's imports are not timed.
    warm_s = _warm_up()
    tables = []

    def run() -> None:
        net._csr.clear()  # every run builds its own adjacency arrays
        tables.append(walk_minutes_table(net, res, facs))
        del tables[:-1]

    times = _timed(net.node_count, run)
    table = tables[-1]
    csr = net.csr(reverse=True)
    node_minutes = {
        k: multi_source_minutes(csr, *_virtual_sources(net, s)) for k, s in facs.items()
    }
    np.savez(workdir / f"ours_nodes_{size}.npz", **node_minutes)
    return {
        "method": "ours",
        "query_s": round(float(np.median(times)), 4),
        "first_s": round(times[0], 4),
        "runs": len(times),
        "kernel_load_s": round(warm_s, 3),
        "finite_share": float(np.isfinite(table.to_numpy()).mean()),
        "peak_mib": round(_peak_mib()),
    }


def run_networkx(size: int, workdir: Path) -> dict[str, Any]:
    """networkx multi-source Dijkstra per category from the same virtual source."""
    import networkx as nx

    net, _, facs = _load(size, workdir)
    started = time.perf_counter()
    graph = nx.Graph()
    graph.add_nodes_from(range(net.node_count))
    weights = np.minimum(net.time_uv, net.time_vu)
    graph.add_weighted_edges_from(
        zip(net.edge_u.tolist(), net.edge_v.tolist(), weights.tolist(), strict=True)
    )
    build_s = time.perf_counter() - started
    ours = np.load(workdir / f"ours_nodes_{size}.npz")
    sources = {key: _virtual_sources(net, snap) for key, snap in facs.items()}
    lengths_per_key: dict[str, dict[int, float]] = {}

    def run() -> None:
        for key, (nodes, start) in sources.items():
            if len(nodes) == 0:
                continue
            source = -1
            graph.add_node(source)
            best: dict[int, float] = {}
            for n, m in zip(nodes.tolist(), start.tolist(), strict=True):
                best[n] = min(m, best.get(n, np.inf))
            graph.add_weighted_edges_from((source, n, m) for n, m in best.items())
            lengths_per_key[key] = nx.single_source_dijkstra_path_length(graph, source)
            graph.remove_node(source)

    times = _timed(net.node_count, run)
    worst = 0.0
    for key, lengths in lengths_per_key.items():
        minutes = np.full(net.node_count, np.inf)
        idx = np.fromiter((k for k in lengths if k >= 0), np.int64)
        minutes[idx] = [lengths[int(k)] for k in idx]
        finite = np.isfinite(ours[key])
        worst = max(worst, float(np.max(np.abs(minutes[finite] - ours[key][finite]))))
        if (np.isfinite(minutes) != finite).any():
            worst = float("inf")
    return {
        "method": "networkx",
        "build_s": round(build_s, 3),
        "query_s": round(float(np.median(times)), 4),
        "runs": len(times),
        "max_abs_diff_min": worst,
        "peak_mib": round(_peak_mib()),
    }


def run_pandana(size: int, workdir: Path) -> dict[str, Any]:
    """pandana contraction hierarchy + nearest_pois per category (node-snapped)."""
    import pandana
    import pandas as pd

    from yushu_circle.access import multi_source_minutes

    net, _, facs = _load(size, workdir)
    weights = np.minimum(net.time_uv, net.time_vu)
    started = time.perf_counter()
    pnet = pandana.Network(
        pd.Series(net.node_xy[:, 0]),
        pd.Series(net.node_xy[:, 1]),
        pd.Series(net.edge_u),
        pd.Series(net.edge_v),
        pd.DataFrame({"s": weights * _S_PER_MIN}),
        twoway=True,
    )
    build_s = time.perf_counter() - started
    csr = net.csr(reverse=True)
    set_s = 0.0
    worst = 0.0
    horizon = PANDANA_HORIZON_MIN
    check: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for key, snap in facs.items():
        ok = snap.on_network
        if not ok.any():
            continue
        t0 = time.perf_counter()
        pnet.set_pois(key, horizon * _S_PER_MIN, 1, pd.Series(snap.x[ok]), pd.Series(snap.y[ok]))
        set_s += time.perf_counter() - t0
        poi_nodes = pnet.get_node_ids(pd.Series(snap.x[ok]), pd.Series(snap.y[ok])).to_numpy()
        reference = multi_source_minutes(csr, poi_nodes, np.zeros(len(poi_nodes)))
        check[key] = (poi_nodes, reference)
    results: dict[str, Any] = {}

    def run() -> None:
        for key in check:
            results[key] = pnet.nearest_pois(horizon * _S_PER_MIN, key, num_pois=1)

    times = _timed(net.node_count, run)
    for key, (_, reference) in check.items():
        got = results[key][1].to_numpy() / _S_PER_MIN
        within = reference < horizon - 1e-6
        worst = max(worst, float(np.max(np.abs(got[within] - reference[within]))))
        if np.any(got[~within] < horizon - 1e-3):  # pandana found one where we found none
            worst = float("inf")
    return {
        "method": "pandana",
        "build_s": round(build_s, 3),
        "set_pois_s": round(set_s, 3),
        "query_s": round(float(np.median(times)), 4),
        "runs": len(times),
        "max_abs_diff_min": worst,
        "horizon_min": round(horizon, 1),
        "peak_mib": round(_peak_mib()),
    }


def run_cityseer(size: int, workdir: Path) -> dict[str, Any]:
    """cityseer's Rust core: ``compute_accessibilities`` nearest distance per category."""
    import geopandas as gpd
    import networkx as nx
    import shapely
    from cityseer.metrics import layers
    from cityseer.tools import io

    net, _, facs = _load(size, workdir)
    started = time.perf_counter()
    graph = nx.MultiGraph()
    xy = net.node_xy
    for i, (x, y) in enumerate(xy.tolist()):
        graph.add_node(str(i), x=x, y=y)
    for u, v in zip(net.edge_u.tolist(), net.edge_v.tolist(), strict=True):
        if u != v:  # cityseer drops self-loops; straight edges (the arrays keep no geometry)
            graph.add_edge(str(u), str(v), geom=shapely.LineString([xy[u], xy[v]]))
    graph.graph["crs"] = net.crs
    nodes_gdf, _, structure = io.network_structure_from_nx(graph)
    build_s = time.perf_counter() - started
    keys, points = [], []
    for key, snap in facs.items():
        ok = snap.on_network
        keys += [key] * int(ok.sum())
        points.append(shapely.points(snap.x[ok], snap.y[ok]))
    data = gpd.GeoDataFrame(
        {"category": keys}, geometry=np.concatenate(points), crs=net.crs
    ).reset_index(names="uid")
    horizon_m = PANDANA_HORIZON_MIN * net.metres_per_minute
    present = sorted(set(keys))
    out: dict[str, Any] = {}

    def run() -> None:
        out["nodes"] = layers.compute_accessibilities(
            data,
            "category",
            present,
            nodes_gdf.copy(),
            structure,
            distances=[int(horizon_m)],
            decay_fn="1",
        )

    times = _timed(net.node_count, run)
    # Agreement: cityseer's nearest distance per node against ours from the same virtual
    # sources (cityseer joins a point to the nodes of its nearest edges by straight lines,
    # ours walks its edge, so small differences are expected; reported, not asserted).
    ours = np.load(workdir / f"ours_nodes_{size}.npz")
    index = nodes_gdf.index.to_numpy().astype(np.int64)
    diffs = []
    for key in present:
        got = out["nodes"][f"cc_{key}_nearest_max_{int(horizon_m)}"].to_numpy() / (
            net.metres_per_minute
        )
        mine = ours[key][index]
        both = np.isfinite(got) & np.isfinite(mine) & (mine < PANDANA_HORIZON_MIN)
        diffs.append(np.abs(got[both] - mine[both]))
    diff = np.concatenate(diffs)
    return {
        "method": "cityseer",
        "build_s": round(build_s, 3),
        "query_s": round(float(np.median(times)), 4),
        "runs": len(times),
        "max_abs_diff_min": float(diff.max()) if len(diff) else float("nan"),
        "median_abs_diff_min": float(np.median(diff)) if len(diff) else float("nan"),
        "horizon_min": PANDANA_HORIZON_MIN,
        "peak_mib": round(_peak_mib()),
    }


def _subprocess(step: str, size: int, workdir: Path) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--step", step]
    command += ["--size", str(size), "--workdir", str(workdir)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"method": step, "error": done.stderr.strip().splitlines()[-1:]}
    last = done.stdout[done.stdout.rfind(_MARK) + len(_MARK) :].splitlines()[0]
    result: dict[str, Any] = json.loads(last)
    return result


def main(argv: list[str] | None = None) -> None:
    """Run the comparison, print a table, write JSON and a log-log PNG."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--workdir", default="/tmp/cities")
    parser.add_argument("--out", default=str(HERE / "results"))
    parser.add_argument("--step", choices=["prepare", "ours", "networkx", "pandana", "cityseer"])
    parser.add_argument("--plot-only", action="store_true", help="redraw the PNG from the JSON")
    parser.add_argument("--size", type=int)
    args = parser.parse_args(argv)
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    if args.step:
        steps = {"prepare": prepare, "ours": run_ours, "networkx": run_networkx}
        steps["pandana"] = run_pandana
        steps["cityseer"] = run_cityseer
        print(_MARK + json.dumps(steps[args.step](args.size, workdir)))
        return
    out = Path(args.out)
    if args.plot_only:
        _plot(json.loads((out / "access_peers.json").read_text()), out / "access_peers.png")
        return
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        row: dict[str, Any] = {"prepare": _subprocess("prepare", size, workdir)}
        nodes = row["prepare"].get("nodes", size)
        row["ours"] = _subprocess("ours", size, workdir)
        if nodes <= NX_MAX_NODES:
            row["networkx"] = _subprocess("networkx", size, workdir)
        if nodes <= PANDANA_MAX_NODES:
            row["pandana"] = _subprocess("pandana", size, workdir)
        if nodes <= CITYSEER_MAX_NODES:
            row["cityseer"] = _subprocess("cityseer", size, workdir)
        rows.append(row)
        _print_row(row)
    out.mkdir(parents=True, exist_ok=True)
    (out / "access_peers.json").write_text(json.dumps(rows, indent=2) + "\n")
    _plot(rows, out / "access_peers.png")


def _print_row(row: dict[str, Any]) -> None:
    prep = row["prepare"]
    ours = row["ours"]
    line = [
        f"nodes {prep.get('nodes', '?'):>9,}  edges {prep.get('edges', 0):>9,}  "
        f"residences {prep.get('residences', 0):>9,}  load {prep.get('load_s', '?')} s",
        f"  ours      all categories {ours.get('query_s')} s (median of {ours.get('runs')}, "
        f"first {ours.get('first_s')} s)  peak {ours.get('peak_mib')} MiB"
        f"  (kernel load, once per process: {ours.get('kernel_load_s')} s)",
    ]
    for peer in ("networkx", "pandana", "cityseer"):
        if peer not in row:
            line.append(f"  {peer:9s} skipped at this size")
            continue
        r = row[peer]
        if "error" in r:
            line.append(f"  {peer:9s} error {r['error']}")
            continue
        ratio = r["query_s"] / ours["query_s"] if ours.get("query_s") else float("nan")
        line.append(
            f"  {peer:9s} build {r['build_s']} s  query {r['query_s']} s (median of {r['runs']})  "
            f"peak {r['peak_mib']} MiB  query/ours {ratio:.1f}x  "
            f"max |diff| {r['max_abs_diff_min']:.2e} min"
            + (f" (median {r['median_abs_diff_min']:.2e})" if "median_abs_diff_min" in r else "")
        )
    print("\n".join(line), flush=True)


def _plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    cjk = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")  # Debian fonts-wqy-microhei
    if cjk.exists():
        font_manager.fontManager.addfont(str(cjk))
        plt.rcParams["font.sans-serif"] = ["WenQuanYi Micro Hei", "DejaVu Sans"]
    fig, ax = plt.subplots(figsize=(7, 5))
    series = {
        "yushu_circle (all categories, edge-snapped)": ("ours", "query_s"),
        "networkx multi-source Dijkstra": ("networkx", "query_s"),
        "networkx graph build": ("networkx", "build_s"),
        "pandana nearest_pois (query)": ("pandana", "query_s"),
        "pandana CH build": ("pandana", "build_s"),
        "cityseer compute_accessibilities (query)": ("cityseer", "query_s"),
        "cityseer NetworkStructure build": ("cityseer", "build_s"),
    }
    for label, (method, key) in series.items():
        xs = [r["prepare"]["nodes"] for r in rows if key in r.get(method, {})]
        ys = [r[method][key] for r in rows if key in r.get(method, {})]
        if xs:
            ax.plot(xs, ys, marker="o", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("walk-network nodes 路网节点数")
    ax.set_ylabel("seconds 秒")
    ax.set_title(
        "Nearest facility, every category 各类设施最近步行时间 (synthetic cities 合成城市)"
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
