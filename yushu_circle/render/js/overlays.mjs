// The extra layers (areas, gap clusters, sites, a what-if diff, the basemap's water and
// buildings): points, lines and polygons, coloured by class or one colour, with popups.

import { binOf } from "./classes.mjs";
import { decodeSteps } from "./decode.mjs";
import { popupOptions } from "./screen.mjs";
import { el, fmt } from "./text.mjs";

export function overlayColor(o, i, none) {
  if (!o.bins) return o.color;
  const bin = binOf(o.values[i], o.bins);
  return bin ? bin.color : none;
}

export function overlayPopup(o, i) {
  const box = el("div", null, "yc-popup");
  box.appendChild(el("b", `${o.zh} ${o.en}`, "yc-name"));
  const table = el("table");
  o.popup.labels.forEach((label, j) => {
    const row = el("tr");
    row.appendChild(el("td", label));
    row.appendChild(el("td", fmt(o.popup.values[j][i])));
    table.appendChild(row);
  });
  box.appendChild(table);
  return box;
}

// Draw every overlay into its group; returns the clickable polygons (kept under the points).
export function drawOverlays(app) {
  const clickable = [];
  app.overlayPoints = [];
  app.data.overlays.forEach((o, k) => {
    const group = app.groups.overlays[k];
    const live = o.popup.labels.length > 0;
    const pane = o.ground ? "yc-ground" : "yc-streets";
    const common = live ? { renderer: app.renderer } : { pane, interactive: false };
    o.geom.forEach((g, i) => {
      const color = overlayColor(o, i, app.colors.none);
      let layer;
      if (g[0] === 0) {
        layer = L.circleMarker([g[2] / o.scale, g[1] / o.scale], {
          radius: o.radius,
          weight: o.weight,
          color: o.bins ? o.color : color,
          fillColor: color,
          fillOpacity: o.fillOpacity,
          ...common,
        });
      } else if (g[0] === 1) {
        layer = L.polyline(
          g.slice(1).map((s) => decodeSteps(s, o.scale)),
          { color, weight: o.weight + 1, ...common },
        );
      } else {
        layer = L.polygon(
          g.slice(1).map((rings) => rings.map((s) => decodeSteps(s, o.scale))),
          {
            color: o.bins ? o.color : color,
            fillColor: color,
            weight: o.weight,
            fillOpacity: o.fillOpacity,
            ...common,
          },
        );
        if (live) clickable.push(layer);
      }
      if (live) layer.bindPopup(overlayPopup(o, i), popupOptions());
      if (live && g[0] === 0) app.overlayPoints.push(layer);
      layer.addTo(group);
    });
  });
  return clickable;
}
