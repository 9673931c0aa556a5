"""Unit tests of the simulator on small hand-written flows: each action, each fault, the guards."""

from __future__ import annotations

from typing import Any

import pytest

from trunkline.simulator import (
    ALWAYS_CLOSED,
    DEFAULT_INSTANCE_ARN,
    MAX_REPLY_BYTES,
    Contact,
    EndReason,
    FaultKind,
    Faults,
    FixedHours,
    Flow,
    FlowSimulator,
    HoursTable,
    LambdaFault,
    ScriptedInput,
    SimulationError,
    SimulatorOptions,
)

FN = "arn:aws:lambda:us-east-1:111122223333:function:fn"
QUEUE = f"{DEFAULT_INSTANCE_ARN}/queue/q-main"
FALLBACK = f"{DEFAULT_INSTANCE_ARN}/queue/q-fallback"
NO_MATCH = "NoMatchingError"


def act(
    identifier: str, type_: str, params: dict[str, Any] | None = None, nxt: str | None = None, **kw: Any
) -> dict[str, Any]:
    """An action; ``errors={type: target}``, ``conditions=[(operator, operand, target)]``."""
    transitions: dict[str, Any] = {}
    if nxt:
        transitions["NextAction"] = nxt
    if "conditions" in kw:
        transitions["Conditions"] = [
            {"NextAction": t, "Condition": {"Operator": o, "Operands": [v]}} for o, v, t in kw["conditions"]
        ]
    if "errors" in kw:
        transitions["Errors"] = [{"NextAction": t, "ErrorType": e} for e, t in kw["errors"].items()]
    return {"Identifier": identifier, "Type": type_, "Parameters": params or {}, "Transitions": transitions}


def flow(name: str, *actions: dict[str, Any]) -> Flow:
    document = {
        "Version": "2019-10-30",
        "StartAction": actions[0]["Identifier"],
        "Metadata": {},
        "Actions": list(actions),
    }
    return Flow.from_document(name, document)


def end(identifier: str = "End") -> dict[str, Any]:
    return act(identifier, "DisconnectParticipant")


def invoke(nxt: str = "End", err: str = "Failed", **params: Any) -> dict[str, Any]:
    base = {
        "LambdaFunctionARN": FN,
        "InvocationTimeLimitSeconds": "3",
        "ResponseValidation": {"ResponseType": "STRING_MAP"},
    }
    base.update(params)
    return act("Invoke", "InvokeLambdaFunction", base, nxt, errors={NO_MATCH: err})


def sim(*flows: Flow, handler: Any = None, **kw: Any) -> FlowSimulator:
    lambdas = {FN: handler or (lambda _event, _context: {"status": "ok"})}
    return FlowSimulator(flows, lambdas=lambdas, **kw)


def lambda_flow() -> Flow:
    return flow("f", invoke(), end(), act("Failed", "EndFlowExecution"))


# ---------------------------------------------------------------- guards


def test_unknown_action_type_is_an_error_naming_it() -> None:
    f = flow("my_flow", act("Mystery", "StartMediaStreaming", {}, "End"), end())
    with pytest.raises(SimulationError) as exc:
        sim(f).run("my_flow", Contact())
    message = str(exc.value)
    assert "Mystery" in message
    assert "StartMediaStreaming" in message
    assert "my_flow" in message


def test_a_cyclic_flow_hits_the_loop_guard() -> None:
    attrs = {"FlowAttributes": {"n": {"Value": "1"}}}
    f = flow("loop", act("A", "UpdateFlowAttributes", attrs, "B"), act("B", "UpdateFlowAttributes", attrs, "A"))
    with pytest.raises(SimulationError, match="loop guard"):
        sim(f, options=SimulatorOptions(max_steps=50)).run("loop", Contact())


def test_a_success_without_next_action_is_a_dead_end_error() -> None:
    f = flow("f", act("Log", "UpdateFlowLoggingBehavior", {"FlowLoggingBehavior": "Enabled"}))
    with pytest.raises(SimulationError, match="dead end"):
        sim(f).run("f", Contact())


def test_an_error_without_its_branch_is_an_error() -> None:
    f = flow("f", act("Q", "UpdateContactTargetQueue", {"QueueId": ""}, "End"), end())
    with pytest.raises(SimulationError, match="declares no such branch"):
        sim(f).run("f", Contact())


def test_unknown_flow_and_unregistered_lambda_are_errors() -> None:
    with pytest.raises(SimulationError, match="unknown flow"):
        sim(lambda_flow()).run("nope", Contact())
    with pytest.raises(SimulationError, match="no handler registered"):
        FlowSimulator([lambda_flow()]).run("f", Contact())


def test_forcing_an_error_the_action_does_not_have_is_an_error() -> None:
    contact = Contact(faults=Faults(action_errors={"Invoke": "QueueAtCapacity"}))
    with pytest.raises(SimulationError, match="cannot force"):
        sim(lambda_flow()).run("f", contact)


# ---------------------------------------------------------------- Lambda


def test_lambda_success_stores_external_and_records_one_attempt() -> None:
    result = sim(lambda_flow()).run("f", Contact())
    assert result.end_reason is EndReason.DISCONNECTED
    assert result.external == {"status": "ok"}
    (invocation,) = result.invocations
    assert invocation.count == 1
    assert invocation.succeeded
    assert invocation.latency_ms >= 0


def test_lambda_error_is_retried_three_times_then_takes_the_error_branch() -> None:
    contact = Contact(faults=Faults(lambda_faults={FN: LambdaFault(FaultKind.ERROR)}))
    result = sim(lambda_flow()).run("f", contact)
    assert result.path == ["Invoke:NoMatchingError", "Failed:Ended"]
    assert result.invocations[0].count == 4
    assert result.end_reason is EndReason.FLOW_ENDED


def test_a_transient_error_succeeds_on_retry() -> None:
    calls: list[int] = []

    def handler(_event: dict[str, Any], _context: Any) -> dict[str, str]:
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("throttled")
        return {"status": "ok"}

    result = sim(lambda_flow(), handler=handler).run("f", Contact())
    assert result.path[0] == "Invoke:NextAction"
    assert [a.outcome for a in result.invocations[0].attempts] == ["error", "error", "ok"]
    assert "throttled" in result.invocations[0].attempts[0].error


def test_wildcard_fault_applies_to_every_function() -> None:
    contact = Contact(faults=Faults(lambda_faults={"*": LambdaFault(FaultKind.ERROR, attempts=1)}))
    result = sim(lambda_flow()).run("f", contact)
    assert [a.outcome for a in result.invocations[0].attempts] == ["error", "ok"]


def test_injected_timeout_is_not_retried_and_the_handler_still_ran() -> None:
    seen: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], _context: Any) -> dict[str, str]:
        seen.append(event)
        return {"status": "ok"}

    contact = Contact(faults=Faults(lambda_faults={FN: LambdaFault(FaultKind.TIMEOUT)}))
    result = sim(lambda_flow(), handler=handler).run("f", contact)
    assert result.path[0] == "Invoke:NoMatchingError"
    assert [a.outcome for a in result.invocations[0].attempts] == ["timeout"]
    assert len(seen) == 1
    assert result.external == {}


def test_a_handler_slower_than_the_block_limit_is_a_timeout() -> None:
    ticks = iter([0.0, 0.0, 5.0, 5.0])  # budget start, call start, call end (5 s later)
    result = sim(lambda_flow(), clock=lambda: next(ticks)).run("f", Contact())
    assert result.invocations[0].attempts[0].outcome == "timeout"
    assert result.path[0] == "Invoke:NoMatchingError"


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        (FaultKind.NON_STRING_VALUE, "not a string"),
        (FaultKind.OVERSIZE_REPLY, "must be less than"),
        (FaultKind.NOT_A_MAP, "flat object"),
    ],
)
def test_replies_connect_cannot_parse_take_the_error_branch(kind: FaultKind, reason: str) -> None:
    contact = Contact(faults=Faults(lambda_faults={FN: LambdaFault(kind)}))
    result = sim(lambda_flow()).run("f", contact)
    (attempt,) = result.invocations[0].attempts
    assert attempt.outcome == "invalid_reply"
    assert reason in attempt.error
    assert result.path[0] == "Invoke:NoMatchingError"


@pytest.mark.parametrize(
    "reply",
    [{"status": 5}, {"ok": True}, {"nested": {"a": "b"}}, {"big": "x" * MAX_REPLY_BYTES}, ["status"], None],
)
def test_real_handlers_returning_bad_string_maps_take_the_error_branch(reply: Any) -> None:
    result = sim(lambda_flow(), handler=lambda _e, _c: reply).run("f", Contact())
    assert result.path[0] == "Invoke:NoMatchingError"


def test_a_reply_just_under_32kb_is_accepted() -> None:
    reply = {"k": "x" * (MAX_REPLY_BYTES - 20)}
    result = sim(lambda_flow(), handler=lambda _e, _c: reply).run("f", Contact())
    assert result.path[0] == "Invoke:NextAction"


def test_json_response_type_allows_nested_values_and_paths() -> None:
    f = flow(
        "f",
        invoke("Check", ResponseValidation={"ResponseType": "JSON"}),
        act(
            "Check",
            "Compare",
            {"ComparisonValue": "$.External.customer.tier"},
            conditions=[("Equals", "gold", "End")],
            errors={"NoMatchingCondition": "Failed"},
        ),
        end(),
        act("Failed", "EndFlowExecution"),
    )
    result = sim(f, handler=lambda _e, _c: {"customer": {"tier": "gold"}}).run("f", Contact())
    assert result.path[1] == "Check:Equals:gold"


def test_the_event_is_a_real_connect_event() -> None:
    seen: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
        seen.append(event)
        assert context.get_remaining_time_in_millis() <= 3000
        assert context.function_name == "fn"
        return {}

    f = flow(
        "f",
        act("Attrs", "UpdateContactAttributes", {"Attributes": {"ivr": "2"}}, "SetQ", errors={NO_MATCH: "End"}),
        act("SetQ", "UpdateContactTargetQueue", {"QueueId": QUEUE}, "Invoke", errors={NO_MATCH: "End"}),
        invoke(LambdaInvocationAttributes={"caller": "$.CustomerEndpoint.Address", "static": "x"}),
        end(),
        act("Failed", "EndFlowExecution"),
    )
    contact = Contact(
        channel="VOICE", customer_number="+12065550123", attributes={"seg": "gold"}, language_code="en-US"
    )
    sim(f, handler=handler, options=SimulatorOptions(queue_names={QUEUE: "Main"})).run("f", contact)
    event = seen[0]
    assert event["Name"] == "ContactFlowEvent"
    data = event["Details"]["ContactData"]
    assert data["Attributes"] == {"seg": "gold", "ivr": "2"}
    assert data["CustomerEndpoint"] == {"Address": "+12065550123", "Type": "TELEPHONE_NUMBER"}
    assert data["SystemEndpoint"]["Address"] == "+18005550100"
    assert data["Queue"] == {"ARN": QUEUE, "Name": "Main"}
    assert data["InstanceARN"] == DEFAULT_INSTANCE_ARN
    assert data["InitialContactId"] == contact.contact_id
    assert data["LanguageCode"] == "en-US"
    assert event["Details"]["Parameters"] == {"caller": "+12065550123", "static": "x"}


def test_anonymous_chat_contact_has_null_endpoints_and_queue() -> None:
    seen: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], _context: Any) -> dict[str, str]:
        seen.append(event)
        return {}

    sim(lambda_flow(), handler=handler).run("f", Contact(channel="CHAT", customer_number=None, system_number=None))
    data = seen[0]["Details"]["ContactData"]
    assert data["CustomerEndpoint"] is None
    assert data["SystemEndpoint"] is None
    assert data["Queue"] is None
    assert data["Channel"] == "CHAT"


def test_the_handler_cannot_mutate_the_contact_through_the_event() -> None:
    def handler(event: dict[str, Any], _context: Any) -> dict[str, str]:
        event["Details"]["ContactData"]["Attributes"]["hacked"] = "1"
        return {}

    f = flow(
        "f",
        invoke(nxt="Again"),
        act("Again", "UpdateFlowLoggingBehavior", {"FlowLoggingBehavior": "Disabled"}, "End"),
        end(),
        act("Failed", "EndFlowExecution"),
    )
    result = sim(f, handler=handler).run("f", Contact())
    assert "hacked" not in result.attributes


# ---------------------------------------------------------------- queues


def queue_flow(queue_id: str) -> Flow:
    return flow(
        "q",
        act("SetQ", "UpdateContactTargetQueue", {"QueueId": queue_id}, "Xfer", errors={NO_MATCH: "Bad"}),
        act("Xfer", "TransferContactToQueue", {}, "Bad", errors={"QueueAtCapacity": "Full", NO_MATCH: "Bad"}),
        act("Full", "DisconnectParticipant"),
        act("Bad", "DisconnectParticipant"),
    )


def test_transfer_to_a_queue() -> None:
    result = sim(queue_flow(QUEUE)).run("q", Contact())
    assert result.transferred
    assert result.queue_arn == QUEUE
    assert result.ended_at == "Xfer"


def test_a_bare_queue_id_becomes_an_arn_of_the_contacts_instance() -> None:
    result = sim(queue_flow("q-main")).run("q", Contact())
    assert result.queue_arn == QUEUE


@pytest.mark.parametrize(
    "queue",
    ["", "not a queue!", "arn:aws:connect:us-west-2:111122223333:instance/other/queue/q-main"],
)
def test_unusable_queues_take_no_matching_error(queue: str) -> None:
    result = sim(queue_flow(queue)).run("q", Contact())
    assert result.path == ["SetQ:NoMatchingError", "Bad:Disconnected"]


def test_unknown_queue_when_the_queue_list_is_known() -> None:
    options = SimulatorOptions(known_queue_arns=frozenset({FALLBACK}))
    result = sim(queue_flow(QUEUE), options=options).run("q", Contact())
    assert result.path[0] == "SetQ:NoMatchingError"


def test_queue_at_capacity_by_arn_or_id() -> None:
    for full in (QUEUE, "q-main"):
        result = sim(queue_flow(QUEUE)).run("q", Contact(faults=Faults(queues_at_capacity=frozenset({full}))))
        assert result.path == ["SetQ:NextAction", "Xfer:QueueAtCapacity", "Full:Disconnected"]
        assert result.queue_arn is None
        assert result.target_queue_arn == QUEUE


def test_transfer_without_a_working_queue_is_no_matching_error() -> None:
    f = flow(
        "f", act("Xfer", "TransferContactToQueue", {}, "End", errors={"QueueAtCapacity": "End", NO_MATCH: "End"}), end()
    )
    assert sim(f).run("f", Contact()).path[0] == "Xfer:NoMatchingError"


def test_routing_behavior_priority_and_age() -> None:
    f = flow(
        "f",
        act("P", "UpdateContactRoutingBehavior", {"QueuePriority": "2"}, "A"),
        act("A", "UpdateContactRoutingBehavior", {"QueueTimeAdjustmentSeconds": "120"}, "End"),
        end(),
    )
    result = sim(f).run("f", Contact())
    assert result.queue_priority == 2
    assert result.queue_time_adjustment_seconds == 120


def test_dynamic_priority_is_refused_as_connect_does() -> None:
    f = flow("f", act("P", "UpdateContactRoutingBehavior", {"QueuePriority": "$.External.priority"}, "End"), end())
    with pytest.raises(SimulationError, match="static integer"):
        sim(f).run("f", Contact())


# ---------------------------------------------------------------- hours


def hours_flow(params: dict[str, Any] | None = None) -> Flow:
    return flow(
        "h",
        act("SetQ", "UpdateContactTargetQueue", {"QueueId": QUEUE}, "Hours", errors={NO_MATCH: "Err"}),
        act(
            "Hours",
            "CheckHoursOfOperation",
            params,
            conditions=[("Equals", "True", "Open"), ("Equals", "False", "Closed")],
            errors={NO_MATCH: "Err"},
        ),
        act("Open", "DisconnectParticipant"),
        act("Closed", "DisconnectParticipant"),
        act("Err", "DisconnectParticipant"),
    )


@pytest.mark.parametrize(
    ("oracle", "branch"),
    [(FixedHours(True), "Equals:True"), (ALWAYS_CLOSED, "Equals:False"), (FixedHours(None), "NoMatchingError")],
)
def test_hours_come_from_the_oracle(oracle: Any, branch: str) -> None:
    assert sim(hours_flow(), hours=oracle).run("h", Contact()).path[1] == f"Hours:{branch}"


def test_hours_table_by_queue_and_by_hours_id() -> None:
    table = HoursTable(by_hours={"hours-1": False}, by_queue={QUEUE: True})
    assert sim(hours_flow(), hours=table).run("h", Contact()).path[1] == "Hours:Equals:True"
    with_id = hours_flow({"HoursOfOperationId": "hours-1"})
    assert sim(with_id, hours=table).run("h", Contact()).path[1] == "Hours:Equals:False"


# ---------------------------------------------------------------- prompts and input


def test_messages_resolve_references_and_embedded_references() -> None:
    f = flow(
        "f",
        act("A", "UpdateContactAttributes", {"Attributes": {"name": "Ana"}}, "M1", errors={NO_MATCH: "End"}),
        act("M1", "MessageParticipant", {"Text": "$.Attributes.name"}, "M2", errors={NO_MATCH: "End"}),
        act(
            "M2",
            "MessageParticipant",
            {"Text": "Hello $.Attributes.name, on $.Channel."},
            "End",
            errors={NO_MATCH: "End"},
        ),
        end(),
    )
    assert sim(f).run("f", Contact()).message_texts == ["Ana", "Hello Ana, on VOICE."]


def test_ssml_on_chat_and_empty_text_take_the_error_branch() -> None:
    f = flow(
        "f",
        act("S", "MessageParticipant", {"SSML": "<speak>hi</speak>"}, "E", errors={NO_MATCH: "E"}),
        act("E", "MessageParticipant", {"Text": "$.Attributes.unset"}, "End", errors={NO_MATCH: "End"}),
        end(),
    )
    result = sim(f).run("f", Contact(channel="CHAT", customer_number=None))
    assert result.path[:2] == ["S:NoMatchingError", "E:NoMatchingError"]
    assert result.messages == ()


def menu_flow() -> Flow:
    return flow(
        "m",
        act(
            "Menu",
            "GetParticipantInput",
            {"Text": "Press 1 or 2", "InputTimeLimitSeconds": "5", "StoreInput": "False"},
            conditions=[("Equals", "1", "One"), ("Equals", "2", "Two")],
            errors={"InputTimeLimitExceeded": "Timeout", "NoMatchingCondition": "Menu", NO_MATCH: "Timeout"},
        ),
        act("One", "DisconnectParticipant"),
        act("Two", "DisconnectParticipant"),
        act("Timeout", "DisconnectParticipant"),
    )


def test_menu_input_match_retry_and_timeout() -> None:
    s = sim(menu_flow())
    assert s.run("m", Contact(inputs=[ScriptedInput.dtmf("2")])).path[0] == "Menu:Equals:2"
    retried = s.run("m", Contact(inputs=[ScriptedInput.dtmf("9"), ScriptedInput.dtmf("1")]))
    assert retried.path == ["Menu:NoMatchingCondition", "Menu:Equals:1", "One:Disconnected"]
    assert retried.message_texts == ["Press 1 or 2", "Press 1 or 2"]
    assert s.run("m", Contact(inputs=[ScriptedInput.timeout()])).path[0] == "Menu:InputTimeLimitExceeded"
    assert s.run("m", Contact()).path[0] == "Menu:InputTimeLimitExceeded"  # script exhausted = silence


def test_chat_text_answers_a_menu() -> None:
    result = sim(menu_flow()).run("m", Contact(channel="CHAT", inputs=[ScriptedInput.text("1")]))
    assert result.path[0] == "Menu:Equals:1"


def store_flow(validation: dict[str, Any] | None = None, *, timeout_branch: bool = False) -> Flow:
    params: dict[str, Any] = {"Text": "Enter your number", "StoreInput": "True", "InputTimeLimitSeconds": "10"}
    params["DTMFConfiguration"] = {"InputTerminationSequence": "#"}
    if validation:
        params["InputValidation"] = validation
    errors = {NO_MATCH: "Err"}
    if timeout_branch:
        errors["InputTimeLimitExceeded"] = "Err"
    return flow(
        "s",
        act("Get", "GetParticipantInput", params, "Use", errors=errors),
        act(
            "Use",
            "Compare",
            {"ComparisonValue": "$.StoredCustomerInput"},
            conditions=[("Equals", "Timeout", "Err")],
            errors={"NoMatchingCondition": "Ok"},
        ),
        act("Ok", "DisconnectParticipant"),
        act("Err", "DisconnectParticipant"),
    )


def test_stored_input_strips_the_terminator() -> None:
    result = sim(store_flow()).run("s", Contact(inputs=[ScriptedInput.dtmf("2065550199#")]))
    assert result.stored_customer_input == "2065550199"
    assert result.path[:2] == ["Get:NextAction", "Use:NoMatchingCondition"]


def test_stored_input_silence_succeeds_with_timeout_stored_even_if_a_timeout_error_is_declared() -> None:
    # Store mode has no timeout error in Connect: a silent caller continues on success with "Timeout" stored.
    assert sim(store_flow()).run("s", Contact()).stored_customer_input == "Timeout"
    declared = sim(store_flow(timeout_branch=True)).run("s", Contact())
    assert declared.path[:2] == ["Get:NextAction", "Use:Equals:Timeout"]
    assert declared.stored_customer_input == "Timeout"


def test_invalid_phone_number_takes_the_invalid_phone_number_branch_when_declared() -> None:
    validation = {"PhoneNumberValidation": {"NumberFormat": "Local", "CountryCode": "US"}}
    f = store_flow(validation)
    f.actions["Get"]["Transitions"]["Errors"].append({"NextAction": "Err", "ErrorType": "InvalidPhoneNumber"})
    result = sim(f).run("s", Contact(inputs=[ScriptedInput.dtmf("12#")]))
    assert result.path[0] == "Get:InvalidPhoneNumber"
    e164 = store_flow({"PhoneNumberValidation": {"NumberFormat": "E164"}})
    keyed = sim(e164).run("s", Contact(inputs=[ScriptedInput.dtmf("442079460000#")]))
    assert keyed.stored_customer_input == "+442079460000"  # the caller keys the country code, Connect adds "+"


def test_stored_phone_number_validation() -> None:
    local = store_flow({"PhoneNumberValidation": {"NumberFormat": "Local", "CountryCode": "US"}})
    assert (
        sim(local).run("s", Contact(inputs=[ScriptedInput.dtmf("2065550199#")])).stored_customer_input == "+12065550199"
    )
    assert sim(local).run("s", Contact(inputs=[ScriptedInput.dtmf("12#")])).path[0] == "Get:NoMatchingError"
    assert sim(local).run("s", Contact(inputs=[ScriptedInput.dtmf("1065550199#")])).path[0] == "Get:NoMatchingError"
    e164 = store_flow({"PhoneNumberValidation": {"NumberFormat": "E164"}})
    assert sim(e164).run("s", Contact(inputs=[ScriptedInput.dtmf("0")])).path[0] == "Get:NoMatchingError"


def test_storing_input_on_chat_is_an_error_branch() -> None:
    assert sim(store_flow()).run("s", Contact(channel="CHAT")).path[0] == "Get:NoMatchingError"


# ---------------------------------------------------------------- callbacks


def callback_flow(number_ref: str = "$.CustomerEndpoint.Address", **create: str) -> Flow:
    params = {"InitialCallDelaySeconds": "5", "MaximumConnectionAttempts": "3", "RetryDelaySeconds": "600", **create}
    return flow(
        "cb",
        act("SetQ", "UpdateContactTargetQueue", {"QueueId": QUEUE}, "Num", errors={NO_MATCH: "Err"}),
        act(
            "Num",
            "UpdateContactCallbackNumber",
            {"CallbackNumber": number_ref},
            "Create",
            errors={"InvalidCallbackNumber": "Invalid", "CallbackNumberNotDialable": "Undialable"},
        ),
        act("Create", "CreateCallbackContact", params, "Bye", errors={NO_MATCH: "Err"}),
        act("Bye", "MessageParticipant", {"Text": "We will call you back."}, "End", errors={NO_MATCH: "End"}),
        end(),
        act("Invalid", "DisconnectParticipant"),
        act("Undialable", "DisconnectParticipant"),
        act("Err", "DisconnectParticipant"),
    )


def test_callback_is_created_with_its_static_timing() -> None:
    result = sim(callback_flow()).run("cb", Contact(customer_number="+12065550123"))
    assert result.callback is not None
    assert result.callback.number == "+12065550123"
    assert result.callback.queue_arn == QUEUE
    assert (result.callback.initial_call_delay_seconds, result.callback.maximum_connection_attempts) == (5, 3)
    assert result.callback.retry_delay_seconds == 600
    assert result.callback_number == "+12065550123"
    assert result.end_reason is EndReason.DISCONNECTED


def test_callback_to_an_explicit_queue() -> None:
    result = sim(callback_flow(QueueId=FALLBACK)).run("cb", Contact())
    assert result.callback is not None
    assert result.callback.queue_arn == FALLBACK


@pytest.mark.parametrize(
    ("contact", "options", "branch"),
    [
        (Contact(faults=Faults(invalid_callback_number=True)), None, "Num:InvalidCallbackNumber"),
        (Contact(customer_number="2065550123"), None, "Num:InvalidCallbackNumber"),
        (Contact(customer_number=None), None, "Num:InvalidCallbackNumber"),
        (Contact(faults=Faults(undialable_callback_number=True)), None, "Num:CallbackNumberNotDialable"),
        (
            Contact(customer_number="+447700900123"),
            SimulatorOptions(dialable_prefixes=("+1",)),
            "Num:CallbackNumberNotDialable",
        ),
    ],
)
def test_callback_number_errors(contact: Contact, options: SimulatorOptions | None, branch: str) -> None:
    result = sim(callback_flow(), options=options).run("cb", contact)
    assert result.path[1] == branch
    assert result.callback is None


@pytest.mark.parametrize(
    "contact",
    [
        Contact(channel="CHAT"),
        Contact(faults=Faults(queues_at_capacity=frozenset({QUEUE}))),
    ],
)
def test_create_callback_errors(contact: Contact) -> None:
    result = sim(callback_flow()).run("cb", contact)
    assert result.path[2] == "Create:NoMatchingError"
    assert result.callback is None


def test_static_callback_number_is_refused() -> None:
    with pytest.raises(SimulationError, match="must be a reference"):
        sim(callback_flow("+12065550123")).run("cb", Contact())


# ---------------------------------------------------------------- transfer to flow, attributes, references


def test_transfer_to_flow_keeps_contact_attributes_and_drops_flow_attributes() -> None:
    first = flow(
        "first",
        act("A", "UpdateContactAttributes", {"Attributes": {"k": "v"}}, "F", errors={NO_MATCH: "F"}),
        act("F", "UpdateFlowAttributes", {"FlowAttributes": {"tmp": {"Value": "x"}}}, "Go"),
        act("Go", "TransferToFlow", {"ContactFlowId": "arn:flow/second"}, "Err", errors={NO_MATCH: "Err"}),
        act("Err", "DisconnectParticipant"),
    )
    second = flow(
        "second",
        act(
            "Check",
            "Compare",
            {"ComparisonValue": "$.FlowAttributes.tmp"},
            conditions=[("Equals", "x", "Leak")],
            errors={"NoMatchingCondition": "Done"},
        ),
        act("Leak", "DisconnectParticipant"),
        act("Done", "EndFlowExecution"),
    )
    s = sim(first, second, flow_ids={"arn:flow/second": "second"})
    result = s.run("first", Contact())
    assert result.path == [
        "A:NextAction",
        "F:NextAction",
        "Go:TransferredToFlow",
        "Check:NoMatchingCondition",
        "Done:Ended",
    ]
    assert result.attributes == {"k": "v"}
    assert result.ended_in_flow == "second"
    assert result.end_reason is EndReason.FLOW_ENDED
    assert [t.flow for t in result.trace] == ["first"] * 3 + ["second"] * 2


def test_transfer_to_an_unknown_flow_is_no_matching_error() -> None:
    f = flow("f", act("Go", "TransferToFlow", {"ContactFlowId": "missing"}, "End", errors={NO_MATCH: "End"}), end())
    assert sim(f).run("f", Contact()).path[0] == "Go:NoMatchingError"


def test_contact_attributes_over_32kb_fail_all_or_nothing() -> None:
    big = {f"k{i}": "x" * 1000 for i in range(40)}
    f = flow("f", act("A", "UpdateContactAttributes", {"Attributes": big}, "End", errors={NO_MATCH: "End"}), end())
    result = sim(f).run("f", Contact(attributes={"keep": "1"}))
    assert result.path[0] == "A:NoMatchingError"
    assert result.attributes == {"keep": "1"}


def test_strict_mode_sends_unset_references_to_the_error_branch() -> None:
    f = flow(
        "f",
        act("A", "UpdateContactAttributes", {"Attributes": {"x": "$.External.nope"}}, "End", errors={NO_MATCH: "End"}),
        end(),
    )
    assert sim(f).run("f", Contact()).attributes == {"x": ""}
    strict = sim(f, options=SimulatorOptions(missing_reference="error")).run("f", Contact())
    assert strict.path[0] == "A:NoMatchingError"
    assert strict.attributes == {}


def test_strict_mode_on_an_action_without_errors_is_a_simulation_error() -> None:
    f = flow(
        "f", act("F", "UpdateFlowAttributes", {"FlowAttributes": {"x": {"Value": "$.External.nope"}}}, "End"), end()
    )
    with pytest.raises(SimulationError, match="not set"):
        sim(f, options=SimulatorOptions(missing_reference="error")).run("f", Contact())


def test_flow_attributes_failure_takes_its_no_matching_error_branch() -> None:
    params = {"FlowAttributes": {"x": {"Value": "$.External.nope"}}}
    f = flow("f", act("F", "UpdateFlowAttributes", params, "End", errors={NO_MATCH: "Err"}), end(), end("Err"))
    result = sim(f, options=SimulatorOptions(missing_reference="error")).run("f", Contact())
    assert result.path == ["F:NoMatchingError", "Err:Disconnected"]
    forced = sim(f).run("f", Contact(faults=Faults(action_errors={"F": NO_MATCH})))
    assert forced.path[0] == "F:NoMatchingError"


# ---------------------------------------------------------------- routing criteria and voice

STEP: dict[str, Any] = {
    "Expression": {
        "AttributeCondition": {
            "Name": "Tier",
            "Value": "Platinum",
            "ProficiencyLevel": 4.0,
            "ComparisonOperator": "NumberGreaterOrEqualTo",
        }
    },
    "Expiry": {"DurationInSeconds": 30},
}


def criteria_flow(steps: object) -> Flow:
    return flow(
        "c",
        act(
            "Criteria",
            "UpdateContactRoutingCriteria",
            {"RoutingCriteria": {"Steps": steps}},
            "End",
            errors={NO_MATCH: "Err"},
        ),
        end(),
        end("Err"),
    )


def test_routing_criteria_static_and_from_a_json_reply() -> None:
    assert sim(criteria_flow([STEP])).run("c", Contact()).routing_criteria == {"Steps": [STEP]}
    f = flow(
        "c",
        invoke("Criteria", ResponseValidation={"ResponseType": "JSON"}),
        *(dict(a) for a in criteria_flow("$.External.Steps").actions.values()),
        act("Failed", "EndFlowExecution"),
    )
    result = sim(f, handler=lambda _e, _c: {"Steps": [STEP]}).run("c", Contact())
    assert result.path[:2] == ["Invoke:NextAction", "Criteria:NextAction"]
    assert result.routing_criteria == {"Steps": [STEP]}


@pytest.mark.parametrize(
    "steps",
    [
        [],
        "$.External.absent",
        [{"Expression": {}}],
        [{"Expression": {"AttributeCondition": {**STEP["Expression"]["AttributeCondition"], "ProficiencyLevel": 7}}}],
        [
            {
                "Expression": {
                    "AttributeCondition": {**STEP["Expression"]["AttributeCondition"], "ComparisonOperator": "X"}
                }
            }
        ],
        [{**STEP, "Expiry": {"DurationInSeconds": 0}}],
    ],
)
def test_routing_criteria_connect_would_refuse_take_the_error_branch(steps: object) -> None:
    result = sim(criteria_flow(steps)).run("c", Contact())
    assert result.path[0] == "Criteria:NoMatchingError"
    assert result.routing_criteria is None


def test_text_to_speech_voice_is_set_from_a_reference() -> None:
    f = flow(
        "v",
        act(
            "Voice",
            "UpdateContactTextToSpeechVoice",
            {"TextToSpeechVoice": "$.Attributes.voice"},
            "End",
            errors={NO_MATCH: "Err"},
        ),
        end(),
        end("Err"),
    )
    assert sim(f).run("v", Contact(attributes={"voice": "Lupe"})).voice == "Lupe"
    assert sim(f).run("v", Contact()).path[0] == "Voice:NoMatchingError"


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("$.Channel", "TASK"),
        ("$.ContactId", "c-1"),
        ("$.InstanceARN", DEFAULT_INSTANCE_ARN),
        ("$.AwsRegion", "us-east-1"),
        ("$.InitiationMethod", "API"),
        ("$.CustomerEndpoint.Address", "+12065550123"),
        ("$.SystemEndpoint.Address", "+18005550100"),
        ("$.Attributes.segment", "gold"),
        ("$.Attributes['segment']", "gold"),
        ("$.Queue.ARN", QUEUE),
        ("$.Queue.Name", "Main"),
        ("$.FlowAttributes.step", "2"),
        ("$.External.status", "ok"),
        ("$.CustomerCallbackNumber", "+12065550123"),
    ],
)
def test_references_resolve(reference: str, expected: str) -> None:
    f = flow(
        "f",
        act("F", "UpdateFlowAttributes", {"FlowAttributes": {"step": {"Value": "2"}}}, "SetQ"),
        act("SetQ", "UpdateContactTargetQueue", {"QueueId": QUEUE}, "Invoke", errors={NO_MATCH: "End"}),
        invoke(nxt="Check"),
        act(
            "Check",
            "Compare",
            {"ComparisonValue": reference},
            conditions=[("Equals", expected, "End")],
            errors={"NoMatchingCondition": "Failed"},
        ),
        end(),
        act("Failed", "EndFlowExecution"),
    )
    contact = Contact(channel="TASK", contact_id="c-1", initiation_method="API", attributes={"segment": "gold"})
    result = sim(f, options=SimulatorOptions(queue_names={QUEUE: "Main"})).run("f", contact)
    assert result.path[3] == f"Check:Equals:{expected}", result.describe()


@pytest.mark.parametrize("reference", ["$.Nope.x", "$.Channel.x", "$.Attributes..x", "Attributes.x"])
def test_bad_references_are_errors(reference: str) -> None:
    f = flow(
        "f",
        act(
            "Check",
            "Compare",
            {"ComparisonValue": reference},
            conditions=[("Equals", "x", "End")],
            errors={"NoMatchingCondition": "End"},
        ),
        end(),
    )
    with pytest.raises(SimulationError):
        sim(f).run("f", Contact())


def test_anonymous_endpoint_is_unset_for_compare() -> None:
    f = flow(
        "f",
        act(
            "Check",
            "Compare",
            {"ComparisonValue": "$.CustomerEndpoint.Address"},
            conditions=[("Equals", "", "Bad")],
            errors={"NoMatchingCondition": "End"},
        ),
        end(),
        end("Bad"),
    )
    assert sim(f).run("f", Contact(customer_number=None)).path[0] == "Check:NoMatchingCondition"


@pytest.mark.parametrize(
    ("operator", "operand", "value", "matches"),
    [
        ("Equals", "5", "5", True),
        ("Equals", "5", "05", False),
        ("NumberGreaterThan", "10", "25", True),
        ("NumberLessOrEqualTo", "10", "10", True),
        ("NumberLessThan", "10", "abc", False),
        ("TextStartsWith", "+44", "+447700900123", True),
        ("TextContains", "vip", "gold_vip", True),
        ("TextEndsWith", "x", "abc", False),
    ],
)
def test_compare_operators(operator: str, operand: str, value: str, matches: bool) -> None:
    f = flow(
        "f",
        act("A", "UpdateContactAttributes", {"Attributes": {"v": value}}, "Check", errors={NO_MATCH: "End"}),
        act(
            "Check",
            "Compare",
            {"ComparisonValue": "$.Attributes.v"},
            conditions=[(operator, operand, "Hit")],
            errors={"NoMatchingCondition": "End"},
        ),
        end(),
        end("Hit"),
    )
    result = sim(f).run("f", Contact())
    assert (result.ended_at == "Hit") is matches


def test_contact_from_a_connect_event() -> None:
    from trunkline.contacts import connect_event

    event = connect_event(
        channel="CHAT", dialed=None, caller=None, attributes={"entry_key": "cards_web_chat"}, contact_id="c-9"
    )
    contact = Contact.from_event(event)
    assert contact.channel == "CHAT"
    assert contact.customer_number is None
    assert contact.system_number is None
    assert contact.attributes == {"entry_key": "cards_web_chat"}
    assert contact.contact_id == "c-9"
    assert contact.initial_contact_id == "c-9"
    voice = Contact.from_event(connect_event(dialed="+18005550100", caller="+12125550187"))
    assert (voice.system_number, voice.customer_number, voice.queue_arn) == ("+18005550100", "+12125550187", None)
    with pytest.raises(ValueError, match="ContactData"):
        Contact.from_event({"Details": {}})
