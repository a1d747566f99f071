"""Typed options and their defaults and ranges, defined once (cheap to import: no numpy).

The command line, :class:`StudyOptions` (how a study measures walking), the network, the
map and the planning code import their defaults from here; every numeric option of every subcommand
goes through :func:`check_number`, so ``nan``, ``inf`` and out-of-range values get one clear
line naming the option, the value and the fix.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import math
import re
from dataclasses import dataclass
from typing import Any, TypeVar

from yushu_circle.errors import InputError, clip_text


class Datum(enum.StrEnum):
    """Datum of a user's point files: WGS-84 (GPS, OSM), GCJ-02 (Amap/Tencent), BD-09 (Baidu)."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


class ProfileName(enum.StrEnum):
    """The walker profiles of :mod:`yushu_circle.profiles`."""

    ADULT = "adult"
    ELDERLY = "elderly"
    CHILD = "child"
    WHEELCHAIR = "wheelchair"


class Measure(enum.StrEnum):
    """What a standard's level threshold counts: walk minutes or metres walked."""

    MINUTES = "minutes"
    METRES = "metres"


class SitingMethod(enum.StrEnum):
    """How new facility sites are chosen: greedy coverage or an exact MILP."""

    GREEDY = "greedy"
    MILP = "milp"


E = TypeVar("E", bound=enum.StrEnum)


def parse_choice(kind: type[E], name: str, value: Any) -> E:
    """``value`` as a member of ``kind``, or an :class:`InputError` listing the choices.

    Parameters
    ----------
    kind : StrEnum subclass
        E.g. :class:`Datum`.
    name : str
        The option's name for the message, e.g. ``"--datum"``.
    value : str or StrEnum
    """
    try:
        return kind(str(value).strip().lower())
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise InputError(
            f"{name} {clip_text(repr(value))} is not one of {choices}", f"use one of {choices}"
        ) from None


DEFAULT_OUT = "yushu_circle_out"
"""The output folder of ``run`` and ``plan`` when ``--out`` is not given."""
DEFAULT_SPEED_KMH = 4.0
"""Walking speed on the flat, km/h (≈ GB 50180's 1,000 m in 15 minutes)."""
DEFAULT_SNAP_LIMIT_M = 300.0
"""Points farther than this from every walkable street are flagged off-network, metres."""
DEFAULT_DATUM = Datum.WGS84
DEFAULT_ISO_MINUTES = (5.0, 10.0, 15.0)
"""Isochrone thresholds, minutes."""
DEFAULT_ISO_BUFFER_M = 25.0
"""Half-width of the band drawn around walked streets in an isochrone, metres."""
DEFAULT_ISO_BUDGET_MB = 2.4
"""Cap on the isochrones embedded in ``map.html``, MB."""
DEFAULT_WORKERS = 2
DEFAULT_RETRIES = 2
DEFAULT_SITES = 3
DEFAULT_STANDARD = "gb50180"
DEFAULT_MEASURE = Measure.MINUTES
DEFAULT_PROFILE = ProfileName.ADULT
DEFAULT_METHOD = SitingMethod.GREEDY


@dataclass(frozen=True)
class NumberRange:
    """The documented range of one numeric option.

    Parameters
    ----------
    name : str
        The option as the user types it, e.g. ``"--speed"``.
    low, high : float
        The bounds; ``low`` is excluded when ``low_open``, ``high`` is always included.
    unit : str
        Shown after the value, e.g. ``"km/h"``.
    default : float or None
    low_open : bool
    integer : bool
        Whole numbers only.
    """

    name: str
    low: float
    high: float
    unit: str = ""
    default: float | None = None
    low_open: bool = False
    integer: bool = False

    @property
    def text(self) -> str:
        """The range in words, e.g. ``"above 0 and at most 20 km/h"``."""
        low = f"above {self.low:g}" if self.low_open else f"at least {self.low:g}"
        unit = f" {self.unit}" if self.unit else ""
        kind = "a whole number " if self.integer else ""
        return f"{kind}{low} and at most {self.high:,g}{unit}"

    def check(self, value: Any) -> float:
        """``value`` as a number inside the range (see :func:`check_number`)."""
        return check_number(self, value)


def check_number(option: NumberRange, value: Any) -> float:
    """The one validator of numeric options: a finite number inside the documented range.

    Parameters
    ----------
    option : NumberRange
    value : Any
        A number or its text (``"4.5"``).

    Returns
    -------
    float
        The value (a whole number when ``option.integer``).

    Raises
    ------
    InputError
        Naming the option, the value (cut to 200 characters) and the range, for text that
        is not a number, ``nan``, ``inf`` and values outside the range.
    """
    default = "" if option.default is None else f" (default {option.default:g})"
    fix = f"give {option.name} {option.text}{default}"
    shown = clip_text(str(value))
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{option.name} {shown} is not a number", fix) from None
    if not math.isfinite(number):
        raise InputError(f"{option.name} {shown} is not a finite number", fix)
    below = number <= option.low if option.low_open else number < option.low
    if below or number > option.high:
        unit = f" {option.unit}" if option.unit else ""
        raise InputError(f"{option.name} {shown}{unit} is out of range", fix)
    if option.integer and number != int(number):
        raise InputError(f"{option.name} {shown} is not a whole number", fix)
    return number


POPULATION_TOTAL = NumberRange("--population-total", 0.0, 1e10, "people", None, low_open=True)
SPEED = NumberRange("--speed", 0.0, 20.0, "km/h", DEFAULT_SPEED_KMH, low_open=True)
SNAP_LIMIT = NumberRange("--snap-limit", 0.0, 5000.0, "m", DEFAULT_SNAP_LIMIT_M, low_open=True)
ISO_MINUTE = NumberRange("--iso-minutes", 0.0, 120.0, "min", None, low_open=True)
ISO_BUFFER = NumberRange("--iso-buffer", 0.0, 500.0, "m", DEFAULT_ISO_BUFFER_M, low_open=True)
ISO_BUDGET = NumberRange("--iso-budget-mb", 0.0, 1000.0, "MB", DEFAULT_ISO_BUDGET_MB)
WORKERS = NumberRange("--workers", 1, 256, "", DEFAULT_WORKERS, integer=True)
RETRIES = NumberRange("--retries", 0, 100, "", DEFAULT_RETRIES, integer=True)
SITES = NumberRange("--k", 1, 1000, "", DEFAULT_SITES, integer=True)

NUMERIC_OPTIONS: dict[str, NumberRange] = {
    "speed": SPEED,
    "snap_limit": SNAP_LIMIT,
    "iso_buffer": ISO_BUFFER,
    "iso_budget_mb": ISO_BUDGET,
    "workers": WORKERS,
    "retries": RETRIES,
    "k": SITES,
    "population_total": POPULATION_TOTAL,
}
"""Every numeric command-line option by its argparse ``dest``, with its range."""


def check_minutes(text: str, option: NumberRange = ISO_MINUTE) -> tuple[float, ...]:
    """Comma-separated minutes (``"5,10,15"``), each checked by :func:`check_number`.

    Raises
    ------
    InputError
        When the list is empty, any value is not a number inside ``option``'s range, or a
        value is listed twice (``5,5,10``: two bands of one threshold).
    """
    parts = [p for p in str(text).replace(" ", "").split(",") if p]
    if not parts:
        raise InputError(f"{option.name} {clip_text(repr(text))} lists no minutes", "e.g. 5,10,15")
    minutes = tuple(check_number(option, part) for part in parts)
    repeated = sorted({m for m in minutes if minutes.count(m) > 1})
    if repeated:
        once = ",".join(f"{m:g}" for m in sorted(set(minutes)))
        raise InputError(
            f"{option.name} {clip_text(repr(text))} lists {repeated[0]:g} minutes more than once",
            f"list each threshold once, e.g. {option.name} {once}",
        )
    return minutes


def check_speed(speed_kmh: float, name: str = "speed") -> float:
    """A walking speed in km/h, checked against :data:`SPEED` (above 0, at most 20 km/h).

    Parameters
    ----------
    speed_kmh : float
    name : str
        How the message names the value (``"speed"``, ``"elderly speed"``).

    Raises
    ------
    InputError
        When the speed is not a finite number in :data:`SPEED`'s range.
    """
    return check_number(dataclasses.replace(SPEED, name=name), speed_kmh)


@dataclass(frozen=True)
class StudyOptions:
    """How a study measures walking (checked when made: one range per option).

    Parameters
    ----------
    speed_kmh : float
        Walking speed on the flat (default 4.0 km/h ≈ GB 50180's 1,000 m in 15 minutes;
        :data:`SPEED`).
    snap_limit_m : float
        Residences and facilities farther than this from every walkable edge are flagged
        off-network and get no walk time (:data:`SNAP_LIMIT`).
    keep_all_components : bool
        Keep disconnected parts of the network instead of only the largest.
    datum : Datum or str
        Datum of the user's point files (``wgs84``, ``gcj02``, ``bd09``).

    Raises
    ------
    InputError
        When a number is out of its range or the datum is not one of the three.
    """

    speed_kmh: float = DEFAULT_SPEED_KMH
    snap_limit_m: float = DEFAULT_SNAP_LIMIT_M
    keep_all_components: bool = False
    datum: Datum = DEFAULT_DATUM

    def __post_init__(self) -> None:
        # Frozen: the checked values replace what was given (a number's text, a datum's name).
        object.__setattr__(self, "speed_kmh", check_speed(self.speed_kmh, "speed_kmh"))
        snap = check_number(dataclasses.replace(SNAP_LIMIT, name="snap_limit_m"), self.snap_limit_m)
        object.__setattr__(self, "snap_limit_m", snap)
        object.__setattr__(self, "datum", parse_choice(Datum, "datum", self.datum))


# --- age groups (一老一小) ----------------------------------------------------------------------


class Serves(enum.StrEnum):
    """Whom a facility category is for: everyone, children or the elderly (一老一小)."""

    ALL = "all"
    CHILDREN = "children"
    ELDERLY = "elderly"


@dataclass(frozen=True)
class AgeShares:
    """Shares of the population in the age groups that some items serve (e.g. a census's).

    Attributes
    ----------
    children, elderly : float or None
        Share (0–1) of each residence's people in the group; None when not given.
    children_ages, elderly_ages : str
        The groups' ages as given, e.g. ``"0-14"`` and ``"65+"``.
    """

    children: float | None = None
    elderly: float | None = None
    children_ages: str = "0-14"
    elderly_ages: str = "65+"

    def share(self, group: Serves) -> float | None:
        """The share of ``group`` (None for everyone or a group not given)."""
        if group is Serves.CHILDREN:
            return self.children
        if group is Serves.ELDERLY:
            return self.elderly
        return None

    def ages(self, group: Serves) -> str:
        """The ages of ``group`` as given (``"0-14"``), or ``"all"``."""
        return {Serves.CHILDREN: self.children_ages, Serves.ELDERLY: self.elderly_ages}.get(
            group, "all"
        )

    @property
    def text(self) -> str:
        """E.g. ``"0-14: 27.7 %, 65+: 6.1 %"``."""
        parts = [
            f"{ages}: {share * 100:.1f} %"
            for ages, share in (
                (self.children_ages, self.children),
                (self.elderly_ages, self.elderly),
            )
            if share is not None
        ]
        return ", ".join(parts)


_AGE_FIX = (
    "give --age-shares as AGES=SHARE pairs, e.g. 0-14=0.277,65+=0.061 (children as 0-N, "
    "elderly as N+, shares 0–1 or percentages, summing to at most 1), or a file of such lines"
)


def parse_age_shares(value: Any) -> AgeShares:
    """``--age-shares``: ``"0-14=0.277,65+=0.061"``, or a file holding such pairs (one per line,
    ``=`` or ``,`` between age and share; a header line ``age,share`` is skipped).

    Raises
    ------
    InputError
        One line naming the bad pair or value: a group that is neither ``0-N`` nor ``N+``,
        a share outside 0–1, a group given twice, or shares summing to more than 1.
    """
    from pathlib import Path

    text = str(value)
    where = f"--age-shares {clip_text(repr(text))}"
    path = Path(text)
    if "=" not in text and path.suffix and not path.is_file():
        raise InputError(f"--age-shares file {path} does not exist", _AGE_FIX)
    if "=" not in text and path.suffix:
        where = f"--age-shares file {path}"
        text = path.read_text(encoding="utf-8-sig")
    pairs = [p.strip() for p in re.split(r"[\n;]|,(?=[^,=]*=)", text) if p.strip()]
    found: dict[str, tuple[str, float]] = {}
    for pair in pairs:
        age, _, share_text = pair.replace(",", "=", 1).partition("=")
        age, share_text = age.strip().replace(" ", ""), share_text.strip()
        if age.lower() in {"age", "ages", "年龄"}:
            continue  # a CSV header
        group = "children" if re.fullmatch(r"0-\d+", age) else None
        group = "elderly" if re.fullmatch(r"\d+\+", age) else group
        if group is None or not share_text:
            raise InputError(f"{where}: {clip_text(repr(pair))} is not AGES=SHARE", _AGE_FIX)
        try:
            percent = share_text.endswith("%")
            share = round(float(share_text.rstrip("%")) / (100.0 if percent else 1.0), 12)
        except ValueError:
            share = math.nan
        if not (0.0 <= share <= 1.0):
            raise InputError(
                f"{where}: share {clip_text(repr(share_text))} of {age} is not 0–1", _AGE_FIX
            )
        if group in found:
            raise InputError(
                f"{where}: {group} given twice ({found[group][0]} and {age})", _AGE_FIX
            )
        found[group] = (age, share)
    if not found:
        raise InputError(f"{where} gives no age group", _AGE_FIX)
    total = sum(share for _, share in found.values())
    if total > 1.0 + 1e-9:
        raise InputError(f"{where}: the shares sum to {total:g}, over 1", _AGE_FIX)
    children, elderly = found.get("children"), found.get("elderly")
    return AgeShares(
        children=None if children is None else children[1],
        elderly=None if elderly is None else elderly[1],
        children_ages=children[0] if children else "0-14",
        elderly_ages=elderly[0] if elderly else "65+",
    )


def parse_date(value: Any, name: str = "--date") -> datetime.date:
    """A report's date, ``YYYY-MM-DD`` (e.g. ``report --date 2025-06-30``).

    Raises
    ------
    InputError
        One line naming the option and the value when it is not such a calendar date.
    """
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{name} {clip_text(repr(text))} is not a date 不是日期",
            "write it as YYYY-MM-DD, e.g. 2025-06-30 (年-月-日)",
        ) from None
