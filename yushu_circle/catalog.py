"""Facility categories of the life circle and the OSM tag rules that find them."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yushu_circle._resources import data_path
from yushu_circle.errors import InputError

LEVELS = (5, 10, 15)
_CATEGORY_FIELDS = {
    "key",
    "name_zh",
    "name_en",
    "level",
    "group",
    "color",
    "verified",
    "match",
    "fallback",
}
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


@dataclass(frozen=True)
class TagRule:
    """One OSM tag rule: every condition must hold.

    Parameters
    ----------
    conditions : tuple of (str, tuple of str, bool)
        ``(tag key, accepted values, is_regex)``; the values ``("*",)`` accept any value.
    """

    conditions: tuple[tuple[str, tuple[str, ...], bool], ...]

    def matches(self, tags: Mapping[str, Any]) -> bool:
        """Whether the feature's tags satisfy every condition of the rule."""
        for key, values, is_regex in self.conditions:
            raw = tags.get(key)
            if raw is None or (isinstance(raw, float) and raw != raw):
                return False
            text = str(raw)
            if is_regex:
                if not any(re.search(pattern, text, re.IGNORECASE) for pattern in values):
                    return False
                continue
            if values == ("*",):
                continue
            parts = {part.strip() for part in text.split(";")}
            if not parts.intersection(values):
                return False
        return True

    @property
    def keys(self) -> tuple[str, ...]:
        """The OSM tag keys the rule reads."""
        return tuple(key for key, _, _ in self.conditions)


@dataclass(frozen=True)
class Category:
    """A facility category of the living circle.

    Parameters
    ----------
    key : str
        Snake-case English key, used in column names (``walk_min_<key>``).
    name_zh, name_en : str
        Chinese and English display names.
    level : int
        Life-circle level in minutes (5, 10 or 15) at which the standard expects the facility.
    group : str
        Broad group (education, health, commerce, …).
    color : str
        Hex colour for maps.
    verified : bool
        Whether the level was read in the standard (``False``: from recollection).
    rules, fallback : tuple of TagRule
        OSM tag rules; ``fallback`` applies only when no other category of the same group
        matched the feature.
    """

    key: str
    name_zh: str
    name_en: str
    level: int
    group: str = "other"
    color: str = "#555555"
    verified: bool = False
    rules: tuple[TagRule, ...] = ()
    fallback: tuple[TagRule, ...] = ()

    @property
    def label(self) -> str:
        """Bilingual label, e.g. ``幼儿园 Kindergarten``."""
        return f"{self.name_zh} {self.name_en}"


@dataclass(frozen=True)
class Catalog:
    """An ordered set of facility categories.

    Parameters
    ----------
    categories : tuple of Category
        The categories, in display order.
    source : str
        Where the catalog came from (file path or ``"default"``).
    """

    categories: tuple[Category, ...]
    source: str = "default"
    _by_key: dict[str, Category] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {c.key: c for c in self.categories})

    def __iter__(self) -> Iterator[Category]:
        return iter(self.categories)

    def __len__(self) -> int:
        return len(self.categories)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __getitem__(self, key: str) -> Category:
        try:
            return self._by_key[key]
        except KeyError:
            raise InputError(
                f"unknown facility category {key!r}",
                f"use one of: {', '.join(self.keys)}",
            ) from None

    @property
    def keys(self) -> list[str]:
        """Category keys in display order."""
        return [c.key for c in self.categories]

    @property
    def tag_keys(self) -> set[str]:
        """Every OSM tag key any rule reads (what to ask Overpass or a reader for)."""
        keys: set[str] = set()
        for category in self.categories:
            for rule in (*category.rules, *category.fallback):
                keys.update(k.rstrip("~") for k in rule.keys)
        return keys

    def classify(self, tags: Mapping[str, Any]) -> list[str]:
        """Return the keys of every category whose rules match an OSM feature's tags.

        Parameters
        ----------
        tags : mapping
            The feature's OSM tags (missing tags may be absent or NaN).

        Returns
        -------
        list of str
            Matching category keys, in catalog order (a feature may be in several).
        """
        matched = [c.key for c in self.categories if any(r.matches(tags) for r in c.rules)]
        groups = {self._by_key[k].group for k in matched}
        for category in self.categories:
            if (
                category.fallback
                and category.key not in matched
                and category.group not in groups
                and any(r.matches(tags) for r in category.fallback)
            ):
                matched.append(category.key)
        return matched

    def with_category(self, key: str, name: str | None = None) -> Catalog:
        """Return a catalog extended with a user category not in the file.

        Parameters
        ----------
        key : str
            The new category key (made snake_case).
        name : str, optional
            Display name used for both languages.
        """
        key = normalize_key(key)
        if key in self:
            return self
        color = _PALETTE[len(self.categories) % len(_PALETTE)]
        extra = Category(key, name or key, name or key, 15, "user", color, False)
        return Catalog((*self.categories, extra), self.source)

    @classmethod
    def default(cls) -> Catalog:
        """The default catalog shipped in ``data/catalog.toml``."""
        return cls.load(data_path("catalog.toml"), source="default")

    @classmethod
    def load(cls, path: str | Path, source: str | None = None) -> Catalog:
        """Read a catalog TOML file.

        Parameters
        ----------
        path : str or Path
            A TOML file with ``[[category]]`` tables (see ``data/catalog.toml``).
        source : str, optional
            Label recorded as the catalog's source; defaults to the path.

        Returns
        -------
        Catalog

        Raises
        ------
        InputError
            When the file is missing, not TOML, or a category has an unknown or bad field.
        """
        path = Path(path)
        if not path.is_file():
            raise InputError(f"catalog file {path} does not exist", "pass an existing TOML file")
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(
                f"catalog file {path} is not valid TOML ({exc})", "fix the TOML syntax"
            ) from None
        unknown_top = set(document) - {"category"}
        if unknown_top:
            raise InputError(
                f"catalog file {path}: unknown top-level key {sorted(unknown_top)[0]!r}",
                "a catalog holds only [[category]] tables",
            )
        tables = document.get("category")
        if not isinstance(tables, list) or not tables:
            raise InputError(
                f"catalog file {path} has no [[category]] tables",
                "add at least one [[category]] with key, name_zh, name_en, level and match",
            )
        categories = tuple(_parse_category(t, path, i) for i, t in enumerate(tables))
        keys = [c.key for c in categories]
        duplicated = sorted({k for k in keys if keys.count(k) > 1})
        if duplicated:
            raise InputError(
                f"catalog file {path}: category key {duplicated[0]!r} appears twice",
                "give every category a unique key",
            )
        return cls(categories, source or str(path))


def normalize_key(text: str) -> str:
    """Make a category key snake_case (``"Culture Station"`` → ``culture_station``).

    Non-ASCII keys (e.g. ``新时代文明实践站``) are kept as they are, since a planner's own
    category names are meaningful.
    """
    key = re.sub(r"[^\w]+", "_", str(text).strip().lower()).strip("_")
    return key or "unnamed"


def _parse_category(table: Any, path: Path, index: int) -> Category:
    where = f"catalog file {path}, category #{index + 1}"
    if not isinstance(table, dict):
        raise InputError(f"{where} is not a table", "write it as [[category]]")
    unknown = set(table) - _CATEGORY_FIELDS
    if unknown:
        name = sorted(unknown)[0]
        raise InputError(
            f"{where}: unknown field {name!r}",
            f"allowed fields are {', '.join(sorted(_CATEGORY_FIELDS))}",
        )
    for required in ("key", "name_zh", "name_en", "level", "match"):
        if required not in table:
            raise InputError(f"{where}: missing field {required!r}", f"add {required} = ...")
    key = table["key"]
    if not isinstance(key, str) or not _KEY_RE.match(key):
        raise InputError(
            f"{where}: key {key!r} is not snake_case", "use lowercase letters, digits and _"
        )
    level = table["level"]
    if not isinstance(level, int) or isinstance(level, bool) or level <= 0:
        raise InputError(
            f"{where} ({key}): level {level!r} is not a positive whole number of minutes",
            "use 5, 10 or 15",
        )
    for text_field in ("name_zh", "name_en", "group", "color"):
        if text_field in table and not isinstance(table[text_field], str):
            raise InputError(f"{where} ({key}): {text_field} must be a string", "quote it")
    verified = table.get("verified", False)
    if not isinstance(verified, bool):
        raise InputError(f"{where} ({key}): verified must be true or false", "write true/false")
    return Category(
        key=key,
        name_zh=table["name_zh"],
        name_en=table["name_en"],
        level=level,
        group=table.get("group", "other"),
        color=table.get("color", "#555555"),
        verified=verified,
        rules=_parse_rules(table["match"], f"{where} ({key}) match"),
        fallback=_parse_rules(table.get("fallback", []), f"{where} ({key}) fallback"),
    )


def _parse_rules(rules: Any, where: str) -> tuple[TagRule, ...]:
    if not isinstance(rules, list) or not all(isinstance(r, dict) and r for r in rules):
        raise InputError(
            f"{where} must be a list of tag tables", 'write e.g. match = [{ amenity = "clinic" }]'
        )
    parsed = []
    for rule in rules:
        conditions = []
        for tag, value in rule.items():
            values = _rule_values(value, f"{where} {tag}")
            is_regex = tag.endswith("~")
            if is_regex:
                for pattern in values:
                    try:
                        re.compile(pattern)
                    except re.error as exc:
                        raise InputError(
                            f"{where}: bad regular expression {pattern!r} ({exc})",
                            "fix the pattern",
                        ) from None
            conditions.append((tag.rstrip("~"), values, is_regex))
        parsed.append(TagRule(tuple(conditions)))
    return tuple(parsed)


def _rule_values(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise InputError(f"{where}: value {value!r} is not a string or list of strings", "quote it")


def categories_in(catalog: Catalog, keys: Iterable[str]) -> list[Category]:
    """Return the catalog's categories for the given keys, in catalog order."""
    wanted = set(keys)
    return [c for c in catalog if c.key in wanted]
