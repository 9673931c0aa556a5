"""The one Powertools ``Logger`` and ``Metrics`` every function shares, and phone-number masking.

Powertools reads ``POWERTOOLS_SERVICE_NAME`` / ``POWERTOOLS_METRICS_NAMESPACE`` itself; the CDK sets them.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

# The service name (the `service` dimension and log key) comes from POWERTOOLS_SERVICE_NAME, set per function by
# the CDK (trunkline-route, trunkline-metrics-poller, …), so alarms can tell the functions apart.
NAMESPACE = "Trunkline"
logger = Logger()
metrics = Metrics(namespace=NAMESPACE)

__all__ = ["NAMESPACE", "MetricUnit", "dimensioned_metric", "logger", "mask_phone", "metrics"]


def dimensioned_metric(dimension: str, value: str, values: Iterable[tuple[str, MetricUnit | str, float]]) -> None:
    """Emit ``values`` now, as one EMF blob with ``service`` and one extra dimension.

    ``EphemeralMetrics`` keeps these apart from the shared ``metrics`` (whose blob has the ``service`` dimension
    only): a dimension set is per blob. Only for dimensions with a small, closed set of values (cost, see
    docs/design/observability.md).
    """
    emf = EphemeralMetrics(namespace=NAMESPACE)
    emf.add_dimension(name=dimension, value=value)
    for name, unit, number in values:
        emf.add_metric(name=name, unit=unit, value=number)
    emf.flush_metrics()


def mask_phone(number: str | None) -> str:
    """Keep only the last two digits: enough to tell two callers apart in a trace, useless to dial.

    Powertools' ``DataMasking.erase`` would replace the whole value (``*****``), losing that triage hint, and
    costs an extra import on the per-call path; this is the one place numbers are rendered for logs.
    """
    if not number:
        return ""
    digits = [c for c in number if c.isdigit()]
    if len(digits) < 4:
        return "***"
    return "+" + "*" * (len(digits) - 2) + "".join(digits[-2:])
