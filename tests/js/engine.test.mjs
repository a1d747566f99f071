// The engine on hand-built graphs with known answers, and on random graphs against a
// brute-force oracle (Floyd–Warshall over the same edge-end rule).

import { test } from "node:test";
import assert from "node:assert/strict";

import { createEngine, percentile } from "../../yushu_circle/render/js/engine.mjs";
import { decodePayload, encodeTyped, decodeTyped } from "../../yushu_circle/render/js/payload.mjs";
import { greatCircle, lineLength, utmForward } from "../../yushu_circle/render/js/geo.mjs";
import { MinHeap, search } from "../../yushu_circle/render/js/search.mjs";
import { payload, randomGraph, rng } from "./graphs.mjs";

const close = (a, b, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

// A path 0 — 1 — 2 — 3 (100 m apart, east) with a spur 1 — 4 (north), given minutes.
function pathGraph(extra = {}) {
  return payload({
    nodes: [[0, 0], [100, 0], [200, 0], [300, 0], [100, 100]],
    edges: [
      { u: 0, v: 1, tuv: 10, tvu: 10 },
      { u: 1, v: 2, tuv: 10, tvu: 10 },
      { u: 2, v: 3, tuv: 2, tvu: 8 }, // uphill one way
      { u: 1, v: 4, tuv: 5, tvu: 5 },
    ],
    residences: [
      { id: "r0", edge: 0, frac: 0.25, access: 1, at: [25, -20] },
      { id: "r1", edge: 2, frac: 0.5, access: 0, at: [250, -10] },
      { id: "off", edge: -1, frac: 0, access: 0, at: [5000, 5000] },
    ],
    facilities: [
      { id: "k1", category: "kindergarten", edge: 2, frac: 0.5, access: 0.5, at: [250, 5] },
      { id: "c1", category: "clinic", edge: 3, frac: 1, access: 0, at: [100, 100] },
    ],
    ...extra,
  });
}

test("typed arrays round-trip through base64", () => {
  const back = decodeTyped(encodeTyped([1.5, -2, 3e6], "float32"));
  assert.deepEqual(Array.from(back), [1.5, -2, 3e6]);
  assert.deepEqual(Array.from(decodeTyped(encodeTyped([-7, 2 ** 31 - 1], "int32"))), [-7, 2 ** 31 - 1]);
});

test("the heap pops in order", () => {
  const next = rng(1);
  const heap = new MinHeap(2);
  const keys = Array.from({ length: 500 }, () => next());
  keys.forEach((k, i) => heap.push(k, i));
  const out = [];
  while (heap.size) {
    out.push(heap.keys[0]);
    heap.pop();
  }
  assert.deepEqual(out, [...keys].sort((a, b) => a - b));
});

test("minutes on a path graph: the edge-end rule, asymmetric edges, same edge", () => {
  const engine = createEngine(pathGraph());
  // r0: 1 access + 0.75 × 10 to node 1 + 10 to node 2 + 0.5 × 2 (2 → 3 is 2 min) + 0.5 = 20.
  close(engine.minutesFrom("r0", "kindergarten"), 1 + 7.5 + 10 + 1 + 0.5);
  // r1 stands on the kindergarten's edge at the same place: only the access leg.
  close(engine.minutesFrom("r1", "kindergarten"), 0.5);
  // r1 → clinic at node 4: back along 2 → 3 reversed (v → u, 8 min) half, 10, 5.
  close(engine.minutesFrom("r1", "clinic"), 4 + 10 + 5);
  close(engine.minutesFrom("r0", "clinic"), 1 + 7.5 + 5);
  assert.equal(engine.minutesFrom("off", "clinic"), null);
});

test("a closed direction is never walked, and a zero share of it costs nothing", () => {
  const p = pathGraph();
  p.edges.time_vu = new Float32Array([10, Infinity, 8, 5]);
  const engine = createEngine(p);
  // From r0 the kindergarten needs 1 → 2 forward (open): unchanged.
  close(engine.minutesFrom("r0", "kindergarten"), 20);
  // From r1 the clinic needs 2 → 1, closed now: unreachable.
  assert.equal(engine.minutesFrom("r1", "clinic"), null);
});

test("route: minutes, ends, and length / speed on a length-timed graph", () => {
  const mpm = 4000 / 60;
  const engine = createEngine(
    payload({
      nodes: [[0, 0], [100, 0], [200, 50], [200, 300]],
      edges: [
        { u: 0, v: 1 },
        { u: 2, v: 1, via: [[150, 0], [200, 10]] }, // drawn v → u, bent
        { u: 2, v: 3 },
      ],
      residences: [{ id: "a", edge: 0, frac: 0.3, access: 20 / mpm, at: [30, -20] }],
      facilities: [{ id: "f", category: "clinic", edge: 2, frac: 0.4, access: 10 / mpm, at: [190, 150] }],
      mpm,
    }),
  );
  const route = engine.routeFrom("a", "clinic");
  close(route.minutes, engine.minutesFrom("a", "clinic"), 1e-12);
  assert.deepEqual(route.lonlat[0], [engine.network.residences.lon[0], engine.network.residences.lat[0]]);
  assert.deepEqual(route.lonlat.at(-1), [engine.network.facilities.lon[0], engine.network.facilities.lat[0]]);
  assert.equal(route.facility, "f");
  // The access legs in the payload are 20 m and 10 m; the drawn legs are the straight
  // lines to the snapped points, so compare the network part.
  const first = route.lonlat.slice(1, -1);
  const networkMinutes = lineLength(first) / mpm;
  close(networkMinutes + 30 / mpm, route.minutes, 1e-4);
});

test("route to a facility on the residence's own edge is the stretch between them", () => {
  const engine = createEngine(pathGraph());
  const route = engine.routeFrom("r1", "kindergarten");
  close(route.minutes, 0.5);
  assert.equal(route.lonlat.length, 3); // residence, its snapped point (= the facility's), facility
});

// Random connected graphs, asymmetric times, against Floyd–Warshall.
function randomCase(seed) {
  const next = rng(seed);
  const { nodes, edges } = randomGraph(next, { minNodes: 8, extraNodes: 12, extent: 1000 });
  const pick = (count, make) =>
    Array.from({ length: count }, (_, i) => {
      const edge = Math.floor(next() * edges.length);
      return make(i, edge, next(), next() * 2);
    });
  const residences = pick(10, (i, edge, frac, access) => ({ id: `r${i}`, edge, frac, access, at: [0, 0] }));
  const facilities = pick(3, (i, edge, frac, access) => ({ id: `f${i}`, category: "park", edge, frac, access, at: [0, 0] }));
  return { nodes, edges, residences, facilities };
}

function floyd(n, edges) {
  const d = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 0 : Infinity)));
  for (const e of edges) {
    if (e.u === e.v) continue;
    d[e.u][e.v] = Math.min(d[e.u][e.v], Math.fround(e.tuv));
    d[e.v][e.u] = Math.min(d[e.v][e.u], Math.fround(e.tvu));
  }
  for (let k = 0; k < n; k++)
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) d[i][j] = Math.min(d[i][j], d[i][k] + d[k][j]);
  return d;
}

// Residence → facility by enumeration: leave the residence's edge at either end (or walk
// along it when they share it), any node path, enter the facility's edge at either end.
function oracle(c, r, f) {
  const d = floyd(c.nodes.length, c.edges);
  const part = (s, m) => (s > 0 ? s * m : 0);
  const er = c.edges[r.edge];
  const ef = c.edges[f.edge];
  const tr = [Math.fround(er.tuv), Math.fround(er.tvu)];
  const tf = [Math.fround(ef.tuv), Math.fround(ef.tvu)];
  const fr = Math.fround(r.frac);
  const ff = Math.fround(f.frac);
  const leave = [[er.u, part(fr, tr[1])], [er.v, part(1 - fr, tr[0])]];
  const enter = [[ef.u, part(ff, tf[0])], [ef.v, part(1 - ff, tf[1])]];
  let best = Infinity;
  for (const [a, ta] of leave) for (const [b, tb] of enter) best = Math.min(best, ta + d[a][b] + tb);
  if (r.edge === f.edge) best = Math.min(best, ff >= fr ? part(ff - fr, tr[0]) : part(fr - ff, tr[1]));
  return Math.fround(r.access) + best + Math.fround(f.access);
}

test("random graphs: minutes to the nearest facility equal the brute-force oracle", () => {
  for (let seed = 1; seed <= 40; seed++) {
    const c = randomCase(seed);
    const engine = createEngine(payload({ ...c, categories: ["park"] }));
    for (const r of c.residences) {
      const expected = Math.min(...c.facilities.map((f) => oracle(c, r, f)));
      const got = engine.minutesFrom(r.id, "park");
      if (expected === Infinity) assert.equal(got, null, `seed ${seed} ${r.id}`);
      else close(got, expected, 1e-9);
      const route = engine.routeFrom(r.id, "park");
      if (expected < Infinity) close(route.minutes, expected, 1e-9);
    }
  }
});

test("random graphs: forward and reversed node searches equal Floyd–Warshall", () => {
  for (let seed = 100; seed < 120; seed++) {
    const c = randomCase(seed);
    const net = decodePayload(payload({ ...c, categories: ["park"] }));
    const d = floyd(c.nodes.length, c.edges);
    const fwd = search(net, [0], [0]);
    const back = search(net, [0], [0], { reverse: true });
    for (let x = 0; x < c.nodes.length; x++) {
      assert.equal(fwd.dist[x], d[0][x]);
      assert.equal(back.dist[x], d[x][0]);
    }
    const bounded = search(net, [0], [0], { limit: 5 });
    for (let x = 0; x < c.nodes.length; x++) assert.equal(bounded.dist[x], d[0][x] <= 5 ? d[0][x] : Infinity);
  }
});

test("reach: whole, partial and own-edge pieces within each threshold", () => {
  const engine = createEngine(pathGraph());
  // r0 on edge 0 at 0.25, access 1: budgets 4, 9, 14.
  const { levels } = engine.reach("r0");
  // 5 min: own edge from 0.25 − 4/10 → 0 to 0.25 + 4/10 = 0.65; node 0 (2.5 min) reached.
  assert.equal(levels[0].pieces.length, 1);
  assert.equal(levels[0].pieces[0][0], 0);
  assert.equal(levels[0].pieces[0][1], 0);
  close(levels[0].pieces[0][2], 0.65, 1e-7);
  assert.deepEqual(levels[0].nodes, [0]);
  // 10 min: node 0 at 2.5, node 1 at 7.5; edge 0 whole; 1.5 min into edges 1 and 3.
  assert.deepEqual(levels[1].nodes, [0, 1]);
  const p10 = levels[1].pieces;
  assert.equal(p10.length, 3);
  assert.deepEqual(p10[0], [0, 0, 1]);
  assert.equal(p10[1][0], 1);
  close(p10[1][2], 0.15, 1e-12);
  assert.equal(p10[2][0], 3);
  close(p10[2][2], 0.3, 1e-12);
  // 15 min: node 4 at 12.5 reached, node 2 at 17.5 not.
  assert.deepEqual(levels[2].nodes, [0, 1, 4]);
  assert.equal(levels[2].lines.length, levels[2].pieces.length);
  // Thresholds nest.
  for (const [e, , hi] of levels[1].pieces) {
    assert.ok(levels[2].pieces.some(([e2, , hi2]) => e2 === e && hi2 >= hi));
  }
});

test("UTM projection matches pyproj (EPSG:32647, 32733) to a millimetre", () => {
  const cases = [
    [97.01, 33.0, 47, false, 314087.1676947635, 3653045.7773115854],
    [96.2, 32.9, 47, false, 238097.93926600373, 3643678.738764232],
    [101.9, 34.2, 47, false, 767221.770731041, 3788135.0590207907],
    [13.4, -8.8, 33, true, 324020.14269021095, 9026883.165111912],
  ];
  for (const [lon, lat, zone, south, x, y] of cases) {
    const [px, py] = utmForward(lon, lat, zone, south);
    close(px, x, 1e-3);
    close(py, y, 1e-3);
  }
});

test("snapping a clicked point: perpendicular foot, clamped ends, nearest edge, access leg", () => {
  const engine = createEngine(pathGraph());
  const net = engine.network;
  const [lon, lat] = engine.pointAt(1, 0.3); // on edge 1, 30 % from node 1
  const on = engine.snap(lon, lat);
  assert.equal(on.edge, 1);
  close(on.frac, 0.3, 1e-4);
  assert.ok(on.snapM < 0.05);
  // 40 m north of edge 1's middle is nearer to it than to the spur (100 m west).
  const mid = engine.pointAt(1, 0.5);
  const north = engine.snap(mid[0], mid[1] + 40 / 110946);
  assert.equal(north.edge, 1);
  close(north.frac, 0.5, 1e-3);
  close(north.snapM, 40, 0.5);
  // Beyond the east end: clamped to node 3 (frac 1 of edge 2), distance to the node.
  const east = engine.snap(net.nodeLon[3] + 50 / 93000, net.nodeLat[3]);
  assert.equal(east.edge, 2);
  assert.equal(east.frac, 1);
  close(east.snapM, 50, 1);
  assert.equal(engine.snap(net.nodeLon[3] + 1, net.nodeLat[3]).onNetwork, false);
});

test("what-if: add, remove, reset and the coverage table", () => {
  const engine = createEngine(pathGraph());
  const before = engine.coverage();
  // kindergarten: r0 20 min, r1 0.5 min, off: none. Within 15 min: r1 only.
  close(before.kindergarten.share_res_15min, 1 / 3, 1e-12);
  close(before.kindergarten.share_pop_15min, 1 / 3, 1e-12);
  assert.equal(before.kindergarten.facilities, 1);
  assert.equal(before.kindergarten.unreachable, 1);
  close(before.kindergarten.median_min, (20 + 0.5) / 2);
  // A kindergarten right at node 0: r0 walks its access leg and 2.5 minutes.
  const [lon, lat] = [engine.network.nodeLon[0], engine.network.nodeLat[0]];
  const after = engine.addFacility("kindergarten", lon, lat);
  close(engine.minutesFrom("r0", "kindergarten"), 1 + 2.5, 1e-4);
  close(after.kindergarten.share_res_5min, 2 / 3, 1e-12);
  assert.equal(after.kindergarten.facilities, 2);
  assert.equal(engine.scenario().added[0].id, "added-1");
  // Removing the original leaves r1 walking to node 0: half of edge 2's v→u (8 min) to
  // node 2, then 10 + 10.
  engine.removeFacility("k1");
  close(engine.minutesFrom("r1", "kindergarten"), 4 + 10 + 10, 1e-4);
  const csv = engine.scenarioCsv().trim().split("\n");
  assert.equal(csv[0], "action,facility_id,category,name,lon,lat");
  assert.match(csv[1], /^add,added-1,kindergarten,,97\.\d{7},33\.\d{7}$/);
  assert.match(csv[2], /^remove,k1,kindergarten,,/);
  engine.removeFacility("added-1");
  assert.equal(engine.minutesFrom("r0", "kindergarten"), null);
  const back = engine.reset();
  assert.deepEqual(back, before);
  assert.throws(() => engine.removeFacility("nope"), /not on the map/);
  assert.throws(() => engine.addFacility("cinema", lon, lat), /unknown category/);
});

test("percentile is numpy's linear one", () => {
  assert.equal(percentile(Float64Array.from([4, 1, 3, 2]), 50), 2.5);
  close(percentile(Float64Array.from([10, 0]), 90), 9);
  assert.equal(percentile(new Float64Array(0), 50), null);
  assert.equal(percentile(Float64Array.from([7]), 90), 7);
  const next = rng(5);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + Math.floor(next() * 60);
    // Ties included: values on a coarse grid.
    const values = Float64Array.from({ length: n }, () => Math.floor(next() * 20) / 2);
    const sorted = Array.from(values).sort((a, b) => a - b);
    for (const q of [0, 50, 90, 100]) {
      const pos = (q / 100) * (n - 1);
      const lo = Math.floor(pos);
      const hi = Math.min(lo + 1, n - 1);
      const expected = sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
      close(percentile(Float64Array.from(values), q), expected, 1e-12);
    }
  }
});

test("snapping prunes by boxes but finds the nearest edge of a brute-force search", () => {
  for (let seed = 200; seed < 215; seed++) {
    const c = randomCase(seed);
    const engine = createEngine(payload({ ...c, categories: ["park"] }));
    const net = engine.network;
    const next = rng(seed);
    for (let k = 0; k < 20; k++) {
      const lon = net.nodeLon[0] + (next() - 0.3) * 0.02;
      const lat = net.nodeLat[0] + (next() - 0.3) * 0.02;
      const [px, py] = utmForward(lon, lat, 47, false);
      let best = Infinity;
      for (let e = 0; e < net.edgeCount; e++) {
        for (let s = net.vertexPtr[e]; s < net.vertexPtr[e + 1] - 1; s++) {
          const [ax, ay] = utmForward(net.vertexLon[s], net.vertexLat[s], 47, false);
          const [bx, by] = utmForward(net.vertexLon[s + 1], net.vertexLat[s + 1], 47, false);
          const l2 = (bx - ax) ** 2 + (by - ay) ** 2;
          const t = l2 > 0 ? Math.min(1, Math.max(0, ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / l2)) : 0;
          best = Math.min(best, Math.hypot(px - ax - t * (bx - ax), py - ay - t * (by - ay)));
        }
      }
      const snap = engine.snap(lon, lat);
      close(snap.snapM, best, 1e-6);
    }
  }
});

test("great-circle distance: one degree of latitude", () => {
  close(greatCircle(0, 0, 0, 1), (6371009 * Math.PI) / 180, 1e-6);
});
