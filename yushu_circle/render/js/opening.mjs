// Where the map opens and the places to jump to: every residence fitted into the part of the
// screen the panels leave free; on a phone, zoomed in until residences stand a finger apart
// (Python measured their spacing); a county's settlements listed to jump between.

import { isPhone, controlRects } from "./screen.mjs";
import { el } from "./text.mjs";

const EARTH_M = 40075016.686; // Web-Mercator circumference: metres per 256 px at zoom 0
export const TAP_PX = 20; // a finger's tap: residences this far apart (median) on a phone
export const MAX_ZOOM = 18;
const MARGIN = 10;

// The zoom (in quarter steps) at which points `spacingM` apart at latitude `lat` stand
// `px` pixels apart.
export function zoomForSpacing(spacingM, lat, px) {
  const zoom = Math.log2((px * EARTH_M * Math.cos((lat * Math.PI) / 180)) / (256 * spacingM));
  return Math.min(MAX_ZOOM, Math.ceil(zoom * 4) / 4);
}

// Padding that keeps fitted features clear of the controls. Each control counts on the side
// it costs the least screen to leave free: a tall narrow one (a desktop panel) on its left or
// right, a wide flat one (a phone's panels, the banner) on the top or bottom.
export function freePadding(rects, width, height) {
  let [left, top, right, bottom] = [MARGIN, MARGIN, MARGIN, MARGIN];
  for (const r of rects) {
    const w = r.right - r.left;
    const h = r.bottom - r.top;
    if (h / height > w / width) {
      if ((r.left + r.right) / 2 < width / 2) left = Math.max(left, r.right + MARGIN);
      else right = Math.max(right, width - r.left + MARGIN);
    } else if ((r.top + r.bottom) / 2 < height / 2) {
      top = Math.max(top, r.bottom + MARGIN);
    } else {
      bottom = Math.max(bottom, height - r.top + MARGIN);
    }
  }
  // Never squeeze the map below 40 % of the screen either way.
  if (width - left - right < 0.4 * width) [left, right] = [MARGIN, MARGIN];
  if (height - top - bottom < 0.4 * height) [top, bottom] = [MARGIN, MARGIN];
  return { paddingTopLeft: [left, top], paddingBottomRight: [right, bottom] };
}

function padding(app) {
  const box = app.map.getContainer().getBoundingClientRect();
  const rects = controlRects(app).map((r) => ({
    left: r.left - box.left, right: r.right - box.left, top: r.top - box.top, bottom: r.bottom - box.top,
  }));
  return freePadding(rects, box.width || window.innerWidth, box.height || window.innerHeight);
}

function streetBounds(edges) {
  let [s, w, n, e] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const flat of edges.coords) {
    for (let k = 0; k + 1 < flat.length; k += 2) {
      [w, e] = [Math.min(w, flat[k]), Math.max(e, flat[k])];
      [s, n] = [Math.min(s, flat[k + 1]), Math.max(n, flat[k + 1])];
    }
  }
  return Number.isFinite(s) ? [[s, w], [n, e]] : null;
}

// Show `bounds` in the free part of the screen; on a phone no farther out than residences
// `spacingM` apart can be tapped, centred then on `center`.
export function showArea(app, bounds, center) {
  const { map } = app;
  const pad = padding(app);
  map.fitBounds(bounds, { ...pad, maxZoom: MAX_ZOOM, animate: false });
  const view = app.data.view;
  if (!isPhone() || !view || !view.spacingM) return;
  const zoom = zoomForSpacing(view.spacingM, center[0], TAP_PX);
  if (map.getZoom() >= zoom) return;
  map.setView(center, zoom, { animate: false });
  // Centre it in the free part, not behind the panels.
  const [l, t] = pad.paddingTopLeft;
  const [r, b] = pad.paddingBottomRight;
  map.panBy([(r - l) / 2, (b - t) / 2], { animate: false });
}

// The opening view: every residence (else every street) in the free part of the screen.
export function openingView(app) {
  const view = app.data.view;
  const bounds = view ? view.bounds : streetBounds(app.data.edges);
  if (!bounds) return;
  const center = view ? view.places[0].center
    : [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2];
  showArea(app, bounds, center);
}

export function placeLabel(place, k) {
  return `地点 ${k + 1} · ${place.residences.toLocaleString("en")} 个居住点 · place ${k + 1}: `
    + `${place.residences.toLocaleString("en")} residences`;
}

// The places to jump to (a study of several settlements), or null for one place.
export function placeButtons(app) {
  const view = app.data.view;
  if (!view || view.places.length < 2) return null;
  const box = el("div", null, "yc-places");
  box.id = "yc-places";
  box.appendChild(el("div", `${view.places.length} 处居住地（相距 2 公里以上） · ${view.places.length} `
    + "places with residences, 2 km or more apart — 点击前往 click to go:", "yc-label"));
  view.places.forEach((place, k) => {
    const b = el("button", placeLabel(place, k), "yc-choice yc-place");
    b.type = "button";
    b.setAttribute("data-place", String(k));
    b.addEventListener("click", () => showArea(app, place.bounds, place.center));
    box.appendChild(b);
  });
  const all = el("button", "全部 · all places", "yc-choice yc-place");
  all.type = "button";
  all.setAttribute("data-place", "all");
  all.addEventListener("click", () => openingView(app));
  box.appendChild(all);
  return box;
}
