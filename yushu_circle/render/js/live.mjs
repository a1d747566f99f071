// The in-page engine wired to the map: its payload unpacked (in the background, while the
// page draws the rest), the residences' and streets' minutes per category computed by the
// engine when first shown (and again after a what-if), a clicked residence's reach and
// route, the what-if panel, and the documented hooks.

import { createEngine } from "./engine.mjs";
import { loadPayload, unpack } from "./payload.mjs";
import { drawReach } from "./reach.mjs";
import { el } from "./text.mjs";
import { addWhatIf } from "./whatif.mjs";

function round1(m) {
  return Number.isNaN(m) ? null : Math.round(m * 10) / 10;
}

// Each drawn residence's index in the engine: itself when the city's layers draw the
// engine's own residences, else found by id.
function engineIndexOf(app, engine) {
  const R = app.data.res;
  if (app.city) return Int32Array.from(R.id, (_, i) => i);
  const engineIndex = new Map(engine.residenceIds.map((id, j) => [id, j]));
  return R.id.map((id) => {
    const j = engineIndex.get(String(id));
    return j === undefined ? -1 : j;
  });
}

// Make R.min[key] and D.edges.min[key] read the engine's minutes (cached until `forget`).
export function engineMinutes(app, engine) {
  const D = app.data;
  const R = D.res;
  const toEngine = engineIndexOf(app, engine);
  const edgeIndex = D.edges.index
    || (D.edges.coords.length === engine.network.edgeCount ? D.edges.coords.map((_, k) => k) : null);
  const resCache = {};
  const edgeCache = {};
  const exactCache = {};
  // The popup's ✓ / ✗ compare the engine's own minutes with the level, not the rounded ones.
  app.exactMinutes = (key, i) => {
    if (engine.categories.indexOf(key) < 0 || toEngine[i] < 0) return R.min[key][i];
    if (!exactCache[key]) exactCache[key] = engine.residenceMinutes(key);
    const m = exactCache[key][toEngine[i]];
    return Number.isNaN(m) ? null : m;
  };
  for (const c of D.cats) {  // a category the engine lacks: nobody reaches it here
    const pending = !R.min[c.key] || R.min[c.key].ycPending;
    if (engine.categories.indexOf(c.key) < 0 && pending) R.min[c.key] = R.id.map(() => null);
  }
  for (const key of engine.categories) {
    resCache[key] = R.min[key] && !R.min[key].ycPending ? R.min[key] : null;
    edgeCache[key] = D.edges.min[key] || null;
    Object.defineProperty(R.min, key, {
      enumerable: true,
      configurable: true,
      get() {
        if (!resCache[key]) {
          const minutes = engine.residenceMinutes(key);
          resCache[key] = Array.from(toEngine, (j) => (j < 0 ? null : round1(minutes[j])));
        }
        return resCache[key];
      },
    });
    Object.defineProperty(D.edges.min, key, {
      enumerable: true,
      configurable: true,
      get() {
        if (!edgeCache[key] && edgeIndex) {
          const minutes = engine.edgeMinutes(key);
          edgeCache[key] = edgeIndex.map((e) => round1(minutes[e]));
        }
        return edgeCache[key];
      },
    });
  }
  return {
    toEngine,
    forget(key) {
      resCache[key] = null;
      edgeCache[key] = null;
      exactCache[key] = null;
    },
  };
}

// The folium element's call: the engine's payload (the inert JSON element `dataId`)
// unpacked in the background; `app.ready` settles once the engine is wired (start() waits
// for it). A browser that cannot unpack it keeps the page without live what-if, and says so.
export function addLive(app, dataId) {
  const doc = JSON.parse(document.getElementById(dataId).textContent);
  // Until the engine is wired (engineMinutes), a category opened meanwhile shows no minutes.
  const R = app.data.res;
  for (const c of app.data.cats) {
    if (!R.min[c.key]) R.min[c.key] = Object.assign(R.id.map(() => null), { ycPending: true });
  }
  const status = L.control({ position: "bottomright" });
  status.onAdd = () => el("div", "正在载入步行路网… · Loading the walk network…", "yc-panel yc-live-status");
  status.addTo(app.map);
  const columns = app.data.network ? unpack(app.data.network.packed) : null;
  app.ready = Promise.all([loadPayload(doc), columns])
    .then(([payload, arrays]) => {
      const engine = createEngine(payload);
      if (app.city) app.city.attach(engine, arrays);
      liveEngine(app, engine);
      status.remove();
    })
    .catch((err) => {
      console.warn(err);
      status.getContainer().textContent = "此浏览器无法载入步行路网, 页面内即时计算未启用 · this browser "
        + `could not load the walk network: live reach and what-if are off (${err.message})`;
    });
  return app.ready;
}

// The engine wired to the map: minutes, reach and route, the what-if panel, the hooks.
export function liveEngine(app, engine) {
  const minutes = engineMinutes(app, engine);
  const live = { engine, mode: null, category: engine.categories[0], selected: null };
  app.live = live;
  live.showResidence = drawReach(app, live, minutes.toEngine);
  addWhatIf(app, live, minutes.forget);
  live.hooks = {
    minutesFrom: engine.minutesFrom,
    routeFrom: engine.routeFrom,
    reach: engine.reach,
    coverage: engine.coverage,
    scenarioCsv: engine.scenarioCsv,
    addFacility: (key, lon, lat) => live.add(key, lon, lat),
    removeFacility: (id) => live.remove(id),
    reset: () => live.reset(),
    engine,
  };
  return live;
}
