"""The Lambda side of the simulation: the Connect event, a fake context, reply validation, fault effects."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from trunkline.simulator.model import Contact, FaultKind

#: A Lambda handler as Connect calls it: ``handler(event, context)``.
LambdaHandler = Callable[[dict[str, Any], Any], Any]

#: "The size of the returned data must be less than 32 KB of UTF-8 data" (Connect admin guide).
MAX_REPLY_BYTES: Final = 32 * 1024


@dataclass(slots=True)
class FakeLambdaContext:
    """Enough of ``LambdaContext`` for Powertools and handlers that read the remaining time."""

    function_name: str
    invoked_function_arn: str
    timeout_seconds: float
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/simulated"
    log_stream_name: str = "simulated"
    _started: float = field(default_factory=time.perf_counter)

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the flow's invoke limit (Connect's limit, the stricter one here)."""
        left = self.timeout_seconds - (time.perf_counter() - self._started)
        return max(0, int(left * 1000))


def function_name(function_arn: str) -> str:
    """``route`` from ``arn:aws:lambda:us-east-1:111122223333:function:route:live``."""
    parts = function_arn.split(":")
    return parts[6] if len(parts) > 6 else function_arn


def _endpoint(address: str | None) -> dict[str, str] | None:
    return {"Address": address, "Type": "TELEPHONE_NUMBER"} if address else None


def build_event(
    contact: Contact,
    *,
    attributes: Mapping[str, str],
    queue_arn: str | None,
    queue_name: str | None,
    parameters: Mapping[str, str],
) -> dict[str, Any]:
    """The ``ContactFlowEvent`` Connect sends for this contact at this point of the flow.

    Null ``CustomerEndpoint``/``SystemEndpoint``/``Queue`` are sent as ``null``, as Connect does.
    """
    contact_data: dict[str, Any] = {
        "Attributes": dict(attributes),
        "Channel": contact.channel,
        "ContactId": contact.contact_id,
        "CustomerEndpoint": _endpoint(contact.customer_number),
        "InitialContactId": contact.initial_contact_id or contact.contact_id,
        "InitiationMethod": contact.initiation_method,
        "InstanceARN": contact.instance_arn,
        "PreviousContactId": contact.previous_contact_id or contact.contact_id,
        "Queue": {"ARN": queue_arn, "Name": queue_name or ""} if queue_arn else None,
        "SystemEndpoint": _endpoint(contact.system_number),
    }
    if contact.language_code:
        contact_data["LanguageCode"] = contact.language_code
    return {"Name": "ContactFlowEvent", "Details": {"ContactData": contact_data, "Parameters": dict(parameters)}}


def reply_bytes(reply: object) -> int:
    """UTF-8 size of the reply as JSON."""
    return len(json.dumps(reply, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def validate_reply(reply: object, response_type: str) -> str:
    """Why Connect would not understand ``reply`` ("" when it would)."""
    try:
        size = reply_bytes(reply)
    except (TypeError, ValueError) as exc:
        return f"reply is not JSON-serializable: {exc}"
    if size >= MAX_REPLY_BYTES:
        return f"reply is {size} bytes; it must be less than {MAX_REPLY_BYTES}"
    if response_type == "JSON":
        return ""
    if not isinstance(reply, Mapping):
        return f"STRING_MAP reply must be a flat object, got {type(reply).__name__}"
    for key, value in reply.items():
        if not isinstance(key, str):
            return f"STRING_MAP key {key!r} is not a string"
        if not isinstance(value, str):
            return f"STRING_MAP value of {key!r} is {type(value).__name__}, not a string"
    return ""


def apply_reply_fault(reply: object, kind: FaultKind) -> object:
    """Corrupt a good reply the way an injected fault says."""
    if kind is FaultKind.NON_STRING_VALUE:
        corrupted = dict(reply) if isinstance(reply, Mapping) else {}
        corrupted["priority"] = 5  # a number where Connect expects a string
        return corrupted
    if kind is FaultKind.OVERSIZE_REPLY:
        padded = dict(reply) if isinstance(reply, Mapping) else {}
        padded["padding"] = "x" * MAX_REPLY_BYTES
        return padded
    if kind is FaultKind.NOT_A_MAP:
        return [reply]
    return reply
