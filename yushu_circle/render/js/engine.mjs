// The page's engine: walk minutes, routes and reach of any residence, and live what-if
// (add / remove facilities, reset) with the coverage table, from the decoded payload.

import { decodePayload } from "./payload.mjs";
import { cut, pointAt, snapPoint } from "./geo.mjs";
import { nearestOfEach } from "./nearest.mjs";
import { improve, part, pointSources, reachPieces, search } from "./search.mjs";

const ROUND = 1e7; // added points are kept at the payload's 1e-7 degree, as the CSV writes them

export function createEngine(payload) {
  const net = decodePayload(payload);
  const res = net.residences;
  const fac = net.facilities;
  const keys = net.categories.map((c) => c.key);
  const categoryIndex = new Map(keys.map((k, i) => [k, i]));
  let residenceIndex = null; // id → index, made when a hook first names a residence
  const baseFacilities = [];
  for (let i = 0; i < fac.count; i++) {
    baseFacilities.push({
      id: fac.id[i],
      name: fac.name[i],
      category: keys[fac.category[i]],
      lon: fac.lon[i],
      lat: fac.lat[i],
      edge: fac.edge[i],
      frac: fac.frac[i],
      access: fac.access[i],
      added: false,
    });
  }
  let removed = new Set();
  let added = [];
  let nextAdded = 1;
  // category → its solution {dist, via, start, starts, sources, sameEdge, same, minutes,
  // edgeMin, row}; `base` keeps each category's solution with the study's own facilities,
  // so that a reset costs nothing.
  const cache = new Map();
  const base = new Map();

  function category(key) {
    const c = categoryIndex.get(key);
    if (c === undefined) throw new Error(`unknown category ${key}: use one of ${keys.join(", ")}`);
    return c;
  }

  function residence(id) {
    if (!residenceIndex) residenceIndex = new Map(res.id.map((rid, k) => [rid, k]));
    const i = residenceIndex.get(String(id));
    if (i === undefined) throw new Error(`unknown residence ${id}`);
    return i;
  }

  function changed(key) {
    return added.some((f) => f.category === key) || baseFacilities.some((f) => f.category === key && removed.has(f.id));
  }

  function activeFacilities(key) {
    const out = [];
    for (const f of baseFacilities) if (f.category === key && !removed.has(f.id)) out.push(f);
    for (const f of added) if (f.category === key) out.push(f);
    return out;
  }

  // For a what-if: the residences on each edge and the edges at each node, self-loops
  // included (the searches' adjacency leaves them out), as CSR; made on the first one.
  let byEdge = null;
  function residencesByEdge() {
    if (byEdge) return byEdge;
    const csr = (count, size, each) => {
      const ptr = new Int32Array(count + 1);
      each((k) => ptr[k + 1]++);
      for (let k = 0; k < count; k++) ptr[k + 1] += ptr[k];
      const fill = ptr.slice(0, count);
      const list = new Int32Array(ptr[count]);
      each((k, value) => {
        list[fill[k]++] = value;
      });
      return { ptr, list };
    };
    const residents = csr(net.edgeCount, res.count, (put) => {
      for (let i = 0; i < res.count; i++) if (res.edge[i] >= 0) put(res.edge[i], i);
    });
    const edges = csr(net.nodeCount, 2 * net.edgeCount, (put) => {
      for (let e = 0; e < net.edgeCount; e++) {
        put(net.edgeU[e], e);
        if (net.edgeV[e] !== net.edgeU[e]) put(net.edgeV[e], e);
      }
    });
    byEdge = { residents, edges, stamp: new Uint32Array(net.edgeCount), round: 0 };
    return byEdge;
  }

  function addSame(entry, e, j) {
    if (!entry.sameEdge.has(e)) entry.sameEdge.set(e, []);
    entry.sameEdge.get(e).push(j);
    entry.same[e] = 1;
  }

  // One multi-source search on the reversed graph from every facility of the category,
  // then every residence's minutes by the origin rule (_core.kernels.origin_minutes).
  function solve(key) {
    if (cache.has(key)) return cache.get(key);
    const sources = activeFacilities(key).filter((f) => f.edge >= 0);
    const starts = pointSources(
      net,
      sources.map((f) => f.edge),
      sources.map((f) => f.frac),
      sources.map((f) => f.access),
      true,
    );
    const found = search(net, starts.nodes, starts.minutes, { reverse: true });
    const entry = {
      ...found,
      starts,
      sources,
      sameEdge: new Map(),
      same: new Uint8Array(net.edgeCount),
      minutes: new Float64Array(res.count),
      edgeMin: null,
      row: null,
    };
    sources.forEach((f, j) => addSame(entry, f.edge, j));
    for (let i = 0; i < res.count; i++) entry.minutes[i] = bestMinutes(entry, i);
    if (!changed(key)) base.set(key, entry);
    cache.set(key, entry);
    return entry;
  }

  // A solution of its own to change (the study's own stays for a reset).
  function own(key) {
    const entry = cache.get(key);
    if (entry !== base.get(key)) return entry;
    const copy = {
      ...entry,
      dist: entry.dist.slice(),
      via: entry.via.slice(),
      start: entry.start.slice(),
      starts: { nodes: [...entry.starts.nodes], minutes: [...entry.starts.minutes], point: [...entry.starts.point] },
      sources: entry.sources.slice(),
      sameEdge: new Map([...entry.sameEdge].map(([e, list]) => [e, list.slice()])),
      same: entry.same.slice(),
      minutes: entry.minutes.slice(),
      edgeMin: entry.edgeMin && entry.edgeMin.slice(),
      row: null,
    };
    cache.set(key, copy);
    return copy;
  }

  // A facility added to a category already solved: a search from it alone, only where it
  // brings a node nearer (search.improve), then the minutes of the residences and streets
  // on the edges it reached and on its own edge — the same minutes as a search from all.
  function extend(key, f) {
    const entry = own(key);
    entry.row = null;
    if (f.edge < 0) return;
    const j = entry.sources.length;
    entry.sources.push(f);
    const more = pointSources(net, [f.edge], [f.frac], [f.access], true);
    const first = entry.starts.nodes.length;
    entry.starts.nodes.push(...more.nodes);
    entry.starts.minutes.push(...more.minutes);
    entry.starts.point.push(j, j);
    const nearer = improve(net, entry, more.nodes, more.minutes, first, { reverse: true });
    addSame(entry, f.edge, j);
    const index = residencesByEdge();
    const round = ++index.round;
    const { residents, edges } = index;
    const redo = (e) => {
      if (index.stamp[e] === round) return;
      index.stamp[e] = round;
      for (let k = residents.ptr[e]; k < residents.ptr[e + 1]; k++) {
        const i = residents.list[k];
        entry.minutes[i] = bestMinutes(entry, i);
      }
      if (entry.edgeMin) entry.edgeMin[e] = originMinutes(entry, e, 0.5, 0);
    };
    redo(f.edge);
    for (const x of nearer) for (let k = edges.ptr[x]; k < edges.ptr[x + 1]; k++) redo(edges.list[k]);
  }

  // Residence i's minutes to its nearest facility (NaN if none): the hot loop of a
  // what-if, so plain numbers only; best() below is the same rule, with the choice.
  function bestMinutes(entry, i) {
    return originMinutes(entry, res.edge[i], res.frac[i], res.access[i]);
  }

  // The origin rule for a point at fraction fo of edge e with an access leg of `access`
  // minutes (NaN if no facility is reachable).
  function originMinutes(entry, e, fo, access) {
    if (e < 0) return NaN;
    const dist = entry.dist;
    let total = Math.min(
      part(fo, net.timeVU[e]) + dist[net.edgeU[e]],
      part(1 - fo, net.timeUV[e]) + dist[net.edgeV[e]],
    );
    if (entry.same[e]) {
      for (const j of entry.sameEdge.get(e)) {
        const ft = entry.sources[j].frac;
        const along = ft >= fo ? part(ft - fo, net.timeUV[e]) : part(fo - ft, net.timeVU[e]);
        total = Math.min(total, along + entry.sources[j].access);
      }
    }
    const minutes = access + total;
    return minutes < Infinity ? minutes : NaN;
  }

  // The nearest facility from residence i: {minutes (NaN if none), end: "u" | "v" |
  // "same", facility (index into sources)}.
  function best(entry, i) {
    const e = res.edge[i];
    if (e < 0) return { minutes: NaN };
    const fo = res.frac[i];
    const u = net.edgeU[e];
    const v = net.edgeV[e];
    const viaU = part(fo, net.timeVU[e]) + entry.dist[u];
    const viaV = part(1 - fo, net.timeUV[e]) + entry.dist[v];
    let out = viaU <= viaV ? { total: viaU, end: "u" } : { total: viaV, end: "v" };
    for (const j of entry.sameEdge.get(e) || []) {
      const ft = entry.sources[j].frac;
      const along = ft >= fo ? part(ft - fo, net.timeUV[e]) : part(fo - ft, net.timeVU[e]);
      const total = along + entry.sources[j].access;
      if (total < out.total) out = { total, end: "same", facility: j };
    }
    const minutes = res.access[i] + out.total;
    return { ...out, minutes: minutes < Infinity ? minutes : NaN };
  }

  // A residence's minutes to every category ({key: minutes or null}): a solved category's
  // from its solution, the others from one walk out of the residence (nearest.mjs).
  function minutesOf(residenceId) {
    const i = residence(residenceId);
    const open = keys.filter((key) => !cache.has(key));
    const facilities = open.flatMap((key, c) =>
      activeFacilities(key).map((f) => ({ edge: f.edge, frac: f.frac, access: f.access, category: c })));
    const walked = nearestOfEach(net, res.edge[i], res.frac[i], res.access[i], facilities, open.length);
    const out = {};
    for (const key of keys) {
      const m = cache.has(key) ? cache.get(key).minutes[i] : walked[open.indexOf(key)];
      out[key] = Number.isNaN(m) ? null : m;
    }
    return out;
  }

  function minutesFrom(residenceId, key) {
    const m = solve(key).minutes[residence(residenceId)];
    return Number.isNaN(m) ? null : m;
  }

  // The walk to the nearest facility of a category: {minutes, lonlat, facility} (null
  // when none is reachable). The line runs residence → its street → … → the facility's
  // street → the facility, cutting the first and last edges where the points snapped.
  function routeFrom(residenceId, key) {
    const i = residence(residenceId);
    const entry = solve(key);
    const choice = best(entry, i);
    if (Number.isNaN(choice.minutes)) return null;
    const e = res.edge[i];
    const fo = res.frac[i];
    const line = [[res.lon[i], res.lat[i]]];
    const extend = (points) => {
      for (const p of points) {
        const last = line[line.length - 1];
        if (last[0] !== p[0] || last[1] !== p[1]) line.push(p);
      }
    };
    let target;
    if (choice.end === "same") {
      target = entry.sources[choice.facility];
      extend(cut(net, e, fo, target.frac));
    } else {
      let x = choice.end === "u" ? net.edgeU[e] : net.edgeV[e];
      extend(cut(net, e, fo, choice.end === "u" ? 0 : 1));
      while (entry.via[x] >= 0) {
        const ee = entry.via[x];
        const atU = net.edgeU[ee] === x;
        extend(atU ? cut(net, ee, 0, 1) : cut(net, ee, 1, 0));
        x = atU ? net.edgeV[ee] : net.edgeU[ee];
      }
      const s = entry.start[x];
      target = entry.sources[entry.starts.point[s]];
      // Start entries come in pairs per facility: its u end first, then its v end.
      const fromU = s % 2 === 0;
      extend(cut(net, target.edge, fromU ? 0 : 1, target.frac));
    }
    extend([[target.lon, target.lat]]);
    return { minutes: choice.minutes, lonlat: line, facility: target.id };
  }

  // The 5/10/15-minute reach of a residence: per threshold the reached pieces of edges
  // ([edge, f0, f1]) and their lines ([[lon, lat], ...]) to draw with `bufferM`, and the
  // nodes reached within each threshold.
  function reach(residenceId, thresholds = net.thresholds) {
    const i = residence(residenceId);
    const e = res.edge[i];
    const empty = thresholds.map((minutes) => ({ minutes, pieces: [], lines: [], nodes: [] }));
    if (e < 0) return { bufferM: net.bufferM, access: null, levels: empty };
    const access = res.access[i];
    const limit = Math.max(...thresholds) - access;
    if (limit < 0) return { bufferM: net.bufferM, access, levels: empty };
    const starts = pointSources(net, [e], [res.frac[i]], [0], false);
    const { dist } = search(net, starts.nodes, starts.minutes, { limit });
    const levels = thresholds.map((minutes) => {
      const budget = minutes - access;
      const pieces = reachPieces(net, dist, e, res.frac[i], budget);
      const nodes = [];
      for (let x = 0; x < net.nodeCount; x++) if (dist[x] <= budget) nodes.push(x);
      return { minutes, pieces, lines: pieces.map(([pe, f0, f1]) => cut(net, pe, f0, f1)), nodes };
    });
    return { bufferM: net.bufferM, access, levels };
  }

  let totalPop = 0;
  for (let i = 0; i < res.count; i++) if (!Number.isNaN(res.population[i])) totalPop += res.population[i];

  // One category's row of the coverage table (access.coverage_summary's columns), kept
  // with its search so a what-if recomputes only the changed category's row.
  function coverageRow(c) {
    // Untouched categories show Python's own row (carried in the payload).
    if (net.coverage && net.coverage[c.key] && !changed(c.key)) {
      return net.coverage[c.key];
    }
    const entry = solve(c.key);
    if (entry.row) return entry.row;
    const minutes = entry.minutes;
    const row = {
      name_zh: c.name_zh,
      name_en: c.name_en,
      level_min: c.level,
      facilities: activeFacilities(c.key).length,
    };
    const thresholds = net.thresholds;
    const count = new Float64Array(thresholds.length);
    const pop = new Float64Array(thresholds.length);
    const finite = new Float64Array(res.count);
    let reached = 0;
    for (let i = 0; i < res.count; i++) {
      const m = minutes[i];
      if (!(m < Infinity)) continue;
      finite[reached++] = m;
      for (let k = 0; k < thresholds.length; k++) {
        if (m <= thresholds[k]) {
          count[k]++;
          pop[k] += res.population[i];
        }
      }
    }
    thresholds.forEach((t, k) => {
      row[`share_res_${t}min`] = res.count ? count[k] / res.count : null;
      row[`share_pop_${t}min`] = totalPop > 0 ? pop[k] / totalPop : null;
    });
    const values = finite.subarray(0, reached);
    row.median_min = percentile(values, 50);
    row.p90_min = percentile(values, 90);
    row.unreachable = res.count - reached;
    entry.row = row;
    return row;
  }

  // Per category: facilities, share of residences and of population within each
  // threshold, median and 90th percentile minutes, unreachable count.
  function coverage() {
    const table = {};
    for (const c of net.categories) table[c.key] = { ...coverageRow(c) };
    return table;
  }

  function addFacility(key, lon, lat, { id, name = "" } = {}) {
    category(key);
    const qlon = Math.round(lon * ROUND) / ROUND;
    const qlat = Math.round(lat * ROUND) / ROUND;
    const snap = snapPoint(net, qlon, qlat);
    const facilityId = id ?? `added-${nextAdded++}`;
    if (baseFacilities.some((f) => f.id === facilityId) || added.some((f) => f.id === facilityId)) {
      throw new Error(`facility id ${facilityId} is taken`);
    }
    // The category as it stands, solved first (kept for a reset when it is the study's
    // own), so that the new facility only extends its search.
    solve(key);
    const facility = {
      id: facilityId,
      name,
      category: key,
      lon: qlon,
      lat: qlat,
      edge: snap.onNetwork ? snap.edge : -1,
      frac: snap.frac,
      access: snap.onNetwork ? snap.snapM / net.metresPerMinute : 0,
      snapM: snap.snapM,
      added: true,
    };
    added.push(facility);
    extend(key, facility);
    return coverage();
  }

  // After a removal: the study's own solution when the scenario left the category as it
  // was, else a search from scratch when next asked.
  function forget(key) {
    if (!changed(key) && base.has(key)) cache.set(key, base.get(key));
    else cache.delete(key);
  }

  function removeFacility(facilityId) {
    const id = String(facilityId);
    const mine = added.findIndex((f) => f.id === id);
    let key;
    if (mine >= 0) {
      key = added[mine].category;
      added = added.filter((_, k) => k !== mine);
    } else {
      const f = baseFacilities.find((b) => b.id === id);
      if (!f || removed.has(id)) throw new Error(`facility ${id} is not on the map`);
      removed.add(id);
      key = f.category;
    }
    forget(key);
    return coverage();
  }

  function reset() {
    const changed = new Set(added.map((f) => f.category));
    for (const f of baseFacilities) if (removed.has(f.id)) changed.add(f.category);
    added = [];
    removed = new Set();
    for (const key of changed) forget(key);
    return coverage();
  }

  // The current scenario: added facilities and removed ones, for the CSV and the page.
  function scenario() {
    return {
      added: added.map((f) => ({ ...f })),
      removed: baseFacilities.filter((f) => removed.has(f.id)).map((f) => ({ ...f })),
    };
  }

  // "download scenario": action,facility_id,category,name,lon,lat — read back by
  // network_payload.read_scenario (the plan command's --scenario).
  function scenarioCsv() {
    const { added: adds, removed: gone } = scenario();
    const rows = [["action", "facility_id", "category", "name", "lon", "lat"]];
    for (const f of adds) rows.push(["add", f.id, f.category, f.name, f.lon.toFixed(7), f.lat.toFixed(7)]);
    for (const f of gone) rows.push(["remove", f.id, f.category, f.name, f.lon.toFixed(7), f.lat.toFixed(7)]);
    return rows.map((r) => r.map(csvField).join(",")).join("\n") + "\n";
  }

  function facilitiesOf(key) {
    return activeFacilities(key).map((f) => ({ id: f.id, name: f.name, lon: f.lon, lat: f.lat, added: f.added }));
  }

  // Every residence's minutes to a category (NaN: unreachable or off the network); the
  // solution's own array, not to be changed.
  function residenceMinutes(key) {
    return solve(key).minutes;
  }

  // Every edge's minutes from its middle (access.edge_minutes: the street colours); kept
  // with the category's solution (and updated by a what-if's extend), not to be changed.
  function edgeMinutes(key) {
    const entry = solve(key);
    if (!entry.edgeMin) {
      entry.edgeMin = new Float64Array(net.edgeCount);
      for (let e = 0; e < net.edgeCount; e++) entry.edgeMin[e] = originMinutes(entry, e, 0.5, 0);
    }
    return entry.edgeMin;
  }

  return {
    network: net,
    edgeMinutes,
    categories: keys,
    residenceIds: res.id,
    minutesFrom,
    minutesOf,
    routeFrom,
    reach,
    coverage,
    addFacility,
    removeFacility,
    reset,
    scenario,
    scenarioCsv,
    facilitiesOf,
    residenceMinutes,
    snap: (lon, lat) => snapPoint(net, lon, lat),
    pointAt: (edge, frac) => pointAt(net, edge, frac),
  };
}

// numpy's default (linear) percentile; null when there are none. Two order statistics
// by quickselect (linear time; `values` is reordered), not a full sort.
export function percentile(values, q) {
  const n = values.length;
  if (!n) return null;
  const pos = (q / 100) * (n - 1);
  const lo = Math.floor(pos);
  const low = select(values, lo);
  if (lo + 1 >= n || pos === lo) return low;
  let high = Infinity;
  for (let i = lo + 1; i < n; i++) if (values[i] < high) high = values[i];
  return low + (high - low) * (pos - lo);
}

// The k-th smallest of values (Hoare's quickselect, middle pivot); afterwards every value
// at an index above k is at least it.
function select(values, k) {
  let left = 0;
  let right = values.length - 1;
  while (left < right) {
    const pivot = values[(left + right) >> 1];
    let i = left;
    let j = right;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i] = values[j];
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return values[k];
}

function csvField(value) {
  const text = String(value ?? "");
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

// The documented page hooks (window.yushuMap.*) over an engine.
export function hooks(engine) {
  return {
    minutesFrom: engine.minutesFrom,
    routeFrom: engine.routeFrom,
    reach: engine.reach,
    addFacility: engine.addFacility,
    removeFacility: engine.removeFacility,
    reset: engine.reset,
    coverage: engine.coverage,
    scenarioCsv: engine.scenarioCsv,
    engine,
  };
}
