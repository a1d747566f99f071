// The planner's map page: what its folium elements call (render/elements.py), published as
// window.YushuMap by the bundle — create the app, draw the layers, add each control, open
// the view, start.

import { create, publish } from "./app.mjs";
import { addBanner } from "./banner.mjs";
import { drawLayers } from "./layers.mjs";
import { fitPanels, keepPanelsFitted, keepPopupClear, watchLayerList } from "./layout.mjs";
import { addLegend } from "./legend.mjs";
import { openingView as fitOpening } from "./opening.mjs";
import { addSwitcher } from "./switcher.mjs";
import { addTable } from "./table.mjs";

export { create, drawLayers, addBanner, addSwitcher, addLegend, addTable };

// The opening view, measured once the panels hold the opening category and fit.
export function openingView(app) {
  app.setCategory(app.data.initial);
  fitPanels(app);
  fitOpening(app);
}

// Colour the map for the opening category, keep the panels and popups clear of one
// another, and publish window.yushuMap — once the engine is ready when the page carries one
// (then a promise of the hook).
export function start(app) {
  const begin = () => {
    app.map.on("popupopen", (e) => keepPopupClear(app, e.popup));
    watchLayerList(app);
    app.setCategory(app.data.initial);
    keepPanelsFitted(app);
    return publish(app);
  };
  return app.ready ? app.ready.then(begin) : begin();
}
