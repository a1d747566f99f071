// The popups' contents: a residence (its people and why it counts them, its score, and per
// category the level, the minutes and ✓ / ✗ against that level) and a facility (name,
// category, life-circle level, source).

import { catLabel, el, fmt, pct } from "./text.mjs";

export const NONE_MAPPED = "本区无 none mapped here";
export const UNREACHABLE = "不可达 unreachable";

// Why a residence counts the people it does (a sample point, a spread total), or null.
export function peopleBasis(data, i) {
  const people = data.people;
  if (!people || !people.texts.length) return null;
  const code = Array.isArray(people.of) ? people.of[i] : people.of;
  return code === null || code === undefined ? null : people.texts[code];
}

// One category's row: [label, level, minutes, mark] with mark ✓ (within its level), ✗ or –.
export function categoryRow(cat, minutes, exact) {
  const level = `≤ ${cat.level} min`;
  if (!cat.count) return [catLabel(cat), level, NONE_MAPPED, "–"];
  if (minutes === null || minutes === undefined) return [catLabel(cat), level, UNREACHABLE, "✗"];
  const within = (exact === null || exact === undefined ? minutes : exact) <= cat.level;
  return [catLabel(cat), level, `${minutes} 分钟 min`, within ? "✓" : "✗"];
}

function round1(m) {
  return m === null ? null : Math.round(m * 10) / 10;
}

export function residencePopup(app, i) {
  const D = app.data;
  const R = D.res;
  const s = app.state;
  const box = el("div", null, "yc-popup");
  box.appendChild(el("b", `居住点 Residence ${R.id[i]}`, "yc-name"));
  // The route's note goes here, first (reach.mjs), before the long table.
  const slot = el("div", null, "yc-route-slot");
  box.appendChild(slot);
  box.appendChild(el("div", `人口 Population: ${fmt(R.pop[i])}`, "yc-people"));
  const basis = peopleBasis(D, i);
  if (basis) box.appendChild(el("div", basis, "yc-note yc-people-basis"));
  box.appendChild(el("div", `达标率 Score (categories within level): ${pct(R.score[i])}`));
  const table = el("table", null, "yc-minutes");
  const head = el("tr");
  for (const h of ["类别 Category", "级别 level", "步行 walk", "达标 met"]) head.appendChild(el("th", h));
  table.appendChild(head);
  // A city drawn from the engine: every category's minutes from one walk (engine.minutesOf),
  // not a search per category.
  const walked = app.city && app.live ? app.live.engine.minutesOf(R.id[i]) : null;
  for (const c of D.cats) {
    const row = el("tr", null, c.key === s.category ? "yc-selected" : "");
    row.setAttribute("data-key", c.key);
    const exact = walked && c.key in walked ? walked[c.key] : app.exactMinutes(c.key, i);
    const shown = walked && c.key in walked ? round1(exact) : R.min[c.key][i];
    const cells = categoryRow(c, shown, exact);
    cells.forEach((text, k) => {
      const cls = k < 3 ? "" : text === "✓" ? "yc-met" : text === "✗" ? "yc-unmet" : "";
      row.appendChild(el("td", text, cls));
    });
    table.appendChild(row);
  }
  box.appendChild(table);
  box.appendChild(el("div", isochroneNote(app, i), "yc-note yc-iso-note"));
  return box;
}

function isochroneNote(app, i) {
  const D = app.data;
  const seen = app.colors.reach.map((r) => `${r.minutes}`).join(" / ");
  if (app.live) {
    return `${seen} 分钟可达街道在页面中计算（颜色见图例），关闭弹窗后仍保留，点击地图空白处清除 · `
      + `${seen}-minute reach computed in the page (colours in the legend); it stays when the `
      + "popup closes, until you click the map.";
  }
  if (!D.iso.available) return "本次未生成等时圈 Isochrones were not computed for this run.";
  if (D.iso.by[String(i)]) return `等时圈 Isochrones: ${seen} 分钟 min（颜色见图例 colours in the legend）.`;
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
