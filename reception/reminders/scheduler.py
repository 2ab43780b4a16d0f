"""APScheduler 3 jobs: the daily sweep (with catch-up on start) and e-mail delivery.

Embedded default (SQLite): a BackgroundScheduler inside the web process, started by the
first request, so CLI commands and the reloader's parent process never run one.
Production (PostgreSQL): `flask --app wsgi scheduler` runs a BlockingScheduler as its own
process; several may run (on several machines): the sweep takes a PostgreSQL advisory
lock and delivery claims rows with FOR UPDATE SKIP LOCKED, so nothing is done twice.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from datetime import date, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app

from reception.extensions import db
from reception.reminders.delivery import DeliveryResult, deliver_pending
from reception.reminders.mail import Mailer
from reception.reminders.sweep import SweepBusy, SweepResult
from reception.timeutil import STOCKHOLM, today

log = logging.getLogger(__name__)

_started_lock = threading.Lock()


def catch_up(day: date | None = None) -> SweepResult | None:
    """Sweep up to `day` (default today), unless a sweep of that day already completed.

    One set-based pass covers every day missed while the scheduler was down: the sweep
    asks what is due up to the day and not yet created, so nothing missed is lost.
    """
    from reception.services.reminders import last_sweep

    day = day or today()
    last = last_sweep()
    if last is not None and last >= day:
        return None
    if last is not None and (day - last).days > 1:
        log.warning("sweeps missed from %s to %s: catching up in one pass", last, day)
    return sweep_now(day)


def sweep_now(day: date | None = None) -> SweepResult | None:
    from reception.services.reminders import run_sweep

    try:
        return run_sweep(day or today())
    except SweepBusy:
        log.info("another process is sweeping; skipped")
        return None


def deliver_now() -> DeliveryResult:
    with Mailer(current_app.config) as mailer:
        return deliver_pending(db.session, mailer)


def _job(app: Flask, work: str) -> None:
    with app.app_context():
        try:
            if work == "start":
                catch_up()
                deliver_now()
            elif work == "sweep":
                sweep_now()
                deliver_now()
            else:
                deliver_now()
        except Exception:
            log.exception("scheduled %s failed", work)
        finally:
            db.session.remove()


def configure(scheduler: BaseScheduler, app: Flask) -> BaseScheduler:
    common = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
    scheduler.add_job(
        _job, args=(app, "start"), id="catch-up", next_run_time=datetime.now(STOCKHOLM), **common
    )
    scheduler.add_job(
        _job,
        CronTrigger(hour=int(app.config["SWEEP_HOUR"]), minute=0, timezone=STOCKHOLM),
        args=(app, "sweep"),
        id="sweep",
        **common,
    )
    scheduler.add_job(
        _job,
        IntervalTrigger(minutes=int(app.config["DELIVERY_INTERVAL_MINUTES"])),
        args=(app, "deliver"),
        id="deliver",
        **common,
    )
    return scheduler


def run_blocking(app: Flask) -> None:
    """The production scheduler process; returns when interrupted."""
    scheduler = configure(BlockingScheduler(timezone=STOCKHOLM), app)
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


def start_in_process(app: Flask) -> BackgroundScheduler | None:
    """Start the in-process scheduler once per process (called on the first request)."""
    with _started_lock:
        existing = app.extensions.get("scheduler")
        if existing is not None:
            return existing
        scheduler = configure(BackgroundScheduler(timezone=STOCKHOLM), app)
        scheduler.start()
        app.extensions["scheduler"] = scheduler
        log.info("in-process scheduler started")
        return scheduler


def install(app: Flask) -> None:
    """Arrange for the in-process scheduler to start with the first request, if enabled."""
    if not app.config.get("SCHEDULER_IN_PROCESS") or app.config.get("TESTING"):
        return

    @app.before_request
    def _start_scheduler() -> None:
        if "scheduler" not in app.extensions:
            start_in_process(app)
