"""Mobile steps through appium-python-client against an Appium server (URL and capabilities
from the run's environment). The client is synchronous, so each step runs in a thread."""

import asyncio
from typing import Any

from cognitest.consumers.execution.api_runner import StepFailed
from cognitest.consumers.execution.variables import render


def _by(target: dict[str, Any]) -> tuple[str, str]:
    from appium.webdriver.common.appiumby import AppiumBy

    if target.get("accessibility_id"):
        return AppiumBy.ACCESSIBILITY_ID, target["accessibility_id"]
    if target.get("test_id"):
        return AppiumBy.ID, target["test_id"]
    if target.get("xpath"):
        return AppiumBy.XPATH, target["xpath"]
    if target.get("text"):
        return AppiumBy.XPATH, f"//*[text()={target['text']!r}]"
    if target.get("css"):
        return AppiumBy.CSS_SELECTOR, target["css"]
    raise StepFailed(f"a mobile step cannot use target {target}")


class MobileCase:
    def __init__(self, driver: Any, variables: dict[str, Any]) -> None:
        self.driver = driver
        self.variables = variables

    @classmethod
    async def open(cls, server_url: str, capabilities: dict[str, Any], variables: dict[str, Any]) -> "MobileCase":
        from appium import webdriver
        from appium.options.common import AppiumOptions

        def connect() -> Any:
            options = AppiumOptions()
            options.load_capabilities(capabilities)
            return webdriver.Remote(server_url, options=options)

        try:
            driver = await asyncio.to_thread(connect)
        except Exception as exc:  # noqa: BLE001  server away or capabilities refused
            raise StepFailed(f"cannot start a session on {server_url}: {str(exc).splitlines()[0]}") from None
        return cls(driver, variables)

    def _element(self, step: dict[str, Any]) -> Any:
        by, value = _by(render(step["target"], self.variables))
        try:
            return self.driver.find_element(by, value)
        except Exception:  # noqa: BLE001  NoSuchElement and friends
            raise StepFailed(f"no element {by}={value!r}") from None

    def _run(self, step: dict[str, Any]) -> None:
        a = step["action"]
        if a in ("tap", "click"):
            self._element(step).click()
        elif a in ("type", "fill"):
            self._element(step).send_keys(str(render(step.get("text", step.get("value", "")), self.variables)))
        elif a == "back":
            self.driver.back()
        elif a == "swipe":
            self.driver.execute_script("mobile: swipe", {"direction": step["direction"]})
        elif a == "expect_text":
            text = str(render(step["text"], self.variables))
            actual = self._element(step).text if step.get("target") else self.driver.page_source
            if text not in (actual or ""):
                raise StepFailed(f"expected text {text!r}, found {actual[:200]!r}")
        elif a == "expect_visible":
            if not self._element(step).is_displayed():
                raise StepFailed("the element is not visible")
        elif a == "expect_value":
            value = self._element(step).get_attribute("value") or self._element(step).text
            if value != str(render(step["value"], self.variables)):
                raise StepFailed(f"value is {value!r}")
        elif a == "set_var":
            self.variables[step["name"]] = render(step["value"], self.variables)
        else:
            raise StepFailed(f"{a} is not a mobile step")

    async def run(self, step: dict[str, Any]) -> None:
        await asyncio.to_thread(self._run, step)

    async def close(self) -> None:
        try:
            await asyncio.to_thread(self.driver.quit)
        except Exception:  # noqa: BLE001  the session may be gone already
            pass
