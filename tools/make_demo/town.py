"""The whole synthetic town: streets, buildings and facilities built in a fixed order."""

from __future__ import annotations

from .buildings import Buildings
from .practice import Practice
from .streets import Streets


class Town(Streets, Buildings, Practice):
    """Builds the synthetic town into an :class:`OsmBuilder`.

    Parameters
    ----------
    seed : int
        Seed of the random generator; the same seed gives the same town.
    """

    # ----------------------------------------------------------------- all

    def build(self) -> None:
        """Build the whole town."""
        self.build_river()
        self.build_grids()
        self.build_main_roads()
        self.build_bridges()
        self.build_bypass()
        self.build_grid_streets()
        self.build_promenade()
        self.build_landuse()
        self.build_facility_areas()
        self.build_paths()
        self.road_mask = self.mask.grid.copy()
        self.build_houses()
        self.build_pois()
        self.build_practice()
        self.build_bus()
        self.write_landuse()
