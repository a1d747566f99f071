// yushu_circle planner map, controls (MIT): collapsible panels (category switcher with the
// "only residences beyond N min" filter, legend, coverage table), the synthetic banner, and
// keeping popups clear of every control.
(function () {
  "use strict";
  var Y = window.YushuMap;
  var el = Y.el;

  // A Leaflet control with a header button that folds its body away.
  function panel(app, id, position, heading, open, build) {
    var Control = L.Control.extend({
      onAdd: function () {
        var div = el("div", null, "yc-panel leaflet-bar");
        div.id = id;
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        var head = el("button", null, "yc-panel-head");
        head.type = "button";
        head.id = id + "-toggle";
        var mark = el("span", "", "yc-fold");
        head.appendChild(mark);
        head.appendChild(el("span", heading));
        var body = el("div", null, "yc-panel-body");
        div.appendChild(head);
        div.appendChild(body);
        this.ycSetOpen = function (flag) {
          body.hidden = !flag;
          mark.textContent = flag ? "▾ " : "▸ ";
          head.setAttribute("aria-expanded", flag ? "true" : "false");
          div.classList.toggle("yc-open", flag);
        };
        var self = this;
        head.addEventListener("click", function () {
          var opening = body.hidden;
          if (opening && Y.isPhone()) {
            app.panels.forEach(function (p) {
              if (p !== self && p.ycExclusive && p.ycSetOpen) { p.ycSetOpen(false); }
            });
          }
          self.ycSetOpen(opening);
        });
        build(body, div);
        this.ycSetOpen(open);
        return div;
      }
    });
    var control = new Control({ position: position });
    control.addTo(app.map);
    app.panels.push(control);
    return control;
  }

  function switcher(app) {
    var D = app.data, phone = Y.isPhone();
    var control = panel(app, "yc-switcher", "topleft", "图层与筛选 View & filter", true,
      function (body, div) {
        var title = el("div", D.title, "yc-title");
        div.insertBefore(title, div.firstChild);
        if (D.subtitle) {
          var sub = el("div", D.subtitle, "yc-subtitle");
          sub.id = "yc-subtitle";
          div.insertBefore(sub, title.nextSibling);
        }
        var chooser = el("button", "", "yc-chooser");
        chooser.type = "button";
        chooser.id = "yc-category-button";
        var list = el("div", null, "yc-choices");
        list.id = "yc-category-list";
        list.hidden = true;
        var options = [{ key: "", label: "达标率 Score (all categories)" }].concat(
          D.cats.map(function (c) {
            return { key: c.key, label: "到" + c.zh + "的步行时间 Walk minutes to " + c.en };
          }));
        options.forEach(function (o) {
          var b = el("button", o.label, "yc-choice");
          b.type = "button";
          b.setAttribute("data-key", o.key);
          b.addEventListener("click", function () {
            list.hidden = true;
            app.setCategory(o.key || null);
          });
          list.appendChild(b);
        });
        chooser.addEventListener("click", function () { list.hidden = !list.hidden; });
        body.appendChild(el("div", "显示 Show:", "yc-label"));
        body.appendChild(chooser);
        body.appendChild(list);
        var row = el("div", null, "yc-filter");
        var box = el("input");
        box.type = "checkbox";
        box.id = "yc-only-beyond";
        var label = el("label", "只显示超过 Only residences beyond");
        label.htmlFor = "yc-only-beyond";
        row.appendChild(box);
        row.appendChild(label);
        var steps = el("span", null, "yc-steps");
        [5, 10, 15].forEach(function (t) {
          var b = el("button", t + " min", "yc-step");
          b.type = "button";
          b.id = "yc-threshold-" + t;
          b.addEventListener("click", function () { app.setFilter(app.state.onlyBeyond, t); });
          steps.appendChild(b);
        });
        row.appendChild(steps);
        body.appendChild(row);
        var status = el("div", "", "yc-status");
        status.id = "yc-status";
        body.appendChild(status);
        box.addEventListener("change", function () { app.setFilter(box.checked); });
        app.on("change", function (s) {
          var c = s.category ? app.catByKey[s.category] : null;
          chooser.textContent = (c ? "到" + c.zh + "的步行时间 Walk minutes to " + c.en
            : "达标率 Score (all categories)") + " ▾";
          box.checked = s.onlyBeyond;
          box.disabled = !c;
          Array.prototype.forEach.call(steps.children, function (b) {
            b.classList.toggle("yc-on", b.id === "yc-threshold-" + s.threshold);
          });
          Array.prototype.forEach.call(list.children, function (b) {
            b.classList.toggle("yc-on", b.getAttribute("data-key") === (s.category || ""));
          });
          if (c) {
            status.textContent = s.beyond + " 个居住点(人口 " + Math.round(s.beyondPop) + ")在 "
              + s.threshold + " 分钟内到不了" + c.zh + " · " + s.beyond + " residences (population "
              + Math.round(s.beyondPop) + ") have no " + c.en + " within " + s.threshold + " min";
          } else {
            status.textContent = "按达标率着色 · Coloured by score: share of the standard's "
              + "categories reached within their level (选择类别后可筛选 pick a category to filter)";
          }
        });
      });
    control.ycExclusive = false;
    if (phone) { control.getContainer().classList.add("yc-phone"); }
    return control;
  }

  function legendRow(color, text, kind) {
    var row = el("div", null, "yc-legend-row");
    var swatch = el("span", null, kind === 1 ? "yc-line" : (kind === 3 ? "yc-ring" : "yc-swatch"));
    if (kind === 3) { swatch.style.borderColor = color; } else { swatch.style.background = color; }
    row.appendChild(swatch);
    row.appendChild(el("span", text));
    return row;
  }
  function legend(app) {
    var D = app.data, phone = Y.isPhone(), body;
    var control = panel(app, "yc-legend", phone ? "bottomleft" : "topright", "图例 Legend",
      !phone, function (b) { body = b; });
    control.ycExclusive = true;
    function draw() {
      var s = app.state;
      body.textContent = "";
      if (s.category) {
        var c = app.catByKey[s.category];
        body.appendChild(el("div", "居住点与街道: 到" + c.zh + "的步行时间 · Residences and streets: "
          + "walk minutes to " + c.en, "yc-legend-title"));
        Y.MINUTE_BINS.forEach(function (b) { body.appendChild(legendRow(b.color, b.label)); });
        body.appendChild(legendRow(Y.NONE_COLOR, "不可达 unreachable / off-network"));
      } else {
        body.appendChild(el("div", "居住点: 达标率 · Residences: score", "yc-legend-title"));
        Y.SCORE_BINS.forEach(function (b) { body.appendChild(legendRow(b.color, b.label)); });
        body.appendChild(legendRow(Y.NONE_COLOR, "无数据 no data"));
      }
      body.appendChild(el("div", "点击居住点的等时圈 · Isochrones of a clicked residence",
        "yc-legend-title"));
      [5, 10, 15].forEach(function (m) {
        body.appendChild(legendRow(Y.ISO_COLORS[m], m + " 分钟 min", 3));
      });
      var title = s.category ? "设施(已选 " + app.catByKey[s.category].zh + " 突出显示) · "
        + "Facilities (chosen category highlighted)" : "设施 Facilities (" + D.fac.lon.length + ")";
      body.appendChild(el("div", title, "yc-legend-title"));
      D.cats.forEach(function (c) {
        if (!c.count) { return; }
        var row = legendRow(c.color, Y.catLabel(c) + " (" + c.count + ")");
        if (s.category && s.category !== c.key) { row.classList.add("yc-dim"); }
        body.appendChild(row);
      });
      D.overlays.forEach(function (o, k) {
        if (!app.map.hasLayer(app.groups.overlays[k])) { return; }
        if (!o.bins) {
          body.appendChild(legendRow(o.color, o.zh + " " + o.en, o.kind === 1 ? 1 : 0));
          return;
        }
        body.appendChild(el("div", o.zh + " · " + o.en, "yc-legend-title"));
        o.bins.forEach(function (b) { body.appendChild(legendRow(b.color, b.label)); });
      });
    }
    app.on("change", draw);
    app.map.on("overlayadd overlayremove", draw);
    return control;
  }

  function table(app) {
    var D = app.data;
    var control = panel(app, "yc-summary", "bottomleft",
      "覆盖率汇总 Coverage summary", false, function (body) {
        body.appendChild(el("div", "人口占比 share of population within 5 / 10 / 15 min", "yc-note"));
        var wrap = el("div", null, "yc-table-wrap");
        var t = el("table", null, "yc-table");
        var head = el("tr");
        ["类别 Category", "级别 level", "设施 count", "≤5", "≤10", "≤15", "中位 median"].forEach(
          function (h) { head.appendChild(el("th", h)); });
        t.appendChild(head);
        var rows = [];
        function fill(row, s) {
          var c = app.catByKey[s.key];
          row.textContent = "";
          [Y.catLabel(c), c.level + " min", Y.fmt(s.facilities), Y.pct(s.s5), Y.pct(s.s10),
            Y.pct(s.s15), s.median === null ? "–" : s.median + " min"].forEach(function (v) {
            row.appendChild(el("td", v));
          });
          row.classList.toggle("yc-changed", Boolean(s.changed));
        }
        D.summary.forEach(function (s) {
          var row = el("tr", null, "yc-row");
          row.ycKey = s.key;
          row.setAttribute("data-key", s.key);
          fill(row, s);
          row.addEventListener("click", function () { app.setCategory(s.key); });
          rows.push(row);
          t.appendChild(row);
        });
        // A what-if (yushu_live.js) rewrote D.summary: redraw the rows.
        app.on("summary", function () {
          D.summary.forEach(function (s, k) { fill(rows[k], s); });
        });
        wrap.appendChild(t);
        body.appendChild(wrap);
        if (D.data) { body.appendChild(el("div", "数据 Data: " + D.data, "yc-note")); }
        if (D.speed) {
          body.appendChild(el("div", "步速 Walking speed: " + D.speed + " km/h", "yc-note"));
        }
        if (D.iso.available) {
          body.appendChild(el("div", "等时圈已嵌入 Isochrones embedded: " + D.iso.embedded + " / "
            + D.iso.total, "yc-note"));
        }
        D.notes.forEach(function (n) { body.appendChild(el("div", "注意 Note: " + n, "yc-note")); });
        app.on("change", function (s) {
          rows.forEach(function (row) {
            row.classList.toggle("yc-selected", row.ycKey === s.category);
          });
        });
      });
    control.ycExclusive = true;
    return control;
  }

  function banner(app) {
    if (!app.data.banner) { return; }
    var div = el("div", app.data.banner, "yc-banner");
    div.id = "yc-banner";
    var container = app.map.getContainer();
    container.appendChild(div);
    container.style.setProperty("--yc-banner", div.offsetHeight + "px");
    container.classList.add("yc-has-banner");
  }

  function rect(node) { return node.getBoundingClientRect(); }
  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }
  // Pan the map (no animation) until the open popup lies inside the map and clear of every
  // control; on a phone, fold the panel it still meets.
  function keepPopupClear(app, popup) {
    var node = popup.getElement();
    if (!node) { return; }
    var pad = 8;
    for (var pass = 0; pass < 4; pass++) {
      var box = app.map.getContainer().getBoundingClientRect();
      var p = rect(node);
      var dx = 0, dy = 0;
      if (p.top < box.top + pad) { dy = box.top + pad - p.top; }
      else if (p.bottom > box.bottom - pad) { dy = box.bottom - pad - p.bottom; }
      if (p.left < box.left + pad) { dx = box.left + pad - p.left; }
      else if (p.right > box.right - pad) { dx = box.right - pad - p.right; }
      if (!dx && !dy) {
        var hit = Y.controlRects(app).filter(function (r) { return overlaps(p, r); })[0];
        if (!hit) { return; }
        var moves = [[0, hit.bottom + pad - p.top], [hit.right + pad - p.left, 0],
          [hit.left - pad - p.right, 0], [0, hit.top - pad - p.bottom]].filter(function (m) {
          return p.left + m[0] >= box.left && p.right + m[0] <= box.right
            && p.top + m[1] >= box.top && p.bottom + m[1] <= box.bottom;
        });
        if (!moves.length) { break; }
        moves.sort(function (a, b) {
          return Math.abs(a[0]) + Math.abs(a[1]) - Math.abs(b[0]) - Math.abs(b[1]);
        });
        dx = moves[0][0];
        dy = moves[0][1];
      }
      app.map.panBy([-dx, -dy], { animate: false });
    }
    var still = Y.controlRects(app, true).filter(function (r) { return overlaps(rect(node), r); });
    still.forEach(function (r) { if (r.panel && r.panel.ycSetOpen) { r.panel.ycSetOpen(false); } });
  }
  Y.controlRects = function (app, withPanels) {
    var out = [];
    var nodes = app.map.getContainer().querySelectorAll(".leaflet-control, .yc-banner");
    Array.prototype.forEach.call(nodes, function (n) {
      var r = rect(n);
      if (!r.width || !r.height || getComputedStyle(n).visibility === "hidden") { return; }
      var item = { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
      if (withPanels) {
        app.panels.forEach(function (p) { if (p.getContainer() === n) { item.panel = p; } });
      }
      out.push(item);
    });
    return out;
  };

  Y.panel = panel;
  Y.addBanner = banner;
  Y.addSwitcher = function (app) {
    L.control.zoom({ position: Y.isPhone() ? "topright" : "topleft" }).addTo(app.map);
    return switcher(app);
  };
  Y.addLegend = legend;
  Y.addTable = table;
  // While the layer list is open, fold (or, if still in its way, hide) the panels it meets;
  // they come back as they were when it closes.
  function watchLayerList(app) {
    var list = app.map.getContainer().querySelector(".leaflet-control-layers");
    if (!list || !window.MutationObserver) { return; }
    var saved = null;
    function update() {
      var open = list.classList.contains("leaflet-control-layers-expanded");
      if (open && !saved) {
        saved = app.panels.map(function (p) {
          var node = p.getContainer(), was = node.classList.contains("yc-open");
          if (was) { p.ycSetOpen(false); }
          return { panel: p, open: was };
        });
        saved.forEach(function (item) {
          var node = item.panel.getContainer();
          if (overlaps(rect(node), rect(list))) { node.classList.add("yc-hidden"); }
        });
      } else if (!open && saved) {
        saved.forEach(function (item) {
          item.panel.getContainer().classList.remove("yc-hidden");
          if (item.open) { item.panel.ycSetOpen(true); }
        });
        saved = null;
      }
    }
    new MutationObserver(update).observe(list, { attributes: true, attributeFilter: ["class"] });
  }

  Y.start = function (app) {
    app.map.on("popupopen", function (e) { keepPopupClear(app, e.popup); });
    watchLayerList(app);
    app.setCategory(app.data.initial);
    return Y.publish(app);
  };

  Y.popupOptions = function () {
    var phone = Y.isPhone();
    return { maxWidth: phone ? 260 : 340, minWidth: phone ? 200 : 240,
      maxHeight: phone ? 230 : 320, autoPan: false };
  };
})();
