"""Property: whatever route answers and whatever fails, a contact ends safely and sensibly (inbound and transfer)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.flows.flow_scenarios import (
    CARDS_QUEUE_ARN,
    DEFAULT_QUEUE_ARN,
    OTHER_INSTANCE_QUEUE_ARN,
    RETENTION_QUEUE_ARN,
    ROUTE_ARN,
    FakeRoute,
    route_reply,
    simulator,
)
from trunkline.simulator import Contact, EndReason, FaultKind, Faults, LambdaFault, SimulatorOptions

STATUSES = st.sampled_from(["ROUTED", "DEFAULT", "ERROR_DEFAULT", "CLOSED", "EMERGENCY", "", "routed", "QUEUED"])
QUEUES = st.sampled_from([CARDS_QUEUE_ARN, DEFAULT_QUEUE_ARN, "", OTHER_INSTANCE_QUEUE_ARN, "not a queue"])
PRIORITIES = st.one_of(st.integers(min_value=-5, max_value=2000).map(str), st.sampled_from(["", "high", "03"]))
LAMBDA_FAULTS = st.one_of(
    st.none(), st.builds(LambdaFault, st.sampled_from(list(FaultKind)), st.sampled_from([None, 1, 2, 3, 4]))
)


@settings(max_examples=150, deadline=None)
@given(
    status=STATUSES,
    queue=QUEUES,
    priority=PRIORITIES,
    callback=st.sampled_from(["true", "false", ""]),
    message=st.sampled_from(["We are closed.", "", "  "]),
    fault=LAMBDA_FAULTS,
    full=st.frozensets(st.sampled_from([CARDS_QUEUE_ARN, DEFAULT_QUEUE_ARN])),
    strict=st.booleans(),
    channel=st.sampled_from(["VOICE", "CHAT", "TASK", "EMAIL"]),
)
def test_inbound_always_ends_safely(
    status: str,
    queue: str,
    priority: str,
    callback: str,
    message: str,
    fault: LambdaFault | None,
    full: frozenset[str],
    strict: bool,
    channel: Any,
) -> None:
    reply = route_reply(status, queue_arn=queue, priority=priority, callback_offer=callback, message=message)
    faults = Faults(lambda_faults={ROUTE_ARN: fault} if fault else {}, queues_at_capacity=full)
    options = SimulatorOptions(missing_reference="error" if strict else "empty")
    contact = Contact(channel=channel, faults=faults)

    result = simulator(FakeRoute(reply), options).run("inbound", contact)  # never raises
    trace = result.describe()

    assert result.end_reason in (EndReason.TRANSFERRED_TO_QUEUE, EndReason.DISCONNECTED), trace
    if result.transferred:
        assert result.queue_arn in (queue, DEFAULT_QUEUE_ARN), trace
        assert result.queue_arn not in full, trace
    # (strict mode, chat/task without an entry_key attribute: the invocation fails before the call, no invocation)
    lambda_ok = bool(result.invocations) and result.invocations[0].succeeded
    if lambda_ok and status in ("CLOSED", "EMERGENCY"):
        assert result.end_reason is EndReason.DISCONNECTED, trace
    usable = queue in (CARDS_QUEUE_ARN, DEFAULT_QUEUE_ARN) and queue not in full
    if lambda_ok and status in ("ROUTED", "DEFAULT", "ERROR_DEFAULT") and usable:
        assert result.queue_arn == queue, trace
        expected = int(priority) if priority.isdigit() and 1 <= int(priority) <= 10 and priority[0] != "0" else 5
        assert result.queue_priority == expected, trace
    if not lambda_ok:
        assert result.attributes["route_fallback"] == "route_lambda_error", trace


@settings(max_examples=100, deadline=None)
@given(
    status=STATUSES,
    fault=LAMBDA_FAULTS,
    full=st.frozensets(st.sampled_from([RETENTION_QUEUE_ARN, CARDS_QUEUE_ARN, DEFAULT_QUEUE_ARN])),
    strict=st.booleans(),
)
def test_a_transfer_is_never_closed_and_reaches_a_queue_while_one_has_room(
    status: str, fault: LambdaFault | None, full: frozenset[str], strict: bool
) -> None:
    # Whatever route answers or however it fails, an agent's transfer never hears the closed/emergency message
    # and is never disconnected while the agent's queue, route's queue or the default queue has room.
    reply = route_reply(status, queue_arn=CARDS_QUEUE_ARN, message="We are closed.")
    faults = Faults(lambda_faults={ROUTE_ARN: fault} if fault else {}, queues_at_capacity=full)
    options = SimulatorOptions(missing_reference="error" if strict else "empty")
    contact = Contact(initiation_method="QUEUE_TRANSFER", queue_arn=RETENTION_QUEUE_ARN, faults=faults)

    result = simulator(FakeRoute(reply), options).run("transfer", contact)
    trace = result.describe()

    assert "We are closed." not in result.message_texts, trace
    if RETENTION_QUEUE_ARN not in full and DEFAULT_QUEUE_ARN not in full:
        assert result.transferred, trace
    if result.transferred:
        assert result.queue_arn not in full, trace
    lambda_ok = bool(result.invocations) and result.invocations[0].succeeded
    if not lambda_ok and RETENTION_QUEUE_ARN not in full:
        assert result.queue_arn == RETENTION_QUEUE_ARN, trace  # the agent's choice, without a decision
