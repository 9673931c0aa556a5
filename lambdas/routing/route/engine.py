"""Compiled configuration and the per-call decision.

``CompiledConfig.compile`` turns a normalized config document (validated before it was published) into indexes and
closures once per version; ``decide`` is then a handful of dictionary lookups and predicate calls.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, NamedTuple

from routing.callback.policy import CallbackPolicy, evaluate_offer
from routing.common.contact import ContactRequest
from routing.route.decision import QueueProfile, RouteStatus, RoutingDecision
from routing.route.rules import (
    DAY_NAMES,
    MAX_RULES_PER_RULESET,
    Comparison,
    EvalContext,
    MetricsView,
    Predicate,
    RuleError,
    choose_index_field,
    compile_condition,
    resolve_field,
)
from routing.route.ruleset_index import LazyRulesets, RuleIndex
from routing.route.schedule import CompiledSchedule

FALLBACK_CONDITIONS = frozenset(
    {"closed", "unstaffed", "no_agents_available", "over_capacity", "wait_above", "oldest_above"}
)


class NoMetrics:
    """A ``MetricsView`` for when no snapshot exists: every metric is unknown."""

    def prefetch(self, queue_ids: frozenset[str]) -> None:
        """Nothing to fetch."""

    def metric(self, queue_id: str, name: str, channel: str = "VOICE") -> float | None:  # noqa: ARG002
        """Always unknown."""
        return None

    def age_seconds(self, queue_id: str) -> float | None:  # noqa: ARG002
        """Always unknown."""
        return None


NO_METRICS = NoMetrics()


@dataclass(frozen=True, slots=True)
class CompiledQueue:
    """A queue with what fallbacks need (its schedule, capacity)."""

    profile: QueueProfile
    schedule: str | None
    capacity: int | None
    sla_seconds: int | None
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
    default_message: str
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
        queue_ids = {k: q["queue_id"] for k, q in queue_docs.items()}
        queues = {
            k: CompiledQueue(
                profile=QueueProfile(
                    key=k,
                    queue_id=q["queue_id"],
                    name=q.get("name") or k,
                    attributes=dict(q.get("attributes") or {}),
                ),
                schedule=q.get("hours"),
                capacity=q.get("capacity"),
                sla_seconds=q.get("sla_seconds"),
                transfer_queue=q.get("transfer_queue"),
            )
            for k, q in queue_docs.items()
        }
        schedules = {k: CompiledSchedule.compile(k, s) for k, s in (document.get("schedules") or {}).items()}
        lobs: Mapping[str, Mapping[str, Any]] = document.get("lines_of_business") or {}
        by_number: dict[str, EntryPoint] = {}
        by_key: dict[str, EntryPoint] = {}
        for key, e in (document.get("entry_points") or {}).items():
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
        ruleset_docs: Mapping[str, Mapping[str, Any]] = document.get("rulesets") or {}
        for k, r in ruleset_docs.items():
            _check_rule_count(k, r)  # cheap, and refuses the version before any decision uses it
        rulesets: LazyRulesets[CompiledRuleset] = LazyRulesets(
            ruleset_docs,
            lambda k, r: _compile_ruleset(k, r, queue_ids, f"rulesets.{k}"),
        )
        if defaults["default_queue"] not in queues:
            raise KeyError(f"defaults.default_queue {defaults['default_queue']!r} is not a queue")
        compiled = cls(
            version=version,
            content_hash=content_hash,
            published_at=published_at,
            default_queue=defaults["default_queue"],
            default_message=defaults.get("error_message") or "",
            closed_message=defaults.get("closed_message") or "",
            default_time_zone=defaults.get("time_zone") or "UTC",
            default_country=defaults.get("country") or "US",
            queues=queues,
            queue_by_id={q.profile.queue_id: q for q in queues.values()},
            languages={
                code: (str(lang.get("voice") or ""), dict(lang.get("prompts") or {}))
                for code, lang in (defaults.get("languages") or {}).items()
            },
            schedules=schedules,
            entries_by_number=by_number,
            entries_by_key=by_key,
            lob_schedule={k: lob.get("schedule") for k, lob in lobs.items()},
            lob_country={k: lob.get("country") or defaults.get("country") or "US" for k, lob in lobs.items()},
            lob_default_queue={k: lob.get("default_queue") or defaults["default_queue"] for k, lob in lobs.items()},
            rulesets=rulesets,
            rule_count=sum(len(r.get("rules") or ()) for r in ruleset_docs.values()),
            callback_policies={
                k: CallbackPolicy.compile(p) for k, p in (document.get("callback_policies") or {}).items()
            },
            queue_line_of_business={
                k: q["line_of_business"] for k, q in queue_docs.items() if q.get("line_of_business")
            },
            queue_callback_policy={
                k: policy
                for k, q in queue_docs.items()
                if (
                    policy := q.get("callback_policy")
                    or lobs.get(q.get("line_of_business") or "", {}).get("callback_policy")
                )
            },
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
    _check_rule_count(key, spec)
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


class DecisionContext:
    """``EvalContext`` for one contact: lazily computes local time, caller country and metrics."""

    __slots__ = (
        "_country",
        "_country_done",
        "_local",
        "_metrics",
        "_now",
        "_zone",
        "contact",
        "default_region",
        "entry_point",
        "language",
        "line_of_business",
    )

    def __init__(
        self,
        contact: ContactRequest,
        *,
        entry: EntryPoint | None,
        zone: Any,
        now: datetime,
        metrics: MetricsView,
        default_region: str,
    ) -> None:
        self.contact = contact
        self.entry_point = entry.key if entry else ""
        self.line_of_business = entry.line_of_business if entry else ""
        self.language = (entry.language if entry else "") or contact.language
        self.default_region = default_region
        self._zone = zone
        self._now = now
        self._local: datetime | None = None
        self._metrics = metrics
        self._country: str | None = None
        self._country_done = False

    def local_now(self) -> datetime:
        """Now at the entry point's time zone (computed once)."""
        if self._local is None:
            self._local = self._now.astimezone(self._zone)
        return self._local

    def local_minutes(self) -> float:
        """Minutes since local midnight."""
        local = self.local_now()
        return local.hour * 60 + local.minute + local.second / 60

    def local_day(self) -> str:
        """``mon`` … ``sun``."""
        return DAY_NAMES[self.local_now().weekday()]

    def local_date(self) -> str:
        """ISO date, local."""
        return self.local_now().date().isoformat()

    def caller_country(self) -> str | None:
        """Region of the caller's number (phonenumbers, imported only when a rule asks)."""
        if not self._country_done:
            self._country_done = True
            if not self.contact.caller_is_anonymous:
                import phonenumbers

                try:
                    parsed = phonenumbers.parse(self.contact.customer_number, self.default_region)
                    region = phonenumbers.region_code_for_number(parsed)
                    # Non-geographic numbers (+800 freephone, +881 satellite, …) have no country: unknown, not "001".
                    non_geo = (phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY, phonenumbers.UNKNOWN_REGION)
                    self._country = region if region and region not in non_geo else None
                except phonenumbers.NumberParseException:
                    self._country = None
        return self._country

    def metric(self, queue_id: str, name: str) -> float | None:
        """A live metric for this contact's channel (None when unknown or stale)."""
        return self._metrics.metric(queue_id, name, self.contact.channel)

    def metric_age(self, queue_id: str) -> float | None:
        """Age of the metrics snapshot for ``queue_id``."""
        return self._metrics.age_seconds(queue_id)


def _fallback_applies(fb: Fallback, queue: CompiledQueue, cfg: CompiledConfig, ctx: DecisionContext) -> bool:
    if fb.condition == "closed":
        schedule = cfg.schedules.get(queue.schedule) if queue.schedule else None
        if schedule is None:
            return False  # a queue without hours is always open
        return not schedule.is_open(ctx.local_now().astimezone(schedule.zone))
    # (metric, threshold, strictly_above): the fallback applies when the metric is above (or at/below) it.
    if fb.condition == "unstaffed":
        metric, threshold, above = "agents_staffed", 0.0, False
    elif fb.condition == "no_agents_available":
        metric, threshold, above = "agents_available", 0.0, False
    elif fb.condition == "over_capacity":
        if queue.capacity is None:
            return False
        metric, threshold, above = "contacts_in_queue", queue.capacity - 0.5, True
    elif fb.condition == "wait_above":
        metric, threshold, above = "estimated_wait_time", fb.seconds or 0.0, True
    else:  # oldest_above
        metric, threshold, above = "oldest_contact_age", fb.seconds or 0.0, True
    value = ctx.metric(queue.profile.queue_id, metric)
    if value is None:
        return fb.when_unknown
    return value > threshold if above else value <= threshold


def decide(
    contact: ContactRequest,
    cfg: CompiledConfig,
    *,
    now: datetime | None = None,
    metrics: MetricsView = NO_METRICS,
    config_source: str = "active",
) -> RoutingDecision:
    """Route one contact with one compiled version. Pure: no I/O beyond the metrics view.

    The decision carries the voice and fixed prompts of its language (``defaults.languages``; none: English).
    """
    decision = _decide(contact, cfg, now=now, metrics=metrics, config_source=config_source)
    language = cfg.languages.get(decision.language)
    if language is None:
        return decision
    return replace(decision, voice=language[0], prompts=language[1])


def _decide(
    contact: ContactRequest,
    cfg: CompiledConfig,
    *,
    now: datetime | None,
    metrics: MetricsView,
    config_source: str,
) -> RoutingDecision:
    now = now or datetime.now(UTC)

    transfer_key = contact.parameters.get("transfer_queue_key")
    is_transfer = contact.parameters.get("trunkline_flow") == "transfer" or bool(transfer_key)
    entry = cfg.find_entry(contact)
    country = cfg.lob_country.get(entry.line_of_business, cfg.default_country) if entry else cfg.default_country
    schedule_key = (entry.schedule or cfg.lob_schedule.get(entry.line_of_business)) if entry else None
    schedule = cfg.schedules.get(schedule_key) if schedule_key else None
    zone = schedule.zone if schedule else _zone(cfg.default_time_zone)
    ctx = DecisionContext(contact, entry=entry, zone=zone, now=now, metrics=metrics, default_region=country)

    if is_transfer:
        return _transfer(cfg, ctx, transfer_key or "", config_source)
    if entry is None:
        return _default(cfg, ctx, "unknown_entry_point", config_source)

    lob_queue = cfg.queues[cfg.lob_default_queue.get(entry.line_of_business, cfg.default_queue)]
    if schedule is not None:
        emergency = schedule.emergency_at(now)
        if emergency is not None:
            return RoutingDecision(
                status=RouteStatus.EMERGENCY,
                reason=f"emergency:{emergency.key}",
                queue=lob_queue.profile,
                message=emergency.message,
                entry_point=entry.key,
                line_of_business=entry.line_of_business,
                language=ctx.language,
                config_version=cfg.version,
                config_source=config_source,
            )
        if not schedule.is_open(ctx.local_now()):
            return RoutingDecision(
                status=RouteStatus.CLOSED,
                reason=f"closed:{schedule.key}",
                queue=lob_queue.profile,
                message=schedule.closed_message or cfg.closed_message,
                entry_point=entry.key,
                line_of_business=entry.line_of_business,
                language=ctx.language,
                config_version=cfg.version,
                config_source=config_source,
            )

    ruleset = cfg.rulesets[entry.ruleset]
    metrics.prefetch(ruleset.metric_queue_ids)  # one batched read at most, and only when the cache is stale
    target = ruleset.match(ctx)
    queue = cfg.queues[target.queue]
    fallback_reason = ""
    for fb in target.fallbacks:
        if _fallback_applies(fb, queue, cfg, ctx):
            fallback_reason = f"{fb.condition}:{queue.profile.key}"
            queue = cfg.queues[fb.queue]
            break
    policy_key = cfg.queue_callback_policy.get(queue.profile.key)
    offer = evaluate_offer(
        cfg.callback_policies.get(policy_key) if policy_key else None,
        channel=contact.channel,
        queue_id=queue.profile.queue_id,
        metric=ctx.metric,
        schedules=cfg.schedules,
        local_now=lambda zone: ctx.local_now().astimezone(zone),
    )
    return RoutingDecision(
        status=RouteStatus.ROUTED,
        reason="rule" if not target.rule_id.endswith(":default") else "ruleset_default",
        callback_offer=offer.offer,
        callback_reason=offer.reason,
        callback_profile=offer.profile,
        callback_wait_s=offer.wait_seconds,
        queue=queue.profile,
        classification=target.classification,
        rule_id=target.rule_id,
        ruleset=ruleset.key,
        priority=target.priority,
        routing_criteria=target.routing_criteria,
        entry_point=entry.key,
        line_of_business=entry.line_of_business,
        language=ctx.language,
        fallback_reason=fallback_reason,
        attributes=target.attributes,
        metrics_age_s=ctx.metric_age(queue.profile.queue_id),
        config_version=cfg.version,
        config_source=config_source,
    )


def _transfer(cfg: CompiledConfig, ctx: DecisionContext, key: str, config_source: str) -> RoutingDecision:
    """An agent's queue transfer: never CLOSED or EMERGENCY (an agent holds the caller), no rules re-run.

    The queue is, in order: a known ``transfer_queue_key`` parameter; the chosen queue's configured
    ``transfer_queue``; the queue the agent chose (the contact's current queue, ``$.Queue``); else the default.
    """
    contact = ctx.contact
    # Echoed from the event: cut to what a queue id / key can be, so reasons and replies stay small.
    chosen_id = contact.queue_arn.rsplit("/queue/", 1)[-1][:64] if "/queue/" in contact.queue_arn else ""
    chosen = cfg.queue_by_id.get(chosen_id) if chosen_id else None
    fallback_reason = f"unknown_transfer_queue:{key[:64]}" if key and key not in cfg.queues else ""
    if key in cfg.queues:
        queue, reason, rule_id = cfg.queues[key].profile, "transfer", f"transfer:{key}"
    elif chosen is not None and chosen.transfer_queue in cfg.queues:
        target = str(chosen.transfer_queue)
        queue, reason, rule_id = (
            cfg.queues[target].profile,
            "transfer_redirect",
            f"transfer:{chosen.profile.key}>{target}",
        )
    elif chosen is not None:
        queue, reason, rule_id = chosen.profile, "transfer_chosen_queue", f"transfer:{chosen.profile.key}"
    elif chosen_id:  # a queue Trunkline's config does not know: still the agent's choice
        queue, reason, rule_id = QueueProfile(key="", queue_id=chosen_id, name=""), "transfer_chosen_queue", "transfer"
    else:
        return _default(cfg, ctx, fallback_reason or "transfer_without_queue", config_source)
    return RoutingDecision(
        status=RouteStatus.ROUTED,
        reason=reason,
        queue=queue,
        classification=contact.attributes.get("classification", "")[:64],  # the schema's classification cap
        rule_id=rule_id,
        entry_point=ctx.entry_point,
        line_of_business=ctx.line_of_business,
        language=ctx.language,
        fallback_reason=fallback_reason,
        metrics_age_s=ctx.metric_age(queue.queue_id) if queue.key else None,
        config_version=cfg.version,
        config_source=config_source,
    )


def _default(cfg: CompiledConfig, ctx: DecisionContext, reason: str, config_source: str) -> RoutingDecision:
    queue = cfg.queues[cfg.default_queue]
    return RoutingDecision(
        status=RouteStatus.DEFAULT,
        reason=reason,
        queue=queue.profile,
        classification="unclassified",
        rule_id="default",
        entry_point=ctx.entry_point,
        line_of_business=ctx.line_of_business,
        language=ctx.language,
        config_version=cfg.version,
        config_source=config_source,
    )


_ZONES: dict[str, Any] = {}


def _zone(name: str) -> Any:
    if name not in _ZONES:
        from zoneinfo import ZoneInfo

        _ZONES[name] = ZoneInfo(name)
    return _ZONES[name]


def rule_errors(document: Mapping[str, Any]) -> list[tuple[str, RuleError]]:
    """Compile every rule condition and collect all errors as ``(ruleset key, error)`` (for the validator)."""
    errors: list[tuple[str, RuleError]] = []
    queue_ids = {k: q["queue_id"] for k, q in (document.get("queues") or {}).items()}
    for key, spec in (document.get("rulesets") or {}).items():
        for i, r in enumerate(spec.get("rules") or ()):
            try:
                compile_condition(r.get("when"), f"rules[{i}].when", queue_ids)
            except RuleError as exc:
                errors.append((key, exc))
    return errors
