// A real DOM for the page's modules under node: jsdom (Debian's node-jsdom, or an npm
// install) with the vendored Leaflet run inside it, exposed as the browser globals the
// modules use (window, document, L, …). jsdom draws nothing: a canvas's 2-D context is a
// sink that accepts every call, and the map's container is given a size. Pixels, real
// clicks and layout are the browser tests' (tests/test_map_browser.py).

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const REPO = new URL("../../", import.meta.url);
const DEBIAN_NODE_PATH = ["/usr/share/nodejs", "/usr/lib/nodejs"];

function loadJsdom() {
  const require = createRequire(import.meta.url);
  try {
    return require("jsdom");
  } catch {
    // Debian's node-jsdom lives outside this node's search path (e.g. NodeSource's node).
    const Module = require("node:module");
    process.env.NODE_PATH = [process.env.NODE_PATH, ...DEBIAN_NODE_PATH].filter(Boolean).join(":");
    Module._initPaths();
    try {
      return require("jsdom");
    } catch {
      throw new Error("jsdom is not installed: apt-get install node-jsdom (or npm install jsdom)");
    }
  }
}

const sink = () =>
  new Proxy(
    {},
    {
      get: (target, name) => (name in target ? target[name] : () => undefined),
      set: (target, name, value) => {
        target[name] = value;
        return true;
      },
    },
  );

// A fresh page of `width` × `height` with Leaflet loaded; sets the globals and returns the
// window. `html` is the body's markup.
export function openPage({ width = 1280, height = 757, html = "" } = {}) {
  const { JSDOM } = loadJsdom();
  const dom = new JSDOM(`<!doctype html><html><body>${html}</body></html>`, {
    runScripts: "outside-only",
    pretendToBeVisual: true,
  });
  const win = dom.window;
  win.HTMLCanvasElement.prototype.getContext = () => sink();
  Object.defineProperty(win, "innerWidth", { value: width, configurable: true });
  Object.defineProperty(win, "innerHeight", { value: height, configurable: true });
  win.eval(readFileSync(new URL("data/vendor/leaflet.js", REPO), "utf8"));
  for (const name of ["window", "document", "L", "getComputedStyle", "MutationObserver", "atob", "btoa"]) {
    globalThis[name] = name === "window" ? win : win[name];
  }
  return win;
}

// A Leaflet map in a sized container, with folium's kind of layer groups for the app.
export function leafletMap(win, categories = [], overlays = 0) {
  const div = win.document.createElement("div");
  div.className = "folium-map";
  for (const [name, value] of [["clientWidth", win.innerWidth], ["clientHeight", win.innerHeight]]) {
    Object.defineProperty(div, name, { value, configurable: true });
  }
  win.document.body.appendChild(div);
  const L = win.L;
  const map = L.map(div, { zoomControl: false, preferCanvas: true }).setView([33.0, 97.01], 15);
  const group = () => L.featureGroup().addTo(map);
  const groups = {
    basemap: group(),
    streets: group(),
    residences: group(),
    isochrones: group(),
    facilities: Object.fromEntries(categories.map((key) => [key, group()])),
    overlays: Array.from({ length: overlays }, group),
  };
  return { map, groups };
}

// The text of every node matching `css` under `root`.
export function texts(root, css) {
  return Array.from(root.querySelectorAll(css), (n) => n.textContent);
}
