"""The household history, opened: every operation's table of changes passes axe."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import COORDINATOR, LiveServer, sign_in
from tests.browser.test_accessibility import audit, open_household


def test_opened_history_groups_show_their_changes_and_pass_axe(
    page: Any, axe: Any, live_server: LiveServer
) -> None:
    sign_in(page, COORDINATOR)
    # A temporary-protection case linked to its settlement case: the merged history.
    open_household(page, "UA 2026/003")
    groups = page.locator("details.history__group")
    assert groups.count() >= 2
    first = groups.first
    assert not first.locator("table").is_visible()  # collapsed until asked
    for index in range(groups.count()):
        groups.nth(index).locator("summary").click()
    assert first.locator("table").is_visible()
    assert first.locator("tbody tr").count() >= 1
    assert "·" in first.locator("summary").inner_text()
    violations = audit(page, axe)
    assert violations == [], "\n".join(violations)
