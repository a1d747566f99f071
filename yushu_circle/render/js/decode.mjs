// The map data's compact encodings, unpacked: step-coded lines and rings, a big city's
// whole minutes as base64 bytes, and categories nobody reaches sent by name only.

// [x0, y0, dx1, dy1, …] in integer units per degree → [[lat, lon], …].
export function decodeSteps(steps, scale) {
  const points = [];
  let x = 0;
  let y = 0;
  for (let k = 0; k + 1 < steps.length; k += 2) {
    x += steps[k];
    y += steps[k + 1];
    points.push([y / scale, x / scale]);
  }
  return points;
}

// Base64 bytes → whole minutes (255: unreachable → null).
export function unpackMinutes(text) {
  const bytes = atob(text);
  const out = new Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes.charCodeAt(i);
    out[i] = b === 255 ? null : b;
  }
  return out;
}

// The data's minutes tables as plain arrays: packed ones unpacked, unreached ones filled.
export function unpackData(data) {
  const tables = [data.res.min, (data.edges && data.edges.min) || {}];
  for (const table of tables) {
    for (const key of Object.keys(table)) {
      if (typeof table[key] === "string") table[key] = unpackMinutes(table[key]);
    }
  }
  for (const key of data.unreached || []) {
    data.res.min[key] = data.res.id.map(() => null);
    if (data.edges && data.edges.min) data.edges.min[key] = data.edges.coords.map(() => null);
  }
  return data;
}
