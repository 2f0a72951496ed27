"""The execution consumer: runs test runs (web through Playwright, mobile through Appium, API
through httpx) and reports every case as events."""
