"""Debian's headless Chromium, driven by Playwright (its own browser download is not used)."""

import contextlib
import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# As this machine's network is closed, Chromium must not try to reach Google's services.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextlib.contextmanager
def chromium(*extra_args):
    """A headless Chromium for the ``with`` block; a missing one fails the test (no skip)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: make test installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*ARGS, *extra_args], headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def another(browser, *extra_args):
    """A second Chromium with other switches, from ``browser``'s Playwright (one runs at a time)."""
    other = browser.browser_type.launch(executable_path=CHROMIUM, args=[*ARGS, *extra_args], headless=True)
    try:
        yield other
    finally:
        other.close()


def media_watch(watch):
    """An init script (run before the page's own) that calls the JavaScript function
    ``watch`` with the page's <video> or <audio> as soon as the parser makes it: a page
    whose media loads with it can show its first frame before DOMContentLoaded."""
    return f"""(() => {{
  const watch = {watch};
  const observer = new MutationObserver(() => {{
    const media = document.querySelector("video, audio");
    if (media) {{
      observer.disconnect();
      watch(media);
    }}
  }});
  observer.observe(document, {{ childList: true, subtree: true }});
}})();"""
