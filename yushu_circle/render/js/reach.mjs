// A clicked residence's 5/10/15-minute reach (the reached streets, 2 × bufferM wide at the
// map's scale) and its walking route to the nearest facility, with the popup's route note
// (first in the popup). Both stay when the popup closes, until the next click on the map.

import { reachColor } from "./classes.mjs";
import { catLabel, el } from "./text.mjs";

const EARTH_M = 40075016.686; // Web-Mercator circumference: metres per 256 px at zoom 0

export function latlngs(lonlat) {
  return lonlat.map((p) => [p[1], p[0]]);
}

// Pixels of a line `bufferM` either side of a street at this latitude and zoom: the width of
// the isochrone polygons of isochrones.parquet.
export function bandPixels(bufferM, lat, zoom) {
  const metresPerPx = (EARTH_M * Math.cos((lat * Math.PI) / 180)) / (256 * 2 ** zoom);
  return Math.max(2, (2 * bufferM) / metresPerPx);
}

// The route note of the popup (bilingual); `scoreView`: the route's category is the
// What-if panel's, and the note says so.
export function routeNote(route, cat, key, scoreView = false) {
  const label = cat ? catLabel(cat) : key;
  const why = scoreView
    ? "（评分视图：路线去往情景分析面板所选类别；在“显示”中选择类别可改） · in the score view "
      + "the route goes to the What-if panel's category (pick a category under Show to change it)"
    : "";
  if (!route) return `步行不可达 ${label} · no ${label} reachable on foot${why ? ` ${why}` : ""}`;
  const m = route.minutes.toFixed(1);
  return `步行路线(黑色虚线)到最近的${cat ? cat.zh : key}: ${m} 分钟 · Walking route (black dashes) `
    + `to the nearest ${cat ? cat.en : key}: ${m} min${why ? ` ${why}` : ""}`;
}

// The function that shows residence i's reach and route (null clears them).
export function drawReach(app, live, toEngine) {
  const { map } = app;
  const engine = live.engine;
  const bufferM = engine.network.bufferM;
  let shown = [];
  const width = () => bandPixels(bufferM, map.getCenter().lat, map.getZoom());
  map.on("zoomend", () => {
    const w = width();
    for (const layer of shown) if (layer.ycReach) layer.setStyle({ weight: w });
  });
  return function showResidence(i, box) {
    const group = app.groups.isochrones;
    group.clearLayers();
    shown = [];
    live.selected = i;
    if (i === null || toEngine[i] < 0) return;
    const id = engine.residenceIds[toEngine[i]];
    const w = width();
    for (const level of engine.reach(id).levels.slice().reverse()) {
      if (!level.lines.length) continue;
      const line = L.polyline(level.lines.map(latlngs), {
        pane: "yc-iso",
        color: reachColor(app.colors, level.minutes),
        weight: w,
        opacity: app.colors.reachOpacity,
        lineCap: "round",
        lineJoin: "round",
        interactive: false,
      });
      line.ycMinutes = level.minutes;
      line.ycReach = true;
      line.addTo(group);
      shown.push(line);
    }
    const key = app.state.category || live.category;
    const route = engine.routeFrom(id, key);
    if (route) {
      const path = L.polyline(latlngs(route.lonlat), {
        pane: "yc-iso",
        color: app.colors.route,
        weight: 4,
        dashArray: "8 6",
        interactive: false,
      });
      path.ycRoute = route;
      path.addTo(group);
      shown.push(path);
    }
    if (!map.hasLayer(group)) group.addTo(map);
    if (box) {
      const text = routeNote(route, app.catByKey[key], key, !app.state.category);
      const note = el("div", text, "yc-note yc-route-note");
      note.id = "yc-route-note";
      (box.querySelector(".yc-route-slot") || box).appendChild(note);
    }
  };
}
