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
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    from routing.common.contact import ContactRequest

METRIC_NAMES = frozenset(
    {
        "agents_available",
        "agents_online",
        "agents_staffed",
        "contacts_in_queue",
        "contacts_scheduled",
        "oldest_contact_age",
        "estimated_wait_time",
    }
)
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STRING_OPS = frozenset({"equals", "not_equals", "in", "not_in", "prefix", "suffix", "contains", "regex"})
NUMERIC_OPS = frozenset({"gt", "gte", "lt", "lte", "between"})
ALL_OPS = STRING_OPS | NUMERIC_OPS | {"exists"}
SIMPLE_FIELDS = frozenset(
    {
        "channel",
        "initiation_method",
        "dialed_number",
        "caller_number",
        "caller_country",
        "entry_point",
        "line_of_business",
        "language",
        "local_time",
        "local_day",
        "local_date",
    }
)
# Rules per ruleset: compile is linear, and 10,000 rules compile in well under the flow's 3 s invoke budget
# (bench/compile_bench.py); beyond that a ruleset is better split by line of business or entry point.
MAX_RULES_PER_RULESET = 10_000
_TIME_RE = re.compile(r"^(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$")  # 00:00 … 23:59, and 24:00 (end of day)


class RuleError(ValueError):
    """A condition is malformed; ``path`` says where inside the rule."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class MetricsView(Protocol):
    """Live queue metrics as rules see them: ``None`` means unknown (missing or stale)."""

    def prefetch(self, queue_ids: frozenset[str]) -> None:
        """Make the snapshots of these queues available (one batched read at most); never raises."""
        ...

    def metric(self, queue_id: str, name: str, channel: str = "VOICE") -> float | None:
        """The value of metric ``name`` for Connect queue ``queue_id`` on ``channel``, or None when unknown."""
        ...

    def age_seconds(self, queue_id: str) -> float | None:
        """Age of the snapshot the value comes from, or None when there is none."""
        ...


class EvalContext(Protocol):
    """Per-decision facts a compiled condition reads. Expensive facts are computed lazily and cached."""

    contact: ContactRequest
    entry_point: str
    line_of_business: str
    language: str

    def local_minutes(self) -> float:
        """Minutes since local midnight at the entry point's time zone."""
        ...

    def local_day(self) -> str:
        """``mon`` … ``sun`` at the entry point's time zone."""
        ...

    def local_date(self) -> str:
        """ISO date at the entry point's time zone."""
        ...

    def caller_country(self) -> str | None:
        """ISO 3166 region of the caller's number, None when anonymous or unparseable."""
        ...

    def metric(self, queue_id: str, name: str) -> float | None:
        """A live metric, None when unknown."""
        ...


Predicate = Callable[[EvalContext], bool]
Accessor = Callable[[EvalContext], Any]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """How to read one condition field, and whether its values are numbers."""

    accessor: Accessor
    numeric: bool
    time_of_day: bool = False
    indexable: bool = False  # a plain string value read without side effects


def _nonempty(value: str) -> str | None:
    return value or None


@lru_cache(maxsize=4096)
def _plain_field(field: str) -> FieldSpec | None:
    """The accessor of a field that does not depend on the config, shared by every rule naming it (compile time
    is per rule: building one closure per field name instead of per comparison matters at 10,000 rules)."""
    if field == "channel":
        return FieldSpec(lambda c: c.contact.channel or None, numeric=False, indexable=True)
    if field == "initiation_method":
        return FieldSpec(lambda c: _nonempty(c.contact.initiation_method), numeric=False, indexable=True)
    if field == "dialed_number":
        return FieldSpec(lambda c: _nonempty(c.contact.dialed_number), numeric=False, indexable=True)
    if field == "caller_number":
        return FieldSpec(
            lambda c: None if c.contact.caller_is_anonymous else c.contact.customer_number,
            numeric=False,
        )
    if field == "caller_country":
        return FieldSpec(lambda c: c.caller_country(), numeric=False)
    if field == "entry_point":
        return FieldSpec(lambda c: c.entry_point or None, numeric=False, indexable=True)
    if field == "line_of_business":
        return FieldSpec(lambda c: c.line_of_business or None, numeric=False, indexable=True)
    if field == "language":
        return FieldSpec(lambda c: c.language or None, numeric=False, indexable=True)
    if field == "local_time":
        return FieldSpec(lambda c: c.local_minutes(), numeric=True, time_of_day=True)
    if field == "local_day":
        return FieldSpec(lambda c: c.local_day(), numeric=False)
    if field == "local_date":
        return FieldSpec(lambda c: c.local_date(), numeric=False)
    prefix, _, name = field.partition(".")
    if prefix == "attributes" and name:
        return FieldSpec(lambda c: c.contact.attributes.get(name) or None, numeric=False, indexable=True)
    if prefix == "parameters" and name:
        return FieldSpec(lambda c: c.contact.parameters.get(name) or None, numeric=False, indexable=True)
    return None


def resolve_field(field: str, path: str, queue_ids: Mapping[str, str]) -> FieldSpec:
    """Turn a field name from config into an accessor, or raise ``RuleError``."""
    if not isinstance(field, str) or not field:
        raise RuleError(path, "field must be a non-empty string")
    plain = _plain_field(field)
    if plain is not None:
        return plain
    prefix, _, rest = field.partition(".")
    if prefix in ("attributes", "parameters"):
        raise RuleError(path, f"field {field!r} needs a name after '{prefix}.'")
    if prefix == "metrics":
        queue_key, _, metric = rest.partition(".")
        if queue_key not in queue_ids:
            raise RuleError(path, f"field {field!r}: unknown queue {queue_key!r}")
        if metric not in METRIC_NAMES:
            raise RuleError(path, f"field {field!r}: metric must be one of {sorted(METRIC_NAMES)}")
        queue_id = queue_ids[queue_key]
        return FieldSpec(lambda c: c.metric(queue_id, metric), numeric=True)
    raise RuleError(
        path,
        f"unknown field {field!r} (use one of {sorted(SIMPLE_FIELDS)}, attributes.<name>, parameters.<name>, "
        "metrics.<queue>.<metric>)",
    )


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
    op: str
    values: tuple[str, ...]
    when_unknown: bool
    indexable: bool
    predicate: Predicate
    requires_presence: bool = False  # cheap field that must have a value for this comparison to hold


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
    if metric_queues is not None and field_name.startswith("metrics."):  # type: ignore[union-attr]
        metric_queues.add(field_name.split(".")[1])  # type: ignore[union-attr]
    op = spec.get("op", "equals")
    if op not in ALL_OPS:
        raise RuleError(f"{path}.op", f"unknown operator {op!r} (one of {sorted(ALL_OPS)})")
    when_unknown = spec.get("when_unknown", False)
    if not isinstance(when_unknown, bool):
        raise RuleError(f"{path}.when_unknown", "must be true or false")
    value = spec.get("value")
    vpath = f"{path}.value"
    get = fs.accessor
    unknown = when_unknown
    values: tuple[str, ...] = ()
    pred: Predicate

    if op == "exists":
        want = True if value is None else value
        if not isinstance(want, bool):
            raise RuleError(vpath, "exists takes true or false")

        def pred(c: EvalContext) -> bool:
            return (get(c) is not None) is want

        return Comparison(str(field_name), op, (), when_unknown, False, pred, fs.indexable and want)

    if op in NUMERIC_OPS or (fs.numeric and op in ("equals", "not_equals")):
        if op == "between":
            if not isinstance(value, list) or len(value) != 2:
                raise RuleError(vpath, "between takes a list [low, high]")
            lo, hi = _number(value[0], fs, vpath), _number(value[1], fs, vpath)
            if lo > hi:
                raise RuleError(vpath, f"between: low {value[0]!r} is above high {value[1]!r}")

            def pred(c: EvalContext) -> bool:
                x = _to_float(get(c))
                return unknown if x is None else lo <= x <= hi

        else:
            n = _number(value, fs, vpath)
            cmp = _NUMERIC_CMP[op]

            def pred(c: EvalContext) -> bool:
                x = _to_float(get(c))
                return unknown if x is None else cmp(x, n)

        return Comparison(str(field_name), op, (), when_unknown, False, pred, fs.indexable and not when_unknown)

    if fs.numeric:
        raise RuleError(f"{path}.op", f"{op!r} does not apply to numeric field {field_name!r}")

    if op in ("equals", "not_equals"):
        (target,) = values = _strings(value, vpath) if not isinstance(value, list) else ("",)
        if isinstance(value, list):
            raise RuleError(vpath, f"{op} takes one value; use 'in' for a list")
        negate = op == "not_equals"

        def pred(c: EvalContext) -> bool:
            x = get(c)
            return unknown if x is None else (x == target) is not negate

    elif op in ("in", "not_in"):
        if not isinstance(value, list):
            raise RuleError(vpath, f"{op} takes a list")
        values = _strings(value, vpath, allow_single=False)
        members = frozenset(values)
        negate = op == "not_in"

        def pred(c: EvalContext) -> bool:
            x = get(c)
            return unknown if x is None else (x in members) is not negate

    elif op in ("prefix", "suffix", "contains"):
        values = _strings(value, vpath)
        needles = values
        if op == "prefix":

            def pred(c: EvalContext) -> bool:
                x = get(c)
                return unknown if x is None else x.startswith(needles)

        elif op == "suffix":

            def pred(c: EvalContext) -> bool:
                x = get(c)
                return unknown if x is None else x.endswith(needles)

        else:

            def pred(c: EvalContext) -> bool:
                x = get(c)
                return unknown if x is None else any(n in x for n in needles)

    else:  # regex
        if not isinstance(value, str) or not value:
            raise RuleError(vpath, "regex takes a non-empty pattern string")
        import re2  # RE2: linear-time matching, so an author's pattern cannot backtrack catastrophically

        try:
            pattern = re2.compile(value)
        except Exception as exc:  # re2 raises its own error type  # noqa: BLE001
            raise RuleError(vpath, f"invalid regex {value!r}: {exc}") from None
        search = pattern.search
        values = (value,)

        def pred(c: EvalContext) -> bool:
            x = get(c)
            return unknown if x is None else search(x) is not None

    indexable = fs.indexable and op in ("equals", "in") and not when_unknown
    return Comparison(str(field_name), op, values, when_unknown, indexable, pred, fs.indexable and not when_unknown)


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
