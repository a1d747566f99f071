// The popups' contents: a residence (its people, score and minutes to every category, and
// what its reach shows) and a facility (name, category, life-circle level, source).

import { catLabel, el, fmt, pct } from "./text.mjs";

export function residencePopup(app, i) {
  const D = app.data;
  const R = D.res;
  const s = app.state;
  const box = el("div", null, "yc-popup");
  box.appendChild(el("b", `居住点 Residence ${R.id[i]}`, "yc-name"));
  box.appendChild(el("div", `人口 Population: ${fmt(R.pop[i])}`));
  box.appendChild(el("div", `达标率 Score (categories within level): ${pct(R.score[i])}`));
  const table = el("table");
  for (const c of D.cats) {
    const row = el("tr", null, c.key === s.category ? "yc-selected" : "");
    row.appendChild(el("td", catLabel(c)));
    const m = R.min[c.key][i];
    row.appendChild(el("td", m === null ? "不可达 unreachable" : `${m} 分钟 min`));
    table.appendChild(row);
  }
  box.appendChild(table);
  box.appendChild(el("div", isochroneNote(app, i), "yc-note yc-iso-note"));
  return box;
}

function isochroneNote(app, i) {
  const D = app.data;
  if (app.live) {
    return "5 / 10 / 15 分钟可达街道在页面中计算 · 5/10/15-minute reach computed in the page "
      + "(深蓝 navy / 紫 purple / 青 teal).";
  }
  if (!D.iso.available) return "本次未生成等时圈 Isochrones were not computed for this run.";
  if (D.iso.by[String(i)]) {
    return "等时圈 Isochrones: 5 / 10 / 15 分钟 min (深蓝 navy / 紫 purple / 青 teal).";
  }
  return `此居住点无预计算等时圈(文件大小限制 ${D.iso.embedded} / ${D.iso.total}), 见 `
    + "isochrones.parquet · No precomputed isochrones for this residence (size cap: "
    + `${D.iso.embedded} of ${D.iso.total} embedded); see isochrones.parquet.`;
}

export function facilityPopup(app, i, cat) {
  const F = app.data.fac;
  const box = el("div", null, "yc-popup");
  box.appendChild(el("b", F.name[i] || "（无名称 unnamed）", "yc-name"));
  box.appendChild(el("div", `类别 Category: ${cat.zh} / ${cat.en}`));
  if (cat.level) {
    box.appendChild(el("div", `生活圈 Life circle: ${cat.level} 分钟 min — 居民应在 ${cat.level}`
      + ` 分钟内步行到达 residents should reach one within ${cat.level} min on foot`));
  }
  if (F.source[i]) box.appendChild(el("div", `来源 Source: ${F.source[i]}`, "yc-note"));
  return box;
}
