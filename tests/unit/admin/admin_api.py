"""Admin API test helpers: call the real handler as API Gateway would, one user per role."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import admin.handler as admin_handler

from routing.admin.service import AdminService
from routing.config.memory_store import InMemoryConfigStore
from trunkline.portal_server import rest_event

# Thursday 2026-12-03 15:00 New York: cards (08:00-20:00) is open.
NOW = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)
USERS: dict[str, dict[str, Any]] = {
    "viewer": {"email": "vera@example.com", "cognito:groups": ["trunkline-viewer"]},
    "editor": {"email": "eddie@example.com", "cognito:groups": ["trunkline-editor", "trunkline-lob-cards"]},
    "publisher": {"email": "pat@example.com", "cognito:groups": ["trunkline-publisher"]},
    "approver": {"email": "ann@example.com", "cognito:groups": ["trunkline-approver"]},
}
ROLES = tuple(USERS)


@dataclass
class Api:
    """Calls the handler as API Gateway would; ``as_`` picks the caller."""

    store: InMemoryConfigStore
    service: AdminService

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        claims: dict[str, Any] | None = None,
        query: dict[str, str] | None = None,
        raw: str | None = None,
    ) -> tuple[int, Any]:
        text = raw if raw is not None else (json.dumps(body) if body is not None else None)
        reply = admin_handler.lambda_handler(rest_event(method, path, body=text, query=query, claims=claims), None)
        return int(reply["statusCode"]), json.loads(reply["body"]) if reply.get("body") else None

    def as_(self, role: str) -> Callable[..., tuple[int, Any]]:
        def call(method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
            return self.call(method, path, body, claims=USERS[role], **kw)

        return call

    def snapshot(self) -> Any:
        """Everything a request could write: a refusal must leave it equal."""
        s = self.store
        return (
            s.pointer,
            dict(s.catalog),
            list(s.audit),
            {k: v[0] for k, v in s.drafts.items()},
            copy.deepcopy(s.approvals),
        )
