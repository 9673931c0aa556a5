"""The ruleset index, built in one pass, and the mapping that compiles rulesets on first use.

Index shape (docs/design/routing-core.md, "Index"): rules that pin the index field to a set of values are listed
under each of those values (``pinned``); rules that do not pin it are kept once, in rule order (``unpinned``).
A decision merges the two short lists by rule order, so first-match is exactly a linear scan's first match. Building
costs one pass over the rules and their pinned values: no list is rebuilt per distinct value, so a ruleset of
10,000 rules compiles as fast per rule as 250.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from routing.route.rules import EvalContext, Predicate


class IndexedRule(Protocol):
    """What the index needs of a compiled rule: its position in the ruleset and its predicate."""

    @property
    def order(self) -> int:
        """0-based position: first match means the lowest order whose predicate holds."""
        ...

    @property
    def predicate(self) -> Predicate:
        """The compiled condition."""
        ...


R = TypeVar("R", bound=IndexedRule)
V = TypeVar("V")


def _first(rules: Sequence[R], ctx: EvalContext) -> R | None:
    for rule in rules:
        if rule.predicate(ctx):
            return rule
    return None


@dataclass(frozen=True, slots=True)
class RuleIndex(Generic[R]):
    """``pinned[(value, present)]``: rules that allow ``value`` and can hold with the presence field ``present``;
    ``unpinned[present]``: rules that do not pin the index field. Both in rule order."""

    pinned: Mapping[tuple[str, bool], tuple[R, ...]]
    unpinned: tuple[tuple[R, ...], tuple[R, ...]]  # (presence field without a value, with a value)

    @classmethod
    def build(
        cls, rules: Sequence[R], allowed: Sequence[frozenset[str] | None], needs_presence: Sequence[bool]
    ) -> RuleIndex[R]:
        """One pass: ``allowed[i]`` is the set of index values rule i allows (None: any), ``needs_presence[i]``
        whether it can only hold when the presence field has a value."""
        pinned: dict[tuple[str, bool], list[R]] = {}
        absent: list[R] = []
        present: list[R] = []
        for rule, values, need in zip(rules, allowed, needs_presence, strict=True):
            if values is None:
                present.append(rule)
                if not need:
                    absent.append(rule)
                continue
            for value in values:
                pinned.setdefault((value, True), []).append(rule)
                if not need:
                    pinned.setdefault((value, False), []).append(rule)
        return cls({k: tuple(v) for k, v in pinned.items()}, (tuple(absent), tuple(present)))

    def candidates(self, value: str | None, present: bool) -> tuple[R, ...]:
        """Every rule that can still match, in rule order (explanations and tests; ``first_match`` merges lazily)."""
        pinned = self.pinned.get((value, present), ()) if value is not None else ()
        return tuple(sorted((*pinned, *self.unpinned[present]), key=lambda r: r.order))

    def first_match(self, value: str | None, present: bool, ctx: EvalContext) -> R | None:
        """The first rule, in rule order, among the candidates whose predicate holds."""
        pinned = self.pinned.get((value, present), ()) if value is not None else ()
        unpinned = self.unpinned[present]
        if not unpinned:
            return _first(pinned, ctx)
        if not pinned:
            return _first(unpinned, ctx)
        i = j = 0
        while i < len(pinned) and j < len(unpinned):
            if pinned[i].order < unpinned[j].order:
                rule, i = pinned[i], i + 1
            else:
                rule, j = unpinned[j], j + 1
            if rule.predicate(ctx):
                return rule
        return _first(pinned[i:], ctx) or _first(unpinned[j:], ctx)


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a ruleset is built: compiling allocates tens of thousands of closures and
    no cycles, and the collections those allocations trigger (over a heap that holds the whole document) cost as
    much as the compile itself (measured: 10,000 rules 0.79 s with collection, 0.41 s without)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class RulesetUnusableError(ValueError):
    """A ruleset failed to compile on first use (a document that was not validated); remembered, not retried."""


class LazyRulesets(Mapping[str, V]):
    """Ruleset key → compiled ruleset, each compiled on first use and kept.

    A value becomes visible only once fully built (one dict assignment of a finished object), so a decision never
    sees a half-compiled ruleset. A ruleset that fails to compile fails the same way on every later use, without
    paying the compile again. ``precompile`` builds everything (init, SnapStart, benchmarks).
    """

    def __init__(self, specs: Mapping[str, Any], build: Callable[[str, Any], V]) -> None:
        self._specs = dict(specs)
        self._build = build
        self._built: dict[str, V] = {}
        self._failed: dict[str, str] = {}

    def __getitem__(self, key: str) -> V:
        built = self._built.get(key)
        if built is not None:
            return built
        spec = self._specs[key]  # KeyError for a key the document does not have, like a dict
        if key in self._failed:
            raise RulesetUnusableError(self._failed[key])
        try:
            with gc_paused():
                built = self._build(key, spec)
        except Exception as exc:
            self._failed[key] = f"ruleset {key!r} does not compile: {exc}"
            raise RulesetUnusableError(self._failed[key]) from exc
        self._built[key] = built
        return built

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def compiled_keys(self) -> frozenset[str]:
        """The rulesets compiled so far."""
        return frozenset(self._built)

    def reads_field(self, name: str) -> bool:
        """Whether any ruleset's source mentions field ``name`` (init uses it to load what such rules import)."""
        import json

        needle = json.dumps(name)
        return any(needle in json.dumps(spec, default=str) for spec in self._specs.values())

    def precompile(self) -> None:
        """Compile every ruleset now; raises the first ``RulesetUnusableError``."""
        for key in self._specs:
            self[key]
