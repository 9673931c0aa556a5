"""Hours-of-operation oracles for CheckHoursOfOperation (Connect's own hours, not Trunkline's schedules)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from trunkline.simulator.model import Contact


class HoursOracle(Protocol):
    """Answers CheckHoursOfOperation: True open, False closed, None = error (e.g. an agent queue has no hours)."""

    def is_open(self, hours_of_operation_id: str | None, queue_arn: str | None, contact: Contact) -> bool | None:
        """``hours_of_operation_id`` is the block's parameter; without it Connect uses the working queue's hours."""
        ...


@dataclass(frozen=True, slots=True)
class FixedHours:
    """The same answer for every check."""

    open: bool | None = True

    def is_open(
        self,
        hours_of_operation_id: str | None,  # noqa: ARG002 — the HoursOracle signature
        queue_arn: str | None,  # noqa: ARG002
        contact: Contact,  # noqa: ARG002
    ) -> bool | None:
        """The fixed answer."""
        return self.open


ALWAYS_OPEN = FixedHours(True)
ALWAYS_CLOSED = FixedHours(False)


@dataclass(frozen=True, slots=True)
class HoursTable:
    """Answers by hours-of-operation id/ARN first, then by queue ARN, else ``default``."""

    by_hours: Mapping[str, bool] = field(default_factory=dict)
    by_queue: Mapping[str, bool] = field(default_factory=dict)
    default: bool | None = None

    def is_open(
        self,
        hours_of_operation_id: str | None,
        queue_arn: str | None,
        contact: Contact,  # noqa: ARG002 — the HoursOracle signature
    ) -> bool | None:
        """Look the hours up; unknown hours give ``default``."""
        if hours_of_operation_id is not None:
            return self.by_hours.get(hours_of_operation_id, self.default)
        if queue_arn is not None and queue_arn in self.by_queue:
            return self.by_queue[queue_arn]
        return self.default
