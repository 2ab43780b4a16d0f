"""axe-core finds no violation on any page a role can reach.

Each role signs in and follows the links on its pages (menu, households,
filters, charts) until nothing new is found, and every page is checked with the
axe-core the app vendors, with all its rules (WCAG 2.1 A/AA and best practice).
To stay fast, a URL already checked for an earlier role is checked again only
where this role has not yet had a page of that kind (household pages differ by
role in their forms, not from one household to the next). Error states no link
leads to (a refused form, a forbidden or unknown page, the sign-in page) are
checked too.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import (
    ADMIN,
    COORDINATOR,
    FINANCE,
    MANAGER,
    LiveServer,
    sign_in,
    switch_language,
)

MAX_PAGES = 80
# A payment specification with two bad cells, for the refused import page.
BAD_FILE = "Utbetalningsdatum;Belopp;Ersättningstyp;Ärende\n2026-01-01;1,5;X;Y\n".encode()
# Filter and chart links multiply pages that share one template: a few of each are enough.
MAX_VARIANTS_PER_PATH = 3


def audit(page: Any, axe: Any) -> list[str]:
    results = axe.run(page)
    return [
        f"{page.url}: {v['id']} ({v['impact']}) {v['help']} – "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in results.response["violations"]
    ]


def local_links(page: Any, origin: str) -> list[str]:
    # Downloads (exports) are files, not pages.
    hrefs = page.eval_on_selector_all("a[href]:not([download])", "links => links.map(a => a.href)")
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin:
            continue
        if parts.path.startswith(("/static/", "/api/")):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def kind(url: str) -> str:
    """The page's kind: its path with ids generalised, e.g. /households/{id}."""
    return re.sub(r"/\d+", "/{id}", url.split("?")[0])


@pytest.fixture(scope="module")
def checked() -> set[str]:
    """URLs axe has checked in this module, whatever the role."""
    return set()


def crawl(page: Any, axe: Any, origin: str, checked: set[str]) -> tuple[list[str], list[str]]:
    """Check every page reachable from the current one; return (checked URLs, violations)."""
    start = urlsplit(page.url)
    queue = deque([start.path + (f"?{start.query}" if start.query else "")])
    seen = set(queue)
    variants: dict[str, int] = {}
    kinds: set[str] = set()
    visited: list[str] = []
    violations: list[str] = []
    while queue and len(visited) < MAX_PAGES:
        url = queue.popleft()
        if url in checked and kind(url) in kinds:
            continue
        response = page.goto(url)
        status = response.status if response is not None else None
        assert status == 200, f"{url}: {status}"
        landed = urlsplit(page.url)
        final = landed.path + (f"?{landed.query}" if landed.query else "")
        if final != url and final in visited:
            continue  # a redirect to a page checked already (e.g. / to the start page)
        visited.append(final)
        kinds.add(kind(final))
        checked.update((url, final))
        violations += audit(page, axe)
        for link in local_links(page, origin):
            path = link.split("?")[0]
            if link in seen or (link != path and variants.get(path, 0) >= MAX_VARIANTS_PER_PATH):
                continue
            seen.add(link)
            if link != path:
                variants[path] = variants.get(path, 0) + 1
            queue.append(link)
    return visited, violations


@pytest.mark.parametrize(
    ("email", "language", "expected"),
    [
        (
            COORDINATOR,
            "sv",
            [
                "/tasks",
                "/households/",
                "/households/{id}",
                "/households/new",
                "/notifications",
                "/me",
            ],
        ),
        (
            MANAGER,
            "en",
            [
                "/manager/",
                "/manager/reassign",
                "/manager/quotas",
                "/manager/protection-end",
                "/households/{id}",
                "/finance/reconciliation",
            ],
        ),
        (
            FINANCE,
            "sv",
            [
                "/finance/",
                "/finance/reconciliation",
                "/finance/households/{id}",
                "/finance/payments",
                "/finance/payments/new",
                "/finance/imports",
                "/finance/imports/{id}",
                "/finance/allocations",
                "/households/{id}",
                "/manager/quotas",
                "/notifications",
                "/me",
            ],
        ),
        (ADMIN, "sv", ["/admin/users", "/admin/users/new", "/admin/households/import"]),
    ],
    ids=["coordinator", "manager", "finance", "admin"],
)
def test_every_page_of_a_role_passes_axe(
    page: Any,
    axe: Any,
    live_server: LiveServer,
    checked: set[str],
    email: str,
    language: str,
    expected: list[str],
) -> None:
    sign_in(page, email)
    switch_language(page, language)

    visited, violations = crawl(page, axe, live_server.url, checked)

    assert set(expected) <= {kind(url) for url in visited}, visited
    assert violations == [], "\n".join(violations)


def test_error_states_pass_axe(page: Any, axe: Any, live_server: LiveServer) -> None:
    violations: list[str] = []
    page.goto("/login")
    violations += audit(page, axe)
    page.fill("#email", "nobody@bracke.example")
    page.fill("#password", "wrong")
    page.locator("form[action$='/login'] button[type=submit]").click()
    assert page.locator(".error-summary").is_visible()
    violations += audit(page, axe)

    sign_in(page, MANAGER)
    page.goto("/manager/reassign")
    for box in page.locator("input[name=move]").all():
        box.uncheck()
    page.locator("form[action$='/manager/reassign'] button[type=submit]").click()
    assert page.locator(".error-summary").is_visible()
    violations += audit(page, axe)

    page.context.clear_cookies()
    sign_in(page, FINANCE)
    page.goto("/finance/payments/new")
    page.fill("#amount_sek", "41 250,50")
    page.locator("main form button[type=submit]").first.click()
    assert page.locator(".error-summary").is_visible()
    assert page.locator("#amount_sek-error").is_visible()
    violations += audit(page, axe)
    page.goto("/finance/imports")
    page.set_input_files(
        "#file",
        files=[
            {
                "name": "fel.csv",
                "mimeType": "text/csv",
                "buffer": BAD_FILE,
            }
        ],
    )
    page.locator("form[action$='/finance/imports'] button[type=submit]").click()
    assert page.locator("#file-errors").is_visible()
    violations += audit(page, axe)

    response = page.goto("/households/999999")
    assert response is not None and response.status == 404
    violations += audit(page, axe)
    response = page.goto("/admin/users")
    assert response is not None and response.status == 403
    violations += audit(page, axe)

    page.context.clear_cookies()
    sign_in(page, ADMIN)
    page.goto("/admin/households/import")
    bad_households = "referens;arbetsflöde;anvisningsdatum;förnamn;efternamn;födelsedatum\n"
    bad_households += "KS 1;okänt;2026-13-01;Rania;Al-Hassan;1991-01-15\n"
    page.set_input_files(
        "#file",
        files=[{"name": "fall.csv", "mimeType": "text/csv", "buffer": bad_households.encode()}],
    )
    page.locator("form[action$='/admin/households/import'] button[type=submit]").click()
    assert page.locator("#file-errors").is_visible()
    violations += audit(page, axe)

    assert violations == [], "\n".join(violations)


def open_household(page: Any, reference: str) -> None:
    """From the household list, searched by reference (closed cases included)."""
    page.goto(f"/households/?q={reference.replace(' ', '+')}&status=all")
    page.get_by_role("link", name=reference, exact=True).click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().endswith(reference)


def test_temporary_protection_pages_pass_axe(page: Any, axe: Any, live_server: LiveServer) -> None:
    """The crawl checks one household page per role; these are the demo's TP cases."""
    violations: list[str] = []
    sign_in(page, COORDINATOR)
    for reference in ("UA 2026/003", "UA 2026/006"):
        open_household(page, reference)
        assert page.locator("#protection-title").is_visible()
        violations += audit(page, axe)
    # The case whose member was registered, and the settlement case that continues it.
    open_household(page, "UA 2026/005")
    assert page.locator("#linked-title").is_visible()
    violations += audit(page, axe)
    page.locator(".linked-cases a").first.click()
    page.wait_for_load_state()
    assert "UA 2026/005 F1" in page.locator("h1").inner_text()
    violations += audit(page, axe)
    # A refused move-out, with its error beside the field.
    open_household(page, "UA 2026/003")
    page.locator("#protection-title ~ div details summary").first.click()
    page.fill("#housing-move_out_date", "2000-01-01")
    page.locator("form[action$='/housing'] button[type=submit]").click()
    assert page.locator("#housing-move_out_date-error").is_visible()
    violations += audit(page, axe)
    # The family summary in each language.
    for lang in ("uk", "sv", "en"):
        open_household(page, "UA 2026/003")
        page.locator(f".summary-links a[lang='{lang}']").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == lang
        violations += audit(page, axe)
    page.context.clear_cookies()

    sign_in(page, MANAGER)
    page.goto("/manager/protection-end")
    page.locator("form[action$='/protection-end'] button[type=submit]").click()
    assert page.locator(".error-summary").is_visible()
    violations += audit(page, axe)
    page.goto("/manager/quotas")
    page.locator("details summary").first.click()
    page.locator("input[name=persons]").first.fill("-1")
    page.locator("form[action$='/kommuntal'] button[type=submit]").first.click()
    assert page.locator(".error-summary").is_visible()
    violations += audit(page, axe)
    assert violations == [], "\n".join(violations)
