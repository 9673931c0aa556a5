"""The one Powertools ``Logger`` and ``Metrics`` every function shares, and phone-number masking.

Powertools reads ``POWERTOOLS_SERVICE_NAME`` / ``POWERTOOLS_METRICS_NAMESPACE`` itself; the CDK sets them.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricResolution, MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

# The service name (the `service` dimension and log key) comes from POWERTOOLS_SERVICE_NAME, set per function by
# the CDK (trunkline-route, trunkline-metrics-poller, …), so alarms can tell the functions apart.
NAMESPACE = "Trunkline"


class _SwitchableEMFProvider(AmazonCloudWatchEMFProvider):
    """Powertools' EMF provider, with ``POWERTOOLS_METRICS_DISABLED`` meaning *nothing is ever printed*.

    Powertools 3.37 checks the switch only in ``flush_metrics``, which then neither prints nor clears: values pile
    up across invocations, and ``add_metric`` publishes the set by itself (a bare ``print``, no check) when one
    metric reaches 100 values. So with metrics "off", every 100th invocation printed a blob on stdout (the demo's
    24 KB of EMF). Here a disabled provider keeps at most the value being added (still validated) and drops it
    at flush; enabled, nothing changes.
    """

    def add_metric(
        self, name: str, unit: MetricUnit | str, value: float, resolution: MetricResolution | int = 60
    ) -> None:
        if is_metrics_disabled():
            self.metric_set.clear()
        super().add_metric(name=name, unit=unit, value=value, resolution=resolution)

    def flush_metrics(self, raise_on_empty_metrics: bool = False) -> None:
        if is_metrics_disabled():
            self.clear_metrics()
            return
        super().flush_metrics(raise_on_empty_metrics=raise_on_empty_metrics)


logger = Logger()
metrics = Metrics(namespace=NAMESPACE)
# The wrapper's buffers are shared by every Metrics instance (class attributes); the provider writes into them.
metrics.provider = _SwitchableEMFProvider(
    namespace=NAMESPACE,
    metric_set=metrics.metric_set,
    dimension_set=metrics.dimension_set,
    metadata_set=metrics.metadata_set,
    default_dimensions=metrics.default_dimensions,
)

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
