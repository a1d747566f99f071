// A foldable panel: a Leaflet control whose header button folds its body away. On a phone
// opening one "exclusive" panel folds the others, so one bottom panel shows at a time.

import { isPhone } from "./screen.mjs";
import { el } from "./text.mjs";

export function panel(app, id, position, heading, open, build) {
  const Control = L.Control.extend({
    onAdd() {
      const div = el("div", null, "yc-panel leaflet-bar");
      div.id = id;
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      const head = el("button", null, "yc-panel-head");
      head.type = "button";
      head.id = `${id}-toggle`;
      const mark = el("span", "", "yc-fold");
      head.appendChild(mark);
      head.appendChild(el("span", heading));
      const body = el("div", null, "yc-panel-body");
      div.appendChild(head);
      div.appendChild(body);
      this.ycSetOpen = (flag) => {
        body.hidden = !flag;
        mark.textContent = flag ? "▾ " : "▸ ";
        head.setAttribute("aria-expanded", flag ? "true" : "false");
        div.classList.toggle("yc-open", flag);
      };
      head.addEventListener("click", () => {
        const opening = body.hidden;
        if (opening && isPhone()) {
          for (const p of app.panels) {
            if (p !== this && p.ycExclusive && p.ycSetOpen) p.ycSetOpen(false);
          }
        }
        this.ycSetOpen(opening);
        app.emit("layout");
      });
      build(body, div);
      this.ycSetOpen(open);
      return div;
    },
  });
  const control = new Control({ position });
  control.addTo(app.map);
  app.panels.push(control);
  return control;
}
