"""What-if recompute time of the in-browser engine (render/js/) in headless Chromium.

For the demo (示例, synthetic) and for synthetic cities (合成城市, ``synthetic_city.py``):
builds the study and its network payload, opens a minimal harness page carrying the payload
and the engine (network cut), and times inside the page, with ``performance.now()``:

* ``load``: decoding the payload into typed arrays and the adjacency;
* ``first add``: the first ``addFacility('kindergarten', lon, lat)`` on a fresh engine;
* ``add``: ``yushuMap.addFacility('kindergarten', lon, lat)`` — snapping the point, one
  multi-source search, every residence's minutes and the new table (median of runs; the
  untouched categories' rows are the study's own, carried in the payload);
* ``remove``: ``yushuMap.removeFacility(id)`` of one of the study's kindergartens (median
  of runs; removing an added one again gives back the study's own table, no search);
* ``snap``: the snapping alone, so ``add − snap`` is the recompute;
* ``all categories``: the whole table computed in the page (17 searches), for scale;
* ``python add``: the same what-if in Python's compiled kernels, in the same run (the
  ratio ``page_vs_python`` is what to compare across machines);
* on the **real map page** (``map.html`` as ``write_study`` writes it, engine embedded):
  its size, the time from opening it to ``yushuMapReady``, and ``map add`` / ``map
  remove`` — ``yushuMap.addFacility`` / ``removeFacility`` as the what-if panel calls them:
  the engine's recompute plus every residence's colour, the streets, the filter and the
  coverage table redrawn (median of runs). ``map_engine`` says whether the page carried the
  engine (false: past the 15 MB page budget, the precomputed view).

Usage::

    python benchmarks/synthetic_city.py --nodes 56000 --out /tmp/cities/city_56000.osm.pbf
    python benchmarks/whatif_browser.py --demo --city /tmp/cities/city_56000.osm.pbf
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from yushu_circle import Study, write_study
from yushu_circle.access import minutes_to_nearest
from yushu_circle.network import Snap
from yushu_circle.render.network_payload import engine_page
from yushu_circle.results.engine import network_payload, payload_json

DEMO_BUDGET_MB = 3.0
CITY_BUDGET_MB = 15.0

_TIMING = """
const [points, repeat] = arguments;
const text = document.getElementById('yushu-network').textContent;
const t0 = performance.now();
const e = yushuEngine.createEngine(JSON.parse(text));
const t1 = performance.now();
e.addFacility('kindergarten', ...points[0], {id: 'bench-first'});
const t2 = performance.now();
e.reset();
const own = e.facilitiesOf('kindergarten').filter(f => !f.added).map(f => f.id);
const add = [], remove = [], snap = [];
for (let r = 0; r < repeat; r++) {
  const [lon, lat] = points[r % points.length];
  let a = performance.now();
  e.snap(lon, lat);
  snap.push(performance.now() - a);
  a = performance.now();
  e.addFacility('kindergarten', lon, lat, {id: 'bench-' + r});
  add.push(performance.now() - a);
  e.removeFacility('bench-' + r);
  a = performance.now();
  e.removeFacility(own[r % own.length]);
  remove.push(performance.now() - a);
  e.reset();
}
const bare = JSON.parse(text);
bare.coverage = null;
const t3 = performance.now();
yushuEngine.createEngine(bare).coverage();
const t4 = performance.now();
return {load: t1 - t0, first: t2 - t1, all: t4 - t3, add, remove, snap,
        nodes: e.network.nodeCount, edges: e.network.edgeCount,
        residences: e.network.residences.count};
"""


_MAP_TIMING = """
const [points, repeat] = arguments;
const own = yushuMap.engine.facilitiesOf('kindergarten').filter(f => !f.added).map(f => f.id);
let a = performance.now();
yushuMap.addFacility('kindergarten', ...points[0]);
const first = performance.now() - a;
yushuMap.reset();
const add = [], remove = [];
for (let r = 0; r < repeat; r++) {
  a = performance.now();
  yushuMap.addFacility('kindergarten', ...points[r % points.length]);
  add.push(performance.now() - a);
  yushuMap.reset();
  a = performance.now();
  yushuMap.removeFacility(own[r % own.length]);
  remove.push(performance.now() - a);
  yushuMap.reset();
}
return {first, add, remove};
"""


def _map_page(
    study: Study, workdir: Path, name: str, points: list[list[float]], repeat: int
) -> dict:
    """The real map.html: size, open time, and what-if through the page's hooks."""
    out = workdir / f"{name}_out"
    write_study(study, out, isochrones=False)
    path = out / "map.html"
    size = path.stat().st_size
    driver = _browser()
    try:
        start = time.perf_counter()
        driver.get(path.as_uri())
        while not driver.execute_script("return window.yushuMapReady === true"):
            time.sleep(0.05)
        open_s = time.perf_counter() - start
        live = driver.execute_script("return typeof yushuMap.addFacility === 'function'")
        timing = driver.execute_script(_MAP_TIMING, points, repeat) if live else None
    finally:
        driver.quit()
    row: dict[str, Any] = {
        "map_page_mb": round(size / 1e6, 3),
        "map_engine": bool(live),
        "map_open_s": round(open_s, 2),
    }
    if timing:
        row.update(
            map_first_add_ms=round(timing["first"], 1),
            map_add_ms_median=round(statistics.median(timing["add"]), 1),
            map_add_ms_max=round(max(timing["add"]), 1),
            map_remove_ms_median=round(statistics.median(timing["remove"]), 1),
        )
    return row


def _browser() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--proxy-server=http://127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={tempfile.mkdtemp(prefix='yc-whatif-')}",
    ):
        options.add_argument(flag)
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_script_timeout(600)
    driver.set_window_size(1280, 900)
    return driver


def _python_whatif_ms(study: Study, points: list[list[float]]) -> float:
    """The same what-if in Python (compiled kernels), median ms: snap the new point, then
    every residence's minutes to the kindergartens plus it (``minutes_to_nearest``)."""
    network = study.network
    base = study.facility_snaps["kindergarten"]
    minutes_to_nearest(network, study.residence_snap, base)  # compiled kernels loaded
    times = []
    for lon, lat in points:
        start = time.perf_counter()
        x, y = network.to_projected(np.array([lon]), np.array([lat]))
        new = network.snap(x, y, study.options.snap_limit_m)
        both = Snap(*(np.concatenate([getattr(base, f), getattr(new, f)]) for f in _FIELDS))
        minutes_to_nearest(network, study.residence_snap, both)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


_FIELDS = ("edge", "frac", "snap_m", "on_network", "x", "y")


def measure(study: Study, name: str, budget_mb: float, repeat: int, workdir: Path) -> dict:
    """Payload size and in-page timings of one study."""
    start = time.perf_counter()
    payload = payload_json(
        network_payload(
            study.network,
            study.residences,
            study.residence_snap,
            study.facilities,
            study.facility_snaps,
            study.catalog,
            snap_limit_m=study.options.snap_limit_m,
            synthetic=study.synthetic,
            coverage=study.summary(),
        )
    )
    payload_bytes = len(payload.encode())
    page = engine_page(payload)
    build_s = time.perf_counter() - start
    path = workdir / f"{name}.html"
    path.write_text(page, encoding="utf-8")
    west, south, east, north = study.network.edges_frame().total_bounds
    rng = np.random.default_rng(0)
    points = [
        [float(rng.uniform(west, east)), float(rng.uniform(south, north))] for _ in range(repeat)
    ]
    python_ms = _python_whatif_ms(study, points)
    driver = _browser()
    try:
        driver.get(path.as_uri())
        while not driver.execute_script("return window.engineReady === true"):
            time.sleep(0.05)
        timing = driver.execute_script(_TIMING, points, repeat)
    finally:
        driver.quit()
    page_bytes = len(page.encode())
    add = statistics.median(timing["add"])
    snap = statistics.median(timing["snap"])
    return {
        "study": name,
        "nodes": timing["nodes"],
        "edges": timing["edges"],
        "residences": timing["residences"],
        "payload_mb": round(payload_bytes / 1e6, 3),
        "harness_page_mb": round(page_bytes / 1e6, 3),
        "bytes_per_edge": round(payload_bytes / timing["edges"], 1),
        "budget_mb": budget_mb,
        "python_build_s": round(build_s, 2),
        "load_ms": round(timing["load"], 1),
        "first_add_ms": round(timing["first"], 1),
        "all_categories_ms": round(timing["all"], 1),
        "add_ms_median": round(add, 2),
        "snap_ms_median": round(snap, 2),
        "recompute_ms_median": round(add - snap, 2),
        "remove_ms_median": round(statistics.median(timing["remove"]), 2),
        "python_add_ms_median": round(python_ms, 2),
        "page_vs_python": round(add / python_ms, 1),
        "add_ms_max": round(max(timing["add"]), 2),
        "runs": repeat,
        **_map_page(study, workdir, name, points, repeat),
    }


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--demo", action="store_true", help="the embedded demo (示例)")
    parser.add_argument("--city", type=Path, action="append", default=[], help=".osm.pbf")
    parser.add_argument("--repeat", type=int, default=15, help="what-if runs per study")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="yc-whatif-") as tmp:
        workdir = Path(tmp)
        studies: list[tuple[str, Any, float]] = []
        if args.demo:
            studies.append(("demo", Study.demo, DEMO_BUDGET_MB))
        for city in args.city:
            studies.append((city.stem, lambda c=city: Study.from_osm_file(c), CITY_BUDGET_MB))
        for name, make, budget in studies:
            study = make()
            study.access()
            row = measure(study, name, budget, args.repeat, workdir)
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    return rows


if __name__ == "__main__":
    main()
