"""One Chromium for the end-to-end tests of a module (Debian's, or Playwright's own)."""

import pytest

from cognitest.consumers.execution.web_runner import WebBrowsers
from tests.support.tools import ensure_chromium


@pytest.fixture(scope="module")
async def browser():  # type: ignore[no-untyped-def]
    ensure_chromium()
    browsers = WebBrowsers(None)
    yield await browsers.browser("chromium")
    await browsers.close()
