// A point's minutes to the nearest facility of every category at once: one walk out from
// it that stops as soon as no category can come nearer — what a residence's popup needs in
// a city where a search per category (from all its facilities) would take seconds.

import { MinHeap, part } from "./search.mjs";

// Minutes from the point at fraction f0 of edge e0 (access leg `access` minutes) to the
// nearest of `facilities` ([{edge, frac, access, category}], category an index below
// `count`), per category: a Float64Array, NaN where none is reachable. The rule is the
// origin rule of the engine (edge ends, same-edge pairs) walked the other way round.
export function nearestOfEach(net, e0, f0, access, facilities, count) {
  const best = new Float64Array(count).fill(Infinity);
  if (e0 < 0) return best.fill(NaN);
  const present = new Uint8Array(count);
  const atNode = new Map();
  const at = (x, j) => {
    if (!atNode.has(x)) atNode.set(x, []);
    atNode.get(x).push(j);
  };
  facilities.forEach((f, j) => {
    if (f.edge < 0) return;
    present[f.category] = 1;
    at(net.edgeU[f.edge], j);
    if (net.edgeV[f.edge] !== net.edgeU[f.edge]) at(net.edgeV[f.edge], j);
    if (f.edge === e0) {
      const along = f.frac >= f0 ? part(f.frac - f0, net.timeUV[e0]) : part(f0 - f.frac, net.timeVU[e0]);
      best[f.category] = Math.min(best[f.category], along + f.access);
    }
  });
  // The walk may stop once it is past every present category's best.
  const worst = () => {
    let w = 0;
    for (let c = 0; c < count; c++) if (present[c] && best[c] > w) w = best[c];
    return w;
  };
  const dist = new Float64Array(net.nodeCount).fill(Infinity);
  const heap = new MinHeap(64);
  const startAt = (x, m) => {
    if (m < dist[x]) {
      dist[x] = m;
      heap.push(m, x);
    }
  };
  startAt(net.edgeU[e0], part(f0, net.timeVU[e0]));
  startAt(net.edgeV[e0], part(1 - f0, net.timeUV[e0]));
  const { ptr, head, out } = net.adjacency;
  let bound = worst();
  while (heap.size > 0) {
    const d = heap.keys[0];
    const x = heap.vals[0];
    heap.pop();
    if (d > dist[x]) continue;
    if (d >= bound) break;
    const here = atNode.get(x);
    if (here) {
      for (const j of here) {
        const f = facilities[j];
        const e = f.edge;
        if (net.edgeU[e] === x) best[f.category] = Math.min(best[f.category], d + part(f.frac, net.timeUV[e]) + f.access);
        if (net.edgeV[e] === x) {
          best[f.category] = Math.min(best[f.category], d + part(1 - f.frac, net.timeVU[e]) + f.access);
        }
      }
      bound = worst();
    }
    for (let k = ptr[x]; k < ptr[x + 1]; k++) {
      const y = head[k];
      const candidate = d + out[k];
      if (candidate < dist[y]) {
        dist[y] = candidate;
        heap.push(candidate, y);
      }
    }
  }
  for (let c = 0; c < count; c++) best[c] = best[c] < Infinity ? access + best[c] : NaN;
  return best;
}
