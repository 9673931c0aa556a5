"""Who is calling the admin API: identity and roles from the verified token's claims, never from a header.

API Gateway's Cognito authorizer has verified the token (signature, expiry, audience) before the function runs
and puts its claims in ``requestContext.authorizer.claims``; locally, ``trunkline.portal_server`` verifies its own
dev tokens and puts the claims in the same place. Groups (federated from the corporate provider) give roles.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

ROLES = ("viewer", "editor", "publisher", "approver")
GROUP_PREFIX = "trunkline-"
LOB_GROUP_PREFIX = "trunkline-lob-"
ALL_LINES = "all"


class AdminError(Exception):
    """A refusal the caller can act on: HTTP status, a stable code, the reason, and details.

    Raised by ``AdminService`` and turned into ``{"error", "message", "details"}`` at the handler: the one boundary
    where a refusal becomes a response (a value would have to be checked at every one of a dozen call sites)."""

    def __init__(self, status: int, code: str, message: str, details: list[object] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []


@dataclass(frozen=True, slots=True)
class Identity:
    """The caller: ``user`` (email, else username) for the audit trail, roles, and lines of business in scope."""

    user: str
    roles: frozenset[str]
    lines_of_business: frozenset[str]  # {"all"}: every line

    def has(self, role: str) -> bool:
        """Whether the caller holds ``role`` (every role includes viewer)."""
        return role in self.roles or (role == "viewer" and bool(self.roles))

    def in_scope(self, line: str | None) -> bool:
        """Whether the caller may change line of business ``line`` (None: shared, needs every line)."""
        if ALL_LINES in self.lines_of_business:
            return True
        return line is not None and line in self.lines_of_business


def _groups(raw: object) -> list[str]:
    """``cognito:groups`` arrives as a list, or (REST API authorizer) as text: ``[a, b]``, ``a,b`` or ``a b``."""
    if isinstance(raw, list | tuple):
        return [str(g) for g in raw]
    if isinstance(raw, str):
        return [g for g in re.split(r"[\s,]+", raw.strip().strip("[]")) if g]
    return []


def identity_from_claims(claims: object) -> Identity:
    """The caller from verified claims; 401 without a user, 403 without any Trunkline role."""
    if not isinstance(claims, Mapping):
        raise AdminError(401, "unauthenticated", "no verified identity on the request")
    user = str(claims.get("email") or claims.get("cognito:username") or "").strip()
    if not user:
        raise AdminError(401, "unauthenticated", "the token names no user (email or cognito:username)")
    roles: set[str] = set()
    lines: set[str] = set()
    for group in _groups(claims.get("cognito:groups")):
        if group.startswith(LOB_GROUP_PREFIX):
            lines.add(group[len(LOB_GROUP_PREFIX) :])
        elif group.startswith(GROUP_PREFIX) and group[len(GROUP_PREFIX) :] in ROLES:
            roles.add(group[len(GROUP_PREFIX) :])
    if not roles:
        raise AdminError(403, "forbidden", f"{user} holds no Trunkline role (groups {GROUP_PREFIX}<role>)")
    return Identity(user, frozenset(roles), frozenset(lines))


def require(identity: Identity, role: str) -> None:
    """403 unless the caller holds ``role``."""
    if not identity.has(role):
        raise AdminError(403, "forbidden", f"this needs the {role} role; {identity.user} has {sorted(identity.roles)}")
