"""The shared handler pattern (routing.common.handlers): Powertools' correlation id from the event's path, made safe
to log, on local calls without a context too; one service slot per handler module."""

from __future__ import annotations

import json
from typing import Any

import pytest

from routing.common.handlers import (
    CONNECT_CONTACT_ID,
    CONTACT_EVENT_CONTACT_ID,
    LOCAL_CONTEXT,
    ServiceSlot,
    lambda_entry,
)
from routing.common.observability import logger


def _connect_event(contact_id: object) -> dict[str, Any]:
    return {"Details": {"ContactData": {"ContactId": contact_id}, "Parameters": {}}, "Name": "ContactFlowEvent"}


@lambda_entry(CONNECT_CONTACT_ID)
def _echo(event: Any, context: Any) -> dict[str, Any]:
    logger.info("inside")
    return {"correlation_id": logger.get_correlation_id(), "context": context}


def _last_line(lambda_logs: Any) -> dict[str, Any]:
    lines: list[dict[str, Any]] = [
        json.loads(line) for line in lambda_logs.getvalue().splitlines() if line.startswith("{")
    ]
    return lines[-1]


def test_the_connect_contact_id_is_every_line_s_correlation_id(lambda_logs: Any) -> None:
    reply = _echo(_connect_event("c-123"), None)
    line = _last_line(lambda_logs)
    assert reply["correlation_id"] == "c-123"
    assert (line["message"], line["correlation_id"], line["function_name"]) == ("inside", "c-123", "local")


def test_a_local_call_without_a_context_gets_the_local_one() -> None:
    assert _echo(_connect_event("c-1"), None)["context"] is LOCAL_CONTEXT
    assert LOCAL_CONTEXT.get_remaining_time_in_millis() == 60_000


@pytest.mark.parametrize(
    ("contact_id", "expected"),
    [
        ("\ud800" * 3, "\ufffd" * 3),  # a lone surrogate would make the JSON formatter drop every line of the call
        ("x" * 1000, "x" * 128),
        ({"not": "an id"}, None),
        (None, None),
    ],
)
def test_the_correlation_id_is_cleaned_like_every_echoed_value(
    contact_id: object, expected: str | None, lambda_logs: Any
) -> None:
    assert _echo(_connect_event(contact_id), None)["correlation_id"] == expected
    assert _last_line(lambda_logs)["message"] == "inside"  # the line was written


@pytest.mark.parametrize("event", [None, "text", [1, 2], {"Details": "x"}, {}])
def test_any_event_shape_leaves_no_correlation_id(event: object) -> None:
    logger.set_correlation_id("left-over")
    assert _echo(event, None)["correlation_id"] is None


def test_the_contact_event_path_reads_the_event_bridge_detail() -> None:
    @lambda_entry(CONTACT_EVENT_CONTACT_ID)
    def handler(event: Any, context: Any) -> Any:
        return logger.get_correlation_id()

    assert handler({"detail": {"contactId": "e-9"}}, None) == "e-9"


def test_a_slot_built_at_init_never_raises_and_builds_again_on_use(lambda_logs: Any) -> None:
    attempts: list[int] = []

    def build() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("bad setting")
        return "service"

    slot: ServiceSlot[str] = ServiceSlot("test", build)
    assert slot.build_at_init() is None
    assert "could not build the test service at init" in lambda_logs.getvalue()
    assert slot.get() == "service"
    assert slot.get() == "service"
    assert len(attempts) == 2
    slot.set("injected")
    assert slot.get() == "injected"
    slot.set(None)
    assert slot.get() == "service"
    assert len(attempts) == 3
