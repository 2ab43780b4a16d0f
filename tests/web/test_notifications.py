"""The notification list, the header's unread count and "My settings", through HTTP."""

from __future__ import annotations

import re
from datetime import date

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from reception.extensions import db
from reception.models import Municipality, Notification, NotificationKind, User
from reception.models.tenancy import system, tenant
from reception.reminders import scheduler
from reception.services import accounts
from tests.reminders.scenario import World, register
from tests.web.helpers import WebClient, sign_in, web_client

SWEEP_DAY = "2026-04-27 07:00 +02:00"
FEED_URL = re.compile(r'id="feed-url" type="text" value="http://localhost(/feeds/cal_[^"]+)"')


@pytest.fixture()
def world(municipality: Municipality, coordinator: User) -> World:
    """The reminder scenario's household A, swept on 2026-04-27: the coordinator has two
    reminders, the 7-day alert on the latest reception date and a digest."""
    with time_machine.travel("2026-03-02 09:00 +01:00", tick=False):
        manager = accounts.create_user(municipality, "chef@bracke.example", "Chef", ["manager"])
        w = World(municipality, coordinator, manager)
        w.a = register(w, "KS 2026/1", date(2026, 3, 2), date(2026, 3, 2))
    with time_machine.travel(SWEEP_DAY, tick=False):
        scheduler.sweep_now()
    return w


def header_count(client: WebClient, url: str = "/households/") -> str:
    """The header link's accessible text, e.g. 'Notiser, 3 olästa'."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'<a class="site-header__notifications".*?</a>', html, re.S)
    assert match, "no notifications link in the header"
    text = re.sub(r'\s*<span class="count-pill" aria-hidden="true">\d+</span>', "", match.group(0))
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text)).strip()


def ids_on(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'id="notification-(\d+)"', html)}


def own_ids(user: User) -> set[int]:
    with system(db.session):
        return set(
            db.session.scalars(select(Notification.id).where(Notification.recipient_id == user.id))
        )


def test_the_list_shows_the_users_own_notifications_newest_first_with_links(
    app: Flask, world: World, other_municipality: Municipality
) -> None:
    coordinator = world.coordinator
    colleague = accounts.create_user(
        world.municipality, "kollega@bracke.example", "Kollega", ["coordinator"]
    )
    outsider = accounts.create_user(
        other_municipality, "samordnare@ragunda.example", "Ragunda", ["coordinator"]
    )
    with tenant(db.session, world.municipality.id):
        # A colleague's notification about the same task: never in the coordinator's list.
        theirs = Notification(
            recipient_id=colleague.id,
            kind=NotificationKind.OVERDUE.value,
            subject_id=world.task(world.a, "housing").id,  # type: ignore[arg-type]
            task_id=world.task(world.a, "housing").id,  # type: ignore[arg-type]
            household_id=world.a.id,  # type: ignore[union-attr]
            for_date=date(2026, 5, 2),
        )
        db.session.add(theirs)
        db.session.commit()
        theirs_id = theirs.id
    mine = own_ids(coordinator)
    assert len(mine) == 4

    client = web_client(app)
    sign_in(client, coordinator)
    page = client.get("/notifications")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert ids_on(html) == mine and theirs_id not in ids_on(html)
    # Newest first: the ids follow creation order (one sweep), so descending.
    order = [int(i) for i in re.findall(r'id="notification-(\d+)"', html)]
    assert order == sorted(order, reverse=True)
    # Unread is said in words, not only shown by colour.
    assert html.count(">Oläst</span>") == 4
    housing = world.task(world.a, "housing")
    assert f'href="/households/{world.a.id}#task-{housing.id}"' in html  # type: ignore[union-attr]
    assert "Påminnelse: Ordna möblerad bostad ska vara klar 2 maj 2026" in html
    assert f'href="/households/{world.a.id}"' in html  # type: ignore[union-attr] # the alert
    assert 'href="/tasks"' in html and "Din dagliga sammanfattning för 27 april 2026" in html

    colleague_client = web_client(app)
    sign_in(colleague_client, colleague)
    assert ids_on(colleague_client.get("/notifications").get_data(as_text=True)) == {theirs_id}
    outsider_client = web_client(app)
    token = sign_in(outsider_client, outsider)
    listing = outsider_client.get("/notifications").get_data(as_text=True)
    assert ids_on(listing) == set() and "KS 2026/1" not in listing
    some = min(mine)
    refused = outsider_client.post(f"/notifications/{some}/read", data={"csrf_token": token})
    assert refused.status_code == 404
    assert ids_on(client.get("/notifications?show=unread").get_data(as_text=True)) == mine


def test_mark_one_and_all_read_update_the_header_count(app: Flask, world: World) -> None:
    client = web_client(app)
    token = sign_in(client, world.coordinator)
    assert header_count(client) == "Notiser, 4 olästa"
    first = max(own_ids(world.coordinator))

    # Without JavaScript: a form, a redirect back to the list and a message.
    response = client.post(f"/notifications/{first}/read", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/notifications"
    listing = client.get("/notifications").get_data(as_text=True)
    assert "Notisen är markerad som läst." in listing
    assert header_count(client) == "Notiser, 3 olästa"
    assert first not in ids_on(client.get("/notifications?show=unread").get_data(as_text=True))

    # With htmx: the item, the header link out of band, and the status message.
    second = max(own_ids(world.coordinator) - {first})
    answer = client.post(
        f"/notifications/{second}/read",
        data={"csrf_token": token},
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert f'id="notification-{second}"' in answer and ">Oläst</span>" not in answer
    assert 'id="header-notifications"' in answer and 'hx-swap-oob="true"' in answer
    assert "2 olästa" in answer

    # Without CSRF token the form is refused.
    client.post("/notifications/read-all")
    assert header_count(client) == "Notiser, 2 olästa"
    response = client.post("/notifications/read-all", data={"csrf_token": token})
    assert response.status_code == 303
    assert "2 notiser är markerade som lästa." in client.get("/notifications").get_data(
        as_text=True
    )
    assert header_count(client) == "Notiser"
    assert ">Oläst</span>" not in client.get("/notifications").get_data(as_text=True)


def test_the_header_count_is_one_query(app: Flask, world: World) -> None:
    from tests.web.test_query_counts import count_queries

    client = web_client(app)
    sign_in(client, world.coordinator)
    client.get("/households/")
    with count_queries() as statements:
        client.get("/households/")
    counts = [s for s in statements if "notification" in s.lower()]
    assert len(counts) == 1 and "count(" in counts[0].lower()


def test_settings_toggle_the_digest(app: Flask, world: World) -> None:
    client = web_client(app)
    token = sign_in(client, world.coordinator)
    page = client.get("/me").get_data(as_text=True)
    assert 'href="/me" aria-current="page"' in page  # the header's name links here
    assert re.search(r'id="digest"[^>]*\bchecked\b|\bchecked\b[^>]*id="digest"', page)

    response = client.post("/me/digest", data={"csrf_token": token})  # box unticked
    assert response.status_code == 303
    page = client.get("/me").get_data(as_text=True)
    assert "Du får inte längre den dagliga sammanfattningen via e-post." in page
    assert not re.search(r'id="digest"[^>]*\bchecked\b', page)
    with system(db.session):
        db.session.expire_all()
        assert db.session.get(User, world.coordinator.id).digest_enabled is False  # type: ignore[union-attr]

    client.post("/me/digest", data={"csrf_token": token, "digest": "on"})
    with system(db.session):
        db.session.expire_all()
        assert db.session.get(User, world.coordinator.id).digest_enabled is True  # type: ignore[union-attr]


def test_settings_change_the_language(app: Flask, world: World) -> None:
    client = web_client(app)
    token = sign_in(client, world.coordinator)
    response = client.post("/language", data={"csrf_token": token, "language": "en", "next": "/me"})
    assert response.headers["Location"] == "/me"
    page = client.get("/me").get_data(as_text=True)
    assert "<h1>My settings</h1>" in page and 'value="en" checked' in page


def test_calendar_feed_create_rotate_revoke(app: Flask, world: World) -> None:
    client = web_client(app)
    token = sign_in(client, world.coordinator)
    assert "Du har ingen kalenderadress." in client.get("/me").get_data(as_text=True)

    created = client.post("/me/calendar-feed", data={"csrf_token": token})
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    html = created.get_data(as_text=True)
    first = FEED_URL.search(html)
    assert first, html
    assert "Lägg till kalender” → ”Från Internet" in html
    with time_machine.travel(SWEEP_DAY, tick=False):
        feed = client.get(first.group(1))
    assert feed.status_code == 200 and b"BEGIN:VEVENT" in feed.data
    # Shown once: the settings page no longer has it.
    again = client.get("/me").get_data(as_text=True)
    assert first.group(1) not in again and "Gör en ny adress" in again

    rotated = client.post("/me/calendar-feed", data={"csrf_token": token}).get_data(as_text=True)
    second = FEED_URL.search(rotated)
    assert second and second.group(1) != first.group(1)
    assert "Den gamla fungerar inte längre." in rotated
    assert client.get(first.group(1)).status_code == 404
    assert client.get(second.group(1)).status_code == 200

    revoked = client.post("/me/calendar-feed/revoke", data={"csrf_token": token})
    assert revoked.status_code == 303
    assert client.get(second.group(1)).status_code == 404
    assert "Du har ingen kalenderadress." in client.get("/me").get_data(as_text=True)

    # Without CSRF token nothing is made.
    client.post("/me/calendar-feed")
    assert "Du har ingen kalenderadress." in client.get("/me").get_data(as_text=True)
