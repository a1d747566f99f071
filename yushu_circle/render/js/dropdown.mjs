// A chooser: a button showing the current choice that unfolds a list of choices (the
// category switcher's, the What-if panel's); picking one folds the list again.

import { el } from "./text.mjs";

// options: [{key, label}]; onPick(key) after a choice. Returns {chooser, list}.
export function dropdown(id, listId, options, onPick) {
  const chooser = el("button", "", "yc-chooser");
  chooser.type = "button";
  chooser.id = id;
  const list = el("div", null, "yc-choices");
  list.id = listId;
  list.hidden = true;
  for (const o of options) {
    const b = el("button", o.label, "yc-choice");
    b.type = "button";
    b.setAttribute("data-key", o.key);
    b.addEventListener("click", () => {
      list.hidden = true;
      onPick(o.key);
    });
    list.appendChild(b);
  }
  chooser.addEventListener("click", () => {
    list.hidden = !list.hidden;
  });
  return { chooser, list };
}
