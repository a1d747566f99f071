// What-if against a fresh engine: a facility added to a solved category extends its search
// (search.improve) — every residence's and street's minutes, routes and the coverage row
// must equal those of an engine built with that facility among the study's own (whose
// searches engine.test.mjs checks against Floyd–Warshall). A residence's minutes to every
// category from one walk (nearest.mjs) must equal the per-category searches.

import { test } from "node:test";
import assert from "node:assert/strict";

import { createEngine } from "../../yushu_circle/render/js/engine.mjs";
import { nearestOfEach } from "../../yushu_circle/render/js/nearest.mjs";
import { payload, randomGraph, rng } from "./graphs.mjs";

const KEYS = ["park", "clinic"];

function randomCity(seed) {
  const next = rng(seed);
  const { nodes, edges } = randomGraph(next, { minNodes: 20, extraNodes: 30, extent: 2000 });
  const on = () => ({ edge: Math.floor(next() * edges.length), frac: next(), access: next() * 2 });
  const residences = Array.from({ length: 30 }, (_, i) => ({ id: `r${i}`, ...on(), at: [0, 0] }));
  const facilities = KEYS.flatMap((category) =>
    Array.from({ length: 2 + Math.floor(next() * 3) }, (_, i) => ({ id: `${category}${i}`, category, ...on(), at: [0, 0] })));
  return { nodes, edges, residences, facilities, next };
}

const build = (c, facilities) =>
  createEngine(payload({ nodes: c.nodes, edges: c.edges, residences: c.residences, facilities, categories: KEYS }));

function sameMinutes(got, want, where) {
  assert.equal(got.length, want.length);
  for (let i = 0; i < got.length; i++) {
    if (Number.isNaN(want[i])) assert.ok(Number.isNaN(got[i]), `${where} ${i}: ${got[i]} vs unreachable`);
    else assert.ok(Math.abs(got[i] - want[i]) <= 1e-6, `${where} ${i}: ${got[i]} vs ${want[i]}`);
  }
}

function sameAs(engine, fresh, key, where) {
  sameMinutes(engine.residenceMinutes(key), fresh.residenceMinutes(key), `${where} residences`);
  sameMinutes(engine.edgeMinutes(key), fresh.edgeMinutes(key), `${where} streets`);
  const row = engine.coverage()[key];
  const want = fresh.coverage()[key];
  for (const column of Object.keys(want)) {
    if (typeof want[column] === "number") assert.ok(Math.abs(row[column] - want[column]) <= 1e-6, `${where} ${column}`);
    else assert.equal(row[column], want[column], `${where} ${column}`);
  }
  for (const id of engine.residenceIds) {
    const route = engine.routeFrom(id, key);
    const minutes = engine.minutesFrom(id, key);
    if (minutes === null) assert.equal(route, null);
    else assert.ok(Math.abs(route.minutes - minutes) <= 1e-9, `${where} route of ${id}`);
  }
}

// The study's own facilities with added ones in their place, as a fresh engine gets them.
function asOwn(c, engine) {
  const added = engine.scenario().added.map((f) => ({
    id: f.id,
    category: f.category,
    edge: f.edge,
    frac: f.frac,
    access: f.access,
    at: [0, 0],
  }));
  const gone = new Set(engine.scenario().removed.map((f) => f.id));
  return c.facilities.filter((f) => !gone.has(f.id)).concat(added);
}

test("added facilities extend the search: minutes, streets, routes and table of a fresh engine", () => {
  for (let seed = 1; seed <= 25; seed++) {
    const c = randomCity(seed);
    const engine = build(c, c.facilities);
    const net = engine.network;
    engine.residenceMinutes("park");
    engine.edgeMinutes("park");
    for (let k = 0; k < 3; k++) {
      const x = Math.floor(c.next() * net.nodeCount);
      engine.addFacility("park", net.nodeLon[x] + (c.next() - 0.5) * 1e-3, net.nodeLat[x] + (c.next() - 0.5) * 1e-3);
      const fresh = build(c, asOwn(c, engine));
      sameAs(engine, fresh, "park", `seed ${seed}, ${k + 1} added`);
      sameAs(engine, fresh, "clinic", `seed ${seed}, clinic untouched`);
    }
    // A category not solved before its first add: solved, then extended.
    engine.addFacility("clinic", net.nodeLon[0], net.nodeLat[0]);
    sameAs(engine, build(c, asOwn(c, engine)), "clinic", `seed ${seed}, clinic added`);
    // Removing one of the study's own after the adds, then a reset back to the study.
    engine.removeFacility(c.facilities[0].id);
    sameAs(engine, build(c, asOwn(c, engine)), "park", `seed ${seed}, removed`);
    engine.reset();
    sameAs(engine, build(c, c.facilities), "park", `seed ${seed}, reset`);
  }
});

test("a residence's minutes to every category from one walk equal the searches", () => {
  for (let seed = 30; seed <= 45; seed++) {
    const c = randomCity(seed);
    const engine = build(c, c.facilities);
    const walked = engine.residenceIds.map((id) => engine.minutesOf(id));
    for (const key of KEYS) {
      const minutes = Array.from(engine.residenceIds, (id) => engine.minutesFrom(id, key));
      walked.forEach((w, i) => {
        if (minutes[i] === null) assert.equal(w[key], null, `seed ${seed} ${key} r${i}`);
        else assert.ok(Math.abs(w[key] - minutes[i]) <= 1e-9, `seed ${seed} ${key} r${i}: ${w[key]} vs ${minutes[i]}`);
      });
    }
    // A point off the network reaches nothing.
    const off = nearestOfEach(engine.network, -1, 0, 0, [{ edge: 0, frac: 0.5, access: 0, category: 0 }], 2);
    assert.ok(Number.isNaN(off[0]) && Number.isNaN(off[1]));
    // A facility off the network serves nobody in the walk either.
    engine.addFacility("park", engine.network.nodeLon[0] + 1, engine.network.nodeLat[0]);
    assert.equal(engine.scenario().added[0].edge, -1);
    assert.deepEqual(engine.minutesOf("r0"), { park: engine.minutesFrom("r0", "park"), clinic: engine.minutesFrom("r0", "clinic") });
  }
});
