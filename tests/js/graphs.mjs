// Hand-built payloads for the engine's tests, as loadPayload gives them (typed arrays):
// nodes given in metres east/north of a point near Yushu, straight edges unless vertices
// are given.

import { FORMAT } from "../../yushu_circle/render/js/payload.mjs";
import { greatCircle } from "../../yushu_circle/render/js/geo.mjs";

export const LON0 = 97.01;
export const LAT0 = 33.0;
const M_PER_DEG_LAT = 110_946; // close enough: tests measure lengths back with greatCircle

export function lonlatOf([east, north]) {
  const lat = LAT0 + north / M_PER_DEG_LAT;
  const lon = LON0 + east / (M_PER_DEG_LAT * Math.cos((LAT0 * Math.PI) / 180));
  return [Math.round(lon * 1e7) / 1e7, Math.round(lat * 1e7) / 1e7];
}

const q = (deg) => Math.round(deg * 1e7);
const VIEWS = { int32: Int32Array, float32: Float32Array };
const typed = (values, dtype) => new VIEWS[dtype](values);

// nodes: [[east, north], ...]; edges: [{u, v, tuv?, tvu?, via?: [[east, north], ...]}]
// (minutes default to the great-circle length at `mpm`); residences / facilities:
// [{id, edge, frac, access, at: [east, north], population?, category?}].
export function payload({ nodes, edges, residences = [], facilities = [], categories, mpm = 4000 / 60 }) {
  const ll = nodes.map(lonlatOf);
  const geomPtr = [0];
  const gLon = [];
  const gLat = [];
  const tuv = [];
  const tvu = [];
  for (const e of edges) {
    const line = [ll[e.u], ...(e.via || []).map(lonlatOf), ll[e.v]];
    for (const p of (e.via || []).map(lonlatOf)) {
      gLon.push(q(p[0]));
      gLat.push(q(p[1]));
    }
    geomPtr.push(gLon.length);
    let length = 0;
    for (let i = 1; i < line.length; i++) length += greatCircle(...line[i - 1], ...line[i]);
    tuv.push(e.tuv ?? length / mpm);
    tvu.push(e.tvu ?? length / mpm);
  }
  const cats = categories || [...new Set(facilities.map((f) => f.category))];
  const points = (list) => ({
    count: list.length,
    lon: typed(list.map((p) => q(lonlatOf(p.at)[0])), "int32"),
    lat: typed(list.map((p) => q(lonlatOf(p.at)[1])), "int32"),
    edge: typed(list.map((p) => p.edge), "int32"),
    frac: typed(list.map((p) => p.frac), "float32"),
    access: typed(list.map((p) => p.access ?? 0), "float32"),
  });
  return {
    format: FORMAT,
    synthetic: true,
    profile: "adult",
    speed_kmh: mpm * 0.06,
    metres_per_minute: mpm,
    snap_limit_m: 300,
    buffer_m: 25,
    thresholds: [5, 10, 15],
    coord_scale: 1e7,
    utm: { zone: 47, south: false },
    categories: cats.map((key) => ({ key, name_zh: key, name_en: key, level: 15 })),
    nodes: {
      count: nodes.length,
      lon: typed(ll.map((p) => q(p[0])), "int32"),
      lat: typed(ll.map((p) => q(p[1])), "int32"),
    },
    edges: {
      count: edges.length,
      u: typed(edges.map((e) => e.u), "int32"),
      v: typed(edges.map((e) => e.v), "int32"),
      time_uv: typed(tuv, "float32"),
      time_vu: typed(tvu, "float32"),
      geom_ptr: typed(geomPtr, "int32"),
      geom_lon: typed(gLon, "int32"),
      geom_lat: typed(gLat, "int32"),
    },
    residences: {
      id: residences.map((r) => r.id),
      population: typed(residences.map((r) => r.population ?? 1), "float32"),
      ...points(residences),
    },
    facilities: {
      id: facilities.map((f) => f.id),
      name: facilities.map((f) => f.name ?? ""),
      category: typed(facilities.map((f) => cats.indexOf(f.category)), "int32"),
      ...points(facilities),
    },
  };
}

// A seeded generator (mulberry32) so random graphs repeat.
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A random connected graph (a random tree plus as many random edges, self-loops and parallel
// edges allowed) with asymmetric walk times, one in ten reverse directions closed.
export function randomGraph(next, { minNodes, extraNodes, extent }) {
  const n = minNodes + Math.floor(next() * extraNodes);
  const nodes = Array.from({ length: n }, () => [next() * extent, next() * extent]);
  const edges = [];
  for (let i = 1; i < n; i++) edges.push({ u: Math.floor(next() * i), v: i });
  for (let k = 0; k < n; k++) edges.push({ u: Math.floor(next() * n), v: Math.floor(next() * n) });
  for (const e of edges) {
    e.tuv = 1 + next() * 9;
    e.tvu = next() < 0.1 ? Infinity : 1 + next() * 9;
  }
  return { nodes, edges };
}
