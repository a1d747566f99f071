// The packed payload read back: every code of results/packing.py on blocks packed here the
// way the module's docstring says (zlib from node's own), and the refusals. Python's packing
// read by this decoder is tests/test_engine_payload.py's.

import { test } from "node:test";
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";

import { FORMAT, loadPayload, unpack } from "../../yushu_circle/render/js/payload.mjs";
import { payload } from "./graphs.mjs";

const zigzag = (v) => ((v << 1) ^ (v >> 31)) >>> 0;

// Bytes plane by plane: all first bytes, then all second bytes, …
function shuffled(array) {
  const width = array.BYTES_PER_ELEMENT;
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < array.length; i++) for (let b = 0; b < width; b++) out[b * array.length + i] = bytes[i * width + b];
  return out;
}

function packed(blocks) {
  const parts = blocks.map(([, , , coded]) => shuffled(coded));
  const raw = Buffer.concat(parts);
  const data = deflateSync(raw);
  return {
    codec: "deflate",
    blocks: blocks.map(([name, dtype, code, coded]) => [name, dtype, code, coded.length]),
    bytes: raw.length,
    data: { dtype: "uint8", count: data.length, b64: data.toString("base64") },
  };
}

test("each code decodes to its values: plain, delta, minus, xor, along", async () => {
  const nodesLon = [1000, 1010, 995, -2147483648, 2147483647];
  const u = [0, 1, 2];
  const v = [1, 2, 0];
  const frac = new Float32Array([0.25, 0.5, 1]);
  const edge = [0, 1, -1];
  const along = (i) => {
    if (edge[i] < 0) return 0;
    const a = nodesLon[u[edge[i]]];
    return Math.floor(a + frac[i] * (nodesLon[v[edge[i]]] - a) + 0.5);
  };
  const lon = [1003, 998, 77];
  const timeUV = new Float32Array([1.5, 2.25, 0.1]);
  const timeVU = new Float32Array([1.5, 3, 0.1]);
  const deltas = nodesLon.map((x, i) => zigzag((x - (i ? nodesLon[i - 1] : 0)) | 0));
  const xor = new Uint32Array(timeVU.buffer).map((bits, i) => bits ^ new Uint32Array(timeUV.buffer)[i]);
  const numbers = new Float64Array([1302644, 1302645, 9007199254740991]);
  const arrays = await unpack(
    packed([
      ["nodes.lon", "int32", "delta", Uint32Array.from(deltas)],
      ["edges.u", "int32", "plain", Int32Array.from(u)],
      ["edges.v", "int32", "minus:edges.u", Uint32Array.from(v, (x, i) => zigzag(x - u[i]))],
      ["edges.time_uv", "float32", "plain", timeUV],
      ["edges.time_vu", "float32", "xor:edges.time_uv", xor],
      ["points.edge", "int32", "plain", Int32Array.from(edge)],
      ["points.frac", "float32", "plain", frac],
      ["points.lon", "int32", "along", Uint32Array.from(lon, (x, i) => zigzag(x - along(i)))],
      ["ids", "float64", "delta", Float64Array.from(numbers, (x, i) => x - (i ? numbers[i - 1] : 0))],
      ["flags", "uint8", "plain", Uint8Array.from([0, 255, 7])],
    ]),
  );
  assert.deepEqual(Array.from(arrays["nodes.lon"]), nodesLon);
  assert.deepEqual(Array.from(arrays["edges.v"]), v);
  assert.deepEqual(Array.from(arrays["edges.time_vu"]), Array.from(timeVU));
  assert.deepEqual(Array.from(arrays["points.lon"]), lon);
  assert.deepEqual(Array.from(arrays.ids), Array.from(numbers));
  assert.deepEqual(Array.from(arrays.flags), [0, 255, 7]);
  assert.ok(arrays["edges.time_vu"] instanceof Float32Array && arrays["nodes.lon"] instanceof Int32Array);
});

test("damaged or foreign payloads are refused with what is wrong", async () => {
  const good = packed([["a", "int32", "plain", Int32Array.from([1, 2])]]);
  await assert.rejects(unpack({ ...good, bytes: 9 }), /9 expected/);
  await assert.rejects(unpack({ ...good, codec: "brotli" }), /unknown codec brotli/);
  await assert.rejects(unpack({ ...good, blocks: [["a", "int64", "plain", 1]] }), /unknown dtype int64/);
  await assert.rejects(unpack({ ...good, blocks: [["a", "int32", "plain", 1]] }), /4 bytes left over/);
  await assert.rejects(unpack({ ...good, blocks: [["a", "int32", "rot13", 2]] }), /unknown code rot13/);
  await assert.rejects(loadPayload({ format: "yushu-network/1" }), /is not yushu-network\/2: rebuild the map/);
});

test("a packed payload loads into the layout the engine takes; ids by prefix and number", async () => {
  const plain = payload({
    nodes: [[0, 0], [100, 0]],
    edges: [{ u: 0, v: 1 }],
    residences: [{ id: "osm-node-7", edge: 0, frac: 0.5, access: 0.1, at: [50, 5] }],
  });
  const doc = {
    format: FORMAT,
    nodes: { count: 2 },
    edges: { count: 1, interior: 0 },
    residences: { count: 2, id_prefixes: ["osm-node-", "x"], digest: "0" },
    facilities: { count: 0, id: [], name: [] },
    packed: packed([
      ["nodes.lon", "int32", "plain", plain.nodes.lon],
      ["residences.id_prefix", "int32", "plain", Int32Array.from([0, 1])],
      ["residences.id_number", "float64", "plain", Float64Array.from([7, 0])],
    ]),
  };
  const loaded = await loadPayload(doc);
  assert.deepEqual(loaded.residences.id, ["osm-node-7", "x0"]);
  assert.deepEqual(Array.from(loaded.nodes.lon), Array.from(plain.nodes.lon));
  assert.equal(loaded.packed, undefined);
  assert.equal(loaded.residences.id_prefix, undefined);
  const text = { ...doc, packed: packed([["residences.id_json", "uint8", "plain", new TextEncoder().encode('["a,1","东"]')]]) };
  assert.deepEqual((await loadPayload(text)).residences.id, ["a,1", "东"]);
});
