// The map's modules one by one: text, colour classes, decoding, the screen and layout
// arithmetic, popup / legend / table / status contents, reach sizes and notes, the what-if
// table. Under jsdom (a real DOM) where they build elements.

import { test } from "node:test";
import assert from "node:assert/strict";

import { binOf, minutesColor, reachColor, scoreColor } from "../../yushu_circle/render/js/classes.mjs";
import { decodeSteps, unpackData, unpackMinutes } from "../../yushu_circle/render/js/decode.mjs";
import { clearMove, insideMove } from "../../yushu_circle/render/js/layout.mjs";
import { dropdown } from "../../yushu_circle/render/js/dropdown.mjs";
import { legendRow } from "../../yushu_circle/render/js/legend.mjs";
import { facilityPopup, residencePopup } from "../../yushu_circle/render/js/popups.mjs";
import { bandPixels, latlngs, routeNote } from "../../yushu_circle/render/js/reach.mjs";
import { isPhone, overlaps, popupOptions } from "../../yushu_circle/render/js/screen.mjs";
import { filterStatus } from "../../yushu_circle/render/js/switcher.mjs";
import { rowCells } from "../../yushu_circle/render/js/table.mjs";
import { catLabel, el, fmt, pct } from "../../yushu_circle/render/js/text.mjs";
import { applyTable, changedCategories } from "../../yushu_circle/render/js/whatif.mjs";
import { openPage, texts } from "./dom.mjs";
import { COLORS, mapData } from "./mapdata.mjs";

test("text: elements take text as text, never as markup", () => {
  openPage();
  const node = el("b", "<img src=x onerror=alert(1)>诊所", "yc-name");
  assert.equal(node.tagName, "B");
  assert.equal(node.className, "yc-name");
  assert.equal(node.textContent, "<img src=x onerror=alert(1)>诊所");
  assert.equal(node.children.length, 0);
  assert.equal(el("div").textContent, "");
  assert.equal(fmt(null), "–");
  assert.equal(fmt(0), "0");
  assert.equal(pct(0.456), "46%");
  assert.equal(pct(undefined), "–");
  assert.equal(catLabel({ zh: "幼儿园", en: "Kindergarten" }), "幼儿园 Kindergarten");
  assert.equal(catLabel({ zh: "站", en: "站" }), "站");
});

test("classes: a value takes the first class whose max holds it; none past them", () => {
  assert.equal(binOf(5, COLORS.minutes).color, "#1a9850");
  assert.equal(binOf(5.01, COLORS.minutes).color, "#91cf60");
  assert.equal(binOf(300, COLORS.minutes).color, "#d73027"); // max null: no upper bound
  assert.equal(binOf(null, COLORS.minutes), null);
  assert.equal(binOf(Number.NaN, COLORS.minutes), null);
  assert.equal(minutesColor(COLORS, null), COLORS.none);
  assert.equal(minutesColor(COLORS, 12), "#fee08b");
  assert.equal(scoreColor(COLORS, 0.1), "#d73027");
  assert.equal(scoreColor(COLORS, 1), "#1a9850");
  assert.equal(reachColor(COLORS, 10), "#f768a1");
  assert.equal(reachColor(COLORS, 20), COLORS.none);
});

test("decode: step-coded lines, packed whole minutes, unreached categories", () => {
  assert.deepEqual(decodeSteps([100, 200, 5, -5, 1, 1], 100), [[2, 1], [1.95, 1.05], [1.96, 1.06]]);
  assert.deepEqual(unpackMinutes(btoa(String.fromCharCode(0, 7, 254, 255))), [0, 7, 254, null]);
  const data = mapData({ live: false });
  data.res.min.clinic = btoa(String.fromCharCode(3, 255, 1, 2));
  data.unreached = ["kindergarten"];
  unpackData(data);
  assert.deepEqual(data.res.min.clinic, [3, null, 1, 2]);
  assert.deepEqual(data.res.min.kindergarten, [null, null, null, null]);
  assert.deepEqual(data.edges.min.kindergarten, [null, null, null, null]);
});

test("screen: phone below 600 px, popup sizes, rectangles that overlap", () => {
  openPage({ width: 390, height: 844 });
  assert.equal(isPhone(), true);
  assert.equal(popupOptions().maxWidth, 260);
  openPage({ width: 1280, height: 757 });
  assert.equal(isPhone(), false);
  assert.equal(popupOptions().autoPan, false);
  const a = { left: 0, right: 10, top: 0, bottom: 10 };
  assert.equal(overlaps(a, { left: 9, right: 20, top: 9, bottom: 20 }), true);
  assert.equal(overlaps(a, { left: 10, right: 20, top: 0, bottom: 10 }), false);
});

test("layout: the smallest pan that brings a popup inside the map and off every control", () => {
  const box = { left: 0, right: 1000, top: 0, bottom: 700 };
  assert.deepEqual(insideMove({ left: 100, right: 300, top: -50, bottom: 150 }, box), [0, 58]);
  assert.deepEqual(insideMove({ left: 100, right: 300, top: 100, bottom: 200 }, box), [0, 0]);
  // A popup under a panel at the top left: the shortest way out is down, below the panel.
  const popup = { left: 100, right: 340, top: 100, bottom: 300 };
  const panel = { left: 10, right: 310, top: 10, bottom: 130 };
  assert.deepEqual(clearMove(popup, box, [panel]), [0, 38]);
  assert.deepEqual(clearMove({ left: 400, right: 500, top: 200, bottom: 300 }, box, [panel]), [0, 0]);
  // Up off the table would land on the banner: it goes right instead, clear of both.
  const banner = { left: 0, right: 1000, top: 0, bottom: 25 };
  const table = { left: 10, right: 570, top: 372, bottom: 700 };
  const tall = { left: 466, right: 813, top: 33, bottom: 381 };
  assert.deepEqual(clearMove(tall, box, [banner, table]), [112, 0]);
  // No room anywhere: null.
  assert.equal(clearMove({ left: 0, right: 1000, top: 0, bottom: 700 }, box, [panel]), null);
});

function fakeApp(state = {}) {
  const data = unpackData(mapData({ live: false }));
  const catByKey = Object.fromEntries(data.cats.map((c) => [c.key, c]));
  const exactMinutes = (key, i) => data.res.min[key][i];
  return { data, catByKey, colors: COLORS, exactMinutes, state: { category: null, threshold: 15, ...state } };
}

test("popups: a residence's people, score and minutes; a facility's level and source", () => {
  openPage();
  const app = fakeApp({ category: "clinic" });
  const box = residencePopup(app, 1);
  assert.equal(box.querySelector(".yc-name").textContent, "居住点 Residence r1");
  assert.match(box.textContent, /人口 Population: 2/);
  assert.match(box.textContent, /Score \(categories within level\): 50%/);
  assert.deepEqual(texts(box, "tr.yc-selected td"), ["卫生服务站 Clinic", "≤ 15 min", "3.1 分钟 min", "✓"]);
  // The kindergarten (5 min) is 3.5 min away: met; residence r2's 8 min is not.
  assert.deepEqual(texts(box, "tr[data-key=kindergarten] td").slice(1), ["≤ 5 min", "3.5 分钟 min", "✓"]);
  assert.equal(texts(residencePopup(app, 2), "tr[data-key=kindergarten] td")[3], "✗");
  // The route's note goes first, before the table.
  assert.equal(box.children[1].className, "yc-route-slot");
  const facility = facilityPopup(app, 0, app.catByKey.kindergarten);
  assert.equal(facility.querySelector(".yc-name").textContent, "示例幼儿园1");
  assert.match(facility.textContent, /5 分钟 min/);
  assert.match(facility.textContent, /来源 Source: 示例 demo/);
});

test("legend rows: a dot, a line or a ring in the colour", () => {
  openPage();
  const ring = legendRow("#00a6a6", "15 分钟 min", 3);
  assert.equal(ring.firstChild.className, "yc-ring");
  assert.equal(ring.firstChild.style.borderColor, "#00a6a6");
  assert.equal(legendRow("#111111", "x", 1).firstChild.className, "yc-line");
  assert.equal(legendRow("#111111", "x").textContent, "x");
});

test("table cells and filter status, in both languages", () => {
  const c = { zh: "幼儿园", en: "Kindergarten", level: 5 };
  assert.deepEqual(rowCells(c, { facilities: 4, s5: 0.25, s10: 0.5, s15: 1, median: null }),
    ["幼儿园 Kindergarten", "5 min", "4", "25%", "50%", "100%", "不可达 unreachable"]);
  assert.equal(rowCells(c, { facilities: 0, s5: 0, s10: 0, s15: 0, median: null })[6], "本区无 none mapped here");
  assert.equal(rowCells(c, { facilities: 4, s5: 0, s10: 0, s15: 0, median: 6.5 })[6], "6.5 min");
  const s = { beyond: 3, beyondPop: 7.4, threshold: 5 };
  const status = filterStatus(s, c);
  assert.match(status, /^3 个居住点\(人口 7\)在 5 分钟内到不了幼儿园/);
  assert.match(status, /3 residences \(population 7\) have no Kindergarten within 5 min$/);
  assert.match(filterStatus(s, null), /Coloured by score/);
});

test("reach: the band's width is 2 × bufferM at the map's scale; the route note", () => {
  // 25 m either side at zoom 18 at 33° N: ≈ 0.5 m per pixel, about 100 px.
  const mpp = (40075016.686 * Math.cos((33 * Math.PI) / 180)) / (256 * 2 ** 18);
  assert.ok(Math.abs(bandPixels(25, 33, 18) - 50 / mpp) < 1e-9);
  assert.equal(bandPixels(25, 33, 5), 2); // never thinner than 2 px
  assert.deepEqual(latlngs([[97, 33], [98, 34]]), [[33, 97], [34, 98]]);
  const cat = { zh: "幼儿园", en: "Kindergarten" };
  assert.match(routeNote({ minutes: 7.26 }, cat, "kindergarten"), /到最近的幼儿园: 7.3 分钟.*Kindergarten: 7.3 min/);
  assert.match(routeNote(null, cat, "kindergarten"), /no 幼儿园 Kindergarten reachable on foot/);
});

test("what-if: the engine's table into the page's rows, changed categories marked", () => {
  const summary = mapData().summary.map((s) => ({ ...s }));
  const table = {
    kindergarten: { facilities: 2, share_pop_5min: 0.61234, share_pop_10min: 0.9, share_pop_15min: 1,
      median_min: 3.14159, p90_min: null, unreachable: 0 },
  };
  const sc = { added: [{ category: "kindergarten" }], removed: [] };
  applyTable(summary, table, changedCategories(sc));
  assert.deepEqual(summary[0], { key: "kindergarten", facilities: 2, s5: 0.612, s10: 0.9, s15: 1,
    median: 3.1, p90: null, unreachable: 0, changed: true });
  assert.equal(summary[1].facilities, 1); // untouched: not in the table
  assert.deepEqual(changedCategories({ added: [], removed: [{ category: "clinic" }] }), { clinic: true });
});

test("dropdown: the chooser unfolds its list; a pick folds it and is handed on", () => {
  openPage();
  const picked = [];
  const { chooser, list } = dropdown("c", "l", [{ key: "a", label: "A" }, { key: "b", label: "B" }],
    (key) => picked.push(key));
  assert.equal(list.hidden, true);
  chooser.click();
  assert.equal(list.hidden, false);
  list.querySelector("[data-key=b]").click();
  assert.deepEqual(picked, ["b"]);
  assert.equal(list.hidden, true);
  assert.deepEqual(texts(list, "button"), ["A", "B"]);
});
