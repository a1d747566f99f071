// Every layer of the page drawn into the folium groups it was built with, stacked so that
// points take their clicks over the areas under them.

import { cityLayers } from "./citylayers.mjs";
import { drawFacilities } from "./facilities.mjs";
import { showIsochrones } from "./isochrones.mjs";
import { drawOverlays } from "./overlays.mjs";
import { drawResidences } from "./residences.mjs";
import { drawStreets } from "./streets.mjs";

export function drawLayers(app) {
  // A city past the drawing caps: its streets and residences on canvases, from the engine.
  const city = app.data.network ? cityLayers(app) : null;
  app.layers = {
    streets: drawStreets(app),
    overlays: drawOverlays(app),
    residences: drawResidences(app),
    facilities: drawFacilities(app),
  };
  if (city) city.listen();
  app.showIsochrones = (i) => showIsochrones(app, i);
  // An overlay's points (a plan's proposed sites, what-if residences) sit where a
  // residence or a facility may be: they are drawn on top, or the shared canvas hands
  // their clicks to the point underneath.
  function stack() {
    for (const l of app.layers.overlays) if (app.map.hasLayer(l)) l.bringToBack();
    for (const m of app.layers.facilities) if (app.map.hasLayer(m)) m.bringToFront();
    for (const m of app.overlayPoints) if (app.map.hasLayer(m)) m.bringToFront();
  }
  stack();
  // Keep clickable areas under the points after a layer is switched back on.
  app.map.on("overlayadd", stack);
}
