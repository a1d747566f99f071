// A city drawn from the engine's arrays (citylayers.mjs) under node: the canvases' pixels
// read back where Leaflet puts each residence and street, their colours by the engine's
// minutes and after a what-if, the filter, and a click that finds the residence under it.

import { test } from "node:test";
import assert from "node:assert/strict";

import { minutesColor, scoreColor } from "../../yushu_circle/render/js/classes.mjs";
import { pixelOf, segment } from "../../yushu_circle/render/js/citylayers.mjs";
import { buildPage } from "./page.mjs";

const SCORES = [1000, 500, 65535, 0]; // thousandths; 65535: none

// A 2-D context that keeps the image put into it and accepts every other call (jsdom
// draws nothing; Leaflet's own canvas draws the facilities).
function capture(win) {
  win.HTMLCanvasElement.prototype.getContext = function getContext() {
    const canvas = this;
    const own = {
      createImageData: (w, h) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }),
      putImageData: (image) => {
        canvas.ycImage = image;
      },
    };
    return new Proxy(own, {
      get: (target, name) => (name in target ? target[name] : () => undefined),
      set: () => true,
    });
  };
}

function pixelAt(layer, x, y) {
  const image = layer._canvas.ycImage;
  return new Uint32Array(image.data.buffer)[Math.round(y) * image.width + Math.round(x)];
}

function cityPage() {
  const page = buildPage({ city: { score: Uint32Array.from(SCORES) }, prepare: capture });
  const { app, map } = page;
  map.setView([33.0, 97.0125], 17, { animate: false });
  app.city.ground.redraw();
  app.emit("change");
  return page;
}

const at = (app, i) => app.map.latLngToContainerPoint([app.data.res.lat[i], app.data.res.lon[i]]);

test("the residences are the engine's, drawn in their score and minutes colours", () => {
  const { app } = cityPage();
  const { city } = app;
  assert.deepEqual(app.data.res.id, ["r0", "r1", "r2", "r3"]);
  assert.deepEqual(app.data.res.score, [1, 0.5, null, 0]);
  for (let i = 0; i < 4; i++) {
    const p = at(app, i);
    assert.equal(pixelAt(city.homes, p.x, p.y), pixelOf(scoreColor(app.colors, app.data.res.score[i])), `r${i}`);
  }
  app.setCategory("kindergarten");
  const minutes = city.engine.residenceMinutes("kindergarten");
  for (let i = 0; i < 4; i++) {
    const p = at(app, i);
    assert.equal(pixelAt(city.homes, p.x, p.y), pixelOf(minutesColor(app.colors, minutes[i])), `r${i}`);
  }
  // A street's middle, in the colour of its minutes from there.
  const net = city.net;
  const streets = city.engine.edgeMinutes("kindergarten");
  for (let e = 0; e < net.edgeCount; e++) {
    const mid = app.map.latLngToContainerPoint([
      (net.nodeLat[net.edgeU[e]] + net.nodeLat[net.edgeV[e]]) / 2,
      (net.nodeLon[net.edgeU[e]] + net.nodeLon[net.edgeV[e]]) / 2,
    ]);
    const color = minutesColor(app.colors, Math.round(streets[e] * 10) / 10);
    assert.equal(pixelAt(city.streets, mid.x, mid.y), pixelOf(color), `edge ${e}`);
  }
});

test("the filter hides the residences within the threshold; the counts are the engine's", () => {
  const { app } = cityPage();
  app.setCategory("kindergarten");
  app.setFilter(true, 5);
  const minutes = app.city.engine.residenceMinutes("kindergarten");
  let beyond = 0;
  for (let i = 0; i < 4; i++) {
    const p = at(app, i);
    const hidden = minutes[i] <= 5;
    if (!hidden) beyond += 1;
    const color = pixelOf(minutesColor(app.colors, minutes[i]));
    assert.equal(pixelAt(app.city.homes, p.x, p.y) === color, !hidden, `r${i}`);
  }
  assert.equal(app.state.shown, beyond);
  assert.equal(app.state.beyond, beyond);
});

test("a click finds the residence under it and opens its popup with its reach", () => {
  const { app, map, doc } = cityPage();
  const p = at(app, 2);
  const event = { originalEvent: {} };
  map.fire("click", { ...event, containerPoint: p.add([2, 1]), latlng: map.containerPointToLatLng(p) });
  assert.equal(app.state.selected, "r2");
  assert.ok(event.originalEvent.ycFeature);
  assert.match(doc.querySelector(".leaflet-popup").textContent, /Residence r2/);
  assert.ok(app.groups.isochrones.getLayers().length > 0);
  // Far from every residence: no residence, and the click clears the reach.
  map.fire("click", { originalEvent: {}, containerPoint: p.add([0, 200]), latlng: map.containerPointToLatLng(p.add([0, 200])) });
  assert.equal(app.groups.isochrones.getLayers().length, 0);
});

test("a what-if recolours the residences it brings nearer", () => {
  const { app } = cityPage();
  app.setCategory("kindergarten");
  const before = Array.from(app.city.engine.residenceMinutes("kindergarten"));
  const r3 = at(app, 3);
  assert.notEqual(pixelAt(app.city.homes, r3.x, r3.y), pixelOf(minutesColor(app.colors, 0.5)));
  app.live.add("kindergarten", app.data.res.lon[3], app.data.res.lat[3] + 0.0001);
  const after = app.city.engine.residenceMinutes("kindergarten");
  assert.ok(after[3] < before[3] && after[3] <= 5);
  assert.equal(pixelAt(app.city.homes, r3.x, r3.y), pixelOf(minutesColor(app.colors, after[3])));
});

test("a segment's pixels: cut to the canvas, its brush as wide as asked", () => {
  const view = { width: 20, height: 10, pixels: new Uint32Array(200) };
  segment(view, -100, 5, 100, 5, 1, 7);
  assert.equal(view.pixels.filter((v) => v === 7).length, 20);
  view.pixels.fill(0);
  segment(view, 2, 2, 2, 2, 3, 9);
  assert.equal(view.pixels.filter((v) => v === 9).length, 9);
  view.pixels.fill(0);
  segment(view, 30, -5, 40, 50, 2, 1); // wholly outside
  assert.equal(view.pixels.filter((v) => v).length, 0);
});
