// A hand-built town for the map's modules (示例数据, made up): the map data the page reads
// (render/payload.py's MapPayload, as JSON) and the engine payload of the same streets.
//
//   r0   r1        r2        r3            (residences, 10 m south of their streets)
//  0 ——— 1 ——— 2 ——— 3 ——— 4              (nodes 120 m apart, east)
//     k1               c1                 (a kindergarten on edge 0, a clinic on edge 2)

import { lonlatOf, payload } from "./graphs.mjs";

export const COLORS = {
  minutes: [
    { max: 5, color: "#1a9850", label: "≤ 5 分钟 min" },
    { max: 10, color: "#91cf60", label: "5–10 分钟 min" },
    { max: 15, color: "#fee08b", label: "10–15 分钟 min" },
    { max: 30, color: "#fc8d59", label: "15–30 分钟 min" },
    { max: null, color: "#d73027", label: "> 30 分钟 min" },
  ],
  score: [
    { max: 0.2, color: "#d73027", label: "0–20%" },
    { max: 0.4, color: "#fc8d59", label: "20–40%" },
    { max: 0.6, color: "#fee08b", label: "40–60%" },
    { max: 0.8, color: "#91cf60", label: "60–80%" },
    { max: null, color: "#1a9850", label: "80–100%" },
  ],
  reach: [
    { minutes: 5, color: "#3f007d", seen: "#6b4fa0" },
    { minutes: 10, color: "#f768a1", seen: "#f59bbd" },
    { minutes: 15, color: "#00a6a6", seen: "#7acbc8" },
  ],
  reachOpacity: 0.5,
  none: "#555555",
  street: "#9a9a9a",
  route: "#111111",
};

const NODES = [[0, 0], [120, 0], [240, 0], [360, 0], [480, 0]];
const EDGES = [0, 1, 2, 3].map((u) => ({ u, v: u + 1 }));
const RESIDENCES = [
  { id: "r0", edge: 0, frac: 0.25, access: 0.2, at: [30, -10], population: 3 },
  { id: "r1", edge: 1, frac: 0.1, access: 0.2, at: [132, -10], population: 2 },
  { id: "r2", edge: 2, frac: 0.9, access: 0.2, at: [348, -10], population: 4 },
  { id: "r3", edge: 3, frac: 0.9, access: 0.2, at: [468, -10], population: 1 },
];
const FACILITIES = [
  { id: "k1", name: "示例幼儿园1", category: "kindergarten", edge: 0, frac: 0.5, access: 0.1, at: [60, 8] },
  { id: "c1", name: "示例卫生站", category: "clinic", edge: 2, frac: 0.5, access: 0.1, at: [300, 8] },
];

export function enginePayload() {
  return payload({
    nodes: NODES,
    edges: EDGES,
    residences: RESIDENCES,
    facilities: FACILITIES,
    categories: ["kindergarten", "clinic"],
  });
}

const lon = (p) => lonlatOf(p)[0];
const lat = (p) => lonlatOf(p)[1];

// The map data; `live`: minutes left to the engine (as with the engine embedded); `city`:
// a city drawn from the engine (citylayers.mjs): no street or residence of its own.
export function mapData({ live = true, initial = null, overlays = [], city = false } = {}) {
  const data = townData({ live, initial, overlays });
  if (!city) return data;
  data.res = { id: [], lon: [], lat: [], pop: [], score: [], min: {} };
  data.edges = { coords: [], min: {} };
  data.network = { residences: RESIDENCES.length, packed: null };
  return data;
}

function townData({ live, initial, overlays }) {
  const edges = EDGES.map((e) => [...lonlatOf(NODES[e.u]), ...lonlatOf(NODES[e.v])]);
  return {
    title: "15分钟生活圈 步行可达性 · 15-minute living circle walk access",
    subtitle: "",
    synthetic: true,
    banner: "合成示例数据 Synthetic demo data — not survey data",
    data: "示例 demo",
    notes: ["示例注意 a demo note"],
    speed: 4,
    initial,
    cats: [
      { key: "kindergarten", zh: "幼儿园", en: "Kindergarten", level: 5, group: "", color: "#332288", count: 1 },
      { key: "clinic", zh: "卫生服务站", en: "Clinic", level: 15, group: "", color: "#88ccee", count: 1 },
    ],
    summary: [
      { key: "kindergarten", facilities: 1, s5: 0.3, s10: 0.5, s15: 1, median: 6, p90: 9, unreachable: 0 },
      { key: "clinic", facilities: 1, s5: 0.4, s10: 0.9, s15: 1, median: 4, p90: 6, unreachable: 0 },
    ],
    res: {
      id: RESIDENCES.map((r) => r.id),
      lon: RESIDENCES.map((r) => lon(r.at)),
      lat: RESIDENCES.map((r) => lat(r.at)),
      pop: RESIDENCES.map((r) => r.population),
      score: [1, 0.5, 0.5, 0],
      min: live ? {} : { kindergarten: [1.2, 3.5, 8, 12.5], clinic: [6, 3.1, 1.1, 4.2] },
    },
    fac: {
      id: FACILITIES.map((f) => f.id),
      lon: FACILITIES.map((f) => lon(f.at)),
      lat: FACILITIES.map((f) => lat(f.at)),
      cat: FACILITIES.map((f) => f.category),
      name: FACILITIES.map((f) => f.name),
      source: ["示例 demo", ""],
    },
    edges: {
      coords: edges,
      min: live ? {} : { kindergarten: [1, 3, 6, 9], clinic: [4, 1, 1, 2] },
      ...(live ? { index: [0, 1, 2, 3] } : {}),
    },
    iso: live
      ? { by: {}, embedded: 0, total: 4, available: false, scale: 1 }
      : { by: { 0: [[15, [[[970000, 330000, 100, 0, 0, 100]]]]] }, embedded: 1, total: 4, available: true, scale: 10000 },
    tianditu: null,
    overlays,
    unreached: [],
    colors: COLORS,
  };
}
