"""Observability of one region (``docs/design/observability.md``): one module per concern.

| module | what it holds |
|---|---|
| ``names`` | the metric namespace, each function's ``service`` name, metric families (defined once) |
| ``helpers`` | the one metric builder and the one alarm builder (house defaults, runbook section) |
| ``inputs`` | what the construct is given: Connect signals, query log groups, config facts |
| ``alarms`` | the domain alarms (route, DynamoDB throttling, flows, per-queue SLA in nested stacks) |
| ``dashboard`` / ``sections`` | ``DashboardSection``, ``graph`` and rendering / the built-in sections |
| ``queries`` | the saved Logs Insights queries |
| ``construct`` | ``Observability``: topic, wiring of every alarm of the stack, dashboard, queries |

To add a feature's alarm and dashboard row: ``helpers.alarm`` in the feature's construct, and a
``DashboardSection`` passed to ``Observability(sections=...)`` (see ``dashboard``).
"""

from stacks.constructs.observability.alarms import SLA_ALARMS_PER_NESTED_STACK
from stacks.constructs.observability.construct import Observability
from stacks.constructs.observability.dashboard import DashboardSection, graph
from stacks.constructs.observability.helpers import alarm, connect_metric, metric, service_metric
from stacks.constructs.observability.inputs import (
    ConnectSignals,
    QueryLogGroups,
    QueueSla,
    line_of_business_keys,
    queue_slas,
)
from stacks.constructs.observability.names import (
    CALLBACK_OUTCOMES,
    CALLBACK_REJECTIONS,
    CALLBACK_SIGNALS,
    DECISION_METRICS,
)

__all__ = [
    "CALLBACK_OUTCOMES",
    "CALLBACK_REJECTIONS",
    "CALLBACK_SIGNALS",
    "DECISION_METRICS",
    "SLA_ALARMS_PER_NESTED_STACK",
    "ConnectSignals",
    "DashboardSection",
    "Observability",
    "QueryLogGroups",
    "QueueSla",
    "alarm",
    "connect_metric",
    "graph",
    "line_of_business_keys",
    "metric",
    "queue_slas",
    "service_metric",
]
