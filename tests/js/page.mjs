// A whole map page built under node as its folium elements build it in the browser
// (render/elements.py): the app, its layers, each control, the engine, then start.

import { createApp } from "../../yushu_circle/render/js/app.mjs";
import { addBanner } from "../../yushu_circle/render/js/banner.mjs";
import { drawLayers } from "../../yushu_circle/render/js/layers.mjs";
import { addLegend } from "../../yushu_circle/render/js/legend.mjs";
import { createEngine } from "../../yushu_circle/render/js/engine.mjs";
import { liveEngine } from "../../yushu_circle/render/js/live.mjs";
import { start } from "../../yushu_circle/render/js/map.mjs";
import { addSwitcher } from "../../yushu_circle/render/js/switcher.mjs";
import { addTable } from "../../yushu_circle/render/js/table.mjs";
import { leafletMap, openPage } from "./dom.mjs";
import { enginePayload, mapData } from "./mapdata.mjs";

// `city`: the data of a city past the drawing caps (no streets or residences of its own:
// citylayers.mjs draws the engine's, with `city` as the residences' unpacked columns);
// `prepare(win)` runs before anything is drawn.
export function buildPage({ width = 1280, height = 757, live = true, data = null, city = null, prepare = null } = {}) {
  const win = openPage({ width, height });
  if (prepare) prepare(win);
  const D = data || mapData({ live, city: Boolean(city) });
  const { map, groups } = leafletMap(win, ["kindergarten", "clinic"], D.overlays.length);
  const app = createApp(map, D, groups);
  drawLayers(app);
  addBanner(app);
  addSwitcher(app);
  addLegend(app);
  addTable(app);
  // The engine from its unpacked payload (the page unpacks the packed one first: addLive).
  if (live) {
    const engine = createEngine(enginePayload());
    if (app.city) app.city.attach(engine, city);
    liveEngine(app, engine);
  }
  const hook = start(app);
  return { win, app, map, groups, hook, doc: win.document };
}

// A click on a layer as Leaflet hands it on (the browser tests click real pixels).
export function clickLayer(layer) {
  layer.fire("click", { latlng: layer.getLatLng ? layer.getLatLng() : null, target: layer });
}
