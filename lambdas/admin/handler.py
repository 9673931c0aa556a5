"""The ``admin`` Lambda: API Gateway REST proxy → Powertools resolver → ``routing.admin.service.AdminService``.

Thin: request models (pydantic, ``extra="forbid"``: an unknown field is a 422), identity from
``requestContext.authorizer.claims`` only (API Gateway's Cognito authorizer verified the token; a header never
carries identity), and one error shape ``{"error", "message", "details"}``. The OpenAPI document is generated
from the routes (GET /openapi.json). Contract: docs/design/admin.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from routing.admin.identity import AdminError, Identity, identity_from_claims
from routing.admin.service import AdminService
from routing.common.observability import logger

MAX_BODY_BYTES = 64 * 1024  # API Gateway allows 10 MB; nothing the admin API takes comes near 64 KB


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldSet(_Body):
    """One field to set: ``schedules[cards_hours].emergency_closures`` → its new value (null removes it)."""

    path: str = Field(min_length=3, max_length=300)
    value: Any = None


class DraftEdit(_Body):
    """PATCH /drafts/{id}: the fields to set, all or nothing; ``revision`` guards against a concurrent edit."""

    set: list[FieldSet] = Field(min_length=1, max_length=50)
    revision: int | None = Field(default=None, ge=1)


class SimulatedContact(_Body):
    """The contact to route: an entry point key (or a dialed number), the caller, channel and attributes."""

    entry_point: str | None = Field(default=None, max_length=128)
    dialed_number: str | None = Field(default=None, max_length=32)
    caller: str = Field(default="", max_length=32)
    channel: str = Field(default="VOICE", pattern=r"^(VOICE|CHAT|TASK|EMAIL)$")
    attributes: dict[str, str] = Field(default_factory=dict, max_length=100)


class SimulateRequest(_Body):
    """POST /simulate: which config (draft, version, else active), the contact, when, and the queue load."""

    draft_id: str | None = Field(default=None, max_length=64)
    version: str | None = Field(default=None, max_length=64)
    contact: SimulatedContact
    at: AwareDatetime | None = None
    metrics: dict[str, dict[str, float]] = Field(default_factory=dict, max_length=1000)


class PublishRequest(_Body):
    """POST /drafts/{id}/publish: the version the author started from, and why."""

    base_version: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)


class ApproveRequest(_Body):
    """POST /drafts/{id}/approve."""

    reason: str = Field(default="", max_length=500)


class RollbackRequest(_Body):
    """POST /rollback: to this named version (never "the previous one"), and why."""

    version: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)


app = APIGatewayRestResolver(enable_validation=True)
_service: AdminService | None = None
_portal_origin = ""  # CORS: set with the service (ADMIN_PORTAL_ORIGIN); preflight is API Gateway's (the CDK)


def build_service(env: Mapping[str, str] | None = None) -> AdminService:
    """Default dependencies, built once per cold start: settings and the config table."""
    from routing.common.settings import Settings
    from routing.config.store import DynamoConfigStore

    global _portal_origin  # noqa: PLW0603 - read once per cold start with the settings
    settings = Settings.from_env(env)
    _portal_origin = settings.admin_portal_origin
    store = DynamoConfigStore(settings.config_table_name, region=settings.aws_region or None)
    regions = settings.admin_regions or ((settings.aws_region,) if settings.aws_region else ())
    return AdminService(store, four_eyes=settings.admin_four_eyes, regions=regions)


def set_service(service: AdminService | None, *, portal_origin: str = "") -> None:
    """Inject a service (tests, the local portal server); None: build the default on the next request."""
    global _service, _portal_origin  # noqa: PLW0603 - one service per container, replaced by tests and the local server
    _service = service
    _portal_origin = portal_origin


def service() -> AdminService:
    """The service, built on first use."""
    global _service  # noqa: PLW0603
    if _service is None:
        _service = build_service()
    return _service


def caller() -> Identity:
    """The verified caller: claims put there by API Gateway's authorizer (or the local dev verifier), only."""
    context = app.current_event.raw_event.get("requestContext") or {}
    claims = (context.get("authorizer") or {}).get("claims") if isinstance(context, dict) else None
    return identity_from_claims(claims)


def _json(status: int, body: Any) -> Response[str]:
    return Response(status, "application/json", json.dumps(body, default=str))


def _error(status: int, code: str, message: str, details: list[Any] | None = None) -> Response[str]:
    return _json(status, {"error": code, "message": message, "details": details or []})


def _refused(exc: AdminError) -> Response[str]:
    logger.info("admin refusal", extra={"status": exc.status, "code": exc.code})
    return _error(exc.status, exc.code, exc.message, exc.details)


def _invalid(exc: RequestValidationError) -> Response[str]:
    details = [
        {"path": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "reason": e.get("msg", "")}
        for e in exc.errors()
    ]
    return _error(422, "invalid_request", "the request does not match the API (see details)", details)


# Registered by call: the decorators are untyped, and mypy --strict would make the functions untyped too.
app.exception_handler(AdminError)(_refused)
app.exception_handler(RequestValidationError)(_invalid)


@app.not_found
def _not_found(_: Exception) -> Response[str]:
    return _error(404, "not_found", "no such endpoint")


@app.get("/openapi.json")
def openapi() -> Response[str]:
    """The OpenAPI document, generated from these routes."""
    caller()
    return Response(200, "application/json", app.get_openapi_json_schema(title="Trunkline admin API"))


@app.get("/me")
def me() -> Response[str]:
    """User, roles and lines of business in scope."""
    return _json(200, service().me(caller()))


@app.get("/status")
def status() -> Response[str]:
    """Active version; per line of business: open/closed/emergency now and why."""
    return _json(200, service().status(caller()))


@app.get("/versions")
def versions() -> Response[str]:
    """Every version, newest first."""
    return _json(200, service().versions(caller()))


@app.get("/versions/<version_id>")
def version(version_id: str) -> Response[str]:
    """One version with its document."""
    return _json(200, service().version(caller(), version_id))


@app.get("/diff")
def diff(
    to: Annotated[str, Query(min_length=1, max_length=64)],
    from_: Annotated[str | None, Query(alias="from", max_length=64)] = None,
) -> Response[str]:
    """Per-item per-field changes between two versions, or a draft and its base."""
    return _json(200, service().diff(caller(), from_, to))


@app.post("/drafts")
def create_draft() -> Response[str]:
    """A new draft from the active version."""
    return _json(201, service().create_draft(caller()))


@app.get("/drafts/<draft_id>")
def get_draft(draft_id: str) -> Response[str]:
    """The draft, its author, base version, state and approvals."""
    return _json(200, service().get_draft(caller(), draft_id))


@app.patch("/drafts/<draft_id>")
def edit_draft(draft_id: str, body: DraftEdit) -> Response[str]:
    """Set operations-owned fields of lines of business in scope."""
    sets = [(s.path, s.value) for s in body.set]
    return _json(200, service().edit_draft(caller(), draft_id, sets, body.revision))


@app.post("/drafts/<draft_id>/validate")
def validate_draft(draft_id: str) -> Response[str]:
    """Every error, with keyed paths."""
    return _json(200, service().validate_draft(caller(), draft_id))


@app.post("/simulate")
def simulate(body: SimulateRequest) -> Response[str]:
    """Route a described contact at a chosen time and queue load."""
    return _json(200, service().simulate(caller(), body.model_dump()))


@app.post("/drafts/<draft_id>/publish")
def publish(draft_id: str, body: PublishRequest) -> Response[str]:
    """Publish if the active version is still the base; 202 while four-eyes approval is missing."""
    code, out = service().publish(caller(), draft_id, body.base_version, body.reason)
    return _json(code, out)


@app.post("/drafts/<draft_id>/approve")
def approve(draft_id: str, body: ApproveRequest) -> Response[str]:
    """Four-eyes approval by someone other than the author."""
    return _json(200, service().approve(caller(), draft_id, body.reason))


@app.post("/rollback")
def rollback(body: RollbackRequest) -> Response[str]:
    """Roll back to a named version."""
    return _json(200, service().rollback(caller(), body.version, body.reason))


@app.get("/audit")
def audit(limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Response[str]:
    """Who, when, why, action, versions, before/after per field."""
    return _json(200, service().audit(caller(), limit))


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Entry point. An oversized body is refused before anything parses it."""
    body = event.get("body") if isinstance(event, dict) else None
    if isinstance(body, str) and len(body.encode()) > MAX_BODY_BYTES:
        return {
            "statusCode": 413,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"error": "too_large", "message": f"body above {MAX_BODY_BYTES} bytes", "details": []}),
        }
    service()  # built before the first reply, so the CORS origin is known
    return _with_cors(app.resolve(event, context), event)


def _with_cors(reply: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """Allow the portal's origin, and only it (a proxy integration's replies carry their own CORS headers)."""
    headers = event.get("headers") if isinstance(event, dict) else None
    origin = next((v for k, v in (headers or {}).items() if k.lower() == "origin"), None)
    if _portal_origin and origin == _portal_origin:
        reply.setdefault("headers", {}).update({"Access-Control-Allow-Origin": origin, "Vary": "Origin"})
    return reply
