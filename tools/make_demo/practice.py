"""The synthetic town's civilization-practice tiers and the standard's finer categories."""

from __future__ import annotations

from .facilities import Facilities
from .frame import demo_name, named

# Practice facilities (and culture stations, service centres) are mapped the way OSM would most
# likely hold them: a community centre whose name says what it is (新时代文明实践中心 / 所 /
# 站 / 点, 文化活动站, 街道社区服务中心). Every name says 示例 and synthetic.
CENTRE = {"amenity": "community_centre"}


class Practice(Facilities):
    """Civilization practice (新时代文明实践) facilities and the finer-grained service points."""

    def build_practice(self) -> None:
        """Add the practice centre, institute, stations and points, and the split categories.

        Community F (south bank, west) gets only a pilot family point and no station: across
        the river and 0.6-1.1 km from the nearest bridge, it is the community deliberately
        beyond 15 minutes of a practice station.
        """
        a = self.poi

        def n(zh: str, en: str, tags: dict[str, str]) -> dict[str, str]:
            return named(demo_name(zh, en), tags)

        # One centre for the city and one institute for the subdistrict, both in the centre.
        a("N", 230.0, 60.0, n("新时代文明实践中心", "Civilization Practice Centre", CENTRE),
          ("civilization_center",), "C")  # fmt: skip
        a("N", -60.0, 60.0, n("结古街道新时代文明实践所", "Jiegu Civilization Practice Institute",
          CENTRE), ("civilization_institute",), "B")  # fmt: skip
        # One station per community, except F.
        stations = (("A", "N", -880.0, 250.0), ("B", "N", -400.0, 500.0),
                    ("C", "N", 380.0, 350.0), ("D", "N", 900.0, 300.0),
                    ("E", "S", 500.0, 250.0))  # fmt: skip
        for letter, bank, u, v in stations:
            tags = n(f"社区{letter}新时代文明实践站", f"Community {letter} Civilization Practice "
                     "Station", CENTRE)  # fmt: skip
            a(bank, u, v, tags, ("civilization_station",), letter)
        # Practice points in idle courtyards and one pilot family point (家庭站).
        a("N", -650.0, 550.0, n("新时代文明实践点（儿童乐园）", "Civilization Practice Point "
          "(Playground)", CENTRE), ("civilization_point",), "A")  # fmt: skip
        a("N", 600.0, 150.0, n("新时代文明实践点（日间照料）", "Civilization Practice Point "
          "(Day Care)", CENTRE), ("civilization_point", "elderly_daycare"), "C")  # fmt: skip
        a("S", -900.0, 250.0, n("新时代文明实践点（家庭站）", "Civilization Practice Point "
          "(Family Station)", CENTRE), ("civilization_point",), "F")  # fmt: skip
        # The standard lists these apart from their bigger siblings (GB 50180-2018 Appendix B,
        # as the catalog reads it): day care beside nursing homes and a care home, culture
        # stations beside the cultural centre, an outpatient department beside the health
        # station and centre, the subdistrict's community service centre beside the
        # community stations, a community canteen, a telecom office, restaurants, a stadium.
        day_care = {"amenity": "social_facility", "social_facility": "day_care",
                    "social_facility:for": "senior"}  # fmt: skip
        a("N", 1050.0, 400.0, n("日间照料中心2", "Elderly Day Care Centre 2", day_care),
          ("elderly_daycare",), "D")  # fmt: skip
        a("S", 800.0, 300.0, n("日间照料中心3", "Elderly Day Care Centre 3", day_care),
          ("elderly_daycare",), "E")  # fmt: skip
        a("N", -1000.0, 450.0, n("文化活动站1", "Culture Station 1", CENTRE),
          ("culture_station",), "A")  # fmt: skip
        a("S", 350.0, 200.0, n("文化活动站2", "Culture Station 2", CENTRE),
          ("culture_station",), "E")  # fmt: skip
        a("N", 700.0, 300.0, n("社区食堂", "Community Canteen", {"amenity": "canteen"}),
          ("community_canteen",), "D")  # fmt: skip
        a("N", 60.0, 20.0, n("电信营业厅", "Telecom Office", {"office": "telecommunication"}),
          ("telecom",), "C")  # fmt: skip
        a("N", -200.0, 95.0, n("餐馆1", "Restaurant 1", {"amenity": "restaurant"}),
          ("restaurant",), "B", True)  # fmt: skip
        a("S", 250.0, 100.0, n("餐馆2", "Restaurant 2", {"amenity": "restaurant"}),
          ("restaurant",), "E", True)  # fmt: skip
        a("N", 820.0, 150.0, n("门诊部", "Outpatient Department", {"amenity": "clinic"}),
          ("outpatient",), "D")  # fmt: skip
        a("N", 450.0, 500.0, n("老年养护院", "Elderly Care Home", {"amenity": "social_facility",
          "social_facility": "nursing_home", "social_facility:for": "senior"}),
          ("care_home", "nursing_home"), "C")  # fmt: skip
        a("N", -200.0, 20.0, n("结古街道社区服务中心", "Jiegu Subdistrict Community Service "
          "Centre", CENTRE), ("community_service_centre",), "B")  # fmt: skip
        a("S", 800.0, 400.0, n("体育场", "Stadium", {"leisure": "stadium"}),
          ("large_sports_ground", "medium_sports_ground"), "E")  # fmt: skip
