// yushu_circle planner map, core (MIT): helpers, the shared state and the window.yushuMap hook.
// Every string from the data reaches the page through textContent (or esc() where Leaflet
// takes HTML, as the layer control's labels); nothing from the data is parsed as HTML.
(function () {
  "use strict";
  var Y = window.YushuMap = window.YushuMap || {};

  Y.MINUTE_BINS = [
    { max: 5, color: "#1a9850", label: "≤ 5 分钟 min" },
    { max: 10, color: "#91cf60", label: "5–10 分钟 min" },
    { max: 15, color: "#fee08b", label: "10–15 分钟 min" },
    { max: 30, color: "#fc8d59", label: "15–30 分钟 min" },
    { max: Infinity, color: "#d73027", label: "> 30 分钟 min" }
  ];
  Y.SCORE_BINS = [
    { max: 0.2, color: "#d73027", label: "0–20%" },
    { max: 0.4, color: "#fc8d59", label: "20–40%" },
    { max: 0.6, color: "#fee08b", label: "40–60%" },
    { max: 0.8, color: "#91cf60", label: "60–80%" },
    { max: Infinity, color: "#1a9850", label: "80–100%" }
  ];
  // The 5/10/15-minute isochrones of a clicked residence: three hues apart from both scales.
  Y.ISO_COLORS = { 5: "#08306b", 10: "#7b3294", 15: "#00a6a6" };
  Y.NONE_COLOR = "#555555";
  Y.STREET_GREY = "#9a9a9a";
  Y.PHONE_WIDTH = 600;

  Y.esc = function (text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  };
  Y.el = function (tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  };
  Y.binOf = function (value, bins) {
    if (value === null || value === undefined) { return null; }
    for (var i = 0; i < bins.length; i++) { if (value <= bins[i].max) { return bins[i]; } }
    return null;
  };
  Y.minutesColor = function (value) {
    var bin = Y.binOf(value, Y.MINUTE_BINS);
    return bin ? bin.color : Y.NONE_COLOR;
  };
  Y.pct = function (v) { return v === null || v === undefined ? "–" : Math.round(v * 100) + "%"; };
  Y.fmt = function (v) { return v === null || v === undefined ? "–" : String(v); };
  Y.catLabel = function (c) { return c.zh === c.en ? c.zh : c.zh + " " + c.en; };
  // Step-coded line or ring [x0, y0, dx1, dy1, …] in integer units → [[lat, lon], …].
  Y.decodeSteps = function (steps, scale) {
    var pts = [], x = 0, y = 0;
    for (var k = 0; k + 1 < steps.length; k += 2) {
      x += steps[k];
      y += steps[k + 1];
      pts.push([y / scale, x / scale]);
    }
    return pts;
  };
  Y.isPhone = function () { return window.innerWidth < Y.PHONE_WIDTH; };

  // A map application: the data, the folium layer groups, the state and a tiny event bus.
  Y.create = function (map, dataId, groups) {
    var D = JSON.parse(document.getElementById(dataId).textContent);
    var app = {
      map: map, data: D, groups: groups, handlers: {},
      state: { category: null, threshold: 15, onlyBeyond: false, selected: null },
      catByKey: {}, panels: []
    };
    D.cats.forEach(function (c) { app.catByKey[c.key] = c; });
    // A big city's whole minutes travel as base64 bytes (255: unreachable).
    [D.res.min, (D.edges && D.edges.min) || {}].forEach(function (table) {
      Object.keys(table).forEach(function (key) {
        if (typeof table[key] !== "string") { return; }
        var bytes = atob(table[key]), out = new Array(bytes.length);
        for (var i = 0; i < bytes.length; i++) {
          var b = bytes.charCodeAt(i);
          out[i] = b === 255 ? null : b;
        }
        table[key] = out;
      });
    });
    // Categories nobody reaches travel as a name only (a big city's page stays small).
    (D.unreached || []).forEach(function (key) {
      D.res.min[key] = D.res.id.map(function () { return null; });
      if (D.edges && D.edges.min) { D.edges.min[key] = D.edges.coords.map(function () { return null; }); }
    });
    app.on = function (name, fn) { (app.handlers[name] = app.handlers[name] || []).push(fn); };
    app.emit = function (name) {
      (app.handlers[name] || []).forEach(function (fn) { fn(app.state); });
    };
    app.setCategory = function (key) {
      app.state.category = key && app.catByKey[key] ? key : null;
      app.emit("change");
    };
    app.setFilter = function (onlyBeyond, threshold) {
      app.state.onlyBeyond = Boolean(onlyBeyond);
      if (threshold) { app.state.threshold = Number(threshold); }
      app.emit("change");
    };
    // One renderer for every clickable feature, so one canvas does the hit testing and a
    // residence under no facility gets its click (stacked canvases swallow each other's).
    var pane = map.createPane("yc-features");
    pane.style.zIndex = "450";
    app.renderer = L.canvas({ pane: "yc-features", tolerance: Y.isPhone() ? 4 : 1 });
    ["yc-ground", "yc-streets", "yc-iso"].forEach(function (name, i) {
      var p = map.createPane(name);
      p.style.zIndex = String(250 + 50 * i);
      p.style.pointerEvents = "none";
    });
    map.attributionControl.setPrefix("Leaflet · folium");
    map.attributionControl.addAttribution(D.synthetic ? "合成示例数据 synthetic demo"
      : "街道 streets © OpenStreetMap contributors");
    return app;
  };

  // The documented hook for tests and power users (see the README, "The planner's map").
  Y.publish = function (app) {
    var R = app.data.res, F = app.data.fac;
    var hook = {
      map: app.map,
      residences: R.id.map(function (id, i) { return { id: id, lat: R.lat[i], lon: R.lon[i] }; }),
      facilities: F.lon.map(function (lon, i) {
        return { id: F.id[i], category: F.cat[i], lat: F.lat[i], lon: lon };
      }),
      selectCategory: function (key) { app.setCategory(key); },
      selected: function () { return app.state.selected; },
      app: app
    };
    // The in-page engine's hooks (minutesFrom, routeFrom, addFacility, …; yushu_live.js).
    if (app.live) { Object.assign(hook, app.live.hooks); }
    window.yushuMap = hook;
    window.yushuMapReady = true;
    return hook;
  };
})();
