"""``make portal``: the operations portal and the admin API on 127.0.0.1, over the embedded store. DEV ONLY.

Static files come from ``portal/``; ``/api/*`` becomes an API Gateway REST proxy event for the real admin handler
(``lambdas/admin/handler.py``). Sign-in is a dev stand-in for Cognito: ``/dev/login?role=editor`` mints a
short-lived HMAC-signed token for one built-in user per role (the key is random per server run), and this server
verifies it on every API call and puts its claims where API Gateway's authorizer would
(``requestContext.authorizer.claims``). An expired or tampered token is a 401. Production never runs this.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import mimetypes
import secrets
import signal
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
PORTAL_DIR = ROOT / "portal"
TOKEN_SECONDS = 15 * 60
COOKIE = "trunkline_dev_token"
MAX_BODY_BYTES = 64 * 1024
# One user per role; the editor is scoped to one line of business (``?lob=`` picks another).
DEV_USERS: dict[str, tuple[str, list[str]]] = {
    "viewer": ("viewer@dev.local", ["trunkline-viewer"]),
    "editor": ("editor@dev.local", ["trunkline-editor"]),
    "publisher": ("publisher@dev.local", ["trunkline-publisher", "trunkline-lob-all"]),
    "approver": ("approver@dev.local", ["trunkline-approver"]),
}
DEFAULT_EDITOR_LOB = "cards"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}
BANNER = """
################################################################################
#  DEV ONLY: Trunkline portal on http://{host}:{port}/  (embedded store)
#  Sign-in is a local stand-in for Cognito: GET /dev/login?role=viewer|editor|publisher|approver
#  Never expose this server: anyone who reaches it can sign in as any role.
################################################################################
"""


class TokenError(Exception):
    """The dev token is missing, malformed, tampered with or expired."""


@dataclass(frozen=True, slots=True)
class DevTokens:
    """Mints and verifies the dev tokens: ``base64url(claims).base64url(HMAC-SHA256(key, claims))``."""

    key: bytes
    lifetime_seconds: int = TOKEN_SECONDS

    def mint(self, role: str, *, lob: str = DEFAULT_EDITOR_LOB, now: float | None = None) -> tuple[str, dict[str, Any]]:
        """A token for the built-in user of ``role`` (``KeyError`` for an unknown role) and its claims."""
        user, groups = DEV_USERS[role]
        groups = [*groups, f"trunkline-lob-{lob}"] if role == "editor" else list(groups)
        issued = int(now if now is not None else time.time())
        claims = {
            "email": user,
            "cognito:username": user.split("@", 1)[0],
            "cognito:groups": groups,
            "iat": issued,
            "exp": issued + self.lifetime_seconds,
            "jti": uuid.uuid4().hex,
        }
        payload = _b64(json.dumps(claims, sort_keys=True).encode())
        return f"{payload}.{_b64(self._sign(payload))}", claims

    def verify(self, token: str, *, now: float | None = None) -> dict[str, Any]:
        """The claims of a valid token; ``TokenError`` otherwise."""
        payload, sep, signature = token.partition(".")
        if not sep or not payload or not signature:
            raise TokenError("malformed token")
        try:
            given = _unb64(signature)
            claims = json.loads(_unb64(payload))
        except (ValueError, json.JSONDecodeError):
            raise TokenError("malformed token") from None
        if not hmac.compare_digest(given, self._sign(payload)):
            raise TokenError("token signature does not verify")
        if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
            raise TokenError("token has no expiry")
        if claims["exp"] <= (now if now is not None else time.time()):
            raise TokenError("token expired: sign in again")
        return claims

    def _sign(self, payload: str) -> bytes:
        return hmac.new(self.key, payload.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def rest_event(
    method: str,
    path: str,
    *,
    body: str | None = None,
    query: Mapping[str, str] | None = None,
    claims: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event as the ``{proxy+}`` resource delivers it, claims from the authorizer."""
    context: dict[str, Any] = {
        "resourcePath": "/{proxy+}",
        "httpMethod": method,
        "path": path,
        "stage": "local",
        "requestId": uuid.uuid4().hex,
    }
    if claims is not None:
        # API Gateway's Cognito authorizer hands every claim as text (lists included).
        context["authorizer"] = {"claims": {k: _claim_text(v) for k, v in claims.items()}}
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": dict(headers or {"Content-Type": "application/json"}),
        "multiValueHeaders": {},
        "queryStringParameters": dict(query) if query else None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": False,
    }


def _claim_text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + " ".join(str(v) for v in value) + "]"
    return str(value)


class PortalHandler(BaseHTTPRequestHandler):
    """Static files, the dev sign-in, and /api/* through the admin handler."""

    tokens: DevTokens
    portal_dir: Path = PORTAL_DIR
    after_write: Callable[[], None] | None = None
    server_version = "trunkline-portal-dev"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: ARG002 - the base class's signature
        """Quiet by default: one line per request without query strings (they may carry values)."""
        print(f"{self.command} {urlsplit(self.path).path} {args[1] if len(args) > 1 else ''}")

    def do_GET(self) -> None:
        """Static files, /dev/login, /api/*."""
        self._dispatch()

    def do_POST(self) -> None:
        """/api/*."""
        self._dispatch()

    def do_PATCH(self) -> None:
        """/api/*."""
        self._dispatch()

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        if url.path.startswith("/api/"):
            self._api(url.path[len("/api") :], url.query)
        elif url.path == "/dev/login" and self.command == "GET":
            self._login(url.query)
        elif self.command == "GET":
            self._static(url.path)
        else:
            self._send(405, {"error": "method_not_allowed", "message": self.command, "details": []})

    def _send(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        sent = {"Content-Type": "application/json", **SECURITY_HEADERS, **(headers or {})}
        for name, value in sent.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _login(self, query: str) -> None:
        params = {k: v[0] for k, v in parse_qs(query).items()}
        role = params.get("role", "")
        if role not in DEV_USERS:
            self._send(400, {"error": "unknown_role", "message": f"role is one of {sorted(DEV_USERS)}", "details": []})
            return
        token, claims = self.tokens.mint(role, lob=params.get("lob") or DEFAULT_EDITOR_LOB)
        cookie = f"{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={self.tokens.lifetime_seconds}"
        body = {
            "token": token,
            "user": claims["email"],
            "groups": claims["cognito:groups"],
            "expires_at": claims["exp"],
        }
        self._send(200, body, {"Set-Cookie": cookie})

    def _token(self) -> str:
        auth = self.headers.get("Authorization") or ""
        if auth.startswith("Bearer "):
            return auth[len("Bearer ") :].strip()
        morsel = SimpleCookie(self.headers.get("Cookie") or "").get(COOKIE)
        return morsel.value if morsel else ""

    def _api(self, path: str, query: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send(413, {"error": "too_large", "message": f"body above {MAX_BODY_BYTES} bytes", "details": []})
            self.close_connection = True
            return
        body = self.rfile.read(length).decode("utf-8", "replace") if length else None
        try:
            claims: dict[str, Any] | None = self.tokens.verify(self._token())
        except TokenError as exc:
            self._send(401, {"error": "unauthenticated", "message": str(exc), "details": []})
            return
        from admin.handler import lambda_handler

        params = {k: v[0] for k, v in parse_qs(query).items()}
        event = rest_event(self.command, path, body=body, query=params or None, claims=claims)
        reply = lambda_handler(event, None)
        headers = {k: v for k, v in (reply.get("headers") or {}).items() if k.lower() != "content-length"}
        if self.command != "GET" and self.after_write is not None:
            self.after_write()  # saved before the reply: what the caller saw succeed survives a killed server
        self._send(int(reply["statusCode"]), (reply.get("body") or "").encode(), headers)

    def _static(self, path: str) -> None:
        root = self.portal_dir.resolve()
        target = (root / (path.lstrip("/") or "index.html")).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_relative_to(root) or not target.is_file():
            hint = "" if (root / "index.html").is_file() else " (portal/index.html does not exist yet)"
            self._send(404, {"error": "not_found", "message": f"{path} not found{hint}", "details": []})
            return
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        self._send(200, target.read_bytes(), {"Content-Type": kind})


def _interrupt(signum: int, frame: object) -> None:  # noqa: ARG001 - signal handler signature
    raise KeyboardInterrupt


def serve(host: str, port: int, config_dir: Path, state: Path) -> None:
    """Run until interrupted: the embedded store (seeded from ``config_dir`` when empty) and the admin handler."""
    import admin.handler as admin_handler

    from routing.admin.service import AdminService
    from routing.config.loader import load_directory
    from routing.config.publishing import publish_document
    from routing.config.store import DynamoConfigStore
    from trunkline.embedded import embedded_dynamodb, save_state

    with embedded_dynamodb(state) as table:
        store = DynamoConfigStore(table, region="us-east-1")
        if store.get_pointer() is None:
            loaded = load_directory(config_dir)
            if loaded.document is None:
                raise SystemExit(f"{config_dir} does not validate: {[str(i) for i in loaded.issues][:5]}")
            publish_document(store, loaded.document, actor="portal-dev:seed", summary="seeded from config/")
        admin_handler.set_service(AdminService(store, regions=("local",)))
        save = staticmethod(lambda: save_state(state, table))
        handler = type("Handler", (PortalHandler,), {"tokens": DevTokens(secrets.token_bytes(32)), "after_write": save})
        httpd = HTTPServer((host, port), handler)
        signal.signal(signal.SIGTERM, _interrupt)  # a plain kill still writes the embedded store's state back
        print(BANNER.format(host=host, port=httpd.server_address[1]), flush=True)
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second signal must not cut the state file's write
            httpd.server_close()
            admin_handler.set_service(None)


def main(argv: list[str] | None = None) -> int:
    """``python -m trunkline.portal_server [--port N]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", choices=("127.0.0.1", "localhost"), help="loopback only")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--config", default=str(ROOT / "config"), help="seeds an empty store")
    parser.add_argument("--state", default=".trunkline/portal-store.json", help="embedded store state file")
    args = parser.parse_args(argv)
    serve(args.host, args.port, Path(args.config), Path(args.state))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
