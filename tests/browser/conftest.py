"""On a failed browser test, screenshot every page it still has open (artifacts/browser/FAILED-*.png)."""

from __future__ import annotations

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    pages = getattr(item.module, "OPEN_PAGES", [])
    if report.when != "call" or not report.failed:
        return
    for i, page in enumerate(p for p in pages if not p.is_closed()):
        try:
            page.screenshot(path=str(item.module.ARTIFACTS / f"FAILED-{item.name}-{i}.png"))
        except Exception:  # the evidence is best effort; the failure itself is already reported
            pass
