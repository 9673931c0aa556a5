"""Build Amazon Connect contact events (EventBridge envelopes) for the outcome tests, as AWS documents them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

INSTANCE_ARN = "arn:aws:connect:us-east-1:111122223333:instance/9f3c2b1e-0d4a-4c1b-9a55-6f7e8d9c0b1a"
QUEUE_ID = "86ab7e22-5e41-516b-9428-5c53e39b9081"
T0 = datetime(2026, 12, 2, 10, 0, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    """Connect's millisecond timestamps: ``2026-12-02T10:00:00.123Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def contact_event(
    event_type: str,
    contact_id: str = "c-1",
    *,
    at: float = 0.0,
    queued_at: float | None = None,
    answered_at: float | None = None,
    disconnected_at: float | None = None,
    initiation_method: str = "INBOUND",
    channel: str = "VOICE",
    previous_contact_id: str | None = None,
    tags: dict[str, str] | None = None,
    disconnect_reason: str | None = None,
    event_id: str | None = None,
    queue_id: str = QUEUE_ID,
) -> dict[str, Any]:
    """One envelope; ``at`` and the other times are seconds after ``T0``. The contact's state (queue, agent,
    disconnect) is carried by every later event, as Connect's events are snapshots of the contact."""
    detail: dict[str, Any] = {
        "eventType": event_type,
        "contactId": contact_id,
        "initialContactId": contact_id,
        "channel": channel,
        "instanceArn": INSTANCE_ARN,
        "initiationMethod": initiation_method,
        "initiationTimestamp": iso(T0),
    }
    if previous_contact_id:
        detail["previousContactId"] = previous_contact_id
    if queued_at is not None:
        detail["queueInfo"] = {
            "queueArn": f"{INSTANCE_ARN}/queue/{queue_id}",
            "queueType": "STANDARD",
            "enqueueTimestamp": iso(T0 + timedelta(seconds=queued_at)),
        }
    if answered_at is not None:
        detail["agentInfo"] = {
            "agentArn": f"{INSTANCE_ARN}/agent/0b6f3c1d-1111-2222-3333-444455556666",
            "connectedToAgentTimestamp": iso(T0 + timedelta(seconds=answered_at)),
        }
    if disconnected_at is not None:
        detail["disconnectTimestamp"] = iso(T0 + timedelta(seconds=disconnected_at))
        detail["disconnectReason"] = disconnect_reason or "CUSTOMER_DISCONNECT"
    if tags:
        detail["tags"] = tags
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"{contact_id}/{event_type}/{at}")),
        "detail-type": "Amazon Connect Contact Event",
        "source": "aws.connect",
        "account": "111122223333",
        "time": (T0 + timedelta(seconds=at)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [INSTANCE_ARN, f"{INSTANCE_ARN}/contact/{contact_id}"],
        "detail": detail,
    }


DECISION_TAGS = {
    "trunkline:rule": "cards_default",
    "trunkline:config": "v0007",
    "trunkline:lob": "cards",
    "trunkline:queue": "cards_general",
}


def answered_call(
    contact_id: str = "c-1", *, wait: float = 42.0, tags: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """INITIATED → CONNECTED_TO_SYSTEM → QUEUED (at 10 s) → CONNECTED_TO_AGENT → DISCONNECTED → COMPLETED."""
    t = DECISION_TAGS if tags is None else tags
    q, a, d = 10.0, 10.0 + wait, 10.0 + wait + 300
    return [
        contact_event("INITIATED", contact_id, at=0),
        contact_event("CONNECTED_TO_SYSTEM", contact_id, at=1),
        contact_event("QUEUED", contact_id, at=q, queued_at=q, tags=t),
        contact_event("CONNECTED_TO_AGENT", contact_id, at=a, queued_at=q, answered_at=a, tags=t),
        contact_event("DISCONNECTED", contact_id, at=d, queued_at=q, answered_at=a, disconnected_at=d, tags=t),
        contact_event("COMPLETED", contact_id, at=d + 30, queued_at=q, answered_at=a, disconnected_at=d, tags=t),
    ]


def abandoned_call(contact_id: str = "c-2", *, patience: float = 95.0) -> list[dict[str, Any]]:
    """Queued at 10 s, hung up ``patience`` seconds later without an agent."""
    q, d = 10.0, 10.0 + patience
    return [
        contact_event("INITIATED", contact_id, at=0),
        contact_event("QUEUED", contact_id, at=q, queued_at=q, tags=DECISION_TAGS),
        contact_event("DISCONNECTED", contact_id, at=d, queued_at=q, disconnected_at=d, tags=DECISION_TAGS),
    ]
