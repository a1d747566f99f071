// The planner's map page: what its folium elements call (render/elements.py), published as
// window.YushuMap by the bundle — create the app, draw the layers, add each control, start.

import { create, publish } from "./app.mjs";
import { addBanner } from "./banner.mjs";
import { drawLayers } from "./layers.mjs";
import { keepPopupClear, watchLayerList } from "./layout.mjs";
import { addLegend } from "./legend.mjs";
import { addSwitcher } from "./switcher.mjs";
import { addTable } from "./table.mjs";

export { create, drawLayers, addBanner, addSwitcher, addLegend, addTable };

// Colour the map for the opening category and publish window.yushuMap.
export function start(app) {
  app.map.on("popupopen", (e) => keepPopupClear(app, e.popup));
  watchLayerList(app);
  app.setCategory(app.data.initial);
  return publish(app);
}
