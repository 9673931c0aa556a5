"""Every endpoint by every role: allowed ones succeed, the others get 403 and write nothing; no identity is a 401."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.admin.admin_api import ROLES, Api

STORM = "schedules[cards_hours].emergency_closures"
CLOSURE_ON = [{"key": "severe_weather", "active": True, "message": "Closed for the storm."}]

# (name, method, path template, body, roles allowed). {d} is a draft made by the editor from the active version.
ENDPOINTS: list[tuple[str, str, str, Any, frozenset[str]]] = [
    ("me", "GET", "/me", None, frozenset(ROLES)),
    ("status", "GET", "/status", None, frozenset(ROLES)),
    ("versions", "GET", "/versions", None, frozenset(ROLES)),
    ("version", "GET", "/versions/v000001", None, frozenset(ROLES)),
    ("diff", "GET", "/diff?to={d}", None, frozenset(ROLES)),
    ("draft", "GET", "/drafts/{d}", None, frozenset(ROLES)),
    ("audit", "GET", "/audit", None, frozenset(ROLES)),
    ("openapi", "GET", "/openapi.json", None, frozenset(ROLES)),
    ("create draft", "POST", "/drafts", None, frozenset({"editor"})),
    ("edit draft", "PATCH", "/drafts/{d}", {"set": [{"path": STORM, "value": CLOSURE_ON}]}, frozenset({"editor"})),
    ("validate", "POST", "/drafts/{d}/validate", None, frozenset({"editor"})),
    (
        "simulate",
        "POST",
        "/simulate",
        {"contact": {"entry_point": "cards_main", "caller": "+12125550123"}},
        frozenset({"editor"}),
    ),
    ("publish", "POST", "/drafts/{d}/publish", {"base_version": "v000001", "reason": "r"}, frozenset({"publisher"})),
    ("approve", "POST", "/drafts/{d}/approve", {"reason": "ok"}, frozenset({"approver"})),
    ("rollback", "POST", "/rollback", {"version": "v000001", "reason": "r"}, frozenset({"publisher"})),
]
CASES = [(e, role) for e in ENDPOINTS for role in ROLES]


def _call(api: Api, draft_id: str, endpoint: tuple[str, str, str, Any, frozenset[str]], role: str) -> tuple[int, Any]:
    _, method, template, body, _ = endpoint
    path, _, query = template.format(d=draft_id).partition("?")
    params = dict(p.split("=", 1) for p in query.split("&")) if query else None
    return api.as_(role)(method, path, body, query=params)


def _prepare_rollback_target(api: Api, endpoint_name: str) -> None:
    """For rollback, v000001 must not be the active version: publish a v2 first (as the deploy would)."""
    if endpoint_name != "rollback":
        return
    from routing.config.publishing import publish_document
    from tests.conftest import changed_copy

    publish_document(api.store, changed_copy(api.store.load_document("v000001"), "v2"), actor="deploy:2", summary="v2")


@pytest.mark.parametrize(("endpoint", "role"), CASES, ids=[f"{e[0]}-{r}" for e, r in CASES])
def test_every_endpoint_for_every_role(
    api: Api, draft_id: str, endpoint: tuple[str, str, str, Any, frozenset[str]], role: str
) -> None:
    name, _, _, _, allowed = endpoint
    _prepare_rollback_target(api, name)
    before = api.snapshot()
    status, body = _call(api, draft_id, endpoint, role)
    if role in allowed:
        assert 200 <= status < 300, body
    else:
        assert status == 403, body
        assert body["error"] == "forbidden"
        assert role in body["message"] or "role" in body["message"]
        assert api.snapshot() == before  # nothing written


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
@pytest.mark.parametrize(
    "claims",
    [None, {"cognito:groups": ["trunkline-editor"]}, {"email": "x@example.com", "cognito:groups": ["other"]}],
    ids=["no-claims", "no-user", "no-trunkline-group"],
)
def test_no_verified_identity_is_refused(
    api: Api, draft_id: str, endpoint: tuple[str, str, str, Any, frozenset[str]], claims: dict[str, Any] | None
) -> None:
    _, method, template, body, _ = endpoint
    path = template.format(d=draft_id).partition("?")[0]
    before = api.snapshot()
    status, reply = api.call(method, path, body, claims=claims, query={"to": draft_id})
    assert status == (403 if claims and "email" in claims else 401)
    assert set(reply) == {"error", "message", "details"}
    assert api.snapshot() == before


def test_a_header_never_carries_identity(api: Api) -> None:
    headers_only = {"X-User": "admin@example.com", "X-Groups": "trunkline-publisher"}
    from admin.handler import lambda_handler

    from trunkline.portal_server import rest_event

    event = rest_event("POST", "/rollback", body='{"version":"v000001","reason":"r"}', headers=headers_only)
    assert lambda_handler(event, None)["statusCode"] == 401


def test_groups_as_the_rest_authorizer_sends_them(api: Api) -> None:
    # API Gateway's REST Cognito authorizer stringifies the groups list; every form is understood.
    for groups in ("[trunkline-viewer trunkline-lob-cards]", "trunkline-viewer,trunkline-lob-cards"):
        status, body = api.call("GET", "/me", claims={"cognito:username": "u1", "cognito:groups": groups})
        assert status == 200
        assert body == {"user": "u1", "roles": ["viewer"], "lines_of_business": ["cards"]}
