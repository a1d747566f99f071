// yushu_circle planner map, layers (MIT): streets, overlays, residences, facilities, isochrones
// and their popups, drawn into the folium feature groups the page was built with.
(function () {
  "use strict";
  var Y = window.YushuMap;
  var el = Y.el;

  function drawStreets(app) {
    var D = app.data, g = app.groups;
    var lines = [];
    D.edges.coords.forEach(function (flat, i) {
      var pts = [];
      for (var k = 0; k + 1 < flat.length; k += 2) { pts.push([flat[k + 1], flat[k]]); }
      if (pts.length < 2) { return; }
      if (g.basemap) {
        L.polyline(pts, { pane: "yc-ground", color: "#c8c2b4", weight: 5, interactive: false })
          .addTo(g.basemap);
      }
      var line = L.polyline(pts, { pane: "yc-streets", color: Y.STREET_GREY, weight: 3,
        opacity: 0.9, interactive: false });
      line.ycIndex = i;
      lines.push(line);
      line.addTo(g.streets);
    });
    app.on("change", function (s) {
      var minutes = s.category ? D.edges.min[s.category] : null;
      lines.forEach(function (line) {
        line.setStyle({ color: minutes ? Y.minutesColor(minutes[line.ycIndex]) : Y.STREET_GREY });
      });
    });
    return lines;
  }

  function overlayColor(o, i) {
    if (!o.bins) { return o.color; }
    var bin = Y.binOf(o.values[i], o.bins.map(function (b) {
      return { max: b.max === null ? Infinity : b.max, color: b.color };
    }));
    return bin ? bin.color : Y.NONE_COLOR;
  }
  function overlayPopup(o, i) {
    var box = el("div", null, "yc-popup");
    box.appendChild(el("b", o.zh + " " + o.en, "yc-name"));
    var table = el("table");
    o.popup.labels.forEach(function (label, j) {
      var row = el("tr");
      row.appendChild(el("td", label));
      row.appendChild(el("td", Y.fmt(o.popup.values[j][i])));
      table.appendChild(row);
    });
    box.appendChild(table);
    return box;
  }
  function drawOverlays(app) {
    var clickable = [];
    app.overlayPoints = [];
    app.data.overlays.forEach(function (o, k) {
      var group = app.groups.overlays[k];
      var live = o.popup.labels.length > 0;
      var pane = o.ground ? "yc-ground" : "yc-streets";
      var common = live ? { renderer: app.renderer } : { pane: pane, interactive: false };
      o.geom.forEach(function (g, i) {
        var color = overlayColor(o, i), layer;
        if (g[0] === 0) {
          layer = L.circleMarker([g[2] / o.scale, g[1] / o.scale], L.extend({ radius: o.radius,
            weight: o.weight, color: o.bins ? o.color : color, fillColor: color,
            fillOpacity: o.fillOpacity }, common));
        } else if (g[0] === 1) {
          layer = L.polyline(g.slice(1).map(function (s) { return Y.decodeSteps(s, o.scale); }),
            L.extend({ color: color, weight: o.weight + 1 }, common));
        } else {
          layer = L.polygon(g.slice(1).map(function (rings) {
            return rings.map(function (s) { return Y.decodeSteps(s, o.scale); });
          }), L.extend({ color: o.bins ? o.color : color, fillColor: color, weight: o.weight,
            fillOpacity: o.fillOpacity }, common));
          if (live) { clickable.push(layer); }
        }
        if (live) { layer.bindPopup(overlayPopup(o, i), Y.popupOptions()); }
        if (live && g[0] === 0) { app.overlayPoints.push(layer); }
        layer.addTo(group);
      });
    });
    return clickable;
  }

  function residencePopup(app, i) {
    var D = app.data, R = D.res, s = app.state;
    var box = el("div", null, "yc-popup");
    box.appendChild(el("b", "居住点 Residence " + R.id[i], "yc-name"));
    box.appendChild(el("div", "人口 Population: " + Y.fmt(R.pop[i])));
    box.appendChild(el("div", "达标率 Score (categories within level): " + Y.pct(R.score[i])));
    var table = el("table");
    D.cats.forEach(function (c) {
      var row = el("tr", null, c.key === s.category ? "yc-selected" : "");
      row.appendChild(el("td", Y.catLabel(c)));
      var m = R.min[c.key][i];
      row.appendChild(el("td", m === null ? "不可达 unreachable" : m + " 分钟 min"));
      table.appendChild(row);
    });
    box.appendChild(table);
    var note;
    if (app.live) {
      note = "5 / 10 / 15 分钟可达街道在页面中计算 · 5/10/15-minute reach computed in the page "
        + "(深蓝 navy / 紫 purple / 青 teal).";
    } else if (!D.iso.available) {
      note = "本次未生成等时圈 Isochrones were not computed for this run.";
    } else if (D.iso.by[String(i)]) {
      note = "等时圈 Isochrones: 5 / 10 / 15 分钟 min (深蓝 navy / 紫 purple / 青 teal).";
    } else {
      note = "此居住点无预计算等时圈(文件大小限制 " + D.iso.embedded + " / " + D.iso.total
        + "), 见 isochrones.parquet · No precomputed isochrones for this residence (size cap: "
        + D.iso.embedded + " of " + D.iso.total + " embedded); see isochrones.parquet.";
    }
    box.appendChild(el("div", note, "yc-note yc-iso-note"));
    return box;
  }

  function showIsochrones(app, i) {
    var D = app.data, layer = app.groups.isochrones;
    layer.clearLayers();
    var sets = i === null ? null : D.iso.by[String(i)];
    if (!sets) { return 0; }
    sets.forEach(function (item) {
      var minutes = item[0];
      var latlngs = item[1].map(function (poly) {
        return poly.map(function (steps) { return Y.decodeSteps(steps, D.iso.scale); });
      });
      var color = Y.ISO_COLORS[minutes] || "#444444";
      var poly = L.polygon(latlngs, { pane: "yc-iso", color: color, weight: 2.5,
        fillColor: color, fillOpacity: 0.1, interactive: false });
      poly.ycMinutes = minutes;
      poly.addTo(layer);
    });
    if (!app.map.hasLayer(layer)) { layer.addTo(app.map); }
    return sets.length;
  }

  function drawResidences(app) {
    var R = app.data.res, markers = [];
    var radius = Y.isPhone() ? 5 : 4;
    for (var i = 0; i < R.lon.length; i++) {
      var marker = L.circleMarker([R.lat[i], R.lon[i]], { renderer: app.renderer,
        radius: radius, weight: 1, color: "#333", fillOpacity: 0.9 });
      marker.ycIndex = i;
      marker.on("click", onClick);
      markers.push(marker);
      marker.addTo(app.groups.residences);
    }
    function onClick(event) {
      // Placing a facility: the click belongs to the map (yushu_live.js).
      if (app.live && app.live.mode === "add") { return; }
      var i = event.target.ycIndex;
      var box = residencePopup(app, i);
      var popup = L.popup(Y.popupOptions()).setLatLng(event.target.getLatLng())
        .setContent(box);
      popup.ycResidence = i;
      app.state.selected = R.id[i];
      if (app.live) { app.live.showResidence(i, box); } else { showIsochrones(app, i); }
      popup.openOn(app.map);
      app.emit("select");
    }
    app.map.on("popupclose", function (e) {
      if (e.popup.ycResidence !== undefined && app.state.selected === R.id[e.popup.ycResidence]) {
        app.state.selected = null;
        showIsochrones(app, null);
        if (app.live) { app.live.showResidence(null); }
        app.emit("select");
      }
    });
    app.on("change", function (s) {
      var shown = 0, beyond = 0, beyondPop = 0;
      markers.forEach(function (marker, i) {
        var color, visible = true;
        if (s.category) {
          var m = R.min[s.category][i];
          color = Y.minutesColor(m);
          var far = m === null || m > s.threshold;
          if (far) { beyond += 1; beyondPop += R.pop[i] || 0; }
          visible = !s.onlyBeyond || far;
        } else {
          var bin = Y.binOf(R.score[i], Y.SCORE_BINS);
          color = bin ? bin.color : Y.NONE_COLOR;
        }
        // Hidden markers keep their place in the draw order and take no clicks.
        marker.options.interactive = visible;
        marker.setStyle({ fillColor: color, opacity: visible ? 1 : 0,
          fillOpacity: visible ? 0.9 : 0 });
        if (visible) { shown += 1; }
      });
      s.shown = shown;
      s.beyond = beyond;
      s.beyondPop = beyondPop;
    });
    return markers;
  }

  function facilityPopup(app, i, cat) {
    var F = app.data.fac;
    var box = el("div", null, "yc-popup");
    box.appendChild(el("b", F.name[i] || "（无名称 unnamed）", "yc-name"));
    box.appendChild(el("div", "类别 Category: " + cat.zh + " / " + cat.en));
    if (cat.level) {
      box.appendChild(el("div", "生活圈 Life circle: " + cat.level + " 分钟 min — 居民应在 "
        + cat.level + " 分钟内步行到达 residents should reach one within " + cat.level
        + " min on foot"));
    }
    if (F.source[i]) { box.appendChild(el("div", "来源 Source: " + F.source[i], "yc-note")); }
    return box;
  }
  function drawFacilities(app) {
    var F = app.data.fac, markers = [];
    var big = Y.isPhone() ? 9 : 8;
    for (var i = 0; i < F.lon.length; i++) {
      var cat = app.catByKey[F.cat[i]] || { key: F.cat[i], zh: F.cat[i], en: F.cat[i],
        level: null, color: "#777777" };
      var group = app.groups.facilities[cat.key];
      if (!group) { continue; }
      var marker = L.circleMarker([F.lat[i], F.lon[i]], { renderer: app.renderer, radius: 6,
        weight: 2, color: "#000", fillColor: cat.color, fillOpacity: 1 });
      marker.ycCategory = cat.key;
      marker.ycId = F.id[i];
      marker.bindPopup(facilityPopup(app, i, cat), Y.popupOptions());
      marker.on("click", onFacilityClick);
      marker.bindTooltip(el("span", F.name[i] || Y.catLabel(cat)), { direction: "top" });
      markers.push(marker);
      marker.addTo(group);
    }
    function onFacilityClick(event) {
      if (app.live && app.live.mode === "remove") {
        event.target.closePopup();
        app.live.remove(event.target.ycId);
      }
    }
    app.on("change", function (s) {
      markers.forEach(function (m) {
        var on = !s.category || m.ycCategory === s.category;
        var chosen = s.category && m.ycCategory === s.category;
        m.setStyle({ radius: chosen ? big : (on ? 6 : 4), weight: chosen ? 3 : 2,
          opacity: on ? 1 : 0.3, fillOpacity: on ? 1 : 0.25, color: chosen ? "#000" : "#222" });
        if (chosen) { m.bringToFront(); }
      });
    });
    return markers;
  }

  Y.drawLayers = function (app) {
    app.layers = {
      streets: drawStreets(app),
      overlays: drawOverlays(app),
      residences: drawResidences(app),
      facilities: drawFacilities(app)
    };
    app.showIsochrones = function (i) { return showIsochrones(app, i); };
    // An overlay's points (a plan's proposed sites, what-if residences) sit where a
    // residence or a facility may be: they are drawn on top, or the shared canvas hands
    // their clicks to the point underneath.
    function stack() {
      app.layers.overlays.forEach(function (l) { if (app.map.hasLayer(l)) { l.bringToBack(); } });
      app.layers.facilities.forEach(function (m) { if (app.map.hasLayer(m)) { m.bringToFront(); } });
      app.overlayPoints.forEach(function (m) { if (app.map.hasLayer(m)) { m.bringToFront(); } });
    }
    stack();
    // Keep clickable areas under the points after a layer is switched back on.
    app.map.on("overlayadd", stack);
  };
})();
