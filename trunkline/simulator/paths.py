"""The JSONPath-ish references flows use: ``$.External.status``, ``$.Attributes.x``, ``$.Queue.ARN``…

Connect accepts a *single* reference as a whole parameter value (``"QueueId": "$.External.queue_arn"``), and in
prompt text references may be embedded (``"Text": "Your position is $.External.position"``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

from trunkline.simulator.model import SimulationError


class _Missing:
    """The value of a reference whose key is absent (distinct from an empty string)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()

#: Roots a reference may start with, and whether keys below them are looked up (True) or it is a leaf (False).
ROOTS: Final[Mapping[str, bool]] = {
    "External": True,
    "Attributes": True,
    "FlowAttributes": True,
    "CustomerEndpoint": True,
    "SystemEndpoint": True,
    "Queue": True,
    "Channel": False,
    "ContactId": False,
    "InitialContactId": False,
    "PreviousContactId": False,
    "InstanceARN": False,
    "InitiationMethod": False,
    "AwsRegion": False,
    "LanguageCode": False,
    "StoredCustomerInput": False,
    "CustomerCallbackNumber": False,
}

_SEGMENT = re.compile(r"""\.([A-Za-z0-9_\-]+)|\[['"]([^'"]+)['"]\]|\.\[['"]([^'"]+)['"]\]""")
_EMBEDDED = re.compile(r"\$\.[A-Za-z]+(?:\.[A-Za-z0-9_\-]+)*")


def is_reference(value: object) -> bool:
    """True for a parameter value that is one whole reference (``$.`` followed by a path)."""
    return isinstance(value, str) and value.startswith("$.")


def parse_reference(path: str) -> list[str]:
    """Split ``$.Root.key`` / ``$.Attributes['a b']`` into segments; raises on bad syntax or an unknown root."""
    if not path.startswith("$"):
        raise SimulationError(f"not a reference: {path!r}")
    segments: list[str] = []
    pos = 1
    while pos < len(path):
        match = _SEGMENT.match(path, pos)
        if match is None:
            raise SimulationError(f"cannot parse reference {path!r} at position {pos}")
        segments.append(next(g for g in match.groups() if g is not None))
        pos = match.end()
    if not segments:
        raise SimulationError(f"empty reference {path!r}")
    root = segments[0]
    if root not in ROOTS:
        raise SimulationError(f"reference {path!r}: unknown root {root!r} (simulated roots: {sorted(ROOTS)})")
    if not ROOTS[root] and len(segments) > 1:
        raise SimulationError(f"reference {path!r}: {root} has no keys")
    return segments


def resolve(path: str, data: Mapping[str, Any]) -> object:
    """The value at ``path`` in the flow data, or ``MISSING``. ``None`` values (null endpoints) are MISSING."""
    value: object = data
    for segment in parse_reference(path):
        if not isinstance(value, Mapping) or segment not in value:
            return MISSING
        value = value[segment]
        if value is None:
            return MISSING
    return value


def as_text(value: object) -> str:
    """How a resolved value reads as a string (Connect attributes are strings)."""
    if isinstance(value, str):
        return value
    if value is MISSING or value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def interpolate(text: str, data: Mapping[str, Any]) -> tuple[str, list[str]]:
    """Replace references embedded in prompt text; returns the text and the references that were missing."""
    missing: list[str] = []

    def one(match: re.Match[str]) -> str:
        ref = match.group(0)
        value = resolve(ref, data)
        if value is MISSING:
            missing.append(ref)
        return as_text(value)

    return _EMBEDDED.sub(one, text), missing
