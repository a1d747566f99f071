// The legend: the residences' and streets' classes (minutes or score), the reach colours
// (as seen, one band over the other), the facilities per category with their counts (which
// follow a what-if), and every shown overlay's classes.

import { panel } from "./panel.mjs";
import { isPhone } from "./screen.mjs";
import { catLabel, el } from "./text.mjs";

// kind: 0 a dot, 1 a line, 3 a ring.
export function legendRow(color, text, kind) {
  const row = el("div", null, "yc-legend-row");
  const swatch = el("span", null, kind === 1 ? "yc-line" : kind === 3 ? "yc-ring" : "yc-swatch");
  if (kind === 3) swatch.style.borderColor = color;
  else swatch.style.background = color;
  row.appendChild(swatch);
  row.appendChild(el("span", text));
  return row;
}

export function drawLegend(app, body) {
  const D = app.data;
  const s = app.state;
  const colors = app.colors;
  body.textContent = "";
  if (s.category) {
    const c = app.catByKey[s.category];
    body.appendChild(el("div", `居住点与街道: 到${c.zh}的步行时间 · Residences and streets: `
      + `walk minutes to ${c.en}`, "yc-legend-title"));
    for (const b of colors.minutes) body.appendChild(legendRow(b.color, b.label));
    body.appendChild(legendRow(colors.none, "不可达 unreachable / off-network"));
  } else {
    body.appendChild(el("div", "居住点: 达标率 · Residences: score", "yc-legend-title"));
    for (const b of colors.score) body.appendChild(legendRow(b.color, b.label));
    body.appendChild(legendRow(colors.none, "无数据 no data"));
  }
  body.appendChild(el("div", "点击居住点的等时圈 · Isochrones of a clicked residence", "yc-legend-title"));
  for (const r of colors.reach) body.appendChild(legendRow(r.seen, `${r.minutes} 分钟 min`, 3));
  const title = s.category
    ? `设施(已选 ${app.catByKey[s.category].zh} 突出显示) · Facilities (chosen category highlighted)`
    : `设施 Facilities (${D.cats.reduce((sum, c) => sum + (c.count || 0), 0)})`;
  body.appendChild(el("div", title, "yc-legend-title"));
  for (const c of D.cats) {
    if (!c.count) continue;
    const row = legendRow(c.color, `${catLabel(c)} (${c.count})`);
    if (s.category && s.category !== c.key) row.classList.add("yc-dim");
    body.appendChild(row);
  }
  D.overlays.forEach((o, k) => {
    if (!app.map.hasLayer(app.groups.overlays[k])) return;
    if (!o.bins) {
      body.appendChild(legendRow(o.color, `${o.zh} ${o.en}`, o.kind === 1 ? 1 : 0));
      return;
    }
    body.appendChild(el("div", `${o.zh} · ${o.en}`, "yc-legend-title"));
    for (const b of o.bins) body.appendChild(legendRow(b.color, b.label));
  });
}

export function addLegend(app) {
  const phone = isPhone();
  let body;
  const control = panel(app, "yc-legend", phone ? "bottomleft" : "topright", "图例 Legend", !phone,
    (b) => {
      body = b;
    });
  control.ycExclusive = true;
  const draw = () => drawLegend(app, body);
  app.on("change", draw);
  app.map.on("overlayadd overlayremove", draw);
  return control;
}
