// The in-page engine wired to the map: the residences' and streets' minutes per category
// computed by the engine when first shown (and again after a what-if), a clicked
// residence's reach and route, the what-if panel, and the documented hooks.

import { createEngine } from "./engine.mjs";
import { drawReach } from "./reach.mjs";
import { addWhatIf } from "./whatif.mjs";

function round1(m) {
  return Number.isNaN(m) ? null : Math.round(m * 10) / 10;
}

// Make R.min[key] and D.edges.min[key] read the engine's minutes (cached until `forget`).
export function engineMinutes(app, engine) {
  const D = app.data;
  const R = D.res;
  const engineIndex = {};
  engine.residenceIds.forEach((id, j) => {
    engineIndex[id] = j;
  });
  const toEngine = R.id.map((id) => {
    const j = engineIndex[String(id)];
    return j === undefined ? -1 : j;
  });
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
    if (engine.categories.indexOf(c.key) < 0 && !R.min[c.key]) R.min[c.key] = R.id.map(() => null);
  }
  for (const key of engine.categories) {
    resCache[key] = R.min[key] || null;
    edgeCache[key] = D.edges.min[key] || null;
    Object.defineProperty(R.min, key, {
      enumerable: true,
      configurable: true,
      get() {
        if (!resCache[key]) {
          const minutes = engine.residenceMinutes(key);
          resCache[key] = toEngine.map((j) => (j < 0 ? null : round1(minutes[j])));
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

export function addLive(app, dataId) {
  const net = JSON.parse(document.getElementById(dataId).textContent);
  const engine = createEngine(net);
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
