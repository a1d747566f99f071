"""What a residence's "population" means, for its popup and the map's notes (bilingual).

Where OSM maps too few homes the residences are sample points along the streets
(``residence_id`` ``sample-N``), each counting one person — not an estimate of people; a
known total (``--population-total``) spread over them names its method in the
``population_method`` column. The page shows the reason beside the number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

SAMPLE_PREFIX = "sample-"
"""``residence_id`` prefix of a sample point (``yushu_circle.places``)."""
SAMPLE_BASIS = (
    "街道采样点：计 1 人，不是人口估计（此处 OSM 未标注足够的住宅建筑） · a street sample point: "
    "counts 1 person, not an estimate of people (OSM maps too few homes here)"
)
"""The popup's reason for a sample point's population."""


def people_payload(residences: pd.DataFrame) -> tuple[dict[str, Any], list[str]]:
    """Each drawn residence's population basis, and the map's note on sample points.

    Parameters
    ----------
    residences : DataFrame
        The drawn residences (``residence_id``, optional ``population_method``).

    Returns
    -------
    (dict, list of str)
        ``{"texts": [reason, …], "of": code}``: ``code`` is one index into ``texts`` (or
        None) for every residence when they share it, else a list with one per residence;
        and the bilingual notes.
    """
    count = len(residences)
    ids = residences["residence_id"].astype(str) if "residence_id" in residences else None
    sampled = (
        ids.str.startswith(SAMPLE_PREFIX).to_numpy()
        if ids is not None
        else np.zeros(count, dtype=bool)
    )
    method = (
        residences["population_method"]
        .astype(object)
        .where(residences["population_method"].notna())
        if "population_method" in residences
        else pd.Series([None] * count, index=residences.index, dtype=object)
    )
    texts: list[str] = []
    codes: list[int | None] = []
    for is_sample, how in zip(sampled, method.tolist(), strict=True):
        reason = str(how) if how else (SAMPLE_BASIS if is_sample else None)
        if reason is not None and reason not in texts:
            texts.append(reason)
        codes.append(None if reason is None else texts.index(reason))
    notes = []
    samples = int(sampled.sum())
    if samples:
        spread = any(m for m, s in zip(method.tolist(), sampled, strict=True) if s)
        people = (
            "其人口由已知总数分配（见弹窗） · their people spread from a known total (see a popup)"
            if spread
            else "每点计 1 人，覆盖率是采样点的份额，不是人口的 · each counts 1 person: shares "
            "are of sample points, not of people"
        )
        notes.append(
            f"{samples:,} / {count:,} 个居住点为街道采样点（此处 OSM 未标注足够的住宅建筑） · "
            f"{samples:,} of {count:,} residences are sample points along the streets (OSM maps "
            f"too few homes here); {people}"
        )
    shared = len(set(codes)) <= 1
    return {"texts": texts, "of": (codes[0] if codes else None) if shared else codes}, notes
