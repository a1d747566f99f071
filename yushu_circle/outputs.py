"""A study or a plan into its output folder in one call: its results computed, then written.

``write_study(study, out)`` is ``write_results(study.results(...), out)``; ``write_plan``
runs the plan (:func:`yushu_circle.planning.plan.run_plan`), makes its
:class:`~yushu_circle.results.PlanResults` and writes them
(:func:`yushu_circle.io.write_plan_results`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from yushu_circle.io import write_plan_results, write_results
from yushu_circle.options import DEFAULT_ISO_BUFFER_M, DEFAULT_ISO_MINUTES

if TYPE_CHECKING:
    from yushu_circle.planning.plan import PlanOptions
    from yushu_circle.study import Study


def write_study(
    study: Study,
    out_dir: str | Path,
    gpkg: bool = False,
    isochrones: bool = True,
    iso_minutes: Sequence[float] = DEFAULT_ISO_MINUTES,
    iso_buffer_m: float = DEFAULT_ISO_BUFFER_M,
) -> list[Path]:
    """Write the output contract of a study into ``out_dir``, atomically.

    The files of :func:`yushu_circle.io.write_results` of ``study.results(...)``.

    Parameters
    ----------
    study : Study
    out_dir : str or Path
    gpkg : bool
        Also write ``residences.gpkg`` and ``facilities.gpkg``.
    isochrones : bool
        Write ``isochrones.parquet`` (``residence_id``, ``minutes``, polygon).
    iso_minutes : sequence of float
        Isochrone thresholds, minutes.
    iso_buffer_m : float
        Isochrone buffer half-width, metres.

    Returns
    -------
    list of Path
        The files written.
    """
    results = study.results(isochrones, iso_minutes, iso_buffer_m)
    return write_results(results, out_dir, gpkg)


def write_plan(
    study: Study, out_dir: str | Path, options: PlanOptions | None = None
) -> tuple[list[Path], str]:
    """Run every planning analysis and write its files atomically into ``out_dir``.

    Everything uses the walker profile of ``options`` (with slope when ``dem`` is given);
    the files are those of :func:`yushu_circle.io.write_plan_results`.

    Parameters
    ----------
    study : Study
    out_dir : str or Path
    options : PlanOptions, optional

    Returns
    -------
    (list of Path, str)
        The files written and a bilingual text report.
    """
    from yushu_circle.planning.plan import plan_results, run_plan

    plan = plan_results(study, run_plan(study, options))
    return write_plan_results(plan, out_dir), plan.text
