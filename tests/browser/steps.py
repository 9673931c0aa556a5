"""Browser steps shared by the portal tests: navigate, sign in as a dev role, wait, screenshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import SCREENSHOTS


class Steps:
    """The browser, a wait, and a numbered screenshot per page."""

    def __init__(self, driver: Any, url: str, prefix: str = "") -> None:
        self.driver, self.url, self.count, self.prefix = driver, url, 0, prefix
        self.wait = WebDriverWait(driver, 15)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for old in SCREENSHOTS.glob(f"{prefix}[0-9][0-9]-*.png"):
            old.unlink()

    def shot(self, name: str) -> Path:
        self.count += 1
        path = SCREENSHOTS / f"{self.prefix}{self.count:02d}-{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def page(self, name: str) -> None:
        """Open ``#name`` and wait until the page module has rendered."""
        self.driver.execute_script(
            "document.getElementById('main').removeAttribute('data-page');"
            "if (location.hash === '#' + arguments[0]) window.dispatchEvent(new HashChangeEvent('hashchange'));"
            "else location.hash = arguments[0];",
            name,
        )
        try:
            self.wait.until(lambda d: d.find_element(By.ID, "main").get_attribute("data-page") == name)
        except Exception as exc:  # say what the page shows instead
            self.shot(f"failed-{name}")
            main = self.driver.find_element(By.ID, "main").text[:500]
            raise AssertionError(f"#{name} did not render; notice {self.notice()!r}; page: {main!r}") from exc

    def sign_in(self, role: str) -> None:
        self.driver.get(self.url)
        self.driver.execute_script("sessionStorage.clear()")
        self.driver.get(self.url)
        self.wait.until(ec.element_to_be_clickable((By.ID, f"signin-{role}"))).click()
        self.wait.until(lambda d: role in d.find_element(By.ID, "who").text)

    def state_of(self, line: str) -> str:
        self.page("status")
        return str(self.driver.find_element(By.ID, f"state-{line}").get_attribute("data-state"))

    def notice(self) -> str:
        return str(self.driver.find_element(By.ID, "notice").text)
