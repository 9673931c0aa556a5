"""Admin API behaviour: scope, ownership, stale publish, four-eyes, closure end time, audit, bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import admin.handler as admin_handler
import pytest

from routing.admin.service import AdminService
from routing.common.contact import ContactRequest
from routing.route.decision import RouteStatus
from routing.route.engine import CompiledConfig, decide
from tests.unit.admin.admin_api import NOW, Api

STORM = "schedules[cards_hours].emergency_closures"
ENDS = "2026-12-03T22:00:00Z"  # 17:00 New York, inside cards hours (08:00-20:00)


def closure(active: bool = True, ends_at: str | None = ENDS, message: str = "Closed for the storm.") -> list[Any]:
    item: dict[str, Any] = {"key": "severe_weather", "active": active, "message": message}
    if ends_at:
        item["ends_at"] = ends_at
    return [item]


def edit(api: Api, draft_id: str, path: str, value: Any, role: str = "editor") -> tuple[int, Any]:
    return api.as_(role)("PATCH", f"/drafts/{draft_id}", {"set": [{"path": path, "value": value}]})


# --- scope and ownership ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "status", "code"),
    [
        (STORM, closure(), 200, None),
        ("queues[cards_general].capacity", 90, 200, None),
        ("queues[cards_general].attributes", {"greeting_prompt": "new"}, 200, None),
        ("schedules[collections_hours].emergency_closures", [], 403, "out_of_scope"),
        ("queues[fraud_alerts].capacity", 10, 403, "out_of_scope"),
        ("schedules[cards_hours].holidays", [], 403, "out_of_scope"),  # disputes (fraud) keeps cards hours
        ("defaults.closed_message", "Closed.", 403, "out_of_scope"),  # shared by every line
        ("callback_policies[collections_voice].wait_seconds", 60, 403, "out_of_scope"),
        ("rulesets[cards].rules", [], 403, "engineering_owned"),
        ("queues[cards_general].queue_id", "x", 403, "engineering_owned"),
        ("lines_of_business[cards].schedule", "fraud_hours", 403, "engineering_owned"),
        ("defaults.default_queue", "cards_general", 403, "engineering_owned"),
        ("queues[nope].capacity", 1, 404, "not_found"),
        ("queues.cards_general.capacity", 1, 422, "invalid_path"),
        ("queues[cards_general].capacity", 0, 422, "invalid_value"),
        (STORM, closure(message=""), 422, "invalid_value"),
    ],
)
def test_an_editor_changes_only_operations_fields_of_their_lines(
    api: Api, draft_id: str, path: str, value: Any, status: int, code: str | None
) -> None:
    before = api.snapshot()
    got, body = edit(api, draft_id, path, value)
    assert got == status, body
    if code is not None:
        assert body["error"] == code
        assert api.snapshot() == before  # nothing written


def test_an_invalid_value_names_the_item_by_key(api: Api, draft_id: str) -> None:
    _, body = edit(api, draft_id, STORM, closure(ends_at="tomorrow"))
    assert body["details"][0]["path"].startswith("schedules[cards_hours].emergency_closures[severe_weather].ends_at")


def test_an_editor_of_every_line_may_change_shared_fields(api: Api, draft_id: str) -> None:
    claims = {"email": "lead@example.com", "cognito:groups": ["trunkline-editor", "trunkline-lob-all"]}
    status, _ = api.call(
        "PATCH", f"/drafts/{draft_id}", {"set": [{"path": "defaults.closed_message", "value": "x"}]}, claims=claims
    )
    assert status == 200


def test_all_sets_or_none(api: Api, draft_id: str) -> None:
    before = api.snapshot()
    body = {"set": [{"path": STORM, "value": closure()}, {"path": "queues[fraud_alerts].capacity", "value": 1}]}
    status, _ = api.as_("editor")("PATCH", f"/drafts/{draft_id}", body)
    assert status == 403
    assert api.snapshot() == before


# --- publish, stale base, four-eyes, rollback ---------------------------------------------------------------


def test_a_stale_publish_is_a_409_with_the_diff_and_writes_nothing(api: Api) -> None:
    editor, publisher = api.as_("editor"), api.as_("publisher")
    first = editor("POST", "/drafts")[1]["draft_id"]
    second = editor("POST", "/drafts")[1]["draft_id"]
    assert edit(api, first, STORM, closure(ends_at=None))[0] == 200
    assert edit(api, second, "queues[cards_general].capacity", 99)[0] == 200
    assert publisher("POST", f"/drafts/{first}/publish", {"base_version": "v000001", "reason": "storm"})[0] == 200
    before = api.snapshot()
    status, body = publisher("POST", f"/drafts/{second}/publish", {"base_version": "v000001", "reason": "cap"})
    assert status == 409
    assert body["error"] == "stale_base"
    assert body["details"][0] == {"active_version": "v000002"}
    assert body["details"][1]["path"] == "schedules[cards_hours].emergency_closures[severe_weather].active"
    assert api.snapshot() == before


def test_publish_with_a_base_other_than_the_drafts_is_refused(api: Api, draft_id: str) -> None:
    status, body = api.as_("publisher")("POST", f"/drafts/{draft_id}/publish", {"base_version": "v9", "reason": "r"})
    assert (status, body["error"]) == (409, "base_mismatch")


@pytest.fixture
def four_eyes(api: Api) -> Api:
    api.service.four_eyes = True
    return api


def test_four_eyes_needs_someone_other_than_the_author(four_eyes: Api) -> None:
    api = four_eyes
    author = {
        "email": "al@example.com",
        "cognito:groups": ["trunkline-editor", "trunkline-approver", "trunkline-lob-all"],
    }
    draft = api.call("POST", "/drafts", claims=author)[1]["draft_id"]
    api.call("PATCH", f"/drafts/{draft}", {"set": [{"path": STORM, "value": closure()}]}, claims=author)
    publish = {"base_version": "v000001", "reason": "storm"}
    status, body = api.as_("publisher")("POST", f"/drafts/{draft}/publish", publish)
    assert (status, body["state"]) == (202, "pending_approval")
    assert api.store.pointer is not None
    assert api.store.pointer.version_id == "v000001"
    # the author cannot approve their own draft
    before = api.snapshot()
    status, body = api.call("POST", f"/drafts/{draft}/approve", {"reason": "mine"}, claims=author)
    assert (status, body["error"]) == (403, "self_approval")
    assert api.snapshot() == before
    # someone else approves; the publish then goes through
    assert api.as_("approver")("POST", f"/drafts/{draft}/approve", {"reason": "ok"})[0] == 200
    status, body = api.as_("publisher")("POST", f"/drafts/{draft}/publish", publish)
    assert (status, body["version"]) == (200, "v000002")


def test_an_edit_after_approval_needs_a_new_approval(four_eyes: Api, draft_id: str) -> None:
    api = four_eyes
    assert api.as_("approver")("POST", f"/drafts/{draft_id}/approve", {})[0] == 200
    assert edit(api, draft_id, STORM, closure())[0] == 200
    status, _ = api.as_("publisher")("POST", f"/drafts/{draft_id}/publish", {"base_version": "v000001", "reason": "r"})
    assert status == 202


def test_a_published_draft_is_closed(api: Api, draft_id: str) -> None:
    publish = {"base_version": "v000001", "reason": "r"}
    edit(api, draft_id, STORM, closure())
    assert api.as_("publisher")("POST", f"/drafts/{draft_id}/publish", publish)[0] == 200
    status, body = edit(api, draft_id, STORM, closure(active=False))
    assert (status, body["error"]) == (409, "draft_closed")


def test_rollback_to_a_named_version_and_refusals(api: Api, draft_id: str) -> None:
    publisher = api.as_("publisher")
    edit(api, draft_id, STORM, closure())
    publisher("POST", f"/drafts/{draft_id}/publish", {"base_version": "v000001", "reason": "storm"})
    status, body = publisher("POST", "/rollback", {"version": "v000001", "reason": "storm over"})
    assert (status, body["version"], body["previous"]) == (200, "v000001", "v000002")
    assert publisher("POST", "/rollback", {"version": "v000001", "reason": "again"})[0] == 409  # already active
    assert publisher("POST", "/rollback", {"version": "v000042", "reason": "x"})[0] == 404
    assert publisher("POST", "/rollback", {"reason": "no version"})[0] == 422


# --- closure end time ---------------------------------------------------------------------------------------


def test_a_closure_with_an_end_time_applies_until_then(api: Api, draft_id: str) -> None:
    # Given a closure on cards until 17:00 New York, published through the API
    assert edit(api, draft_id, STORM, closure())[0] == 200
    publish = {"base_version": "v000001", "reason": "storm"}
    assert api.as_("publisher")("POST", f"/drafts/{draft_id}/publish", publish)[0] == 200
    compiled = CompiledConfig.compile(api.store.load_document("v000002"), version="v000002")
    contact = ContactRequest(dialed_number="+18005550100", customer_number="+12125550123")
    # Then the route engine answers EMERGENCY for cards before the end, and routes after it (still within hours)
    before_end = decide(contact, compiled, now=datetime(2026, 12, 3, 21, 59, tzinfo=UTC))
    after_end = decide(contact, compiled, now=datetime(2026, 12, 3, 22, 0, tzinfo=UTC))
    assert (before_end.status, before_end.line_of_business) == (RouteStatus.EMERGENCY, "cards")
    assert before_end.message == "Closed for the storm."
    assert after_end.status == RouteStatus.ROUTED
    # and the status board says so, with the end time
    row = next(
        r for r in api.as_("viewer")("GET", "/status")[1]["lines_of_business"] if r["line_of_business"] == "cards"
    )
    assert (row["state"], row["until"], row["regions"]) == (
        "emergency",
        "2026-12-03T22:00:00+00:00",
        ["us-east-1", "us-west-2"],
    )


def test_simulate_a_contact_at_a_time_and_load(api: Api, draft_id: str) -> None:
    edit(api, draft_id, STORM, closure())
    editor = api.as_("editor")
    contact = {"entry_point": "cards_main", "caller": "+12125550123"}
    status, body = editor("POST", "/simulate", {"draft_id": draft_id, "contact": contact, "at": "2026-12-03T21:00:00Z"})
    assert status == 200
    assert body["decision"]["status"] == "EMERGENCY"
    assert "Emergency closure" in body["decision"]["explanation"]
    status, body = editor("POST", "/simulate", {"contact": contact, "at": "2026-12-03T21:00:00Z"})  # active: open
    assert body["decision"]["status"] == "ROUTED"
    assert body["decision"]["explanation"].startswith("Routed by")
    status, body = editor("POST", "/simulate", {"contact": contact, "at": "2026-12-03T21:00:00"})  # no offset
    assert status == 422


def test_validate_reports_a_valid_draft(api: Api, draft_id: str) -> None:
    assert api.as_("editor")("POST", f"/drafts/{draft_id}/validate") == (200, {"valid": True, "errors": []})


def test_diff_of_a_draft_is_per_field(api: Api, draft_id: str) -> None:
    edit(api, draft_id, "queues[cards_general].capacity", 321)
    status, body = api.as_("viewer")("GET", "/diff", query={"to": draft_id})
    assert status == 200
    assert body["from"] == "v000001"
    assert [(c["path"], c["after"]) for c in body["changes"]] == [("queues[cards_general].capacity", 321)]


# --- audit --------------------------------------------------------------------------------------------------


def test_the_audit_records_the_tokens_identity_and_before_after(api: Api, draft_id: str) -> None:
    edit(api, draft_id, STORM, closure(ends_at=None))
    api.as_("publisher")("POST", f"/drafts/{draft_id}/publish", {"base_version": "v000001", "reason": "storm"})
    status, body = api.as_("viewer")("GET", "/audit", query={"limit": "1"})
    assert status == 200
    (record,) = body["records"]
    assert (record["actor"], record["verified"], record["action"]) == ("pat@example.com", True, "publish")
    assert record["detail"].startswith("storm (draft ")
    assert "by eddie@example.com" in record["detail"]
    assert record["changes"] == [
        {
            "path": "schedules[cards_hours].emergency_closures[severe_weather].active",
            "kind": "changed",
            "before": False,
            "after": True,
        },
        {
            "path": "schedules[cards_hours].emergency_closures[severe_weather].message",
            "kind": "changed",
            "before": api.store.load_document("v000001")["schedules"]["cards_hours"]["emergency_closures"][0][
                "message"
            ],
            "after": "Closed for the storm.",
        },
    ]


# --- bad input ----------------------------------------------------------------------------------------------


def test_an_oversized_body_is_a_413_and_writes_nothing(api: Api, draft_id: str) -> None:
    before = api.snapshot()
    huge = json.dumps({"set": [{"path": STORM, "value": closure(message="x" * 70_000)}]})
    status, body = api.call(
        "PATCH", f"/drafts/{draft_id}", raw=huge, claims={"email": "e", "cognito:groups": "trunkline-editor"}
    )
    assert (status, body["error"]) == (413, "too_large")
    assert api.snapshot() == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/drafts/{d}", {"set": [{"path": STORM, "value": [], "extra": 1}]}),
        ("PATCH", "/drafts/{d}", {"set": [{"path": STORM, "value": []}], "comment": "x"}),
        ("POST", "/simulate", {"contact": {"entry_point": "cards_main", "vip": True}}),
        ("POST", "/rollback", {"version": "v000001", "reason": "r", "force": True}),
    ],
)
def test_an_unknown_field_is_a_422_and_writes_nothing(
    api: Api, draft_id: str, method: str, path: str, body: Any
) -> None:
    role = "publisher" if path == "/rollback" else "editor"
    before = api.snapshot()
    status, reply = api.as_(role)(method, path.format(d=draft_id), body)
    assert status == 422
    assert reply["error"] == "invalid_request"
    assert reply["details"]
    assert api.snapshot() == before


def test_malformed_json_is_a_422(api: Api, draft_id: str) -> None:
    status, reply = api.call(
        "PATCH", f"/drafts/{draft_id}", raw="{not json", claims={"email": "e", "cognito:groups": "trunkline-editor"}
    )
    assert status == 422
    assert set(reply) == {"error", "message", "details"}


def test_unknown_draft_and_endpoint_are_404(api: Api) -> None:
    assert api.as_("viewer")("GET", "/drafts/d-nope")[0] == 404
    assert api.as_("viewer")("GET", "/nowhere")[0] == 404


def test_the_openapi_document_lists_every_endpoint(api: Api) -> None:
    status, body = api.as_("viewer")("GET", "/openapi.json")
    assert status == 200
    assert {"/drafts/{draft_id}/publish", "/simulate", "/rollback", "/audit", "/status"} <= set(body["paths"])
    publish = body["paths"]["/drafts/{draft_id}/publish"]["post"]
    assert "requestBody" in publish


def test_nothing_published_yet() -> None:
    from routing.config.memory_store import InMemoryConfigStore
    from trunkline.portal_server import rest_event

    admin_handler.set_service(AdminService(InMemoryConfigStore(), clock=lambda: NOW))
    try:
        reply = admin_handler.lambda_handler(
            rest_event("GET", "/status", claims={"email": "v", "cognito:groups": "trunkline-viewer"}), None
        )
        assert reply["statusCode"] == 404
    finally:
        admin_handler.set_service(None)


def test_cors_allows_the_portal_origin_only(api: Api) -> None:
    from trunkline.portal_server import rest_event

    admin_handler.set_service(api.service, portal_origin="https://portal.example.com")
    claims = {"email": "v", "cognito:groups": "trunkline-viewer"}
    for origin, allowed in (("https://portal.example.com", True), ("https://evil.example.com", False)):
        event = rest_event("GET", "/me", claims=claims, headers={"Origin": origin})
        headers = admin_handler.lambda_handler(event, None).get("headers") or {}
        assert (headers.get("Access-Control-Allow-Origin") == origin) is allowed


def test_settings_for_the_admin_function() -> None:
    from routing.common.settings import Settings

    settings = Settings.from_env(
        {"ADMIN_FOUR_EYES": "true", "ADMIN_REGIONS": "us-east-1, us-west-2", "ADMIN_PORTAL_ORIGIN": "https://p.x/"}
    )
    assert (settings.admin_four_eyes, settings.admin_regions) == (True, ("us-east-1", "us-west-2"))
    assert settings.admin_portal_origin == "https://p.x"
    assert Settings.from_env({}).admin_four_eyes is False
