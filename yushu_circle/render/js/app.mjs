// The map application: the data, the folium layer groups, the shared state (category,
// filter, selected residence) and a tiny event bus the layers and panels listen on.

import { unpackData } from "./decode.mjs";
import { isPhone } from "./screen.mjs";

export function createApp(map, data, groups) {
  const app = {
    map,
    data: unpackData(data),
    colors: data.colors,
    groups,
    handlers: {},
    state: { category: null, threshold: 15, onlyBeyond: false, selected: null },
    catByKey: {},
    panels: [],
  };
  for (const c of data.cats) app.catByKey[c.key] = c;
  // A residence's minutes as exactly as the page knows them (the engine's, with live.mjs).
  app.exactMinutes = (key, i) => app.data.res.min[key][i];
  app.on = (name, fn) => {
    (app.handlers[name] = app.handlers[name] || []).push(fn);
  };
  app.emit = (name) => {
    for (const fn of app.handlers[name] || []) fn(app.state);
  };
  // A category chosen: its filter threshold starts at its own level (a 5-minute item is
  // filtered at 5 minutes), as the standard judges it.
  app.setCategory = (key) => {
    const category = key && app.catByKey[key] ? key : null;
    if (category && category !== app.state.category) app.state.threshold = levelOf(app.catByKey[category]);
    app.state.category = category;
    app.emit("change");
  };
  app.setFilter = (onlyBeyond, threshold) => {
    app.state.onlyBeyond = Boolean(onlyBeyond);
    if (threshold) app.state.threshold = Number(threshold);
    app.emit("change");
  };
  // One renderer for every clickable feature, so one canvas does the hit testing and a
  // residence under no facility gets its click (stacked canvases swallow each other's).
  const pane = map.createPane("yc-features");
  pane.style.zIndex = "450";
  app.renderer = L.canvas({ pane: "yc-features", tolerance: isPhone() ? 4 : 1 });
  ["yc-ground", "yc-streets", "yc-iso"].forEach((name, i) => {
    const p = map.createPane(name);
    p.style.zIndex = String(250 + 50 * i);
    p.style.pointerEvents = "none";
  });
  map.attributionControl.setPrefix("Leaflet · folium");
  map.attributionControl.addAttribution(
    data.synthetic ? "合成示例数据 synthetic demo" : "街道 streets © OpenStreetMap contributors",
  );
  return app;
}

export const THRESHOLDS = [5, 10, 15];

// The filter threshold of a category: its level when it is one of the buttons, else 15.
export function levelOf(cat) {
  return cat && THRESHOLDS.includes(cat.level) ? cat.level : 15;
}

// The app of a folium page: its data read from the inert JSON element `dataId`.
export function create(map, dataId, groups) {
  return createApp(map, JSON.parse(document.getElementById(dataId).textContent), groups);
}

// The documented hook for tests and power users (README, "The planner's map").
export function publish(app) {
  const R = app.data.res;
  const F = app.data.fac;
  const hook = {
    map: app.map,
    residences: R.id.map((id, i) => ({ id, lat: R.lat[i], lon: R.lon[i] })),
    facilities: F.lon.map((lon, i) => ({ id: F.id[i], category: F.cat[i], lat: F.lat[i], lon })),
    selectCategory: (key) => app.setCategory(key),
    selected: () => app.state.selected,
    app,
  };
  // The in-page engine's hooks (minutesFrom, routeFrom, addFacility, …; live.mjs).
  if (app.live) Object.assign(hook, app.live.hooks);
  window.yushuMap = hook;
  window.yushuMapReady = true;
  return hook;
}
