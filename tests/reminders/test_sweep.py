"""The sweep day by day over 120 days, with gaps, waiting tasks, crashes and concurrency."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select

from reception.extensions import db
from reception.models import Municipality, Notification, SweepRun, User
from reception.models.tenancy import system
from reception.reminders import scheduler
from reception.reminders.sweep import _Builder
from reception.services.reminders import run_sweep
from tests.reminders.scenario import END, START, World, act, expected, make_world
from tests.reminders.scenario import notification_keys as keys


@pytest.fixture()
def world(municipality: Municipality, coordinator: User) -> World:
    return make_world(municipality, coordinator)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def at(day: date) -> time_machine.travel:
    return time_machine.travel(f"{day.isoformat()} 06:00 +01:00", tick=False)


def test_120_days_produce_exactly_the_hand_worked_notifications(world: World) -> None:
    created_on: dict[tuple[str, int, date, int], date] = {}
    for day in days(START, END):
        with at(day):
            act(world, day)
            before = keys()
            scheduler.catch_up()
            # A second sweep the same day (a restart, a second process) adds nothing.
            scheduler.sweep_now()
            for key in keys() - before:
                created_on[key] = day
    assert created_on == expected(world)
    with system(db.session):
        assert db.session.scalar(select(func.count()).select_from(Notification)) == len(created_on)
        assert db.session.scalar(select(func.count()).select_from(SweepRun)) == len(
            days(START, END)
        )


def test_days_missed_while_down_are_caught_up_once(world: World) -> None:
    """Down from 04-15 to 05-05: what fell due meanwhile comes on 05-06, collapsed."""
    down = set(days(date(2026, 4, 15), date(2026, 5, 5)))
    created_on: dict[tuple[str, int, date, int], date] = {}
    for day in days(START, date(2026, 5, 31)):
        with at(day):
            act(world, day)  # people keep working while the scheduler is down
            if day in down:
                continue
            before = keys()
            scheduler.catch_up()
            for key in keys() - before:
                created_on[key] = day
    full = {k: v for k, v in expected(world).items() if v <= date(2026, 5, 31)}
    back = date(2026, 5, 6)
    assert world.a is not None and world.b is not None
    # Reminders and reception alerts of household A became stale while down: the task is
    # overdue (its overdue notice says it) and the reception date has passed.
    collapsed = {
        k
        for k in full
        if k[0] in ("reminder", "reception_deadline_14", "reception_deadline_7")
        and k[2] <= date(2026, 5, 2)
    }
    # Daily digests are for their own day only.
    skipped_digests = {k for k in full if k[0] == "digest" and k[2] in down}
    # The 14-day alert for B (05-02) was due while down and is still ahead: sent late.
    late = {k: back for k, v in full.items() if v in down and k not in collapsed | skipped_digests}
    wanted = {k: v for k, v in full.items() if k not in collapsed | skipped_digests} | late
    assert created_on == wanted
    assert ("reception_deadline_14", world.b.id, date(2026, 5, 16), world.coordinator.id) in late
    assert (
        "overdue",
        world.task(world.a, "housing").id,
        date(2026, 5, 2),
        world.coordinator.id,
    ) in late


def test_a_sweep_that_dies_half_way_leaves_nothing_and_the_next_does_everything(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    for day in days(START, date(2026, 5, 9)):
        with at(day):
            act(world, day)
    day = date(2026, 5, 9)
    original = _Builder._insert
    calls = {"n": 0}

    def dies_on_the_third_kind(self: _Builder, query):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("killed")
        return original(self, query)

    monkeypatch.setattr(_Builder, "_insert", dies_on_the_third_kind)
    with at(day), pytest.raises(RuntimeError, match="killed"):
        run_sweep(day)
    assert keys() == set()
    with system(db.session):
        assert db.session.scalar(select(func.count()).select_from(SweepRun)) == 0

    monkeypatch.setattr(_Builder, "_insert", original)
    with at(day):
        assert scheduler.catch_up() is not None
    wanted = {
        k for k, v in expected(world).items() if v <= day and not (k[0] == "digest" and k[2] < day)
    }
    # Caught up in one pass on 05-09: the stale reminders and alerts of A are collapsed, and
    # B, 7 days before its date, gets the 7-day alert only.
    wanted -= {k for k in wanted if k[0].startswith(("reminder", "reception")) and k[2] < day}
    wanted -= {k for k in wanted if k[0] == "reception_deadline_14"}
    assert keys() == wanted


def test_concurrent_sweeps_create_each_notification_once(app: Flask, world: World) -> None:
    for day in days(START, date(2026, 5, 8)):
        with at(day):
            act(world, day)
    day = date(2026, 5, 8)
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def sweeper() -> None:
        with app.app_context():
            try:
                barrier.wait()
                scheduler.sweep_now(day)
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sweeper) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with system(db.session):
        rows = db.session.execute(
            select(Notification.kind, Notification.subject_id, Notification.for_date)
        ).all()
    assert rows and Counter(rows).most_common(1)[0][1] == 1
    assert len(rows) == len(keys())


def test_settled_and_withdrawn_tasks_get_nothing(world: World) -> None:
    with at(START):
        act(world, START)
    assert world.a is not None
    day = date(2026, 4, 18)
    with at(day):
        from reception.models.tenancy import tenant
        from reception.services import tasks

        with tenant(db.session, world.municipality.id):
            housing = world.task(world.a, "housing")
            tasks.not_applicable(housing.id, {"note": "Egen bostad"}, None)
        run_sweep(day)
    assert {k[0] for k in keys()} == {"reception_deadline_14"}


def test_outbox_receives_each_notification_once(world: World, app: Flask, tmp_path: Path) -> None:
    app.config["MAIL_OUTBOX_DIR"] = str(tmp_path)
    try:
        for day in days(START, date(2026, 5, 31)):
            with at(day):
                act(world, day)
                scheduler.catch_up()
                scheduler.deliver_now()
                scheduler.deliver_now()
    finally:
        app.config["MAIL_OUTBOX_DIR"] = str(Path(app.instance_path) / "outbox")
    files = sorted(tmp_path.glob("*.eml"))
    with system(db.session):
        total = db.session.scalar(select(func.count()).select_from(Notification))
        undelivered = db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.delivered_at.is_(None))
        )
        attempts = set(db.session.scalars(select(Notification.attempts)))
    assert len(files) == total and undelivered == 0 and attempts == {1}
