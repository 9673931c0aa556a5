"""Observability of one region: the alarm topic, the alarms of ``docs/design/observability.md`` (every alarm of the
stack notifies the topic), one dashboard and the saved Logs Insights queries.

Create it last in the stack: it wires every ``cloudwatch.Alarm`` that exists in the stack at that point.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from aws_cdk import ArnFormat, Duration, NestedStack, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from stacks.constructs.lambda_defaults import TrunklineFunction

NAMESPACE = "Trunkline"
ROUTE_SERVICE = "trunkline-route"
CALLBACK_SERVICE = "trunkline-callback"
POLLER_SERVICE = "trunkline-metrics-poller"
OUTCOMES_SERVICE = "trunkline-outcomes"
CONNECT = "AWS/Connect"
DECISION_METRICS = ("DecisionRouted", "DecisionClosed", "DecisionEmergency", "DecisionDefault", "DecisionErrorDefault")
# ``CallbackRejected<Reason>`` for each refusal of ``routing.callback.request.CallbackStatus``.
CALLBACK_REJECTIONS = ("InvalidNumber", "Anonymous", "NotAllowedCountry", "BlockedPrefix", "QueueFull", "NotOffered")
# One outcome metric per callback request (``routing.callback.service``): stacked, they add up to the requests.
CALLBACK_OUTCOMES = (
    "CallbackReserved",
    "CallbackCreated",
    "CallbackReleased",
    "CallbackDuplicate",
    *(f"CallbackRejected{reason}" for reason in CALLBACK_REJECTIONS),
    "CallbackError",
)
# Emitted besides the outcome: a confirm without a live reservation, and an invocation out of store time (its
# outcome is CallbackError): graphed apart, not stacked with the outcomes.
CALLBACK_SIGNALS = ("CallbackConfirmedLate", "CallbackStoreUnavailable")
FALLBACK_RATE_PERCENT = 20
# Below this many decisions in 5 minutes a rate is noise (one fallback of two calls at night is 50 %).
FALLBACK_MIN_DECISIONS = 20
ROUTE_P99_MS = 500
CONFIG_STALE_SECONDS = 300
# Readable graphs, and well under CloudWatch's per-graph limit; a longer list is split across widgets.
MAX_METRICS_PER_GRAPH = 100
MAX_ALARMS_PER_STATUS_WIDGET = 100
# Per-queue SLA alarms live in nested stacks of at most this many: a 600-queue centre would otherwise exceed
# CloudFormation's 500 resources per stack (measured: 686 resources, synth refused). Each nested stack is one
# resource of the regional stack and gets the topic ARN as a parameter.
SLA_ALARMS_PER_NESTED_STACK = 400
RUNBOOK = "docs/runbook.md"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class QueueSla:
    """A queue of the baked config with ``sla_seconds``: its Connect name is the ``QueueName`` dimension."""

    key: str
    name: str
    sla_seconds: int


@dataclass(frozen=True, slots=True)
class ConnectSignals:
    """What the ``AWS/Connect`` alarms and widgets need about this region's instance."""

    instance_id: str
    flows: Mapping[str, str]  # flow file stem → deployed flow name (the ``ContactFlowName`` dimension)
    queues: tuple[QueueSla, ...]  # queues with an SLA


@dataclass(frozen=True, slots=True)
class QueryLogGroups:
    """The log groups the saved queries read (the functions' own groups)."""

    route: logs.ILogGroup
    callback: logs.ILogGroup
    outcomes: logs.ILogGroup | None = None


def _records(section: Any) -> list[Mapping[str, Any]]:
    """A config section as records: the baked document keys them by ``key``; a list is accepted as well."""
    if isinstance(section, Mapping):
        return [v for v in section.values() if isinstance(v, Mapping)]
    if isinstance(section, list):
        return [v for v in section if isinstance(v, Mapping)]
    return []


def queue_slas(document: Mapping[str, Any]) -> tuple[QueueSla, ...]:
    """Every queue of the config document with ``sla_seconds``, in key order."""
    found = [
        QueueSla(key=str(q["key"]), name=str(q["name"]), sla_seconds=int(q["sla_seconds"]))
        for q in _records(document.get("queues"))
        if q.get("sla_seconds")
    ]
    return tuple(sorted(found, key=lambda q: q.key))


def line_of_business_keys(document: Mapping[str, Any]) -> tuple[str, ...]:
    """Every line of business of the config document (the ``line_of_business`` dimension of outcome metrics)."""
    return tuple(sorted(str(lob["key"]) for lob in _records(document.get("lines_of_business"))))


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [items]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-").lower()


def _metric(
    name: str,
    service: str,
    *,
    statistic: str = "Sum",
    period: Duration | None = None,
    label: str | None = None,
    **dimensions: str,
) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=NAMESPACE,
        metric_name=name,
        dimensions_map={"service": service, **dimensions},
        statistic=statistic,
        period=period or Duration.minutes(1),
        label=label,
    )


def _connect_metric(
    name: str, instance_id: str, group: str, *, statistic: str, label: str | None = None, **dimensions: str
) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=CONNECT,
        metric_name=name,
        dimensions_map={"InstanceId": instance_id, "MetricGroup": group, **dimensions},
        statistic=statistic,
        period=Duration.minutes(1),
        label=label,
    )


class Observability(Construct):
    """One per regional stack (the DR region gets its own topic, alarms and dashboard)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env_name: str,
        alarm_emails: Sequence[str],
        route: TrunklineFunction,
        functions: Mapping[str, TrunklineFunction],
        tables: Mapping[str, str],
        log_groups: QueryLogGroups,
        lines_of_business: Sequence[str],
        connect: ConnectSignals | None,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.prefix = f"trunkline-{env_name}"
        self._connect = connect

        # CloudWatch cannot publish to a topic encrypted with the AWS-managed alias/aws/sns key (its key policy
        # cannot grant the CloudWatch service): a customer-managed key with rotation, usable by CloudWatch only
        # through SNS in this account.
        self.key = kms.Key(
            self,
            "TopicKey",
            description=f"{self.prefix}: encrypts the alarm topic; CloudWatch alarms may use it to publish",
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"Trunkline {env_name} alarms ({stack.region})",
            master_key=self.key,
            enforce_ssl=True,
        )
        # The TLS-only topic policy replaces SNS's default one: allow this account's alarms to publish.
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:*"
                    },
                },
            )
        )
        for email in alarm_emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))

        self.alarms: dict[str, cloudwatch.Alarm] = {}
        self.sla_stacks: list[NestedStack] = []
        self._route_alarms(route)
        self._throttling_alarms(tables)
        if connect is not None:
            self._connect_alarms(connect)

        action = cw_actions.SnsAction(self.topic)
        self.notified: list[cloudwatch.Alarm] = []
        for node in stack.node.find_all():
            if isinstance(node, cloudwatch.Alarm):
                node.add_alarm_action(action)
                node.add_ok_action(action)
                self.notified.append(node)

        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"{self.prefix}-{stack.region}",
            default_interval=Duration.hours(3),
        )
        self._dashboard(functions, tables, lines_of_business)
        self.queries = self._queries(log_groups)

    # Alarms -------------------------------------------------------------------------------------------------

    def _alarm(
        self, construct_id: str, name: str, description: str, *, scope: Construct | None = None, **props: Any
    ) -> cloudwatch.Alarm:
        props.setdefault("treat_missing_data", cloudwatch.TreatMissingData.NOT_BREACHING)
        alarm = cloudwatch.Alarm(
            scope or self, construct_id, alarm_name=f"{self.prefix}-{name}", alarm_description=description, **props
        )
        self.alarms[name] = alarm
        return alarm

    def _route_alarms(self, route: TrunklineFunction) -> None:
        one = Duration.minutes(1)
        logic = self._alarm(
            "RouteLogicErrors",
            "route-logic-errors",
            "The route function answered ERROR_DEFAULT (RouteError: an exception it caught; DecisionErrorDefault: no "
            "usable config): callers go to the default queue. It never raises, so the Errors alarm cannot see this; "
            "during a gradual deploy this alarm rolls the new version back. The metrics carry no version, so errors "
            f"of the old version during a deploy roll back too (the safe side). Runbook: {RUNBOOK}, 'Function errors'.",
            metric=cloudwatch.MathExpression(
                expression="FILL(route_errors, 0) + FILL(error_defaults, 0)",
                using_metrics={
                    "route_errors": _metric("RouteError", ROUTE_SERVICE, period=one),
                    "error_defaults": _metric("DecisionErrorDefault", ROUTE_SERVICE, period=one),
                },
                label="RouteError + DecisionErrorDefault",
                period=one,
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        )
        if route.deployment_group is not None:
            route.deployment_group.add_alarm(logic)
        five = Duration.minutes(5)
        decisions = {f"d{i}": _metric(name, ROUTE_SERVICE, period=five) for i, name in enumerate(DECISION_METRICS)}
        total = " + ".join(f"FILL({d}, 0)" for d in decisions)
        self._alarm(
            "FallbackRate",
            "route-fallback-rate",
            f"More than {FALLBACK_RATE_PERCENT}% of routing decisions in 5 minutes (at least {FALLBACK_MIN_DECISIONS} "
            "decisions) took a fallback (the chosen "
            f"queue was closed, full or over its wait): callers land in fallback queues. Runbook: {RUNBOOK}, "
            "'Fallback rate'.",
            # FILL: a status with no decision in the window has no datapoint, and one missing term would blank the
            # whole sum (the alarm would then never fire). IF: no rate below FALLBACK_MIN_DECISIONS decisions.
            metric=cloudwatch.MathExpression(
                expression=f"IF(({total}) >= {FALLBACK_MIN_DECISIONS}, 100 * FILL(fallback, 0) / ({total}), 0)",
                using_metrics={"fallback": _metric("Fallback", ROUTE_SERVICE, period=five), **decisions},
                label="Fallback rate (%)",
                period=five,
            ),
            threshold=FALLBACK_RATE_PERCENT,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )
        self._alarm(
            "RouteLatency",
            "route-p99-latency",
            f"The route function's p99 duration (live alias) was above {ROUTE_P99_MS} ms in 3 of 5 minutes: calls "
            f"wait in the flow, and near the flow's timeout they take the default-queue path. Runbook: {RUNBOOK}, "
            "'Route p99 latency'.",
            metric=route.alias.metric_duration(statistic="p99", period=Duration.minutes(1)),
            threshold=ROUTE_P99_MS,
            evaluation_periods=5,
            datapoints_to_alarm=3,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )
        self._alarm(
            "ConfigStale",
            "route-config-stale",
            f"A route container has not confirmed the active config pointer for more than {CONFIG_STALE_SECONDS} s: "
            "it routes with the version it holds and misses publishes and rollbacks. Runbook: "
            f"{RUNBOOK}, 'Stale config'.",
            metric=_metric("ConfigStalenessSeconds", ROUTE_SERVICE, statistic="Maximum"),
            threshold=CONFIG_STALE_SECONDS,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )

    def _throttling_alarms(self, tables: Mapping[str, str]) -> None:
        # ReadThrottleEvents + WriteThrottleEvents, not ThrottledRequests: ThrottledRequests exists only per
        # (TableName, Operation), so a per-table alarm needs one metric per operation — more than an alarm's 10
        # (aws-cdk#24509), and an operation added later would be silently missed — and it counts a batch only when
        # every item of it is throttled, while route reads snapshots with BatchGetItem and the poller writes them
        # with BatchWriteItem. The event metrics have a TableName-only dimension and count each throttled read or
        # write of any operation, whatever the cause (on-demand maximum, account limit, hot partition).
        for label, table_name in tables.items():
            self._alarm(
                f"Throttled-{label}",
                f"dynamodb-throttled-{_slug(label)}",
                f"DynamoDB throttled reads or writes on the {label} table in the last 5 minutes: the functions "
                f"retry, then degrade (route falls back to the config in memory). Runbook: {RUNBOOK}, "
                "'DynamoDB throttling'.",
                metric=self._throttle_events(table_name, Duration.minutes(5)),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            )

    @staticmethod
    def _throttle_events(
        table_name: str, period: Duration, *, n: int = 0, label: str | None = None
    ) -> cloudwatch.MathExpression:
        """Throttled reads + writes of one table; ``n`` keeps the expression ids unique within one graph."""

        def event_metric(name: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/DynamoDB",
                metric_name=name,
                dimensions_map={"TableName": table_name},
                statistic="Sum",
                period=period,
            )

        return cloudwatch.MathExpression(
            # FILL: a table with throttled reads and no write at all has no WriteThrottleEvents datapoint.
            expression=f"FILL(reads{n}, 0) + FILL(writes{n}, 0)",
            using_metrics={
                f"reads{n}": event_metric("ReadThrottleEvents"),
                f"writes{n}": event_metric("WriteThrottleEvents"),
            },
            label=label or "Throttled reads + writes",
            period=period,
        )

    def _connect_alarms(self, connect: ConnectSignals) -> None:
        for stem, flow_name in sorted(connect.flows.items()):
            self._alarm(
                f"FlowFatal-{stem}",
                f"flow-fatal-errors-{_slug(stem)}",
                f"The contact flow {flow_name} failed on a system error (ContactFlowFatalErrors): callers of this "
                f"flow were disconnected or dropped. Runbook: {RUNBOOK}, 'Contact flow fatal errors'.",
                metric=_connect_metric(
                    "ContactFlowFatalErrors",
                    connect.instance_id,
                    "ContactFlow",
                    statistic="Sum",
                    ContactFlowName=flow_name,
                ),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            )
        for index, chunk in enumerate(_chunks(connect.queues, SLA_ALARMS_PER_NESTED_STACK)):
            first = index * SLA_ALARMS_PER_NESTED_STACK
            nested = NestedStack(
                self,
                f"QueueSlaAlarms{index}",
                description=f"{self.prefix}: longest-wait-above-SLA alarms of queues {first}..{first + len(chunk) - 1} "
                "(in baked-config order)",
            )
            self.sla_stacks.append(nested)
            for queue in chunk:
                self._sla_alarm(nested, queue, connect.instance_id)

    def _sla_alarm(self, scope: Construct, queue: QueueSla, instance_id: str) -> None:
        self._alarm(
            f"QueueSla-{queue.key}",
            f"queue-sla-{_slug(queue.key)}",
            f"The longest wait in queue '{queue.name}' ({queue.key}) was above its SLA of {queue.sla_seconds} s "
            f"for 3 minutes. The threshold is the config's sla_seconds at the last deploy. Runbook: {RUNBOOK}, "
            "'Longest wait above SLA'.",
            scope=scope,
            metric=_connect_metric(
                "LongestQueueWaitTime", instance_id, "Queue", statistic="Maximum", QueueName=queue.name
            ),
            threshold=queue.sla_seconds,
            evaluation_periods=3,
            datapoints_to_alarm=3,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )

    # Dashboard ----------------------------------------------------------------------------------------------

    def _status_alarms(self) -> list[cloudwatch.IAlarm]:
        """Every notified alarm; those of the nested SLA stacks by their ARN (built from the known name), so the
        dashboard needs no nested-stack output per alarm (a stack allows 200 outputs; a centre may have 600)."""
        stack = Stack.of(self)
        names = {alarm.node.path: name for name, alarm in self.alarms.items()}
        out: list[cloudwatch.IAlarm] = []
        for alarm in self.notified:
            if Stack.of(alarm) is stack or alarm.node.path not in names:
                out.append(alarm)
                continue
            arn = stack.format_arn(
                service="cloudwatch",
                resource="alarm",
                resource_name=f"{self.prefix}-{names[alarm.node.path]}",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
            out.append(cloudwatch.Alarm.from_alarm_arn(self, f"Status-{names[alarm.node.path]}", arn))
        return out

    def _row(self, *widgets: cloudwatch.IWidget) -> None:
        self.dashboard.add_widgets(*widgets)

    def _header(self, text: str) -> None:
        self._row(cloudwatch.TextWidget(markdown=text, width=24, height=1))

    @staticmethod
    def _graph(
        title: str,
        left: Sequence[cloudwatch.IMetric],
        *,
        width: int = 8,
        stacked: bool = False,
        annotation: tuple[float, str] | None = None,
    ) -> list[cloudwatch.GraphWidget]:
        """One graph, or several when ``left`` is longer than ``MAX_METRICS_PER_GRAPH``."""
        parts = _chunks(left, MAX_METRICS_PER_GRAPH)
        return [
            cloudwatch.GraphWidget(
                title=title if len(parts) == 1 else f"{title} ({n}/{len(parts)})",
                left=list(part),
                width=width,
                height=6,
                stacked=stacked,
                left_annotations=[cloudwatch.HorizontalAnnotation(value=annotation[0], label=annotation[1])]
                if annotation
                else None,
            )
            for n, part in enumerate(parts, start=1)
        ]

    def _dashboard(
        self, functions: Mapping[str, TrunklineFunction], tables: Mapping[str, str], lines_of_business: Sequence[str]
    ) -> None:
        graph = self._graph
        route = ROUTE_SERVICE
        for alarms in _chunks(self._status_alarms(), MAX_ALARMS_PER_STATUS_WIDGET):
            self._row(cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(alarms), width=24, height=4))

        self._header("## Routing")
        self._row(
            *graph(
                "Decisions by status",
                [_metric(name, route, label=name.removeprefix("Decision")) for name in DECISION_METRICS],
                stacked=True,
            ),
            *graph(
                "Fallbacks (total and by reason)",
                [
                    _metric("Fallback", route, label="Fallback"),
                    cloudwatch.SearchExpression(
                        expression=f'SEARCH(\'{{{NAMESPACE},reason,service}} MetricName="FallbackByReason" '
                        f"service=\"{route}\"', 'Sum', 60)",
                        label="",
                    ),
                ],
            ),
            *graph(
                "Route errors and degraded config",
                [
                    _metric(name, route, label=name)
                    for name in ("RouteError", "ConfigNotActive", "ConfigRefreshFailed", "MetricsReadFailed")
                ],
            ),
        )
        self._row(
            *graph(
                "Lambda errors",
                [fn.function.metric_errors(period=Duration.minutes(1), label=label) for label, fn in functions.items()],
                width=6,
            ),
            *graph(
                "Lambda throttles",
                [
                    fn.function.metric_throttles(period=Duration.minutes(1), label=label)
                    for label, fn in functions.items()
                ],
                width=6,
            ),
            *graph(
                "Lambda duration p50 / p99 (ms)",
                [
                    fn.function.metric_duration(statistic=stat, period=Duration.minutes(1), label=f"{label} {stat}")
                    for label, fn in functions.items()
                    for stat in ("p50", "p99")
                ],
                width=6,
                annotation=(ROUTE_P99_MS, "route p99 alarm"),
            ),
            *graph(
                "Decision latency (ms)",
                [_metric("DecisionLatency", route, statistic=s, label=s) for s in ("p50", "p99")],
                width=6,
            ),
        )
        self._row(
            # Which version decides calls right now, and from where (active / last_known_good / baked): a version
            # id is unbounded, so it is read from the decision lines rather than made a metric dimension.
            cloudwatch.LogQueryWidget(
                title="Config version in use (last hour of decisions)",
                log_group_names=[functions["route"].log_group.log_group_name],
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
                [_metric("ConfigVersionAgeSeconds", route, statistic="Maximum", label="version age")],
                width=8,
            ),
            *graph(
                "Config staleness (s)",
                [_metric("ConfigStalenessSeconds", route, statistic="Maximum", label="staleness")],
                width=8,
                annotation=(CONFIG_STALE_SECONDS, "stale config alarm"),
            ),
        )

        self._header("## DynamoDB")
        self._row(
            *graph(
                "Successful request latency (ms, by table and operation)",
                [
                    cloudwatch.SearchExpression(
                        expression='SEARCH(\'{AWS/DynamoDB,Operation,TableName} MetricName="SuccessfulRequestLatency"'
                        f" TableName=\"{name}\"', 'Average', 60)",
                        label=label,
                    )
                    for label, name in tables.items()
                ],
                width=12,
            ),
            *graph(
                "Throttled reads + writes",
                [
                    self._throttle_events(name, Duration.minutes(1), n=n, label=label)
                    for n, (label, name) in enumerate(tables.items())
                ],
                width=12,
            ),
        )

        if self._connect is not None:
            self._header("## Live metrics")
            self._row(
                *graph(
                    "Snapshots written / pages failed",
                    [
                        _metric("MetricsSnapshotsWritten", POLLER_SERVICE, label="snapshots written"),
                        _metric("MetricsPagesFailed", POLLER_SERVICE, label="pages failed"),
                    ],
                    width=12,
                ),
                *graph(
                    "Snapshot age seen by route (s)",
                    [_metric("MetricsSnapshotAgeSeconds", route, statistic="Maximum", label="snapshot age")],
                    width=12,
                ),
            )

        self._header("## Callbacks")
        self._row(
            *graph(
                "Callback requests (one outcome each)",
                [_metric(name, CALLBACK_SERVICE, label=name.removeprefix("Callback")) for name in CALLBACK_OUTCOMES],
                width=16,
                stacked=True,
            ),
            *graph(
                "Callback: confirmed late / out of store time",
                [_metric(name, CALLBACK_SERVICE, label=name.removeprefix("Callback")) for name in CALLBACK_SIGNALS],
                width=8,
            ),
        )

        if self._connect is not None:
            self._header("## Contact outcomes")
            self._row(*self._outcome_widgets(lines_of_business))
            self._header("## Amazon Connect")
            self._connect_widgets(self._connect)

    def _outcome_widgets(self, lines_of_business: Sequence[str]) -> list[cloudwatch.GraphWidget]:
        graph = self._graph
        five = Duration.minutes(5)  # a rate over one minute of a small line of business is mostly noise
        rates: list[cloudwatch.IMetric] = []
        # Contacts the flows could not tag with a line of business (error paths) count under "unknown".
        lines_of_business = [*lines_of_business, "unknown"]
        for n, lob in enumerate(lines_of_business):
            # Indexed ids: a line of business key need not be a valid expression id, and ids are unique per graph.
            rates.append(
                cloudwatch.MathExpression(
                    # A minute with no abandon has no datapoint: FILL keeps the rate at 0 % instead of a gap.
                    expression=f"100 * FILL(ab{n}, 0) / (FILL(an{n}, 0) + FILL(ab{n}, 0))",
                    using_metrics={
                        f"ab{n}": _metric("ContactsAbandoned", OUTCOMES_SERVICE, period=five, line_of_business=lob),
                        f"an{n}": _metric("ContactsAnswered", OUTCOMES_SERVICE, period=five, line_of_business=lob),
                    },
                    label=lob,
                    period=five,
                )
            )
        return [
            *graph("Abandonment rate by line of business (%)", rates),
            *graph(
                "Time to answer p50 / p90 (s)",
                [
                    _metric("TimeToAnswer", OUTCOMES_SERVICE, statistic=s, label=f"{lob} {s}", line_of_business=lob)
                    for lob in lines_of_business
                    for s in ("p50", "p90")
                ],
            ),
            *graph(
                "Callbacks completed / failed",
                [
                    _metric(
                        name, OUTCOMES_SERVICE, label=f"{lob} {name.removeprefix('Callbacks')}", line_of_business=lob
                    )
                    for lob in lines_of_business
                    for name in ("CallbacksCompleted", "CallbacksFailed")
                ],
            ),
        ]

    def _connect_widgets(self, connect: ConnectSignals) -> None:
        graph = self._graph
        instance = connect.instance_id
        self._row(
            *graph(
                "Queue size (queues with an SLA)",
                [
                    _connect_metric("QueueSize", instance, "Queue", statistic="Maximum", label=q.name, QueueName=q.name)
                    for q in connect.queues
                ],
                width=12,
            ),
            *graph(
                "Longest queue wait (s, queues with an SLA)",
                [
                    _connect_metric(
                        "LongestQueueWaitTime", instance, "Queue", statistic="Maximum", label=q.name, QueueName=q.name
                    )
                    for q in connect.queues
                ],
                width=12,
            ),
        )
        self._row(
            *graph(
                "Contact flow errors / fatal errors",
                [
                    _connect_metric(
                        name, instance, "ContactFlow", statistic="Sum", label=f"{flow} {name}", ContactFlowName=flow
                    )
                    for flow in sorted(connect.flows.values())
                    for name in ("ContactFlowErrors", "ContactFlowFatalErrors")
                ],
                width=6,
            ),
            *graph(
                "Throttled calls / calls over the concurrency quota",
                [
                    _connect_metric(name, instance, "VoiceCalls", statistic="Sum", label=name)
                    for name in ("ThrottledCalls", "CallsBreachingConcurrencyQuota")
                ],
                width=6,
            ),
            *graph(
                "Callbacks not dialable (by queue)",
                [
                    cloudwatch.SearchExpression(
                        expression=f"SEARCH('{{{CONNECT},InstanceId,MetricGroup,QueueName}} "
                        f'MetricName="CallBackNotDialableNumber" InstanceId="{instance}"\', \'Sum\', 60)',
                        label="",
                    )
                ],
                width=6,
            ),
            *graph(
                "Packet loss to the instance (ratio)",
                [
                    # Published with InstanceId, Participant, "Stream Type" and "Type of Connection" (names with
                    # spaces; public dashboards also show "Instance ID"): search by namespace, name and instance id
                    # rather than pin a dimension schema.
                    cloudwatch.SearchExpression(
                        expression=f'SEARCH(\'Namespace="{CONNECT}" MetricName="ToInstancePacketLossRate" '
                        f"\"{instance}\"', 'Average', 60)",
                        label="",
                    )
                ],
                width=6,
            ),
        )

    # Saved queries ------------------------------------------------------------------------------------------

    def _queries(self, groups: QueryLogGroups) -> dict[str, logs.QueryDefinition]:
        definitions: dict[str, tuple[logs.QueryString, Iterable[logs.ILogGroup]]] = {
            "why-contact": (
                logs.QueryString(
                    fields=[
                        "@timestamp",
                        "contact_id",
                        "status",
                        "reason",
                        "rule_id",
                        "ruleset",
                        "queue_key",
                        "fallback_reason",
                        "config_version",
                    ],
                    filter_statements=['message = "decision"', 'contact_id = "PASTE-CONTACT-ID"'],
                    sort="@timestamp desc",
                ),
                [groups.route],
            ),
            "fallbacks-last-hour": (
                logs.QueryString(
                    filter_statements=['ispresent(fallback_reason) and fallback_reason != ""'],
                    stats_statements=["count() by fallback_reason"],
                ),
                [groups.route],
            ),
            "slowest-decisions": (
                logs.QueryString(
                    fields=["@timestamp", "contact_id", "elapsed_ms", "status", "rule_id", "config_source"],
                    filter_statements=['message = "decision"'],
                    sort="elapsed_ms desc",
                    limit=50,
                ),
                [groups.route],
            ),
            "callback-rejects": (
                logs.QueryString(
                    # Everything but the answers of a callback that goes ahead (docs/design/callback.md).
                    filter_statements=[
                        'message = "callback" and callback_status not in '
                        '["RESERVED", "CONFIRMED", "RELEASED", "DUPLICATE"]'
                    ],
                    stats_statements=["count() by callback_status, queue_key"],
                ),
                [groups.callback],
            ),
        }
        if groups.outcomes is not None:
            definitions["abandoned-by-queue"] = (
                logs.QueryString(
                    filter_statements=['message = "contact outcome" and outcome = "ABANDONED"'],
                    stats_statements=["count() by queue_key"],
                ),
                [groups.outcomes],
            )
        return {
            name: logs.QueryDefinition(
                self,
                f"Query-{name}",
                query_definition_name=f"{self.prefix}/{name}",
                query_string=query,
                log_groups=list(log_groups),
            )
            for name, (query, log_groups) in definitions.items()
        }
