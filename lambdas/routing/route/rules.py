"""What a rule condition can read: the fields, operators and metric names, the per-decision facts a compiled
condition sees (``EvalContext``, ``MetricsView``), ``RuleError``, and ``resolve_field`` (a field name → accessor).

Conditions themselves compile in ``routing.route.conditions``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

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
