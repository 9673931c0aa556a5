"""The admin API's method table (docs/design/admin.md) and its access-log format: data only, read by
``stacks.constructs.admin`` and the infra tests."""

from __future__ import annotations

# The API of docs/design/admin.md: (path, method). Every one gets the authorizer; OPTIONS (CORS preflight) none.
ROUTES: tuple[tuple[str, str], ...] = (
    ("/me", "GET"),
    ("/status", "GET"),
    ("/versions", "GET"),
    ("/versions/{id}", "GET"),
    ("/diff", "GET"),
    ("/drafts", "POST"),
    ("/drafts/{id}", "GET"),
    ("/drafts/{id}", "PATCH"),
    ("/drafts/{id}/validate", "POST"),
    ("/drafts/{id}/publish", "POST"),
    ("/drafts/{id}/approve", "POST"),
    ("/simulate", "POST"),
    ("/rollback", "POST"),
    ("/audit", "GET"),
    ("/openapi.json", "GET"),
)
# The expensive ones (a whole-document validation, a simulated decision): a quarter of the stage's rate.
HEAVY_ROUTES = (("/drafts/{id}/validate", "POST"), ("/simulate", "POST"))
REQUIRED_QUERY = {("/diff", "GET"): ("from", "to")}

# One JSON line per request; the person is the token's ``sub`` (the audit trail has the e-mail), never a body.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "latencyMs": "$context.responseLatency",
    "sub": "$context.authorizer.claims.sub",
    "error": "$context.error.message",
    "wafStatus": "$context.waf.status",
}
