"""Facility categories of the life circle: names, levels, and the catalog file that lists them."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from yushu_circle._config import read_toml, shorten
from yushu_circle._resources import data_path
from yushu_circle.errors import InputError
from yushu_circle.options import Serves, parse_choice
from yushu_circle.tagrules import RuleIndex, TagRule, parse_rules

LEVELS = (5, 10, 15)
Item = Literal["standard", "planner", "extra", "user"]
"""Whose item a category is: the standard's, the planner's own, an extra, or a user file's."""
_ITEMS: tuple[str, ...] = get_args(Item)
_FIELDS: dict[str, type | tuple[type, ...]] = {
    "key": str,
    "name_zh": str,
    "name_en": str,
    "aliases": list,
    "level": int,
    "group": str,
    "item": str,
    "color": str,
    "verified": bool,
    "note": str,
    "serves": str,
    "match": list,
    "fallback": list,
}
_REQUIRED = ("key", "name_zh", "name_en", "level", "match")
_RULE_FIELDS = ("match", "fallback")
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


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
        Life-circle level in minutes (5, 10 or 15): the tightest level at which the standard
        asks for the facility.
    group : str
        Broad group (education, health, commerce, civilization_practice, …).
    color : str
        Hex colour for maps.
    verified : bool
        Whether the item and level were read in a source the standards file names.
    rules, fallback : tuple of TagRule
        OSM tag rules; ``fallback`` applies only when no other category of the same group
        matched the feature.
    aliases : tuple of str
        Other names a user file may give as the category.
    item : Item
        ``standard`` (an item of the standard), ``planner`` (the planner's own, e.g. the
        civilization-practice tiers), ``extra`` or ``user`` (brought by a user file).
    note : str
        Caveat shown with the category.
    serves : Serves
        Whom the item is for: ``all`` (default), ``children`` or ``elderly`` (一老一小); with
        age shares a study scores it against that group's people.
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
    aliases: tuple[str, ...] = ()
    item: Item = "standard"
    note: str = ""
    serves: Serves = Serves.ALL

    @property
    def label(self) -> str:
        """Bilingual label, e.g. ``幼儿园 Kindergarten``."""
        return f"{self.name_zh} {self.name_en}"

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the category answers to: key, Chinese and English names, aliases."""
        return (self.key, self.name_zh, self.name_en, *self.aliases)


@dataclass(frozen=True)
class FeatureMatch:
    """The categories one feature belongs to.

    Parameters
    ----------
    keys : tuple of str
        Matching category keys, in catalog order.
    by_fallback : tuple of str
        Those of ``keys`` matched only through a fallback rule (a bare school → primary).
    """

    keys: tuple[str, ...]
    by_fallback: tuple[str, ...] = ()


@dataclass(frozen=True)
class Classification:
    """Categories of many features, and how many fell back.

    Parameters
    ----------
    matches : tuple of FeatureMatch
        One per feature, in input order.
    fell_back : dict of str to int
        Per category, the number of features it took only through a fallback rule — e.g. the
        schools counted as primary because nothing told their level.
    """

    matches: tuple[FeatureMatch, ...]
    fell_back: dict[str, int]


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
    _by_name: dict[str, str] = field(init=False, repr=False, compare=False)
    _index: RuleIndex = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {c.key: c for c in self.categories})
        by_name: dict[str, str] = {}
        for category in self.categories:
            for name in category.names:
                by_name.setdefault(_name_key(name), category.key)
        # A key always wins over another category's alias.
        by_name.update({_name_key(c.key): c.key for c in self.categories})
        object.__setattr__(self, "_by_name", by_name)
        rules = [
            (i, rule, is_fallback)
            for i, category in enumerate(self.categories)
            for is_fallback, group in ((False, category.rules), (True, category.fallback))
            for rule in group
        ]
        object.__setattr__(self, "_index", RuleIndex(rules))

    def __iter__(self) -> Iterator[Category]:
        return iter(self.categories)

    def __len__(self) -> int:
        return len(self.categories)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __getitem__(self, key: str) -> Category:
        """The category with this key, Chinese or English name or alias."""
        resolved = self.resolve(key)
        if resolved is None:
            raise InputError(
                f"unknown facility category {shorten(str(key))!r}",
                f"use one of: {', '.join(self.keys)} (or their Chinese names)",
            )
        return self._by_key[resolved]

    def resolve(self, name: object) -> str | None:
        """The key of the category a name stands for, or ``None``.

        Parameters
        ----------
        name : object
            A key (``civilization_station``), Chinese name (``新时代文明实践站``), English name
            or alias; case, spaces, ``_``/``-`` and full-width forms are ignored.
        """
        if isinstance(name, str) and name in self._by_key:
            return name
        return self._by_name.get(_name_key(str(name)))

    def nearest(self, name: str, n: int = 2) -> list[str]:
        """Keys of the ``n`` categories whose names (key, Chinese, English, aliases) are the
        closest spellings of ``name``, closest first; none when nothing is close.

        What an unknown category in a user's file was probably meant to be (a typo such as
        ``elderly_daycar``, or ``老年活动中心`` beside ``文化活动中心``).
        """
        wanted = _name_key(name)
        scored: dict[str, float] = {}
        for category in self.categories:
            if category.item == "user":
                continue
            for known in category.names:
                ratio = difflib.SequenceMatcher(None, wanted, _name_key(known)).ratio()
                scored[category.key] = max(scored.get(category.key, 0.0), ratio)
        ranked = sorted(scored, key=lambda key: (-scored[key], self.keys.index(key)))
        if not ranked:
            return []
        floor = max(_NEAREST_CUTOFF, scored[ranked[0]] - _NEAREST_SPREAD)
        return [key for key in ranked[:n] if scored[key] >= floor]

    def unknown_note(self, name: str, key: str, count: int, where: str) -> str:
        """The note for a user file's category that is not in the catalog (bilingual).

        Parameters
        ----------
        name : str
            The value as the file gives it.
        key : str
            The new category it became.
        count : int
            How many facilities carry it.
        where : str
            The file, e.g. ``facilities file poi.csv``.
        """
        close = self.nearest(name)
        hint = (
            " — did you mean "
            + " or ".join(f"{k} ({self._by_key[k].name_zh})" for k in close)
            + "? 是否应为上述类别？"
            if close
            else ""
        )
        return (
            f"{where}: category {shorten(name)!r} ({count} facilit"
            f"{'y' if count == 1 else 'ies'}) is not in the catalog, so it is counted as a "
            f"new 15-minute category {key!r} of its own 类别不在目录中，按新类别（15分钟）计" + hint
        )

    @property
    def keys(self) -> list[str]:
        """Category keys in display order."""
        return [c.key for c in self.categories]

    @property
    def standard_keys(self) -> list[str]:
        """Keys of the categories that are items of the standard (``item = standard``).

        What a residence's score counts: the planner's own items (civilization practice), the
        extras (hospital, gym) and user categories are reported but not scored.
        """
        return [c.key for c in self.categories if c.item == "standard"]

    @property
    def tag_keys(self) -> set[str]:
        """The OSM tag keys a feature must carry one of to match any rule.

        What to ask Overpass or a reader for: a reader keeps every tag of such a feature, so
        the conditions on other tags (``name~``, ``access!``) can be read. Keys read only by
        negated conditions are left out: ``access!`` must not pull in every street.
        """
        keys: set[str] = set()
        for category in self.categories:
            for rule in (*category.rules, *category.fallback):
                keys.update(rule.positive_keys)
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
        return list(self.match(tags).keys)

    def match(self, tags: Mapping[str, Any]) -> FeatureMatch:
        """Like :meth:`classify`, also saying which keys came from a fallback rule."""
        candidates = self._index.candidates(tags)
        hits = self._index.hits()
        hit = {i for i, rule, fallback in candidates if not fallback and rule.matches(tags, hits)}
        groups = {self.categories[i].group for i in hit}
        fell = {
            i
            for i, rule, fallback in candidates
            if fallback
            and i not in hit
            and self.categories[i].group not in groups
            and rule.matches(tags, hits)
        }
        keys = [self.categories[i].key for i in sorted(hit | fell)]
        fell_back = [self.categories[i].key for i in sorted(fell)]
        return FeatureMatch(tuple(keys), tuple(fell_back))

    def may_match(self, key: str, value: str) -> bool:
        """Whether the tag ``key = value`` can make a feature match some rule.

        A feature none of whose tags may match is in no category (:meth:`match` finds no
        candidate rule for it), so a city's plain buildings can be set aside in bulk.
        """
        return self._index.filed_under(key, value)

    def classify_features(self, features: Iterable[Mapping[str, Any]]) -> Classification:
        """Classify many features and count how many each fallback rule took.

        Parameters
        ----------
        features : iterable of mapping
            The tags of each feature.

        Returns
        -------
        Classification
            Per-feature matches and, per category, the count of features that fell back
            (``fell_back["primary_school"]``: schools counted as primary for want of
            ``isced:level``, ``school=*``, ``grades`` or a telling name).
        """
        matches = tuple(self.match(tags) for tags in features)
        counts = Counter(k for m in matches for k in m.by_fallback)
        fell_back = {c.key: counts[c.key] for c in self.categories if c.fallback}
        return Classification(matches, fell_back)

    def with_category(self, key: str, name: str | None = None) -> Catalog:
        """Return a catalog extended with a user category not in the file.

        Only a key the catalog already has adds nothing. A caller holding a user's category
        value maps it with :meth:`resolve` first (``新时代文明实践站`` → ``civilization_station``),
        as ``user_points.user_facilities`` does; a value passed here as it is becomes its own
        category, so no facility is dropped for want of a column.

        Parameters
        ----------
        key : str
            The new category key (made snake_case).
        name : str, optional
            Display name used for both languages.
        """
        key = normalize_key(check_category_name(key, "a new category"))
        if key in self:
            return self
        color = _PALETTE[len(self.categories) % len(_PALETTE)]
        extra = Category(key, name or key, name or key, 15, "user", color, False, item="user")
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
            A TOML file with ``[[category]]`` tables (see ``data/catalog.toml``), UTF-8 (with
            or without BOM) or GBK.
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
        document = read_toml(path, "catalog")
        unknown_top = set(document) - {"category"}
        if unknown_top:
            raise InputError(
                f"catalog file {path}: unknown top-level key {shorten(sorted(unknown_top)[0])!r}",
                "a catalog holds only [[category]] tables",
            )
        tables = document.get("category")
        if not isinstance(tables, list) or not tables:
            raise InputError(
                f"catalog file {path} has no [[category]] tables",
                "add at least one [[category]] with key, name_zh, name_en, level and match",
            )
        categories = tuple(_parse_category(t, path, i) for i, t in enumerate(tables))
        _check_unique(categories, path)
        return cls(categories, source or str(path))


MAX_CATEGORY_CHARS = 64
"""Longest category name a user's file may give: the key goes into file names
(``png/coverage_<key>.png``, at most 255 bytes) and column names."""
_NEAREST_CUTOFF = 0.5
"""How alike (difflib's ratio, 0–1) a known name must be to be suggested for an unknown one."""
_NEAREST_SPREAD = 0.2
"""A second suggestion only when about as close as the first (``Kindergarden``: one)."""


def check_category_name(name: str, where: str) -> str:
    """A user's category name, stripped; refused when empty or too long for a file name.

    Parameters
    ----------
    name : str
    where : str
        Where it came from, for the message (``facilities file poi.csv, line 4``).

    Raises
    ------
    InputError
        When the name is empty or longer than :data:`MAX_CATEGORY_CHARS` characters.
    """
    text = str(name).strip()
    if not text:
        raise InputError(f"{where}: the category is empty", "give every facility a category")
    if len(text) > MAX_CATEGORY_CHARS:
        raise InputError(
            f"{where}: category {shorten(text, 40)!r} is {len(text)} characters long",
            f"give a category name of at most {MAX_CATEGORY_CHARS} characters (a catalog key "
            "such as kindergarten, or its Chinese name)",
        )
    return text


def normalize_key(text: str) -> str:
    """Make a category key snake_case (``"Culture Station"`` → ``culture_station``).

    Non-ASCII keys (e.g. a planner's ``村史馆``) are kept as they are, since a planner's own
    category names are meaningful.
    """
    key = re.sub(r"[^\w]+", "_", str(text).strip().lower()).strip("_")
    return key or "unnamed"


def categories_in(catalog: Catalog, keys: Iterable[str]) -> list[Category]:
    """Return the catalog's categories for the given keys, in catalog order."""
    wanted = set(keys)
    return [c for c in catalog if c.key in wanted]


def _name_key(name: str) -> str:
    folded = unicodedata.normalize("NFKC", name).casefold()
    return re.sub(r"[\s_\-]+", "", folded)


def _check_unique(categories: tuple[Category, ...], path: Path) -> None:
    owner: dict[str, str] = {}
    for category in categories:
        if category.key in owner:
            raise InputError(
                f"catalog file {path}: category key {category.key!r} appears twice",
                "give every category a unique key",
            )
        owner[category.key] = category.key
    names: dict[str, str] = {}
    for category in categories:
        for name in dict.fromkeys(_name_key(n) for n in category.names):
            other = names.setdefault(name, category.key)
            if other != category.key and name != _name_key(category.key):
                raise InputError(
                    f"catalog file {path}: the name {shorten(name)!r} stands for both "
                    f"{other!r} and {category.key!r}",
                    "give each category its own names and aliases",
                )


def _parse_category(table: Any, path: Path, index: int) -> Category:
    where = f"catalog file {path}, category #{index + 1}"
    if not isinstance(table, dict):
        raise InputError(f"{where} is not a table", "write it as [[category]]")
    unknown = set(table) - set(_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise InputError(
            f"{where}: unknown field {shorten(name)!r}",
            f"allowed fields are {', '.join(sorted(_FIELDS))}",
        )
    for required in _REQUIRED:
        if required not in table:
            raise InputError(f"{where}: missing field {required!r}", f"add {required} = ...")
    key = table["key"]
    if not isinstance(key, str) or not _KEY_RE.match(key):
        raise InputError(
            f"{where}: key {shorten(repr(key))} is not snake_case",
            "use lowercase letters, digits and _",
        )
    where = f"{where} ({key})"
    level = table["level"]
    if not isinstance(level, int) or isinstance(level, bool) or not 0 < level <= 120:
        raise InputError(
            f"{where}: level {shorten(repr(level))} is not a whole number of minutes 1–120",
            "use 5, 10 or 15",
        )
    for name, kind in _FIELDS.items():
        # match and fallback get their own message from _parse_rules.
        if name in table and name not in _RULE_FIELDS and not isinstance(table[name], kind):
            raise InputError(
                f"{where}: {name} = {shorten(repr(table[name]))} must be {_kind(kind)}",
                f"write {name} as {_kind(kind)}",
            )
    item = table.get("item", "standard")
    if item not in _ITEMS:
        raise InputError(
            f"{where}: item = {shorten(repr(item))} is not known",
            f"use one of {', '.join(_ITEMS)}",
        )
    color = table.get("color", "#555555")
    if not _COLOR_RE.match(color):
        raise InputError(f"{where}: color {shorten(repr(color))} is not #rrggbb", 'e.g. "#1f77b4"')
    serves = parse_choice(Serves, f"{where}: serves", table.get("serves", "all"))
    aliases = table.get("aliases", [])
    if not all(isinstance(a, str) and a.strip() for a in aliases):
        raise InputError(f"{where}: aliases must be non-empty strings", 'e.g. aliases = ["诊所"]')
    return Category(
        key=key,
        name_zh=table["name_zh"],
        name_en=table["name_en"],
        level=level,
        group=table.get("group", "other"),
        color=color,
        verified=table.get("verified", False),
        rules=parse_rules(table["match"], f"{where} match"),
        fallback=parse_rules(table.get("fallback", []), f"{where} fallback"),
        aliases=tuple(aliases),
        item=item,
        note=table.get("note", ""),
        serves=serves,
    )


def _kind(kind: type | tuple[type, ...]) -> str:
    return {str: "a string", int: "a whole number", bool: "true or false", list: "a list"}.get(
        kind if isinstance(kind, type) else kind[0], "a value"
    )
