// yushu_circle planner map, live (MIT): the in-page engine (render/js/) wired to the map —
// any residence's 5/10/15-minute reach and route, and the what-if panel (add a facility,
// remove one, reset, download the scenario) with the colours, filter and table recomputed.
(function () {
  "use strict";
  var Y = window.YushuMap;
  var el = Y.el;
  var EARTH_M = 40075016.686; // Web-Mercator circumference: metres per 256 px at zoom 0
  var ROUTE_COLOR = "#111111";

  function latlngs(lonlat) { return lonlat.map(function (p) { return [p[1], p[0]]; }); }
  function round1(m) { return Number.isNaN(m) ? null : Math.round(m * 10) / 10; }
  function round3(v) { return v === null || v === undefined ? null : Math.round(v * 1000) / 1000; }

  Y.addLive = function (app, dataId) {
    var net = JSON.parse(document.getElementById(dataId).textContent);
    var engine = window.yushuEngine.createEngine(net);
    var D = app.data, R = D.res, map = app.map;
    var engineIndex = {};
    engine.residenceIds.forEach(function (id, j) { engineIndex[id] = j; });
    var toEngine = R.id.map(function (id) {
      var j = engineIndex[String(id)];
      return j === undefined ? -1 : j;
    });
    // The residences' and streets' minutes per category: the payload's own (Python's) when it
    // carries them, else computed here when a category is first shown; recomputed after a
    // what-if. The map's code reads R.min[key] and D.edges.min[key] as plain arrays.
    var edgeIndex = D.edges.index || (D.edges.coords.length === engine.network.edgeCount
      ? D.edges.coords.map(function (_, k) { return k; }) : null);
    var resCache = {}, edgeCache = {};
    D.cats.forEach(function (c) {  // a category the engine lacks: nobody reaches it here
      if (engine.categories.indexOf(c.key) >= 0 || R.min[c.key]) { return; }
      R.min[c.key] = R.id.map(function () { return null; });
    });
    engine.categories.forEach(function (key) {
      resCache[key] = R.min[key] || null;
      edgeCache[key] = D.edges.min[key] || null;
      Object.defineProperty(R.min, key, { enumerable: true, configurable: true,
        get: function () {
          if (!resCache[key]) {
            var minutes = engine.residenceMinutes(key);
            resCache[key] = toEngine.map(function (j) { return j < 0 ? null : round1(minutes[j]); });
          }
          return resCache[key];
        } });
      Object.defineProperty(D.edges.min, key, { enumerable: true, configurable: true,
        get: function () {
          if (!edgeCache[key] && edgeIndex) {
            var minutes = engine.edgeMinutes(key);
            edgeCache[key] = edgeIndex.map(function (e) { return round1(minutes[e]); });
          }
          return edgeCache[key];
        } });
    });
    var live = { engine: engine, mode: null, category: engine.categories[0], selected: null };
    app.live = live;
    var shown = [], addedMarkers = {};
    // The study's own facility markers, by id (drawn before this runs).
    var facilityMarkers = {};
    Object.keys(app.groups.facilities).forEach(function (key) {
      app.groups.facilities[key].eachLayer(function (m) {
        if (m.ycId !== undefined) { facilityMarkers[m.ycId] = { marker: m, key: key }; }
      });
    });
    var bufferM = engine.network.bufferM;

    // A line `bufferM` either side of a street at the map's scale: the width of the
    // isochrone polygons of isochrones.parquet.
    function widthPx() {
      var lat = map.getCenter().lat * Math.PI / 180;
      var metresPerPx = EARTH_M * Math.cos(lat) / (256 * Math.pow(2, map.getZoom()));
      return Math.max(2, 2 * bufferM / metresPerPx);
    }
    map.on("zoomend", function () {
      var w = widthPx();
      shown.forEach(function (layer) { if (layer.ycReach) { layer.setStyle({ weight: w }); } });
    });

    function routeCategory() { return app.state.category || live.category; }

    live.showResidence = function (i, box) {
      var group = app.groups.isochrones;
      group.clearLayers();
      shown = [];
      live.selected = i;
      if (i === null || toEngine[i] < 0) { return; }
      var id = engine.residenceIds[toEngine[i]];
      var reach = engine.reach(id);
      var w = widthPx();
      reach.levels.slice().reverse().forEach(function (level) {
        if (!level.lines.length) { return; }
        var color = Y.ISO_COLORS[level.minutes] || "#444444";
        var line = L.polyline(level.lines.map(latlngs), { pane: "yc-iso", color: color,
          weight: w, opacity: 0.35, lineCap: "round", lineJoin: "round", interactive: false });
        line.ycMinutes = level.minutes;
        line.ycReach = true;
        line.addTo(group);
        shown.push(line);
      });
      var key = routeCategory();
      var cat = app.catByKey[key];
      var route = engine.routeFrom(id, key);
      if (route) {
        var path = L.polyline(latlngs(route.lonlat), { pane: "yc-iso", color: ROUTE_COLOR,
          weight: 4, dashArray: "8 6", interactive: false });
        path.ycRoute = route;
        path.addTo(group);
        shown.push(path);
      }
      if (!map.hasLayer(group)) { group.addTo(map); }
      if (box) {
        var label = cat ? Y.catLabel(cat) : key;
        var text = route ? "步行路线(黑色虚线)到最近的" + (cat ? cat.zh : key) + ": "
          + route.minutes.toFixed(1) + " 分钟 · Walking route (black dashes) to the nearest "
          + (cat ? cat.en : key) + ": " + route.minutes.toFixed(1) + " min"
          : "步行不可达 " + label + " · no " + label + " reachable on foot";
        var note = el("div", text, "yc-note yc-route-note");
        note.id = "yc-route-note";
        box.appendChild(note);
      }
    };

    // After a what-if: the category's minutes, street colours and table row, then redraw.
    function refresh(key, table) {
      resCache[key] = null;
      edgeCache[key] = null;
      D.summary.forEach(function (s) {
        var row = table[s.key];
        if (!row) { return; }
        s.facilities = row.facilities;
        s.s5 = round3(row.share_pop_5min);
        s.s10 = round3(row.share_pop_10min);
        s.s15 = round3(row.share_pop_15min);
        s.median = row.median_min === null ? null : Math.round(row.median_min * 10) / 10;
        s.p90 = row.p90_min === null ? null : Math.round(row.p90_min * 10) / 10;
        s.unreachable = row.unreachable;
        s.changed = changedCategories()[s.key] === true;
      });
      app.emit("summary");
      app.emit("change");
      if (live.selected !== null) { live.showResidence(live.selected); }
      updatePanel();
      return table;
    }

    function changedCategories() {
      var out = {}, sc = engine.scenario();
      sc.added.concat(sc.removed).forEach(function (f) { out[f.category] = true; });
      return out;
    }

    function facilities() { return facilityMarkers; }

    function addedMarker(f) {
      var cat = app.catByKey[f.category] || { key: f.category, zh: f.category, en: f.category,
        color: "#777777" };
      var group = app.groups.facilities[f.category];
      var marker = L.circleMarker([f.lat, f.lon], { renderer: app.renderer, radius: 9,
        weight: 3, color: "#ffffff", dashArray: "3 2", fillColor: cat.color, fillOpacity: 1 });
      marker.ycId = f.id;
      marker.ycCategory = f.category;
      var box = el("div", null, "yc-popup");
      box.appendChild(el("b", "新增设施 Added facility " + f.id, "yc-name"));
      box.appendChild(el("div", "类别 Category: " + cat.zh + " / " + cat.en));
      box.appendChild(el("div", f.edge >= 0 ? "距街道 " + f.snapM.toFixed(1) + " 米 · "
        + f.snapM.toFixed(1) + " m from its street"
        : "离街道太远, 不服务任何居住点 · too far from any street: serves nobody", "yc-note"));
      marker.bindPopup(box, Y.popupOptions());
      marker.on("click", function () {
        if (live.mode === "remove") { marker.closePopup(); live.remove(f.id); }
      });
      if (group) { marker.addTo(group); } else { marker.addTo(map); }
      addedMarkers[f.id] = marker;
    }

    live.add = function (key, lon, lat) {
      var table = engine.addFacility(key, lon, lat);
      var sc = engine.scenario();
      addedMarker(sc.added[sc.added.length - 1]);
      return refresh(key, table);
    };
    live.remove = function (id) {
      id = String(id);
      var key = null;
      if (addedMarkers[id]) {
        key = engine.scenario().added.filter(function (f) { return f.id === id; })[0].category;
        var m = addedMarkers[id];
        m.remove();
        delete addedMarkers[id];
      } else {
        var item = facilities()[id];
        if (item) {
          key = item.key;
          item.marker.remove();
        }
      }
      var table = engine.removeFacility(id);
      if (key === null) {
        key = engine.scenario().removed.filter(function (f) { return f.id === id; })[0].category;
      }
      return refresh(key, table);
    };
    live.reset = function () {
      var touched = changedCategories();
      Object.keys(addedMarkers).forEach(function (id) { addedMarkers[id].remove(); });
      addedMarkers = {};
      var items = facilities();
      Object.keys(items).forEach(function (id) {
        var item = items[id];
        if (!app.groups.facilities[item.key].hasLayer(item.marker)) {
          item.marker.addTo(app.groups.facilities[item.key]);
        }
      });
      var table = engine.reset();
      var keys = Object.keys(touched);
      if (!keys.length) { updatePanel(); return table; }
      keys.forEach(function (key) { refresh(key, table); });
      return table;
    };

    // --- the what-if panel ---------------------------------------------------------------
    var status, download, buttons = {};
    function setMode(mode) {
      live.mode = live.mode === mode ? null : mode;
      map.getContainer().classList.toggle("yc-placing", live.mode === "add");
      Object.keys(buttons).forEach(function (k) {
        buttons[k].classList.toggle("yc-on", live.mode === k);
      });
      updatePanel();
    }
    function updatePanel() {
      if (!status) { return; }
      var sc = engine.scenario();
      var hint = live.mode === "add" ? "点击地图放置设施 · click the map to place the facility. "
        : (live.mode === "remove" ? "点击要移除的设施 · click the facility to remove. " : "");
      status.textContent = hint + "已新增 " + sc.added.length + " · 已移除 " + sc.removed.length
        + " · added " + sc.added.length + ", removed " + sc.removed.length;
      var csv = engine.scenarioCsv();
      download.href = "data:text/csv;charset=utf-8," + encodeURIComponent(csv);
      download.ycCsv = csv;
    }
    // Desktop: bottom right, clear of the other panels; phone: stacked with the bottom ones.
    var corner = Y.isPhone() ? "bottomleft" : "bottomright";
    var control = Y.panel(app, "yc-whatif", corner, "情景分析 What-if", !Y.isPhone(),
      function (body) {
      body.appendChild(el("div", "设施类别 Category:", "yc-label"));
      var chooser = el("button", "", "yc-chooser");
      chooser.type = "button";
      chooser.id = "yc-whatif-category";
      var list = el("div", null, "yc-choices");
      list.id = "yc-whatif-list";
      list.hidden = true;
      function label() {
        var c = app.catByKey[live.category];
        chooser.textContent = (c ? Y.catLabel(c) : live.category) + " ▾";
      }
      D.cats.forEach(function (c) {
        if (engine.categories.indexOf(c.key) < 0) { return; }
        var b = el("button", Y.catLabel(c), "yc-choice");
        b.type = "button";
        b.setAttribute("data-key", c.key);
        b.addEventListener("click", function () {
          list.hidden = true;
          live.category = c.key;
          label();
        });
        list.appendChild(b);
      });
      chooser.addEventListener("click", function () { list.hidden = !list.hidden; });
      label();
      body.appendChild(chooser);
      body.appendChild(list);
      var row = el("div", null, "yc-whatif-buttons");
      [["add", "新增设施 Add facility"], ["remove", "移除 Remove"]].forEach(function (b) {
        var button = el("button", b[1], "yc-step");
        button.type = "button";
        button.id = "yc-whatif-" + b[0];
        button.addEventListener("click", function () { setMode(b[0]); });
        buttons[b[0]] = button;
        row.appendChild(button);
      });
      var reset = el("button", "重置 Reset", "yc-step");
      reset.type = "button";
      reset.id = "yc-whatif-reset";
      reset.addEventListener("click", function () { setMode(null); live.mode = null; live.reset(); });
      row.appendChild(reset);
      body.appendChild(row);
      download = el("a", "下载情景 CSV · Download scenario CSV", "yc-download");
      download.id = "yc-whatif-download";
      download.download = "scenario.csv";
      body.appendChild(download);
      download.title = "yushu-circle plan --scenario scenario.csv 复算 · an official run";
      status = el("div", "", "yc-status");
      status.id = "yc-whatif-status";
      body.appendChild(status);
    });
    control.ycExclusive = true;
    updatePanel();

    map.on("click", function (e) {
      if (live.mode !== "add") { return; }
      live.add(live.category, e.latlng.lng, e.latlng.lat);
      setMode(null);
    });

    live.hooks = {
      minutesFrom: engine.minutesFrom,
      routeFrom: engine.routeFrom,
      reach: engine.reach,
      coverage: engine.coverage,
      scenarioCsv: engine.scenarioCsv,
      addFacility: function (key, lon, lat) { return live.add(key, lon, lat); },
      removeFacility: function (id) { return live.remove(id); },
      reset: function () { return live.reset(); },
      engine: engine
    };
    return live;
  };
})();
