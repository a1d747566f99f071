// The study's facilities: one point per facility in its category's group, the chosen
// category picked out and the others dimmed; in Remove mode a click removes one.

import { facilityPopup } from "./popups.mjs";
import { isPhone, popupOptions } from "./screen.mjs";
import { catLabel, el } from "./text.mjs";

export function drawFacilities(app) {
  const F = app.data.fac;
  const markers = [];
  const big = isPhone() ? 9 : 8;
  for (let i = 0; i < F.lon.length; i++) {
    const cat = app.catByKey[F.cat[i]]
      || { key: F.cat[i], zh: F.cat[i], en: F.cat[i], level: null, color: "#777777" };
    const group = app.groups.facilities[cat.key];
    if (!group) continue;
    const marker = L.circleMarker([F.lat[i], F.lon[i]], {
      renderer: app.renderer,
      radius: 6,
      weight: 2,
      color: "#000",
      fillColor: cat.color,
      fillOpacity: 1,
    });
    marker.ycCategory = cat.key;
    marker.ycId = F.id[i];
    marker.bindPopup(facilityPopup(app, i, cat), popupOptions());
    marker.on("click", onClick);
    marker.bindTooltip(el("span", F.name[i] || catLabel(cat)), { direction: "top" });
    markers.push(marker);
    marker.addTo(group);
  }
  function onClick(event) {
    if (app.live && app.live.mode === "remove") {
      event.target.closePopup();
      app.live.remove(event.target.ycId);
    }
  }
  app.on("change", (s) => {
    for (const m of markers) {
      const on = !s.category || m.ycCategory === s.category;
      const chosen = s.category && m.ycCategory === s.category;
      m.setStyle({
        radius: chosen ? big : on ? 6 : 4,
        weight: chosen ? 3 : 2,
        opacity: on ? 1 : 0.3,
        fillOpacity: on ? 1 : 0.25,
        color: chosen ? "#000" : "#222",
      });
      if (chosen) m.bringToFront();
    }
  });
  return markers;
}
