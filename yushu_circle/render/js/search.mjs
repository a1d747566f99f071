// Shortest walks over the decoded network: a binary-heap Dijkstra from many start nodes
// (each with its own start minutes), with predecessors; the edge-end rule for points on
// edges (access.point_sources); the reached pieces of edges within a budget.

// A zero share of a closed (infinite) edge costs nothing (no 0 × Infinity = NaN).
export function part(share, minutes) {
  return share > 0 ? share * minutes : 0;
}

export class MinHeap {
  constructor(capacity = 64) {
    this.keys = new Float64Array(capacity);
    this.vals = new Int32Array(capacity);
    this.size = 0;
  }

  push(key, val) {
    if (this.size === this.keys.length) {
      const keys = new Float64Array(2 * this.size);
      const vals = new Int32Array(2 * this.size);
      keys.set(this.keys);
      vals.set(this.vals);
      this.keys = keys;
      this.vals = vals;
    }
    const { keys, vals } = this;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent] <= key) break;
      keys[i] = keys[parent];
      vals[i] = vals[parent];
      i = parent;
    }
    keys[i] = key;
    vals[i] = val;
  }

  // Removes the smallest entry; read it from keys[0] / vals[0] first.
  pop() {
    const { keys, vals } = this;
    const size = --this.size;
    const key = keys[size];
    const val = vals[size];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && keys[child + 1] < keys[child]) child++;
      if (key <= keys[child]) break;
      keys[i] = keys[child];
      vals[i] = vals[child];
      i = child;
    }
    keys[i] = key;
    vals[i] = val;
  }
}

// Start nodes and minutes of a search at points on edges: both ends of each point's
// edge. toward=true (walking *to* the points, searched on the reversed graph): access +
// frac of u→v from u, access + (1 − frac) of v→u from v. toward=false (walking *from*
// them): frac of v→u to reach u, (1 − frac) of u→v to reach v (the access leg is added by
// the caller). Off-network points (edge −1) give no entry. Returns {nodes, minutes, point}.
export function pointSources(net, edges, fracs, access, toward) {
  const nodes = [];
  const minutes = [];
  const point = [];
  const fwd = toward ? net.timeUV : net.timeVU;
  const back = toward ? net.timeVU : net.timeUV;
  for (let i = 0; i < edges.length; i++) {
    const e = edges[i];
    if (e < 0) continue;
    const a = toward ? access[i] : 0;
    nodes.push(net.edgeU[e], net.edgeV[e]);
    minutes.push(a + part(fracs[i], fwd[e]), a + part(1 - fracs[i], back[e]));
    point.push(i, i);
  }
  return { nodes, minutes, point };
}

// Dijkstra from many start nodes at once. reverse=false walks edges forward (minutes
// *from* the starts); reverse=true walks them backward (minutes *to* the starts). Nodes
// beyond `limit` stay Infinity. Returns {dist, via, start}: via[x] is the edge taken
// out of x toward its start (−1 at a start), start[x] the index of the start entry its
// walk began at.
export function search(net, nodes, minutes, { reverse = false, limit = Infinity } = {}) {
  const n = net.nodeCount;
  const dist = new Float64Array(n).fill(Infinity);
  const via = new Int32Array(n).fill(-1);
  const start = new Int32Array(n).fill(-1);
  const done = new Uint8Array(n);
  const heap = new MinHeap(Math.max(64, nodes.length + 16));
  for (let s = 0; s < nodes.length; s++) {
    const x = nodes[s];
    if (minutes[s] < dist[x] && minutes[s] <= limit) {
      dist[x] = minutes[s];
      start[x] = s;
    }
  }
  for (let x = 0; x < n; x++) if (dist[x] < Infinity) heap.push(dist[x], x);
  const { ptr, edge, head } = net.adjacency;
  // Forward: out of x along the arc; backward: the walk from the far node into x.
  const weight = reverse ? net.adjacency.back : net.adjacency.out;
  while (heap.size > 0) {
    const d = heap.keys[0];
    const x = heap.vals[0];
    heap.pop();
    if (done[x] || d > dist[x]) continue;
    done[x] = 1;
    for (let k = ptr[x]; k < ptr[x + 1]; k++) {
      const y = head[k];
      const candidate = d + weight[k];
      if (candidate < dist[y] && candidate <= limit) {
        dist[y] = candidate;
        via[y] = edge[k];
        start[y] = start[x];
        heap.push(candidate, y);
      }
    }
  }
  return { dist, via, start };
}

// More start nodes for a finished search ({dist, via, start}, changed in place): a search
// from them alone that goes only where it makes a node nearer — past a node it does not
// improve, it improves nothing (minutes never fall along a walk) — so afterwards the arrays
// are those of one search from all the starts. Their start entries are numbered from
// `firstStart`. Returns the nodes made nearer.
export function improve(net, found, nodes, minutes, firstStart, { reverse = false } = {}) {
  const { dist, via, start } = found;
  const heap = new MinHeap(64);
  for (let s = 0; s < nodes.length; s++) {
    const x = nodes[s];
    if (minutes[s] < dist[x]) {
      dist[x] = minutes[s];
      via[x] = -1;
      start[x] = firstStart + s;
      heap.push(minutes[s], x);
    }
  }
  const { ptr, edge, head } = net.adjacency;
  const weight = reverse ? net.adjacency.back : net.adjacency.out;
  const changed = [];
  while (heap.size > 0) {
    const d = heap.keys[0];
    const x = heap.vals[0];
    heap.pop();
    if (d > dist[x]) continue;
    changed.push(x);
    for (let k = ptr[x]; k < ptr[x + 1]; k++) {
      const y = head[k];
      const candidate = d + weight[k];
      if (candidate < dist[y]) {
        dist[y] = candidate;
        via[y] = edge[k];
        start[y] = start[x];
        heap.push(candidate, y);
      }
    }
  }
  return changed;
}

// The reached pieces [edge, f0, f1] within `budget` minutes of a forward search whose
// start point lies on edge e0 at fraction f (dist: its node minutes): whole edges, the
// reached ends of partly reached edges and the stretch of the start's own edge, merged
// per edge (the rule of isochrones._reach_pieces).
export function reachPieces(net, dist, e0, f, budget) {
  const pieces = [];
  if (!(budget >= 0)) return pieces;
  const seen = new Set([e0]);
  const edges = [e0];
  const { ptr, edge } = net.adjacency;
  for (let x = 0; x < net.nodeCount; x++) {
    if (!(dist[x] <= budget)) continue;
    for (let k = ptr[x]; k < ptr[x + 1]; k++) {
      if (!seen.has(edge[k])) {
        seen.add(edge[k]);
        edges.push(edge[k]);
      }
    }
  }
  edges.sort((a, b) => a - b);
  for (const e of edges) {
    const du = dist[net.edgeU[e]];
    const dv = dist[net.edgeV[e]];
    const tuv = net.timeUV[e];
    const tvu = net.timeVU[e];
    const spans = [];
    if (du <= budget) spans.push([0, tuv <= 0 ? 1 : Math.min(1, (budget - du) / tuv)]);
    if (dv <= budget) spans.push([tvu <= 0 ? 0 : Math.max(0, 1 - (budget - dv) / tvu), 1]);
    if (e === e0) {
      spans.push([
        tvu <= 0 ? 0 : Math.max(0, f - budget / tvu),
        tuv <= 0 ? 1 : Math.min(1, f + budget / tuv),
      ]);
    }
    spans.sort((a, b) => a[0] - b[0]);
    const merged = [];
    for (const [lo, hi] of spans) {
      const last = merged[merged.length - 1];
      if (last && lo <= last[1]) last[1] = Math.max(last[1], hi);
      else merged.push([lo, hi]);
    }
    for (const [lo, hi] of merged) if (hi > lo) pieces.push([e, lo, hi]);
  }
  return pieces;
}
