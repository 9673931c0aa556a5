"""The per-call decision: one contact, one compiled version (``routing.route.compiled``) → a ``RoutingDecision``.

``decide`` is a handful of dictionary lookups and predicate calls: transfer, unknown entry point, emergency,
closed, then the entry point's ruleset (first match), the target's fallbacks and the callback offer. Every decision
is built by ``_Decider.decision``, which fills what all of them share (entry point, line of business, language with
its voice and prompts, config version and source) once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from routing.callback.policy import evaluate_offer
from routing.common.contact import ContactRequest
from routing.route.compiled import CompiledConfig, CompiledQueue, EntryPoint, Fallback, Target, rule_errors
from routing.route.context import DecisionContext, zone
from routing.route.decision import QueueProfile, RouteStatus, RoutingDecision
from routing.route.rules import MetricsView

# Re-exported: routing.config (cache, loader), the benches and tests import CompiledConfig and rule_errors from here.
__all__ = ["NO_METRICS", "CompiledConfig", "NoMetrics", "decide", "rule_errors"]


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

# Fallback condition → (metric, threshold or None for the fallback's own ``seconds``, applies when strictly above).
# ``closed`` reads the queue's hours and ``over_capacity`` its capacity instead (``_fallback_applies``).
_METRIC_FALLBACKS: dict[str, tuple[str, float | None, bool]] = {
    "unstaffed": ("agents_staffed", 0.0, False),
    "no_agents_available": ("agents_available", 0.0, False),
    "wait_above": ("estimated_wait_time", None, True),
    "oldest_above": ("oldest_contact_age", None, True),
}


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
    transfer_key = contact.parameters.get("transfer_queue_key")
    is_transfer = contact.parameters.get("trunkline_flow") == "transfer" or bool(transfer_key)
    entry = cfg.find_entry(contact)
    country = cfg.lob_country.get(entry.line_of_business, cfg.default_country) if entry else cfg.default_country
    schedule_key = (entry.schedule or cfg.lob_schedule.get(entry.line_of_business)) if entry else None
    schedule = cfg.schedules.get(schedule_key) if schedule_key else None
    local_zone = schedule.zone if schedule else zone(cfg.default_time_zone)
    ctx = DecisionContext(
        contact, entry=entry, zone=local_zone, now=now or datetime.now(UTC), metrics=metrics, default_region=country
    )
    decider = _Decider(cfg, ctx, config_source)
    if is_transfer:
        return decider.transfer(transfer_key or "")
    if entry is None:
        return decider.default("unknown_entry_point")
    lob_queue = cfg.queues[cfg.lob_default_queue.get(entry.line_of_business, cfg.default_queue)].profile
    emergency = schedule.emergency_at(ctx.local_now()) if schedule is not None else None
    if emergency is not None:
        return decider.decision(
            RouteStatus.EMERGENCY, f"emergency:{emergency.key}", lob_queue, message=emergency.message
        )
    if schedule is not None and not schedule.is_open(ctx.local_now()):
        message = schedule.closed_message or cfg.closed_message
        return decider.decision(RouteStatus.CLOSED, f"closed:{schedule.key}", lob_queue, message=message)
    return decider.routed(entry, metrics)


class _Decider:
    """Builds the decisions of one contact; ``decision`` is the one place a ``RoutingDecision`` is made."""

    __slots__ = ("cfg", "ctx", "source")

    def __init__(self, cfg: CompiledConfig, ctx: DecisionContext, source: str) -> None:
        self.cfg = cfg
        self.ctx = ctx
        self.source = source

    def decision(self, status: RouteStatus, reason: str, queue: QueueProfile, **fields: Any) -> RoutingDecision:
        """A decision with what every one shares filled in; ``fields`` are the other ``RoutingDecision`` fields."""
        ctx = self.ctx
        voice, prompts = self.cfg.languages.get(ctx.language, ("", {}))
        return RoutingDecision(
            status=status,
            reason=reason,
            queue=queue,
            entry_point=ctx.entry_point,
            line_of_business=ctx.line_of_business,
            language=ctx.language,
            voice=voice,
            prompts=prompts,
            config_version=self.cfg.version,
            config_source=self.source,
            **fields,
        )

    def routed(self, entry: EntryPoint, metrics: MetricsView) -> RoutingDecision:
        """The entry point's ruleset: first matching rule (else its default), then fallbacks, then the offer."""
        cfg, ctx = self.cfg, self.ctx
        ruleset = cfg.rulesets[entry.ruleset]
        metrics.prefetch(ruleset.metric_queue_ids)  # one batched read at most, and only when the cache is stale
        target = ruleset.match(ctx)
        queue, fallback_reason = self._apply_fallbacks(target)
        policy_key = cfg.queue_callback_policy.get(queue.profile.key)
        offer = evaluate_offer(
            cfg.callback_policies.get(policy_key) if policy_key else None,
            channel=ctx.contact.channel,
            queue_id=queue.profile.queue_id,
            metric=ctx.metric,
            schedules=cfg.schedules,
            local_now=lambda tz: ctx.local_now().astimezone(tz),
        )
        return self.decision(
            RouteStatus.ROUTED,
            "rule" if not target.rule_id.endswith(":default") else "ruleset_default",
            queue.profile,
            callback_offer=offer.offer,
            callback_reason=offer.reason,
            callback_profile=offer.profile,
            callback_wait_s=offer.wait_seconds,
            classification=target.classification,
            rule_id=target.rule_id,
            ruleset=ruleset.key,
            priority=target.priority,
            routing_criteria=target.routing_criteria,
            fallback_reason=fallback_reason,
            attributes=target.attributes,
            metrics_age_s=ctx.metric_age(queue.profile.queue_id),
        )

    def _apply_fallbacks(self, target: Target) -> tuple[CompiledQueue, str]:
        """The target's queue, or its first fallback whose condition holds there (with the reason)."""
        queue = self.cfg.queues[target.queue]
        for fb in target.fallbacks:
            if _fallback_applies(fb, queue, self.cfg, self.ctx):
                return self.cfg.queues[fb.queue], f"{fb.condition}:{queue.profile.key}"
        return queue, ""

    def transfer(self, key: str) -> RoutingDecision:
        """An agent's queue transfer: never CLOSED or EMERGENCY (an agent holds the caller), no rules re-run.

        The queue is, in order: a known ``transfer_queue_key`` parameter; the chosen queue's configured
        ``transfer_queue``; the queue the agent chose (the contact's current queue, ``$.Queue``); else the default.
        """
        cfg, contact = self.cfg, self.ctx.contact
        # Echoed from the event: cut to what a queue id / key can be, so reasons and replies stay small.
        chosen_id = contact.queue_arn.rsplit("/queue/", 1)[-1][:64] if "/queue/" in contact.queue_arn else ""
        chosen = cfg.queue_by_id.get(chosen_id) if chosen_id else None
        fallback_reason = f"unknown_transfer_queue:{key[:64]}" if key and key not in cfg.queues else ""
        if key in cfg.queues:
            queue, reason, rule_id = cfg.queues[key].profile, "transfer", f"transfer:{key}"
        elif chosen is not None and chosen.transfer_queue in cfg.queues:
            target = str(chosen.transfer_queue)
            queue, reason = cfg.queues[target].profile, "transfer_redirect"
            rule_id = f"transfer:{chosen.profile.key}>{target}"
        elif chosen is not None:
            queue, reason, rule_id = chosen.profile, "transfer_chosen_queue", f"transfer:{chosen.profile.key}"
        elif chosen_id:  # a queue Trunkline's config does not know: still the agent's choice
            queue, reason, rule_id = (
                QueueProfile(key="", queue_id=chosen_id, name=""),
                "transfer_chosen_queue",
                "transfer",
            )
        else:
            return self.default(fallback_reason or "transfer_without_queue")
        return self.decision(
            RouteStatus.ROUTED,
            reason,
            queue,
            classification=contact.attributes.get("classification", "")[:64],  # the schema's classification cap
            rule_id=rule_id,
            fallback_reason=fallback_reason,
            metrics_age_s=self.ctx.metric_age(queue.queue_id) if queue.key else None,
        )

    def default(self, reason: str) -> RoutingDecision:
        """The deployment's default queue (``defaults.default_queue``)."""
        queue = self.cfg.queues[self.cfg.default_queue].profile
        return self.decision(RouteStatus.DEFAULT, reason, queue, classification="unclassified", rule_id="default")


def _fallback_applies(fb: Fallback, queue: CompiledQueue, cfg: CompiledConfig, ctx: DecisionContext) -> bool:
    if fb.condition == "closed":
        schedule = cfg.schedules.get(queue.schedule) if queue.schedule else None
        if schedule is None:
            return False  # a queue without hours is always open
        return not schedule.is_open(ctx.local_now().astimezone(schedule.zone))
    if fb.condition == "over_capacity":
        if queue.capacity is None:
            return False
        metric, threshold, above = "contacts_in_queue", queue.capacity - 0.5, True
    else:
        metric, fixed, above = _METRIC_FALLBACKS.get(fb.condition, _METRIC_FALLBACKS["oldest_above"])
        threshold = fixed if fixed is not None else fb.seconds or 0.0
    value = ctx.metric(queue.profile.queue_id, metric)
    if value is None:
        return fb.when_unknown
    return value > threshold if above else value <= threshold
