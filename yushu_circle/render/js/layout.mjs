// Keeping things clear of one another: the panels of a side never overlap (the tallest open
// body scrolls shorter first), an open popup is panned clear of every control (on a phone
// the panel it still meets folds), and the open layer list folds the panels it meets.

import { controlRects, overlaps, rect } from "./screen.mjs";

const PAD = 8;
export const MIN_BODY = 80; // a panel body is never scrolled shorter than this (px)

// How far the lowest control of a top corner reaches into the highest of the bottom corner
// below it (with PAD between them); ≤ 0 when they are clear.
export function stackOverlap(topRects, bottomRects) {
  if (!topRects.length || !bottomRects.length) return 0;
  return Math.max(...topRects.map((r) => r.bottom)) + PAD - Math.min(...bottomRects.map((r) => r.top));
}

// The body heights that take `over` pixels off, the tallest bodies first (cut down to one
// common height, never below MIN_BODY), and the pixels still over when nothing more gives.
export function shrinkBodies(heights, over) {
  const floor = heights.map((h) => Math.min(h, MIN_BODY));
  const room = heights.reduce((sum, h, k) => sum + h - floor[k], 0);
  if (room <= over) return { heights: floor, left: over - room };
  // The common height L of the bodies cut: Σ over the k tallest (h − L) = over.
  const sorted = heights.slice().sort((x, y) => y - x);
  let level = MIN_BODY;
  let sum = 0;
  for (let k = 0; k < sorted.length; k++) {
    sum += sorted[k];
    const candidate = (sum - over) / (k + 1);
    if (k + 1 === sorted.length || candidate >= sorted[k + 1]) {
      level = Math.max(candidate, MIN_BODY);
      break;
    }
  }
  return { heights: heights.map((h) => Math.min(h, level)), left: 0 };
}

function cornerRects(container, vertical, side) {
  const corner = container.querySelector(`.leaflet-${vertical}.leaflet-${side}`);
  if (!corner) return [];
  return Array.from(corner.children)
    .filter((n) => n.getClientRects().length && getComputedStyle(n).visibility !== "hidden")
    .map(rect)
    .filter((r) => r.height > 0);
}

// Make the panels of each side fit one above the other: the open bodies' heights are
// shortened (they scroll), tallest first; if they cannot be, the bottom corner's open
// panels fold.
export function fitPanels(app) {
  const container = app.map.getContainer();
  for (const side of ["left", "right"]) {
    const open = app.panels.filter((p) => {
      const node = p.getContainer();
      return node.classList.contains("yc-open") && node.parentNode
        && node.parentNode.classList.contains(`leaflet-${side}`);
    });
    const bodies = open.map((p) => p.getContainer().querySelector(".yc-panel-body"));
    for (const body of bodies) body.style.maxHeight = "";
    const over = stackOverlap(cornerRects(container, "top", side), cornerRects(container, "bottom", side));
    if (over <= 0) continue;
    const { heights, left } = shrinkBodies(bodies.map((b) => rect(b).height), over);
    bodies.forEach((body, k) => {
      body.style.maxHeight = `${Math.floor(heights[k])}px`;
    });
    if (left > 0) {
      for (const p of open) {
        if (p.getContainer().parentNode.classList.contains("leaflet-bottom")) p.ycSetOpen(false);
      }
    }
  }
}

// Fit the panels now and whenever their content, their folding or the window changes.
export function keepPanelsFitted(app) {
  const fit = () => fitPanels(app);
  for (const name of ["change", "summary", "layout"]) app.on(name, fit);
  app.map.on("resize overlayadd overlayremove", fit);
  fit();
}

// The smallest pan (dx, dy) that moves box p inside `box` and then off `hit`; null if none.
export function clearingMove(p, box, hit) {
  const moves = [
    [0, hit.bottom + PAD - p.top],
    [hit.right + PAD - p.left, 0],
    [hit.left - PAD - p.right, 0],
    [0, hit.top - PAD - p.bottom],
  ].filter((m) => p.left + m[0] >= box.left && p.right + m[0] <= box.right
    && p.top + m[1] >= box.top && p.bottom + m[1] <= box.bottom);
  if (!moves.length) return null;
  moves.sort((a, b) => Math.abs(a[0]) + Math.abs(a[1]) - Math.abs(b[0]) - Math.abs(b[1]));
  return moves[0];
}

// The pan that brings box p inside `box` (PAD from its edges); [0, 0] when it is inside.
export function insideMove(p, box) {
  let dx = 0;
  let dy = 0;
  if (p.top < box.top + PAD) dy = box.top + PAD - p.top;
  else if (p.bottom > box.bottom - PAD) dy = box.bottom - PAD - p.bottom;
  if (p.left < box.left + PAD) dx = box.left + PAD - p.left;
  else if (p.right > box.right - PAD) dx = box.right - PAD - p.right;
  return [dx, dy];
}

// Pan the map (no animation) until the open popup lies inside the map and clear of every
// control; on a phone, fold the panel it still meets.
export function keepPopupClear(app, popup) {
  const node = popup.getElement();
  if (!node) return;
  for (let pass = 0; pass < 4; pass++) {
    const box = app.map.getContainer().getBoundingClientRect();
    const p = rect(node);
    let [dx, dy] = insideMove(p, box);
    if (!dx && !dy) {
      const hit = controlRects(app).filter((r) => overlaps(p, r))[0];
      if (!hit) return;
      const move = clearingMove(p, box, hit);
      if (!move) break;
      [dx, dy] = move;
    }
    app.map.panBy([-dx, -dy], { animate: false });
  }
  for (const r of controlRects(app, true)) {
    if (overlaps(rect(node), r) && r.panel && r.panel.ycSetOpen) r.panel.ycSetOpen(false);
  }
}

// While the layer list is open, fold (or, if still in its way, hide) the panels it meets;
// they come back as they were when it closes.
export function watchLayerList(app) {
  const list = app.map.getContainer().querySelector(".leaflet-control-layers");
  if (!list || !window.MutationObserver) return;
  let saved = null;
  function update() {
    const open = list.classList.contains("leaflet-control-layers-expanded");
    if (open && !saved) {
      saved = app.panels.map((p) => {
        const was = p.getContainer().classList.contains("yc-open");
        if (was) p.ycSetOpen(false);
        return { panel: p, open: was };
      });
      for (const item of saved) {
        const node = item.panel.getContainer();
        if (overlaps(rect(node), rect(list))) node.classList.add("yc-hidden");
      }
    } else if (!open && saved) {
      for (const item of saved) {
        item.panel.getContainer().classList.remove("yc-hidden");
        if (item.open) item.panel.ycSetOpen(true);
      }
      saved = null;
    }
  }
  new MutationObserver(update).observe(list, { attributes: true, attributeFilter: ["class"] });
}
