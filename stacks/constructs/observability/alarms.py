"""The region's domain alarms (``docs/design/observability.md``, "Dashboard and alarms"): route logic errors,
fallback rate, route p99, stale config, DynamoDB throttling, contact-flow fatal errors and per-queue SLA.

Each is one ``AlarmBook.add`` call; the book names it ``trunkline-<env>-<name>`` and remembers it by that short name
(the dashboard shows the nested SLA alarms by ARN, built from the name).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_cdk import Duration, NestedStack
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from stacks.constructs.observability.helpers import (
    AT_LEAST,
    GREATER,
    alarm,
    chunks,
    connect_metric,
    service_metric,
    slug,
    throttle_events,
)
from stacks.constructs.observability.inputs import ConnectSignals, QueueSla
from stacks.constructs.observability.names import DECISION_METRICS, ROUTE_SERVICE

if TYPE_CHECKING:  # lambda_defaults imports the names of this package: no import cycle at run time
    from stacks.constructs.lambda_defaults import TrunklineFunction

FALLBACK_RATE_PERCENT = 20
# Below this many decisions in 5 minutes a rate is noise (one fallback of two calls at night is 50 %).
FALLBACK_MIN_DECISIONS = 20
ROUTE_P99_MS = 500
CONFIG_STALE_SECONDS = 300
# Per-queue SLA alarms live in nested stacks of at most this many: a 600-queue centre would otherwise exceed
# CloudFormation's 500 resources per stack (measured: 686 resources, synth refused). Each nested stack is one
# resource of the regional stack and gets the topic ARN as a parameter.
SLA_ALARMS_PER_NESTED_STACK = 400


class AlarmBook:
    """The alarms ``Observability`` creates, by short name; every one named ``<prefix>-<name>``."""

    def __init__(self, scope: Construct, prefix: str) -> None:
        self.scope = scope
        self.prefix = prefix
        self.by_name: dict[str, cloudwatch.Alarm] = {}

    def add(self, construct_id: str, name: str, *, scope: Construct | None = None, **props: Any) -> cloudwatch.Alarm:
        """``helpers.alarm`` named ``<prefix>-<name>``, in ``scope`` (default: the Observability construct)."""
        created = alarm(scope or self.scope, construct_id, name=f"{self.prefix}-{name}", **props)
        self.by_name[name] = created
        return created


def route_alarms(book: AlarmBook, route: TrunklineFunction) -> None:
    """Logic errors (also the canary's rollback trigger), fallback rate, p99 latency and stale config."""
    logic = _route_logic_errors(book)
    if route.deployment_group is not None:
        route.deployment_group.add_alarm(logic)
    _fallback_rate(book)
    book.add(
        "RouteLatency",
        "route-p99-latency",
        description=f"The route function's p99 duration (live alias) was above {ROUTE_P99_MS} ms in 3 of 5 "
        "minutes: calls wait in the flow, and near the flow's timeout they take the default-queue path.",
        runbook="Route p99 latency",
        metric=route.alias.metric_duration(statistic="p99", period=Duration.minutes(1)),
        threshold=ROUTE_P99_MS,
        evaluation_periods=5,
        datapoints_to_alarm=3,
        comparison=GREATER,
    )
    book.add(
        "ConfigStale",
        "route-config-stale",
        description=f"A route container has not confirmed the active config pointer for more than "
        f"{CONFIG_STALE_SECONDS} s: it routes with the version it holds and misses publishes and rollbacks.",
        runbook="Stale config",
        metric=service_metric("ConfigStalenessSeconds", ROUTE_SERVICE, statistic="Maximum"),
        threshold=CONFIG_STALE_SECONDS,
        comparison=GREATER,
    )


def _route_logic_errors(book: AlarmBook) -> cloudwatch.Alarm:
    one = Duration.minutes(1)
    return book.add(
        "RouteLogicErrors",
        "route-logic-errors",
        description="The route function answered ERROR_DEFAULT (RouteError: an exception it caught; "
        "DecisionErrorDefault: no usable config): callers go to the default queue. It never raises, so the Errors "
        "alarm cannot see this; during a gradual deploy this alarm rolls the new version back. The metrics carry no "
        "version, so errors of the old version during a deploy roll back too (the safe side).",
        runbook="Function errors",
        metric=cloudwatch.MathExpression(
            expression="FILL(route_errors, 0) + FILL(error_defaults, 0)",
            using_metrics={
                "route_errors": service_metric("RouteError", ROUTE_SERVICE, period=one),
                "error_defaults": service_metric("DecisionErrorDefault", ROUTE_SERVICE, period=one),
            },
            label="RouteError + DecisionErrorDefault",
            period=one,
        ),
        threshold=1,
        comparison=AT_LEAST,
    )


def _fallback_rate(book: AlarmBook) -> None:
    five = Duration.minutes(5)
    decisions = {f"d{i}": service_metric(n, ROUTE_SERVICE, period=five) for i, n in enumerate(DECISION_METRICS)}
    total = " + ".join(f"FILL({d}, 0)" for d in decisions)
    book.add(
        "FallbackRate",
        "route-fallback-rate",
        description=f"More than {FALLBACK_RATE_PERCENT}% of routing decisions in 5 minutes (at least "
        f"{FALLBACK_MIN_DECISIONS} decisions) took a fallback (the chosen queue was closed, full or over its wait): "
        "callers land in fallback queues.",
        runbook="Fallback rate",
        # FILL: a status with no decision in the window has no datapoint, and one missing term would blank the
        # whole sum (the alarm would then never fire). IF: no rate below FALLBACK_MIN_DECISIONS decisions.
        metric=cloudwatch.MathExpression(
            expression=f"IF(({total}) >= {FALLBACK_MIN_DECISIONS}, 100 * FILL(fallback, 0) / ({total}), 0)",
            using_metrics={"fallback": service_metric("Fallback", ROUTE_SERVICE, period=five), **decisions},
            label="Fallback rate (%)",
            period=five,
        ),
        threshold=FALLBACK_RATE_PERCENT,
        comparison=GREATER,
    )


def throttling_alarms(book: AlarmBook, tables: dict[str, str]) -> None:
    """One alarm per table (label → table name) on throttled reads + writes (``helpers.throttle_events``)."""
    for label, table_name in tables.items():
        book.add(
            f"Throttled-{label}",
            f"dynamodb-throttled-{slug(label)}",
            description=f"DynamoDB throttled reads or writes on the {label} table in the last 5 minutes: the "
            "functions retry, then degrade (route falls back to the config in memory).",
            runbook="DynamoDB throttling",
            metric=throttle_events(table_name, Duration.minutes(5)),
            threshold=1,
            comparison=AT_LEAST,
        )


def connect_alarms(book: AlarmBook, connect: ConnectSignals) -> list[NestedStack]:
    """A fatal-error alarm per flow, and a longest-wait-above-SLA alarm per SLA queue in nested stacks (returned)."""
    for stem, flow_name in sorted(connect.flows.items()):
        book.add(
            f"FlowFatal-{stem}",
            f"flow-fatal-errors-{slug(stem)}",
            description=f"The contact flow {flow_name} failed on a system error (ContactFlowFatalErrors): callers of "
            "this flow were disconnected or dropped.",
            runbook="Contact flow fatal errors",
            metric=connect_metric(
                "ContactFlowFatalErrors", connect.instance_id, "ContactFlow", statistic="Sum", ContactFlowName=flow_name
            ),
            threshold=1,
            comparison=AT_LEAST,
        )
    nested_stacks = []
    for index, chunk in enumerate(chunks(connect.queues, SLA_ALARMS_PER_NESTED_STACK)):
        first = index * SLA_ALARMS_PER_NESTED_STACK
        nested = NestedStack(
            book.scope,
            f"QueueSlaAlarms{index}",
            description=f"{book.prefix}: longest-wait-above-SLA alarms of queues {first}..{first + len(chunk) - 1} "
            "(in baked-config order)",
        )
        nested_stacks.append(nested)
        for queue in chunk:
            _sla_alarm(book, nested, queue, connect.instance_id)
    return nested_stacks


def _sla_alarm(book: AlarmBook, scope: Construct, queue: QueueSla, instance_id: str) -> None:
    book.add(
        f"QueueSla-{queue.key}",
        f"queue-sla-{slug(queue.key)}",
        scope=scope,
        description=f"The longest wait in queue '{queue.name}' ({queue.key}) was above its SLA of "
        f"{queue.sla_seconds} s for 3 minutes. The threshold is the config's sla_seconds at the last deploy.",
        runbook="Longest wait above SLA",
        metric=connect_metric("LongestQueueWaitTime", instance_id, "Queue", statistic="Maximum", QueueName=queue.name),
        threshold=queue.sla_seconds,
        evaluation_periods=3,
        datapoints_to_alarm=3,
        comparison=GREATER,
    )
