"""Replay the outcomes dead-letter queue: each message's contact event goes back to the outcomes function.

Two kinds of message land in that queue (``stacks/constructs/outcomes.py``): EventBridge's dead letter (the body *is*
the event) and Lambda's on-failure destination record (the event is ``requestPayload``). A message is deleted only
after the function processed its event without error; anything else stays in the queue and is reported. Replays are
safe: the call log's writes are conditional (``docs/design/observability.md``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Invoke = Callable[[dict[str, Any]], None]  # raises when the function failed


@dataclass(slots=True)
class ReplayReport:
    """What a replay did."""

    replayed: int = 0
    failed: int = 0
    unreadable: int = 0
    errors: list[str] = field(default_factory=list)


def event_of(body: str) -> dict[str, Any] | None:
    """The contact event inside a dead-letter message body, or None when it holds none."""
    try:
        message = json.loads(body)
    except ValueError:
        return None
    if isinstance(message, dict) and isinstance(message.get("requestPayload"), dict):
        message = message["requestPayload"]  # Lambda's on-failure destination record
    if isinstance(message, dict) and message.get("detail-type") == "Amazon Connect Contact Event":
        return message
    return None


def lambda_invoker(client: Any, function_name: str) -> Invoke:
    """Invoke the deployed function synchronously; raise on a function error (the message then stays queued)."""

    def invoke(event: dict[str, Any]) -> None:
        response = client.invoke(
            FunctionName=function_name, InvocationType="RequestResponse", Payload=json.dumps(event).encode()
        )
        if response.get("FunctionError"):
            payload = response["Payload"].read().decode(errors="replace")[:300]
            raise RuntimeError(f"{response['FunctionError']}: {payload}")

    return invoke


def replay_dead_letters(sqs: Any, queue_url: str, invoke: Invoke, *, max_messages: int = 1000) -> ReplayReport:
    """Receive up to ``max_messages`` messages and replay them one by one."""
    report = ReplayReport()
    seen = 0
    while seen < max_messages:
        batch = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=min(10, max_messages - seen), WaitTimeSeconds=1
        ).get("Messages", [])
        if not batch:
            break
        for message in batch:
            seen += 1
            event = event_of(message.get("Body", ""))
            if event is None:
                report.unreadable += 1
                report.errors.append(f"{message.get('MessageId')}: no contact event in the message; left in the queue")
                continue
            try:
                invoke(event)
            except Exception as exc:  # noqa: BLE001 — report and keep the message for the next replay
                report.failed += 1
                report.errors.append(f"{message.get('MessageId')}: {exc}")
                continue
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            report.replayed += 1
    return report
