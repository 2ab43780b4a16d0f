"""The scheduler: catch-up on start, the in-process scheduler, and PostgreSQL's guards."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from sqlalchemy import create_engine, func, select, text

from reception.extensions import db
from reception.models import Municipality, Notification, SweepRun, User
from reception.models.tenancy import system
from reception.reminders import scheduler
from reception.reminders.sweep import SWEEP_LOCK_KEY
from reception.timeutil import today
from tests.conftest import TEST_DATABASE_URL
from tests.reminders.scenario import World, register
from tests.reminders.test_delivery import Inbox, free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def household(municipality: Municipality, coordinator: User) -> None:
    from reception.services import accounts

    manager = accounts.create_user(municipality, "chef@bracke.example", "Chef", ["manager"])
    register(World(municipality, coordinator, manager), "KS 9", date(2026, 3, 2), date(2026, 3, 2))


def sweep_days() -> list[date]:
    with system(db.session):
        return list(db.session.scalars(select(SweepRun.day).order_by(SweepRun.day)))


@pytest.mark.usefixtures("household")
def test_catch_up_sweeps_once_per_day_and_bridges_a_gap() -> None:
    with time_machine.travel("2026-04-20 05:00 +02:00", tick=False):
        assert scheduler.catch_up() is not None
        assert scheduler.catch_up() is None  # restarted later the same day
    with time_machine.travel("2026-05-06 05:00 +02:00", tick=False):
        result = scheduler.catch_up()
    assert result is not None and result.created["overdue"] == 2
    assert sweep_days() == [date(2026, 4, 20), date(2026, 5, 6)]


def test_no_in_process_scheduler_under_testing(app: Flask) -> None:
    app.test_client().get("/feeds/cal_x.ics")
    assert "scheduler" not in app.extensions


@pytest.mark.usefixtures("household")
def test_in_process_scheduler_catches_up_on_start(app: Flask, tmp_path: Path) -> None:
    app.config["MAIL_OUTBOX_DIR"] = str(tmp_path)
    started = scheduler.start_in_process(app)
    try:
        assert scheduler.start_in_process(app) is started  # once per process
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not list(tmp_path.glob("*.eml")):
            time.sleep(0.1)
        assert {job.id for job in started.get_jobs()} == {"sweep", "deliver"}
    finally:
        started.shutdown(wait=True)
        app.extensions.pop("scheduler", None)
        app.config["MAIL_OUTBOX_DIR"] = str(Path(app.instance_path) / "outbox")
    assert sweep_days() == [today()]
    with system(db.session):
        total = db.session.scalar(select(func.count()).select_from(Notification))
    assert total and len(list(tmp_path.glob("*.eml"))) == total


@pytest.mark.postgres
@pytest.mark.usefixtures("household")
def test_sweep_is_skipped_while_another_process_holds_the_lock() -> None:
    assert TEST_DATABASE_URL
    other = create_engine(TEST_DATABASE_URL)
    with other.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": SWEEP_LOCK_KEY})
        assert scheduler.sweep_now(date(2026, 5, 6)) is None
        assert sweep_days() == []
        connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SWEEP_LOCK_KEY})
    other.dispose()
    assert scheduler.sweep_now(date(2026, 5, 6)) is not None


@pytest.mark.postgres
@pytest.mark.usefixtures("household")
def test_two_scheduler_processes_deliver_each_notification_once(tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller

    assert TEST_DATABASE_URL
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        **os.environ,
        "DATABASE_URL": TEST_DATABASE_URL,
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": str(port),
        "MAIL_SECURITY": "none",
        "SECRET_KEY": "test-secret",
    }
    script = (
        "from wsgi import app\n"
        "from reception.reminders import scheduler\n"
        "with app.app_context():\n"
        "    for _ in range(3):\n"
        "        scheduler.sweep_now()\n"
        "        scheduler.deliver_now()\n"
    )
    try:
        processes = [
            subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env) for _ in range(2)
        ]
        assert [p.wait(timeout=120) for p in processes] == [0, 0]
    finally:
        controller.stop()
    with system(db.session):
        total = db.session.scalar(select(func.count()).select_from(Notification))
        attempts = set(db.session.scalars(select(Notification.attempts)))
    ids = [m["Message-ID"] for m in inbox.messages]
    assert total and len(ids) == len(set(ids)) == total
    assert attempts == {1}
