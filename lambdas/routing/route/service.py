"""``RouteService``: event in, flat reply out. Never raises — every failure is a logged, safe default."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime

from routing.common.contact import ContactRequest
from routing.common.deadline import StoreGate
from routing.common.lifecycle import Lifecycle
from routing.common.observability import MetricUnit, dimensioned_metric, logger, mask_phone, metrics
from routing.common.text import clean_text
from routing.config.cache import ConfigCache
from routing.route.decision import QueueProfile, RouteStatus, RoutingDecision
from routing.route.engine import NO_METRICS, CompiledConfig, decide
from routing.route.reply import bounded_reply, to_reply
from routing.route.rules import MetricsView

STATUS_METRIC = {
    RouteStatus.ROUTED: "DecisionRouted",
    RouteStatus.CLOSED: "DecisionClosed",
    RouteStatus.EMERGENCY: "DecisionEmergency",
    RouteStatus.DEFAULT: "DecisionDefault",
    RouteStatus.ERROR_DEFAULT: "DecisionErrorDefault",
}


class RouteService:
    """Decides for one contact with the cached active version."""

    def __init__(
        self,
        cache: ConfigCache,
        *,
        default_queue_id: str,
        instance_arn: str = "",
        metrics_view: MetricsView = NO_METRICS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        store_gate: StoreGate | None = None,
        lifecycle: Lifecycle | None = None,
        reconnect: Sequence[Callable[[], None]] = (),
    ) -> None:
        self._cache = cache
        self.lifecycle = lifecycle  # restores, for the decision log (routing.common.lifecycle)
        self._reconnect = tuple(reconnect)  # each store's "new client" (after a restore)
        self.store_gate = store_gate  # the per-call deadline over every store read of ``route`` (None: unbounded)
        self._default_queue_id = default_queue_id
        self._instance_arn = instance_arn
        self._metrics_view = metrics_view
        self._clock = clock
        self._published: tuple[str, float | None] = ("", None)  # (version, epoch seconds it was published)

    def prime(self, budget_seconds: float) -> None:
        """Init: the baked and (within ``budget_seconds``) the active version compiled, so the first call decides
        from memory. Never raises."""
        self._cache.prime(budget_seconds)

    def after_restore(self) -> None:
        """After a SnapStart restore: new clients, the config due for a check, the gate renewed
        (``routing.common.lifecycle.renew_after_restore``)."""
        from routing.common.lifecycle import renew_after_restore

        renew_after_restore(self._reconnect, self._cache, self.store_gate)

    @property
    def config_source(self) -> str:
        """Where the version in memory came from (active, last_known_good, baked, none)."""
        return self._cache.source

    def route(self, event: object) -> dict[str, str]:
        """The whole per-call path. Returns the reply; logs one decision line; adds EMF metrics. Never raises."""
        started = time.perf_counter()
        contact = ContactRequest()
        compiled: CompiledConfig | None = None
        gate = self.store_gate
        expired_before = gate.stats.deadline_exceeded if gate is not None else 0
        budget: AbstractContextManager[None] = gate.call() if gate is not None else nullcontext()
        try:
            with budget:  # one deadline for the config check and the metrics read of this call
                contact = ContactRequest.from_event(event)
                compiled, source = self._cache.current()
                if compiled is None:
                    decision = self._error_default("no_config", source)
                else:
                    decision = decide(
                        contact, compiled, now=self._clock(), metrics=self._metrics_view, config_source=source
                    )
            # Inside the guard: building and sizing the reply encodes every value.
            reply = to_reply(decision, instance_arn=contact.instance_arn or self._instance_arn)
        except Exception as exc:  # noqa: BLE001 — a routing decision must never crash a call
            logger.exception("route failed; answering ERROR_DEFAULT", extra={"error": clean_text(repr(exc), 500)})
            metrics.add_metric(name="RouteError", unit=MetricUnit.Count, value=1)
            # The version in memory still knows what to tell the caller (defaults.error_message): the flow plays it.
            message = compiled.error_message if compiled is not None else ""
            decision = self._error_default("exception", "none", message)
            reply = self._error_reply(decision, contact.instance_arn or self._instance_arn)
        try:
            if (
                not reply["queue_arn"]
                and decision.queue is not None
                and not (contact.instance_arn or self._instance_arn)
            ):
                logger.warning("no instance ARN in the event or settings: queue_arn is empty")
            elapsed_ms = (time.perf_counter() - started) * 1000
            if gate is not None and gate.stats.deadline_exceeded != expired_before:
                metrics.add_metric(name="StoreDeadlineExceeded", unit=MetricUnit.Count, value=1)
            self._observe(contact, decision, reply, elapsed_ms)
            self._observe_freshness(decision, reply, compiled)
        except Exception:  # noqa: BLE001 — the reply is ready: a logging or metrics failure must not lose it
            logger.exception("route observability failed")
        return reply

    def _error_reply(self, decision: RoutingDecision, instance_arn: str) -> dict[str, str]:
        """The reply for ``decision``; a fixed reply if even that cannot be built."""
        try:
            return to_reply(decision, instance_arn=instance_arn)
        except Exception:  # noqa: BLE001
            logger.exception("error reply failed; answering the fixed reply")
            fixed = {"status": decision.status.value, "reason": decision.reason, "rule_id": decision.rule_id}
            return bounded_reply({**fixed, "priority": "5", "config_source": "none", "callback_offer": "false"})

    def _observe_freshness(
        self, decision: RoutingDecision, reply: dict[str, str], compiled: CompiledConfig | None
    ) -> None:
        """How old the config and the live metrics this decision used are (the staleness alarms watch these)."""
        value = self._cache.staleness_seconds()
        if value is not None:
            metrics.add_metric(name="ConfigStalenessSeconds", unit=MetricUnit.Seconds, value=round(value, 3))
        published = self._published_epoch(decision, compiled)
        if published is not None:
            age = max(0.0, self._clock().timestamp() - published)
            metrics.add_metric(name="ConfigVersionAgeSeconds", unit=MetricUnit.Seconds, value=round(age, 3))
        metrics_age = reply.get("metrics_age_s", "")
        if metrics_age:
            try:
                seconds = float(metrics_age)
            except ValueError:
                return
            metrics.add_metric(name="MetricsSnapshotAgeSeconds", unit=MetricUnit.Seconds, value=seconds)

    def _published_epoch(self, decision: RoutingDecision, compiled: CompiledConfig | None) -> float | None:
        """When the decision's version was published, parsed once per version. From the version this call decided
        with — never a second cache check, which could reach the store again after the call's budget."""
        if not decision.config_version:
            return None
        if self._published[0] != decision.config_version:
            raw = compiled.published_at if compiled is not None and compiled.version == decision.config_version else ""
            try:
                epoch = datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp() if raw else None
            except ValueError:
                epoch = None
            self._published = (decision.config_version, epoch)
        return self._published[1]

    def _error_default(self, reason: str, source: str, message: str = "") -> RoutingDecision:
        """The deployment's default queue (``DEFAULT_QUEUE_ID``), with the config's ``error_message`` when one is in
        memory (none: the flow plays nothing and queues the caller)."""
        queue = QueueProfile(key="default", queue_id=self._default_queue_id, name="default")
        return RoutingDecision(
            status=RouteStatus.ERROR_DEFAULT,
            reason=reason,
            queue=queue if self._default_queue_id else None,
            classification="unclassified",
            rule_id="error_default",
            config_source=source,
            message=message,
        )

    def _observe(
        self, contact: ContactRequest, decision: RoutingDecision, reply: dict[str, str], elapsed_ms: float
    ) -> None:
        metrics.add_metric(name=STATUS_METRIC[decision.status], unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="DecisionLatency", unit=MetricUnit.Milliseconds, value=round(elapsed_ms, 3))
        if decision.fallback_reason:
            metrics.add_metric(name="Fallback", unit=MetricUnit.Count, value=1)
            # The condition only ("at_capacity", not "at_capacity:cards_general"): a closed set, so the dimension
            # stays a handful of metrics however many queues there are (docs/design/observability.md).
            reason = decision.fallback_reason.split(":", 1)[0]
            dimensioned_metric("reason", reason, [("FallbackByReason", MetricUnit.Count, 1)])
        if decision.callback_offer:
            metrics.add_metric(name="CallbackOffered", unit=MetricUnit.Count, value=1)
        if decision.config_source != "active":
            metrics.add_metric(name="ConfigNotActive", unit=MetricUnit.Count, value=1)
        logger.info(
            "decision",
            extra={
                "contact_id": contact.contact_id,
                "channel": contact.channel,
                "initiation_method": contact.initiation_method,
                "caller": mask_phone(contact.customer_number),
                "dialed": mask_phone(contact.dialed_number),
                "status": decision.status.value,
                "reason": decision.reason,
                "entry_point": decision.entry_point,
                "line_of_business": decision.line_of_business,
                "classification": decision.classification,
                "queue_key": reply["queue_key"],
                "rule_id": decision.rule_id,
                "ruleset": decision.ruleset,
                "fallback_reason": decision.fallback_reason,
                "config_version": decision.config_version,
                "config_source": decision.config_source,
                "metrics_age_s": reply["metrics_age_s"],
                "store_gate": self.store_gate.state if self.store_gate is not None else "",
                "elapsed_ms": round(elapsed_ms, 3),
                **(self.lifecycle.decision_fields() if self.lifecycle is not None else {}),
            },
        )
