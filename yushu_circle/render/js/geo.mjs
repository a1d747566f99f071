// Geometry on the decoded network: great-circle lengths (osmnx's, which edge lengths and
// so edge minutes come from), UTM projection of clicked points, cutting edges at a
// fraction, and snapping a point onto its nearest edge (Python's WalkNetwork.snap rule).

const EARTH_RADIUS_M = 6371009; // osmnx.distance.great_circle's default
const DEG = Math.PI / 180;

export function greatCircle(lon1, lat1, lon2, lat2) {
  const y1 = lat1 * DEG;
  const y2 = lat2 * DEG;
  const dy = y2 - y1;
  const dx = (lon2 - lon1) * DEG;
  const h = Math.sin(dy / 2) ** 2 + Math.cos(y1) * Math.cos(y2) * Math.sin(dx / 2) ** 2;
  return 2 * Math.asin(Math.sqrt(Math.min(1, h))) * EARTH_RADIUS_M;
}

// Great-circle length of a [[lon, lat], ...] line, metres.
export function lineLength(lonlat) {
  let total = 0;
  for (let i = 1; i < lonlat.length; i++) {
    total += greatCircle(lonlat[i - 1][0], lonlat[i - 1][1], lonlat[i][0], lonlat[i][1]);
  }
  return total;
}

// WGS-84 UTM forward projection (Krüger's series to n⁴, Karney 2011: sub-millimetre
// within a zone), the CRS every OSM study's network is measured in.
const A_AXIS = 6378137;
const FLAT = 1 / 298.257223563;
const N3 = FLAT / (2 - FLAT);
const RECT = (A_AXIS / (1 + N3)) * (1 + N3 ** 2 / 4 + N3 ** 4 / 64);
const ECC = (2 * Math.sqrt(N3)) / (1 + N3);
const ALPHA = [
  N3 / 2 - (2 / 3) * N3 ** 2 + (5 / 16) * N3 ** 3 + (41 / 180) * N3 ** 4,
  (13 / 48) * N3 ** 2 - (3 / 5) * N3 ** 3 + (557 / 1440) * N3 ** 4,
  (61 / 240) * N3 ** 3 - (103 / 140) * N3 ** 4,
  (49561 / 161280) * N3 ** 4,
];

export function utmForward(lon, lat, zone, south) {
  const phi = lat * DEG;
  const dl = (lon - (zone * 6 - 183)) * DEG;
  const s = Math.sin(phi);
  const t = Math.sinh(Math.atanh(s) - ECC * Math.atanh(ECC * s));
  const xi = Math.atan2(t, Math.cos(dl));
  const eta = Math.atanh(Math.sin(dl) / Math.sqrt(1 + t * t));
  let x = eta;
  let y = xi;
  for (let j = 1; j <= 4; j++) {
    x += ALPHA[j - 1] * Math.cos(2 * j * xi) * Math.sinh(2 * j * eta);
    y += ALPHA[j - 1] * Math.sin(2 * j * xi) * Math.cosh(2 * j * eta);
  }
  return [500000 + 0.9996 * RECT * x, (south ? 10000000 : 0) + 0.9996 * RECT * y];
}

// Per vertex, the share of its edge's great-circle length up to it (0 … 1).
export function vertexShares(net) {
  if (net._shares) return net._shares;
  const shares = new Float64Array(net.vertexLon.length);
  for (let e = 0; e < net.edgeCount; e++) {
    const a = net.vertexPtr[e];
    const b = net.vertexPtr[e + 1];
    let run = 0;
    for (let s = a + 1; s < b; s++) {
      run += greatCircle(net.vertexLon[s - 1], net.vertexLat[s - 1], net.vertexLon[s], net.vertexLat[s]);
      shares[s] = run;
    }
    for (let s = a; s < b; s++) shares[s] = run > 0 ? shares[s] / run : (s - a) / Math.max(1, b - a - 1);
  }
  net._shares = shares;
  return shares;
}

// The point at fraction f (0 at u, 1 at v) of an edge's length, [lon, lat].
export function pointAt(net, e, f) {
  const shares = vertexShares(net);
  const a = net.vertexPtr[e];
  const b = net.vertexPtr[e + 1];
  for (let s = a; s < b - 1; s++) {
    if (shares[s + 1] >= f || s === b - 2) {
      const span = shares[s + 1] - shares[s];
      const w = span > 0 ? Math.min(1, Math.max(0, (f - shares[s]) / span)) : 0;
      return [
        net.vertexLon[s] + w * (net.vertexLon[s + 1] - net.vertexLon[s]),
        net.vertexLat[s] + w * (net.vertexLat[s + 1] - net.vertexLat[s]),
      ];
    }
  }
  return [net.vertexLon[a], net.vertexLat[a]];
}

// The stretch of edge e from fraction f0 to f1 (either order: f0 > f1 runs toward u), as
// [[lon, lat], ...], vertices in between included.
export function cut(net, e, f0, f1) {
  const shares = vertexShares(net);
  const a = net.vertexPtr[e];
  const b = net.vertexPtr[e + 1];
  const lo = Math.min(f0, f1);
  const hi = Math.max(f0, f1);
  const line = [pointAt(net, e, lo)];
  for (let s = a; s < b; s++) {
    if (shares[s] > lo && shares[s] < hi) line.push([net.vertexLon[s], net.vertexLat[s]]);
  }
  line.push(pointAt(net, e, hi));
  return f0 <= f1 ? line : line.reverse();
}

// Lon/lat boxes of the edges (no trigonometry), made on the first snap.
function boxes(net) {
  if (net._boxes) return net._boxes;
  const box = new Float64Array(4 * net.edgeCount);
  for (let e = 0; e < net.edgeCount; e++) {
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (let s = net.vertexPtr[e]; s < net.vertexPtr[e + 1]; s++) {
      x0 = Math.min(x0, net.vertexLon[s]);
      x1 = Math.max(x1, net.vertexLon[s]);
      y0 = Math.min(y0, net.vertexLat[s]);
      y1 = Math.max(y1, net.vertexLat[s]);
    }
    box[4 * e] = x0;
    box[4 * e + 1] = y0;
    box[4 * e + 2] = x1;
    box[4 * e + 3] = y1;
  }
  net._boxes = box;
  net._xy = new Float64Array(2 * net.vertexLon.length);
  net._projected = new Uint8Array(net.edgeCount);
  return box;
}

// An edge's vertices in UTM metres (projected once, when a snap first looks at it).
function projectEdge(net, e) {
  if (net._projected[e]) return;
  for (let s = net.vertexPtr[e]; s < net.vertexPtr[e + 1]; s++) {
    const [x, y] = utmForward(net.vertexLon[s], net.vertexLat[s], net.utm.zone, net.utm.south);
    net._xy[2 * s] = x;
    net._xy[2 * s + 1] = y;
  }
  net._projected[e] = 1;
}

function edgeDistance(net, e, px, py) {
  projectEdge(net, e);
  let best = Infinity;
  for (let s = net.vertexPtr[e]; s < net.vertexPtr[e + 1] - 1; s++) {
    best = Math.min(best, segmentDistance(px, py, net._xy, s).distance);
  }
  return best;
}

// Metres per degree, scaled down so that the box distance is a lower bound of the UTM
// distance (UTM's scale is within 0.9996–1.001 of true in a zone; 10 % spare).
const BOUND_M_PER_DEG = 0.9 * 110574;

// Snap (lon, lat) onto the nearest edge as WalkNetwork.snap does in its UTM CRS: the
// nearest edge (the lowest index among equally near ones), the foot of the perpendicular
// on it, clamped to the line, as a share of the projected length; the straight distance
// is the access leg. Returns {edge, frac, snapM, onNetwork}. Only edges whose lon/lat box
// may be nearer than the nearest box's edge are measured exactly.
export function snapPoint(net, lon, lat) {
  if (!net.utm) throw new Error("this network's CRS is not UTM: add facilities in the notebook or CLI");
  const box = boxes(net);
  const [px, py] = utmForward(lon, lat, net.utm.zone, net.utm.south);
  const bound = new Float64Array(net.edgeCount);
  // Boxes within a degree of latitude: a degree of longitude is at least this long there.
  const cosNear = Math.cos(Math.min(89, Math.abs(lat) + 1) * DEG);
  let first = -1;
  for (let e = 0; e < net.edgeCount; e++) {
    const dx = Math.max(box[4 * e] - lon, lon - box[4 * e + 2], 0) * cosNear;
    const dy = Math.max(box[4 * e + 1] - lat, lat - box[4 * e + 3], 0);
    bound[e] = BOUND_M_PER_DEG * (dy < 1 ? Math.sqrt(dx * dx + dy * dy) : dy);
    if (first < 0 || bound[e] < bound[first]) first = e;
  }
  if (first < 0) return { edge: -1, frac: 0, snapM: Infinity, onNetwork: false };
  const reach = edgeDistance(net, first, px, py);
  let best = Infinity;
  let bestEdge = -1;
  for (let e = 0; e < net.edgeCount; e++) {
    if (bound[e] > reach) continue;
    const d = edgeDistance(net, e, px, py);
    if (d < best) {
      best = d;
      bestEdge = e;
    }
  }
  const xy = net._xy;
  // Distance along the line to its nearest point (the first nearest segment, as GEOS).
  let total = 0;
  let along = 0;
  let nearest = Infinity;
  for (let s = net.vertexPtr[bestEdge]; s < net.vertexPtr[bestEdge + 1] - 1; s++) {
    const seg = segmentDistance(px, py, xy, s);
    if (seg.distance < nearest) {
      nearest = seg.distance;
      along = total + seg.t * seg.length;
    }
    total += seg.length;
  }
  const frac = total > 0 ? Math.min(1, Math.max(0, along / total)) : 0;
  return { edge: bestEdge, frac, snapM: best, onNetwork: best <= net.snapLimitM };
}

function segmentDistance(px, py, xy, s) {
  const ax = xy[2 * s];
  const ay = xy[2 * s + 1];
  const dx = xy[2 * s + 2] - ax;
  const dy = xy[2 * s + 3] - ay;
  const length2 = dx * dx + dy * dy;
  const t = length2 > 0 ? Math.min(1, Math.max(0, ((px - ax) * dx + (py - ay) * dy) / length2)) : 0;
  const distance = Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
  return { distance, t, length: Math.sqrt(length2) };
}
