"""Compiled isochrone kernels (numba): bounded search to reached edge pieces, trail outlines."""

from __future__ import annotations

import numpy as np

from yushu_circle._core.jit import helper, kernel
from yushu_circle._core.kernels import edge_point_sources, heap4_pop, heap4_push


@helper()
def _grow(a: np.ndarray, need: int) -> np.ndarray:
    """A 1-D array at least ``need`` long, keeping its contents (compiled per dtype)."""
    if need <= len(a):
        return a
    b = np.empty(max(need, 2 * len(a)), dtype=a.dtype)
    for i in range(len(a)):  # a loop: slice assignment compiles shape-error code (~1 s)
        b[i] = a[i]
    return b


@kernel()
def reach_pieces(
    arc_ptr: np.ndarray,
    arc_head: np.ndarray,
    arc_time: np.ndarray,
    arc_edge: np.ndarray,
    edge_u: np.ndarray,
    edge_v: np.ndarray,
    time_uv: np.ndarray,
    time_vu: np.ndarray,
    place_edge: np.ndarray,
    place_frac: np.ndarray,
    job_ptr: np.ndarray,
    job_budget: np.ndarray,
    n: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Bounded Dijkstra per place; reached pieces (job, edge, f0, f1) per job's budget."""
    dist = np.full(n, np.inf)
    heap_k = np.empty(len(arc_head) + 2, dtype=np.float64)
    heap_v = np.empty(len(arc_head) + 2, dtype=np.int64)
    touched = np.empty(n, dtype=np.int64)
    edge_mark = np.full(len(edge_u), -1, dtype=np.int64)
    edge_list = np.empty(len(edge_u), dtype=np.int64)
    cap = 1024
    out_job = np.empty(cap, dtype=np.int64)
    out_edge = np.empty(cap, dtype=np.int64)
    out_f0 = np.empty(cap, dtype=np.float64)
    out_f1 = np.empty(cap, dtype=np.float64)
    # Counters start as int64 values, not the literal 0: a literal argument would compile every
    # helper it reaches a second time, for the literal type (a first run's compile time).
    count = int(np.int64(0))
    lo = np.empty(3)
    hi = np.empty(3)
    # Walking *from* a place: the edge-end rule with the two directions' times swapped.
    places = len(place_edge)
    seed_node, seed_time = edge_point_sources(
        edge_u, edge_v, time_vu, time_uv, place_edge, place_frac, np.zeros(places)
    )
    for p in range(places):
        j_start, j_stop = job_ptr[p], job_ptr[p + 1]
        limit = -1.0
        for j in range(j_start, j_stop):
            limit = max(limit, job_budget[j])
        if limit < 0:
            continue
        e0 = place_edge[p]
        f = place_frac[p]
        ntouched = int(np.int64(0))
        size = int(np.int64(0))
        for s in (p, places + p):
            node, t = seed_node[s], seed_time[s]
            if t <= limit and t < dist[node]:
                if dist[node] == np.inf:
                    touched[ntouched] = node
                    ntouched += 1
                dist[node] = t
                size = heap4_push(heap_k, heap_v, size, t, node)
        while size > 0:
            d = heap_k[0]
            node = heap_v[0]
            size = heap4_pop(heap_k, heap_v, size)
            if d > dist[node]:
                continue
            for a in range(arc_ptr[node], arc_ptr[node + 1]):
                nd = d + arc_time[a]
                head = arc_head[a]
                if nd <= limit and nd < dist[head]:
                    if dist[head] == np.inf:
                        touched[ntouched] = head
                        ntouched += 1
                    dist[head] = nd
                    size = heap4_push(heap_k, heap_v, size, nd, head)
        # Edges next to reached nodes, plus the place's own edge.
        nedges = 0
        edge_mark[e0] = p
        edge_list[0] = e0
        nedges = 1
        for i in range(ntouched):
            node = touched[i]
            for a in range(arc_ptr[node], arc_ptr[node + 1]):
                e = arc_edge[a]
                if edge_mark[e] != p:
                    edge_mark[e] = p
                    edge_list[nedges] = e
                    nedges += 1
        for j in range(j_start, j_stop):
            budget = job_budget[j]
            if budget < 0:
                continue
            for i in range(nedges):
                e = edge_list[i]
                du, dv = dist[edge_u[e]], dist[edge_v[e]]
                tuv, tvu = time_uv[e], time_vu[e]
                k = 0
                if du <= budget:
                    lo[k] = 0.0
                    hi[k] = 1.0 if tuv <= 0 else min(1.0, (budget - du) / tuv)
                    k += 1
                if dv <= budget:
                    lo[k] = 0.0 if tvu <= 0 else max(0.0, 1.0 - (budget - dv) / tvu)
                    hi[k] = 1.0
                    k += 1
                if e == e0:
                    lo[k] = 0.0 if tvu <= 0 else max(0.0, f - budget / tvu)
                    hi[k] = 1.0 if tuv <= 0 else min(1.0, f + budget / tuv)
                    k += 1
                # Sort the (at most three) intervals by start and merge overlaps.
                for a in range(k):
                    for b in range(a + 1, k):
                        if lo[b] < lo[a]:
                            lo[a], lo[b] = lo[b], lo[a]
                            hi[a], hi[b] = hi[b], hi[a]
                merged = 0
                for a in range(k):
                    if merged > 0 and lo[a] <= hi[merged - 1]:
                        hi[merged - 1] = max(hi[merged - 1], hi[a])
                    else:
                        lo[merged], hi[merged] = lo[a], hi[a]
                        merged += 1
                for a in range(merged):
                    if hi[a] <= lo[a]:
                        continue
                    if count >= len(out_job):
                        out_job = _grow(out_job, count + 1)
                        out_edge = _grow(out_edge, count + 1)
                        out_f0 = _grow(out_f0, count + 1)
                        out_f1 = _grow(out_f1, count + 1)
                    out_job[count] = j
                    out_edge[count] = e
                    out_f0[count] = lo[a]
                    out_f1[count] = hi[a]
                    count += 1
        for i in range(ntouched):
            dist[touched[i]] = np.inf
    return out_job[:count], out_edge[:count], out_f0[:count], out_f1[:count]


@helper()
def _grow_xy(a: np.ndarray, need: int) -> np.ndarray:
    if need <= len(a):
        return a
    b = np.empty((max(need, 2 * len(a)), 2), dtype=a.dtype)
    for i in range(len(a)):
        b[i, 0] = a[i, 0]
        b[i, 1] = a[i, 1]
    return b


@helper()
def _append(out: np.ndarray, count: int, first: int, x: float, y: float) -> int:
    """Append a point unless it repeats the previous one of the same line."""
    if count > first and out[count - 1, 0] == x and out[count - 1, 1] == y:
        return count
    out[count, 0] = x
    out[count, 1] = y
    return count + 1


@helper()
def _cut(
    coord_ptr: np.ndarray,
    coords: np.ndarray,
    cum: np.ndarray,
    e: int,
    f0: float,
    f1: float,
    ox: float,
    oy: float,
    scale: float,
    out: np.ndarray,
    count: int,
) -> tuple[np.ndarray, int]:
    """Append the integer points of edge ``e`` from fraction ``f0`` to ``f1`` (no repeats)."""
    a, b = coord_ptr[e], coord_ptr[e + 1]
    out = _grow_xy(out, count + (b - a) + 2)
    first = count
    for f in (f0, -1.0, f1):
        if f < 0:  # the vertices strictly inside the piece
            for s in range(a, b):
                if f0 < cum[s] < f1:
                    x = np.rint((coords[s, 0] - ox) * scale)
                    y = np.rint((coords[s, 1] - oy) * scale)
                    count = _append(out, count, first, x, y)
            continue
        for s in range(a, b - 1):
            if cum[s + 1] >= f:
                span = cum[s + 1] - cum[s]
                w = 0.0 if span <= 0 else (f - cum[s]) / span
                x = np.rint((coords[s, 0] + w * (coords[s + 1, 0] - coords[s, 0]) - ox) * scale)
                y = np.rint((coords[s, 1] + w * (coords[s + 1, 1] - coords[s, 1]) - oy) * scale)
                count = _append(out, count, first, x, y)
                break
    return out, count


@kernel()
def outlines(
    coord_ptr: np.ndarray,
    coords: np.ndarray,
    cum: np.ndarray,
    edge_u: np.ndarray,
    edge_v: np.ndarray,
    n: int,
    piece_job: np.ndarray,
    piece_edge: np.ndarray,
    piece_f0: np.ndarray,
    piece_f1: np.ndarray,
    jobs: int,
    pattern: np.ndarray,
    ox: float,
    oy: float,
    scale: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per job, its pieces chained into trails and each trail's outline (Clipper units).

    Pieces meet at nodes; at each node the pair of piece ends closest to a straight line is
    joined first, then the next, so a street crossing becomes two through-trails. A trail's
    outline is its Minkowski sum with ``pattern`` (convex, corners counter-clockwise at
    angles ``2πk/N``): along each segment the corner farthest to the right, the corners
    between two directions at a convex turn, the trail's own vertex at a concave turn (whose
    reversed loop Clipper's positive fill drops), and half the pattern round each end. The
    outline runs counter-clockwise. Returns points, ring offsets and ring offsets per job.
    """
    corners = len(pattern)
    half = corners // 2
    step = 2.0 * np.pi / corners
    node_stamp = np.full(n, -1, dtype=np.int64)
    node_head = np.empty(n, dtype=np.int64)
    out = np.empty((4096, 2), dtype=np.int64)
    ring_ptr = np.zeros(256, dtype=np.int64)
    job_ring_ptr = np.zeros(jobs + 1, dtype=np.int64)
    pxy = np.empty((256, 2), dtype=np.float64)
    pptr = np.empty(64, dtype=np.int64)
    partner = np.empty(128, dtype=np.int64)
    end_next = np.empty(128, dtype=np.int64)
    visited = np.empty(64, dtype=np.bool_)
    touched = np.empty(64, dtype=np.int64)
    local = np.empty(16, dtype=np.int64)
    dir_x = np.empty(16)
    dir_y = np.empty(16)
    trail = np.empty((256, 2), dtype=np.float64)
    seg_k = np.empty(64, dtype=np.int64)
    turn = np.empty(64, dtype=np.int64)
    zero = int(np.int64(0))  # an int64 value, not a literal: see reach_pieces
    count = zero
    rings = zero
    start = zero
    total = len(piece_job)
    for job in range(jobs):
        stop = start
        while stop < total and piece_job[stop] == job:
            stop += 1
        pieces = stop - start
        # 1. The pieces' points.
        pptr = _grow(pptr, pieces + 1)
        pptr[0] = 0
        c = zero
        for i in range(pieces):
            q = start + i
            pxy, c = _cut(
                coord_ptr,
                coords,
                cum,
                piece_edge[q],
                piece_f0[q],
                piece_f1[q],
                ox,
                oy,
                scale,
                pxy,
                c,
            )
            pptr[i + 1] = c
        # 2. Piece ends at nodes (end 2i is piece i's start, 2i + 1 its end).
        partner = _grow(partner, 2 * pieces)
        end_next = _grow(end_next, 2 * pieces)
        partner[: 2 * pieces] = -1
        ntouched = zero
        for i in range(pieces):
            if pptr[i + 1] - pptr[i] < 2:
                continue  # a single point: a disc, joined to nothing
            q = start + i
            for side in range(2):
                if side == 0 and piece_f0[q] > 0.0:
                    continue
                if side == 1 and piece_f1[q] < 1.0:
                    continue
                node = edge_u[piece_edge[q]] if side == 0 else edge_v[piece_edge[q]]
                if node_stamp[node] != job:
                    node_stamp[node] = job
                    node_head[node] = -1
                    touched = _grow(touched, ntouched + 1)
                    touched[ntouched] = node
                    ntouched += 1
                end_next[2 * i + side] = node_head[node]
                node_head[node] = 2 * i + side
        # 3. At each node, join the straightest pairs of ends.
        for t in range(ntouched):
            d = zero
            x = node_head[touched[t]]
            while x >= 0:
                if d >= len(local):
                    local = _grow(local, d + 1)
                    dir_x = _grow(dir_x, len(local))
                    dir_y = _grow(dir_y, len(local))
                local[d] = x
                i = x // 2
                a = pptr[i] if x % 2 == 0 else pptr[i + 1] - 1
                b = a + 1 if x % 2 == 0 else a - 1
                dx, dy = pxy[b, 0] - pxy[a, 0], pxy[b, 1] - pxy[a, 1]
                norm = np.hypot(dx, dy)
                dir_x[d], dir_y[d] = dx / norm, dy / norm
                d += 1
                x = end_next[x]
            while True:
                best, ba, bb = 2.0, -1, -1
                for a in range(d):
                    if partner[local[a]] >= 0:
                        continue
                    for b in range(a + 1, d):
                        if partner[local[b]] < 0:
                            dot = dir_x[a] * dir_x[b] + dir_y[a] * dir_y[b]
                            if dot < best:
                                best, ba, bb = dot, a, b
                if ba < 0:
                    break
                partner[local[ba]] = local[bb]
                partner[local[bb]] = local[ba]
        # 4. Walk the trails (from free ends first, then round the cycles) and draw them.
        visited = _grow_b(visited, pieces)
        visited[:pieces] = False
        for sweep in range(2):
            for i in range(pieces):
                if visited[i]:
                    continue
                if sweep == 1 or partner[2 * i] < 0:
                    x = 2 * i
                elif partner[2 * i + 1] < 0:
                    x = 2 * i + 1
                else:
                    continue
                m = zero
                while True:
                    i_ = x // 2
                    visited[i_] = True
                    a, b = pptr[i_], pptr[i_ + 1]
                    trail = _grow_xy(trail, m + b - a)
                    for s in range(b - a):
                        s_ = a + s if x % 2 == 0 else b - 1 - s
                        m = _append(trail, m, zero, pxy[s_, 0], pxy[s_, 1])
                    x = partner[x ^ 1]
                    if x < 0 or visited[x // 2]:
                        break
                # Segment directions (corner index of the right normal) and turns.
                seg_k = _grow(seg_k, m)
                turn = _grow(turn, m)
                for s in range(m - 1):
                    angle = np.arctan2(trail[s + 1, 1] - trail[s, 1], trail[s + 1, 0] - trail[s, 0])
                    seg_k[s] = int(np.floor((angle - np.pi / 2) / step + 0.5)) % corners
                for s in range(1, m - 1):
                    ax, ay = trail[s, 0] - trail[s - 1, 0], trail[s, 1] - trail[s - 1, 1]
                    bx, by = trail[s + 1, 0] - trail[s, 0], trail[s + 1, 1] - trail[s, 1]
                    cross = ax * by - ay * bx
                    dot = ax * bx + ay * by
                    turn[s] = 1 if cross > 0 else (-1 if cross < 0 else (2 if dot < 0 else 0))
                out = _grow_xy(out, count + 2 * m * (half + 3) + 2 * half + 8)
                count = _draw(out, count, trail, m, seg_k, turn, pattern, half)
                rings += 1
                ring_ptr = _grow(ring_ptr, rings + 1)
                ring_ptr[rings] = count
        job_ring_ptr[job + 1] = rings
        start = stop
    return out[:count], ring_ptr[: rings + 1], job_ring_ptr


@helper()
def _grow_b(a: np.ndarray, need: int) -> np.ndarray:
    if need <= len(a):
        return a
    return np.empty(max(need, 2 * len(a)), dtype=a.dtype)


@helper()
def _put(out: np.ndarray, count: int, px: float, py: float, pattern: np.ndarray, k: int) -> int:
    out[count, 0] = np.int64(px) + pattern[k, 0]
    out[count, 1] = np.int64(py) + pattern[k, 1]
    return count + 1


@helper()
def _draw(
    out: np.ndarray,
    count: int,
    trail: np.ndarray,
    m: int,
    seg_k: np.ndarray,
    turn: np.ndarray,
    pattern: np.ndarray,
    half: int,
) -> int:
    """Append the outline of ``trail[:m]`` (see :func:`outlines`); returns the new count."""
    corners = 2 * half
    if m == 1:
        for k in range(corners):
            count = _put(out, count, trail[0, 0], trail[0, 1], pattern, k)
        return count
    for direction in range(2):
        forward = direction == 0
        first = 0 if forward else m - 1
        last = m - 1 if forward else 0
        k0 = seg_k[0] if forward else (seg_k[m - 2] + half) % corners
        count = _put(out, count, trail[first, 0], trail[first, 1], pattern, k0)
        for j in range(1, m - 1):
            s = j if forward else m - 1 - j  # the vertex
            kp = seg_k[s - 1] if forward else (seg_k[s] + half) % corners
            kn = seg_k[s] if forward else (seg_k[s - 1] + half) % corners
            t = turn[s] if forward or turn[s] == 2 else -turn[s]
            px, py = trail[s, 0], trail[s, 1]
            count = _put(out, count, px, py, pattern, kp)
            if t == 2:
                for i in range(1, half + 1):
                    count = _put(out, count, px, py, pattern, (kp + i) % corners)
            elif t > 0:
                for i in range(1, (kn - kp) % corners + 1):
                    count = _put(out, count, px, py, pattern, (kp + i) % corners)
            elif t < 0 and kn != kp:
                out[count, 0] = np.int64(px)
                out[count, 1] = np.int64(py)
                count += 1
                count = _put(out, count, px, py, pattern, kn)
        k1 = seg_k[m - 2] if forward else (seg_k[0] + half) % corners
        for i in range(half):  # the end cap, from the right corner round the front
            count = _put(out, count, trail[last, 0], trail[last, 1], pattern, (k1 + i) % corners)
    return count


@kernel()
def full_levels(
    piece_job: np.ndarray,
    piece_edge: np.ndarray,
    piece_f0: np.ndarray,
    piece_f1: np.ndarray,
    edge_cell: np.ndarray,
    cell_edges: np.ndarray,
) -> np.ndarray:
    """Per piece, the highest quadtree level whose cell its job reaches fully (-1: none).

    A cell is fully reached when every edge in it is one whole piece ``[0, 1]`` of the job.
    ``edge_cell[level, e]`` numbers cells over all levels; ``cell_edges`` is each cell's edge
    count. Pieces come grouped by job; a full cell's children are full too.
    """
    levels = edge_cell.shape[0]
    count = np.zeros(len(cell_edges), dtype=np.int64)
    touched = np.empty(len(cell_edges), dtype=np.int64)
    top = np.full(len(piece_job), -1, dtype=np.int64)
    total = len(piece_job)
    start = 0
    while start < total:
        stop = start
        while stop < total and piece_job[stop] == piece_job[start]:
            stop += 1
        ntouched = 0
        for q in range(start, stop):
            if piece_f0[q] <= 0.0 and piece_f1[q] >= 1.0:
                for level in range(levels):
                    c = edge_cell[level, piece_edge[q]]
                    if count[c] == 0:
                        touched[ntouched] = c
                        ntouched += 1
                    count[c] += 1
        for q in range(start, stop):
            if piece_f0[q] <= 0.0 and piece_f1[q] >= 1.0:
                for level in range(levels):
                    c = edge_cell[level, piece_edge[q]]
                    if count[c] != cell_edges[c]:
                        break
                    top[q] = level
        for i in range(ntouched):
            count[touched[i]] = 0
        start = stop
    return top
