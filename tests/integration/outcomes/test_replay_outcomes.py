"""Replaying the outcomes dead-letter queue (moto SQS; the function is the real handler behind an invoker)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from routing.outcomes.call_log import Outcome, summarize
from routing.outcomes.service import OutcomeService
from routing.outcomes.store import InMemoryCallLogStore
from tests.outcome_events import abandoned_call
from trunkline.embedded import fake_aws_env
from trunkline.replay import event_of, lambda_invoker, replay_dead_letters


@pytest.fixture
def sqs() -> Iterator[tuple[Any, str]]:
    import boto3
    from moto import mock_aws

    with fake_aws_env(), mock_aws():
        client = boto3.client("sqs", region_name="us-east-1")
        yield client, client.create_queue(QueueName="outcomes-dlq")["QueueUrl"]


def _lambda_record(event: dict[str, Any]) -> str:
    """What Lambda's on-failure destination writes for an async invocation that failed every attempt."""
    return json.dumps(
        {
            "version": "1.0",
            "timestamp": "2026-12-02T10:00:00.000Z",
            "requestContext": {"condition": "RetriesExhausted", "approximateInvokeCount": 3},
            "requestPayload": event,
            "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
            "responsePayload": {"errorMessage": "ProvisionedThroughputExceededException"},
        }
    )


def test_both_dead_letter_shapes_replay_into_the_call_log_and_leave_the_queue(sqs: tuple[Any, str]) -> None:
    client, url = sqs
    events = abandoned_call("dl-1")
    client.send_message(QueueUrl=url, MessageBody=json.dumps(events[0]))  # EventBridge's dead letter: the event
    for event in events[1:]:
        client.send_message(QueueUrl=url, MessageBody=_lambda_record(event))
    client.send_message(QueueUrl=url, MessageBody="not json")
    store = InMemoryCallLogStore()
    service = OutcomeService(store)

    def apply(event: dict[str, Any]) -> None:
        service.handle(event)

    report = replay_dead_letters(client, url, apply)
    assert (report.replayed, report.failed, report.unreadable) == (3, 0, 1)
    record = store.get("dl-1")
    assert record is not None
    assert summarize("dl-1", record.slots).outcome is Outcome.ABANDONED
    left = client.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert left["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"  # only the unreadable one


def test_a_failing_invocation_keeps_the_message(sqs: tuple[Any, str]) -> None:
    client, url = sqs
    client.send_message(QueueUrl=url, MessageBody=json.dumps(abandoned_call("dl-2")[0]))

    def broken(event: dict[str, Any]) -> None:
        raise RuntimeError("still throttled")

    report = replay_dead_letters(client, url, broken)
    assert (report.replayed, report.failed) == (0, 1)
    assert "still throttled" in report.errors[0]
    attrs = client.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"


def test_the_lambda_invoker_raises_on_a_function_error() -> None:
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    event = abandoned_call("dl-3")[0]
    with Stubber(client) as stub:
        expected = {
            "FunctionName": "f:live",
            "InvocationType": "RequestResponse",
            "Payload": json.dumps(event).encode(),
        }
        stub.add_response("invoke", {"StatusCode": 200, "Payload": io.BytesIO(b'{"result":"applied"}')}, expected)
        stub.add_response(
            "invoke",
            {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": io.BytesIO(b'{"errorMessage":"boom"}')},
            expected,
        )
        invoke = lambda_invoker(client, "f:live")
        invoke(event)
        with pytest.raises(RuntimeError, match=r"Unhandled.*boom"):
            invoke(event)


def test_event_of_ignores_what_is_not_a_contact_event() -> None:
    assert event_of(json.dumps({"requestPayload": {"detail-type": "Scheduled Event"}})) is None
    assert event_of("[]") is None
