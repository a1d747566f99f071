// A city's streets and residences drawn straight from the engine's typed arrays, when there
// are too many for one Leaflet layer each (Python sends `data.network` then): three canvases
// (the basemap's grey streets, the coloured streets, the residences) whose pixels are set
// directly — a CPU-drawn canvas takes seconds to stroke a million anti-aliased lines and
// tens of milliseconds to set a million short runs of pixels. Each is redrawn after a move
// or zoom and after every change of colours; a click finds the residence under it.

import { minutesColor, scoreColor } from "./classes.mjs";
import { openResidence } from "./residences.mjs";
import { isPhone } from "./screen.mjs";

const GROUND = "#c8c2b4"; // the basemap's roads, as streets.mjs draws them
const OUTLINE = "#333333"; // a residence's ring, as its marker's
const MANY = 50000; // more residences in view than this: small dots
const SOME = 5000; // fewer than this: the markers' size, with their ring

// "#rrggbb" → the 32-bit pixel (little-endian RGBA) of an opaque colour.
export function pixelOf(color) {
  const n = parseInt(color.slice(1), 16);
  return ((255 << 24) | ((n & 0xff) << 16) | (n & 0xff00) | (n >> 16)) >>> 0;
}

// Web Mercator at zoom 0, as a share of the world's width (Leaflet's EPSG:3857 × 256).
export function mercatorX(lon) {
  return lon / 360 + 0.5;
}
export function mercatorY(lat) {
  const s = Math.sin((Math.max(-85.0511287798, Math.min(85.0511287798, lat)) * Math.PI) / 180);
  return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
}

// The canvas's pixels and the transform from Mercator shares to them.
function frame(map, canvas) {
  const size = map.getSize();
  const corner = map.containerPointToLayerPoint([0, 0]);
  L.DomUtil.setPosition(canvas, corner);
  canvas.width = size.x;
  canvas.height = size.y;
  const origin = map.getPixelOrigin();
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(Math.max(1, size.x), Math.max(1, size.y));
  return {
    ctx,
    image,
    pixels: new Uint32Array(image.data.buffer),
    width: size.x,
    height: size.y,
    scale: map.options.crs.scale(map.getZoom()),
    ox: origin.x + corner.x,
    oy: origin.y + corner.y,
    zoom: map.getZoom(),
  };
}

// One canvas in `pane` that `draw(view)` fills; redrawn after every move and zoom.
function pixelLayer(pane, draw) {
  const Layer = L.Layer.extend({
    onAdd(map) {
      this._canvas = L.DomUtil.create("canvas", "leaflet-zoom-hide yc-pixels");
      this._canvas.style.pointerEvents = "none";
      map.getPane(pane).appendChild(this._canvas);
      map.on("moveend zoomend resize viewreset", this.redraw, this);
      this.redraw();
    },
    onRemove(map) {
      L.DomUtil.remove(this._canvas);
      map.off("moveend zoomend resize viewreset", this.redraw, this);
    },
    redraw() {
      if (!this._map) return this;
      const view = frame(this._map, this._canvas);
      if (view.width && view.height) {
        draw(view);
        view.ctx.putImageData(view.image, 0, 0);
      }
      return this;
    },
  });
  return new Layer();
}

// A square brush of side `w` at (x, y), clipped to the canvas.
function plot(view, x, y, w, color) {
  const h = w >> 1;
  const x0 = Math.max(0, x - h);
  const x1 = Math.min(view.width - 1, x - h + w - 1);
  const y0 = Math.max(0, y - h);
  const y1 = Math.min(view.height - 1, y - h + w - 1);
  for (let yy = y0; yy <= y1; yy++) {
    const row = yy * view.width;
    for (let xx = x0; xx <= x1; xx++) view.pixels[row + xx] = color;
  }
}

// A segment with a square brush, cut to the canvas first (Liang–Barsky) so that a long
// street mostly off screen costs only its visible pixels.
export function segment(view, ax, ay, bx, by, w, color) {
  const pad = w;
  let t0 = 0;
  let t1 = 1;
  const dx = bx - ax;
  const dy = by - ay;
  const edges = [
    [-dx, ax + pad],
    [dx, view.width - 1 + pad - ax],
    [-dy, ay + pad],
    [dy, view.height - 1 + pad - ay],
  ];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return;
    } else {
      const r = q / p;
      if (p < 0) {
        if (r > t1) return;
        if (r > t0) t0 = r;
      } else {
        if (r < t0) return;
        if (r < t1) t1 = r;
      }
    }
  }
  const x0 = ax + t0 * dx;
  const y0 = ay + t0 * dy;
  const sx = (t1 - t0) * dx;
  const sy = (t1 - t0) * dy;
  const steps = Math.ceil(Math.max(Math.abs(sx), Math.abs(sy)));
  for (let k = 0; k <= steps; k++) {
    const t = steps ? k / steps : 0;
    plot(view, Math.round(x0 + t * sx), Math.round(y0 + t * sy), w, color);
  }
}

// A disc of radius r (with a ring of another colour from radius 3 on).
function dot(view, x, y, r, fill, ring) {
  for (let dy = -r; dy <= r; dy++) {
    const yy = y + dy;
    if (yy < 0 || yy >= view.height) continue;
    const row = yy * view.width;
    for (let dx = -r; dx <= r; dx++) {
      const xx = x + dx;
      const d2 = dx * dx + dy * dy;
      if (xx < 0 || xx >= view.width || d2 > r * r + r) continue;
      view.pixels[row + xx] = ring !== null && d2 > (r - 1) * (r - 1) + (r - 1) ? ring : fill;
    }
  }
}

function streetWidth(zoom) {
  return zoom >= 17 ? 3 : zoom >= 15 ? 2 : 1;
}

// The city's layers: made empty with the page (drawLayers), filled when the engine is
// loaded (attach). Their map click comes before residences.mjs's (which clears a reach
// when the click was on no feature); `listen` adds the colouring after its count.
export function cityLayers(app) {
  const { map } = app;
  const pane = map.createPane("yc-homes");
  pane.style.zIndex = "440";
  pane.style.pointerEvents = "none";
  const city = { engine: null, net: null };
  const ground = pixelOf(GROUND);
  let streetColor = null; // per edge, the pixel colour
  let homeColor = null; // per residence, the pixel colour; 0: hidden
  let vx = null;
  let vy = null;
  let rx = null;
  let ry = null;

  function drawEdges(view, color, extra) {
    const net = city.net;
    if (!net) return;
    const w = streetWidth(view.zoom) + extra;
    const { scale, ox, oy } = view;
    for (let e = 0; e < net.edgeCount; e++) {
      const c = color === null ? streetColor[e] : color;
      let ax = vx[net.vertexPtr[e]] * scale - ox;
      let ay = vy[net.vertexPtr[e]] * scale - oy;
      for (let s = net.vertexPtr[e] + 1; s < net.vertexPtr[e + 1]; s++) {
        const bx = vx[s] * scale - ox;
        const by = vy[s] * scale - oy;
        segment(view, ax, ay, bx, by, w, c);
        ax = bx;
        ay = by;
      }
    }
  }

  function drawHomes(view) {
    if (!city.net) return;
    const { scale, ox, oy, width, height } = view;
    const seen = [];
    for (let i = 0; i < rx.length; i++) {
      if (!homeColor[i]) continue;
      const x = rx[i] * scale - ox;
      const y = ry[i] * scale - oy;
      if (x >= -8 && y >= -8 && x < width + 8 && y < height + 8) seen.push(i);
    }
    const big = isPhone() ? 5 : 4;
    const r = seen.length > MANY ? 1 : seen.length > SOME ? 2 : big;
    const ring = r >= 3 ? pixelOf(OUTLINE) : null;
    for (const i of seen) dot(view, Math.round(rx[i] * scale - ox), Math.round(ry[i] * scale - oy), r, homeColor[i], ring);
    city.radius = r;
  }

  city.ground = pixelLayer("yc-ground", (view) => drawEdges(view, ground, 2));
  city.streets = pixelLayer("yc-streets", (view) => drawEdges(view, null, 0));
  city.homes = pixelLayer("yc-homes", drawHomes);
  if (app.groups.basemap) app.groups.basemap.addLayer(city.ground);
  app.groups.streets.addLayer(city.streets);
  app.groups.residences.addLayer(city.homes);

  // The drawn residence nearest a container point, within the dot and a finger's slack.
  city.residenceAt = (point) => {
    if (!city.net || !map.hasLayer(city.homes)) return -1;
    const scale = map.options.crs.scale(map.getZoom());
    const origin = map.getPixelOrigin();
    const corner = map.containerPointToLayerPoint([0, 0]);
    const px = point.x + origin.x + corner.x;
    const py = point.y + origin.y + corner.y;
    const reach = (city.radius || 2) + (isPhone() ? 6 : 3);
    let best = -1;
    let bestD = reach * reach;
    for (let i = 0; i < rx.length; i++) {
      if (!homeColor[i]) continue;
      const dx = rx[i] * scale - px;
      const dy = ry[i] * scale - py;
      const d = dx * dx + dy * dy;
      if (d <= bestD) {
        best = i;
        bestD = d;
      }
    }
    return best;
  };

  map.on("click", (e) => {
    if (app.live && app.live.mode) return; // placing or removing a facility: the map's click
    const i = city.residenceAt(e.containerPoint);
    if (i < 0) return;
    if (e.originalEvent) e.originalEvent.ycFeature = true;
    const R = app.data.res;
    openResidence(app, i, L.latLng(R.lat[i], R.lon[i]));
  });

  // The colours of the state: residences by score or by minutes (hidden by the filter),
  // streets by minutes from their middle.
  function recolour(s) {
    if (!city.engine) return;
    const R = app.data.res;
    const key = s.category && city.engine.categories.includes(s.category) ? s.category : null;
    const cache = new Map();
    const pixel = (color) => {
      if (!cache.has(color)) cache.set(color, pixelOf(color));
      return cache.get(color);
    };
    let shown = 0;
    if (key) {
      const minutes = city.engine.residenceMinutes(key);
      for (let i = 0; i < homeColor.length; i++) {
        const m = Number.isNaN(minutes[i]) ? null : minutes[i];
        const visible = !s.onlyBeyond || m === null || m > s.threshold;
        homeColor[i] = visible ? pixel(minutesColor(app.colors, m)) : 0;
        if (visible) shown += 1;
      }
      const edges = city.engine.edgeMinutes(key);
      for (let e = 0; e < edges.length; e++) {
        const m = Number.isNaN(edges[e]) ? null : Math.round(edges[e] * 10) / 10;
        streetColor[e] = pixel(minutesColor(app.colors, m));
      }
    } else {
      for (let i = 0; i < homeColor.length; i++) homeColor[i] = pixel(scoreColor(app.colors, R.score[i]));
      shown = homeColor.length;
      streetColor.fill(pixel(app.colors.street));
    }
    s.shown = shown;
    city.streets.redraw();
    city.homes.redraw();
  }

  city.listen = () => app.on("change", recolour);

  // The engine loaded: the page's residences become the engine's (with the score and
  // people columns Python packed for them), and the layers are drawn.
  city.attach = (engine, columns) => {
    const net = engine.network;
    const R = app.data.res;
    const res = net.residences;
    R.id = engine.residenceIds;
    R.lon = res.lon;
    R.lat = res.lat;
    R.pop = Array.from(res.population, (v) => Math.round(v * 10) / 10);
    R.score = Array.from(columns.score, (v) => (v === 65535 ? null : v / 1000));
    if (columns.people) app.data.people.of = Array.from(columns.people, (c) => (c < 0 ? null : c));
    vx = Float64Array.from(net.vertexLon, mercatorX);
    vy = Float64Array.from(net.vertexLat, mercatorY);
    rx = Float64Array.from(res.lon, mercatorX);
    ry = Float64Array.from(res.lat, mercatorY);
    streetColor = new Uint32Array(net.edgeCount);
    homeColor = new Uint32Array(res.count);
    city.engine = engine;
    city.net = net;
    city.ground.redraw();
  };

  app.city = city;
  return city;
}
