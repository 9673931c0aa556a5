"""Flows Connect accepted (tests/flows/fixtures/real, see its README) pass ``lint_flow``: no errors, Connect's rules.

They are the lint's ground truth for "accept what Connect accepts": a rule that rejects one of them is wrong.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trunkline.simulator import lint_flow

REAL = Path(__file__).parent / "fixtures" / "real"
#: The CfnContactFlow Type each fixture was deployed as (fixtures/real/README.md).
FLOW_TYPES = {
    "rules-engine_RulesEngineQueue": "CONTACT_FLOW",
    "rules-engine_RulesEngineDTMFMenu": "CONTACT_FLOW",
    "rules-engine_RulesEngineCustomerQueue": "CUSTOMER_QUEUE",
    "voicemail-express_VMXInQueueOption": "CUSTOMER_QUEUE",
    "voicemail-express_VMXAWSTestFlow": "CONTACT_FLOW",
    "voicemail-express_VMXDefaultGuidedTaskFlow": "CONTACT_FLOW",
    "voicemail-express_VMXInQueueAgentWhisper": "AGENT_WHISPER",
    "gitlab-cicd_acme_main_AUTO": "CONTACT_FLOW",
    "gitlab-cicd_acme_queue_transfer_AUTO": "QUEUE_TRANSFER",
    "gitlab-cicd_acme_agent_whisper_AUTO": "AGENT_WHISPER",
    "cdk-constructs_inbound-contact-flow": "CONTACT_FLOW",
}
FILES = sorted(REAL.glob("*.json"))


def _doc(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_every_fixture_is_listed_with_its_flow_type() -> None:
    assert {p.stem for p in FILES} == set(FLOW_TYPES)
    readme = (REAL / "README.md").read_text(encoding="utf-8")
    assert all(f"`{p.name}`" in readme for p in FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_a_real_flow_has_no_errors_by_connects_rules(path: Path) -> None:
    issues = lint_flow(_doc(path), name=path.stem, flow_type=FLOW_TYPES[path.stem], policy=False)
    errors = [str(i) for i in issues if i.is_error]
    assert not errors, "\n".join(errors)
    # the only warnings are action types the simulator does not model (no unreachable / dead-end noise after them)
    assert all("is not modeled" in i.message for i in issues), [str(i) for i in issues]


def test_the_real_shapes_we_rely_on_are_in_the_fixtures() -> None:
    # Given every action of every fixture
    actions = [a for p in FILES for a in _doc(p)["Actions"]]

    def has(action_type: str, predicate: Any) -> bool:
        return any(a["Type"] == action_type and predicate(a) for a in actions)

    def errors(a: dict[str, Any]) -> set[str]:
        return {e["ErrorType"] for e in a["Transitions"].get("Errors", [])}

    # Then the shapes "What Connect accepts" (docs/flows.md) cites are really there
    assert has("TagContact", lambda a: errors(a) == {"NoMatchingError"})
    assert has("UpdateFlowAttributes", lambda a: errors(a) == {"NoMatchingError"})
    assert has("GetParticipantInput", lambda a: "InvalidPhoneNumber" in errors(a))
    assert has(
        "GetParticipantInput",
        lambda a: a["Parameters"].get("StoreInput") == "False" and not a["Transitions"].get("Conditions"),
    )
    assert has("MessageParticipant", lambda a: a["Transitions"].get("Errors") == [])
    assert has("InvokeLambdaFunction", lambda a: "ResponseValidation" not in a["Parameters"])
    assert has("UpdateContactAttributes", lambda a: any(k.startswith("$.") for k in a["Parameters"]["Attributes"]))
    assert has("UpdateContactRoutingCriteria", lambda a: "NoMatchingError" in errors(a))
