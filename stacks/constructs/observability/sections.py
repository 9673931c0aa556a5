"""The built-in dashboard sections, in the order they appear: routing, DynamoDB, live metrics, callbacks, contact
outcomes and Amazon Connect (the last two, and live metrics, only in a region with an instance)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

from stacks.constructs.observability.alarms import CONFIG_STALE_SECONDS, ROUTE_P99_MS
from stacks.constructs.observability.dashboard import DashboardSection, graph
from stacks.constructs.observability.helpers import connect_metric, service_metric, throttle_events
from stacks.constructs.observability.inputs import ConnectSignals
from stacks.constructs.observability.names import (
    CALLBACK_OUTCOMES,
    CALLBACK_SERVICE,
    CALLBACK_SIGNALS,
    CONNECT,
    DECISION_METRICS,
    NAMESPACE,
    OUTCOMES_SERVICE,
    POLLER_SERVICE,
    ROUTE_SERVICE,
)

if TYPE_CHECKING:
    from stacks.constructs.lambda_defaults import TrunklineFunction

ROUTE = ROUTE_SERVICE


def routing(functions: Mapping[str, TrunklineFunction]) -> DashboardSection:
    """Decisions, fallbacks, route errors; every function's errors, throttles and duration; the config in use."""
    return DashboardSection("Routing", [_decisions(), _lambdas(functions), _config(functions["route"])])


def _decisions() -> list[cloudwatch.IWidget]:
    fallbacks_by_reason = cloudwatch.SearchExpression(
        expression=f'SEARCH(\'{{{NAMESPACE},reason,service}} MetricName="FallbackByReason" service="{ROUTE}"\', '
        "'Sum', 60)",
        label="",
    )
    return [
        *graph(
            "Decisions by status",
            [service_metric(n, ROUTE, label=n.removeprefix("Decision")) for n in DECISION_METRICS],
            stacked=True,
        ),
        *graph(
            "Fallbacks (total and by reason)",
            [service_metric("Fallback", ROUTE, label="Fallback"), fallbacks_by_reason],
        ),
        *graph(
            "Route errors and degraded config",
            [
                service_metric(name, ROUTE, label=name)
                for name in ("RouteError", "ConfigNotActive", "ConfigRefreshFailed", "MetricsReadFailed")
            ],
        ),
    ]


def _lambdas(functions: Mapping[str, TrunklineFunction]) -> list[cloudwatch.IWidget]:
    one = Duration.minutes(1)
    return [
        *graph(
            "Lambda errors", [fn.function.metric_errors(period=one, label=k) for k, fn in functions.items()], width=6
        ),
        *graph(
            "Lambda throttles",
            [fn.function.metric_throttles(period=one, label=k) for k, fn in functions.items()],
            width=6,
        ),
        *graph(
            "Lambda duration p50 / p99 (ms)",
            [
                fn.function.metric_duration(statistic=stat, period=one, label=f"{label} {stat}")
                for label, fn in functions.items()
                for stat in ("p50", "p99")
            ],
            width=6,
            annotation=(ROUTE_P99_MS, "route p99 alarm"),
        ),
        *graph(
            "Decision latency (ms)",
            [service_metric("DecisionLatency", ROUTE, statistic=s, label=s) for s in ("p50", "p99")],
            width=6,
        ),
    ]


def _config(route: TrunklineFunction) -> list[cloudwatch.IWidget]:
    return [
        # Which version decides calls right now, and from where (active / last_known_good / baked): a version id
        # is unbounded, so it is read from the decision lines rather than made a metric dimension.
        cloudwatch.LogQueryWidget(
            title="Config version in use (last hour of decisions)",
            log_group_names=[route.log_group.log_group_name],
            query_lines=[
                "fields config_version, config_source",
                'filter message = "decision"',
                "stats count() as decisions, max(@timestamp) as last_seen by config_version, config_source",
                "sort last_seen desc",
            ],
            view=cloudwatch.LogQueryVisualizationType.TABLE,
            width=8,
            height=6,
        ),
        *graph(
            "Config version age (s)",
            [service_metric("ConfigVersionAgeSeconds", ROUTE, statistic="Maximum", label="version age")],
            width=8,
        ),
        *graph(
            "Config staleness (s)",
            [service_metric("ConfigStalenessSeconds", ROUTE, statistic="Maximum", label="staleness")],
            width=8,
            annotation=(CONFIG_STALE_SECONDS, "stale config alarm"),
        ),
    ]


def dynamodb(tables: Mapping[str, str]) -> DashboardSection:
    """Successful-request latency by table and operation, and throttled reads + writes, per table."""
    latency = [
        cloudwatch.SearchExpression(
            expression='SEARCH(\'{AWS/DynamoDB,Operation,TableName} MetricName="SuccessfulRequestLatency"'
            f" TableName=\"{name}\"', 'Average', 60)",
            label=label,
        )
        for label, name in tables.items()
    ]
    throttled = [
        throttle_events(name, Duration.minutes(1), n=n, label=label) for n, (label, name) in enumerate(tables.items())
    ]
    row = [
        *graph("Successful request latency (ms, by table and operation)", latency, width=12),
        *graph("Throttled reads + writes", throttled, width=12),
    ]
    return DashboardSection("DynamoDB", [row])


def live_metrics() -> DashboardSection:
    """The poller's writes and failed pages, and the snapshot age route sees."""
    row = [
        *graph(
            "Snapshots written / pages failed",
            [
                service_metric("MetricsSnapshotsWritten", POLLER_SERVICE, label="snapshots written"),
                service_metric("MetricsPagesFailed", POLLER_SERVICE, label="pages failed"),
            ],
            width=12,
        ),
        *graph(
            "Snapshot age seen by route (s)",
            [service_metric("MetricsSnapshotAgeSeconds", ROUTE, statistic="Maximum", label="snapshot age")],
            width=12,
        ),
    ]
    return DashboardSection("Live metrics", [row])


def callbacks() -> DashboardSection:
    """The callback outcomes stacked (one per request), and the signals emitted besides them."""

    def lines(names: Sequence[str]) -> list[cloudwatch.IMetric]:
        return [service_metric(n, CALLBACK_SERVICE, label=n.removeprefix("Callback")) for n in names]

    row = [
        *graph("Callback requests (one outcome each)", lines(CALLBACK_OUTCOMES), width=16, stacked=True),
        *graph("Callback: confirmed late / out of store time", lines(CALLBACK_SIGNALS), width=8),
    ]
    return DashboardSection("Callbacks", [row])


def outcomes(lines_of_business: Sequence[str]) -> DashboardSection:
    """Abandonment rate, time to answer and callback results per line of business (and ``unknown``)."""
    five = Duration.minutes(5)  # a rate over one minute of a small line of business is mostly noise
    # Contacts the flows could not tag with a line of business (error paths) count under "unknown".
    lobs = [*lines_of_business, "unknown"]
    rates: list[cloudwatch.IMetric] = [
        cloudwatch.MathExpression(
            # A minute with no abandon has no datapoint: FILL keeps the rate at 0 % instead of a gap. Indexed ids:
            # a line of business key need not be a valid expression id, and ids are unique per graph.
            expression=f"100 * FILL(ab{n}, 0) / (FILL(an{n}, 0) + FILL(ab{n}, 0))",
            using_metrics={
                f"ab{n}": service_metric("ContactsAbandoned", OUTCOMES_SERVICE, period=five, line_of_business=lob),
                f"an{n}": service_metric("ContactsAnswered", OUTCOMES_SERVICE, period=five, line_of_business=lob),
            },
            label=lob,
            period=five,
        )
        for n, lob in enumerate(lobs)
    ]
    answer = [
        service_metric("TimeToAnswer", OUTCOMES_SERVICE, statistic=s, label=f"{lob} {s}", line_of_business=lob)
        for lob in lobs
        for s in ("p50", "p90")
    ]
    results = [
        service_metric(name, OUTCOMES_SERVICE, label=f"{lob} {name.removeprefix('Callbacks')}", line_of_business=lob)
        for lob in lobs
        for name in ("CallbacksCompleted", "CallbacksFailed")
    ]
    row = [
        *graph("Abandonment rate by line of business (%)", rates),
        *graph("Time to answer p50 / p90 (s)", answer),
        *graph("Callbacks completed / failed", results),
    ]
    return DashboardSection("Contact outcomes", [row])


def amazon_connect(connect: ConnectSignals) -> DashboardSection:
    """Queue size and longest wait of the SLA queues; flow errors, throttled calls, undialable callbacks, loss."""
    instance = connect.instance_id

    def per_queue(name: str) -> list[cloudwatch.IMetric]:
        return [
            connect_metric(name, instance, "Queue", statistic="Maximum", label=q.name, QueueName=q.name)
            for q in connect.queues
        ]

    queues = [
        *graph("Queue size (queues with an SLA)", per_queue("QueueSize"), width=12),
        *graph("Longest queue wait (s, queues with an SLA)", per_queue("LongestQueueWaitTime"), width=12),
    ]
    flow_errors = [
        connect_metric(name, instance, "ContactFlow", statistic="Sum", label=f"{flow} {name}", ContactFlowName=flow)
        for flow in sorted(connect.flows.values())
        for name in ("ContactFlowErrors", "ContactFlowFatalErrors")
    ]
    calls = [
        connect_metric(name, instance, "VoiceCalls", statistic="Sum", label=name)
        for name in ("ThrottledCalls", "CallsBreachingConcurrencyQuota")
    ]
    not_dialable = cloudwatch.SearchExpression(
        expression=f"SEARCH('{{{CONNECT},InstanceId,MetricGroup,QueueName}} "
        f'MetricName="CallBackNotDialableNumber" InstanceId="{instance}"\', \'Sum\', 60)',
        label="",
    )
    # Published with InstanceId, Participant, "Stream Type" and "Type of Connection" (names with spaces; public
    # dashboards also show "Instance ID"): search by namespace, name and instance id rather than pin a dimension
    # schema.
    packet_loss = cloudwatch.SearchExpression(
        expression=f'SEARCH(\'Namespace="{CONNECT}" MetricName="ToInstancePacketLossRate" "{instance}"\', '
        "'Average', 60)",
        label="",
    )
    health = [
        *graph("Contact flow errors / fatal errors", flow_errors, width=6),
        *graph("Throttled calls / calls over the concurrency quota", calls, width=6),
        *graph("Callbacks not dialable (by queue)", [not_dialable], width=6),
        *graph("Packet loss to the instance (ratio)", [packet_loss], width=6),
    ]
    return DashboardSection("Amazon Connect", [queues, health])
