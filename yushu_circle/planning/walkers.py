"""Walker profiles in planning: the network as each profile walks it, coverage per profile."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from yushu_circle.access import (
    coverage_summary,
)
from yushu_circle.catalog import LEVELS
from yushu_circle.network import WalkNetwork
from yushu_circle.profiles import PROFILES, Profile, get_profile, node_elevations, profile_network

if TYPE_CHECKING:
    from yushu_circle.study import Study


def profile_networks(
    study: Study,
    profiles: Iterable[str | Profile] = tuple(PROFILES),
    dem: str | Path | None = None,
) -> dict[str, WalkNetwork]:
    """The study's network as each walker profile walks it (with slope when a DEM is given).

    Parameters
    ----------
    study : Study
    profiles : iterable of str or Profile
    dem : str or Path, optional
        Elevation GeoTIFF; node elevations are sampled once and shared.

    Returns
    -------
    dict of str to WalkNetwork
        By profile name.
    """
    elevation = None if dem is None else node_elevations(study.network, dem)
    result = {}
    for item in profiles:
        profile = get_profile(item)
        result[profile.name] = profile_network(study.network, profile, elevation)
    return result


def profile_coverage(
    study: Study,
    profiles: Iterable[str | Profile] = tuple(PROFILES),
    dem: str | Path | None = None,
    thresholds: Sequence[float] = LEVELS,
) -> pd.DataFrame:
    """The coverage table (shares within 5/10/15 minutes, median) for each walker profile.

    Returns
    -------
    DataFrame
        ``profile``, ``speed_kmh``, ``slope``, then :func:`access.coverage_summary`'s columns.
    """
    counts = study.facilities["category"].value_counts().to_dict()
    frames = []
    for name, network in profile_networks(study, profiles, dem).items():
        access = study.access(network=network)
        table = coverage_summary(access, study.catalog, counts, thresholds).reset_index()
        table.insert(0, "profile", name)
        table.insert(1, "profile_zh", PROFILES[name].name_zh if name in PROFILES else "")
        table.insert(2, "speed_kmh", round(network.speed_kmh, 3))
        table.insert(3, "slope", dem is not None)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)
