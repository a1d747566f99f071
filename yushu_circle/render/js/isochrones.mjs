// The precomputed isochrones of a clicked residence (a page without the engine): the
// 5/10/15-minute polygons isochrones.parquet holds, for the residences the page embeds.

import { reachColor } from "./classes.mjs";
import { decodeSteps } from "./decode.mjs";

// Draw residence i's polygons (null clears them); returns how many were drawn.
export function showIsochrones(app, i) {
  const D = app.data;
  const layer = app.groups.isochrones;
  layer.clearLayers();
  const sets = i === null ? null : D.iso.by[String(i)];
  if (!sets) return 0;
  for (const [minutes, polygons] of sets) {
    const latlngs = polygons.map((poly) => poly.map((steps) => decodeSteps(steps, D.iso.scale)));
    const color = reachColor(app.colors, minutes);
    const poly = L.polygon(latlngs, {
      pane: "yc-iso",
      color,
      weight: 2.5,
      fillColor: color,
      fillOpacity: 0.1,
      interactive: false,
    });
    poly.ycMinutes = minutes;
    poly.addTo(layer);
  }
  if (!app.map.hasLayer(layer)) layer.addTo(app.map);
  return sets.length;
}
