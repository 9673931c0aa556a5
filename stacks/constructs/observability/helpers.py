"""The one way to build a metric and an alarm (and the shared throttle expression), for every construct.

``metric`` builds any CloudWatch metric; ``service_metric`` and ``connect_metric`` only shape the dimensions of our
EMF metrics (``service`` + extras) and of ``AWS/Connect`` (``InstanceId``, ``MetricGroup`` + extras). ``alarm``
holds the house defaults: missing data is not breaching unless said otherwise, and the description ends with the
runbook section to open (a test checks that section exists).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TypeVar

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from stacks.constructs.observability.names import CONNECT, NAMESPACE, RUNBOOK

T = TypeVar("T")
GREATER = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
AT_LEAST = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
LESS = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD


def metric(
    name: str,
    dimensions: Mapping[str, str],
    *,
    namespace: str = NAMESPACE,
    statistic: str = "Sum",
    period: Duration | None = None,
    label: str | None = None,
) -> cloudwatch.Metric:
    """A metric of ``namespace`` (ours by default), one-minute periods unless ``period`` says otherwise."""
    return cloudwatch.Metric(
        namespace=namespace,
        metric_name=name,
        dimensions_map=dict(dimensions),
        statistic=statistic,
        period=period or Duration.minutes(1),
        label=label,
    )


def service_metric(
    name: str,
    service: str,
    *,
    statistic: str = "Sum",
    period: Duration | None = None,
    label: str | None = None,
    **dimensions: str,
) -> cloudwatch.Metric:
    """One of our EMF metrics: the ``service`` dimension (the emitting function) plus ``dimensions``."""
    return metric(name, {"service": service, **dimensions}, statistic=statistic, period=period, label=label)


def connect_metric(
    name: str, instance_id: str, group: str, *, statistic: str, label: str | None = None, **dimensions: str
) -> cloudwatch.Metric:
    """An ``AWS/Connect`` metric of one instance and metric group (``Queue``, ``ContactFlow``, ``VoiceCalls``)."""
    return metric(
        name,
        {"InstanceId": instance_id, "MetricGroup": group, **dimensions},
        namespace=CONNECT,
        statistic=statistic,
        label=label,
    )


def throttle_events(
    table_name: str, period: Duration, *, n: int = 0, label: str | None = None
) -> cloudwatch.MathExpression:
    """Throttled reads + writes of one table; ``n`` keeps the expression ids unique within one graph.

    ``ReadThrottleEvents`` + ``WriteThrottleEvents``, not ``ThrottledRequests``: the latter exists only per
    (TableName, Operation), so a per-table alarm would need one metric per operation (more than an alarm's 10,
    aws-cdk#24509, and an operation added later would be silently missed), and it counts a batch only when every
    item of it is throttled, while route reads snapshots with BatchGetItem and the poller writes them with
    BatchWriteItem. The event metrics have a TableName-only dimension and count each throttled read or write of
    any operation, whatever the cause (on-demand maximum, account limit, hot partition).
    """
    events = {
        f"reads{n}": metric("ReadThrottleEvents", {"TableName": table_name}, namespace="AWS/DynamoDB", period=period),
        f"writes{n}": metric("WriteThrottleEvents", {"TableName": table_name}, namespace="AWS/DynamoDB", period=period),
    }
    return cloudwatch.MathExpression(
        # FILL: a table with throttled reads and no write at all has no WriteThrottleEvents datapoint.
        expression=f"FILL(reads{n}, 0) + FILL(writes{n}, 0)",
        using_metrics=events,
        label=label or "Throttled reads + writes",
        period=period,
    )


def alarm(
    scope: Construct,
    construct_id: str,
    *,
    name: str | None,
    description: str,
    runbook: str,
    metric: cloudwatch.IMetric,
    threshold: float,
    comparison: cloudwatch.ComparisonOperator,
    evaluation_periods: int = 1,
    datapoints_to_alarm: int | None = None,
    treat_missing_data: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
) -> cloudwatch.Alarm:
    """An alarm with the house defaults; ``runbook`` is the ``docs/runbook.md`` section its description names.

    ``Observability`` (created last in the stack) sends every alarm of the stack to the alarm topic and shows it on
    the dashboard's status strip, so a construct only creates its alarm with this.
    """
    return cloudwatch.Alarm(
        scope,
        construct_id,
        alarm_name=name,
        alarm_description=f"{description} Runbook: {RUNBOOK}, '{runbook}'.",
        metric=metric,
        threshold=threshold,
        evaluation_periods=evaluation_periods,
        datapoints_to_alarm=datapoints_to_alarm,
        comparison_operator=comparison,
        treat_missing_data=treat_missing_data,
    )


def chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    """``items`` in slices of at most ``size`` (one empty slice for no items)."""
    return [items[i : i + size] for i in range(0, len(items), size)] or [items]


def slug(text: str) -> str:
    """``text`` as a lower-case alarm-name part (letters, digits and dashes)."""
    return re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-").lower()
