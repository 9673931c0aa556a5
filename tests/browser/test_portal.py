"""The portal in a real browser (issue 13): headless Chromium (Debian's ``chromium`` + ``chromium-driver``) drives
``make portal``'s server — the real admin handler over the embedded store — through the closure scenario, and the
route function decides on the same store: sign in as editor, switch a closure on with a message, publish as
publisher, the status board shows the line in emergency and ``route`` answers EMERGENCY, roll back, open again.

A screenshot of every page lands in ``test-output/screenshots/`` (or ``$TRUNKLINE_SCREENSHOTS``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.browser.conftest import BROWSER_MARKS, SCREENSHOTS, Portal, serve_portal

LINE, SCHEDULE, CLOSURE = "cards", "cards_hours", "severe_weather"
CARDS_MAIN = "+18005550100"  # config/entry_points.yaml: cards_main
MESSAGE = "Browser test: the cards centre is closed because of a storm."
pytestmark = BROWSER_MARKS
pytest.importorskip("selenium.webdriver", reason="selenium is not installed (requirements-dev.txt)")

from selenium.webdriver.common.by import By  # noqa: E402 — after the skip above
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402

from tests.browser.steps import Steps  # noqa: E402


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """``make portal``'s server on a free port, in this process (the route function reads the very same store)."""
    with serve_portal(tmp_path_factory.mktemp("portal") / "store.json") as running:
        yield running


def route_status(store: Any) -> str:
    """What the route function answers now for a call to the cards main number, on the portal's store."""
    from routing.config.cache import ConfigCache
    from routing.route.service import RouteService

    event = {
        "Name": "ContactFlowEvent",
        "Details": {
            "ContactData": {
                "Attributes": {},
                "Channel": "VOICE",
                "ContactId": "00000000-0000-4000-8000-00000000b0b0",
                "InitiationMethod": "INBOUND",
                "InstanceARN": "arn:aws:connect:us-east-1:111122223333:instance/5f7c9b1e-0d3a-4a8e-9c1f-2b6d8e4a7c10",
                "CustomerEndpoint": {"Address": "+16465558766", "Type": "TELEPHONE_NUMBER"},
                "SystemEndpoint": {"Address": CARDS_MAIN, "Type": "TELEPHONE_NUMBER"},
            },
            "Parameters": {},
        },
    }
    service = RouteService(
        ConfigCache(store, refresh_seconds=30), default_queue_id="59377141-43ff-5bfc-a267-5baa5a4b5551"
    )
    reply = service.route(event)
    assert reply["line_of_business"] == LINE
    return str(reply["status"])


def test_closure_on_publish_emergency_rollback_open(portal: Portal, browser: Any) -> None:
    s = Steps(browser, portal.url)
    browser.get(portal.url)
    s.wait.until(ec.element_to_be_clickable((By.ID, "signin-editor")))
    s.shot("sign-in")
    assert route_status(portal.store) != "EMERGENCY"

    # Editor: the board, then the closure switched on with a message, into a draft.
    s.sign_in("editor")
    assert s.state_of(LINE) != "emergency"
    s.shot("status-before")
    s.page("closures")
    message = browser.find_element(By.ID, f"msg-{SCHEDULE}-{CLOSURE}")
    message.clear()
    message.send_keys(MESSAGE)
    # The automatic end: tomorrow, in the browser's local time (a datetime-local input).
    ends = (datetime.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    browser.execute_script(
        "arguments[0].value = arguments[1]",
        browser.find_element(By.ID, f"ends-{SCHEDULE}-{CLOSURE}"),
        ends.strftime("%Y-%m-%dT%H:%M"),
    )
    browser.find_element(By.ID, f"on-{SCHEDULE}-{CLOSURE}").click()
    s.wait.until(ec.element_to_be_clickable((By.ID, f"off-{SCHEDULE}-{CLOSURE}")))
    assert "Saved to draft" in s.notice()
    s.shot("closures-switched-on")
    draft_id = browser.execute_script("return JSON.parse(sessionStorage.getItem('trunkline.draft')).draft_id")
    for name in ("hours", "queues", "callbacks"):
        s.page(name)
        s.shot(name)
    s.page("simulate")
    browser.find_element(By.ID, "sim-run").click()
    s.wait.until(ec.presence_of_element_located((By.ID, "sim-status")))
    assert browser.find_element(By.ID, "sim-status").text == "EMERGENCY"  # the draft, simulated
    s.shot("test-a-contact")
    s.page("review")
    assert CLOSURE in browser.find_element(By.ID, "main").text  # the per-field diff names the closure
    assert not browser.find_elements(By.ID, "publish")  # an editor cannot publish
    s.shot("review-as-editor")
    assert route_status(portal.store) != "EMERGENCY"  # a draft changes nothing for callers

    # Publisher: open the editor's draft, publish with a reason.
    s.sign_in("publisher")
    s.page("review")
    field = browser.find_element(By.ID, "draft-id")
    field.clear()
    field.send_keys(draft_id)
    field.submit()
    s.wait.until(ec.element_to_be_clickable((By.ID, "publish")))
    browser.find_element(By.ID, "publish-reason").send_keys("storm closure")
    s.shot("review-as-publisher")
    browser.find_element(By.ID, "publish").click()
    s.wait.until(lambda d: d.find_element(By.ID, "main").get_attribute("data-page") == "status")
    s.wait.until(lambda d: d.find_element(By.ID, f"state-{LINE}").get_attribute("data-state") == "emergency")
    assert MESSAGE in browser.find_element(By.ID, "main").text
    until = browser.find_element(By.CSS_SELECTOR, f"#until-{LINE} time").get_attribute("datetime")
    assert datetime.fromisoformat(until).astimezone().replace(tzinfo=None) == ends  # the end time, round trip
    s.shot("status-emergency")
    assert route_status(portal.store) == "EMERGENCY"

    # Roll back to the seeded version by name, with a reason.
    s.page("history")
    s.shot("history")
    browser.find_element(By.CSS_SELECTOR, "button[data-version='v000001']").click()
    s.wait.until(ec.element_to_be_clickable((By.ID, "rollback")))
    browser.find_element(By.ID, "rollback-reason").send_keys("storm over")
    s.shot("history-rollback")
    browser.find_element(By.ID, "rollback").click()
    s.wait.until(lambda d: d.find_element(By.ID, "main").get_attribute("data-page") == "status")
    s.wait.until(lambda d: d.find_element(By.ID, f"state-{LINE}").get_attribute("data-state") != "emergency")
    s.shot("status-after-rollback")
    assert route_status(portal.store) != "EMERGENCY"

    # The audit log: who did what, from the verified sign-in.
    s.page("audit")
    text = browser.find_element(By.ID, "main").text
    assert "publisher@dev.local" in text
    s.shot("audit")
    assert len(list(SCREENSHOTS.glob("[0-9][0-9]-*.png"))) == s.count
