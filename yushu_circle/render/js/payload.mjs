// Decodes the page's network payload (yushu_circle/render/network_payload.py, format
// "yushu-network/1") into typed arrays, and builds the adjacency the searches walk.

export const FORMAT = "yushu-network/1";

function littleEndian() {
  return new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
}

function bytesOf(b64) {
  const text = atob(b64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

const VIEWS = { int32: Int32Array, uint32: Uint32Array, float32: Float32Array, float64: Float64Array };

// One {dtype, count, b64} entry as a typed array (a fresh, aligned buffer).
export function decodeTyped(entry) {
  const View = VIEWS[entry.dtype];
  if (!View) throw new Error(`payload: unknown dtype ${entry.dtype}`);
  const bytes = bytesOf(entry.b64);
  if (bytes.length !== entry.count * View.BYTES_PER_ELEMENT) {
    throw new Error(`payload: ${entry.dtype} array of ${entry.count} has ${bytes.length} bytes`);
  }
  return new View(bytes.buffer, 0, entry.count);
}

// The inverse of decodeTyped (hand-built payloads in tests; the page never encodes).
export function encodeTyped(values, dtype) {
  const array = new VIEWS[dtype](values);
  const bytes = new Uint8Array(array.buffer);
  let text = "";
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
  return { dtype, count: array.length, b64: btoa(text) };
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
  const out = new Float64Array(arcs);
  const back = new Float64Array(arcs);
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
  const lon = decodeTyped(part.lon);
  const lat = decodeTyped(part.lat);
  const count = lon.length;
  const out = {
    count,
    lon: new Float64Array(count),
    lat: new Float64Array(count),
    edge: decodeTyped(part.edge),
    frac: decodeTyped(part.frac),
    access: decodeTyped(part.access),
  };
  for (let i = 0; i < count; i++) {
    out.lon[i] = lon[i] / scale;
    out.lat[i] = lat[i] / scale;
  }
  return out;
}

// The payload as arrays: nodes (degrees), edges (ends, minutes per direction, full
// vertex lists from u to v), residences, facilities and categories.
export function decodePayload(payload) {
  if (payload.format !== FORMAT) {
    throw new Error(`payload format ${payload.format} is not ${FORMAT}: rebuild the map`);
  }
  if (!littleEndian()) throw new Error("payload: this engine needs a little-endian machine");
  const scale = payload.coord_scale;
  const nodeLonQ = decodeTyped(payload.nodes.lon);
  const nodeLatQ = decodeTyped(payload.nodes.lat);
  const n = nodeLonQ.length;
  const nodeLon = new Float64Array(n);
  const nodeLat = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    nodeLon[i] = nodeLonQ[i] / scale;
    nodeLat[i] = nodeLatQ[i] / scale;
  }
  const e = payload.edges;
  const edgeU = decodeTyped(e.u);
  const edgeV = decodeTyped(e.v);
  const m = edgeU.length;
  const timeUV = decodeTyped(e.time_uv);
  const timeVU = decodeTyped(e.time_vu);
  const geomPtr = decodeTyped(e.geom_ptr);
  const geomLon = decodeTyped(e.geom_lon);
  const geomLat = decodeTyped(e.geom_lat);
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
  residences.population = decodeTyped(payload.residences.population);
  const facilities = points(payload.facilities, scale);
  facilities.id = payload.facilities.id;
  facilities.name = payload.facilities.name;
  facilities.category = decodeTyped(payload.facilities.category);
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
