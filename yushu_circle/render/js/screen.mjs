// The screen: phone or not, popup sizes for it, and the rectangles the controls take.

export const PHONE_WIDTH = 600;

export function isPhone() {
  return window.innerWidth < PHONE_WIDTH;
}

export function popupOptions() {
  const phone = isPhone();
  return {
    maxWidth: phone ? 260 : 340,
    minWidth: phone ? 200 : 240,
    maxHeight: phone ? 230 : 320,
    autoPan: false,
  };
}

export function rect(node) {
  return node.getBoundingClientRect();
}

export function overlaps(a, b) {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

// Every shown control's rectangle (and its panel, with `withPanels`).
export function controlRects(app, withPanels) {
  const out = [];
  const nodes = app.map.getContainer().querySelectorAll(".leaflet-control, .yc-banner");
  for (const n of nodes) {
    const r = rect(n);
    if (!r.width || !r.height || getComputedStyle(n).visibility === "hidden") continue;
    const item = { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
    if (withPanels) {
      for (const p of app.panels) if (p.getContainer() === n) item.panel = p;
    }
    out.push(item);
  }
  return out;
}
