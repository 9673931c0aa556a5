"""A config version compiled once: queues, schedules, entry points, rulesets (lazily) and callback policies.

``CompiledConfig.compile`` turns a normalized document (validated before it was published) into indexes and
closures, so a decision (``routing.route.engine.decide``) is a handful of dictionary lookups and predicate calls.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from routing.callback.policy import CallbackPolicy
from routing.common.contact import ContactRequest
from routing.route.conditions import Comparison, choose_index_field, compile_condition
from routing.route.decision import QueueProfile
from routing.route.rules import MAX_RULES_PER_RULESET, EvalContext, Predicate, RuleError, resolve_field
from routing.route.ruleset_index import LazyRulesets, RuleIndex
from routing.route.schedule import CompiledSchedule


@dataclass(frozen=True, slots=True)
class CompiledQueue:
    """A queue with what fallbacks need (its schedule, capacity)."""

    profile: QueueProfile
    schedule: str | None
    capacity: int | None
    transfer_queue: str | None = None  # agent transfers into this queue go there instead (config ``transfer_queue``)


@dataclass(frozen=True, slots=True)
class Fallback:
    """Take ``queue`` instead when ``condition`` holds on the primary target."""

    queue: str
    condition: str
    seconds: float | None
    when_unknown: bool


@dataclass(frozen=True, slots=True)
class Target:
    """What a matched rule (or a ruleset's default) routes to."""

    rule_id: str
    classification: str
    queue: str
    priority: int
    routing_criteria: str
    attributes: Mapping[str, str]
    fallbacks: tuple[Fallback, ...]


class CompiledRule(NamedTuple):
    """A rule's order, predicate and target (a NamedTuple: cheap to build, one per rule)."""

    order: int
    predicate: Predicate
    target: Target


@dataclass(frozen=True, slots=True)
class CompiledRuleset:
    """First-match rules with an equality index and a presence index (``routing.route.ruleset_index.RuleIndex``).

    ``candidates(value, present)`` is, in rule order, every rule that can still match when the index field has
    ``value`` (None: no value) and the presence field has a value (``present``) or not. A rule is left out only when
    one of its top-level AND-ed comparisons is certain to be false there, so first-match over the candidates returns
    exactly what a linear scan returns.
    """

    key: str
    default: Target
    rules: tuple[CompiledRule, ...]
    index_field: str | None
    index_get: Any  # accessor of the equality-index field, None when not indexed
    presence_field: str | None
    presence_get: Any  # accessor of the presence-index field, None when not indexed
    index: RuleIndex[CompiledRule] | None  # None when neither field is indexed: a linear scan
    metric_queue_ids: frozenset[str] = frozenset()  # every queue whose metrics a decision here may read

    def _keys(self, ctx: EvalContext) -> tuple[str | None, bool]:
        value = self.index_get(ctx) if self.index_get is not None else None
        return value, self.presence_get is None or self.presence_get(ctx) is not None

    def candidates(self, value: str | None, present: bool) -> tuple[CompiledRule, ...]:
        """The rules a decision scans for these index keys (explanations, tests)."""
        return self.rules if self.index is None else self.index.candidates(value, present)

    def match(self, ctx: EvalContext) -> Target:
        """The first rule whose condition holds, else the default."""
        if self.index is None:
            for rule in self.rules:
                if rule.predicate(ctx):
                    return rule.target
            return self.default
        found = self.index.first_match(*self._keys(ctx), ctx)
        return found.target if found is not None else self.default


@dataclass(frozen=True, slots=True)
class EntryPoint:
    """Where a contact came in, and how to treat it."""

    key: str
    line_of_business: str
    language: str
    ruleset: str
    schedule: str | None


@dataclass(frozen=True, slots=True)
class CompiledConfig:
    """One immutable, compiled config version."""

    version: str
    content_hash: str
    published_at: str
    default_queue: str
    error_message: str  # defaults.error_message: what an ERROR_DEFAULT reply asks the flow to play
    closed_message: str
    default_time_zone: str
    default_country: str
    queues: Mapping[str, CompiledQueue]
    schedules: Mapping[str, CompiledSchedule]
    entries_by_number: Mapping[str, EntryPoint]
    entries_by_key: Mapping[str, EntryPoint]
    lob_schedule: Mapping[str, str | None]
    lob_country: Mapping[str, str]
    lob_default_queue: Mapping[str, str]
    rulesets: Mapping[str, CompiledRuleset]
    rule_count: int
    callback_policies: Mapping[str, CallbackPolicy] = field(default_factory=dict)
    queue_callback_policy: Mapping[str, str] = field(default_factory=dict)  # queue key → policy key
    queue_line_of_business: Mapping[str, str] = field(default_factory=dict)
    queue_by_id: Mapping[str, CompiledQueue] = field(default_factory=dict)  # Connect queue id → queue (transfers)
    languages: Mapping[str, tuple[str, Mapping[str, str]]] = field(default_factory=dict)  # code → (voice, prompts)

    @classmethod
    def compile(
        cls,
        document: Mapping[str, Any],
        *,
        version: str = "",
        content_hash: str = "",
        published_at: str = "",
        eager: bool = False,
    ) -> CompiledConfig:
        """Compile a normalized document. Raises ``RuleError``/``KeyError``/``ValueError`` if it is not valid.

        Rulesets compile on first use (a decision pays only for the ruleset it needs); ``eager=True`` compiles
        them all now, as init and SnapStart want, and raises if one does not compile.
        """
        defaults = document["defaults"]
        queue_docs: Mapping[str, Mapping[str, Any]] = document.get("queues") or {}
        queues = _compile_queues(queue_docs)
        lobs: Mapping[str, Mapping[str, Any]] = document.get("lines_of_business") or {}
        by_number, by_key = _compile_entry_points(document.get("entry_points") or {})
        ruleset_docs: Mapping[str, Mapping[str, Any]] = document.get("rulesets") or {}
        for k, r in ruleset_docs.items():
            _check_rule_count(k, r)  # cheap, and refuses the version before any decision uses it
        queue_ids = {k: q.profile.queue_id for k, q in queues.items()}
        if defaults["default_queue"] not in queues:
            raise KeyError(f"defaults.default_queue {defaults['default_queue']!r} is not a queue")
        country = defaults.get("country") or "US"
        compiled = cls(
            version=version,
            content_hash=content_hash,
            published_at=published_at,
            default_queue=defaults["default_queue"],
            error_message=defaults.get("error_message") or "",
            closed_message=defaults.get("closed_message") or "",
            default_time_zone=defaults.get("time_zone") or "UTC",
            default_country=country,
            queues=queues,
            queue_by_id={q.profile.queue_id: q for q in queues.values()},
            languages={
                code: (str(lang.get("voice") or ""), dict(lang.get("prompts") or {}))
                for code, lang in (defaults.get("languages") or {}).items()
            },
            schedules={k: CompiledSchedule.compile(k, s) for k, s in (document.get("schedules") or {}).items()},
            entries_by_number=by_number,
            entries_by_key=by_key,
            lob_schedule={k: lob.get("schedule") for k, lob in lobs.items()},
            lob_country={k: lob.get("country") or country for k, lob in lobs.items()},
            lob_default_queue={k: lob.get("default_queue") or defaults["default_queue"] for k, lob in lobs.items()},
            rulesets=LazyRulesets(ruleset_docs, lambda k, r: _compile_ruleset(k, r, queue_ids, f"rulesets.{k}")),
            rule_count=sum(len(r.get("rules") or ()) for r in ruleset_docs.values()),
            callback_policies={
                k: CallbackPolicy.compile(p) for k, p in (document.get("callback_policies") or {}).items()
            },
            queue_line_of_business={
                k: q["line_of_business"] for k, q in queue_docs.items() if q.get("line_of_business")
            },
            queue_callback_policy=queue_callback_policies(queue_docs, lobs, defaults.get("callback_policy")),
        )
        if eager:
            compiled.precompile()
        return compiled

    def precompile(self) -> None:
        """Compile every ruleset not compiled yet (init, SnapStart); raises ``RulesetUnusableError`` if one fails."""
        if isinstance(self.rulesets, LazyRulesets):
            self.rulesets.precompile()

    def find_entry(self, contact: ContactRequest) -> EntryPoint | None:
        """Entry point by explicit ``entry_key`` parameter, then dialed number, then ``entry_key`` attribute."""
        key = contact.parameters.get("entry_key")
        if key and (entry := self.entries_by_key.get(key)):
            return entry
        if contact.dialed_number and (entry := self.entries_by_number.get(contact.dialed_number)):
            return entry
        key = contact.attributes.get("entry_key")
        if key and (entry := self.entries_by_key.get(key)):
            return entry
        return None


def _compile_queues(queue_docs: Mapping[str, Mapping[str, Any]]) -> dict[str, CompiledQueue]:
    return {
        k: CompiledQueue(
            profile=QueueProfile(
                key=k, queue_id=q["queue_id"], name=q.get("name") or k, attributes=dict(q.get("attributes") or {})
            ),
            schedule=q.get("hours"),
            capacity=q.get("capacity"),
            transfer_queue=q.get("transfer_queue"),
        )
        for k, q in queue_docs.items()
    }


def _compile_entry_points(
    entry_docs: Mapping[str, Mapping[str, Any]],
) -> tuple[dict[str, EntryPoint], dict[str, EntryPoint]]:
    """Entry points by dialed number and by key (an explicit ``entry_key`` first, then the config key)."""
    by_number: dict[str, EntryPoint] = {}
    by_key: dict[str, EntryPoint] = {}
    for key, e in entry_docs.items():
        entry = EntryPoint(
            key=key,
            line_of_business=e["line_of_business"],
            language=e.get("language") or "",
            ruleset=e["ruleset"],
            schedule=e.get("schedule"),
        )
        if e.get("dialed_number"):
            by_number[e["dialed_number"]] = entry
        if e.get("entry_key"):
            by_key[e["entry_key"]] = entry
        by_key.setdefault(key, entry)
    return by_number, by_key


def queue_callback_policies(
    queues: Mapping[str, Mapping[str, Any]], lobs: Mapping[str, Mapping[str, Any]], centre_default: str | None
) -> dict[str, str]:
    """Queue key → the callback policy it uses: its own, else its line of business's, else the centre default
    (``defaults.callback_policy``); a queue with none of the three is absent (no callback offered)."""
    resolved: dict[str, str] = {}
    for key, queue in queues.items():
        lob = lobs.get(queue.get("line_of_business") or "", {})
        policy = queue.get("callback_policy") or lob.get("callback_policy") or centre_default
        if policy:
            resolved[key] = policy
    return resolved


def _compile_target(spec: Mapping[str, Any], rule_id: str) -> Target:
    criteria = spec.get("routing_criteria")
    return Target(
        rule_id=rule_id,
        classification=spec.get("classification") or "",
        queue=spec["queue"],
        priority=int(spec.get("priority") or 5),
        routing_criteria=json.dumps(criteria, separators=(",", ":"), sort_keys=True) if criteria else "",
        attributes=dict(spec.get("attributes") or {}),
        fallbacks=tuple(
            Fallback(
                queue=f["queue"],
                condition=f["when"],
                seconds=f.get("seconds"),
                when_unknown=bool(f.get("when_unknown", False)),
            )
            for f in spec.get("fallbacks") or ()
        ),
    )


def _check_rule_count(key: str, spec: Mapping[str, Any]) -> None:
    count = len(spec.get("rules") or ())
    if count > MAX_RULES_PER_RULESET:
        raise RuleError(
            f"rulesets.{key}.rules",
            f"ruleset {key!r} has {count} rules, above the cap of {MAX_RULES_PER_RULESET} per ruleset",
        )


def _compile_ruleset(key: str, spec: Mapping[str, Any], queue_ids: Mapping[str, str], path: str) -> CompiledRuleset:
    """One ruleset (lazily, on first use; ``CompiledConfig.compile`` already refused one over the rule cap)."""
    rules: list[CompiledRule] = []
    leaves_per_rule: list[list[Comparison]] = []
    metric_keys: set[str] = set()  # queues named by metrics.<queue>.<metric> fields, collected while compiling
    for i, r in enumerate(spec.get("rules") or ()):
        predicate, leaves = compile_condition(r.get("when"), f"{path}.rules[{i}].when", queue_ids, metric_keys)
        rules.append(CompiledRule(i, predicate, _compile_target(r["then"], r["id"])))
        leaves_per_rule.append(leaves)
    default = _compile_target(spec["default"], f"{key}:default")
    index_field = choose_index_field(leaves_per_rule)
    # Values each rule allows for the index field (None: it does not pin it).
    allowed: list[frozenset[str] | None] = []
    for leaves in leaves_per_rule:
        sets = [frozenset(c.values) for c in leaves if c.indexable and c.field == index_field]
        allowed.append(frozenset.intersection(*sets) if sets else None)
    # The presence index prunes, among rules that do not pin the index field, those needing a field with a value.
    unpinned = [leaves for leaves, a in zip(leaves_per_rule, allowed, strict=True) if a is None]
    presence_field = choose_index_field(unpinned, presence=True)
    needs_presence = [
        any(c.requires_presence and c.field == presence_field for c in leaves) for leaves in leaves_per_rule
    ]
    indexed = index_field is not None or presence_field is not None
    index = RuleIndex.build(rules, allowed, needs_presence) if indexed else None
    for target in [*(r.target for r in rules), default]:
        # Fallbacks test the target's metrics, and the decision reports the chosen queue's snapshot age.
        metric_keys.add(target.queue)
        metric_keys.update(fb.queue for fb in target.fallbacks)
    return CompiledRuleset(
        key=key,
        default=default,
        rules=tuple(rules),
        metric_queue_ids=frozenset(queue_ids[k] for k in metric_keys if k in queue_ids),
        index_field=index_field,
        index_get=resolve_field(index_field, path, queue_ids).accessor if index_field else None,
        presence_field=presence_field,
        presence_get=resolve_field(presence_field, path, queue_ids).accessor if presence_field else None,
        index=index,
    )


def rule_errors(document: Mapping[str, Any], queue_ids: Mapping[str, str]) -> list[tuple[str, RuleError]]:
    """Compile every rule condition and collect all errors as ``(ruleset key, error)`` (for the validator).

    ``queue_ids`` (queue key → id): the validator passes every queue key, valid or not, so ``metrics.<queue>`` on
    a queue that exists but is invalid is not also reported "unknown".
    """
    errors: list[tuple[str, RuleError]] = []
    for key, spec in (document.get("rulesets") or {}).items():
        for i, r in enumerate(spec.get("rules") or ()):
            try:
                compile_condition(r.get("when"), f"rules[{i}].when", queue_ids)
            except RuleError as exc:
                errors.append((key, exc))
    return errors
