"""Rule conditions as data, compiled once per config version into plain Python closures.

No ``eval``/``exec`` of config text: every condition becomes a tree of small functions built here. Regexes come
from config authors, so they run on RE2 (linear time: catastrophic backtracking is impossible).

A comparison whose field has no value (missing attribute, anonymous caller, unknown or stale metric) returns the
comparison's ``when_unknown`` (default ``False``): never a silent guess such as "the queue is empty".
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from routing.route.rules import (
    ALL_OPS,
    NUMERIC_OPS,
    Accessor,
    EvalContext,
    FieldSpec,
    Predicate,
    RuleError,
    resolve_field,
)

_TIME_RE = re.compile(r"^(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$")  # 00:00 … 23:59, and 24:00 (end of day)


def _number(value: object, spec: FieldSpec, path: str) -> float:
    if spec.time_of_day:
        if isinstance(value, str) and (m := _TIME_RE.fullmatch(value)):
            hour, minute = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            return int(hour) * 60 + int(minute)
        raise RuleError(path, f"local_time values are 'HH:MM', got {value!r}")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RuleError(path, f"expected a number, got {value!r}")
    try:
        return float(value)
    except ValueError as exc:
        raise RuleError(path, f"expected a number, got {value!r}") from exc


_SCALAR_TYPES = (str, int, float)  # a tuple: isinstance with an X | Y union is slower, and this runs per leaf


def _strings(value: object, path: str, *, allow_single: bool = True) -> tuple[str, ...]:
    if isinstance(value, _SCALAR_TYPES) and not isinstance(value, bool) and allow_single:
        return (str(value),)
    if isinstance(value, list) and value and all(isinstance(v, _SCALAR_TYPES) for v in value):
        return tuple(v if type(v) is str else str(v) for v in value)
    raise RuleError(path, f"expected a string or a non-empty list of strings, got {value!r}")


def _to_float(raw: Any) -> float | None:
    if isinstance(raw, int | float):
        return float(raw)
    try:
        return float(raw)
    except (TypeError, ValueError):
        return None


class Comparison(NamedTuple):
    """A compiled leaf comparison, kept for indexing and explanations (a NamedTuple: built once per leaf, and a
    frozen dataclass costs 7x more to construct — it adds up at 10,000 rules)."""

    field: str
    predicate: Predicate
    requires_presence: bool = False  # cheap field that must have a value for this comparison to hold
    values: tuple[str, ...] = ()  # the values an indexable comparison (equals / in) pins
    indexable: bool = False


_COMPARISON_KEYS = frozenset({"field", "op", "value", "when_unknown"})
_NUMERIC_CMP: dict[str, Callable[[float, float], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "equals": operator.eq,
    "not_equals": operator.ne,
}


def compile_comparison(
    spec: Mapping[str, Any], path: str, queue_ids: Mapping[str, str], metric_queues: set[str] | None = None
) -> Comparison:
    """Compile ``{field, op, value, when_unknown}`` into a ``Comparison``; adds the queue key of a
    ``metrics.<queue>.<metric>`` field to ``metric_queues`` when given."""
    if not _COMPARISON_KEYS.issuperset(spec):
        raise RuleError(path, f"unknown keys {sorted(set(spec) - _COMPARISON_KEYS)} in a comparison")
    field_name = spec.get("field")
    fs = resolve_field(field_name, path + ".field", queue_ids)  # type: ignore[arg-type]
    name = str(field_name)
    if metric_queues is not None and name.startswith("metrics."):
        metric_queues.add(name.split(".")[1])
    op = spec.get("op", "equals")
    if op not in ALL_OPS:
        raise RuleError(f"{path}.op", f"unknown operator {op!r} (one of {sorted(ALL_OPS)})")
    unknown = spec.get("when_unknown", False)
    if not isinstance(unknown, bool):
        raise RuleError(f"{path}.when_unknown", "must be true or false")
    value, vpath = spec.get("value"), f"{path}.value"
    presence = fs.indexable and not unknown  # the field must have a value for the comparison to hold
    if op == "exists":
        want = True if value is None else value
        if not isinstance(want, bool):
            raise RuleError(vpath, "exists takes true or false")
        return Comparison(name, _exists(fs.accessor, want), fs.indexable and want)
    if op in NUMERIC_OPS or (fs.numeric and op in ("equals", "not_equals")):
        return Comparison(name, _numeric(op, value, fs, vpath, unknown), presence)
    if fs.numeric:
        raise RuleError(f"{path}.op", f"{op!r} does not apply to numeric field {name!r}")
    pred, values = _text(op, value, fs.accessor, vpath, unknown)
    indexable = fs.indexable and op in ("equals", "in") and not unknown
    return Comparison(name, pred, presence, values, indexable)


def _exists(get: Accessor, want: bool) -> Predicate:
    def pred(c: EvalContext) -> bool:
        return (get(c) is not None) is want

    return pred


def _numeric(op: str, value: object, fs: FieldSpec, vpath: str, unknown: bool) -> Predicate:
    """gt/gte/lt/lte/between, and equals/not_equals on a numeric field."""
    get = fs.accessor
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise RuleError(vpath, "between takes a list [low, high]")
        lo, hi = _number(value[0], fs, vpath), _number(value[1], fs, vpath)
        if lo > hi:
            raise RuleError(vpath, f"between: low {value[0]!r} is above high {value[1]!r}")

        def between(c: EvalContext) -> bool:
            x = _to_float(get(c))
            return unknown if x is None else lo <= x <= hi

        return between
    n = _number(value, fs, vpath)
    cmp = _NUMERIC_CMP[op]

    def compare(c: EvalContext) -> bool:
        x = _to_float(get(c))
        return unknown if x is None else cmp(x, n)

    return compare


def _text(op: str, value: object, get: Accessor, vpath: str, unknown: bool) -> tuple[Predicate, tuple[str, ...]]:
    """The string operators: the predicate and the values it compares with (kept for indexing)."""
    if op in ("equals", "not_equals"):
        (target,) = values = _strings(value, vpath) if not isinstance(value, list) else ("",)
        if isinstance(value, list):
            raise RuleError(vpath, f"{op} takes one value; use 'in' for a list")
        negate = op == "not_equals"

        def equals(c: EvalContext) -> bool:
            x = get(c)
            return unknown if x is None else (x == target) is not negate

        return equals, values
    if op in ("in", "not_in"):
        if not isinstance(value, list):
            raise RuleError(vpath, f"{op} takes a list")
        values = _strings(value, vpath, allow_single=False)
        members = frozenset(values)
        negate = op == "not_in"

        def member(c: EvalContext) -> bool:
            x = get(c)
            return unknown if x is None else (x in members) is not negate

        return member, values
    if op in ("prefix", "suffix", "contains"):
        values = _strings(value, vpath)
        return _affix(op, values, get, unknown), values
    return _regex(value, get, vpath, unknown)


def _affix(op: str, needles: tuple[str, ...], get: Accessor, unknown: bool) -> Predicate:
    if op == "prefix":

        def prefix(c: EvalContext) -> bool:
            x = get(c)
            return unknown if x is None else x.startswith(needles)

        return prefix
    if op == "suffix":

        def suffix(c: EvalContext) -> bool:
            x = get(c)
            return unknown if x is None else x.endswith(needles)

        return suffix

    def contains(c: EvalContext) -> bool:
        x = get(c)
        return unknown if x is None else any(n in x for n in needles)

    return contains


def _regex(value: object, get: Accessor, vpath: str, unknown: bool) -> tuple[Predicate, tuple[str, ...]]:
    if not isinstance(value, str) or not value:
        raise RuleError(vpath, "regex takes a non-empty pattern string")
    import re2  # RE2: linear-time matching, so an author's pattern cannot backtrack catastrophically

    try:
        pattern = re2.compile(value)
    except Exception as exc:  # re2 raises its own error type  # noqa: BLE001
        raise RuleError(vpath, f"invalid regex {value!r}: {exc}") from None
    search = pattern.search

    def matches(c: EvalContext) -> bool:
        x = get(c)
        return unknown if x is None else search(x) is not None

    return matches, (value,)


def _always(_: EvalContext) -> bool:
    return True


def compile_condition(
    spec: object, path: str, queue_ids: Mapping[str, str], metric_queues: set[str] | None = None
) -> tuple[Predicate, list[Comparison]]:
    """Compile a condition tree. Returns the predicate and the top-level AND-ed comparisons (for indexing); adds the
    queue keys its metric fields name to ``metric_queues`` when given."""
    if spec is None:
        return _always, []
    # dict first: documents are parsed JSON, and an ABC isinstance check costs more than the rest of a leaf
    if not isinstance(spec, dict) and not isinstance(spec, Mapping):
        raise RuleError(path, "a condition is a mapping with one of: all, any, not, field")
    if "field" in spec:
        comparison = compile_comparison(spec, path, queue_ids, metric_queues)
        return comparison.predicate, [comparison]
    kind = next(iter(spec), None)
    if len(spec) != 1 or kind not in ("all", "any", "not"):
        raise RuleError(path, f"a condition has exactly one of all/any/not/field, got {sorted(map(str, spec))}")
    body = spec[kind]
    if kind == "not":
        inner, _ = compile_condition(body, f"{path}.not", queue_ids, metric_queues)
        return (lambda c: not inner(c)), []
    if not isinstance(body, list) or not body:
        raise RuleError(f"{path}.{kind}", f"{kind} takes a non-empty list of conditions")
    compiled = [compile_condition(sub, f"{path}.{kind}[{i}]", queue_ids, metric_queues) for i, sub in enumerate(body)]
    preds = tuple(p for p, _ in compiled)
    if kind == "any":
        if len(preds) == 1:
            return preds[0], []
        return (lambda c: any(p(c) for p in preds)), []
    leaves = [leaf for _, leaves_ in compiled for leaf in leaves_]
    if len(preds) == 1:
        return preds[0], leaves
    if len(preds) == 2:
        p0, p1 = preds
        return (lambda c: p0(c) and p1(c)), leaves
    return (lambda c: all(p(c) for p in preds)), leaves


def choose_index_field(rule_leaves: Sequence[Iterable[Comparison]], *, presence: bool = False) -> str | None:
    """The field most rules pin with equals/in (or, with ``presence``, merely require to have a value):
    indexing on it prunes the most candidates."""
    counts: dict[str, int] = {}
    for leaves in rule_leaves:
        for f in {c.field for c in leaves if (c.requires_presence if presence else c.indexable)}:
            counts[f] = counts.get(f, 0) + 1
    if not counts:
        return None
    best = max(sorted(counts), key=lambda f: counts[f])
    return best if counts[best] >= 2 else None
