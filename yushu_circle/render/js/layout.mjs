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

// The smallest pan [dx, dy] that puts box p inside `box` (PAD from its edges) and clear of
// every rectangle in `rects` at once (a move off one control must not land on another);
// null when there is none.
export function clearMove(p, box, rects) {
  const xs = [0, box.left + PAD - p.left, box.right - PAD - p.right];
  const ys = [0, box.top + PAD - p.top, box.bottom - PAD - p.bottom];
  for (const r of rects) {
    xs.push(r.right + PAD - p.left, r.left - PAD - p.right);
    ys.push(r.bottom + PAD - p.top, r.top - PAD - p.bottom);
  }
  let best = null;
  for (const dx of xs) {
    for (const dy of ys) {
      const q = { left: p.left + dx, right: p.right + dx, top: p.top + dy, bottom: p.bottom + dy };
      if (q.left < box.left || q.right > box.right || q.top < box.top || q.bottom > box.bottom) continue;
      if (rects.some((r) => overlaps(q, r))) continue;
      if (!best || Math.abs(dx) + Math.abs(dy) < Math.abs(best[0]) + Math.abs(best[1])) best = [dx, dy];
    }
  }
  return best;
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

// Pan the map (no animation) so that the open popup lies inside the map and clear of every
// control; when no pan does it, bring it inside and fold the panels it still meets.
export function keepPopupClear(app, popup) {
  const node = popup.getElement();
  if (!node) return;
  const box = app.map.getContainer().getBoundingClientRect();
  const move = clearMove(rect(node), box, controlRects(app)) || insideMove(rect(node), box);
  if (move[0] || move[1]) app.map.panBy([-move[0], -move[1]], { animate: false });
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
