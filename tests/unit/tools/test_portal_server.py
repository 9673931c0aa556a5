"""The local portal server (DEV ONLY): dev tokens, the REST proxy events it builds, static files."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import HTTPServer
from pathlib import Path
from typing import Any

import admin.handler as admin_handler
import pytest

from routing.admin.service import AdminService
from routing.config.memory_store import InMemoryConfigStore
from routing.config.publishing import publish_document
from trunkline.portal_server import DevTokens, PortalHandler, TokenError

KEY = b"k" * 32
writes: list[int] = []  # after_write calls (the real server saves the embedded store's file there)


def test_a_minted_token_verifies_to_the_roles_claims() -> None:
    tokens = DevTokens(KEY)
    token, claims = tokens.mint("editor", lob="fraud", now=1_000)
    verified = tokens.verify(token, now=1_001)
    assert verified == claims
    assert verified["email"] == "editor@dev.local"
    assert verified["cognito:groups"] == ["trunkline-editor", "trunkline-lob-fraud"]
    assert verified["exp"] == 1_000 + 15 * 60


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), "signature"),
        (lambda t: t.split(".")[0][:-1] + "x." + t.split(".")[1], "malformed|signature"),
        (lambda t: t.replace(".", ""), "malformed"),
        (lambda _t: "", "malformed"),
    ],
    ids=["signature", "payload", "no-dot", "empty"],
)
def test_a_tampered_token_is_refused(mutate: Any, reason: str) -> None:
    tokens = DevTokens(KEY)
    token, _ = tokens.mint("publisher", now=1_000)
    with pytest.raises(TokenError, match=reason):
        tokens.verify(mutate(token), now=1_001)


def test_a_token_signed_with_another_key_or_expired_is_refused() -> None:
    token, _ = DevTokens(b"x" * 32).mint("publisher", now=1_000)
    with pytest.raises(TokenError, match="signature"):
        DevTokens(KEY).verify(token, now=1_001)
    mine, _ = DevTokens(KEY).mint("publisher", now=1_000)
    with pytest.raises(TokenError, match="expired"):
        DevTokens(KEY).verify(mine, now=1_000 + 15 * 60)


@pytest.fixture
def server(tmp_path: Path, sample_document: dict[str, Any]) -> Iterator[tuple[str, DevTokens]]:
    (tmp_path / "index.html").write_text("<h1>portal</h1>", encoding="utf-8")
    (tmp_path.parent / "secret.txt").write_text("no", encoding="utf-8")
    store = InMemoryConfigStore()
    publish_document(store, sample_document, actor="seed", summary="v1")
    admin_handler.set_service(AdminService(store))
    tokens = DevTokens(KEY)
    writes.clear()
    attrs = {"tokens": tokens, "portal_dir": tmp_path, "log_message": lambda *_a: None}
    handler = type("H", (PortalHandler,), {**attrs, "after_write": staticmethod(lambda: writes.append(1))})
    httpd = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", tokens
    finally:
        httpd.shutdown()
        httpd.server_close()
        admin_handler.set_service(None)


def fetch(url: str, *, token: str = "", data: bytes | None = None, method: str = "GET") -> tuple[int, bytes, Any]:
    request = urllib.request.Request(url, data=data, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.read(), reply.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers


def test_the_server_serves_the_portal_and_the_api(server: tuple[str, DevTokens]) -> None:
    base, _ = server
    status, body, headers = fetch(f"{base}/")
    assert (status, body) == (200, b"<h1>portal</h1>")
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, body, headers = fetch(f"{base}/dev/login?role=viewer")
    login = json.loads(body)
    assert status == 200
    assert "HttpOnly" in headers["Set-Cookie"]
    status, body, _ = fetch(f"{base}/api/me", token=login["token"])
    assert (status, json.loads(body)["user"]) == (200, "viewer@dev.local")
    status, body, _ = fetch(f"{base}/api/status", token=login["token"])
    assert json.loads(body)["active_version"] == "v000001"


def test_the_server_refuses_bad_tokens_big_bodies_and_paths_outside_the_portal(server: tuple[str, DevTokens]) -> None:
    base, tokens = server
    assert fetch(f"{base}/api/me")[0] == 401
    expired, _ = tokens.mint("editor", now=1_000)
    status, body, _ = fetch(f"{base}/api/me", token=expired)
    assert (status, json.loads(body)["error"]) == (401, "unauthenticated")
    editor, _ = tokens.mint("editor")
    status, _, _ = fetch(f"{base}/api/drafts", token=editor, data=b"x" * (64 * 1024 + 1), method="POST")
    assert status == 413
    assert writes == []
    assert fetch(f"{base}/api/drafts", token=editor, method="POST")[0] == 201
    assert writes == [1]  # a write request saves the state; reads do not
    assert fetch(f"{base}/../secret.txt")[0] == 404
    assert fetch(f"{base}/%2e%2e/secret.txt")[0] == 404
    assert fetch(f"{base}/dev/login?role=root")[0] == 400
