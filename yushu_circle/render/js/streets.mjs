// The streets: drawn once (and once more, wider, as the offline basemap's roads), coloured
// by walk minutes to the chosen category or grey in the score view.

import { minutesColor } from "./classes.mjs";

export function drawStreets(app) {
  const D = app.data;
  const g = app.groups;
  const colors = app.colors;
  const lines = [];
  D.edges.coords.forEach((flat, i) => {
    const pts = [];
    for (let k = 0; k + 1 < flat.length; k += 2) pts.push([flat[k + 1], flat[k]]);
    if (pts.length < 2) return;
    if (g.basemap) {
      L.polyline(pts, { pane: "yc-ground", color: "#c8c2b4", weight: 5, interactive: false }).addTo(
        g.basemap,
      );
    }
    const line = L.polyline(pts, {
      pane: "yc-streets",
      color: colors.street,
      weight: 3,
      opacity: 0.9,
      interactive: false,
    });
    line.ycIndex = i;
    lines.push(line);
    line.addTo(g.streets);
  });
  app.on("change", (s) => {
    const minutes = s.category ? D.edges.min[s.category] : null;
    for (const line of lines) {
      line.setStyle({ color: minutes ? minutesColor(colors, minutes[line.ycIndex]) : colors.street });
    }
  });
  return lines;
}
