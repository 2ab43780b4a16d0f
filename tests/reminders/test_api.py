"""The notification list, the digest setting, the calendar feed and the waiting list over HTTP."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from flask import Flask
from icalendar import Calendar

from reception.extensions import db
from reception.models import Municipality, User
from reception.models.tenancy import tenant
from reception.reminders import scheduler
from reception.services import accounts, tasks
from tests.conftest import ApiClient, token_for
from tests.reminders.scenario import World, register


@pytest.fixture()
def world(municipality: Municipality, coordinator: User) -> World:
    with time_machine.travel("2026-03-02 09:00 +01:00", tick=False):
        manager = accounts.create_user(municipality, "chef@bracke.example", "Chef", ["manager"])
        w = World(municipality, coordinator, manager)
        w.a = register(w, "KS 2026/1", date(2026, 3, 2), date(2026, 3, 2))
    return w


@pytest.fixture()
def swept(world: World) -> World:
    with time_machine.travel("2026-04-27 07:00 +02:00", tick=False):
        scheduler.sweep_now()
    return world


@pytest.mark.usefixtures("swept")
def test_list_read_and_read_all(api: ApiClient) -> None:
    listing = api.get("/api/v1/notifications")
    assert listing.status_code == 200
    body = listing.get_json()
    kinds = sorted(item["kind"] for item in body["items"])
    assert kinds == ["digest", "reception_deadline_7", "reminder", "reminder"]
    assert body["unread"] == 4
    reminder = next(i for i in body["items"] if i["subject"].startswith("Påminnelse: Köp mat"))
    assert reminder["for_date"] == "2026-04-30" and reminder["payload"] == {"days_before": 3}
    assert reminder["read_at"] is None

    read = api.post(f"/api/v1/notifications/{reminder['id']}/read")
    assert read.status_code == 200 and read.get_json()["read_at"] is not None
    unread = api.get("/api/v1/notifications?unread=1").get_json()
    assert unread["unread"] == 3 and len(unread["items"]) == 3
    assert reminder["id"] not in [i["id"] for i in unread["items"]]

    everything = api.post("/api/v1/notifications/read-all")
    assert everything.get_json() == {"updated": 3, "unread": 0}
    assert api.get("/api/v1/notifications?unread=1").get_json() == {"items": [], "unread": 0}


@pytest.mark.usefixtures("swept")
def test_someone_elses_notification_is_not_found(app: Flask, world: World) -> None:
    manager_api = ApiClient(app.test_client(), token_for(world.manager))
    assert manager_api.get("/api/v1/notifications").get_json() == {"items": [], "unread": 0}
    own = ApiClient(app.test_client(), token_for(world.coordinator))
    some_id = own.get("/api/v1/notifications").get_json()["items"][0]["id"]
    response = manager_api.post(f"/api/v1/notifications/{some_id}/read")
    assert response.status_code == 404 and response.get_json()["field"] == "id"


def test_other_municipality_sees_nothing(
    app: Flask, swept: World, other_municipality: Municipality
) -> None:
    stranger = accounts.create_user(other_municipality, "x@ragunda.example", "X", ["coordinator"])
    client = ApiClient(app.test_client(), token_for(stranger))
    assert client.get("/api/v1/notifications").get_json() == {"items": [], "unread": 0}


@pytest.mark.usefixtures("swept")
def test_bad_query_parameters_name_the_field(api: ApiClient) -> None:
    response = api.get("/api/v1/notifications?unread=yes&limit=100000")
    assert response.status_code == 422
    assert {e["field"] for e in response.get_json()["errors"]} == {"unread", "limit"}


def test_digest_opt_out_over_the_api(api: ApiClient, world: World) -> None:
    assert api.patch("/api/v1/me", {"digest_enabled": "no"}).status_code == 422
    assert api.patch("/api/v1/me", {"name": "x"}).get_json()["field"] == "name"
    response = api.patch("/api/v1/me", {"digest_enabled": False})
    assert response.status_code == 200 and response.get_json()["digest_enabled"] is False
    with time_machine.travel("2026-04-27 07:00 +02:00", tick=False):
        scheduler.sweep_now()
    kinds = {i["kind"] for i in api.get("/api/v1/notifications").get_json()["items"]}
    assert "digest" not in kinds and "reminder" in kinds


def test_calendar_feed_lists_open_tasks_and_can_be_revoked(
    app: Flask, api: ApiClient, world: World
) -> None:
    created = api.post("/api/v1/me/calendar-feed")
    assert created.status_code == 201
    url = created.get_json()["url"]
    assert url.startswith("http://localhost/feeds/cal_") and url.endswith(".ics")
    path = url.removeprefix("http://localhost")
    client = app.test_client()
    feed = client.get(path)
    assert feed.status_code == 200
    assert feed.mimetype == "text/calendar"
    assert "no-store" in feed.headers["Cache-Control"]
    calendar = Calendar.from_ical(feed.data)
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    # The coordinator reads Swedish; only tasks with a due date are events.
    assert set(events) == {
        "Ordna möblerad bostad (KS 2026/1)",
        "Köp mat för första dygnet (KS 2026/1)",
    }
    housing = events["Ordna möblerad bostad (KS 2026/1)"]
    assert housing.decoded("dtstart") == date(2026, 5, 2)
    assert housing.decoded("dtend") == date(2026, 5, 3)
    uid = str(housing["uid"])
    assert uid.startswith("task-") and uid.endswith("@localhost")

    # Same UID on the next fetch; a settled task leaves the feed.
    assert world.a is not None
    with (
        time_machine.travel("2026-04-20 09:00 +02:00", tick=False),
        tenant(db.session, world.municipality.id),
    ):
        food = world.task(world.a, "first_day_food")
        tasks.complete(food.id, {}, None, date(2026, 4, 20))
    again = Calendar.from_ical(client.get(path).data)
    assert [str(e["uid"]) for e in again.walk("VEVENT")] == [uid]

    # A new URL replaces the old one; revoking ends both.
    second = api.post("/api/v1/me/calendar-feed").get_json()["url"].removeprefix("http://localhost")
    assert client.get(path).status_code == 404
    assert client.get(second).status_code == 200
    assert api.client.delete("/api/v1/me/calendar-feed", headers=api._headers()).status_code == 204
    assert client.get(second).status_code == 404
    assert client.get("/feeds/cal_guessed.ics").status_code == 404


def test_waiting_list_shows_how_long(api: ApiClient, world: World) -> None:
    assert world.a is not None
    with tenant(db.session, world.municipality.id):
        housing = world.task(world.a, "housing")
        tasks.wait_on_authority(
            housing.id, {"waiting_on": "Migrationsverket"}, None, date(2026, 4, 1)
        )
    with time_machine.travel("2026-04-21 09:00 +02:00", tick=False):
        body = api.get("/api/v1/tasks/waiting").get_json()
    assert [
        (i["id"], i["waiting_on"], i["waiting_since"], i["days_waited"]) for i in body["items"]
    ] == [(housing.id, "Migrationsverket", "2026-04-01", 20)]
