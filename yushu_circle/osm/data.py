"""``OSMData``: the OSM data of one study area, read once for the network and the features."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx
from shapely.geometry import MultiPolygon, Polygon

from yushu_circle.osm.area import CLIP_MARGIN_M, with_margin
from yushu_circle.osm.extract import Extract, extract_from_elements


@dataclass
class OSMData:
    """OSM data for one study area, read once for both the network and the features.

    Every reader fills ``extract`` (the one form the network and features are built
    from); data given only as ``elements`` is turned into an extract on construction, so
    an XML file, a PBF file and an Overpass answer holding the same data give the same
    study.

    Parameters
    ----------
    elements : sequence of dict
        Overpass-JSON style elements (``type``, ``id``, ``tags``, ``lat``/``lon`` or
        ``nodes`` or ``members``): an Overpass answer's, or a file's (built from its
        extract when first read); empty for GraphML.
    label : str
        Human-readable description of where the data came from.
    synthetic : bool
        True for the embedded synthetic demo.
    area : shapely Polygon or MultiPolygon, optional
        The study area in EPSG:4326 (a bbox, polygon or geocoded place), if known.
    graph : networkx.MultiDiGraph, optional
        A ready walk graph (from GraphML), used instead of an extract.
    notes : list of str
        What reading the data had to say.
    extract : Extract, optional
        The data as arrays, clipped to :attr:`reach_area`.
    """

    elements: Sequence[dict[str, Any]]
    label: str
    synthetic: bool = False
    area: Polygon | MultiPolygon | None = None
    graph: nx.MultiDiGraph | None = None
    notes: list[str] = field(default_factory=list)
    extract: Extract | None = None
    _released_bounds: tuple[float, float, float, float] | None = field(default=None, repr=False)
    _released_features: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        if self.extract is None and self.elements and not self._released_features:
            extract = extract_from_elements(self.elements, self.label)
            if self.reach_area is not None:
                extract = extract.clip(self.reach_area)
            self.extract = extract
            self.notes = self.notes + [n for n in extract.notes if n not in self.notes]

    @property
    def reach_area(self) -> Polygon | MultiPolygon | None:
        """The study area widened by ``CLIP_MARGIN_M``: where streets and facilities are read."""
        return None if self.area is None else with_margin(self.area, CLIP_MARGIN_M)

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """(west, south, east, north) of the area, else of the data."""
        if self.area is not None:
            return tuple(self.area.bounds)
        if self.extract is not None:
            return self.extract.bounds
        return self._released_bounds

    @property
    def has_features(self) -> bool:
        """Whether the data holds OSM features (buildings, facilities), not only a graph."""
        return bool(self.elements) or self.extract is not None or self._released_features

    def released(self) -> OSMData:
        """This data without its extract, everything else kept.

        A study lets it go once its network and features are built from it: a city's
        extract is a gigabyte of arrays and tag dicts that nothing reads again, and the
        elements an XML or JSON source came as go with it (the network carries the street
        names).
        """
        return replace(
            self,
            elements=[],
            extract=None,
            _released_bounds=self.bounds,
            _released_features=self.has_features,
        )
