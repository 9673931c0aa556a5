"""Cognito pre-token-generation trigger (V1_0): the corporate identity provider's groups become the token's
``cognito:groups``, so API Gateway's user-pool authorizer hands the admin API verified roles (docs/design/admin.md).

The provider's groups arrive in the user attribute ``custom:idp_groups`` (the pool's attribute mapping, refreshed at
every federated sign-in). Each name is mapped through ``ADMIN_GROUP_MAP`` (JSON; unmapped names pass through) and
only ``trunkline-*`` names survive: a provider group can never grant anything else. Any failure yields no groups,
which the API refuses (401/403): failing closed, never open.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

PREFIX = "trunkline-"
ATTRIBUTE = "custom:idp_groups"
MAX_GROUPS = 50  # far more than any person needs; bounds the token's size

logger = logging.getLogger()
_GROUP_MAP: dict[str, str] = json.loads(os.environ.get("ADMIN_GROUP_MAP") or "{}")


def parse_groups(raw: str) -> list[str]:
    """The names in Cognito's rendering of a multi-valued attribute: ``[a, b]`` (SAML), a JSON array (OIDC), or
    one bare name."""
    text = raw.strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            values = json.loads(text)
        except ValueError:
            values = text[1:-1].split(",")
    else:
        values = text.split(",")
    names = (str(v).strip().strip('"').strip() for v in values)
    return [name for name in names if name]


def trunkline_groups(raw: str, group_map: dict[str, str]) -> list[str]:
    """Map the provider's names and keep only ``trunkline-*`` ones, de-duplicated, in a stable order."""
    mapped = (group_map.get(name, name) for name in parse_groups(raw))
    return sorted({name for name in mapped if name.startswith(PREFIX)})[:MAX_GROUPS]


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:  # noqa: ARG001 — Lambda's signature
    """Override the token's groups with the provider's trunkline groups (the pool's own groups for native users)."""
    request = event.get("request") or {}
    raw = (request.get("userAttributes") or {}).get(ATTRIBUTE)
    if raw is None:
        return event  # a native Cognito user (non-production): keep the groups the pool assigned
    try:
        groups = trunkline_groups(str(raw), _GROUP_MAP)
    except Exception:  # fail closed: a token without groups carries no role
        logger.exception("could not read the identity provider's groups; issuing a token without groups")
        groups = []
    event.setdefault("response", {})["claimsOverrideDetails"] = {
        "groupOverrideDetails": {"groupsToOverride": groups},
    }
    return event
