"""Four-eyes in the browser: with approval required, the publisher's first publish waits (202), an approver who is
not the author approves, and the publisher's next publish goes through."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import BROWSER_MARKS, Portal, serve_portal

pytestmark = BROWSER_MARKS
pytest.importorskip("selenium.webdriver", reason="selenium is not installed (requirements-dev.txt)")

from selenium.webdriver.common.by import By  # noqa: E402 — after the skip above
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402

from tests.browser.steps import Steps  # noqa: E402


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    with serve_portal(tmp_path_factory.mktemp("portal") / "store.json", four_eyes=True) as running:
        yield running


def _open_draft(s: Steps, draft_id: str) -> None:
    s.page("review")
    field = s.driver.find_element(By.ID, "draft-id")
    field.clear()
    field.send_keys(draft_id)
    field.submit()
    s.wait.until(lambda d: draft_id in d.find_element(By.ID, "main").text and d.find_elements(By.ID, "validate"))


def test_publish_waits_for_another_persons_approval(portal: Portal, browser: Any) -> None:
    s = Steps(browser, portal.url, prefix="four-eyes-")
    s.sign_in("editor")
    # Out of scope: cards_hours also serves a fraud queue, so a cards editor may not change its weekly hours.
    s.page("hours")
    browser.find_element(By.ID, "wk-cards_hours-sun").send_keys("10:00-14:00")
    browser.find_element(By.XPATH, "//button[normalize-space()='Save weekly hours']").click()
    s.wait.until(lambda _d: s.notice())
    assert s.notice().startswith("403 ")
    assert "outside editor@dev.local's scope" in s.notice()
    assert browser.execute_script("return sessionStorage.getItem('trunkline.draft')") is not None  # started, empty
    s.shot("out-of-scope")
    # In scope: a cards queue's capacity.
    s.page("queues")
    capacity = browser.find_element(By.ID, "cap-cards_general")
    capacity.clear()
    capacity.send_keys("275")
    browser.find_element(By.ID, "save-cap-cards_general").click()
    s.wait.until(lambda _d: "Saved to draft" in s.notice())
    draft_id = browser.execute_script("return JSON.parse(sessionStorage.getItem('trunkline.draft')).draft_id")

    s.sign_in("publisher")
    _open_draft(s, draft_id)
    browser.find_element(By.ID, "publish-reason").send_keys("Sunday opening")
    browser.find_element(By.ID, "publish").click()
    s.wait.until(lambda _d: "Waiting for approval" in s.notice())
    s.shot("publish-waits")
    assert portal.store.get_pointer().version_id == "v000001"  # nothing published yet

    s.sign_in("approver")
    _open_draft(s, draft_id)
    assert "queues[cards_general].capacity" in browser.find_element(By.ID, "main").text  # the per-field diff
    browser.find_element(By.ID, "publish-reason").send_keys("checked with the site lead")
    browser.find_element(By.ID, "approve").click()
    s.wait.until(lambda _d: "Approved" in s.notice())
    s.wait.until(ec.presence_of_element_located((By.ID, "approve")))
    s.shot("approved")

    s.sign_in("publisher")
    _open_draft(s, draft_id)
    browser.find_element(By.ID, "publish-reason").send_keys("Sunday opening")
    browser.find_element(By.ID, "publish").click()
    s.wait.until(lambda _d: "Published as version" in s.notice())
    assert portal.store.get_pointer().version_id == "v000002"
    s.shot("published")
