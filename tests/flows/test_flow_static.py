"""Static checks of every flow file in contact_flows/: structure, Trunkline's rules, and the route contract."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from routing.route.reply import RESERVED_ORDER
from stacks.constructs.connect import FLOW_TYPES as DEPLOYABLE_FLOW_TYPES
from tests.flows.flow_scenarios import FLOWS_DIR, KNOWN_TOKENS, REPO
from tests.flows.known_findings import known_for
from trunkline.simulator import ACTION_SPECS, Flow, find_tokens, lint_flow
from trunkline.simulator.actions import FLOW_TYPES

FLOW_FILES = sorted(FLOWS_DIR.glob("*.json"))
MODULE_FILES = sorted((FLOWS_DIR / "modules").glob("*.json")) if (FLOWS_DIR / "modules").is_dir() else []
#: Reply keys the flows may read that are not reserved: queue attributes the CRM needs (may be absent).
OPTIONAL_REPLY_KEYS = frozenset({"acsf_search_info"})
#: Keys of the ``callback`` function's reply (routing.callback.service), read after InvokeCallback.
CALLBACK_REPLY_KEYS = frozenset({"callback_status", "callback_number", "callback_profile"})
#: The route function's JSON answer to ``trunkline_request=routing_criteria`` (routing.route.criteria).
CRITERIA_REPLY_KEYS = frozenset({"Steps"})
LAMBDA_TOKENS = {"%RouteFunctionArn%", "%CallbackFunctionArn%"}
#: Actions the reference restricts to inbound flows.
INBOUND_ONLY = frozenset({"UpdateContactRoutingBehavior", "InvokeFlowModule"})


def _doc(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def _actions(path: Path) -> dict[str, dict[str, Any]]:
    return {a["Identifier"]: a for a in _doc(path)["Actions"]}


def test_the_expected_flows_exist() -> None:
    assert {p.stem for p in FLOW_FILES} >= {"inbound", "transfer"}


@pytest.mark.parametrize("path", FLOW_FILES + MODULE_FILES, ids=lambda p: p.name)
def test_flow_passes_lint(path: Path) -> None:
    document = _doc(path)
    flow_type = document.get("Metadata", {}).get("trunkline", {}).get("flowType")
    issues = lint_flow(
        document, name=path.stem, flow_type=flow_type, known_tokens=KNOWN_TOKENS, max_invoke_timeout_seconds=3
    )
    # exactly the known Connect findings (known_findings.py), nothing else
    assert {str(i) for i in issues} == known_for(path.stem), "\n".join(map(str, issues))


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.name)
def test_flow_is_flow_language_with_a_deployable_type(path: Path) -> None:
    document = _doc(path)
    assert document["Version"] == "2019-10-30"
    assert document["StartAction"] in _actions(path)
    assert "modules" not in document  # not a console export
    assert document["Metadata"]["trunkline"]["flowType"] in FLOW_TYPES
    assert set(FLOW_TYPES) == DEPLOYABLE_FLOW_TYPES  # the lint and the stack know the same CfnContactFlow types
    assert len(json.dumps(document)) <= 256_000  # CfnContactFlow Content limit


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.name)
def test_every_lambda_call_is_string_map_fast_and_has_an_error_branch(path: Path) -> None:
    invokes = [a for a in _actions(path).values() if a["Type"] == "InvokeLambdaFunction"]
    assert invokes
    for action in invokes:
        params = action["Parameters"]
        assert params["LambdaFunctionARN"] in LAMBDA_TOKENS
        # JSON only for the routing-criteria call: its Steps are nested (docs/flows.md, routing criteria).
        criteria = params["LambdaInvocationAttributes"].get("trunkline_request") == "routing_criteria"
        assert params["ResponseValidation"] == {"ResponseType": "JSON" if criteria else "STRING_MAP"}
        assert isinstance(params["InvocationTimeLimitSeconds"], str)
        assert int(params["InvocationTimeLimitSeconds"]) <= 3
        assert [e["ErrorType"] for e in action["Transitions"]["Errors"]] == ["NoMatchingError"]


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.name)
def test_every_transfer_handles_a_full_queue(path: Path) -> None:
    for action in _actions(path).values():
        if action["Type"] == "TransferContactToQueue":
            errors = {e["ErrorType"] for e in action["Transitions"]["Errors"]}
            assert errors == {"QueueAtCapacity", "NoMatchingError"}, action["Identifier"]


def _success_path(actions: dict[str, dict[str, Any]], start: str) -> list[dict[str, Any]]:
    """Follow NextAction from ``start`` until an action that does not continue on success."""
    path: list[dict[str, Any]] = []
    current: str | None = start
    while current is not None and len(path) < 50:
        action = actions[current]
        path.append(action)
        if not ACTION_SPECS[action["Type"]].uses_next:
            break
        current = action["Transitions"].get("NextAction")
    return path


def _error_path(actions: dict[str, dict[str, Any]], identifier: str) -> list[str]:
    return [
        a["Identifier"] for a in _success_path(actions, actions[identifier]["Transitions"]["Errors"][0]["NextAction"])
    ]


def test_inbound_route_errors_apologise_then_transfer_to_the_default_queue() -> None:
    actions = _actions(FLOWS_DIR / "inbound.json")
    for invoke in ("InvokeRoute", "InvokeRouteKeyed"):
        path = _error_path(actions, invoke)
        assert path == ["MarkLambdaError", "ApologyDefaultRoute", "SetDefaultQueue", "TransferToDefaultQueue"]
    assert actions["SetDefaultQueue"]["Parameters"] == {"QueueId": "%DefaultQueueArn%"}


def test_inbound_callback_and_criteria_errors_keep_the_caller_on_the_queue_path() -> None:
    actions = _actions(FLOWS_DIR / "inbound.json")
    # reserve failed: nothing to release; apologise and rejoin route's queue (priority, criteria, transfer)
    assert _error_path(actions, "ReserveCallback")[:3] == ["CallbackNotPossible", "SetTargetQueue", "CheckPriority"]
    # release failed: the reservation expires by itself; the caller still rejoins the queue path
    assert _error_path(actions, "ReleaseCallback")[:2] == ["CallbackNotPossible", "SetTargetQueue"]
    # confirm failed: the callback exists in Connect; the caller is told so and leaves
    assert _error_path(actions, "ConfirmCallback") == ["CallbackConfirmed", "DisconnectAfterCallback"]
    # criteria failed: routed by the queue alone, as without criteria
    assert _error_path(actions, "InvokeRoutingCriteria") == ["TransferToQueue"]


def test_transfer_route_errors_keep_the_queue_the_agent_chose() -> None:
    actions = _actions(FLOWS_DIR / "transfer.json")
    assert _error_path(actions, "InvokeRouteTransfer") == ["MarkLambdaError", "TransferToChosenQueue"]
    assert actions["TransferToChosenQueue"]["Parameters"] == {}  # the working queue is the agent's choice ($.Queue)


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.name)
def test_flows_read_only_reply_keys_route_promises(path: Path) -> None:
    # The reply contract lives in routing.route.reply (docs/design/routing-core.md); a renamed key would break flows.
    text = path.read_text(encoding="utf-8")
    read = set(re.findall(r"\$\.External\.([A-Za-z0-9_\-]+)", text))
    assert read
    unknown = read - set(RESERVED_ORDER) - OPTIONAL_REPLY_KEYS - CALLBACK_REPLY_KEYS - CRITERIA_REPLY_KEYS
    assert not unknown, f"{path.name} reads $.External keys route does not promise: {sorted(unknown)}"


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.name)
def test_status_branches_match_the_route_statuses(path: Path) -> None:
    from routing.route.decision import RouteStatus

    expected = {s.value for s in RouteStatus} if path.stem == "inbound" else {"ROUTED", "DEFAULT"}
    compares = [
        a
        for a in _actions(path).values()
        if a["Type"] == "Compare" and a["Parameters"]["ComparisonValue"] == "$.FlowAttributes.status"
    ]
    assert len(compares) == 1
    operands = {c["Condition"]["Operands"][0] for c in compares[0]["Transitions"]["Conditions"]}
    assert operands == expected  # a transfer is never answered CLOSED or EMERGENCY: an agent holds the caller


def test_inbound_sets_every_priority_route_can_return_up_to_10_statically() -> None:
    actions = _actions(FLOWS_DIR / "inbound.json")
    priorities = {
        a["Parameters"]["QueuePriority"] for a in actions.values() if a["Type"] == "UpdateContactRoutingBehavior"
    }
    assert priorities == {str(p) for p in range(1, 11)}


def test_inbound_persists_what_agents_and_the_crm_need() -> None:
    actions = _actions(FLOWS_DIR / "inbound.json")
    saved: set[str] = set()
    for action in actions.values():
        if action["Type"] == "UpdateContactAttributes":
            saved |= set(action["Parameters"]["Attributes"])
    assert {
        "classification",
        "rule_id",
        "config_version",
        "line_of_business",
        "queue_key",
        "acsf_search_info",
        "route_status",
    } <= saved


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.name)
def test_non_inbound_flows_use_no_inbound_only_actions(path: Path) -> None:
    if _doc(path)["Metadata"]["trunkline"]["flowType"] == "CONTACT_FLOW":
        return
    used = {a["Type"] for a in _actions(path).values()}
    assert not used & INBOUND_ONLY


def test_callback_offer_leads_to_the_offer_and_declining_keeps_the_place_in_queue() -> None:
    actions = _actions(FLOWS_DIR / "inbound.json")
    check = actions["CheckCallbackOffer"]
    assert check["Parameters"]["ComparisonValue"] == "$.FlowAttributes.callback_offer"
    assert check["Transitions"]["Conditions"][0]["NextAction"] == "OfferCallback"
    offer = actions["OfferCallback"]
    assert offer["Transitions"]["NextAction"] == "SetTargetQueue"
    assert {e["NextAction"] for e in offer["Transitions"]["Errors"]} == {"SetTargetQueue"}


def test_one_create_callback_branch_per_configured_profile_with_its_timings() -> None:
    # Flow parameters are static: each callback profile in config/ is one CreateCallbackContact block.
    from routing.config.loader import load_directory

    doc = load_directory(REPO / "config").document
    assert doc is not None
    actions = _actions(FLOWS_DIR / "inbound.json")
    profiles = actions["CheckCallbackProfile"]
    branches = {c["Condition"]["Operands"][0]: c["NextAction"] for c in profiles["Transitions"]["Conditions"]}
    branches.setdefault("standard", profiles["Transitions"]["NextAction"])
    assert set(branches) == set(doc["callback_profiles"])
    for name, identifier in branches.items():
        params = actions[identifier]["Parameters"]
        profile = doc["callback_profiles"][name]
        assert params["InitialCallDelaySeconds"] == str(profile["initial_delay_seconds"])
        assert params["MaximumConnectionAttempts"] == str(profile["max_attempts"])
        assert params["RetryDelaySeconds"] == str(profile["retry_delay_seconds"])


def test_every_token_is_documented() -> None:
    used: set[str] = set()
    for path in FLOW_FILES + MODULE_FILES:
        used |= find_tokens(_doc(path))
    doc = (REPO / "docs" / "flows.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `%([A-Za-z][A-Za-z0-9]*)%` \|", doc, flags=re.MULTILINE))  # the tokens table
    assert used == documented == set(KNOWN_TOKENS)


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.name)
def test_flow_loads_without_tokens_left(path: Path) -> None:
    from tests.flows.flow_scenarios import TOKENS
    from trunkline.simulator import load_flow

    flow = load_flow(path, TOKENS)
    assert isinstance(flow, Flow)
    assert not flow.tokens


def test_inbound_tags_the_decision_right_after_saving_it() -> None:
    # The outcome function reads these tags from contact events (docs/design/observability.md, decision tags).
    actions = _actions(FLOWS_DIR / "inbound.json")
    save = actions["SaveDecision"]["Transitions"]
    assert save["NextAction"] == "TagDecision"
    assert {e["NextAction"] for e in save["Errors"]} == {"TagDecision"}  # a lost attribute still tags
    tag = actions["TagDecision"]
    assert tag["Type"] == "TagContact"
    assert tag["Parameters"]["Tags"] == {
        "trunkline:rule": "$.External.rule_id",
        "trunkline:config": "$.External.config_version",
        "trunkline:lob": "$.External.line_of_business",
        "trunkline:queue": "$.External.queue_key",
    }
    assert tag["Transitions"] == {
        "NextAction": "SetVoice",
        "Errors": [{"NextAction": "SetVoice", "ErrorType": "NoMatchingError"}],  # a failed tag continues
    }


def test_every_created_callback_is_tagged_before_the_confirmation() -> None:
    actions = _actions(FLOWS_DIR / "inbound.json")
    creates = [a for a in actions.values() if a["Type"] == "CreateCallbackContact"]
    assert len(creates) == 2
    for action in creates:
        assert action["Transitions"]["NextAction"] == "TagCallbackRequested", action["Identifier"]
    tag = actions["TagCallbackRequested"]
    assert tag["Type"] == "TagContact"
    assert tag["Parameters"] == {"Tags": {"trunkline:callback": "requested"}}
    assert tag["Transitions"] == {
        "NextAction": "ConfirmCallback",
        "Errors": [{"NextAction": "ConfirmCallback", "ErrorType": "NoMatchingError"}],
    }


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.name)
def test_every_tag_and_flow_attribute_block_continues_on_error(path: Path) -> None:
    # Console exports give both a NoMatchingError branch and Connect accepts it; one sits on every contact's path.
    for action in _actions(path).values():
        if action["Type"] in ("TagContact", "UpdateFlowAttributes", "UpdateContactTextToSpeechVoice"):
            errors = action["Transitions"].get("Errors", [])
            assert [e["ErrorType"] for e in errors] == ["NoMatchingError"], action["Identifier"]


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.name)
def test_external_is_never_read_after_a_failed_invocation(path: Path) -> None:
    # What $.External holds after a failed invocation is undocumented: walk (action, last invoke failed?) states
    # from the start; no action reading $.External may be reached with the last invocation failed.
    from trunkline.simulator.actions import declared_branches

    actions = _actions(path)
    start = _doc(path)["StartAction"]
    seen = {(start, False)}
    queue = [(start, False)]
    while queue:
        identifier, failed = queue.pop()
        action = actions[identifier]
        if failed:
            assert "$.External." not in json.dumps(action["Parameters"]), identifier
        for branch, target in declared_branches(action).items():
            if target is None:
                continue
            state = (target, branch != "NextAction") if action["Type"] == "InvokeLambdaFunction" else (target, failed)
            if state not in seen:
                seen.add(state)
                queue.append(state)


def test_store_mode_input_validates_a_phone_number_and_branches_on_silence() -> None:
    actions = _actions(FLOWS_DIR / "inbound.json")
    ask = actions["AskCallbackNumber"]
    assert ask["Parameters"]["StoreInput"] == "True"
    # callback policies allow US and CA, both +1 NANP: callers key 10 digits, as the prompt asks
    assert ask["Parameters"]["InputValidation"] == {
        "PhoneNumberValidation": {"NumberFormat": "Local", "CountryCode": "US"}
    }
    assert {e["ErrorType"] for e in ask["Transitions"]["Errors"]} == {"InvalidPhoneNumber", "NoMatchingError"}
    check = actions[ask["Transitions"]["NextAction"]]
    assert check["Parameters"] == {"ComparisonValue": "$.StoredCustomerInput"}
    assert check["Transitions"]["Conditions"][0]["Condition"] == {"Operator": "Equals", "Operands": ["Timeout"]}
    assert check["Transitions"]["Conditions"][0]["NextAction"] == "SetTargetQueue"  # silence keeps the place


def test_the_flows_pass_exactly_the_parameters_the_config_validator_knows() -> None:
    from routing.config.loader import FLOW_PARAMETERS

    passed: set[str] = set()
    for path in FLOW_FILES:
        for action in _actions(path).values():
            params = action["Parameters"]
            if action["Type"] == "InvokeLambdaFunction" and params["LambdaFunctionARN"] == "%RouteFunctionArn%":
                passed |= set(params["LambdaInvocationAttributes"]) - {"trunkline_request", "routing_criteria"}
    assert passed == FLOW_PARAMETERS


def test_the_confirmation_fits_in_the_shortest_callback_delay() -> None:
    from routing.config.loader import CONFIRM_INVOKE_SECONDS

    actions = _actions(FLOWS_DIR / "inbound.json")
    assert int(actions["ConfirmCallback"]["Parameters"]["InvocationTimeLimitSeconds"]) <= CONFIRM_INVOKE_SECONDS
    assert actions["CallbackConfirmed"]["Parameters"]["Text"] == "$.FlowAttributes.prompt_callback_confirmed"
