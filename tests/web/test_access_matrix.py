"""Every route × every role × two municipalities: who may, who may not, who sees nothing.

The table below classifies every endpoint of `app.url_map`; a route missing from it
fails the test, so a new page or API call cannot ship unclassified. For each route:

- anonymous: pages redirect to the sign-in page, the API answers 401;
- each role of municipality A: allowed, or 403, exactly as the table says;
- users (and tokens) of municipality B, with a role that is allowed: 404 for any id of
  municipality A, and no trace of A's data on pages without ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from reception.extensions import db
from reception.models import Municipality, Notification, NotificationKind, Role, Task, User
from reception.models.tenancy import tenant
from reception.services import accounts, households, payments
from reception.timeutil import today
from tests.conftest import token_for
from tests.web.helpers import sign_in, web_client

C, M, F, A = Role.COORDINATOR, Role.MANAGER, Role.FINANCE, Role.ADMIN
ALL = frozenset(Role)
WRITERS = frozenset({C, M, A})
FINANCE_READERS = frozenset({M, F, A})
FINANCE_WRITERS = frozenset({F, A})
PUBLIC = "public"  # no sign-in needed (only checked for errors and leaks)

ACCESS: dict[str, Any] = {
    "static": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.set_language": PUBLIC,
    "coordinator.home": ALL,
    "coordinator.tasks": frozenset({C, M}),
    "coordinator.complete": WRITERS,
    "coordinator.wait": WRITERS,
    "coordinator.resume": WRITERS,
    "coordinator.not_applicable": WRITERS,
    "coordinator.reopen": WRITERS,
    "coordinator.note": WRITERS,
    "households.index": ALL,
    "households.new": WRITERS,
    "households.show": ALL,
    "households.update_dates": WRITERS,
    "households.add_member": WRITERS,
    "households.update_member": WRITERS,
    "households.update_housing": WRITERS,
    "households.family_summary": ALL,
    "manager.dashboard": frozenset({M, A}),
    "manager.reassign_form": frozenset({M, A}),
    "manager.reassign": frozenset({M, A}),
    # Quotas and the end of protection: read as the API's quotas, changed by managers.
    "protection.quotas_page": FINANCE_READERS,
    "protection.set_kommuntal": frozenset({M, A}),
    "protection.scenario": FINANCE_READERS,
    "protection.set_scenario": frozenset({M, A}),
    "admin.users": frozenset({A}),
    "admin.new_user": frozenset({A}),
    "admin.edit_user": frozenset({A}),
    "admin.set_password": frozenset({A}),
    "admin.import_form": frozenset({A}),
    "admin.import_upload": frozenset({A}),
    # Finance pages: as the reimbursement API.
    "finance.forecast": FINANCE_READERS,
    "finance.forecast_export": FINANCE_READERS,
    "finance.household": FINANCE_READERS,
    "finance.reconciliation": FINANCE_READERS,
    "finance.reconciliation_export": FINANCE_READERS,
    "finance.allocations": FINANCE_READERS,
    "finance.payments": FINANCE_READERS,
    "finance.imports": FINANCE_READERS,
    "finance.import_detail": FINANCE_READERS,
    "finance.set_allocation": FINANCE_WRITERS,
    "finance.new_payment": FINANCE_WRITERS,
    "finance.add_payment": FINANCE_WRITERS,
    "finance.edit_payment": FINANCE_WRITERS,
    "finance.update_payment": FINANCE_WRITERS,
    "finance.delete_payment": FINANCE_WRITERS,
    "finance.import_file": FINANCE_WRITERS,
    "finance.withdraw_import": FINANCE_WRITERS,
    # Each user's own notifications and settings.
    "me.notifications_page": ALL,
    "me.read_notification": ALL,
    "me.read_all_notifications": ALL,
    "me.settings": ALL,
    "me.set_digest": ALL,
    "me.create_feed": ALL,
    "me.revoke_feed": ALL,
    # The API: every role reads; coordinators, managers and admins write.
    "api.list_households": ALL,
    "api.get_household": ALL,
    "api.household_tasks": ALL,
    "api.get_person": ALL,
    "api.get_task": ALL,
    "api.list_workflows": ALL,
    "api.create_household": WRITERS,
    "api.patch_household": WRITERS,
    "api.add_member": WRITERS,
    "api.patch_person": WRITERS,
    "api.patch_task": WRITERS,
    "api.complete": WRITERS,
    "api.reopen": WRITERS,
    "api.wait": WRITERS,
    "api.resume": WRITERS,
    "api.not_applicable": WRITERS,
    "api.close_household": WRITERS,
    "api.reopen_household": WRITERS,
    # Reimbursements: finance, managers and admins read; finance and admins change.
    "api.household_reimbursements": FINANCE_READERS,
    "api.forecast": FINANCE_READERS,
    "api.forecast_export": FINANCE_READERS,
    "api.list_allocations": FINANCE_READERS,
    "api.list_received": FINANCE_READERS,
    "api.get_received": FINANCE_READERS,
    "api.list_imports": FINANCE_READERS,
    "api.get_import": FINANCE_READERS,
    "api.reconciliation": FINANCE_READERS,
    "api.reconciliation_export": FINANCE_READERS,
    "api.recompute": FINANCE_WRITERS,
    "api.put_allocation": FINANCE_WRITERS,
    "api.add_received": FINANCE_WRITERS,
    "api.put_received": FINANCE_WRITERS,
    "api.delete_received": FINANCE_WRITERS,
    "api.import_payments": FINANCE_WRITERS,
    "api.withdraw_import": FINANCE_WRITERS,
    # Temporary protection: everyone reads the case chain and the end date.
    "api.household_chain": ALL,
    "api.household_summary": ALL,
    "api.get_protection_end": ALL,
    "api.put_protection_end": frozenset({M, A}),
    "api.get_quotas": frozenset({M, F, A}),
    "api.put_kommuntal": frozenset({M, A}),
    # Reminders: every user's own notifications, settings and calendar feed.
    "api.list_notifications": ALL,
    "api.read_notification": ALL,
    "api.read_all_notifications": ALL,
    "api.update_me": ALL,
    "api.create_calendar_feed": ALL,
    "api.revoke_calendar_feed": ALL,
    "api.waiting_tasks": ALL,
    "feeds.calendar": PUBLIC,  # the secret in the URL is the credential
}

# Ids that belong to one user, not to the municipality: another user of the same
# municipality gets 404 like an outsider does.
OWNED_BY_ONE_USER = {"notification_id"}


@dataclass
class World:
    household_id: int
    task_id: int
    person_id: int
    user_id: int
    payment_id: int
    import_id: int
    notification_id: int
    reference: str
    member_name: str
    users_a: dict[Role, User]
    users_b: dict[Role, User]


def _users(municipality: Municipality, domain: str) -> dict[Role, User]:
    return {
        role: accounts.create_user(
            municipality, f"{role.value}@{domain}", f"{role.value.title()} {domain}", [role.value]
        )
        for role in Role
    }


@pytest.fixture()
def world(municipality: Municipality, other_municipality: Municipality) -> World:
    users_a = _users(municipality, "bracke.example")
    users_b = _users(other_municipality, "ragunda.example")
    with tenant(db.session, municipality.id):
        household = households.create_household(
            {
                "reference": "KS 2026/777",
                "workflow": "settlement-reception-centre",
                "assignment_date": "2026-03-10",
                "reception_date": "2026-04-20",
                "members": [
                    {
                        "given_name": "Hemlig",
                        "family_name": "Bräckesson",
                        "birth_date": "1990-01-15",
                    },
                ],
            },
            users_a[C],
            today(),
        )
        task_id = db.session.scalar(select(Task.id).where(Task.household_id == household.id))
        payment = payments.add_payment(
            {
                "paid_on": "2026-05-25",
                "amount_sek": 41250,
                "kind": "Etableringsschablon",
                "case_reference": household.reference,
            },
            users_a[F],
            today(),
        )
        batch = payments.import_file(
            "spec.csv",
            "Utbetalningsdatum;Belopp;Ersättningstyp;Personnummer;Ärende;Period\n"
            f"2026-05-25;20 661;Initiala kostnader;;{household.reference};2026-05\n".encode(),
            users_a[F],
            today(),
        )
        notification = Notification(
            recipient_id=users_a[C].id,
            kind=NotificationKind.REMINDER.value,
            subject_id=task_id,
            task_id=task_id,
            household_id=household.id,
            for_date=today(),
        )
        db.session.add(notification)
        db.session.commit()
        return World(
            household_id=household.id,
            task_id=task_id,
            person_id=household.members[0].id,
            user_id=users_a[C].id,
            payment_id=payment.id,
            import_id=batch.id,
            notification_id=notification.id,
            reference=household.reference,
            member_name="Bräckesson",
            users_a=users_a,
            users_b=users_b,
        )


ID_ARGS = {
    "household_id",
    "task_id",
    "person_id",
    "user_id",
    "payment_id",
    "import_id",
    "notification_id",
}
# Page routes that delete what their id names, like the API's DELETE.
DELETING = {"finance.delete_payment", "finance.withdraw_import"}


def _deletes(rule: Any, method: str) -> bool:
    return method == "DELETE" or rule.endpoint in DELETING


def _url(rule: Any, world: World) -> str:
    values = {}
    for arg in rule.arguments:
        if arg == "filename":
            values[arg] = "css/app.css"
        elif arg == "year":
            values[arg] = 2026
        elif arg == "extension":
            values[arg] = "csv"
        elif arg == "token":
            values[arg] = "not-a-feed-token"
        elif arg in ID_ARGS:
            values[arg] = getattr(world, arg)
        else:
            raise AssertionError(f"{rule.rule}: no test value for <{arg}>; add one to _url")
    return rule.build(values)[1]


def _methods(rule: Any) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _send(client: Any, method: str, url: str, token: str | None = None) -> Any:
    headers = {"Accept-Language": "en"}
    kwargs: dict[str, Any] = {"headers": headers}
    if token:
        headers["Authorization"] = f"Bearer {token}"
        if method != "GET":
            kwargs["json"] = {}
    return client.open(url, method=method, **kwargs)


def test_every_route_is_classified(app: Flask) -> None:
    unclassified = sorted({r.endpoint for r in app.url_map.iter_rules()} - set(ACCESS))
    assert not unclassified, f"add these endpoints to ACCESS: {unclassified}"


def test_route_role_municipality_matrix(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Forms carry CSRF tokens; this test is about who may call what, so it posts bare.
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    clients_a = {role: web_client(app) for role in Role}
    clients_b = {role: web_client(app) for role in Role}
    for role in Role:
        sign_in(clients_a[role], world.users_a[role])
        sign_in(clients_b[role], world.users_b[role])
    tokens_a = {role: token_for(world.users_a[role]) for role in Role}
    tokens_b = {role: token_for(world.users_b[role]) for role in Role}
    anonymous = web_client(app)
    api_client = app.test_client()

    failures: list[str] = []
    deleted: set[tuple[str, int]] = set()  # (id argument, id) of what an allowed role deleted
    checked = 0
    # Deleting routes last, so that every other route still finds the world's objects.
    for rule in sorted(
        app.url_map.iter_rules(),
        key=lambda r: (any(_deletes(r, m) for m in _methods(r)), r.rule),
    ):
        access = ACCESS.get(rule.endpoint)
        if access is None:
            continue  # reported by test_every_route_is_classified
        url = _url(rule, world)
        has_ids = bool(set(rule.arguments) & ID_ARGS)
        is_api = rule.endpoint.startswith("api.")
        for method in _methods(rule):
            where = f"{method} {url} ({rule.endpoint})"
            checked += 1
            response = _send(api_client if is_api else anonymous, method, url)
            if access == PUBLIC:
                if response.status_code >= 500:
                    failures.append(f"{where} anonymous: {response.status_code}")
                continue
            if is_api and response.status_code != 401:
                failures.append(f"{where} anonymous: {response.status_code}, not 401")
            if not is_api and not (
                response.status_code == 302
                and response.headers["Location"].startswith("/login?next=")
            ):
                failures.append(f"{where} anonymous: {response.status_code}, not the sign-in page")

            for role in Role:
                if is_api:
                    response = _send(api_client, method, url, tokens_a[role])
                else:
                    response = _send(clients_a[role], method, url)
                status = response.status_code
                ids = {(a, getattr(world, a)) for a in rule.arguments if a in ID_ARGS}
                if _deletes(rule, method) and status < 400:
                    deleted.update(ids)
                elif _deletes(rule, method) and status == 404 and ids and ids <= deleted:
                    status = 200  # an allowed role deleted it first
                if status == 404 and set(rule.arguments) & OWNED_BY_ONE_USER and role != C:
                    status = 200  # someone else's notification: not found, as intended
                to_login = response.headers.get("Location", "").startswith("/login")
                if role in access and (status in (401, 403, 404) or status >= 500 or to_login):
                    failures.append(f"{where} as {role.value}: {status}, should be allowed")
                if role not in access and status != 403:
                    failures.append(f"{where} as {role.value}: {status}, should be 403")

            for role in access:
                if is_api:
                    response = _send(api_client, method, url, tokens_b[role])
                else:
                    response = _send(clients_b[role], method, url)
                body = response.get_data(as_text=True)
                if has_ids and response.status_code != 404:
                    failures.append(
                        f"{where} as {role.value} of another municipality: "
                        f"{response.status_code}, should be 404"
                    )
                if world.reference in body or world.member_name in body:
                    failures.append(f"{where} as {role.value} of another municipality: data leaked")
    assert checked > 40
    assert not failures, "\n".join(failures)
