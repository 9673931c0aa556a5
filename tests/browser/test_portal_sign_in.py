"""The production sign-in of the portal (api.js) in a real browser, against a stand-in for Cognito's hosted UI:
authorization code + PKCE S256 (the token endpoint checks the verifier against the challenge), the state checked,
the code gone from the address bar, the ID token sent as API Gateway's authorizer expects it, and no dev sign-in
offered when ``config.json`` names a hosted UI."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.browser.conftest import BROWSER_MARKS, SCREENSHOTS

pytestmark = BROWSER_MARKS
pytest.importorskip("selenium.webdriver", reason="selenium is not installed (requirements-dev.txt)")
PORTAL = Path(__file__).resolve().parents[2] / "portal"
CLIENT_ID = "portal-client"


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


ID_TOKEN = (
    ".".join(
        _b64url(json.dumps(part).encode())
        for part in ({"alg": "none"}, {"email": "ops@example.com", "cognito:groups": ["trunkline-viewer"]})
    )
    + "."
    + _b64url(b"signature")
)


class FakeCognito(BaseHTTPRequestHandler):
    """Serves the portal with a production config.json, the hosted UI's authorize and token endpoints, and two API
    routes; records what the page sent."""

    seen: ClassVar[dict[str, Any]] = {}

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(
        self, status: int, body: bytes, kind: str = "application/json", headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _base(self) -> str:
        return f"http://{self.headers['Host']}"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/config.json":
            base = self._base()
            config = {"hosted_ui": base, "client_id": CLIENT_ID, "redirect_uri": f"{base}/", "api_url": f"{base}/v1/"}
            self._send(200, json.dumps(config).encode())
        elif url.path == "/oauth2/authorize":
            self.seen["authorize"] = query
            back = f"{query['redirect_uri']}?{urlencode({'code': 'the-code', 'state': query['state']})}"
            self._send(302, b"", headers={"Location": back})
        elif url.path.startswith("/v1/"):
            self.seen.setdefault("authorization", []).append(self.headers.get("Authorization"))
            if self.headers.get("Authorization") != ID_TOKEN:
                self._send(401, json.dumps({"message": "Unauthorized"}).encode())
            elif url.path == "/v1/me":
                self._send(
                    200, json.dumps({"user": "ops@example.com", "roles": ["viewer"], "lines_of_business": []}).encode()
                )
            else:
                status = {"active_version": "v000007", "at": "2026-12-04T12:00:00Z", "lines_of_business": []}
                self._send(200, json.dumps(status).encode())
        else:
            target = (PORTAL / (url.path.lstrip("/") or "index.html")).resolve()
            if not target.is_relative_to(PORTAL) or not target.is_file():
                self._send(404, b"{}")
                return
            kind = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}.get(target.suffix, "text/plain")
            self._send(200, target.read_bytes(), kind)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if self.path != "/oauth2/token":
            self._send(404, b"{}")
            return
        self.seen["token"] = form
        challenge = self.seen.get("authorize", {}).get("code_challenge")
        verifier = form.get("code_verifier", "")
        valid = (
            form.get("grant_type") == "authorization_code"
            and form.get("code") == "the-code"
            and form.get("client_id") == CLIENT_ID
            and _b64url(hashlib.sha256(verifier.encode()).digest()) == challenge
        )
        if not valid:
            self._send(400, json.dumps({"error": "invalid_grant"}).encode())
            return
        tokens = {"id_token": ID_TOKEN, "access_token": "access", "refresh_token": "refresh", "expires_in": 900}
        self._send(200, json.dumps(tokens).encode())


@pytest.fixture(scope="module")
def hosted() -> Iterator[str]:
    FakeCognito.seen.clear()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeCognito)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_hosted_ui_sign_in_uses_code_and_pkce(hosted: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 15)
    browser.get(hosted)
    browser.execute_script("sessionStorage.clear()")
    browser.get(hosted)
    wait.until(ec.element_to_be_clickable((By.ID, "signin")))
    assert not browser.find_elements(By.ID, "signin-editor")  # no dev sign-in where a hosted UI is configured
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "hosted-sign-in.png"))
    browser.find_element(By.ID, "signin").click()
    wait.until(lambda d: "ops@example.com" in d.find_element(By.ID, "who").text)
    wait.until(lambda d: d.find_element(By.ID, "main").get_attribute("data-page") == "status")

    authorize = FakeCognito.seen["authorize"]
    assert authorize["response_type"] == "code"
    assert authorize["code_challenge_method"] == "S256"
    assert authorize["client_id"] == CLIENT_ID
    assert authorize["redirect_uri"] == hosted
    assert set(authorize["scope"].split()) == {"openid", "email", "profile"}
    assert 43 <= len(FakeCognito.seen["token"]["code_verifier"]) <= 128  # RFC 7636
    assert "code=" not in browser.current_url  # the code never stays in the address bar
    assert FakeCognito.seen["authorization"]  # the API was called ...
    assert set(FakeCognito.seen["authorization"]) == {ID_TOKEN}  # ... with the raw ID token (the authorizer's form)
    assert browser.execute_script("return sessionStorage.getItem('trunkline.pkce')") is None
    assert browser.execute_script("return localStorage.length") == 0
