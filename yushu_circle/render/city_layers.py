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

from typing import Any

import numpy as np
import pandas as pd

from yushu_circle.render.people import people_payload
from yushu_circle.results.engine import payload_digest, residence_digest
from yushu_circle.results.packing import Packer

NO_SCORE = 65535
"""The packed score of a residence without one (scores travel as thousandths, uint16)."""


CityLayers = tuple[dict[str, Any], dict[str, Any], list[str]]
"""The map payload's ``network`` entry, its ``people`` entry and the people notes."""


def city_layers(residences: pd.DataFrame, engine: str) -> CityLayers | None:
    """The map payload's ``network`` entry, the people entry and the people notes, or None
    when the engine's residences are not these, in this order (then the page draws the
    sample, as without the engine).

    Parameters
    ----------
    residences : DataFrame
        Every residence (``residence_id``, ``score``, optional ``population_method``), in
        the results' order.
    engine : str
        The engine's payload (``StudyResults.engine``), format 2.

    Returns
    -------
    (dict, dict, list of str) or None
        ``{"residences": n, "packed": …}`` (blocks ``score``: uint16 thousandths,
        :data:`NO_SCORE` for none; ``people``: int32 code per residence, −1 for none, only
        when they differ); :func:`~yushu_circle.render.people.people_payload`'s dict (its
        ``of`` then ``"packed"``) and notes.
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
    return {"residences": len(residences), "packed": packer.packed()}, people, notes
