"""The outcome of one routing decision, before it becomes a flat reply."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class RouteStatus(StrEnum):
    """What the flow branches on (``$.External.status``)."""

    ROUTED = "ROUTED"
    CLOSED = "CLOSED"
    EMERGENCY = "EMERGENCY"
    DEFAULT = "DEFAULT"
    ERROR_DEFAULT = "ERROR_DEFAULT"


@dataclass(frozen=True, slots=True)
class QueueProfile:
    """A queue as the decision hands it to the flow."""

    key: str
    queue_id: str
    name: str
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    """Everything the flow needs, with its explanation (rule, version, fallback reason)."""

    status: RouteStatus
    reason: str
    queue: QueueProfile | None
    config_version: str = ""
    config_source: str = "none"
    classification: str = ""
    rule_id: str = ""
    ruleset: str = ""
    priority: int = 5
    routing_criteria: str = ""  # JSON text for UpdateContactRoutingBehavior / agents, "" when none
    entry_point: str = ""
    line_of_business: str = ""
    language: str = ""
    voice: str = ""  # text-to-speech voice for ``language`` (defaults.languages), "" for Connect's default
    prompts: Mapping[str, str] = field(default_factory=dict)  # the flow's fixed prompts in ``language``
    message: str = ""
    fallback_reason: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)
    callback_offer: bool = False
    callback_reason: str = ""
    callback_profile: str = ""
    callback_wait_s: float | None = None
    metrics_age_s: float | None = None
