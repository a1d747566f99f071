"""Locate the data shipped with the package (catalog, standards, embedded demo)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_path(*parts: str) -> Path:
    """Return the path of a file shipped in the package's ``data`` folder.

    Parameters
    ----------
    *parts : str
        Path components below ``data/``, e.g. ``("demo", "jiegu_synthetic_demo.osm.bz2")``.

    Returns
    -------
    pathlib.Path
        The file's path on disk.
    """
    root = Path(str(resources.files("yushu_circle.data")))
    return root.joinpath(*parts)
