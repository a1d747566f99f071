// The study's facilities: one point per facility in its category's group, the chosen
// category picked out and the others dimmed; a click opens its popup, or in Remove mode
// removes it (no popup opens, so the map does not move and no panel folds).

import { facilityPopup } from "./popups.mjs";
import { isPhone, popupOptions } from "./screen.mjs";
import { catLabel, el } from "./text.mjs";

// A facility marker's click: remove it in Remove mode, else open `content` in a popup.
export function facilityClick(app, content) {
  return (event) => {
    if (event.originalEvent) event.originalEvent.ycFeature = true;
    const marker = event.target;
    if (app.live && app.live.mode === "remove") {
      app.live.remove(marker.ycId);
      return;
    }
    L.popup(popupOptions()).setLatLng(marker.getLatLng()).setContent(content).openOn(app.map);
  };
}

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
    marker.on("click", facilityClick(app, facilityPopup(app, i, cat)));
    marker.bindTooltip(el("span", F.name[i] || catLabel(cat)), { direction: "top" });
    markers.push(marker);
    marker.addTo(group);
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
