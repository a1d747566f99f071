// The "View & filter" panel: title and subtitle, the category switcher (score view or walk
// minutes to one category), the "only residences beyond N min" filter (at the category's
// own level, off in the score view) and its count, and the places to jump to.

import { THRESHOLDS } from "./app.mjs";
import { dropdown } from "./dropdown.mjs";
import { placeButtons } from "./opening.mjs";
import { panel } from "./panel.mjs";
import { isPhone } from "./screen.mjs";
import { el } from "./text.mjs";

const SCORE_LABEL = "达标率 Score (all categories)";

function minutesLabel(c) {
  return `到${c.zh}的步行时间 Walk minutes to ${c.en}`;
}

// The status line under the filter (bilingual).
export function filterStatus(s, c) {
  if (!c) {
    return "按达标率着色 · Coloured by score: share of the standard's categories reached within "
      + "their level (选择类别后可筛选 pick a category to filter)";
  }
  const people = Math.round(s.beyondPop);
  return `${s.beyond} 个居住点(人口 ${people})在 ${s.threshold} 分钟内到不了${c.zh} · ${s.beyond} `
    + `residences (population ${people}) have no ${c.en} within ${s.threshold} min`;
}

export function addSwitcher(app) {
  L.control.zoom({ position: isPhone() ? "topright" : "topleft" }).addTo(app.map);
  const D = app.data;
  const control = panel(app, "yc-switcher", "topleft", "图层与筛选 View & filter", true, (body, div) => {
    const title = el("div", D.title, "yc-title");
    div.insertBefore(title, div.firstChild);
    if (D.subtitle) {
      const sub = el("div", D.subtitle, "yc-subtitle");
      sub.id = "yc-subtitle";
      div.insertBefore(sub, title.nextSibling);
    }
    const options = [{ key: "", label: SCORE_LABEL }].concat(
      D.cats.map((c) => ({ key: c.key, label: minutesLabel(c) })),
    );
    const { chooser, list } = dropdown("yc-category-button", "yc-category-list", options,
      (key) => app.setCategory(key || null));
    body.appendChild(el("div", "显示 Show:", "yc-label"));
    body.appendChild(chooser);
    body.appendChild(list);
    const row = el("div", null, "yc-filter");
    const box = el("input");
    box.type = "checkbox";
    box.id = "yc-only-beyond";
    const label = el("label", "只显示超过 Only residences beyond");
    label.htmlFor = "yc-only-beyond";
    row.appendChild(box);
    row.appendChild(label);
    const steps = el("span", null, "yc-steps");
    for (const t of THRESHOLDS) {
      const b = el("button", `${t} min`, "yc-step");
      b.type = "button";
      b.id = `yc-threshold-${t}`;
      b.addEventListener("click", () => app.setFilter(app.state.onlyBeyond, t));
      steps.appendChild(b);
    }
    row.appendChild(steps);
    body.appendChild(row);
    const status = el("div", "", "yc-status");
    status.id = "yc-status";
    body.appendChild(status);
    const places = placeButtons(app);
    if (places) body.appendChild(places);
    box.addEventListener("change", () => app.setFilter(box.checked));
    app.on("change", (s) => {
      const c = s.category ? app.catByKey[s.category] : null;
      chooser.textContent = `${c ? minutesLabel(c) : SCORE_LABEL} ▾`;
      box.checked = s.onlyBeyond;
      box.disabled = !c;
      // In the score view there is nothing to filter: no step is on, none can be pressed.
      for (const b of steps.children) {
        b.disabled = !c;
        b.classList.toggle("yc-on", Boolean(c) && b.id === `yc-threshold-${s.threshold}`);
      }
      for (const b of list.children) {
        b.classList.toggle("yc-on", b.getAttribute("data-key") === (s.category || ""));
      }
      status.textContent = filterStatus(s, c);
    });
  });
  control.ycExclusive = false;
  if (isPhone()) control.getContainer().classList.add("yc-phone");
  return control;
}
