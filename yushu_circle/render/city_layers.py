"""A city past the drawing caps, drawn whole from the engine: what its map payload carries.

Leaflet draws one layer per street and residence, so a page of its own draws at most
``MAX_MAP_EDGES`` streets and an even sample of ``MAX_MAP_RESIDENCES`` residences. A page
that carries the engine has every street and residence in the engine's arrays already; past
the caps it draws them all on canvases from those (``render/js/citylayers.mjs``), and the map
payload holds only what the engine lacks, per residence in the engine's order: the score
and the reason a residence counts its people — packed as the engine's arrays are
(:mod:`yushu_circle.results.packing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from yushu_circle.render.opening import opening_view
from yushu_circle.render.people import people_payload
from yushu_circle.results.engine import payload_digest, residence_digest
from yushu_circle.results.packing import Packer

NO_SCORE = 65535
"""The packed score of a residence without one (scores travel as thousandths, uint16)."""


@dataclass(frozen=True)
class CityLayers:
    """What the map payload of a city drawn from the engine carries for its residences.

    Attributes
    ----------
    network : dict
        ``{"residences": n, "packed": …}``: blocks ``score`` (uint32 thousandths,
        :data:`NO_SCORE` for none) and, only when residences differ in it, ``people`` (int32
        code per residence, −1 for none).
    people : dict
        :func:`~yushu_circle.render.people.people_payload`'s dict (its ``of`` ``"packed"``
        when the codes are in ``network``).
    notes : list of str
        The people notes.
    view : dict or None
        The opening view of every residence (:func:`~yushu_circle.render.opening.opening_view`).
    """

    network: dict[str, Any]
    people: dict[str, Any]
    notes: list[str]
    view: dict[str, Any] | None


def city_layers(
    residences: gpd.GeoDataFrame, engine: str, facilities: np.ndarray
) -> CityLayers | None:
    """The residences' part of a city's map payload, or None when the engine's residences
    are not these, in this order (then the page draws the sample, as without the engine).

    Parameters
    ----------
    residences : GeoDataFrame
        Every residence (``residence_id``, ``score``, ``population``, optional
        ``population_method``; points in EPSG:4326), in the results' order.
    engine : str
        The engine's payload (``StudyResults.engine``), format 2.
    facilities : ndarray, shape (m, 2)
        The facilities' lon, lat (for the opening view's spacing).

    Returns
    -------
    CityLayers or None
    """
    ids = residences.get("residence_id")
    if ids is None or payload_digest(engine) != residence_digest(ids.tolist()):
        return None
    score = residences["score"].to_numpy(dtype=float) if "score" in residences else None
    if score is None:
        score = np.full(len(residences), np.nan)
    packed = np.where(np.isfinite(score), np.round(np.clip(score, 0, 1) * 1000), NO_SCORE)
    packer = Packer()
    packer.add("score", packed.astype(np.uint32), "uint32")
    people, notes = people_payload(residences)
    if isinstance(people["of"], list):
        codes = np.array([-1 if c is None else c for c in people["of"]], dtype=np.int32)
        packer.add("people", codes, "int32")
        people = {**people, "of": "packed"}
    points = residences.geometry
    usable = np.asarray(~points.is_empty & points.notna(), dtype=bool)
    lonlat = shapely.get_coordinates(points[usable].to_numpy())[:, :2]
    population = residences.get("population")
    pop = np.ones(len(lonlat)) if population is None else population.to_numpy(float)[usable]
    return CityLayers(
        network={"residences": len(residences), "packed": packer.packed()},
        people=people,
        notes=notes,
        view=opening_view(lonlat, pop, facilities),
    )
