"""Drafts, approvals and the audit's identity and before/after on the real table layout (moto), and the admin API
end to end over ``DynamoConfigStore``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import admin.handler as admin_handler
import pytest

from routing.admin.service import AdminService
from routing.config.draft_store import Approval, Draft, DraftConflictError, DraftTooLargeError
from routing.config.publishing import publish_document, rollback
from routing.config.store import DynamoConfigStore
from tests.conftest import changed_copy
from trunkline.portal_server import rest_event

NOW = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)


def test_a_draft_round_trips_and_edits_are_conditional(
    dynamo_store: DynamoConfigStore, sample_document: dict[str, Any]
) -> None:
    draft = Draft("d-1", "eddie@example.com", "v000001", "open", "t0", "t0")
    saved = dynamo_store.save_draft(draft, sample_document, expected_revision=None)
    assert saved.revision == 1
    assert dynamo_store.get_draft("d-1") == saved
    assert dynamo_store.load_draft_document("d-1") == sample_document
    with pytest.raises(DraftConflictError):  # the id is taken
        dynamo_store.save_draft(draft, sample_document, expected_revision=None)
    edited = changed_copy(sample_document, "edited")
    second = dynamo_store.save_draft(saved, edited, expected_revision=1)
    with pytest.raises(DraftConflictError):  # a concurrent editor still holding revision 1
        dynamo_store.save_draft(saved, sample_document, expected_revision=1)
    # a state change without a document keeps the document
    published = dynamo_store.save_draft(
        Draft("d-1", "eddie@example.com", "v000001", "published", "t0", "t1", published_version="v000002"),
        None,
        expected_revision=second.revision,
    )
    assert dynamo_store.get_draft("d-1") == published
    assert dynamo_store.load_draft_document("d-1") == edited
    assert [d.draft_id for d in dynamo_store.list_drafts()] == ["d-1"]
    assert dynamo_store.get_draft("d-2") is None
    with pytest.raises(KeyError):
        dynamo_store.load_draft_document("d-2")


def test_an_oversized_draft_is_refused(dynamo_store: DynamoConfigStore) -> None:
    import os

    noise = {"schema": 1, "blob": os.urandom(400_000).hex()}  # incompressible
    with pytest.raises(DraftTooLargeError):
        dynamo_store.save_draft(Draft("d-big", "a", None, "open", "t", "t"), noise, expected_revision=None)
    assert dynamo_store.get_draft("d-big") is None


def test_approvals_one_per_approver(dynamo_store: DynamoConfigStore) -> None:
    dynamo_store.add_approval(Approval("d-1", "ann@example.com", "t1", "ok", 2))
    dynamo_store.add_approval(Approval("d-1", "bob@example.com", "t2", "fine", 2))
    dynamo_store.add_approval(Approval("d-1", "ann@example.com", "t3", "again", 3))
    assert sorted(dynamo_store.list_approvals("d-1"), key=lambda a: a.approver) == [
        Approval("d-1", "ann@example.com", "t3", "again", 3),
        Approval("d-1", "bob@example.com", "t2", "fine", 2),
    ]
    assert dynamo_store.list_approvals("d-2") == []


def test_the_audit_keeps_identity_and_before_after(
    dynamo_store: DynamoConfigStore, sample_document: dict[str, Any]
) -> None:
    publish_document(dynamo_store, sample_document, actor="cli:bob", summary="v1")
    publish_document(dynamo_store, changed_copy(sample_document, "g2"), actor="cli:bob", summary="v2")
    rollback(dynamo_store, actor="ann@example.com", to_version="v000001", reason="bad", verified=True)
    rolled, published, first = dynamo_store.list_audit()
    assert (rolled.actor, rolled.verified, published.verified) == ("ann@example.com", True, False)
    change = {"path": "queues[cards_general].attributes.greeting_prompt", "kind": "changed"}
    assert published.changes == ({**change, "before": "cards_greeting", "after": "g2"},)
    assert rolled.changes == ({**change, "before": "g2", "after": "cards_greeting"},)
    assert first.changes == ()


def test_the_api_end_to_end_on_the_table(dynamo_store: DynamoConfigStore, sample_document: dict[str, Any]) -> None:
    publish_document(
        dynamo_store, sample_document, actor="deploy:1", summary="v1", now=datetime(2026, 12, 1, tzinfo=UTC)
    )
    admin_handler.set_service(AdminService(dynamo_store, four_eyes=True, clock=lambda: NOW))
    editor = {"email": "eddie@example.com", "cognito:groups": "[trunkline-editor trunkline-lob-cards]"}
    publisher = {"email": "pat@example.com", "cognito:groups": "[trunkline-publisher]"}
    approver = {"email": "ann@example.com", "cognito:groups": "[trunkline-approver]"}

    def call(method: str, path: str, body: Any, claims: dict[str, Any]) -> tuple[int, Any]:
        event = rest_event(method, path, body=json.dumps(body) if body is not None else None, claims=claims)
        reply = admin_handler.lambda_handler(event, None)
        return reply["statusCode"], json.loads(reply["body"])

    try:
        draft = call("POST", "/drafts", None, editor)[1]["draft_id"]
        closure = [{"key": "severe_weather", "active": True, "message": "Storm.", "ends_at": "2026-12-04T01:00:00Z"}]
        edit = {"set": [{"path": "schedules[cards_hours].emergency_closures", "value": closure}]}
        assert call("PATCH", f"/drafts/{draft}", edit, editor)[0] == 200
        publish = {"base_version": "v000001", "reason": "storm"}
        assert call("POST", f"/drafts/{draft}/publish", publish, publisher)[0] == 202
        assert call("POST", f"/drafts/{draft}/approve", {"reason": "ok"}, approver)[0] == 200
        status, body = call("POST", f"/drafts/{draft}/publish", publish, publisher)
        assert (status, body["version"]) == (200, "v000002")
        status, body = call("GET", "/status", None, editor)
        cards = next(r for r in body["lines_of_business"] if r["line_of_business"] == "cards")
        assert (cards["state"], cards["message"]) == ("emergency", "Storm.")
        record = dynamo_store.list_audit(1)[0]
        assert (record.actor, record.verified) == ("pat@example.com", True)
        assert dynamo_store.get_draft(draft).state == "published"  # type: ignore[union-attr]
    finally:
        admin_handler.set_service(None)
