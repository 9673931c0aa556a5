"""The pre-token-generation trigger: provider groups become trunkline roles, nothing else ever does."""

from __future__ import annotations

from typing import Any

import pytest
from admin_groups import handler
from admin_groups.handler import lambda_handler, parse_groups, trunkline_groups


def _event(attributes: dict[str, str]) -> dict[str, Any]:
    return {
        "triggerSource": "TokenGeneration_HostedAuth",
        "request": {"userAttributes": attributes, "groupConfiguration": {"groupsToOverride": ["other"]}},
        "response": {"claimsOverrideDetails": None},
    }


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("[trunkline-editor, trunkline-lob-cards]", ["trunkline-editor", "trunkline-lob-cards"]),  # SAML rendering
        ('["trunkline-editor","trunkline-viewer"]', ["trunkline-editor", "trunkline-viewer"]),  # OIDC JSON array
        ("trunkline-viewer", ["trunkline-viewer"]),
        ("[]", []),
        ("  ", []),
    ],
)
def test_parse_groups_reads_every_rendering(raw: str, names: list[str]) -> None:
    assert parse_groups(raw) == names


def test_only_trunkline_groups_survive_after_mapping() -> None:
    raw = "[Ops-Cards, Domain Admins, trunkline-viewer, trunkline-viewer, Ops-Publish]"
    group_map = {"Ops-Cards": "trunkline-lob-cards", "Ops-Publish": "trunkline-publisher"}
    assert trunkline_groups(raw, group_map) == ["trunkline-lob-cards", "trunkline-publisher", "trunkline-viewer"]


def test_the_number_of_groups_is_bounded() -> None:
    raw = ",".join(f"trunkline-lob-{i:03}" for i in range(200))
    assert len(trunkline_groups(raw, {})) == handler.MAX_GROUPS


def test_a_federated_user_gets_the_mapped_groups_in_place_of_the_pools(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handler, "_GROUP_MAP", {"Ops-Cards": "trunkline-editor"})
    out = lambda_handler(_event({"custom:idp_groups": "[Ops-Cards, Finance]"}), None)
    assert out["response"]["claimsOverrideDetails"] == {
        "groupOverrideDetails": {"groupsToOverride": ["trunkline-editor"]}
    }


def test_a_native_user_keeps_the_pools_groups() -> None:
    event = _event({"email": "dev@example.com"})
    assert lambda_handler(event, None)["response"] == {"claimsOverrideDetails": None}


def test_a_failure_issues_no_groups_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(raw: str, group_map: dict[str, str]) -> list[str]:
        raise RuntimeError("bad attribute")

    monkeypatch.setattr(handler, "trunkline_groups", boom)
    out = lambda_handler(_event({"custom:idp_groups": "[trunkline-publisher]"}), None)
    assert out["response"]["claimsOverrideDetails"]["groupOverrideDetails"]["groupsToOverride"] == []
