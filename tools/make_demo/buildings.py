"""The synthetic town's land use, community boundaries and houses."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from .frame import (
    COMMERCIAL_U,
    COMMERCIAL_V,
    COMMUNITIES,
    HALF_W,
    Point,
    bank_xy,
    demo_name,
    densify,
    named,
    point_in_polygon,
    rectangle,
    river_y,
    vmax_north,
)
from .state import TownState


class Buildings(TownState):
    """Land use, community boundaries and the houses along the streets."""

    # ----------------------------------------------------------------- land use

    def outline_uv(self, bank: str, corners: Sequence[Point]) -> np.ndarray:
        """Map a (u, v) outline to local metres, densified, following the town's top edge.

        Parameters
        ----------
        bank : {"N", "S"}
            Which bank's grid coordinates.
        corners : sequence of tuple of float
            Outline vertices in (u, v); a vertex with ``v`` of ``inf`` follows the top edge.

        Returns
        -------
        numpy.ndarray
            Vertices, shape ``(n, 2)``.
        """
        pts: list[Point] = []
        ring = [*corners, corners[0]]
        for (ua, va), (ub, vb) in itertools.pairwise(ring):
            if math.isinf(va) and math.isinf(vb):
                n = max(1, math.ceil(abs(ub - ua) / 40.0))
                for k in range(n):
                    u = ua + (ub - ua) * k / n
                    pts.append((u, self.top_v(bank, u)))
                continue
            a = (ua, self.top_v(bank, ua) if math.isinf(va) else va)
            b = (ub, self.top_v(bank, ub) if math.isinf(vb) else vb)
            pts.extend(densify([a, b], 40.0)[:-1])
        xy = bank_xy(bank, np.array([p[0] for p in pts]), np.array([p[1] for p in pts]))
        xy[:, 0] = np.clip(xy[:, 0], -HALF_W + 2.0, HALF_W - 2.0)
        return xy

    @staticmethod
    def top_v(bank: str, u: float) -> float:
        """Return the ``v`` of the town's upper edge (where the landuse ends).

        Parameters
        ----------
        bank : {"N", "S"}
            Which bank.
        u : float
            Grid coordinate along the valley.

        Returns
        -------
        float
            ``v`` of the top edge, metres.
        """
        return vmax_north(u) + 70.0 if bank == "N" else 440.0

    def build_landuse(self) -> None:
        """Compute the residential and commercial landuse outlines (written later)."""
        inf = math.inf
        c0, c1 = COMMERCIAL_U
        v0, v1 = COMMERCIAL_V
        for letter, bank, u0, u1 in COMMUNITIES:
            a, b = u0 + 8.0, u1 - 8.0
            if letter == "B":
                corners = [(a, 12.0), (c0, 12.0), (c0, 110.0), (b, 110.0), (b, inf), (a, inf)]
            elif letter == "C":
                corners = [(a, 110.0), (c1, 110.0), (c1, 12.0), (b, 12.0), (b, inf), (a, inf)]
            else:
                corners = [(a, 12.0), (b, 12.0), (b, inf), (a, inf)]
            self.landuse[letter] = self.outline_uv(bank, corners)
        self.commercial = self.outline_uv("N", [(c0, v0), (c1, v0), (c1, v1), (c0, v1)])

    def write_landuse(self) -> None:
        """Write landuse polygons and the community (admin_level=10) boundaries."""
        for letter, _, _, _ in COMMUNITIES:
            self.osm.polygon(
                self.landuse[letter],
                named(
                    demo_name(f"社区{letter}居住区", f"Community {letter} Residential Area"),
                    {"landuse": "residential"},
                ),
            )
        self.osm.polygon(
            self.commercial,
            named(demo_name("商业区", "Town Centre"), {"landuse": "commercial"}),
        )
        inf = math.inf
        shared: dict[tuple[float, float], int] = {}
        for letter, bank, u0, u1 in COMMUNITIES:
            outline = self.outline_uv(bank, [(u0, -45.0), (u1, -45.0), (u1, inf), (u0, inf)])
            self.osm.polygon(
                outline,
                named(
                    demo_name(f"社区{letter}", f"Community {letter}"),
                    {"boundary": "administrative", "admin_level": "10"},
                ),
                cache=shared if bank == "N" else None,
            )

    def community_of(self, x: float, y: float) -> str | None:
        """Return the letter of the residential landuse that holds a point.

        Parameters
        ----------
        x, y : float
            Local coordinates, metres.

        Returns
        -------
        str or None
            Community letter, ``"commercial"`` or None.
        """
        shapes = [*self.landuse.items(), ("commercial", self.commercial)]
        for letter, poly in shapes:
            lo, hi = poly.min(axis=0), poly.max(axis=0)
            inside_box = lo[0] <= x <= hi[0] and lo[1] <= y <= hi[1]
            if inside_box and point_in_polygon(x, y, [(float(a), float(b)) for a, b in poly]):
                return letter
        return None

    # ----------------------------------------------------------------- buildings

    def build_houses(self) -> None:
        """Place small buildings along the streets and tag them by place and height."""
        rng = self.rng
        counter = Counter[str]()
        for front in self.frontages:
            line = front.line
            seg = np.diff(line, axis=0)
            seg_len = np.hypot(seg[:, 0], seg[:, 1])
            cum = np.concatenate([[0.0], np.cumsum(seg_len)])
            total = float(cum[-1])
            s = 11.0 + float(rng.uniform(0.0, 6.0))
            while s < total - 11.0:
                k = min(int(np.searchsorted(cum, s, side="right")) - 1, len(seg) - 1)
                t = (s - cum[k]) / seg_len[k]
                p = line[k] + seg[k] * t
                tangent = seg[k] / seg_len[k]
                normal = np.array([-tangent[1], tangent[0]])
                for side in front.sides:
                    if rng.random() > 0.9:
                        continue
                    setback = front.half_width + float(rng.uniform(3.0, 6.0))
                    for _ in range(2):
                        width = float(rng.uniform(10.0, 24.0))
                        depth = float(rng.uniform(10.0, 17.0))
                        turn = float(rng.uniform(-0.08, 0.08))
                        along = (
                            tangent[0] * math.cos(turn) - tangent[1] * math.sin(turn),
                            tangent[0] * math.sin(turn) + tangent[1] * math.cos(turn),
                        )
                        centre = p + normal * side * (setback + depth / 2.0)
                        c = (float(centre[0]), float(centre[1]))
                        rect = rectangle(c, along, width, depth)
                        if self.mask.is_free(rectangle(c, along, width + 4.0, depth + 4.0)):
                            self.mask.mark(rect)
                            tags = self.house_tags(rect, front.name, counter)
                            if tags is not None:
                                wid = self.osm.polygon(rect, tags)
                                self.buildings.append((wid, rect, tags))
                        if rng.random() > 0.45:
                            break
                        setback += depth + float(rng.uniform(6.0, 10.0))
                s += float(rng.uniform(20.0, 30.0))

    def house_tags(
        self, rect: np.ndarray, street: str | None, counter: Counter[str]
    ) -> dict[str, str] | None:
        """Choose a building's tags from where it stands.

        Parameters
        ----------
        rect : numpy.ndarray
            The building's corners.
        street : str or None
            Name of the street it faces (for the occasional address).
        counter : collections.Counter
            House numbers used so far per street.

        Returns
        -------
        dict of str to str or None
            The tags, or None to leave the lot empty.
        """
        rng = self.rng
        cx, cy = (float(c) for c in rect.mean(axis=0))
        where = self.community_of(cx, cy)
        if where is None:
            return None
        if where == "commercial":
            value = str(rng.choice(["commercial", "retail", "yes", "commercial"]))
            return {"building": value, "building:levels": str(int(rng.integers(2, 5)))}
        height = float(self.terrain.z(cx, cy)) - float(self.terrain.z(cx, river_y(cx)))
        roll = rng.random()
        if roll < 0.15:
            return {"building": "yes"}
        if roll < 0.18 and height < 20.0:
            value = str(rng.choice(["commercial", "retail"]))
            return {"building": value, "building:levels": "2"}
        if height < 15.0:
            value = str(
                rng.choice(["apartments"] * 11 + ["residential"] * 7 + ["dormitory", "house"])
            )
        elif height < 45.0:
            value = str(rng.choice(["residential"] * 5 + ["apartments"] * 2 + ["house"] * 3))
        else:
            value = str(rng.choice(["house"] * 7 + ["residential"] * 3))
        tags = {"building": value}
        if rng.random() < 0.65:
            levels = {"apartments": (4, 8), "residential": (2, 5), "dormitory": (3, 6)}
            lo, hi = levels.get(value, (1, 3))
            tags["building:levels"] = str(int(rng.integers(lo, hi)))
        if street is not None and rng.random() < 0.04:
            counter[street] += 1
            tags["addr:street"] = street
            tags["addr:housenumber"] = str(counter[street] * 2 - 1)
        return tags
