"""The synthetic town's facilities: grounds, point facilities and bus stops."""

from __future__ import annotations

import math

import numpy as np

from .frame import (
    CELL,
    COMMUNITIES,
    HALF_H,
    HALF_W,
    Point,
    bank_xy,
    demo_name,
    ellipse,
    named,
    road_y,
)
from .state import Facility, TownState


class Facilities(TownState):
    """Facilities mapped as areas, as nodes, and the bus stops."""

    def facility_area(
        self,
        g: int,
        target: Point,
        tags: dict[str, str],
        categories: tuple[str, ...],
        community: str,
        share: float = 0.55,
        building: str | None = None,
        wanted: float = 1e9,
    ) -> np.ndarray:
        """Add a facility mapped as a closed way (grounds), optionally with a building.

        Parameters
        ----------
        g : int
            Grid index.
        target : tuple of float
            Wanted (u, v).
        tags : dict of str to str
            The facility's tags (with name and note).
        categories : tuple of str
            Catalog categories it is meant to count for (README only).
        community : str
            Community letter (README only).
        share : float
            Share of the block it takes.
        building : str, optional
            ``building=*`` value of a building drawn inside the grounds.
        wanted : float
            Largest side, metres.

        Returns
        -------
        numpy.ndarray
            The grounds' corners.
        """
        key = self.take_block(g, *target)
        rect = self.lot(g, key, share, wanted)
        self.osm.polygon(rect, tags)
        if building:
            self.inner_building(rect, building)
        self.facilities.append(Facility(tags["name"], categories, "way", community, tags))
        return rect

    def build_facility_areas(self) -> None:
        """Add the facilities mapped as areas, including two multipolygon relations."""
        n = 0  # north grid
        e = 2  # south-east grid
        self.facility_area(
            n,
            (-850.0, 250.0),
            named(
                demo_name("明德学校", "Mingde School"), {"amenity": "school", "isced:level": "1"}
            ),
            ("primary_school",),
            "A",
            building="school",
        )
        self.facility_area(
            n,
            (-380.0, 350.0),
            named(
                demo_name("九年一贯制学校", "Nine-Year School"),
                {"amenity": "school", "grades": "1-9"},
            ),
            ("primary_school", "middle_school"),
            "B",
            share=0.6,
            building="school",
        )
        self.facility_area(
            e,
            (650.0, 150.0),
            named(
                demo_name("三江源学校", "Sanjiangyuan School"),
                {"amenity": "school", "isced:level": "2;3"},
            ),
            ("middle_school",),
            "E",
            building="school",
        )
        # 示例第一中学: one campus split by a street, mapped as a multipolygon of two outers.
        first = self.take_block(n, 320.0, 250.0)
        second = (first[0] + 1, first[1])
        if (n, *second) in self.used_blocks or second not in self.blocks(n):
            second = (first[0] - 1, first[1])
        self.used_blocks.add((n, *second))
        outers = []
        for key in (first, second):
            rect = self.lot(n, key, 0.55)
            outers.append(self.osm.polygon(rect))
            self.inner_building(rect, "school")
        school = named(demo_name("第一中学", "No. 1 Middle School"), {"amenity": "school"})
        self.osm.relation([("way", w, "outer") for w in outers], {"type": "multipolygon", **school})
        self.facilities.append(
            Facility(school["name"], ("middle_school",), "relation", "C", school)
        )
        # A park with a pond: multipolygon with an inner ring that is itself a water area.
        key = self.take_block(n, -150.0, 250.0)
        rect = self.lot(n, key, 0.7)
        centre, along, width, depth = self.block_frame(n, key)
        pond = ellipse(centre, along, width * 0.16, depth * 0.14, 12)
        outer = self.osm.polygon(rect)
        inner = self.osm.polygon(
            pond, named(demo_name("湖", "Pond"), {"natural": "water", "water": "pond"})
        )
        park = named(demo_name("格萨尔公园", "Gesar Park"), {"leisure": "park"})
        self.osm.relation(
            [("way", outer, "outer"), ("way", inner, "inner")], {"type": "multipolygon", **park}
        )
        self.facilities.append(Facility(park["name"], ("park",), "relation", "B", park))
        # Town centre (commercial strip between the avenue and North Road 1).
        self.facility_area(
            n,
            (-230.0, 50.0),
            named(demo_name("商场", "Mall"), {"shop": "mall", "building": "commercial"}),
            ("mall",),
            "B",
            share=0.6,
        )
        self.facility_area(
            n,
            (-90.0, 50.0),
            named(demo_name("农贸市场", "Fresh Market"), {"amenity": "marketplace"}),
            ("market",),
            "B",
        )
        self.facility_area(
            n,
            (60.0, 50.0),
            named(demo_name("广场", "Square"), {"place": "square", "surface": "paving_stones"}),
            ("park",),
            "C",
            share=0.6,
        )
        self.facility_area(
            n,
            (470.0, 150.0),
            named(
                demo_name("人民医院", "People's Hospital"),
                {"amenity": "hospital", "healthcare": "hospital"},
            ),
            ("hospital",),
            "C",
            share=0.6,
            building="hospital",
        )
        self.facility_area(
            n,
            (-470.0, 50.0),
            named(
                demo_name("超市", "Supermarket"),
                {"shop": "supermarket", "building": "retail", "building:levels": "2"},
            ),
            ("supermarket", "market"),
            "B",
            wanted=45.0,
        )
        self.facility_area(
            n,
            (180.0, 450.0),
            named(demo_name("幼儿园2", "Kindergarten 2"), {"amenity": "kindergarten"}),
            ("kindergarten",),
            "C",
            building="kindergarten",
        )
        self.facility_area(
            n,
            (520.0, 550.0),
            named(
                demo_name("养老院", "Nursing Home"),
                {
                    "amenity": "social_facility",
                    "social_facility": "nursing_home",
                    "social_facility:for": "senior",
                },
            ),
            ("nursing_home",),
            "C",
            building="public",
        )
        self.facility_area(
            n,
            (820.0, 250.0),
            named(demo_name("体育中心", "Sports Centre"), {"leisure": "sports_centre"}),
            ("sports_hall",),
            "D",
            share=0.65,
        )
        self.facility_area(
            n,
            (560.0, 350.0),
            named(
                demo_name("篮球场", "Basketball Court"), {"leisure": "pitch", "sport": "basketball"}
            ),
            ("small_sports_ground", "medium_sports_ground"),
            "C",
            wanted=40.0,
        )
        self.facility_area(
            e,
            (330.0, 250.0),
            named(demo_name("足球场", "Football Pitch"), {"leisure": "pitch", "sport": "soccer"}),
            ("small_sports_ground", "medium_sports_ground"),
            "E",
            share=0.6,
        )
        self.facility_area(
            n,
            (-700.0, 450.0),
            named(demo_name("儿童乐园1", "Playground 1"), {"leisure": "playground"}),
            ("park",),
            "A",
            wanted=40.0,
        )

    # ----------------------------------------------------------------- point facilities

    def poi(
        self,
        bank: str,
        u: float,
        v: float,
        tags: dict[str, str],
        categories: tuple[str, ...],
        community: str,
        in_building: bool = False,
    ) -> int:
        """Add a facility mapped as a node near (u, v), off the carriageway.

        Parameters
        ----------
        bank : {"N", "S"}
            Which bank's grid coordinates.
        u, v : float
            Wanted grid position.
        tags : dict of str to str
            The node's tags.
        categories : tuple of str
            Catalog categories it is meant to count for (README only).
        community : str
            Community letter (README only).
        in_building : bool
            Put the node inside the nearest residential building (a ground-floor shop).

        Returns
        -------
        int
            The node id.
        """
        x, y = (float(c) for c in bank_xy(bank, u, v))
        if in_building:
            best = None
            for _, rect, btags in self.buildings:
                if btags["building"] in ("apartments", "residential", "yes"):
                    c = rect.mean(axis=0)
                    d = math.hypot(float(c[0]) - x, float(c[1]) - y)
                    if best is None or d < best[0]:
                        best = (d, float(c[0]), float(c[1]))
            if best is not None and best[0] < 80.0:
                x, y = best[1], best[2]
        else:
            x, y = self._off_road(x, y)
        nid = self.osm.node(x, y, tags)
        self.facilities.append(Facility(tags.get("name", ""), categories, "node", community, tags))
        return nid

    def _off_road(self, x: float, y: float) -> Point:
        """Return the nearest point to (x, y) that is off every street.

        Parameters
        ----------
        x, y : float
            Wanted position, local metres.

        Returns
        -------
        tuple of float
            A position outside the street mask.
        """
        assert self.road_mask is not None
        fallback: Point | None = None
        for r in np.arange(0.0, 60.0, 2.0):
            for a in np.linspace(0.0, 2.0 * np.pi, 16, endpoint=False):
                px, py = x + r * math.cos(a), y + r * math.sin(a)
                ix = int((px + HALF_W) // CELL)
                iy = int((py + HALF_H) // CELL)
                if not (0 <= ix < self.mask.nx and 0 <= iy < self.mask.ny):
                    continue
                if self.road_mask[iy, ix]:
                    continue
                if not self.mask.grid[iy, ix]:
                    return px, py
                if fallback is None:
                    fallback = (px, py)
        if fallback is None:
            msg = f"no room off the streets near ({x:.0f}, {y:.0f})"
            raise RuntimeError(msg)
        return fallback

    def build_pois(self) -> None:
        """Add the facilities mapped as nodes, community by community."""
        a = self.poi

        def n(zh: str, en: str, tags: dict[str, str]) -> dict[str, str]:
            return named(demo_name(zh, en), tags)

        # Community A (north-west): well served on its own bank.
        a("N", -950.0, 45.0, n("幼儿园1", "Kindergarten 1", {"amenity": "kindergarten"}),
          ("kindergarten",), "A")  # fmt: skip
        a("N", -760.0, 150.0,
          n("社区卫生服务站1", "Community Health Station 1",
            {"amenity": "clinic", "healthcare": "clinic"}), ("clinic",), "A")  # fmt: skip
        a("N", -1040.0, 140.0, n("药店1", "Pharmacy 1",
          {"amenity": "pharmacy", "healthcare": "pharmacy"}), ("pharmacy",), "A", True)  # fmt: skip
        a("N", -900.0, 150.0, n("便利店1", "Convenience Shop 1", {"shop": "convenience"}),
          ("supermarket",), "A", True)  # fmt: skip
        a("N", -640.0, 350.0, n("便利店2", "Convenience Shop 2", {"shop": "convenience"}),
          ("supermarket",), "A", True)  # fmt: skip
        a("N", -820.0, 350.0, n("社区A服务站", "Community A Service Station",
          {"amenity": "community_centre"}), ("community_service_station",), "A")  # fmt: skip
        a("N", -1000.0, 330.0, n("健身点1", "Fitness Station 1", {"leisure": "fitness_station"}),
          ("outdoor_fitness",), "A")  # fmt: skip
        a("N", -1080.0, 40.0, n("公厕1", "Toilets 1", {"amenity": "toilets"}), ("toilets",), "A")
        # Community B (north, west of the centre).
        a("N", -300.0, 450.0, n("诊所2", "Clinic 2", {"healthcare": "clinic"}), ("clinic",), "B")
        a("N", -420.0, 200.0, n("日间照料中心", "Elderly Day Care Centre",
          {"amenity": "social_facility", "social_facility": "day_care",
           "social_facility:for": "senior"}), ("elderly_daycare",), "B")  # fmt: skip
        a(
            "N",
            -250.0,
            150.0,
            n("图书馆", "Library", {"amenity": "library"}),
            ("culture_centre",),
            "B",
        )
        a("N", -520.0, 450.0, n("托育中心", "Childcare Centre", {"amenity": "childcare"}),
          ("nursery",), "B")  # fmt: skip
        a("N", -150.0, 420.0, n("社区B服务站", "Community B Service Station",
          {"amenity": "community_centre"}), ("community_service_station",), "B")  # fmt: skip
        a("N", -350.0, 550.0, n("便利店3", "Convenience Shop 3", {"shop": "convenience"}),
          ("supermarket",), "B", True)  # fmt: skip
        a("N", -480.0, 300.0, n("药店2", "Pharmacy 2", {"amenity": "pharmacy"}),
          ("pharmacy",), "B", True)  # fmt: skip
        a("N", -420.0, 560.0, n("邮筒1", "Post Box 1", {"amenity": "post_box"}), (), "B")
        a("N", -280.0, 600.0, n("儿童乐园2", "Playground 2", {"leisure": "playground"}),
          ("park",), "B")  # fmt: skip
        # Town centre (commercial strip).
        a("N", -160.0, 20.0, n("结古街道办事处", "Jiegu Subdistrict Office",
          {"amenity": "townhall", "townhall:type": "subdistrict"}),
          ("subdistrict_office",), "B")  # fmt: skip
        a("N", 0.0, 85.0, n("政务服务中心", "Government Service Centre",
          {"office": "government"}), (), "C")  # fmt: skip
        a("N", -280.0, 90.0, n("银行1", "Bank 1", {"amenity": "bank"}), ("bank",), "B")
        a("N", 140.0, 20.0, n("银行2", "Bank 2", {"amenity": "bank"}), ("bank",), "C")
        a("N", 200.0, 85.0, n("ATM1", "ATM 1", {"amenity": "atm"}), (), "C")
        a("N", -20.0, 20.0, n("邮政局", "Post Office", {"amenity": "post_office"}),
          ("post_office",), "B")  # fmt: skip
        a("N", 260.0, 40.0, n("百货大楼", "Department Store", {"shop": "department_store"}),
          ("mall",), "C")  # fmt: skip
        a("N", 100.0, 90.0, n("药店3", "Pharmacy 3", {"amenity": "pharmacy"}), ("pharmacy",), "C")
        a("N", -120.0, 90.0, n("公厕2", "Toilets 2", {"amenity": "toilets"}), ("toilets",), "B")
        # Community C (north, east of the centre).
        a("N", 250.0, 330.0, n("社区卫生服务中心", "Community Health Centre",
          {"amenity": "clinic", "healthcare": "centre"}), ("health_centre",), "C")  # fmt: skip
        a("N", 380.0, 450.0, n("健身房", "Gym", {"leisure": "fitness_centre"}),
          ("fitness",), "C", True)  # fmt: skip
        a("N", 560.0, 250.0, n("第二小学", "No. 2 Primary School", {"amenity": "school"}),
          ("primary_school",), "C")  # fmt: skip
        a("N", 300.0, 550.0, n("社区C服务站", "Community C Service Station",
          {"amenity": "community_centre"}), ("community_service_station",), "C")  # fmt: skip
        a("N", 130.0, 250.0, n("文化活动中心", "Cultural Centre", {"amenity": "arts_centre"}),
          ("culture_centre",), "C")  # fmt: skip
        a("N", 450.0, 620.0, n("便利店4", "Convenience Shop 4", {"shop": "convenience"}),
          ("supermarket",), "C", True)  # fmt: skip
        a("N", 600.0, 450.0, n("公厕3", "Toilets 3", {"amenity": "toilets"}), ("toilets",), "C")
        a("N", 150.0, 600.0, n("儿童乐园3", "Playground 3", {"leisure": "playground"}),
          ("park",), "C")  # fmt: skip
        # Community D (north-east).
        a("N", 950.0, 350.0, n("育才学校", "Yucai School",
          {"amenity": "school", "school": "primary"}), ("primary_school",), "D")  # fmt: skip
        a("N", 1050.0, 150.0, n("幼儿园3", "Kindergarten 3", {"amenity": "kindergarten"}),
          ("kindergarten",), "D")  # fmt: skip
        a("N", 760.0, 120.0, n("诊所3", "Clinic 3", {"amenity": "doctors"}), ("clinic",), "D")
        a("N", 880.0, 60.0, n("药店4", "Pharmacy 4", {"shop": "chemist"}),
          ("pharmacy",), "D", True)  # fmt: skip
        a("N", 1000.0, 450.0, n("便利店5", "Convenience Shop 5", {"shop": "convenience"}),
          ("supermarket",), "D", True)  # fmt: skip
        a("N", 700.0, 60.0, n("蔬菜店", "Greengrocer", {"shop": "greengrocer"}),
          ("market",), "D", True)  # fmt: skip
        a("N", 1120.0, 60.0, n("肉店", "Butcher", {"shop": "butcher"}), ("market",), "D", True)
        a("N", 700.0, 430.0, n("儿童乐园4", "Playground 4", {"leisure": "playground"}),
          ("park",), "D")  # fmt: skip
        a("N", 1100.0, 300.0, n("健身点2", "Fitness Station 2", {"leisure": "fitness_station"}),
          ("outdoor_fitness",), "D")  # fmt: skip
        a("N", 880.0, 420.0, n("社区D服务站", "Community D Service Station",
          {"amenity": "community_centre"}), ("community_service_station",), "D")  # fmt: skip
        a("N", 780.0, 500.0, n("敬老院", "Old People's Home", {"amenity": "nursing_home"}),
          ("nursing_home",), "D")  # fmt: skip
        a("N", 1000.0, 220.0, n("银行3", "Bank 3", {"amenity": "bank"}), ("bank",), "D")
        # Community E (south bank, east): reached over two bridges.
        a("S", 200.0, 140.0, n("学校", "School", {"amenity": "school"}),
          ("primary_school",), "E")  # fmt: skip
        a("S", 480.0, 60.0, n("幼儿园4", "Kindergarten 4", {"amenity": "kindergarten"}),
          ("kindergarten",), "E")  # fmt: skip
        a("S", 420.0, 150.0, n("社区卫生服务站5", "Community Health Station 5",
          {"amenity": "clinic"}), ("clinic",), "E")  # fmt: skip
        a("S", 300.0, 60.0, n("便利店6", "Convenience Shop 6", {"shop": "convenience"}),
          ("supermarket",), "E", True)  # fmt: skip
        a("S", 700.0, 300.0, n("社区E服务站", "Community E Service Station",
          {"amenity": "community_centre"}), ("community_service_station",), "E")  # fmt: skip
        a("S", 800.0, 150.0, n("药店5", "Pharmacy 5", {"amenity": "pharmacy"}),
          ("pharmacy",), "E", True)  # fmt: skip
        a("S", 600.0, 330.0, n("儿童乐园5", "Playground 5", {"leisure": "playground"}),
          ("park",), "E")  # fmt: skip
        a("S", 250.0, 330.0, n("邮筒2", "Post Box 2", {"amenity": "post_box"}), (), "E")
        # Community F (south bank, west): deliberately under-served.
        a("S", -900.0, 150.0, n("便利店7", "Convenience Shop 7", {"shop": "convenience"}),
          ("supermarket",), "F", True)  # fmt: skip
        a("S", -860.0, 60.0, n("ATM2", "ATM 2", {"amenity": "atm"}), (), "F")
        a("S", -980.0, 240.0, n("邮筒3", "Post Box 3", {"amenity": "post_box"}), (), "F")
        a("S", -780.0, 250.0, n("社区F服务站", "Community F Service Station",
          {"amenity": "community_centre"}), ("community_service_station",), "F")  # fmt: skip
        a("S", -1050.0, 60.0, n("公厕4", "Toilets 4", {"amenity": "toilets"}), ("toilets",), "F")
        a("S", -850.0, 330.0, n("健身点3", "Fitness Station 3", {"leisure": "fitness_station"}),
          ("outdoor_fitness",), "F")  # fmt: skip

    def build_bus(self) -> None:
        """Add bus stops beside the main roads and one bus route relation."""
        stops: list[int] = []
        north = (-1050.0, -700.0, -380.0, -60.0, 260.0, 600.0, 950.0)
        for k, x in enumerate(north, start=1):
            side = 12.0 if k % 2 else -12.0
            tags = named(
                demo_name(f"{k}号站", f"Stop {k}"),
                {"highway": "bus_stop", "public_transport": "platform", "bus": "yes"},
            )
            y = float(road_y("N", x)) + side
            stops.append(self.osm.node(x, y, tags))
            letter = next(c[0] for c in COMMUNITIES if c[1] == "N" and c[2] <= x < c[3])
            self.facilities.append(Facility(tags["name"], ("bus_stop",), "node", letter, tags))
        south = (120.0, 550.0, 900.0)
        for k, x in enumerate(south, start=len(north) + 1):
            tags = named(
                demo_name(f"{k}号站", f"Stop {k}"),
                {"highway": "bus_stop", "public_transport": "platform", "bus": "yes"},
            )
            y = float(road_y("S", x)) - 12.0
            self.osm.node(x, y, tags)
            self.facilities.append(Facility(tags["name"], ("bus_stop",), "node", "E", tags))
        tags = named(demo_name("东站", "East Stop"), {"public_transport": "platform", "bus": "yes"})
        stops.append(self.osm.node(1150.0, float(road_y("N", 1150.0)) + 12.0, tags))
        self.facilities.append(Facility(tags["name"], ("bus_stop",), "node", "D", tags))
        members = [("node", s, "platform") for s in stops]
        members += [("way", w, "") for w in self.main_ways["N"]]
        self.osm.relation(
            members,
            named(
                demo_name("1路", "Bus Line 1"),
                {"type": "route", "route": "bus", "ref": "1", "public_transport:version": "2"},
            ),
        )
