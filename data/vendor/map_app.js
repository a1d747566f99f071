// yushu_circle planner map (MIT). Every string from the data reaches the page through
// textContent or esc(); nothing from the data is parsed as HTML.
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("yc-data").textContent);
  var BINS = [
    { max: 5, color: "#1a9850", label: "≤ 5 分钟 min" },
    { max: 10, color: "#91cf60", label: "5–10 分钟 min" },
    { max: 15, color: "#fee08b", label: "10–15 分钟 min" },
    { max: 30, color: "#fc8d59", label: "15–30 分钟 min" },
    { max: Infinity, color: "#d73027", label: "> 30 分钟 min" }
  ];
  var NONE_COLOR = "#555555";
  var SCORE_BINS = [
    { max: 0.2, color: "#d73027", label: "0–20%" },
    { max: 0.4, color: "#fc8d59", label: "20–40%" },
    { max: 0.6, color: "#fee08b", label: "40–60%" },
    { max: 0.8, color: "#91cf60", label: "60–80%" },
    { max: Infinity, color: "#1a9850", label: "80–100%" }
  ];
  var STREET_GREY = "#9a9a9a";

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }
  function binOf(value, bins) {
    if (value === null || value === undefined) { return null; }
    for (var i = 0; i < bins.length; i++) { if (value <= bins[i].max) { return bins[i]; } }
    return null;
  }
  function minutesColor(value) {
    var bin = binOf(value, BINS);
    return bin ? bin.color : NONE_COLOR;
  }
  function pct(value) { return value === null || value === undefined ? "–" : Math.round(value * 100) + "%"; }
  function fmt(value) { return value === null || value === undefined ? "–" : String(value); }

  var cats = D.cats;
  var catByKey = {};
  cats.forEach(function (c) { catByKey[c.key] = c; });
  function catLabel(c) { return c.zh === c.en ? c.zh : c.zh + " " + c.en; }

  // --- banner and map ---------------------------------------------------------------------
  if (D.banner) {
    var banner = document.getElementById("yc-banner");
    banner.textContent = D.banner;
    banner.hidden = false;
  }
  var map = L.map("map", { preferCanvas: true, zoomControl: true });
  map.attributionControl.setPrefix("Leaflet (inlined)");
  map.attributionControl.addAttribution(D.synthetic ? "合成示例数据 synthetic demo"
    : "街道 streets © OpenStreetMap contributors");
  ["ground", "basemap", "overlays", "streets", "iso", "residences", "overlay-points",
    "facilities"].forEach(function (name, i) {
    var pane = map.createPane("yc-" + name);
    pane.style.zIndex = String(250 + 40 * i);
  });

  // --- streets: offline basemap and walk-minute colouring -------------------------------
  var edgeLatLngs = D.edges.coords.map(function (flat) {
    var pts = [];
    for (var i = 0; i + 1 < flat.length; i += 2) { pts.push([flat[i + 1], flat[i]]); }
    return pts;
  });
  var basemap = L.layerGroup();
  var streets = L.layerGroup();
  var streetLines = [];
  edgeLatLngs.forEach(function (pts) {
    if (pts.length < 2) { return; }
    L.polyline(pts, { pane: "yc-basemap", color: "#c8c2b4", weight: 5, interactive: false })
      .addTo(basemap);
  });
  edgeLatLngs.forEach(function (pts, i) {
    if (pts.length < 2) { return; }
    var line = L.polyline(pts, { pane: "yc-streets", color: STREET_GREY, weight: 3,
      opacity: 0.9, interactive: false });
    line.ycIndex = i;
    streetLines.push(line);
    line.addTo(streets);
  });

  // --- overlays: basemap water and buildings, planning layers -----------------------------
  var OV = D.overlays || [];
  function overlayColor(o, i) {
    if (!o.bins) { return o.color; }
    var bin = binOf(o.values[i], o.bins.map(function (b) {
      return { max: b.max === null ? Infinity : b.max, color: b.color };
    }));
    return bin ? bin.color : NONE_COLOR;
  }
  function decodeSteps(steps, scale) {
    var pts = [], x = 0, y = 0;
    for (var k = 0; k + 1 < steps.length; k += 2) {
      x += steps[k];
      y += steps[k + 1];
      pts.push([y / scale, x / scale]);
    }
    return pts;
  }
  function overlayPopup(o, i) {
    var box = el("div", null, "yc-popup");
    box.appendChild(el("b", o.zh + " " + o.en, "yc-name"));
    var table = el("table");
    o.popup.labels.forEach(function (label, j) {
      var row = el("tr");
      row.appendChild(el("td", label));
      row.appendChild(el("td", fmt(o.popup.values[j][i])));
      table.appendChild(row);
    });
    box.appendChild(table);
    return box;
  }
  var overlayLayers = OV.map(function (o) {
    var group = L.layerGroup();
    var clickable = o.popup.labels.length > 0;
    o.geom.forEach(function (g, i) {
      var color = overlayColor(o, i);
      var layer;
      if (g[0] === 0) {
        layer = L.circleMarker([g[2] / o.scale, g[1] / o.scale], { pane: "yc-overlay-points",
          radius: o.radius, weight: o.weight, color: o.bins ? o.color : color, fillColor: color,
          fillOpacity: o.fillOpacity, interactive: clickable });
      } else if (g[0] === 1) {
        layer = L.polyline(g.slice(1).map(function (s) { return decodeSteps(s, o.scale); }), {
          pane: o.ground ? "yc-ground" : "yc-overlays", color: color, weight: o.weight + 1,
          interactive: clickable });
      } else {
        var polys = g.slice(1).map(function (rings) {
          return rings.map(function (s) { return decodeSteps(s, o.scale); });
        });
        layer = L.polygon(polys, { pane: o.ground ? "yc-ground" : "yc-overlays",
          color: o.bins ? o.color : color, fillColor: color, weight: o.weight,
          fillOpacity: o.fillOpacity, interactive: clickable });
      }
      if (clickable) { layer.bindPopup(overlayPopup(o, i), { maxWidth: 380 }); }
      layer.addTo(group);
    });
    return group;
  });

  // --- residences -----------------------------------------------------------------------
  var R = D.res;
  var residences = L.layerGroup();
  var residenceMarkers = [];
  for (var r = 0; r < R.lon.length; r++) {
    var marker = L.circleMarker([R.lat[r], R.lon[r]], { pane: "yc-residences", radius: 4,
      weight: 1, color: "#333", fillOpacity: 0.9 });
    marker.ycIndex = r;
    marker.on("click", onResidenceClick);
    residenceMarkers.push(marker);
    marker.addTo(residences);
  }

  // --- facilities, one layer per category -----------------------------------------------
  var F = D.fac;
  var facilityLayers = {};
  cats.forEach(function (c) { facilityLayers[c.key] = L.layerGroup(); });
  for (var f = 0; f < F.lon.length; f++) {
    var cat = catByKey[F.cat[f]];
    if (!cat) {
      cat = { key: F.cat[f], zh: F.cat[f], en: F.cat[f], level: null, color: "#7f7f7f" };
      catByKey[cat.key] = cat;
      facilityLayers[cat.key] = L.layerGroup();
    }
    var fm = L.circleMarker([F.lat[f], F.lon[f]], { pane: "yc-facilities", radius: 7,
      weight: 2, color: "#000", fillColor: cat.color, fillOpacity: 1 });
    fm.bindPopup(facilityPopup(f, cat));
    fm.addTo(facilityLayers[cat.key]);
  }
  function facilityPopup(i, cat) {
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

  // --- isochrones of a clicked residence ------------------------------------------------
  var isoLayer = L.layerGroup();
  var ISO_STYLE = { 15: "#3182bd", 10: "#6baed6", 5: "#c6dbef" };
  function showIsochrones(i) {
    isoLayer.clearLayers();
    var sets = D.iso.by[String(i)];
    if (!sets) { return 0; }
    sets.forEach(function (item) {
      var minutes = item[0];
      var latlngs = item[1].map(function (poly) {
        return poly.map(function (steps) {
          var ring = [], x = 0, y = 0;
          for (var k = 0; k + 1 < steps.length; k += 2) {
            x += steps[k];
            y += steps[k + 1];
            ring.push([y / D.iso.scale, x / D.iso.scale]);
          }
          return ring;
        });
      });
      L.polygon(latlngs, { pane: "yc-iso", color: ISO_STYLE[minutes] || "#3182bd", weight: 1,
        fillOpacity: 0.25, interactive: false }).addTo(isoLayer);
    });
    if (!map.hasLayer(isoLayer)) { isoLayer.addTo(map); }
    return sets.length;
  }
  function residencePopup(i) {
    var box = el("div", null, "yc-popup");
    box.appendChild(el("b", "居住点 Residence " + R.id[i]));
    box.appendChild(el("div", "人口 Population: " + fmt(R.pop[i])));
    box.appendChild(el("div", "达标率 Score (categories within level): " + pct(R.score[i])));
    var table = el("table");
    cats.forEach(function (c) {
      var row = el("tr", null, c.key === state.category ? "yc-selected" : "");
      row.appendChild(el("td", catLabel(c)));
      var m = R.min[c.key][i];
      row.appendChild(el("td", m === null ? "不可达 unreachable" : m + " 分钟 min"));
      table.appendChild(row);
    });
    box.appendChild(table);
    var note;
    if (!D.iso.available) {
      note = "等时圈未生成 Isochrones were not computed for this run.";
    } else if (D.iso.by[String(i)]) {
      note = "蓝色: 5/10/15 分钟等时圈 Blue: 5/10/15-minute isochrones.";
    } else {
      note = "此居住点的等时圈未嵌入(文件大小限制), 见 isochrones.parquet. Isochrone not "
        + "embedded (size cap: " + D.iso.embedded + " of " + D.iso.total + "); see isochrones.parquet.";
    }
    box.appendChild(el("div", note, "yc-note"));
    return box;
  }
  function onResidenceClick(event) {
    var i = event.target.ycIndex;
    if (summaryDetails && window.innerWidth < 1600) { summaryDetails.open = false; }
    showIsochrones(i);
    event.target.bindPopup(residencePopup(i), { maxWidth: 380, maxHeight: 260 }).openPopup();
  }

  // --- colouring by the chosen category -------------------------------------------------
  var state = { category: null, threshold: 15, onlyMissing: false };
  function residenceValue(i) {
    return state.category ? R.min[state.category][i] : R.score[i];
  }
  function isMissing(i) {
    var m = R.min[state.category][i];
    return m === null || m > state.threshold;
  }
  function restyle() {
    var missing = 0, missingPop = 0;
    residenceMarkers.forEach(function (marker, i) {
      var color;
      if (state.category) {
        color = minutesColor(R.min[state.category][i]);
      } else {
        var bin = binOf(R.score[i], SCORE_BINS);
        color = bin ? bin.color : NONE_COLOR;
      }
      marker.setStyle({ fillColor: color });
      var show = true;
      if (state.category && isMissing(i)) { missing += 1; missingPop += R.pop[i] || 0; }
      if (state.category && state.onlyMissing) { show = isMissing(i); }
      if (show && !residences.hasLayer(marker)) { residences.addLayer(marker); }
      if (!show && residences.hasLayer(marker)) { residences.removeLayer(marker); }
    });
    var minutes = state.category ? D.edges.min[state.category] : null;
    streetLines.forEach(function (line) {
      var value = minutes ? minutes[line.ycIndex] : undefined;
      line.setStyle({ color: minutes ? minutesColor(value) : STREET_GREY });
    });
    status.textContent = "";
    if (state.category) {
      var c = catByKey[state.category];
      status.textContent = missing + " 个居住点(人口 " + Math.round(missingPop) + ")在 "
        + state.threshold + " 分钟内到不了" + c.zh + " · " + missing + " residences (population "
        + Math.round(missingPop) + ") have no " + c.en + " within " + state.threshold + " min";
    } else {
      status.textContent = "按达标率着色: 生活圈等级内可达的类别占比 · Coloured by score: "
        + "share of the standard's categories reached within their level";
    }
    drawLegend();
    summaryRows.forEach(function (row) {
      row.className = "yc-row" + (row.ycKey === state.category ? " yc-selected" : "");
    });
    api.state = { category: state.category, threshold: state.threshold,
      onlyMissing: state.onlyMissing, missing: missing, shown: residences.getLayers().length };
  }

  // --- controls -------------------------------------------------------------------------
  function boxControl(position, build) {
    var Control = L.Control.extend({
      onAdd: function () {
        var div = el("div", null, "yc-box leaflet-bar");
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        build(div);
        return div;
      }
    });
    return new Control({ position: position }).addTo(map);
  }
  var select, onlyBox, thresholdSelect, status, legend;
  var summaryRows = [];
  var legendFacilitiesOpen = false;
  var summaryDetails;
  boxControl("topleft", function (div) {
    div.id = "yc-switcher";
    div.appendChild(el("h3", D.title));
    var label = el("label", "显示 Show: ");
    select = el("select");
    select.id = "yc-category";
    var scoreOption = el("option", "达标率 Score (all categories)");
    scoreOption.value = "";
    select.appendChild(scoreOption);
    cats.forEach(function (c) {
      var option = el("option", "到" + c.zh + "的步行时间 Walk minutes to " + c.en);
      option.value = c.key;
      select.appendChild(option);
    });
    label.appendChild(select);
    div.appendChild(label);
    var row = el("div");
    onlyBox = el("input");
    onlyBox.type = "checkbox";
    onlyBox.id = "yc-only-missing";
    var onlyLabel = el("label", " 只显示超过 Only residences beyond ");
    onlyLabel.htmlFor = "yc-only-missing";
    thresholdSelect = el("select");
    thresholdSelect.id = "yc-threshold";
    [5, 10, 15].forEach(function (t) {
      var o = el("option", t + " 分钟 min");
      o.value = String(t);
      thresholdSelect.appendChild(o);
    });
    thresholdSelect.value = "15";
    row.appendChild(onlyBox);
    row.appendChild(onlyLabel);
    row.appendChild(thresholdSelect);
    div.appendChild(row);
    status = el("div", "", "yc-status");
    status.id = "yc-status";
    div.appendChild(status);
    select.addEventListener("change", function () { api.setCategory(select.value || null); });
    onlyBox.addEventListener("change", function () { api.setOnlyMissing(onlyBox.checked); });
    thresholdSelect.addEventListener("change", function () {
      state.threshold = Number(thresholdSelect.value);
      restyle();
    });
  });
  boxControl("bottomright", function (div) {
    div.id = "yc-legend";
    legend = div;
  });
  function legendRow(color, text, line) {
    var row = el("div", null, "yc-legend-row");
    var swatch = el("span", null, line ? "yc-line" : "yc-swatch");
    swatch.style.background = color;
    row.appendChild(swatch);
    row.appendChild(el("span", text));
    return row;
  }
  function drawLegend() {
    if (!legend) { return; }
    legend.textContent = "";
    legend.appendChild(el("h3", "图例 Legend"));
    if (state.category) {
      var c = catByKey[state.category];
      legend.appendChild(el("div", "居住点与街道: 到" + c.zh + "的步行时间 · Residences and streets: "
        + "walk minutes to " + c.en));
      BINS.forEach(function (b) { legend.appendChild(legendRow(b.color, b.label)); });
      legend.appendChild(legendRow(NONE_COLOR, "不可达 unreachable / off-network"));
    } else {
      legend.appendChild(el("div", "居住点: 达标率 · Residences: score"));
      SCORE_BINS.forEach(function (b) { legend.appendChild(legendRow(b.color, b.label)); });
      legend.appendChild(legendRow(NONE_COLOR, "无数据 no data"));
    }
    var facilities = el("details");
    facilities.open = legendFacilitiesOpen;
    facilities.addEventListener("toggle", function () { legendFacilitiesOpen = facilities.open; });
    facilities.appendChild(el("summary", "设施 Facilities (" + F.lon.length + ")"));
    Object.keys(facilityLayers).forEach(function (key) {
      var cat = catByKey[key];
      facilities.appendChild(legendRow(cat.color, catLabel(cat) + " ("
        + facilityLayers[key].getLayers().length + ")"));
    });
    legend.appendChild(facilities);
    OV.forEach(function (o, k) {
      if (!map.hasLayer(overlayLayers[k])) { return; }
      if (!o.bins) {
        legend.appendChild(legendRow(o.color, o.zh + " " + o.en, o.kind === 1));
        return;
      }
      legend.appendChild(el("div", o.zh + " · " + o.en, "yc-legend-title"));
      o.bins.forEach(function (b) { legend.appendChild(legendRow(b.color, b.label)); });
    });
  }
  boxControl("bottomleft", function (div) {
    div.id = "yc-summary";
    var details = el("details", null, "yc-summary");
    summaryDetails = details;
    details.open = window.innerWidth > 700 && window.innerHeight > 500;
    details.appendChild(el("summary", "覆盖率汇总 Coverage summary (人口占比 share of population)"));
    var table = el("table");
    var head = el("tr");
    ["类别 Category", "级别 level", "设施 count", "≤5", "≤10", "≤15", "中位 median"].forEach(
      function (h) { head.appendChild(el("th", h)); });
    table.appendChild(head);
    D.summary.forEach(function (s) {
      var c = catByKey[s.key];
      var row = el("tr", null, "yc-row");
      row.ycKey = s.key;
      [catLabel(c), c.level + " min", fmt(s.facilities), pct(s.s5), pct(s.s10), pct(s.s15),
        s.median === null ? "–" : s.median + " min"].forEach(function (v) {
        row.appendChild(el("td", v));
      });
      row.addEventListener("click", function () { api.setCategory(s.key); });
      summaryRows.push(row);
      table.appendChild(row);
    });
    details.appendChild(table);
    if (D.data) { details.appendChild(el("div", "数据 Data: " + D.data, "yc-note")); }
    if (D.speed) { details.appendChild(el("div", "步速 Walking speed: " + D.speed + " km/h", "yc-note")); }
    if (D.iso.available) {
      details.appendChild(el("div", "等时圈已嵌入 Isochrones embedded: " + D.iso.embedded + " / "
        + D.iso.total, "yc-note"));
    }
    D.notes.forEach(function (n) { details.appendChild(el("div", "注意 Note: " + n, "yc-note")); });
    div.appendChild(details);
  });

  // --- base layers and the layer switcher -----------------------------------------------
  var bases = {};
  bases[esc("离线底图(本研究街道) Offline basemap (study streets)")] = basemap;
  bases["OpenStreetMap"] = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19, attribution: "© OpenStreetMap contributors" });
  if (D.tianditu) {
    var tk = encodeURIComponent(D.tianditu);
    var wmts = "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
      + "&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
      + "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=" + tk;
    var tdt = { subdomains: "01234567", maxZoom: 18, attribution: "© 天地图 Tianditu" };
    bases[esc("天地图 Tianditu (CGCS2000 ≈ WGS-84)")] = L.layerGroup([
      L.tileLayer(wmts, L.extend({ layer: "vec" }, tdt)),
      L.tileLayer(wmts, L.extend({ layer: "cva" }, tdt))
    ]);
  }
  basemap.addTo(map);
  var overlays = {};
  overlays[esc("街道步行时间 Streets: walk minutes")] = streets;
  overlays[esc("居住点 Residences")] = residences;
  overlays[esc("等时圈 Isochrones (点击居住点 click a residence)")] = isoLayer;
  Object.keys(facilityLayers).forEach(function (key) {
    var c = catByKey[key];
    var name = "<span class='yc-swatch' style='background:" + esc(c.color) + "'></span> "
      + esc("设施 " + catLabel(c));
    overlays[name] = facilityLayers[key];
  });
  OV.forEach(function (o, k) {
    var name = "<span class='" + (o.kind === 1 ? "yc-line" : "yc-swatch") + "' style='background:"
      + esc(o.bins ? o.bins[o.bins.length - 1].color : o.color) + "'></span> "
      + esc(o.zh + " " + o.en + " (" + o.geom.length + ")");
    overlays[name] = overlayLayers[k];
    if (o.shown) { overlayLayers[k].addTo(map); }
  });
  streets.addTo(map);
  residences.addTo(map);
  isoLayer.addTo(map);
  Object.keys(facilityLayers).forEach(function (key) { facilityLayers[key].addTo(map); });
  var layerControl = L.control.layers(bases, overlays, {
    collapsed: true, position: "topright" }).addTo(map);
  map.on("overlayadd overlayremove", function () { drawLegend(); });

  var bounds = L.latLngBounds([]);
  residenceMarkers.forEach(function (m) { bounds.extend(m.getLatLng()); });
  edgeLatLngs.forEach(function (pts) { pts.forEach(function (p) { bounds.extend(p); }); });
  if (bounds.isValid()) { map.fitBounds(bounds, { padding: [10, 10] }); }
  else { map.setView([33.005, 97.01], 14); }
  L.control.scale({ imperial: false }).addTo(map);

  // --- the API tests and curious planners can call ---------------------------------------
  var api = {
    map: map,
    data: D,
    layers: { basemap: basemap, streets: streets, residences: residences, isochrones: isoLayer,
      facilities: facilityLayers, overlays: overlayLayers, control: layerControl },
    residenceMarkers: residenceMarkers,
    setCategory: function (key) {
      state.category = key && catByKey[key] ? key : null;
      select.value = state.category || "";
      restyle();
    },
    setOnlyMissing: function (flag) {
      state.onlyMissing = Boolean(flag);
      onlyBox.checked = state.onlyMissing;
      restyle();
      var shown = L.latLngBounds([]);
      residences.eachLayer(function (m) { shown.extend(m.getLatLng()); });
      if (state.onlyMissing && state.category && shown.isValid()) {
        summaryDetails.open = false;
        map.fitBounds(shown, { padding: [40, 40], maxZoom: 17 });
      }
    },
    showIsochrones: showIsochrones,
    openResidence: function (i) { residenceMarkers[i].fire("click"); }
  };
  window.yushuMap = api;
  api.setCategory(D.initial);
  window.yushuMapReady = true;
})();
