"""Dashboard building blocks: a section (a titled group of rows), the graph helper, and rendering.

**Adding a row for a feature** (the extension point): build a ``DashboardSection`` — a title and rows of widgets,
graphs made with ``graph`` and metrics with ``helpers.service_metric`` — and pass it to ``Observability`` in
``sections``; it is rendered after the built-in sections, under its ``## title`` header. A feature's alarm needs
no registration: create it with ``helpers.alarm`` anywhere in the stack before ``Observability`` and it is sent to
the topic and shown on the status strip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_cloudwatch as cloudwatch

from stacks.constructs.observability.helpers import chunks

# Readable graphs, and well under CloudWatch's per-graph limit; a longer list is split across widgets.
MAX_METRICS_PER_GRAPH = 100
MAX_ALARMS_PER_STATUS_WIDGET = 100


@dataclass(frozen=True, slots=True)
class DashboardSection:
    """A titled group of dashboard rows (each row: widgets whose widths add up to at most 24)."""

    title: str
    rows: Sequence[Sequence[cloudwatch.IWidget]]


def graph(
    title: str,
    left: Sequence[cloudwatch.IMetric],
    *,
    width: int = 8,
    stacked: bool = False,
    annotation: tuple[float, str] | None = None,
) -> list[cloudwatch.GraphWidget]:
    """One graph, or several when ``left`` is longer than ``MAX_METRICS_PER_GRAPH``."""
    parts = chunks(left, MAX_METRICS_PER_GRAPH)
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


def render(
    dashboard: cloudwatch.Dashboard, status: Sequence[cloudwatch.IAlarm], sections: Sequence[DashboardSection]
) -> None:
    """The alarm-status strip, then each section: its ``## title`` header, then its rows in order."""
    for alarms in chunks(status, MAX_ALARMS_PER_STATUS_WIDGET):
        dashboard.add_widgets(cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(alarms), width=24, height=4))
    for section in sections:
        dashboard.add_widgets(cloudwatch.TextWidget(markdown=f"## {section.title}", width=24, height=1))
        for row in section.rows:
            dashboard.add_widgets(*row)
