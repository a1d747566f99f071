// The planner's second pass (issue 27) in the map's modules: the filter at the item's level,
// ✓ / ✗ against each level, what a residence's population means, the route note, the
// scenario CSV's byte-order mark, legend counts after a what-if, Reset bringing back a
// removed facility's marker, Remove opening no popup, the panels fitting one above the
// other, the opening view and the places to jump to.

import { test } from "node:test";
import assert from "node:assert/strict";

import { levelOf } from "../../yushu_circle/render/js/app.mjs";
import { MIN_BODY, shrinkBodies, stackOverlap } from "../../yushu_circle/render/js/layout.mjs";
import { freePadding, openingView, placeButtons, placeLabel, zoomForSpacing } from "../../yushu_circle/render/js/opening.mjs";
import { categoryRow, peopleBasis } from "../../yushu_circle/render/js/popups.mjs";
import { routeNote } from "../../yushu_circle/render/js/reach.mjs";
import { csvHref, updateCounts } from "../../yushu_circle/render/js/whatif.mjs";
import { texts } from "./dom.mjs";
import { mapData } from "./mapdata.mjs";
import { buildPage, clickLayer } from "./page.mjs";

test("a category opens its filter at its own level; the score view has no step on", () => {
  assert.equal(levelOf({ level: 5 }), 5);
  assert.equal(levelOf({ level: 30 }), 15);
  assert.equal(levelOf(null), 15);
  const { app, doc } = buildPage();
  assert.equal(doc.querySelectorAll("#yc-switcher .yc-step.yc-on").length, 0);
  assert.ok(Array.from(doc.querySelectorAll("#yc-switcher .yc-step"), (b) => b.disabled).every(Boolean));
  app.setCategory("kindergarten");
  assert.equal(app.state.threshold, 5);
  assert.equal(doc.querySelector("#yc-switcher .yc-step.yc-on").id, "yc-threshold-5");
  assert.match(doc.getElementById("yc-status").textContent, /within 5 min$/);
  app.setFilter(false, 10); // the planner's own choice stays while the category does
  app.setCategory("kindergarten");
  assert.equal(app.state.threshold, 10);
  app.setCategory("clinic");
  assert.equal(app.state.threshold, 15);
});

test("each item's row: its level, the minutes, ✓ within it, ✗ beyond, none mapped apart", () => {
  const cat = { zh: "幼儿园", en: "Kindergarten", level: 5, count: 2 };
  assert.deepEqual(categoryRow(cat, 4.9, 4.9), ["幼儿园 Kindergarten", "≤ 5 min", "4.9 分钟 min", "✓"]);
  assert.equal(categoryRow(cat, 5, 5.04)[3], "✗"); // the exact minutes decide, not the rounded
  assert.equal(categoryRow(cat, 5, 5)[3], "✓");
  assert.deepEqual(categoryRow(cat, null, null).slice(2), ["不可达 unreachable", "✗"]);
  assert.deepEqual(categoryRow({ ...cat, count: 0 }, null, null).slice(2), ["本区无 none mapped here", "–"]);
});

test("a residence's population says why: a sample point, a spread total", () => {
  const data = mapData();
  assert.equal(peopleBasis(data, 0), null);
  data.people = { texts: ["a street sample point"], of: 0 };
  assert.equal(peopleBasis(data, 3), "a street sample point");
  data.people = { texts: ["sample", "known total 100 spread by floor area"], of: [0, 1, null, 1] };
  assert.equal(peopleBasis(data, 1), "known total 100 spread by floor area");
  assert.equal(peopleBasis(data, 2), null);
  const { app, doc } = buildPage({ data: { ...mapData(), people: { texts: ["采样点 sample point"], of: 0 } } });
  clickLayer(app.layers.residences[2]);
  assert.equal(doc.querySelector(".leaflet-popup .yc-people-basis").textContent, "采样点 sample point");
});

test("the route note says, in the score view, where the route goes", () => {
  const cat = { zh: "幼儿园", en: "Kindergarten" };
  assert.doesNotMatch(routeNote({ minutes: 3 }, cat, "kindergarten"), /What-if/);
  assert.match(routeNote({ minutes: 3 }, cat, "kindergarten", true), /What-if panel's category/);
  const { app, doc } = buildPage();
  clickLayer(app.layers.residences[1]);
  const popup = doc.querySelector(".leaflet-popup .yc-popup");
  assert.equal(popup.children[1].firstChild.id, "yc-route-note"); // first, after the name
  assert.match(popup.children[1].textContent, /What-if panel's category/);
});

test("the scenario download starts with a UTF-8 byte-order mark", () => {
  const href = csvHref("action,facility_id,category,name,lon,lat\nremove,k1,kindergarten,示例幼儿园1,97,33\n");
  assert.ok(href.startsWith("data:text/csv;charset=utf-8,%EF%BB%BFaction"));
  assert.match(decodeURIComponent(href.split(",").slice(1).join(",")), /^\uFEFFaction,.*示例幼儿园1/s);
  const { doc, hook } = buildPage();
  hook.removeFacility("k1");
  assert.ok(doc.getElementById("yc-whatif-download").href.includes(",%EF%BB%BFaction"));
});

test("the legend's counts follow a what-if", () => {
  const cats = [{ key: "kindergarten", count: 1 }, { key: "mine", count: 3 }];
  updateCounts(cats, { categories: ["kindergarten"], facilitiesOf: () => [{}, {}] });
  assert.deepEqual(cats.map((c) => c.count), [2, 3]);
  const { doc, hook } = buildPage();
  const legend = () => texts(doc, "#yc-legend .yc-legend-row").join("|");
  assert.match(legend(), /幼儿园 Kindergarten \(1\)/);
  hook.addFacility("kindergarten", 97.013, 33.0);
  assert.match(legend(), /幼儿园 Kindergarten \(2\)/);
  assert.match(doc.querySelector("#yc-legend").textContent, /设施 Facilities \(3\)/);
  hook.reset();
  assert.match(legend(), /幼儿园 Kindergarten \(1\)/);
});

test("Reset brings back a removed facility's marker; Remove opens no popup", () => {
  const { app, map, groups, doc } = buildPage();
  const [marker] = groups.facilities.kindergarten.getLayers();
  app.live.mode = "remove";
  clickLayer(marker);
  assert.equal(doc.querySelectorAll(".leaflet-popup").length, 0);
  assert.equal(map.hasLayer(marker), false);
  assert.equal(groups.facilities.kindergarten.getLayers().length, 0);
  app.live.mode = null;
  doc.getElementById("yc-whatif-reset").click();
  assert.equal(map.hasLayer(marker), true);
  assert.equal(groups.facilities.kindergarten.getLayers().length, 1);
  clickLayer(marker); // outside Remove mode a click opens its popup
  assert.equal(doc.querySelector(".leaflet-popup .yc-name").textContent, "示例幼儿园1");
});

test("the reach stays when the popup closes, until a click on the map", () => {
  const { app, map, groups } = buildPage();
  clickLayer(app.layers.residences[0]);
  const drawn = groups.isochrones.getLayers().length;
  assert.ok(drawn >= 2);
  map.closePopup();
  assert.equal(app.state.selected, null);
  assert.equal(groups.isochrones.getLayers().length, drawn);
  map.fire("click", { latlng: map.getCenter(), originalEvent: {} });
  assert.equal(groups.isochrones.getLayers().length, 0);
});

test("panels of a side fit one above the other: the tallest body gives first", () => {
  assert.equal(stackOverlap([{ bottom: 400 }], [{ top: 300 }]), 108);
  assert.ok(stackOverlap([{ bottom: 200 }], [{ top: 300 }]) < 0);
  assert.equal(stackOverlap([], [{ top: 300 }]), 0);
  const cut = shrinkBodies([300, 120], 100);
  assert.deepEqual(cut, { heights: [200, 120], left: 0 });
  const both = shrinkBodies([300, 280], 200);
  assert.ok(Math.abs(both.heights[0] + both.heights[1] - 380) < 0.01 && both.left === 0);
  assert.ok(Math.abs(both.heights[0] - both.heights[1]) < 0.01); // cut to one height
  const floor = shrinkBodies([150, 100], 200);
  assert.deepEqual(floor, { heights: [MIN_BODY, MIN_BODY], left: 200 - 70 - 20 });
});

test("the opening view: the free part of the screen, a tappable zoom on a phone", () => {
  // 22 m apart at 33° N are 20 px apart from zoom 17 (quarter steps).
  const zoom = zoomForSpacing(22, 33, 20);
  const mpp = (40075016.686 * Math.cos((33 * Math.PI) / 180)) / (256 * 2 ** zoom);
  assert.ok(22 / mpp >= 20 && 22 / (mpp * 2 ** 0.25) < 20, zoom);
  assert.equal(zoomForSpacing(0.01, 33, 20), 18);
  // A desktop's panels are tall and narrow: they take the sides.
  const desk = freePadding([{ left: 10, right: 310, top: 110, bottom: 346 },
    { left: 1020, right: 1270, top: 94, bottom: 480 }], 1280, 757);
  assert.deepEqual(desk, { paddingTopLeft: [320, 10], paddingBottomRight: [270, 10] });
  // A phone's are wide and flat: they take the top and the bottom.
  const phone = freePadding([{ left: 10, right: 324, top: 36, bottom: 268 },
    { left: 10, right: 141, top: 649, bottom: 691 }], 390, 844);
  assert.deepEqual(phone, { paddingTopLeft: [10, 278], paddingBottomRight: [10, 205] });
  // Never less than 40 % of the screen left: then the panels are ignored.
  assert.deepEqual(freePadding([{ left: 0, right: 900, top: 0, bottom: 757 }], 1280, 757).paddingTopLeft, [10, 10]);
  const { map, app } = buildPage();
  openingView(app);
  const view = map.getBounds();
  for (const [lat, lon] of app.data.res.lat.map((la, i) => [la, app.data.res.lon[i]])) {
    assert.ok(view.contains([lat, lon]), `${lat},${lon} out of the opening view`);
  }
});

test("places to jump to: listed when there are several, each shown by a click", () => {
  const one = buildPage();
  assert.equal(placeButtons(one.app), null);
  const data = mapData();
  data.view = {
    bounds: [[33.0, 97.0], [33.2, 97.3]],
    spacingM: 30,
    places: [
      { bounds: [[33.0, 97.0], [33.01, 97.01]], center: [33.005, 97.005], residences: 30, population: 30 },
      { bounds: [[33.19, 97.29], [33.2, 97.3]], center: [33.195, 97.295], residences: 12, population: 12 },
    ],
  };
  const { doc, map } = buildPage({ data });
  const buttons = doc.querySelectorAll("#yc-places button");
  assert.equal(buttons.length, 3);
  assert.equal(buttons[1].textContent, placeLabel(data.view.places[1], 1));
  buttons[1].click();
  assert.ok(map.getBounds().contains([33.195, 97.295]));
  assert.ok(!map.getBounds().contains([33.005, 97.005]));
  buttons[2].click();
  assert.ok(map.getBounds().contains([33.005, 97.005]) && map.getBounds().contains([33.195, 97.295]));
});
