"""The names alarms and widgets read, defined once: the metric namespace, each function's ``service`` dimension,
and the metric names graphed as a family.

The namespace comes from the routing package (the code that emits the metrics); the service names are given to the
functions by the CDK (``POWERTOOLS_SERVICE_NAME``, ``stacks.constructs.lambda_defaults``), so they live here.
"""

from __future__ import annotations

from routing.common.observability import NAMESPACE

__all__ = [
    "CALLBACK_OUTCOMES",
    "CALLBACK_REJECTIONS",
    "CALLBACK_SERVICE",
    "CALLBACK_SIGNALS",
    "CONNECT",
    "DECISION_METRICS",
    "NAMESPACE",
    "OUTCOMES_SERVICE",
    "POLLER_SERVICE",
    "ROUTE_SERVICE",
    "RUNBOOK",
]

ROUTE_SERVICE = "trunkline-route"
CALLBACK_SERVICE = "trunkline-callback"
POLLER_SERVICE = "trunkline-metrics-poller"
OUTCOMES_SERVICE = "trunkline-outcomes"
CONNECT = "AWS/Connect"
RUNBOOK = "docs/runbook.md"

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
