// The coverage table: per category its level, facilities and the population's share within
// 5 / 10 / 15 minutes and median; a what-if's changed rows in bold; the map's notes.

import { panel } from "./panel.mjs";
import { NONE_MAPPED, UNREACHABLE } from "./popups.mjs";
import { catLabel, el, fmt, pct } from "./text.mjs";

// A row of the table; a missing median says why: no facility mapped, or none reached.
export function rowCells(c, s) {
  const median = s.median !== null && s.median !== undefined ? `${s.median} min`
    : !s.facilities ? NONE_MAPPED : UNREACHABLE;
  return [catLabel(c), `${c.level} min`, fmt(s.facilities), pct(s.s5), pct(s.s10), pct(s.s15), median];
}

export function addTable(app) {
  const D = app.data;
  const control = panel(app, "yc-summary", "bottomleft", "覆盖率汇总 Coverage summary", false, (body) => {
    body.appendChild(el("div", "人口占比 share of population within 5 / 10 / 15 min", "yc-note"));
    const wrap = el("div", null, "yc-table-wrap");
    const t = el("table", null, "yc-table");
    const head = el("tr");
    for (const h of ["类别 Category", "级别 level", "设施 count", "≤5", "≤10", "≤15", "中位 median"]) {
      head.appendChild(el("th", h));
    }
    t.appendChild(head);
    const rows = [];
    function fill(row, s) {
      row.textContent = "";
      for (const v of rowCells(app.catByKey[s.key], s)) row.appendChild(el("td", v));
      row.classList.toggle("yc-changed", Boolean(s.changed));
    }
    for (const s of D.summary) {
      const row = el("tr", null, "yc-row");
      row.ycKey = s.key;
      row.setAttribute("data-key", s.key);
      fill(row, s);
      row.addEventListener("click", () => app.setCategory(s.key));
      rows.push(row);
      t.appendChild(row);
    }
    // A what-if (whatif.mjs) rewrote D.summary: redraw the rows.
    app.on("summary", () => D.summary.forEach((s, k) => fill(rows[k], s)));
    wrap.appendChild(t);
    body.appendChild(wrap);
    if (D.data) body.appendChild(el("div", `数据 Data: ${D.data}`, "yc-note"));
    if (D.speed) body.appendChild(el("div", `步速 Walking speed: ${D.speed} km/h`, "yc-note"));
    if (D.iso.available) {
      body.appendChild(el("div", `等时圈已嵌入 Isochrones embedded: ${D.iso.embedded} / ${D.iso.total}`,
        "yc-note"));
    }
    for (const n of D.notes) body.appendChild(el("div", `注意 Note: ${n}`, "yc-note"));
    app.on("change", (s) => {
      for (const row of rows) row.classList.toggle("yc-selected", row.ycKey === s.category);
    });
  });
  control.ycExclusive = true;
  return control;
}
