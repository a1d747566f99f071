// Live what-if: the panel (category, add, remove, reset, download the scenario), the added
// facilities' markers, and after each change the category's minutes, table row and colours.

import { dropdown } from "./dropdown.mjs";
import { facilityClick } from "./facilities.mjs";
import { panel } from "./panel.mjs";
import { isPhone } from "./screen.mjs";
import { catLabel, el } from "./text.mjs";

function round3(v) {
  return v === null || v === undefined ? null : Math.round(v * 1000) / 1000;
}
function round1(v) {
  return v === null ? null : Math.round(v * 10) / 10;
}

// The engine's coverage table written into the page's summary rows.
export function applyTable(summary, table, changed) {
  for (const s of summary) {
    const row = table[s.key];
    if (!row) continue;
    s.facilities = row.facilities;
    s.s5 = round3(row.share_pop_5min);
    s.s10 = round3(row.share_pop_10min);
    s.s15 = round3(row.share_pop_15min);
    s.median = round1(row.median_min);
    s.p90 = round1(row.p90_min);
    s.unreachable = row.unreachable;
    s.changed = changed[s.key] === true;
  }
}

// The "download scenario" link's target: the CSV with a UTF-8 byte-order mark, as every CSV
// the tool writes, so that Excel on a Chinese Windows (GBK) reads 示例幼儿园 as written.
export function csvHref(csv) {
  return `data:text/csv;charset=utf-8,${encodeURIComponent(`\uFEFF${csv}`)}`;
}

// Every category's facility count now (the legend's counts follow the what-if).
export function updateCounts(cats, engine) {
  for (const c of cats) {
    if (engine.categories.indexOf(c.key) >= 0) c.count = engine.facilitiesOf(c.key).length;
  }
}

// The categories an added or removed facility touches.
export function changedCategories(scenario) {
  const out = {};
  for (const f of scenario.added.concat(scenario.removed)) out[f.category] = true;
  return out;
}

function addedMarker(app, f) {
  const cat = app.catByKey[f.category]
    || { key: f.category, zh: f.category, en: f.category, color: "#777777" };
  const marker = L.circleMarker([f.lat, f.lon], {
    renderer: app.renderer,
    radius: 9,
    weight: 3,
    color: "#ffffff",
    dashArray: "3 2",
    fillColor: cat.color,
    fillOpacity: 1,
  });
  marker.ycId = f.id;
  marker.ycCategory = f.category;
  const box = el("div", null, "yc-popup");
  box.appendChild(el("b", `新增设施 Added facility ${f.id}`, "yc-name"));
  box.appendChild(el("div", `类别 Category: ${cat.zh} / ${cat.en}`));
  box.appendChild(el("div", f.edge >= 0
    ? `距街道 ${f.snapM.toFixed(1)} 米 · ${f.snapM.toFixed(1)} m from its street`
    : "离街道太远, 不服务任何居住点 · too far from any street: serves nobody", "yc-note"));
  marker.on("click", facilityClick(app, box));
  marker.addTo(app.groups.facilities[f.category] || app.map);
  return marker;
}

export function addWhatIf(app, live, forget) {
  const { engine } = live;
  const { map } = app;
  const D = app.data;
  let addedMarkers = {};
  // The study's own facility markers, by id (drawn before this runs).
  const facilityMarkers = {};
  for (const key of Object.keys(app.groups.facilities)) {
    app.groups.facilities[key].eachLayer((m) => {
      if (m.ycId !== undefined) facilityMarkers[m.ycId] = { marker: m, key };
    });
  }
  function dropAdded(marker) {
    const group = app.groups.facilities[marker.ycCategory];
    if (group) group.removeLayer(marker);
    else marker.remove();
  }
  let status;
  let download;
  const buttons = {};

  // After a what-if: the category's minutes, street colours and table row, then redraw.
  function refresh(key, table) {
    forget(key);
    applyTable(D.summary, table, changedCategories(engine.scenario()));
    updateCounts(D.cats, engine);
    app.emit("summary");
    app.emit("change");
    if (live.selected !== null) live.showResidence(live.selected);
    updatePanel();
    return table;
  }

  live.add = (key, lon, lat) => {
    const table = engine.addFacility(key, lon, lat);
    const sc = engine.scenario();
    const f = sc.added[sc.added.length - 1];
    addedMarkers[f.id] = addedMarker(app, f);
    return refresh(key, table);
  };
  live.remove = (id) => {
    id = String(id);
    let key = null;
    if (addedMarkers[id]) {
      key = engine.scenario().added.filter((f) => f.id === id)[0].category;
      dropAdded(addedMarkers[id]);
      delete addedMarkers[id];
    } else if (facilityMarkers[id]) {
      // Out of its group, not only off the map: Reset puts it back into the group.
      key = facilityMarkers[id].key;
      app.groups.facilities[key].removeLayer(facilityMarkers[id].marker);
    }
    const table = engine.removeFacility(id);
    if (key === null) key = engine.scenario().removed.filter((f) => f.id === id)[0].category;
    return refresh(key, table);
  };
  live.reset = () => {
    const touched = changedCategories(engine.scenario());
    for (const id of Object.keys(addedMarkers)) dropAdded(addedMarkers[id]);
    addedMarkers = {};
    for (const id of Object.keys(facilityMarkers)) {
      const item = facilityMarkers[id];
      if (!app.groups.facilities[item.key].hasLayer(item.marker)) {
        app.groups.facilities[item.key].addLayer(item.marker);
      }
    }
    const table = engine.reset();
    const keys = Object.keys(touched);
    if (!keys.length) {
      updatePanel();
      return table;
    }
    for (const key of keys) refresh(key, table);
    return table;
  };

  function setMode(mode) {
    live.mode = live.mode === mode ? null : mode;
    map.getContainer().classList.toggle("yc-placing", live.mode === "add");
    for (const k of Object.keys(buttons)) buttons[k].classList.toggle("yc-on", live.mode === k);
    updatePanel();
  }
  function updatePanel() {
    if (!status) return;
    const sc = engine.scenario();
    const hint = live.mode === "add" ? "点击地图放置设施 · click the map to place the facility. "
      : live.mode === "remove" ? "点击要移除的设施 · click the facility to remove. " : "";
    status.textContent = `${hint}已新增 ${sc.added.length} · 已移除 ${sc.removed.length} · added `
      + `${sc.added.length}, removed ${sc.removed.length}`;
    const csv = engine.scenarioCsv();
    download.href = csvHref(csv);
    download.ycCsv = csv;
  }
  // Desktop: bottom right, clear of the other panels; phone: stacked with the bottom ones.
  const corner = isPhone() ? "bottomleft" : "bottomright";
  const control = panel(app, "yc-whatif", corner, "情景分析 What-if", !isPhone(), (body) => {
    body.appendChild(el("div", "设施类别 Category:", "yc-label"));
    const options = D.cats.filter((c) => engine.categories.indexOf(c.key) >= 0)
      .map((c) => ({ key: c.key, label: catLabel(c) }));
    const { chooser, list } = dropdown("yc-whatif-category", "yc-whatif-list", options, (key) => {
      live.category = key;
      label();
    });
    function label() {
      const c = app.catByKey[live.category];
      chooser.textContent = `${c ? catLabel(c) : live.category} ▾`;
    }
    label();
    body.appendChild(chooser);
    body.appendChild(list);
    const row = el("div", null, "yc-whatif-buttons");
    for (const [mode, text] of [["add", "新增设施 Add facility"], ["remove", "移除 Remove"]]) {
      const button = el("button", text, "yc-step");
      button.type = "button";
      button.id = `yc-whatif-${mode}`;
      button.addEventListener("click", () => setMode(mode));
      buttons[mode] = button;
      row.appendChild(button);
    }
    const reset = el("button", "重置 Reset", "yc-step");
    reset.type = "button";
    reset.id = "yc-whatif-reset";
    reset.addEventListener("click", () => {
      setMode(null);
      live.mode = null;
      live.reset();
    });
    row.appendChild(reset);
    body.appendChild(row);
    download = el("a", "下载情景 CSV · Download scenario CSV", "yc-download");
    download.id = "yc-whatif-download";
    download.download = "scenario.csv";
    download.title = "yushu-circle plan --scenario scenario.csv 复算 · an official run";
    body.appendChild(download);
    status = el("div", "", "yc-status");
    status.id = "yc-whatif-status";
    body.appendChild(status);
  });
  control.ycExclusive = true;
  updatePanel();
  map.on("click", (e) => {
    if (live.mode !== "add") return;
    live.add(live.category, e.latlng.lng, e.latlng.lat);
    setMode(null);
  });
  return control;
}
