"""TagContact in the simulator and the linter: values resolved like attributes, merged per contact, Connect's limits."""

from __future__ import annotations

from typing import Any

import pytest

from trunkline.simulator import (
    ACTION_SPECS,
    Contact,
    EndReason,
    Faults,
    Flow,
    FlowSimulator,
    SimulationError,
    SimulatorOptions,
    lint_flow,
)

FN = "arn:aws:lambda:us-east-1:111122223333:function:fn"
REPLY = {"rule_id": "cards.balance_ivr", "config_version": "v000007", "long": "x" * 257}


def act(identifier: str, type_: str, params: dict[str, Any] | None = None, nxt: str | None = None) -> dict[str, Any]:
    transitions: dict[str, Any] = {"NextAction": nxt} if nxt else {}
    return {"Identifier": identifier, "Type": type_, "Parameters": params or {}, "Transitions": transitions}


def tag(identifier: str, tags: dict[str, Any], nxt: str = "End") -> dict[str, Any]:
    return act(identifier, "TagContact", {"Tags": tags}, nxt)


def invoke(nxt: str) -> dict[str, Any]:
    action = act(
        "Invoke",
        "InvokeLambdaFunction",
        {
            "LambdaFunctionARN": FN,
            "InvocationTimeLimitSeconds": "3",
            "ResponseValidation": {"ResponseType": "STRING_MAP"},
        },
        nxt,
    )
    action["Transitions"]["Errors"] = [{"NextAction": "End", "ErrorType": "NoMatchingError"}]
    return action


def document(*actions: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2019-10-30", "StartAction": actions[0]["Identifier"], "Metadata": {}, "Actions": list(actions)}


def flow(name: str, *actions: dict[str, Any]) -> Flow:
    return Flow.from_document(name, document(*actions))


def end() -> dict[str, Any]:
    return act("End", "DisconnectParticipant")


def run(*flows: Flow, contact: Contact | None = None, options: SimulatorOptions | None = None) -> Any:
    sim = FlowSimulator(flows, lambdas={FN: lambda _e, _c: dict(REPLY)}, options=options)
    return sim.run(flows[0].name, contact or Contact())


def test_tag_contact_continues_on_next_and_may_declare_only_no_matching_error() -> None:
    spec = ACTION_SPECS["TagContact"]
    assert spec.errors == frozenset({"NoMatchingError"})  # what console exports declare; Connect accepts it
    assert spec.uses_next
    assert not spec.conditions
    assert spec.terminal is None


def test_static_and_referenced_values_become_the_contact_tags() -> None:
    # Given a flow that tags with a static value and a value from the Lambda reply
    f = flow(
        "f",
        invoke("Tag"),
        tag("Tag", {"trunkline:rule": "$.External.rule_id", "trunkline:callback": "requested"}),
        end(),
    )
    # When a contact runs through it
    result = run(f)
    # Then the result carries both, resolved, and the trace names the keys
    assert result.tags == {"trunkline:rule": "cards.balance_ivr", "trunkline:callback": "requested"}
    assert result.path == ["Invoke:NextAction", "Tag:NextAction", "End:Disconnected"]
    assert result.trace[1].detail == "trunkline:callback, trunkline:rule"


def test_a_flow_without_tag_contact_leaves_no_tags() -> None:
    assert (
        run(flow("f", act("Log", "UpdateFlowLoggingBehavior", {"FlowLoggingBehavior": "Enabled"}, "End"), end())).tags
        == {}
    )


def test_later_tags_merge_and_a_repeated_key_is_overwritten_not_counted_twice() -> None:
    f = flow(
        "f",
        tag("A", {f"k{i}": "1" for i in range(5)}, "B"),
        tag("B", {"k0": "2", "k5": "3"}),
        end(),
    )
    result = run(f)
    assert len(result.tags) == 6
    assert result.tags["k0"] == "2"
    assert result.tags["k5"] == "3"


def test_a_seventh_tag_on_the_contact_is_a_flow_bug() -> None:
    f = flow("f", tag("A", {f"k{i}": "1" for i in range(4)}, "B"), tag("B", {"x": "1", "y": "2", "z": "3"}), end())
    with pytest.raises(SimulationError, match=r"7 tags .*at most 6"):
        run(f)


@pytest.mark.parametrize(
    "key",
    ["aws:connect:routing", "has space", "", "k" * 129, "trunkline!rule", "é"],
    ids=["aws-prefix", "space", "empty", "too-long", "bang", "non-ascii"],
)
def test_a_key_outside_connects_pattern_is_a_flow_bug(key: str) -> None:
    f = flow("f", tag("Tag", {key: "v"}), end())
    with pytest.raises(SimulationError, match="tag key"):
        run(f)


@pytest.mark.parametrize("key", ["trunkline:rule", "a.b_c/d=e+f-g", "k" * 128])
def test_keys_connect_accepts(key: str) -> None:
    assert run(flow("f", tag("Tag", {key: "v"}), end())).tags == {key: "v"}


def test_a_value_over_256_characters_is_a_flow_bug() -> None:
    f = flow("f", invoke("Tag"), tag("Tag", {"k": "$.External.long"}), end())
    with pytest.raises(SimulationError, match="257 characters"):
        run(f)


def test_an_unset_reference_tags_empty_or_fails_in_strict_mode() -> None:
    f = flow("f", invoke("Tag"), tag("Tag", {"k": "$.External.absent"}), end())
    assert run(f).tags == {"k": ""}
    with pytest.raises(SimulationError, match=r"\$\.External\.absent"):
        run(f, options=SimulatorOptions(missing_reference="error"))


@pytest.mark.parametrize("tags", [{}, "k=v"], ids=["empty", "not-an-object"])
def test_tags_must_be_a_non_empty_object(tags: Any) -> None:
    with pytest.raises(SimulationError, match="Tags must be"):
        run(flow("f", act("Tag", "TagContact", {"Tags": tags}, "End"), end()))


def test_a_numeric_value_is_refused_like_any_parameter() -> None:
    with pytest.raises(SimulationError, match="must be a string"):
        run(flow("f", tag("Tag", {"k": 1}), end()))


def test_tags_stay_on_the_contact_across_transfer_to_flow() -> None:
    first = flow(
        "first",
        tag("Tag", {"trunkline:lob": "cards"}, "Go"),
        {
            "Identifier": "Go",
            "Type": "TransferToFlow",
            "Parameters": {"ContactFlowId": "second"},
            "Transitions": {"Errors": [{"NextAction": "End", "ErrorType": "NoMatchingError"}]},
        },
        end(),
    )
    second = flow("second", tag("Tag2", {"trunkline:queue": "cards_general"}), end())
    result = run(first, second)
    assert result.ended_in_flow == "second"
    assert result.tags == {"trunkline:lob": "cards", "trunkline:queue": "cards_general"}


@pytest.mark.parametrize("channel", ["VOICE", "CHAT", "TASK", "EMAIL"])
def test_every_channel_can_be_tagged(channel: Any) -> None:
    result = run(flow("f", tag("Tag", {"k": "$.Channel"}), end()), contact=Contact(channel=channel))
    assert result.end_reason is EndReason.DISCONNECTED
    assert result.tags == {"k": channel}


def test_only_no_matching_error_can_be_forced_on_tag_contact() -> None:
    f = flow("f", tag("Tag", {"k": "v"}), end())
    with pytest.raises(SimulationError, match="cannot force"):
        run(f, contact=Contact(faults=Faults(action_errors={"Tag": "QueueAtCapacity"})))


def test_a_tag_contact_error_needs_its_no_matching_error_branch() -> None:
    f = flow("f", tag("Tag", {"k": "v"}), end())
    with pytest.raises(SimulationError, match="declares no such branch"):
        run(f, contact=Contact(faults=Faults(action_errors={"Tag": "NoMatchingError"})))


def test_tag_contact_refusals_take_the_declared_error_branch() -> None:
    # Console exports give TagContact a NoMatchingError branch; what the TagContact API refuses continues there.
    too_many = tag("Tag", {f"k{i}": "v" for i in range(7)})
    too_many["Transitions"]["Errors"] = [{"NextAction": "End", "ErrorType": "NoMatchingError"}]
    result = run(flow("f", too_many, end()))
    assert result.path[0] == "Tag:NoMatchingError"
    assert result.tags == {}


# ---------------------------------------------------------------- lint


def _issues(*actions: dict[str, Any]) -> list[str]:
    return [str(i) for i in lint_flow(document(*actions), name="f")]


def test_lint_accepts_a_valid_tag_contact() -> None:
    assert _issues(tag("Tag", {"trunkline:rule": "$.External.rule_id", "trunkline:callback": "requested"}), end()) == []


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ({"aws:x": "v"}, "no aws: prefix"),
        ({"bad key": "v"}, "must match"),
        ({"k" * 129: "v"}, "1..128 characters"),
        ({"k": "v" * 257}, "longer than 256"),
        ({f"k{i}": "v" for i in range(7)}, "7 tags; a contact holds at most 6"),
        ({}, "Tags must be a non-empty object"),
    ],
    ids=["aws-prefix", "space", "long-key", "long-value", "seven", "empty"],
)
def test_lint_flags_static_tag_problems(tags: dict[str, str], message: str) -> None:
    issues = _issues(tag("Tag", tags), end())
    assert any(message in i for i in issues), issues


def test_lint_flags_more_distinct_keys_over_the_flow_than_a_contact_holds() -> None:
    issues = _issues(tag("A", {f"k{i}": "v" for i in range(4)}, "B"), tag("B", {"x": "v", "y": "v", "z": "v"}), end())
    assert any("7 distinct tag keys" in i for i in issues), issues


def test_lint_accepts_a_no_matching_error_branch_on_tag_contact() -> None:
    # console exports (voicemail-express, gitlab CI/CD samples) give TagContact this branch, and Connect publishes it
    action = tag("Tag", {"k": "v"})
    action["Transitions"]["Errors"] = [{"NextAction": "End", "ErrorType": "NoMatchingError"}]
    assert _issues(action, end()) == []


def test_lint_flags_another_error_branch_on_tag_contact() -> None:
    action = tag("Tag", {"k": "v"})
    action["Transitions"]["Errors"] = [{"NextAction": "End", "ErrorType": "QueueAtCapacity"}]
    issues = _issues(action, end())
    assert any("TagContact cannot raise 'QueueAtCapacity'" in i for i in issues), issues
