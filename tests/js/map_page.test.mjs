// A whole map page under node (jsdom and the vendored Leaflet): the app and its state, every
// layer drawn into its group, each control, the engine's minutes, reach, route and what-if.

import { test } from "node:test";
import assert from "node:assert/strict";

import { createApp, publish } from "../../yushu_circle/render/js/app.mjs";
import { addBanner } from "../../yushu_circle/render/js/banner.mjs";
import { drawFacilities } from "../../yushu_circle/render/js/facilities.mjs";
import { showIsochrones } from "../../yushu_circle/render/js/isochrones.mjs";
import { drawLegend } from "../../yushu_circle/render/js/legend.mjs";
import { engineMinutes } from "../../yushu_circle/render/js/live.mjs";
import { createEngine } from "../../yushu_circle/render/js/engine.mjs";
import { drawOverlays, overlayColor } from "../../yushu_circle/render/js/overlays.mjs";
import { panel } from "../../yushu_circle/render/js/panel.mjs";
import { beyondCounts, drawResidences } from "../../yushu_circle/render/js/residences.mjs";
import { drawStreets } from "../../yushu_circle/render/js/streets.mjs";
import { leafletMap, openPage, texts } from "./dom.mjs";
import { COLORS, enginePayload, mapData } from "./mapdata.mjs";
import { buildPage, clickLayer } from "./page.mjs";

function bareApp(options = {}) {
  const win = openPage(options);
  const D = mapData({ live: false, ...options });
  const { map, groups } = leafletMap(win, ["kindergarten", "clinic"], D.overlays.length);
  return createApp(map, D, groups);
}

test("app: state, events and the documented hook", () => {
  const app = bareApp();
  const seen = [];
  app.on("change", (s) => seen.push(s.category));
  app.setCategory("clinic");
  app.setCategory("no-such-category");
  assert.deepEqual(seen, ["clinic", null]);
  app.setFilter(true, 5);
  assert.equal(app.state.onlyBeyond, true);
  assert.equal(app.state.threshold, 5);
  assert.ok(app.map.getPane("yc-features") && app.map.getPane("yc-iso"));
  const hook = publish(app);
  assert.equal(window.yushuMapReady, true);
  assert.deepEqual(hook.residences.map((r) => r.id), ["r0", "r1", "r2", "r3"]);
  assert.deepEqual(hook.facilities.map((f) => f.category), ["kindergarten", "clinic"]);
});

test("streets: one line each, coloured by minutes to the chosen category", () => {
  const app = bareApp();
  const lines = drawStreets(app);
  assert.equal(app.groups.streets.getLayers().length, 4);
  assert.equal(app.groups.basemap.getLayers().length, 4);
  app.setCategory("kindergarten");
  assert.deepEqual(lines.map((l) => l.options.color), ["#1a9850", "#1a9850", "#91cf60", "#91cf60"]);
  app.setCategory(null);
  assert.ok(lines.every((l) => l.options.color === COLORS.street));
});

test("residences: coloured by score or minutes; the filter hides and counts", () => {
  const app = bareApp();
  const markers = drawResidences(app);
  app.setCategory(null);
  assert.deepEqual(markers.map((m) => m.options.fillColor), ["#1a9850", "#fee08b", "#fee08b", "#d73027"]);
  app.setCategory("kindergarten");
  app.setFilter(true, 5);
  // Minutes 1.2, 3.5, 8, 12.5: two beyond 5 min, 4 + 1 people.
  assert.deepEqual(beyondCounts(app, app.state), { beyond: 2, beyondPop: 5 });
  assert.equal(app.state.shown, 2);
  assert.deepEqual(markers.map((m) => m.options.interactive), [false, false, true, true]);
});

test("facilities: the chosen category picked out, the others dimmed", () => {
  const app = bareApp();
  const markers = drawFacilities(app);
  assert.equal(app.groups.facilities.clinic.getLayers().length, 1);
  app.setCategory("clinic");
  const byCat = Object.fromEntries(markers.map((m) => [m.ycCategory, m.options]));
  assert.equal(byCat.clinic.fillOpacity, 1);
  assert.ok(byCat.kindergarten.fillOpacity < 0.5);
});

test("overlays: points, lines and polygons by class, popups on clickable ones", () => {
  const overlay = {
    zh: "区域", en: "Areas", shown: true, ground: false, kind: 2, color: "#444444", fillOpacity: 0.3,
    weight: 1, radius: 5, scale: 10000,
    geom: [[0, 970100, 330000], [1, [970000, 330000, 10, 10]], [2, [[970000, 330000, 10, 0, 0, 10]]]],
    bins: [{ max: 0.5, color: "#ff0000", label: "≤ 0.5" }, { max: null, color: "#00ff00", label: "> 0.5" }],
    values: [0.2, 0.9, null],
    popup: { labels: ["值 Value"], values: [[0.2, 0.9, null]] },
  };
  const app = bareApp({ overlays: [overlay] });
  const clickable = drawOverlays(app);
  assert.equal(app.groups.overlays[0].getLayers().length, 3);
  assert.equal(clickable.length, 1);
  assert.equal(app.overlayPoints.length, 1);
  assert.deepEqual([0, 1, 2].map((i) => overlayColor(overlay, i, COLORS.none)), ["#ff0000", "#00ff00", COLORS.none]);
});

test("isochrones: a residence's precomputed polygons in the reach colours", () => {
  const app = bareApp();
  assert.equal(showIsochrones(app, 0), 1);
  const [poly] = app.groups.isochrones.getLayers();
  assert.equal(poly.ycMinutes, 15);
  assert.equal(poly.options.color, "#00a6a6");
  assert.equal(showIsochrones(app, 1), 0); // none embedded for it
  assert.equal(app.groups.isochrones.getLayers().length, 0);
});

test("panel: folds and unfolds from its header; on a phone one exclusive panel at a time", () => {
  const app = bareApp({ width: 390, height: 844 });
  const a = panel(app, "p-a", "bottomleft", "A", true, (body) => body.appendChild(document.createElement("i")));
  const b = panel(app, "p-b", "bottomleft", "B", false, () => {});
  a.ycExclusive = true;
  b.ycExclusive = true;
  assert.equal(document.getElementById("p-a-toggle").getAttribute("aria-expanded"), "true");
  document.getElementById("p-b-toggle").click();
  assert.equal(document.getElementById("p-b-toggle").getAttribute("aria-expanded"), "true");
  assert.equal(document.getElementById("p-a-toggle").getAttribute("aria-expanded"), "false");
});

test("banner: only for synthetic data", () => {
  const app = bareApp();
  assert.equal(addBanner(app).textContent, "合成示例数据 Synthetic demo data — not survey data");
  const real = bareApp();
  real.data.banner = "";
  assert.equal(addBanner(real), null);
});

test("legend: the classes of the view, the reach colours, facilities with counts", () => {
  const app = bareApp();
  const body = document.createElement("div");
  app.state.category = "kindergarten";
  drawLegend(app, body);
  const rows = texts(body, ".yc-legend-row");
  assert.ok(rows.includes("≤ 5 分钟 min") && rows.includes("15 分钟 min"));
  assert.ok(rows.includes("幼儿园 Kindergarten (1)"));
  assert.equal(body.querySelectorAll(".yc-legend-row.yc-dim").length, 1); // the clinic, dimmed
});

test("live: the engine's minutes become the page's, computed when first read", () => {
  const app = bareApp({ live: true });
  const engine = createEngine(enginePayload());
  const minutes = engineMinutes(app, engine);
  assert.deepEqual(minutes.toEngine, [0, 1, 2, 3]);
  const got = app.data.res.min.kindergarten;
  const want = Array.from(engine.residenceMinutes("kindergarten"), (m) => Math.round(m * 10) / 10);
  assert.deepEqual(got, want);
  assert.equal(app.data.edges.min.clinic.length, 4);
});

test("the whole page: controls, a residence's reach and route, add, remove, reset", () => {
  const { app, hook, doc, groups } = buildPage();
  assert.equal(window.yushuMapReady, true);
  for (const id of ["yc-switcher", "yc-legend", "yc-summary", "yc-whatif", "yc-banner"]) {
    assert.ok(doc.getElementById(id), id);
  }
  assert.deepEqual(texts(doc, "#yc-summary tr.yc-row td:first-child"), ["幼儿园 Kindergarten", "卫生服务站 Clinic"]);
  // A residence clicked: its popup, three reach bands and the route to a kindergarten.
  const r0 = app.layers.residences[0];
  clickLayer(r0);
  assert.equal(hook.selected(), "r0");
  const drawn = Array.from(groups.isochrones.getLayers()); // Leaflet's arrays are jsdom's
  assert.deepEqual(drawn.filter((l) => l.ycReach).map((l) => l.ycMinutes).sort((a, b) => a - b), [5, 10, 15]);
  const route = drawn.find((l) => l.ycRoute);
  assert.ok(route && Math.abs(route.ycRoute.minutes - hook.minutesFrom("r0", "kindergarten")) < 1e-9);
  assert.match(doc.getElementById("yc-route-note").textContent, /Walking route/);
  // Add a kindergarten, remove the study's own, reset.
  const before = groups.facilities.kindergarten.getLayers().length;
  hook.addFacility("kindergarten", app.data.res.lon[3], app.data.res.lat[3]);
  assert.equal(groups.facilities.kindergarten.getLayers().length, before + 1);
  assert.equal(app.data.summary[0].facilities, 2);
  assert.match(doc.getElementById("yc-whatif-status").textContent, /added 1, removed 0/);
  hook.removeFacility("k1");
  assert.equal(app.data.summary[0].facilities, 1);
  assert.match(doc.getElementById("yc-whatif-download").href, /^data:text\/csv;charset=utf-8,/);
  hook.reset();
  assert.equal(app.data.summary[0].facilities, 1);
  assert.equal(app.data.summary[0].changed, false);
});
