"""What the flow lint reports: one ``FlowIssue`` per finding, with its severity and whose rule it is.

``source`` separates Amazon Connect's own rules (``connect``: a flow that breaks one fails to publish, or cannot
behave as written) from Trunkline's policy (``trunkline``: our conventions and budgets, checked on our flows only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]
Source = Literal["connect", "trunkline"]


@dataclass(frozen=True, slots=True)
class FlowIssue:
    """One finding in a flow document; ``identifier`` is the action's (empty for the document as a whole)."""

    flow: str
    identifier: str
    message: str
    severity: Severity = "error"
    source: Source = "connect"

    def __str__(self) -> str:
        return f"{self.flow}: {self.identifier or '-'}: {self.severity} [{self.source}] {self.message}"

    @property
    def is_error(self) -> bool:
        """True for an error (the CLI exits non-zero on any), False for a warning."""
        return self.severity == "error"


@dataclass(slots=True)
class Findings:
    """Collects the findings for one flow; rule code calls ``connect``, ``policy`` or ``warn``."""

    flow: str
    issues: list[FlowIssue] = field(default_factory=list)

    def connect(self, identifier: str, message: str) -> None:
        """An error by Connect's rules."""
        self.issues.append(FlowIssue(self.flow, identifier, message, "error", "connect"))

    def policy(self, identifier: str, message: str) -> None:
        """An error by Trunkline's policy."""
        self.issues.append(FlowIssue(self.flow, identifier, message, "error", "trunkline"))

    def warn(self, identifier: str, message: str, source: Source = "connect") -> None:
        """Something worth a look that does not stop the flow from publishing."""
        self.issues.append(FlowIssue(self.flow, identifier, message, "warning", source))
