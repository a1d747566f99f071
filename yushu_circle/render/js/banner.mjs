// The red banner of synthetic data, across the top of the map (shown only for the demo).

import { el } from "./text.mjs";

export function addBanner(app) {
  if (!app.data.banner) return null;
  const div = el("div", app.data.banner, "yc-banner");
  div.id = "yc-banner";
  const container = app.map.getContainer();
  container.appendChild(div);
  container.style.setProperty("--yc-banner", `${div.offsetHeight}px`);
  container.classList.add("yc-has-banner");
  return div;
}
