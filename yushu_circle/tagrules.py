"""OSM tag rules: conditions, linear-time name patterns (RE2) and the index that finds rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import re2

from yushu_circle._config import shorten
from yushu_circle.errors import InputError

Mode = Literal["equals", "regex", "not_equals", "not_regex"]
"""How a rule condition reads its tag: ``key``, ``key~``, ``key!``, ``key!~``."""
PatternHits = Callable[[str, str], frozenset[str]]
"""``hits(key, text)``: the patterns written for tag ``key`` that are found in ``text``."""


def _re2_options() -> re2.Options:
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    return options


_RE2_OPTIONS = _re2_options()


def compile_pattern(pattern: str, where: str) -> Any:
    """Compile a user-supplied name pattern with RE2, which matches in linear time.

    Python's ``re`` backtracks: ``(a+)+$`` against forty ``a`` and a ``!`` never finishes.
    RE2 has no backtracking, so every pattern runs in time linear in the text; it refuses
    the few constructs that need backtracking (look-around, back-references).

    Parameters
    ----------
    pattern : str
        The regular expression (case-insensitive).
    where : str
        Where the pattern was written, for the error message.

    Raises
    ------
    InputError
        When RE2 cannot compile the pattern.
    """
    try:
        return re2.compile(pattern, _RE2_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise InputError(
            f"{where}: bad regular expression {shorten(pattern)!r} ({reason})",
            "fix the pattern; look-around (?=…) and back-references \\1 are not supported "
            "(patterns run in linear time with RE2)",
        ) from None


@dataclass(frozen=True)
class Condition:
    """One condition of a tag rule.

    Parameters
    ----------
    key : str
        The OSM tag key.
    values : tuple of str
        Accepted values (``("*",)``: any value) or regular expressions.
    mode : Mode
        ``equals`` (``key``), ``regex`` (``key~``), ``not_equals`` (``key!``: the tag is absent or
        has none of the values), ``not_regex`` (``key!~``: absent or no pattern found).
    """

    key: str
    values: tuple[str, ...]
    mode: Mode = "equals"
    _patterns: tuple[Any, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.mode in ("regex", "not_regex") and not self._patterns:
            where = f"rule condition {self.key}"
            patterns = tuple(compile_pattern(v, where) for v in self.values)
            object.__setattr__(self, "_patterns", patterns)

    def holds(self, tags: Mapping[str, Any], hits: PatternHits | None = None) -> bool:
        """Whether the feature's tags satisfy this condition.

        Parameters
        ----------
        tags : mapping
            The feature's tags (missing ones absent or NaN).
        hits : callable, optional
            ``hits(key, text)`` → the patterns of ``key`` found in ``text``, all at once (see
            :class:`RuleIndex`); without it each pattern is searched on its own.
        """
        raw = tags.get(self.key)
        if raw is None or (isinstance(raw, float) and raw != raw):
            return self.mode in ("not_equals", "not_regex")
        text = str(raw)
        if self.mode in ("regex", "not_regex"):
            if hits is None:
                found = any(p.search(text) is not None for p in self._patterns)
            else:
                found = not hits(self.key, text).isdisjoint(self.values)
            return found if self.mode == "regex" else not found
        if self.values == ("*",):
            return self.mode == "equals"
        found = bool({part.strip() for part in text.split(";")}.intersection(self.values))
        return found if self.mode == "equals" else not found


@dataclass(frozen=True)
class TagRule:
    """One OSM tag rule: every condition must hold.

    Parameters
    ----------
    conditions : tuple of Condition
    """

    conditions: tuple[Condition, ...]

    def matches(self, tags: Mapping[str, Any], hits: PatternHits | None = None) -> bool:
        """Whether the feature's tags satisfy every condition of the rule."""
        return all(c.holds(tags, hits) for c in self.conditions)

    @property
    def keys(self) -> tuple[str, ...]:
        """The OSM tag keys the rule reads."""
        return tuple(c.key for c in self.conditions)

    @property
    def positive_keys(self) -> tuple[str, ...]:
        """The tag keys a feature must carry to match (negated conditions hold when absent)."""
        return tuple(c.key for c in self.conditions if c.mode in ("equals", "regex"))


class RuleIndex:
    """Which rules can match a feature, found from its tags without trying every rule.

    A rule is filed under one condition a matching feature must meet: an exact ``key = value``
    when it has one (looked up by each ``;`` part of the feature's value), else the key of a
    positive condition (``key = "*"`` or ``key~``). A feature's candidates are the rules filed
    under its tags; only those are tried in full. With dozens of categories this is what keeps
    classifying a city's features fast.

    Parameters
    ----------
    rules : sequence of (int, TagRule, bool)
        ``(owner, rule, is_fallback)`` — the owner is the category's position.
    """

    def __init__(self, rules: Sequence[tuple[int, TagRule, bool]]) -> None:
        self._by_value: dict[tuple[str, str], list[tuple[int, TagRule, bool]]] = {}
        self._by_key: dict[str, list[tuple[int, TagRule, bool]]] = {}
        self._always: list[tuple[int, TagRule, bool]] = []
        for entry in rules:
            rule = entry[1]
            exact = next(
                (c for c in rule.conditions if c.mode == "equals" and c.values != ("*",)), None
            )
            if exact is not None:
                for value in exact.values:
                    self._by_value.setdefault((exact.key, value), []).append(entry)
            elif rule.positive_keys:
                self._by_key.setdefault(rule.positive_keys[0], []).append(entry)
            else:
                self._always.append(entry)
        self._value_keys = {key for key, _ in self._by_value}
        # Every pattern of a tag key in one RE2 set: one linear pass finds them all.
        patterns: dict[str, dict[str, None]] = {}
        for _, rule, _ in rules:
            for c in rule.conditions:
                if c.mode in ("regex", "not_regex"):
                    patterns.setdefault(c.key, {}).update(dict.fromkeys(c.values))
        self._sets: dict[str, tuple[Any, tuple[str, ...]]] = {}
        for key, found in patterns.items():
            pattern_set = re2.Set.SearchSet(_RE2_OPTIONS)
            for pattern in found:
                pattern_set.Add(pattern)
            pattern_set.Compile()
            self._sets[key] = (pattern_set, tuple(found))

    def hits(self) -> PatternHits:
        """A ``hits(key, text)`` for one feature: each key's pattern set run once, then reused."""
        memo: dict[tuple[str, str], frozenset[str]] = {}

        def found(key: str, text: str) -> frozenset[str]:
            if (key, text) not in memo:
                pattern_set, names = self._sets[key]
                ids = pattern_set.Match(text) or ()
                memo[key, text] = frozenset(names[i] for i in ids)
            return memo[key, text]

        return found

    def filed_under(self, key: str, value: str) -> bool:
        """Whether :meth:`candidates` finds a rule through the tag ``key = value``.

        A feature none of whose tags is filed under (and no rule filed for every feature)
        has no candidates, so it matches no rule: callers skip such features in bulk.
        """
        if self._always or key in self._by_key:
            return True
        if key not in self._value_keys:
            return False
        return any((key, part.strip()) in self._by_value for part in value.split(";"))

    def candidates(self, tags: Mapping[str, Any]) -> list[tuple[int, TagRule, bool]]:
        """The rules that may match ``tags``, in filing order (missing tags: absent or NaN)."""
        found: dict[int, tuple[int, TagRule, bool]] = {}
        for key, raw in tags.items():
            if raw is None or (isinstance(raw, float) and raw != raw):
                continue
            for entry in self._by_key.get(key, ()):
                found[id(entry)] = entry
            if key in self._value_keys:
                for part in str(raw).split(";"):
                    for entry in self._by_value.get((key, part.strip()), ()):
                        found[id(entry)] = entry
        for entry in self._always:
            found[id(entry)] = entry
        return list(found.values())


def parse_rules(rules: Any, where: str) -> tuple[TagRule, ...]:
    """A catalog entry's ``match`` list as tag rules; a clear InputError naming ``where``."""
    if not isinstance(rules, list) or not all(isinstance(r, dict) and r for r in rules):
        raise InputError(
            f"{where} must be a list of tag tables", 'write e.g. match = [{ amenity = "clinic" }]'
        )
    parsed = []
    for rule in rules:
        conditions = []
        for tag, value in rule.items():
            mode: Mode = "equals"
            key = tag
            if tag.endswith("!~"):
                mode, key = "not_regex", tag[:-2]
            elif tag.endswith("~"):
                mode, key = "regex", tag[:-1]
            elif tag.endswith("!"):
                mode, key = "not_equals", tag[:-1]
            if not key:
                raise InputError(f"{where}: a condition has no tag key", 'write e.g. "name~" = "…"')
            values = _rule_values(value, f"{where} {key}")
            patterns: tuple[Any, ...] = ()
            if mode in ("regex", "not_regex"):
                patterns = tuple(compile_pattern(v, f"{where} {tag}") for v in values)
            conditions.append(Condition(key, values, mode, patterns))
        if all(c.mode in ("not_equals", "not_regex") for c in conditions):
            raise InputError(
                f"{where}: a rule has only negated conditions (it would match every feature)",
                'add a positive condition, e.g. amenity = "…"',
            )
        parsed.append(TagRule(tuple(conditions)))
    return tuple(parsed)


def _rule_values(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise InputError(
        f"{where}: value {shorten(repr(value))} is not a string or list of strings", "quote it"
    )
