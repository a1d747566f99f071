// Decodes the page's network payload (yushu_circle/results/engine.py, format
// "yushu-network/2"): the packed arrays inflated with the browser's DecompressionStream and
// decoded (results/packing.py's codes), then turned into the arrays the searches walk.

export const FORMAT = "yushu-network/2";

function littleEndian() {
  return new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
}

function bytesOf(b64) {
  if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(b64);
  const text = atob(b64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

const VIEWS = {
  uint8: Uint8Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
};

// One {dtype, count, b64} entry as a typed array (a fresh, aligned buffer).
export function decodeTyped(entry) {
  const View = VIEWS[entry.dtype];
  if (!View) throw new Error(`payload: unknown dtype ${entry.dtype}`);
  const bytes = bytesOf(entry.b64);
  if (bytes.length !== entry.count * View.BYTES_PER_ELEMENT) {
    throw new Error(`payload: ${entry.dtype} array of ${entry.count} has ${bytes.length} bytes`);
  }
  return new View(bytes.buffer, bytes.byteOffset, entry.count);
}

// The inverse of decodeTyped (hand-built entries in tests; the page never encodes).
export function encodeTyped(values, dtype) {
  const array = new VIEWS[dtype](values);
  const bytes = new Uint8Array(array.buffer);
  let text = "";
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
  return { dtype, count: array.length, b64: btoa(text) };
}

// A zlib stream (Python's zlib.compress) inflated by the browser's own DecompressionStream.
export async function inflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// count values of `View` whose bytes were stored plane by plane (all first bytes, …).
function unshuffled(raw, offset, count, View) {
  const width = View.BYTES_PER_ELEMENT;
  const out = new View(count);
  if (width === 1) {
    out.set(raw.subarray(offset, offset + count));
    return out;
  }
  const bytes = new Uint8Array(out.buffer);
  for (let b = 0; b < width; b++) {
    const plane = raw.subarray(offset + b * count, offset + (b + 1) * count);
    for (let i = 0, k = b; i < count; i++, k += width) bytes[k] = plane[i];
  }
  return out;
}

const unzigzag = (z) => (z >>> 1) ^ -(z & 1);

// Points' coordinates from their steps off the coordinate their snap names: their edge's
// end nodes interpolated at their fraction, rounded as results/packing.py's `along` does
// (the same float64 operations in the same order, so the same integer).
function along(arrays, name, coded, out) {
  const dot = name.lastIndexOf(".");
  const group = name.slice(0, dot);
  const nodes = arrays[`nodes.${name.slice(dot + 1)}`];
  const edge = arrays[`${group}.edge`];
  const frac = arrays[`${group}.frac`];
  const edgeU = arrays["edges.u"];
  const edgeV = arrays["edges.v"];
  for (let i = 0; i < coded.length; i++) {
    const e = edge[i];
    let base = 0;
    if (e >= 0) {
      const a = nodes[edgeU[e]];
      base = Math.floor(a + frac[i] * (nodes[edgeV[e]] - a) + 0.5);
    }
    out[i] = (base + unzigzag(coded[i])) | 0;
  }
  return out;
}

function decodedBlock(arrays, name, View, code, coded) {
  const count = coded.length;
  if (code === "plain") return coded;
  if (code === "delta" && View === Float64Array) {
    for (let i = 1; i < count; i++) coded[i] += coded[i - 1];
    return coded;
  }
  const out = new View(count);
  if (code === "delta") {
    let run = 0;
    for (let i = 0; i < count; i++) out[i] = run = (run + unzigzag(coded[i])) | 0;
    return out;
  }
  const [kind, ref] = code.split(":");
  if (kind === "minus") {
    const base = arrays[ref];
    for (let i = 0; i < count; i++) out[i] = (base[i] + unzigzag(coded[i])) | 0;
    return out;
  }
  if (kind === "xor") {
    const base = new Uint32Array(arrays[ref].buffer, arrays[ref].byteOffset, count);
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = base[i] ^ coded[i];
    return out;
  }
  if (kind === "along") return along(arrays, name, coded, out);
  throw new Error(`payload: block ${name} has unknown code ${code}`);
}

// The arrays of a packed entry, by block name.
export async function unpack(packed) {
  if (packed.codec !== "deflate") throw new Error(`payload: unknown codec ${packed.codec}`);
  const raw = await inflate(decodeTyped(packed.data));
  if (raw.length !== packed.bytes) {
    throw new Error(`payload: ${raw.length} bytes inflated, ${packed.bytes} expected`);
  }
  const arrays = {};
  let offset = 0;
  for (const [name, dtype, code, count] of packed.blocks) {
    const View = VIEWS[dtype];
    if (!View) throw new Error(`payload: block ${name} has unknown dtype ${dtype}`);
    const coded = code === "plain" || (code === "delta" && View === Float64Array) ? View : Uint32Array;
    arrays[name] = decodedBlock(arrays, name, View, code, unshuffled(raw, offset, count, coded));
    offset += count * coded.BYTES_PER_ELEMENT;
  }
  if (offset !== raw.length) throw new Error(`payload: ${raw.length - offset} bytes left over`);
  return arrays;
}

const GROUPS = ["nodes", "edges", "residences", "facilities"];

// The page's JSON payload with its arrays unpacked: the layout decodePayload (and so
// createEngine) takes — nodes {lon, lat}, edges {u, v, time_uv, time_vu, geom_ptr,
// geom_lon, geom_lat}, residences and facilities {id, lon, lat, edge, frac, access, …}.
export async function loadPayload(doc) {
  if (doc.format !== FORMAT) {
    throw new Error(`payload format ${doc.format} is not ${FORMAT}: rebuild the map`);
  }
  if (!littleEndian()) throw new Error("payload: this engine needs a little-endian machine");
  const arrays = await unpack(doc.packed);
  const out = { ...doc };
  delete out.packed;
  for (const group of GROUPS) out[group] = { ...doc[group] };
  for (const name of Object.keys(arrays)) {
    const dot = name.indexOf(".");
    out[name.slice(0, dot)][name.slice(dot + 1)] = arrays[name];
  }
  const R = out.residences;
  if (R.id_json) {
    R.id = JSON.parse(new TextDecoder().decode(R.id_json));
  } else {
    const prefixes = R.id_prefixes;
    R.id = new Array(R.id_number.length);
    for (let i = 0; i < R.id.length; i++) R.id[i] = prefixes[R.id_prefix[i]] + String(R.id_number[i]);
  }
  delete R.id_json;
  delete R.id_prefix;
  delete R.id_number;
  delete R.id_prefixes;
  delete R.digest;
  return out;
}

// Incident edges of every node in CSR form, with each arc's far node and its minutes
// walked forward (out of the node) and backward (into it): self-loops are left out, as
// Python's min_csr drops them.
export function incidence(nodeCount, edgeU, edgeV, timeUV, timeVU) {
  const ptr = new Int32Array(nodeCount + 1);
  for (let e = 0; e < edgeU.length; e++) {
    if (edgeU[e] === edgeV[e]) continue;
    ptr[edgeU[e] + 1]++;
    ptr[edgeV[e] + 1]++;
  }
  for (let i = 0; i < nodeCount; i++) ptr[i + 1] += ptr[i];
  const fill = ptr.slice(0, nodeCount);
  const arcs = ptr[nodeCount];
  const edge = new Int32Array(arcs);
  const head = new Int32Array(arcs);
  // The minutes are float32 in the payload: float32 arcs hold them exactly, in half the memory.
  const out = new Float32Array(arcs);
  const back = new Float32Array(arcs);
  for (let e = 0; e < edgeU.length; e++) {
    const u = edgeU[e];
    const v = edgeV[e];
    if (u === v) continue;
    let k = fill[u]++;
    edge[k] = e;
    head[k] = v;
    out[k] = timeUV[e];
    back[k] = timeVU[e];
    k = fill[v]++;
    edge[k] = e;
    head[k] = u;
    out[k] = timeVU[e];
    back[k] = timeUV[e];
  }
  return { ptr, edge, head, out, back };
}

function points(part, scale) {
  const { lon, lat } = part;
  const count = lon.length;
  const out = {
    count,
    lon: new Float64Array(count),
    lat: new Float64Array(count),
    edge: part.edge,
    frac: part.frac,
    access: part.access,
  };
  for (let i = 0; i < count; i++) {
    out.lon[i] = lon[i] / scale;
    out.lat[i] = lat[i] / scale;
  }
  return out;
}

// A loaded payload (loadPayload's) as the engine's arrays: nodes (degrees), edges (ends,
// minutes per direction, full vertex lists from u to v), residences, facilities and
// categories.
export function decodePayload(payload) {
  if (payload.format !== FORMAT) {
    throw new Error(`payload format ${payload.format} is not ${FORMAT}: rebuild the map`);
  }
  if (payload.packed) throw new Error("payload: unpack it first (loadPayload)");
  const scale = payload.coord_scale;
  const nodeLonQ = payload.nodes.lon;
  const nodeLatQ = payload.nodes.lat;
  const n = nodeLonQ.length;
  const nodeLon = new Float64Array(n);
  const nodeLat = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    nodeLon[i] = nodeLonQ[i] / scale;
    nodeLat[i] = nodeLatQ[i] / scale;
  }
  const e = payload.edges;
  const { u: edgeU, v: edgeV, time_uv: timeUV, time_vu: timeVU } = e;
  const m = edgeU.length;
  const { geom_ptr: geomPtr, geom_lon: geomLon, geom_lat: geomLat } = e;
  // Full vertex lists: u, the interior vertices, v.
  const vertexPtr = new Int32Array(m + 1);
  for (let k = 0; k < m; k++) vertexPtr[k + 1] = vertexPtr[k] + (geomPtr[k + 1] - geomPtr[k]) + 2;
  const vertexLon = new Float64Array(vertexPtr[m]);
  const vertexLat = new Float64Array(vertexPtr[m]);
  for (let k = 0; k < m; k++) {
    let s = vertexPtr[k];
    vertexLon[s] = nodeLon[edgeU[k]];
    vertexLat[s++] = nodeLat[edgeU[k]];
    for (let g = geomPtr[k]; g < geomPtr[k + 1]; g++) {
      vertexLon[s] = geomLon[g] / scale;
      vertexLat[s++] = geomLat[g] / scale;
    }
    vertexLon[s] = nodeLon[edgeV[k]];
    vertexLat[s] = nodeLat[edgeV[k]];
  }
  const residences = points(payload.residences, scale);
  residences.id = payload.residences.id;
  residences.population = payload.residences.population;
  const facilities = points(payload.facilities, scale);
  facilities.id = payload.facilities.id;
  facilities.name = payload.facilities.name;
  facilities.category = payload.facilities.category;
  return {
    synthetic: payload.synthetic,
    profile: payload.profile,
    metresPerMinute: payload.metres_per_minute,
    snapLimitM: payload.snap_limit_m,
    bufferM: payload.buffer_m,
    thresholds: payload.thresholds,
    utm: payload.utm,
    categories: payload.categories,
    coverage: payload.coverage || null,
    nodeCount: n,
    nodeLon,
    nodeLat,
    edgeCount: m,
    edgeU,
    edgeV,
    timeUV,
    timeVU,
    vertexPtr,
    vertexLon,
    vertexLat,
    adjacency: incidence(n, edgeU, edgeV, timeUV, timeVU),
    residences,
    facilities,
  };
}
