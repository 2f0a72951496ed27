"""Which Chromium to launch, and how: a configured executable, else a system one (Debian's
`chromium`), else Playwright's own download. Shared by the web runner and app exploration."""

import shutil

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def system_chromium(configured: str | None) -> str | None:
    """A configured executable, else a system Chromium if there is one; None = Playwright's own."""
    if configured:
        return configured
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None
