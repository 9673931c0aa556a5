"""Build Amazon Connect contact records for the outcome tests, from the documented data model.

Field names and shapes follow the Administrator Guide's "Data model for Amazon Connect contact records"
(``ctr-data-model``): PascalCase keys, ``Queue`` {``ARN``, ``Name``, ``EnqueueTimestamp``, ``DequeueTimestamp``,
``Duration``}, ``Agent`` {``ARN``, ``ConnectedToAgentTimestamp``, ``AgentInteractionDuration``,
``AfterContactWork*``}, ``CustomerEndpoint`` {``Address``, ``Type``}, ``DisconnectReason``, ``LastUpdateTimestamp``,
second-precision timestamps, and ``null`` for what did not happen (``Agent`` of an abandoned contact, ``Queue`` of a
contact that never queued). Times are seconds after ``T0`` (the contact events' origin).
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

from tests.outcome_events import INSTANCE_ARN, QUEUE_ID, T0

CUSTOMER = "+12065550123"
DECISION_ATTRIBUTES = {
    "rule_id": "cards_default",
    "config_version": "v0007",
    "line_of_business": "cards",
    "queue_key": "cards_general",
    "callback_offer": "false",
}


def iso_s(seconds: float) -> str:
    """A contact record timestamp: ``2026-12-02T10:00:42Z`` (second precision)."""
    return (T0 + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def contact_record(
    contact_id: str = "c-1",
    *,
    updated: float,
    queued_at: float | None = None,
    answered_at: float | None = None,
    disconnected_at: float | None = 100.0,
    acw_ended: float | None = None,
    reason: str | None = "CUSTOMER_DISCONNECT",
    method: str = "INBOUND",
    previous: str | None = None,
    next_contact: str | None = None,
    transferred_to: str | None = None,
    attributes: dict[str, str] | None = None,
    tags: dict[str, str] | None = None,
    customer: str | None = CUSTOMER,
) -> dict[str, Any]:
    """One contact record as the Kinesis stream carries it."""
    queue = None
    if queued_at is not None:
        dequeue = answered_at if answered_at is not None else disconnected_at
        queue = {
            "ARN": f"{INSTANCE_ARN}/queue/{QUEUE_ID}",
            "Name": "CardsGeneral",
            "EnqueueTimestamp": iso_s(queued_at),
            "DequeueTimestamp": None if dequeue is None else iso_s(dequeue),
            "Duration": None if dequeue is None else int(dequeue - queued_at),
        }
    agent = None
    if answered_at is not None:
        agent = {
            "ARN": f"{INSTANCE_ARN}/agent/0b6f3c1d-1111-2222-3333-444455556666",
            "Username": "agent.one",
            "ConnectedToAgentTimestamp": iso_s(answered_at),
            "AgentInteractionDuration": int((disconnected_at or answered_at) - answered_at),
            "CustomerHoldDuration": 0,
            "NumberOfHolds": 0,
            "LongestHoldDuration": 0,
            "AfterContactWorkStartTimestamp": None if acw_ended is None else iso_s(disconnected_at or 0),
            "AfterContactWorkEndTimestamp": None if acw_ended is None else iso_s(acw_ended),
            "AfterContactWorkDuration": None if acw_ended is None else int(acw_ended - (disconnected_at or 0)),
            "RoutingProfile": {"ARN": f"{INSTANCE_ARN}/routing-profile/rp-1", "Name": "Basic"},
        }
    return {
        "AWSAccountId": "111122223333",
        "AWSContactTraceRecordFormatVersion": "2017-03-10",
        "Agent": agent,
        "AgentConnectionAttempts": 1 if agent else 0,
        "Attributes": dict(DECISION_ATTRIBUTES if attributes is None else attributes),
        "Channel": "VOICE",
        "ContactId": contact_id,
        "CustomerEndpoint": None if customer is None else {"Address": customer, "Type": "TELEPHONE_NUMBER"},
        "DisconnectReason": reason,
        "DisconnectTimestamp": None if disconnected_at is None else iso_s(disconnected_at),
        "InitialContactId": previous or contact_id,
        "InitiationMethod": method,
        "InitiationTimestamp": iso_s(0),
        "InstanceARN": INSTANCE_ARN,
        "ConnectedToSystemTimestamp": iso_s(1),
        "LastUpdateTimestamp": iso_s(updated),
        "MediaStreams": [{"Type": "AUDIO"}],
        "NextContactId": next_contact,
        "PreviousContactId": previous,
        "Queue": queue,
        "Recording": None,
        "Recordings": None,
        "SystemEndpoint": {"Address": "+18005550100", "Type": "TELEPHONE_NUMBER"},
        "Tags": tags or {},
        "TransferCompletedTimestamp": None,
        "TransferredToEndpoint": None
        if transferred_to is None
        else {"Address": transferred_to, "Type": "TELEPHONE_NUMBER"},
    }


def kinesis_event(*payloads: bytes) -> dict[str, Any]:
    """A Kinesis event source mapping batch, one record per payload (sequence numbers 1, 2, …)."""
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": f"pk-{i}",
                    "sequenceNumber": str(i),
                    "data": base64.b64encode(data).decode(),
                    "approximateArrivalTimestamp": 1764669600.0,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000000:{i}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::111122223333:role/trunkline-contact-records",
                "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:kinesis:us-east-1:111122223333:stream/trunkline-contact-records",
            }
            for i, data in enumerate(payloads, start=1)
        ]
    }


def encoded(record: dict[str, Any]) -> bytes:
    """A record as Connect writes it to the stream (JSON)."""
    return json.dumps(record).encode()
