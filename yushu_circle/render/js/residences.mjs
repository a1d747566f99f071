// The residences: one clickable point each, coloured by score or by walk minutes to the
// chosen category, the "only residences beyond N min" filter, and the click that opens a
// residence's popup with its reach (the engine's, or the precomputed isochrones). The reach
// and route stay when the popup closes (the popup covers part of them) until the next click
// on the map.

import { minutesColor, scoreColor } from "./classes.mjs";
import { showIsochrones } from "./isochrones.mjs";
import { residencePopup } from "./popups.mjs";
import { isPhone, popupOptions } from "./screen.mjs";

// Is residence i beyond the state's threshold? By the exact minutes (the engine's), so the
// count is Python's: 5.04 minutes is beyond 5 though its colour and popup say 5.0.
export function isBeyond(app, s, i) {
  const m = app.exactMinutes(s.category, i);
  return m === null || m === undefined || m > s.threshold;
}

// The filter's counts for a state: residences beyond the threshold and their people.
export function beyondCounts(app, s) {
  const R = app.data.res;
  let beyond = 0;
  let beyondPop = 0;
  if (!s.category) return { beyond, beyondPop };
  for (let i = 0; i < R.id.length; i++) {
    if (isBeyond(app, s, i)) {
      beyond += 1;
      beyondPop += R.pop[i] || 0;
    }
  }
  return { beyond, beyondPop };
}

export function clearReach(app) {
  showIsochrones(app, null);
  if (app.live) app.live.showResidence(null);
}

// Residence i's popup at `latlng`, with its reach (the engine's, or the precomputed
// isochrones); a marker's click, or a click on a city's residence canvas (citylayers.mjs).
export function openResidence(app, i, latlng) {
  const box = residencePopup(app, i);
  const popup = L.popup(popupOptions()).setLatLng(latlng).setContent(box);
  popup.ycResidence = i;
  app.state.selected = app.data.res.id[i];
  if (app.live) app.live.showResidence(i, box);
  else showIsochrones(app, i);
  popup.openOn(app.map);
  app.emit("select");
}

export function drawResidences(app) {
  const R = app.data.res;
  const markers = [];
  const radius = isPhone() ? 5 : 4;
  for (let i = 0; i < R.lon.length; i++) {
    const marker = L.circleMarker([R.lat[i], R.lon[i]], {
      renderer: app.renderer,
      radius,
      weight: 1,
      color: "#333",
      fillOpacity: 0.9,
    });
    marker.ycIndex = i;
    marker.on("click", onClick);
    markers.push(marker);
    marker.addTo(app.groups.residences);
  }
  function onClick(event) {
    // Placing a facility: the click belongs to the map (whatif.mjs).
    if (app.live && app.live.mode === "add") return;
    if (event.originalEvent) event.originalEvent.ycFeature = true; // not a click on the map
    openResidence(app, event.target.ycIndex, event.target.getLatLng());
  }
  app.map.on("popupclose", (e) => {
    if (e.popup.ycResidence !== undefined && app.state.selected === R.id[e.popup.ycResidence]) {
      app.state.selected = null;
      app.emit("select");
    }
  });
  // A click on the map itself (not on a feature, not placing a facility) clears the reach.
  app.map.on("click", (e) => {
    if ((e.originalEvent && e.originalEvent.ycFeature) || (app.live && app.live.mode)) return;
    clearReach(app);
  });
  app.on("change", (s) => {
    let shown = 0;
    const minutes = s.category ? R.min[s.category] : null;
    markers.forEach((marker, i) => {
      let color;
      let visible = true;
      if (minutes) {
        color = minutesColor(app.colors, app.exactMinutes(s.category, i));
        visible = !s.onlyBeyond || isBeyond(app, s, i);
      } else {
        color = scoreColor(app.colors, R.score[i]);
      }
      // Hidden markers keep their place in the draw order and take no clicks.
      marker.options.interactive = visible;
      marker.setStyle({ fillColor: color, opacity: visible ? 1 : 0, fillOpacity: visible ? 0.9 : 0 });
      if (visible) shown += 1;
    });
    const counts = beyondCounts(app, s);
    s.shown = shown;
    s.beyond = counts.beyond;
    s.beyondPop = counts.beyondPop;
  });
  return markers;
}
