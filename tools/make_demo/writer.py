"""Writing the synthetic town out: OSM XML 0.6, the tallies and the demo folder's README."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import numpy as np

from .frame import (
    COMMUNITIES,
    DEM_NAME,
    DEM_PIXEL_M,
    HALF_H,
    HALF_W,
    M_PER_DEG_LAT,
    M_PER_DEG_LON,
    NOTE,
    OSM_NAME,
    UNDER_SERVED,
    Point,
    to_lonlat,
)

# --------------------------------------------------------------------------- OSM model


@dataclass
class OsmBuilder:
    """Nodes, ways and relations in local metres, written out as OSM XML 0.6."""

    nodes: dict[int, tuple[float, float, dict[str, str]]] = field(default_factory=dict)
    ways: dict[int, tuple[list[int], dict[str, str]]] = field(default_factory=dict)
    relations: dict[int, tuple[list[tuple[str, int, str]], dict[str, str]]] = field(
        default_factory=dict
    )
    next_node: int = 10_000_001
    next_way: int = 20_000_001
    next_relation: int = 30_000_001

    def node(self, x: float, y: float, tags: dict[str, str] | None = None) -> int:
        """Add a node and return its id.

        Parameters
        ----------
        x, y : float
            Local coordinates, metres.
        tags : dict of str to str, optional
            The node's tags.

        Returns
        -------
        int
            The new node id.
        """
        nid = self.next_node
        self.next_node += 1
        self.nodes[nid] = (float(x), float(y), dict(tags or {}))
        return nid

    def way(self, refs: Sequence[int], tags: dict[str, str] | None = None) -> int:
        """Add a way over existing nodes and return its id.

        Parameters
        ----------
        refs : sequence of int
            Node ids in order.
        tags : dict of str to str, optional
            The way's tags.

        Returns
        -------
        int
            The new way id.
        """
        if len(refs) < 2:
            msg = f"a way needs at least two nodes, got {list(refs)}"
            raise ValueError(msg)
        wid = self.next_way
        self.next_way += 1
        self.ways[wid] = (list(refs), dict(tags or {}))
        return wid

    def polygon(
        self,
        pts: np.ndarray | Sequence[Point],
        tags: dict[str, str] | None = None,
        cache: dict[tuple[float, float], int] | None = None,
    ) -> int:
        """Add a closed way (the first node repeated at the end) and return its id.

        Parameters
        ----------
        pts : array-like
            Vertices, shape ``(n, 2)``, without the closing repeat.
        tags : dict of str to str, optional
            The way's tags.
        cache : dict, optional
            Node ids by rounded coordinate, so that polygons sharing a border share nodes.

        Returns
        -------
        int
            The new way id.
        """
        refs = []
        for x, y in np.asarray(pts, dtype=float):
            if cache is None:
                refs.append(self.node(x, y))
                continue
            key = (round(float(x), 3), round(float(y), 3))
            if key not in cache:
                cache[key] = self.node(x, y)
            refs.append(cache[key])
        return self.way([*refs, refs[0]], tags)

    def relation(self, members: Sequence[tuple[str, int, str]], tags: dict[str, str]) -> int:
        """Add a relation and return its id.

        Parameters
        ----------
        members : sequence of tuple
            ``(type, ref, role)`` triples.
        tags : dict of str to str
            The relation's tags (including ``type``).

        Returns
        -------
        int
            The new relation id.
        """
        rid = self.next_relation
        self.next_relation += 1
        self.relations[rid] = (list(members), dict(tags))
        return rid

    def to_xml(self, comment: str) -> bytes:
        """Serialise as OSM XML 0.6 (UTF-8), nodes, then ways, then relations.

        Parameters
        ----------
        comment : str
            Text of the XML comment placed before the root element.

        Returns
        -------
        bytes
            The document.
        """

        def attr(value: str) -> str:
            return '"' + escape(value, {'"': "&quot;"}) + '"'

        def tag_lines(tags: dict[str, str]) -> list[str]:
            return [f"    <tag k={attr(k)} v={attr(v)}/>" for k, v in tags.items()]

        lon_w, lat_s = to_lonlat(-HALF_W, -HALF_H)
        lon_e, lat_n = to_lonlat(HALF_W, HALF_H)
        lines = [
            "<?xml version='1.0' encoding='UTF-8'?>",
            f"<!-- {comment} -->",
            '<osm version="0.6" generator="yushu_circle tools/make_demo (synthetic demo)">',
            f'  <bounds minlat="{lat_s:.7f}" minlon="{lon_w:.7f}" '
            f'maxlat="{lat_n:.7f}" maxlon="{lon_e:.7f}"/>',
        ]
        for nid in sorted(self.nodes):
            x, y, tags = self.nodes[nid]
            lon, lat = to_lonlat(x, y)
            head = f'  <node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"'
            if tags:
                lines.append(head + ">")
                lines.extend(tag_lines(tags))
                lines.append("  </node>")
            else:
                lines.append(head + "/>")
        for wid in sorted(self.ways):
            refs, tags = self.ways[wid]
            lines.append(f'  <way id="{wid}" version="1">')
            lines.extend(f'    <nd ref="{ref}"/>' for ref in refs)
            lines.extend(tag_lines(tags))
            lines.append("  </way>")
        for rid in sorted(self.relations):
            members, tags = self.relations[rid]
            lines.append(f'  <relation id="{rid}" version="1">')
            lines.extend(
                f'    <member type="{kind}" ref="{ref}" role={attr(role)}/>'
                for kind, ref, role in members
            )
            lines.extend(tag_lines(tags))
            lines.append("  </relation>")
        lines.append("</osm>")
        return ("\n".join(lines) + "\n").encode("utf-8")


CATEGORY_ORDER = (
    "kindergarten", "nursery", "primary_school", "middle_school", "clinic", "pharmacy",
    "health_centre", "outpatient", "hospital", "elderly_daycare", "nursing_home", "care_home",
    "community_service_station", "community_canteen", "culture_station",
    "community_service_centre", "subdistrict_office", "culture_centre", "toilets",
    "small_sports_ground", "outdoor_fitness", "medium_sports_ground", "large_sports_ground",
    "sports_hall", "fitness", "supermarket", "market", "mall", "restaurant", "bank", "telecom",
    "post_office", "bus_stop", "park", "civilization_center", "civilization_institute",
    "civilization_station", "civilization_point",
)  # fmt: skip
"""The README's row order: the shipped catalog's category order (fixed here, so the README
does not change when another file does; tests check the keys against the catalog)."""


@dataclass
class Stats:
    """What the town holds, for the README and the command's output."""

    nodes: int
    ways: int
    relations: int
    street_nodes: int
    highways: dict[str, int]
    buildings: dict[str, int]
    addresses: int
    categories: dict[str, int]
    by_community: dict[str, Counter[str]]
    facilities: int
    walk_bridges: int


def readme_text(seed: int, stats: Stats, dem: dict[str, float]) -> str:
    """Return the demo folder's README.

    Parameters
    ----------
    seed : int
        Seed used.
    stats : Stats
        From :func:`town_stats`.
    dem : dict
        From :func:`write_dem`.

    Returns
    -------
    str
        Markdown text.
    """
    order = [*CATEGORY_ORDER, *sorted(k for k in stats.categories if k not in CATEGORY_ORDER)]
    letters = [c[0] for c in COMMUNITIES]
    head = "| category | all | " + " | ".join(letters) + " |"
    rule = "| --- | ---: |" + " ---: |" * len(letters)
    rows = []
    for key in order:
        label = f"`{key}`"
        counts = " | ".join(str(stats.by_community[c][key] or "–") for c in letters)
        rows.append(f"| {label} | {stats.categories.get(key, 0)} | {counts} |")
    table = "\n".join([head, rule, *rows])
    residential = sum(
        n
        for k, n in stats.buildings.items()
        if k in ("apartments", "residential", "house", "dormitory")
    )
    highways = ", ".join(f"{k} {n}" for k, n in stats.highways.items())
    buildings = ", ".join(f"`{k}` {n}" for k, n in stats.buildings.items())
    osm_row = (
        f"| `{OSM_NAME}` | OSM XML 0.6, bz2: {stats.nodes:,} nodes, {stats.ways:,} ways, "
        f"{stats.relations} relations |"
    )
    dem_row = (
        f"| `{DEM_NAME}` | DEM GeoTIFF, float32, EPSG:4326, {dem['width']:.0f} × "
        f"{dem['height']:.0f} pixels of {DEM_PIXEL_M:.0f} m, "
        f"{dem['zmin']:.0f}–{dem['zmax']:.0f} m |"
    )
    return f"""# Embedded demo: a synthetic town at Jiegu (示例数据)

**Everything in this folder is synthetic demo data (示例数据): not OpenStreetMap data, not
survey data.** It is a made-up valley town placed at Jiegu subdistrict (结古街道), Yushu city
(玉树市), Qinghai, around 33.005° N, 97.010° E, so that `yushu_circle` can run its whole flow
offline. Every name says so (`示例… Demo … (synthetic)`), every named feature carries
`note={NOTE}`, the OSM file opens with an XML comment saying the same, and the DEM's
metadata says so too. Do not use it to describe the real Yushu.

## How it was made

```
python -m tools.make_demo            # seed {seed}; writes the three files below
python -m tools.make_demo --seed 7   # another town from the same recipe
```

The script needs only numpy and rasterio and runs in a few seconds. It is deterministic: the
same seed gives byte-identical files (no timestamps; bz2 level 9). Shapes are built in a
local metric frame (x east, y north, metres, origin at 33.005° N, 97.010° E) and converted
with an equirectangular projection, `lat = 33.005 + y / {M_PER_DEG_LAT:.4f}` and
`lon = 97.010 + x / {M_PER_DEG_LON:.4f}`, written with 7 decimals.

## Files

| file | content |
| --- | --- |
{osm_row}
{dem_row}
| `README.md` | this file, written by the script |

## What the town holds

- **Valley and river.** A river (示例河 Demo River: a `waterway=river` line, a
  `natural=water` + `water=river` area and a `type=waterway` relation) runs west to east.
  The DEM puts the river at about {dem["river"]:.0f} m, falling 8 m downstream; within the
  town the valley sides rise 60–150 m, steepest at the top of the north side, so the housing
  on the slopes is uphill of the river (the DEM keeps rising beyond the town).
- **Crossings.** People can cross the river on only **{stats.walk_bridges} bridges** (two
  road bridges and a footbridge; `bridge=yes`, `layer=1`, split at the abutments), so
  straight-line and walking distances across the river differ a lot. A `highway=trunk`
  bypass (`foot=no`, `motorroad=yes`) runs along the south slope and crosses on its own
  viaduct: it is **not walkable** and must not serve as a crossing.
- **Streets** ({stats.street_nodes:,} street nodes; every junction is a shared node).
  Ways by `highway`: {highways}.
  A primary avenue follows the north bank and a secondary road the south bank;
  residential streets climb the valley sides in irregular, curved blocks with dead ends;
  three `highway=steps` flights (with footway approaches) and two footways climb the steepest
  slopes; there are diagonal footpaths, a riverside walk, alleys and cul-de-sacs, one
  `oneway=yes` street (still walkable both ways) and one `access=private` driveway.
- **Communities (社区).** Six, A–F, each a `landuse=residential` area and a separate
  `boundary=administrative` + `admin_level=10` closed way (the north-bank boundaries share
  their border nodes). A–D are on the north bank, E and F on the south bank. The town centre
  between the avenue and North Road 1 is `landuse=commercial`.
- **Under-served community {UNDER_SERVED}** (south bank, west): it has only a convenience
  shop, an ATM (not a bank), a post box, toilets, a fitness station, a community service
  station and a pilot civilization-practice family point, and no clinic, kindergarten,
  school, pharmacy, bank, market, bus stop or civilization-practice station. Community
  A's kindergarten is a few hundred metres away across the river, but the nearest bridge is
  0.6–1.1 km east, so the walk there is about four times the straight line.
- **Buildings** ({sum(stats.buildings.values()):,} closed ways).
  By `building`: {buildings}.
  {residential:,} carry a housing value; `building=yes` stands both inside residential areas
  (about 15% of the houses there) and in the town centre, where it is not housing;
  `commercial`, `retail`, `school`, `hospital`, `kindergarten` and `public` buildings are not
  housing. Most have `building:levels`; {stats.addresses} have `addr:street` and
  `addr:housenumber`. No population is given: the tool estimates it.
- **Facilities** ({stats.facilities} features: nodes, closed ways and two multipolygon
  relations, a campus split by a street and a park with a pond as inner ring) cover every
  category of the shipped catalog, with the tagging edge cases a matcher must handle: a
  school with `isced:level=1`; one with `school=primary`; one with `isced:level=2;3`;
  示例第一中学 with only `amenity=school` and a name; a bare `amenity=school` named 示例学校;
  a 九年一贯制 school; `amenity=childcare` (not a kindergarten); `healthcare=clinic` without
  `amenity`; `amenity=doctors`; `shop=chemist`; `amenity=atm` and `amenity=post_box`
  (neither a bank nor a post office); `amenity=nursing_home` beside
  `amenity=social_facility`; `place=square`; a `public_transport=platform` + `bus=yes` stop
  without `highway=bus_stop`; and shops mapped as nodes inside residential buildings.
- **Civilization practice (新时代文明实践, synthetic).** The tiers Yushu reports its living
  circle by, mapped the way OSM would most likely hold them (`amenity=community_centre`
  with the tier in the name, every name marked 示例 … (synthetic)): one
  新时代文明实践中心 (centre) and one 结古街道新时代文明实践所 (institute) in the town
  centre, a 新时代文明实践站 (station) in each community except {UNDER_SERVED}, and three
  新时代文明实践点 (points: a playground and a day-care courtyard on the north bank, a pilot
  family point in {UNDER_SERVED}). Community {UNDER_SERVED} is deliberately beyond 15
  minutes' walk of every station: the nearest is across the river, past the bridge.
- **Finer categories of the standard** (the catalog splits health station / health centre /
  outpatient department, day care / nursing home / care home, community service station /
  subdistrict centre, culture station / centre, and the sports grounds by size). Beside
  their bigger siblings: two more elderly day care centres, a 老年养护院 care home, an
  outpatient department (门诊部), two culture stations (文化活动站), the subdistrict's
  community service centre, a community canteen (`amenity=canteen`), a telecom office
  (`office=telecommunication`), two restaurants and a stadium (`leisure=stadium`).

Facilities per category and community, as the generator meant them (a feature may count for
two categories; the bare school counts as primary through the catalog's fallback):

{table}

## Reading it

```python
import osmnx as ox
ox.settings.useful_tags_way = [*ox.settings.useful_tags_way, "foot"]
G = ox.graph_from_xml("data/demo/{OSM_NAME}", simplify=False, retain_all=True)
```

`graph_from_xml` turns **every** way into edges (buildings, landuse, the river and the
boundaries too) and by default drops the `foot` tag, so keep `foot`, then keep only walkable
`highway` ways (drop `foot=no`, `access=private`, `highway=trunk*`/`motorway*`) before
simplifying. `ox.features_from_xml` reads the buildings, facilities, landuse and boundaries
as polygons. `ox.elevation.add_node_elevations_raster` reads the DEM directly on the
unprojected graph.
"""
