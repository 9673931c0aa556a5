"""Headless Chromium for the portal's browser tests: Debian's ``chromium`` + ``chromium-driver`` (``make
browser-deps``) driven by selenium; every test here is skipped, saying why, when any of them is missing."""

from __future__ import annotations

import os
import secrets
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
SCREENSHOTS = Path(os.environ.get("TRUNKLINE_SCREENSHOTS") or ROOT / "test-output" / "screenshots")

BROWSER_MARKS = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None,
        reason="needs Debian's chromium and chromium-driver on PATH (`make browser-deps` installs them)",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium through Debian's chromedriver (never a downloaded driver)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1100"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@dataclass
class Portal:
    """The running local portal: its URL and the store behind it."""

    url: str
    store: Any  # routing.config.store.DynamoConfigStore over the server's embedded table


@contextmanager
def serve_portal(state: Path, *, four_eyes: bool = False) -> Iterator[Portal]:
    """``make portal``'s server (its handler, dev tokens, the admin service, the embedded store seeded from
    ``config/``) on a free port, in this process; threads so the browser's parallel requests do not queue."""
    import admin.handler as admin_handler

    from routing.admin.service import AdminService
    from routing.config.loader import load_directory
    from routing.config.publishing import publish_document
    from routing.config.store import DynamoConfigStore
    from trunkline.embedded import embedded_dynamodb, save_state
    from trunkline.portal_server import DevTokens, PortalHandler

    with embedded_dynamodb(state) as table:
        store = DynamoConfigStore(table, region="us-east-1")
        loaded = load_directory(ROOT / "config")
        assert loaded.document is not None
        publish_document(store, loaded.document, actor="portal-dev:seed", summary="seeded from config/")
        admin_handler.set_service(AdminService(store, four_eyes=four_eyes, regions=("local",)))
        save = staticmethod(lambda: save_state(state, table))  # as `make portal`: the file saved after each write
        handler = type("Handler", (PortalHandler,), {"tokens": DevTokens(secrets.token_bytes(32)), "after_write": save})
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        try:
            yield Portal(f"http://127.0.0.1:{httpd.server_address[1]}/", store)
        finally:
            httpd.shutdown()
            httpd.server_close()
            admin_handler.set_service(None)
