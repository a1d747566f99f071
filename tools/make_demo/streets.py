"""The synthetic town's river and streets: grids, main roads, bridges, bypass, steps, paths."""

from __future__ import annotations

import itertools
import math
from collections import deque

import numpy as np

from .frame import (
    BRIDGES,
    HALF_W,
    NORTH_ROWS,
    ROAD_HALF_WIDTH,
    SOUTH_ROWS,
    Point,
    bank_xy,
    demo_name,
    named,
    polyline_length,
    river_half_width,
    river_y,
    road_y,
    vmax_north,
)
from .state import Facility, Frontage, Grid, TownState


class Streets(TownState):
    """The river, the street grids, main roads, bridges, the bypass, steps and footpaths."""

    # ----------------------------------------------------------------- river

    def build_river(self) -> None:
        """Add the river: a ``waterway=river`` line, its water area and a waterway relation."""
        xs = np.arange(-HALF_W, HALF_W + 0.1, 20.0)
        yc = river_y(xs)
        hw = river_half_width(xs)
        name = demo_name("河", "River")
        line = [self.osm.node(x, y) for x, y in zip(xs, yc, strict=True)]
        self.river_way = self.osm.way(line, named(name, {"waterway": "river"}))
        outline = np.concatenate(
            [np.stack([xs, yc + hw], axis=1), np.stack([xs, yc - hw], axis=1)[::-1]]
        )
        self.osm.polygon(outline, named(name, {"natural": "water", "water": "river"}))
        self.osm.relation(
            [("way", self.river_way, "main_stream")],
            named(name, {"type": "waterway", "waterway": "river"}),
        )
        self.mask.mark(outline, buffer=6.0)
        self.river_outline = outline

    # ----------------------------------------------------------------- grids

    def build_grids(self) -> None:
        """Lay out the street grids of the north bank and the two south-bank clusters."""
        rng = self.rng
        us: list[float] = []
        u = -1180.0
        while u <= 1180.0:
            us.append(u)
            u += float(rng.uniform(115.0, 155.0))
        north = Grid("N", us, NORTH_ROWS)
        for i, u in enumerate(us):
            top = vmax_north(u) + float(rng.uniform(-60.0, 30.0))
            for j, v in enumerate(NORTH_ROWS):
                if v <= top:
                    north.uv[(i, j)] = self._jitter(u, v, j)
        self.grids.append(north)
        for u0, u1, step in ((-1110.0, -700.0, 105.0), (110.0, 900.0, 130.0)):
            cols = [float(c) for c in np.arange(u0, u1 + 1.0, step)]
            cols = [c + (float(rng.uniform(-15.0, 15.0)) if k else 0.0) for k, c in enumerate(cols)]
            grid = Grid("S", cols, SOUTH_ROWS)
            for i, u in enumerate(cols):
                top = 380.0 - (95.0 if rng.random() < 0.3 else 0.0)
                for j, v in enumerate(SOUTH_ROWS):
                    if v <= top:
                        grid.uv[(i, j)] = self._jitter(u, v, j)
            self.grids.append(grid)
        for grid in self.grids:
            self._prune(grid)

    def _jitter(self, u: float, v: float, j: int) -> Point:
        """Return a grid node's (u, v), jittered except on the main road.

        Parameters
        ----------
        u, v : float
            Regular grid position.
        j : int
            Row index (0 is the main road).

        Returns
        -------
        tuple of float
            The node's (u, v).
        """
        if j == 0:
            return u, v
        return u + float(self.rng.uniform(-12.0, 12.0)), v + float(self.rng.uniform(-10.0, 10.0))

    def _prune(self, grid: Grid) -> None:
        """Drop random grid edges (irregular blocks, dead ends) while staying connected.

        Parameters
        ----------
        grid : Grid
            The grid to prune in place.
        """
        edges: list[tuple[tuple[int, int], tuple[int, int]]] = []
        for i, j in sorted(grid.uv):
            if (i, j + 1) in grid.uv:
                edges.append(((i, j), (i, j + 1)))
            if j >= 1 and (i + 1, j) in grid.uv:
                edges.append(((i, j), (i + 1, j)))
        order = self.rng.permutation(len(edges))
        kept = set(range(len(edges)))
        for k in order:
            (i, j), (i2, _) = edges[k]
            p = (0.2 if j == 0 else 0.12) if i == i2 else 0.25
            if self.rng.random() >= p:
                continue
            kept.discard(int(k))
            if not self._connected(grid, [edges[e] for e in sorted(kept)]):
                kept.add(int(k))
        grid.edges = [edges[e] for e in sorted(kept)]

    @staticmethod
    def _connected(grid: Grid, edges: list[tuple[tuple[int, int], tuple[int, int]]]) -> bool:
        """Return whether every grid node reaches the main road over ``edges``.

        Parameters
        ----------
        grid : Grid
            The grid (its row-0 nodes are joined by the main road).
        edges : list
            Candidate edges.

        Returns
        -------
        bool
            True when the grid plus its main road is one component.
        """
        adj: dict[tuple[int, int], list[tuple[int, int]]] = {k: [] for k in grid.uv}
        for a, b in edges:
            adj[a].append(b)
            adj[b].append(a)
        road = sorted(k for k in grid.uv if k[1] == 0)
        for a, b in itertools.pairwise(road):
            adj[a].append(b)
            adj[b].append(a)
        seen = {road[0]}
        queue = deque([road[0]])
        while queue:
            for nb in adj[queue.popleft()]:
                if nb not in seen:
                    seen.add(nb)
                    queue.append(nb)
        return len(seen) == len(grid.uv)

    # ----------------------------------------------------------------- main roads

    def build_main_roads(self) -> None:
        """Add the north primary road and the south secondary road with their junctions."""
        specials: dict[str, list[float]] = {"N": [], "S": []}
        for grid in self.grids:
            specials[grid.bank].extend(grid.uv[k][0] for k in grid.uv if k[1] == 0)
        for xn, xs, kind in BRIDGES:
            snapped = (self._snap(specials["N"], xn), self._snap(specials["S"], xs), kind)
            specials["N"].append(snapped[0])
            specials["S"].append(snapped[1])
            self.bridge_x.append(snapped)
        specials["N"] += [1200.0, -535.0, -150.0]  # trunk junction, promenade ends
        specials["S"] += [-1200.0, 1150.0]  # trunk link, trunk junction (road's east end)
        spans = {"N": (-HALF_W, HALF_W), "S": (-HALF_W, 1150.0)}
        for bank in ("N", "S"):
            x0, x1 = spans[bank]
            special = sorted(set(specials[bank]))
            regular = [
                float(x)
                for x in np.arange(x0, x1 + 0.1, 20.0)
                if min(abs(x - s) for s in special) > 7.0
            ]
            stations = sorted(set(regular) | set(special))
            ids: dict[float, int] = {}
            for x in stations:
                ids[x] = self.osm.node(x, float(road_y(bank, x)))
            self.main_stations[bank] = ids
            for grid in self.grids:
                if grid.bank == bank:
                    for key, (u, _) in grid.uv.items():
                        if key[1] == 0:
                            grid.ids[key] = ids[u]
            # Split the road into several ways at the bridges, as mappers do.
            cuts = sorted({b[0] if bank == "N" else b[1] for b in self.bridge_x})
            pieces: list[list[int]] = [[]]
            for x in stations:
                pieces[-1].append(ids[x])
                if x in cuts:
                    pieces.append([ids[x]])
            if bank == "N":
                tags = named(
                    demo_name("大道", "Avenue"),
                    {"highway": "primary", "lanes": "4", "sidewalk": "both", "maxspeed": "40"},
                )
            else:
                tags = named(
                    demo_name("滨河南路", "South Riverside Road"),
                    {"highway": "secondary", "lanes": "2", "sidewalk": "both"},
                )
            for piece in pieces:
                if len(piece) >= 2:
                    self.main_ways[bank].append(self.osm.way(piece, tags))
                    self.mark_road(piece, tags["highway"])
            houses = [(-1200.0, 1200.0)] if bank == "N" else [(-1150.0, -650.0), (60.0, 960.0)]
            for lo, hi in houses:
                part = [ids[x] for x in stations if lo <= x <= hi]
                self.frontages.append(
                    Frontage(self.line_of(part), ROAD_HALF_WIDTH[tags["highway"]], tags["name"])
                )

    @staticmethod
    def _snap(xs: list[float], x: float, tol: float = 15.0) -> float:
        """Return the nearest of ``xs`` within ``tol`` of ``x``, else ``x``.

        Parameters
        ----------
        xs : list of float
            Existing station positions.
        x : float
            Wanted position.
        tol : float
            Snapping distance, metres.

        Returns
        -------
        float
            The position to use.
        """
        near = [s for s in xs if abs(s - x) <= tol]
        return min(near, key=lambda s: abs(s - x)) if near else x

    # ----------------------------------------------------------------- bridges, bypass

    def build_bridges(self) -> None:
        """Add the three bridges people can cross the river on (split at the abutments)."""
        for k, (xn, xs, kind) in enumerate(self.bridge_x, start=1):
            north = self.main_stations["N"][xn]
            south = self.main_stations["S"][xs]
            x_n, x_s = self.xy(north)[0], self.xy(south)[0]
            xm = (x_n + x_s) / 2.0
            reach = float(river_half_width(xm)) + 6.0
            abut_n = self.osm.node(xm, float(river_y(xm)) + reach)
            abut_s = self.osm.node(xm, float(river_y(xm)) - reach)
            if kind == "road":
                base = {"highway": "secondary", "lanes": "2", "sidewalk": "both"}
                name = demo_name(f"{'一二三'[k // 2]}桥", f"Bridge {k // 2 + 1}")
            else:
                base = {"highway": "footway"}
                name = demo_name("步行桥", "Footbridge")
            self.osm.way([north, abut_n], dict(base))
            bridge = named(name, {**base, "bridge": "yes", "layer": "1"})
            self.bridge_ways.append(self.osm.way([abut_n, abut_s], bridge))
            self.osm.way([abut_s, south], dict(base))
            self.mark_road([north, abut_n, abut_s, south], base["highway"])
            self.walk_bridge_count += 1

    def build_bypass(self) -> None:
        """Add the trunk bypass (``foot=no``) with its own river viaduct: not walkable."""
        tags = named(
            demo_name("绕城公路", "Bypass"),
            {"highway": "trunk", "foot": "no", "motorroad": "yes", "lanes": "2"},
        )
        xs = np.arange(-HALF_W, 1060.0, 30.0)
        pts = [(float(x), -715.0 + 12.0 * math.sin(x / 300.0)) for x in xs]
        x_end, y_end = self.xy(self.main_stations["S"][1150.0])
        (bx, by) = pts[-1]
        for t in np.linspace(0.0, 1.0, 6)[1:-1]:
            cx, cy = 1150.0, by
            pts.append(
                (
                    float((1 - t) ** 2 * bx + 2 * (1 - t) * t * cx + t**2 * x_end),
                    float((1 - t) ** 2 * by + 2 * (1 - t) * t * cy + t**2 * y_end),
                )
            )
        refs = [self.osm.node(x, y) for x, y in pts]
        junction_s = self.main_stations["S"][1150.0]
        refs.append(junction_s)
        self.osm.way(refs, tags)
        self.mark_road(refs, "trunk")
        # Viaduct over the river to the north road.
        junction_n = self.main_stations["N"][1200.0]
        xm = 1175.0
        reach = float(river_half_width(xm)) + 6.0
        abut_s = self.osm.node(xm, float(river_y(xm)) - reach)
        abut_n = self.osm.node(xm, float(river_y(xm)) + reach)
        self.osm.way([junction_s, abut_s], tags)
        viaduct = dict(tags)
        viaduct.update({"bridge": "yes", "layer": "1", "name": demo_name("高架桥", "Viaduct")})
        self.bridge_ways.append(self.osm.way([abut_s, abut_n], viaduct))
        self.osm.way([abut_n, junction_n], tags)
        self.mark_road([junction_s, abut_s, abut_n, junction_n], "trunk")
        # Link from the west end of the south road up to the bypass.
        start = self.main_stations["S"][-1200.0]
        x0, y0 = self.xy(start)
        link_pts = [(x0 - 10.0 * math.sin(k / 3.0), y0 - 30.0 * k) for k in range(1, 18)]
        link_pts = [p for p in link_pts if p[1] > -700.0]
        target = min(range(len(pts)), key=lambda n: abs(pts[n][0] - (x0 + 10.0)))
        link = [start, *(self.osm.node(x, y) for x, y in link_pts), refs[target]]
        self.osm.way(link, {"highway": "trunk_link", "foot": "no", "oneway": "no"})
        self.mark_road(link, "trunk_link")

    # ----------------------------------------------------------------- grid streets

    def build_grid_streets(self) -> None:
        """Turn the grids into OSM streets: curved edges, chained into named ways."""
        for grid in self.grids:
            for gkey in sorted(grid.uv):
                if gkey not in grid.ids:
                    x, y = bank_xy(grid.bank, *grid.uv[gkey])
                    grid.ids[gkey] = self.osm.node(float(x), float(y))
        edge_refs: dict[tuple[int, tuple[int, int], tuple[int, int]], list[int]] = {}
        steep: list[tuple[float, int, tuple[int, int], tuple[int, int]]] = []
        for g, grid in enumerate(self.grids):
            for a, b in grid.edges:
                refs = self._edge_nodes(grid, a, b)
                edge_refs[(g, a, b)] = refs
                if a[0] == b[0] and a[1] >= 3:
                    line = self.line_of(refs)
                    z = self.terrain.z(line[:, 0], line[:, 1])
                    grade = abs(float(z[-1] - z[0])) / polyline_length(line)
                    steep.append((grade, g, a, b))
        steep.sort(reverse=True)
        kinds: dict[tuple[int, tuple[int, int], tuple[int, int]], str] = {}
        for n, (_, g, a, b) in enumerate(steep[:5]):
            kinds[(g, a, b)] = "steps" if n < 3 else "footway"
        lane = 0
        for g, grid in enumerate(self.grids):
            columns = sorted({k[0] for k in grid.uv})
            rows = sorted({k[1] for k in grid.uv})
            chains: list[tuple[str, list[tuple[int, tuple[int, int], tuple[int, int]]]]] = []
            for i in columns:
                chain: list[tuple[int, tuple[int, int], tuple[int, int]]] = []
                for j in rows:
                    key = (g, (i, j), (i, j + 1))
                    if key in edge_refs and key not in kinds:
                        chain.append(key)
                        continue
                    if chain:
                        chains.append(("col", chain))
                    chain = []
                    if key in kinds:
                        chains.append((kinds[key], [key]))
                if chain:
                    chains.append(("col", chain))
            for j in rows:
                chain = []
                for i in columns:
                    key = (g, (i, j), (i + 1, j))
                    if key in edge_refs:
                        chain.append(key)
                    elif chain:
                        chains.append(("row", chain))
                        chain = []
                if chain:
                    chains.append(("row", chain))
            for kind, chain in chains:
                refs = list(edge_refs[chain[0]])
                for key in chain[1:]:
                    refs.extend(edge_refs[key][1:])
                if kind in ("steps", "footway"):
                    self._steps_way(refs, kind)
                    continue
                j = chain[0][1][1]
                tags: dict[str, str] = {"highway": "residential"}
                if kind == "row" and grid.bank == "N" and j == 3:
                    tags = {"highway": "tertiary", "lanes": "2"}
                name: str | None = None
                if kind == "row" and (len(chain) >= 2 or j == 3):
                    side = "北" if grid.bank == "N" else "南"
                    en = "North" if grid.bank == "N" else "South"
                    if grid.bank == "S":
                        side, en = ("西南", "Southwest") if g == 1 else ("东南", "Southeast")
                    name = demo_name(f"{side}{j}路", f"{en} Road {j}")
                elif kind == "col" and len(chain) >= 3:
                    lane += 1
                    name = demo_name(f"{lane}巷", f"Lane {lane}")
                if name:
                    tags = named(name, tags)
                x0 = self.xy(refs[0])[0]
                if kind == "row" and grid.bank == "N" and j == 2 and 700.0 < x0 < 1000.0:
                    tags["oneway"] = "yes"
                self.osm.way(refs, tags)
                self.mark_road(refs, tags["highway"])
                for key in chain:
                    self.frontages.append(
                        Frontage(
                            self.line_of(edge_refs[key]), ROAD_HALF_WIDTH[tags["highway"]], name
                        )
                    )

    def _edge_nodes(self, grid: Grid, a: tuple[int, int], b: tuple[int, int]) -> list[int]:
        """Create the curved intermediate nodes of one grid edge.

        Parameters
        ----------
        grid : Grid
            The grid.
        a, b : tuple of int
            The edge's end keys.

        Returns
        -------
        list of int
            Node ids from ``a`` to ``b``.
        """
        (ua, va), (ub, vb) = grid.uv[a], grid.uv[b]
        length = math.hypot(ub - ua, vb - va)
        n = max(2, round(length / 16.0))
        bend = float(self.rng.uniform(-7.0, 7.0))
        nu, nv = -(vb - va) / length, (ub - ua) / length
        refs = [grid.ids[a]]
        for k in range(1, n):
            t = k / n
            off = bend * math.sin(math.pi * t)
            u = ua + (ub - ua) * t + nu * off
            v = va + (vb - va) * t + nv * off
            x, y = bank_xy(grid.bank, u, v)
            refs.append(self.osm.node(float(x), float(y)))
        refs.append(grid.ids[b])
        return refs

    def _steps_way(self, refs: list[int], kind: str) -> None:
        """Add a steep path: footway, a flight of steps in the middle, footway.

        Parameters
        ----------
        refs : list of int
            Node ids, bottom to top.
        kind : {"steps", "footway"}
            Whether to put steps in the middle.
        """
        if kind == "footway" or len(refs) < 4:
            self.osm.way(refs, {"highway": "footway", "surface": "paving_stones"})
            self.mark_road(refs, "footway")
            return
        k0, k1 = 1, len(refs) - 2
        self.osm.way(refs[: k0 + 1], {"highway": "footway"})
        steps = self.osm.way(
            refs[k0 : k1 + 1], {"highway": "steps", "incline": "up", "handrail": "yes"}
        )
        self.steps_ways.append(steps)
        self.osm.way(refs[k1:], {"highway": "footway"})
        self.mark_road(refs, "steps")

    def build_promenade(self) -> None:
        """Add the riverside footway (north bank) and its riverside park."""
        west = self.main_stations["N"][-535.0]
        east = self.main_stations["N"][-150.0]
        us = np.arange(-520.0, -165.0, 24.0)
        pts = [bank_xy("N", float(u), -26.0) for u in us]
        mid = [self.osm.node(float(x), float(y)) for x, y in pts]
        refs = [west, *mid, east]
        tags = named(demo_name("滨河步道", "Riverside Walk"), {"highway": "footway"})
        self.osm.way(refs, tags)
        self.mark_road(refs, "footway")
        outline = [bank_xy("N", u, -38.0) for u in np.linspace(-545.0, -152.0, 14)]
        outline += [bank_xy("N", u, -12.0) for u in np.linspace(-152.0, -545.0, 14)]
        poly = np.array(outline)
        park = named(demo_name("滨河公园", "Riverside Park"), {"leisure": "park"})
        self.osm.polygon(poly, park)
        self.mask.mark(poly)
        self.facilities.append(Facility(park["name"], ("park",), "way", "B", park))

    # ----------------------------------------------------------------- extra paths

    def build_paths(self) -> None:
        """Add diagonal footpaths across some blocks and dead-end spurs into others."""
        rng = self.rng
        grid = self.grids[0]
        blocks = [b for b in self.blocks(0) if b[1] >= 2 and (0, *b) not in self.used_blocks]
        made = 0
        for k in rng.permutation(len(blocks)):
            if made >= 5:
                break
            i, j = blocks[int(k)]
            a, b = grid.ids[(i, j)], grid.ids[(i + 1, j + 1)]
            pa, pb = np.array(self.xy(a)), np.array(self.xy(b))
            bend = np.array([-(pb - pa)[1], (pb - pa)[0]]) / np.linalg.norm(pb - pa) * 6.0
            inner = np.array(
                [pa + (pb - pa) * t + bend * math.sin(math.pi * t) for t in (0.25, 0.5, 0.75)]
            )
            if not self.mask.is_free(inner, buffer=7.0, closed=False):
                continue
            refs = [a, *(self.osm.node(float(x), float(y)) for x, y in inner), b]
            self.osm.way(refs, {"highway": "footway", "surface": "concrete"})
            self.mark_road(refs, "footway")
            self.used_blocks.add((0, i, j))
            made += 1
        # Dead-end spurs from the middle of row streets into the blocks.
        candidates: list[tuple[int, int]] = []
        for wid, (refs, tags) in self.osm.ways.items():
            if tags.get("highway") in ("residential", "tertiary") and len(refs) >= 5:
                candidates.append((wid, len(refs)))
        spurs = 0
        private_done = False
        for k in rng.permutation(len(candidates)):
            if spurs >= 28:
                break
            wid, n = candidates[int(k)]
            refs = self.osm.ways[wid][0]
            pos = int(rng.integers(2, n - 2))
            origin = np.array(self.xy(refs[pos]))
            tangent = np.array(self.xy(refs[pos + 1])) - np.array(self.xy(refs[pos - 1]))
            tangent /= np.linalg.norm(tangent)
            normal = np.array([-tangent[1], tangent[0]]) * (1 if rng.random() < 0.5 else -1)
            length = float(rng.uniform(40.0, 65.0))
            steps = np.linspace(0.0, length, 4)[1:]
            pts = np.array(
                [origin + normal * s + tangent * 3.0 * math.sin(s / 20.0) for s in steps]
            )
            if not self.mask.is_free(pts[1:], buffer=9.0, closed=False):
                continue
            if not self.mask.is_free(np.vstack([origin + normal * 12.0, pts]), 5.5, closed=False):
                continue
            new = [self.osm.node(float(x), float(y)) for x, y in pts]
            spur = [refs[pos], *new]
            roll = rng.random()
            if not private_done and roll < 0.2:
                tags = {"highway": "service", "service": "driveway", "access": "private"}
                private_done = True
            elif roll < 0.65:
                tags = {"highway": "service", "service": "alley"}
            else:
                tags = {"highway": "residential", "noexit": "yes"}
            self.osm.way(spur, tags)
            self.mark_road(spur, tags["highway"])
            if tags.get("access") != "private":
                self.frontages.append(
                    Frontage(self.line_of(spur), ROAD_HALF_WIDTH[tags["highway"]], None)
                )
            spurs += 1
