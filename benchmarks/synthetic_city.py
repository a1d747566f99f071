"""A seeded synthetic city (streets, river, residences, facilities) written as ``.osm.pbf``.

The city is synthetic — 合成城市, not survey data. Streets are a warped, jittered grid
with irregular blocks (missing and diagonal links), bends, cul-de-sacs, a sinuous river
crossed by a few bridges, footways and steps, and a few non-walkable cycleways.
Residences are residential building polygons and ``building=house`` address nodes;
facilities carry the tags of the default catalog's categories. The file is written with
pyosmium's ``SimpleWriter`` so readers exercise the real PBF parse path.

Usage::

    python benchmarks/synthetic_city.py --nodes 1000000 --out /tmp/city_1m.osm.pbf
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import osmium
from osmium.osm import mutable

from yushu_circle.catalog import Catalog

CENTER_LON = 97.01
CENTER_LAT = 33.00
_M_PER_DEG_LAT = 110_574.0

# Facilities per 1,000 residences, per default category (at least 2 of each are placed).
_DENSITY = {
    "kindergarten": 1.0,
    "primary_school": 0.5,
    "middle_school": 0.25,
    "clinic": 0.8,
    "hospital": 0.05,
    "pharmacy": 1.5,
    "supermarket": 4.0,
    "market": 0.6,
    "mall": 0.08,
    "bank": 0.6,
    "fitness": 0.8,
    "park": 0.7,
    "elderly_care": 0.3,
    "community_service": 0.4,
    "culture": 0.3,
    "bus_stop": 2.0,
    "post_office": 0.15,
}


@dataclass
class CityStats:
    """What a generated city holds."""

    path: str
    seed: int
    street_nodes: int
    street_ways: int
    residences: int
    building_polygons: int
    facilities: int
    bridges: int
    osm_nodes: int
    osm_ways: int
    write_s: float


def facility_tags(catalog: Catalog) -> dict[str, dict[str, str]]:
    """OSM tags that put a feature in each category: the first plain (non-regex) rule.

    Parameters
    ----------
    catalog : Catalog

    Returns
    -------
    dict of str to dict
        Category key → tags (``"*"`` values become ``"yes"``).
    """
    tags: dict[str, dict[str, str]] = {}
    for category in catalog:
        for rule in category.rules:
            if any(c.mode != "equals" for c in rule.conditions):
                continue
            tags[category.key] = {
                c.key: ("yes" if c.values == ("*",) else c.values[0]) for c in rule.conditions
            }
            break
    return tags


def make_city(
    path: str | Path,
    nodes: int = 10_000,
    seed: int = 0,
    residences: int | None = None,
    building_share: float = 0.25,
    spacing_m: float = 75.0,
) -> CityStats:
    """Generate a synthetic city and write it as ``.osm.pbf``.

    Parameters
    ----------
    path : str or Path
        Output file (overwritten).
    nodes : int
        Approximate number of street nodes (intersections, dead ends, bends).
    seed : int
        Random seed: the same seed and sizes give the same file.
    residences : int, optional
        Number of residences (default: as many as street nodes).
    building_share : float
        Share of residences drawn as building polygons (the rest are address nodes).
    spacing_m : float
        Mean block side, metres.

    Returns
    -------
    CityStats
    """
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    n_res = nodes if residences is None else int(residences)
    side = max(4, round(math.sqrt(nodes / 1.195)))

    # --- intersections: a warped, jittered grid ---------------------------------------
    jj, ii = np.meshgrid(np.arange(side), np.arange(side))
    jj, ii = jj.ravel(), ii.ravel()
    col_x = np.cumsum(rng.uniform(0.6, 1.4, side)) * spacing_m
    row_y = np.cumsum(rng.uniform(0.6, 1.4, side)) * spacing_m
    x = col_x[jj] + rng.uniform(-0.15, 0.15, jj.size) * spacing_m
    y = row_y[ii] + rng.uniform(-0.15, 0.15, ii.size) * spacing_m
    x += 0.08 * spacing_m * side * np.sin(y / (spacing_m * side) * 2 * np.pi) / 4
    grid_id = (ii * side + jj).reshape(side, side)

    # --- the river: one grid row per column, moving at most one row per column -----------
    cols = np.arange(side)
    river_row = np.round(side / 2 + min(3.0, side / 8) * np.sin(cols / 8.0)).astype(np.int64)
    water = np.zeros((side, side), dtype=bool)
    water[river_row, cols] = True
    land = ~water.ravel()
    n_bridges = max(2, side // 60)
    bridge_cols = np.linspace(side * 0.1, side * 0.9, n_bridges).round().astype(np.int64)

    # --- links: grid edges, some removed, some diagonals, bridges ------------------------
    h_u, h_v = grid_id[:, :-1].ravel(), grid_id[:, 1:].ravel()
    v_u, v_v = grid_id[:-1, :].ravel(), grid_id[1:, :].ravel()
    h_keep = land[h_u] & land[h_v] & (rng.random(h_u.size) > 0.10)
    v_keep = land[v_u] & land[v_v] & (rng.random(v_u.size) > 0.10)
    near_river = np.abs(ii - river_row[jj]) <= 2
    d_cells = grid_id[:-1, :-1].ravel()
    d_pick = (rng.random(d_cells.size) < 0.04) & ~near_river[d_cells] & land[d_cells]
    d_u = d_cells[d_pick]
    d_v = d_u + side + 1
    d_ok = land[d_v] & ~near_river[d_v]
    d_u, d_v = d_u[d_ok], d_v[d_ok]
    b_u = grid_id[river_row[bridge_cols] - 1, bridge_cols]
    b_v = grid_id[river_row[bridge_cols] + 1, bridge_cols]

    # Ways: runs of consecutive kept links along rows and columns, broken at random.
    ways: list[tuple[list[int], dict[str, str]]] = []
    next_node = side * side + 1
    extra_x: list[float] = []
    extra_y: list[float] = []

    def bend(a: int, b: int) -> int:
        nonlocal next_node
        mx, my = (x[a] + x[b]) / 2, (y[a] + y[b]) / 2
        dx, dy = x[b] - x[a], y[b] - y[a]
        norm = math.hypot(dx, dy) or 1.0
        off = rng.uniform(3.0, 9.0) * (1 if rng.random() < 0.5 else -1)
        extra_x.append(mx - dy / norm * off)
        extra_y.append(my + dx / norm * off)
        next_node += 1
        return next_node - 1

    def add_runs(
        us: np.ndarray, vs: np.ndarray, keep: np.ndarray, line_len: int, main: int
    ) -> None:
        for line in range(len(us) // line_len):
            lo = line * line_len
            kind = "primary" if line % main == main // 2 else "residential"
            run: list[int] = []
            for k in range(lo, lo + line_len):
                if keep[k] and (not run or rng.random() > 0.2):
                    if not run:
                        run = [int(us[k]) + 1]
                    if rng.random() < 0.10:
                        run.append(bend(int(us[k]), int(vs[k])))
                    run.append(int(vs[k]) + 1)
                    continue
                if len(run) >= 2:
                    ways.append((run, _street_tags(rng, kind)))
                run = []
                if keep[k]:
                    run = [int(us[k]) + 1, int(vs[k]) + 1]
            if len(run) >= 2:
                ways.append((run, _street_tags(rng, kind)))

    add_runs(h_u, h_v, h_keep, side - 1, 12)
    # Columns: transpose so each column's links are contiguous.
    v_order = np.arange(v_u.size).reshape(side - 1, side).T.ravel()
    add_runs(v_u[v_order], v_v[v_order], v_keep[v_order], side - 1, 12)
    for a, b in zip(d_u, d_v, strict=True):
        ways.append(([int(a) + 1, int(b) + 1], {"highway": "footway"}))
    for a, b in zip(b_u, b_v, strict=True):
        ways.append(
            (
                [int(a) + 1, int(b) + 1],
                {"highway": "residential", "bridge": "yes", "layer": "1", "name": "合成桥 bridge"},
            )
        )

    # Cul-de-sacs: short spurs into the blocks.
    spur_from = np.flatnonzero(land & ~near_river & (rng.random(land.size) < 0.05))
    for a in spur_from:
        angle = rng.uniform(0, 2 * np.pi)
        length = rng.uniform(15.0, 35.0)
        extra_x.append(x[a] + length * math.cos(angle))
        extra_y.append(y[a] + length * math.sin(angle))
        ways.append(([int(a) + 1, next_node], {"highway": "service"}))
        next_node += 1

    street_x = np.concatenate([x, np.asarray(extra_x)])
    street_y = np.concatenate([y, np.asarray(extra_y)])
    used = np.zeros(street_x.size + 1, dtype=bool)
    for refs, _ in ways:
        used[refs] = True
    street_ids = np.flatnonzero(used)

    # --- residences and facilities along the streets ------------------------------------
    seg_a = np.array([r[k] for r, _ in ways for k in range(len(r) - 1)], dtype=np.int64) - 1
    seg_b = np.array([r[k + 1] for r, _ in ways for k in range(len(r) - 1)], dtype=np.int64) - 1
    seg_len = np.hypot(street_x[seg_b] - street_x[seg_a], street_y[seg_b] - street_y[seg_a])

    def roadside(count: int, near: float, far: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pick = rng.choice(seg_a.size, size=count, p=seg_len / seg_len.sum())
        t = rng.uniform(0.15, 0.85, count)
        ax, ay = street_x[seg_a[pick]], street_y[seg_a[pick]]
        dx, dy = street_x[seg_b[pick]] - ax, street_y[seg_b[pick]] - ay
        norm = np.hypot(dx, dy)
        norm[norm == 0] = 1.0
        side_sign = np.where(rng.random(count) < 0.5, -1.0, 1.0)
        off = rng.uniform(near, far, count) * side_sign
        px = ax + t * dx - dy / norm * off
        py = ay + t * dy + dx / norm * off
        return px, py, np.arctan2(dy, dx)

    res_x, res_y, res_angle = roadside(n_res, 12.0, 35.0)
    is_polygon = rng.random(n_res) < building_share
    catalog = Catalog.default()
    tag_table = facility_tags(catalog)
    fac_rows: list[tuple[str, dict[str, str]]] = []
    for category in catalog:
        if category.key not in tag_table:
            continue
        count = max(2, round(_DENSITY.get(category.key, 0.5) * n_res / 1000))
        for i in range(count):
            tags = dict(tag_table[category.key])
            tags["name"] = f"合成{category.name_zh} synthetic {category.name_en} {i + 1}"
            fac_rows.append((category.key, tags))
    fac_x, fac_y, _ = roadside(len(fac_rows), 8.0, 30.0)
    fac_polygon = rng.random(len(fac_rows)) < 0.15

    # --- write ----------------------------------------------------------------------------
    lon0, lat0 = CENTER_LON, CENTER_LAT
    span_x, span_y = street_x.max(), street_y.max()
    m_per_deg_lon = _M_PER_DEG_LAT * math.cos(math.radians(lat0))

    def lonlat(px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return lon0 + (px - span_x / 2) / m_per_deg_lon, lat0 + (py - span_y / 2) / _M_PER_DEG_LAT

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    location = osmium.osm.Location
    node_count = 0
    way_id = 1
    polygon_ways: list[tuple[list[int], dict[str, str]]] = []
    with osmium.SimpleWriter(str(path), overwrite=True) as writer:
        lon, lat = lonlat(street_x, street_y)
        for idx, a, b in zip(
            street_ids.tolist(),
            lon[street_ids - 1].tolist(),
            lat[street_ids - 1].tolist(),
            strict=True,
        ):
            writer.add_node(mutable.Node(id=idx, location=location(a, b)))
        node_count += street_ids.size
        node_id = street_x.size + 1

        def squares(
            cx: np.ndarray, cy: np.ndarray, half: np.ndarray, angle: np.ndarray
        ) -> list[list[int]]:
            nonlocal node_id, node_count
            ux = np.array([-1.0, 1.0, 1.0, -1.0])
            uy = np.array([-1.0, -1.0, 1.0, 1.0])
            c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
            qx = cx[:, None] + half[:, None] * (ux * c - uy * s)
            qy = cy[:, None] + half[:, None] * (ux * s + uy * c)
            qlon, qlat = lonlat(qx.ravel(), qy.ravel())
            rings = []
            for k, (a, b) in enumerate(zip(qlon.tolist(), qlat.tolist(), strict=True)):
                writer.add_node(mutable.Node(id=node_id + k, location=location(a, b)))
            for k in range(len(cx)):
                first = node_id + 4 * k
                rings.append([first, first + 1, first + 2, first + 3, first])
            node_id += 4 * len(cx)
            node_count += 4 * len(cx)
            return rings

        rlon, rlat = lonlat(res_x, res_y)
        half_sides = rng.uniform(4.0, 7.0, n_res)
        levels = rng.integers(1, 19, n_res)
        poly = np.flatnonzero(is_polygon)
        rings = squares(res_x[poly], res_y[poly], half_sides[poly], res_angle[poly])
        for refs, level in zip(rings, levels[poly].tolist(), strict=True):
            kind = "apartments" if level > 3 else "residential"
            polygon_ways.append((refs, {"building": kind, "building:levels": str(level)}))
        points = np.flatnonzero(~is_polygon)
        for i, a, b in zip(
            points.tolist(), rlon[points].tolist(), rlat[points].tolist(), strict=True
        ):
            tags = {"building": "house", "addr:housenumber": str(i + 1)}
            writer.add_node(mutable.Node(id=node_id, location=location(a, b), tags=tags))
            node_id += 1
        node_count += points.size
        flon, flat = lonlat(fac_x, fac_y)
        for i, (_, tags) in enumerate(fac_rows):
            if fac_polygon[i] and "highway" not in tags:
                one = np.array([1.0])
                ring = squares(fac_x[i] * one, fac_y[i] * one, 15.0 * one, 0.0 * one)[0]
                polygon_ways.append((ring, tags))
            else:
                writer.add_node(
                    mutable.Node(id=node_id, location=location(flon[i], flat[i]), tags=tags)
                )
                node_id += 1
                node_count += 1
        river_x = col_x
        river_y = (row_y[np.clip(river_row - 1, 0, side - 1)] + row_y[river_row]) / 2
        river_lon, river_lat = lonlat(river_x, river_y)
        river_refs = []
        for k in range(side):
            writer.add_node(mutable.Node(id=node_id, location=location(river_lon[k], river_lat[k])))
            river_refs.append(node_id)
            node_id += 1
        node_count += side
        for refs, tags in ways:
            writer.add_way(mutable.Way(id=way_id, nodes=refs, tags=tags))
            way_id += 1
        for refs, tags in polygon_ways:
            writer.add_way(mutable.Way(id=way_id, nodes=refs, tags=tags))
            way_id += 1
        writer.add_way(
            mutable.Way(
                id=way_id, nodes=river_refs, tags={"waterway": "river", "name": "合成河 river"}
            )
        )
    return CityStats(
        path=str(path),
        seed=seed,
        street_nodes=int(street_ids.size),
        street_ways=len(ways),
        residences=n_res,
        building_polygons=int(is_polygon.sum()),
        facilities=len(fac_rows),
        bridges=n_bridges,
        osm_nodes=node_count,
        osm_ways=way_id,
        write_s=round(time.perf_counter() - started, 2),
    )


def make_centre(
    path: str | Path,
    blocks: int = 16,
    block_m: float = 70.0,
    seed: int = 0,
) -> CityStats:
    """Generate a dense synthetic city centre (合成市中心) and write it as ``.osm``/``.osm.pbf``.

    Shaped like real centres where sidewalks are mapped as their own ways: each block is
    ringed by a sidewalk (``highway=footway``, ``footway=sidewalk``) on both sides of every
    street, crossings (``footway=crossing``) join the sidewalks across the roadway near every
    corner (and some mid-block), short entrance paths run from the sidewalks into the
    blocks every 7–15 m, a few blocks are squares crossed by diagonal paths, and the whole
    grid is warped so streets curve. After simplification the median edge is ~10 m.

    Parameters
    ----------
    path : str or Path
        Output file (``.osm``, ``.osm.pbf``, ``.osm.bz2``; overwritten).
    blocks : int
        Blocks per side (``blocks²`` blocks).
    block_m : float
        Mean block side, metres (street centre to street centre).
    seed : int
        Random seed: the same seed and sizes give the same file.

    Returns
    -------
    CityStats
    """
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    offset = 7.0  # street centre line to sidewalk, metres
    xs = np.concatenate([[0.0], np.cumsum(rng.uniform(0.75, 1.25, blocks))]) * block_m
    ys = np.concatenate([[0.0], np.cumsum(rng.uniform(0.75, 1.25, blocks))]) * block_m
    px: list[float] = []
    py: list[float] = []

    def node(x: float, y: float) -> int:
        px.append(x)
        py.append(y)
        return len(px)  # OSM ids from 1

    ways: list[tuple[list[int], dict[str, str]]] = []
    # Block sides: (block i, block j, side 0..3 = bottom, right, top, left) -> [(t, node)].
    sides: dict[tuple[int, int, int], list[tuple[float, int]]] = {}

    def side_frame(i: int, j: int, k: int) -> tuple[float, float, float, float, float]:
        """Start x, y, direction x, y and length of a block side (counter-clockwise)."""
        x0, x1 = xs[j] + offset, xs[j + 1] - offset
        y0, y1 = ys[i] + offset, ys[i + 1] - offset
        return (
            (x0, y0, 1.0, 0.0, x1 - x0),
            (x1, y0, 0.0, 1.0, y1 - y0),
            (x1, y1, -1.0, 0.0, x1 - x0),
            (x0, y1, 0.0, -1.0, y1 - y0),
        )[k]

    corners: dict[tuple[int, int, int], int] = {}
    for i in range(blocks):
        for j in range(blocks):
            for k in range(4):
                x0, y0, _, _, _ = side_frame(i, j, k)
                corners[i, j, k] = node(x0, y0)
    for (i, j, k), first in corners.items():
        sides[i, j, k] = [(0.0, first), (side_frame(i, j, k)[4], corners[i, j, (k + 1) % 4])]

    def on_side(i: int, j: int, k: int, t: float) -> int:
        x0, y0, dx, dy, _ = side_frame(i, j, k)
        n = node(x0 + dx * t, y0 + dy * t)
        sides[i, j, k].append((t, n))
        return n

    # Roads: one way per street line, nodes at intersections and crossings.
    roads: dict[tuple[str, int], list[tuple[float, int]]] = {}
    for i in range(blocks + 1):
        roads["h", i] = [(float(xs[j]), node(xs[j], ys[i])) for j in range(blocks + 1)]
    for j in range(blocks + 1):
        roads["v", j] = [
            (float(ys[i]), roads["h", i][j][1]) for i in range(blocks + 1)
        ]  # shared intersections

    crossing = {"highway": "footway", "footway": "crossing"}
    for i in range(1, blocks):  # across horizontal street i, between blocks (i-1, j) and (i, j)
        for j in range(blocks):
            x0, x1 = xs[j] + offset, xs[j + 1] - offset
            spots = [x0 + 2.5, x1 - 2.5] + ([(x0 + x1) / 2] if rng.random() < 0.3 else [])
            for x in spots:
                if rng.random() > 0.85:
                    continue
                below = on_side(i - 1, j, 2, x1 - x)
                above = on_side(i, j, 0, x - x0)
                mid = node(x, ys[i])
                roads["h", i].append((x, mid))
                ways.append(([below, mid, above], crossing))
    for j in range(1, blocks):  # across vertical street j, between blocks (i, j-1) and (i, j)
        for i in range(blocks):
            y0, y1 = ys[i] + offset, ys[i + 1] - offset
            spots = [y0 + 2.5, y1 - 2.5] + ([(y0 + y1) / 2] if rng.random() < 0.3 else [])
            for y in spots:
                if rng.random() > 0.85:
                    continue
                west = on_side(i, j - 1, 1, y - y0)
                east = on_side(i, j, 3, y1 - y)
                mid = node(xs[j], y)
                roads["v", j].append((y, mid))
                ways.append(([west, mid, east], crossing))

    # Entrance paths into the blocks, residences at their ends; squares with diagonals.
    res_x: list[float] = []
    res_y: list[float] = []
    for (i, j, k), _ in list(corners.items()):
        x0, y0, dx, dy, length = side_frame(i, j, k)
        nx_, ny_ = -dy, dx  # inward normal of a counter-clockwise ring
        t = rng.uniform(4.0, 10.0)
        while t < length - 4.0:
            if rng.random() < 0.65:
                depth = rng.uniform(5.0, 14.0)
                a = on_side(i, j, k, t)
                b = node(x0 + dx * t + nx_ * depth, y0 + dy * t + ny_ * depth)
                ways.append(([a, b], {"highway": "footway"}))
                res_x.append(x0 + dx * t + nx_ * (depth + 4.0))
                res_y.append(y0 + dy * t + ny_ * (depth + 4.0))
            t += rng.uniform(8.0, 16.0)
    for i in range(blocks):
        for j in range(blocks):
            if rng.random() < 0.08:
                centre = node((xs[j] + xs[j + 1]) / 2, (ys[i] + ys[i + 1]) / 2)
                for k in range(4):
                    ways.append(([corners[i, j, k], centre], {"highway": "footway"}))

    def densified(refs: list[int], spacing: float) -> list[int]:
        """Refs with shape nodes every ``spacing`` m, so the warp below bends the lines."""
        out = [refs[0]]
        for a, b in itertools.pairwise(refs):
            gap = math.hypot(px[b - 1] - px[a - 1], py[b - 1] - py[a - 1])
            for q in range(1, int(gap // spacing) + 1):
                w = q / (int(gap // spacing) + 1)
                out.append(
                    node(
                        px[a - 1] + w * (px[b - 1] - px[a - 1]),
                        py[a - 1] + w * (py[b - 1] - py[a - 1]),
                    )
                )
            out.append(b)
        return out

    sidewalk = {"highway": "footway", "footway": "sidewalk"}
    for key in sorted(sides):
        refs = [n for _, n in sorted(sides[key])]
        ways.append((densified(refs, 8.0), sidewalk))
    for (axis, line), entries in sorted(roads.items()):
        kind = "tertiary" if line % 5 == 2 else "residential"
        refs = [n for _, n in sorted(entries)]
        tags = {"highway": kind, "sidewalk": "separate", "name": f"合成路 street {axis}{line}"}
        ways.append((densified(refs, 8.0), tags))

    # The warp: gently curved streets everywhere (displacement ≤ 18 m, slope ≤ 0.2).
    span = float(max(xs[-1], ys[-1]))
    street_x, street_y = _warp(np.asarray(px), np.asarray(py), span)
    rx, ry = _warp(np.asarray(res_x), np.asarray(res_y), span)
    # Facilities: each category's tags on a few points along the blocks' edges.
    catalog = Catalog.default()
    tag_table = facility_tags(catalog)
    fac_rows = [
        (key, {**tags, "name": f"合成 synthetic {key} {n + 1}"})
        for key, tags in tag_table.items()
        for n in range(max(2, round(_DENSITY.get(key, 0.5) * len(rx) / 1000)))
    ]
    pick = rng.integers(0, len(rx), len(fac_rows))
    fx, fy = rx[pick] + rng.uniform(-3, 3, len(pick)), ry[pick] + rng.uniform(-3, 3, len(pick))
    _write(path, street_x, street_y, ways, rx, ry, fx, fy, fac_rows)
    return CityStats(
        path=str(path),
        seed=seed,
        street_nodes=len(px),
        street_ways=len(ways),
        residences=len(rx),
        building_polygons=0,
        facilities=len(fac_rows),
        bridges=0,
        osm_nodes=len(px) + len(rx) + len(fac_rows),
        osm_ways=len(ways),
        write_s=round(time.perf_counter() - started, 2),
    )


def _warp(x: np.ndarray, y: np.ndarray, span: float) -> tuple[np.ndarray, np.ndarray]:
    wave = 2 * np.pi / max(span / 2.5, 1.0)
    return x + 12.0 * np.sin(y * wave), y + 12.0 * np.sin(x * wave * 0.8 + 1.0)


def _write(
    path: str | Path,
    x: np.ndarray,
    y: np.ndarray,
    ways: list[tuple[list[int], dict[str, str]]],
    res_x: np.ndarray,
    res_y: np.ndarray,
    fac_x: np.ndarray,
    fac_y: np.ndarray,
    fac_rows: list[tuple[str, dict[str, str]]],
) -> None:
    """Street nodes (ids 1…), ways, residences (address nodes) and facilities, via pyosmium."""
    m_per_deg_lon = _M_PER_DEG_LAT * math.cos(math.radians(CENTER_LAT))
    cx, cy = (x.min() + x.max()) / 2, (y.min() + y.max()) / 2

    def location(a: float, b: float) -> osmium.osm.Location:
        return osmium.osm.Location(
            CENTER_LON + (a - cx) / m_per_deg_lon, CENTER_LAT + (b - cy) / _M_PER_DEG_LAT
        )

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with osmium.SimpleWriter(str(path), overwrite=True) as writer:
        for i, (a, b) in enumerate(zip(x.tolist(), y.tolist(), strict=True)):
            writer.add_node(mutable.Node(id=i + 1, location=location(a, b)))
        next_id = len(x) + 1
        for i, (a, b) in enumerate(zip(res_x.tolist(), res_y.tolist(), strict=True)):
            tags = {"building": "house", "addr:housenumber": str(i + 1)}
            writer.add_node(mutable.Node(id=next_id, location=location(a, b), tags=tags))
            next_id += 1
        for (_, tags), a, b in zip(fac_rows, fac_x.tolist(), fac_y.tolist(), strict=True):
            writer.add_node(mutable.Node(id=next_id, location=location(a, b), tags=tags))
            next_id += 1
        for w, (refs, tags) in enumerate(ways):
            writer.add_way(mutable.Way(id=w + 1, nodes=refs, tags=tags))


def _street_tags(rng: np.random.Generator, kind: str) -> dict[str, str]:
    draw = rng.random()
    if kind == "residential" and draw < 0.05:
        return {"highway": "footway"}
    if kind == "residential" and draw < 0.06:
        return {"highway": "steps"}
    if kind == "residential" and draw < 0.07:
        return {"highway": "cycleway"}
    return {"highway": kind}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Command line: write a city and print its statistics as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10_000, help="street nodes (approximate)")
    parser.add_argument("--residences", type=int, default=None, help="default: as many as nodes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="output .osm.pbf (or .osm)")
    parser.add_argument(
        "--mode",
        choices=["grid", "centre"],
        default="grid",
        help="grid: a whole city of long streets; centre: a dense centre with sidewalks",
    )
    parser.add_argument("--blocks", type=int, default=16, help="centre: blocks per side")
    args = parser.parse_args(argv)
    if args.mode == "centre":
        stats = asdict(make_centre(args.out, args.blocks, seed=args.seed))
    else:
        stats = asdict(make_city(args.out, args.nodes, args.seed, args.residences))
    print(json.dumps(stats, indent=2))
    return stats


if __name__ == "__main__":
    main()
