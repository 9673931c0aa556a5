"""Static checks of every flow file in contact_flows/: structure, Trunkline's rules, and the route contract."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from flow_scenarios import FLOWS_DIR, KNOWN_TOKENS, REPO
from known_findings import known_for

from routing.reply import RESERVED_ORDER
from trunkline.simulator import ACTION_SPECS, Flow, find_tokens, lint_flow

FLOW_FILES = sorted(FLOWS_DIR.glob("*.json"))
MODULE_FILES = sorted((FLOWS_DIR / "modules").glob("*.json")) if (FLOWS_DIR / "modules").is_dir() else []
#: Reply keys the flows may read that are not reserved: queue attributes the CRM needs (may be absent).
OPTIONAL_REPLY_KEYS = frozenset({"acsf_search_info"})
#: Keys of the ``callback`` function's reply (routing.callback_service), read after InvokeCallback.
CALLBACK_REPLY_KEYS = frozenset({"callback_status", "callback_number"})
LAMBDA_TOKENS = {"%RouteFunctionArn%", "%CallbackFunctionArn%"}
#: CfnContactFlow Type values (reference §6.1).
FLOW_TYPES = frozenset(
    {
        "CONTACT_FLOW",
        "CUSTOMER_QUEUE",
        "CUSTOMER_HOLD",
        "CUSTOMER_WHISPER",
        "AGENT_HOLD",
        "AGENT_WHISPER",
        "OUTBOUND_WHISPER",
        "AGENT_TRANSFER",
        "QUEUE_TRANSFER",
        "CAMPAIGN",
    }
)
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
    assert len(json.dumps(document)) <= 256_000  # CfnContactFlow Content limit


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.name)
def test_every_lambda_call_is_string_map_fast_and_has_an_error_branch(path: Path) -> None:
    invokes = [a for a in _actions(path).values() if a["Type"] == "InvokeLambdaFunction"]
    assert invokes
    for action in invokes:
        params = action["Parameters"]
        assert params["LambdaFunctionARN"] in LAMBDA_TOKENS
        assert params["ResponseValidation"] == {"ResponseType": "STRING_MAP"}
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


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.name)
def test_lambda_errors_apologise_then_transfer_to_the_default_queue(path: Path) -> None:
    actions = _actions(path)
    for action in actions.values():
        if action["Type"] != "InvokeLambdaFunction":
            continue
        target = action["Transitions"]["Errors"][0]["NextAction"]
        types = [(a["Type"], a["Parameters"]) for a in _success_path(actions, target)]
        kinds = [t for t, _ in types]
        assert "MessageParticipant" in kinds
        set_queue = kinds.index("UpdateContactTargetQueue")
        assert kinds.index("MessageParticipant") < set_queue
        if action["Parameters"]["LambdaFunctionARN"] == "%CallbackFunctionArn%":
            # callback failed: the caller rejoins the normal queue path (route's queue, priority, transfer).
            assert [a["Identifier"] for a in _success_path(actions, target)][-2:] == ["SetTargetQueue", "CheckPriority"]
            continue
        assert types[set_queue][1] == {"QueueId": "%DefaultQueueArn%"}
        assert kinds[-1] == "TransferContactToQueue"


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.name)
def test_flows_read_only_reply_keys_route_promises(path: Path) -> None:
    # The reply contract lives in routing.reply (docs/design/routing-core.md); a renamed key would break flows.
    text = path.read_text(encoding="utf-8")
    read = set(re.findall(r"\$\.External\.([A-Za-z0-9_\-]+)", text))
    assert read
    unknown = read - set(RESERVED_ORDER) - OPTIONAL_REPLY_KEYS - CALLBACK_REPLY_KEYS
    assert not unknown, f"{path.name} reads $.External keys route does not promise: {sorted(unknown)}"


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.name)
def test_status_branches_match_the_route_statuses(path: Path) -> None:
    from routing.decision import RouteStatus

    for action in _actions(path).values():
        if action["Type"] == "Compare" and action["Parameters"]["ComparisonValue"] == "$.External.status":
            operands = {c["Condition"]["Operands"][0] for c in action["Transitions"]["Conditions"]}
            assert operands == {s.value for s in RouteStatus}


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
    assert check["Parameters"]["ComparisonValue"] == "$.External.callback_offer"
    assert check["Transitions"]["Conditions"][0]["NextAction"] == "OfferCallback"
    offer = actions["OfferCallback"]
    assert offer["Transitions"]["NextAction"] == "SetTargetQueue"
    assert {e["NextAction"] for e in offer["Transitions"]["Errors"]} == {"SetTargetQueue"}


def test_one_create_callback_branch_per_configured_profile_with_its_timings() -> None:
    # Flow parameters are static: each callback profile in config/ is one CreateCallbackContact block.
    from routing.config import load_directory

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
    from flow_scenarios import TOKENS

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
    assert tag["Transitions"] == {"NextAction": "CheckStatus"}


def test_every_created_callback_is_tagged_before_the_confirmation() -> None:
    actions = _actions(FLOWS_DIR / "inbound.json")
    creates = [a for a in actions.values() if a["Type"] == "CreateCallbackContact"]
    assert len(creates) == 2
    for action in creates:
        assert action["Transitions"]["NextAction"] == "TagCallbackRequested", action["Identifier"]
    tag = actions["TagCallbackRequested"]
    assert tag["Type"] == "TagContact"
    assert tag["Parameters"] == {"Tags": {"trunkline:callback": "requested"}}
    assert tag["Transitions"] == {"NextAction": "CallbackConfirmed"}
