"""What ``Observability`` is given about the region: its Connect instance's flows and SLA queues, the log groups
the saved queries read, and the config facts (queues with an SLA, lines of business) read from the baked config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_logs as logs


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
