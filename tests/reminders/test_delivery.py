"""E-mail through a real SMTP server on loopback (aiosmtpd), in the recipient's language."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from reception.extensions import db
from reception.models import Municipality, Notification, User
from reception.models.tenancy import system, tenant
from reception.reminders import scheduler
from reception.reminders.delivery import deliver_pending
from reception.reminders.mail import Mailer
from reception.services import accounts
from tests.reminders.scenario import register


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=default_policy)  # type: ignore[arg-type]
        )
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def smtp(app: Flask) -> Iterator[Inbox]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    saved = {k: app.config[k] for k in ("MAIL_HOST", "MAIL_PORT", "MAIL_SECURITY", "MAIL_FROM")}
    app.config.update(
        MAIL_HOST="127.0.0.1",
        MAIL_PORT=port,
        MAIL_SECURITY="none",
        MAIL_FROM="Mottagning Bräcke <mottagning@bracke.example>",
    )
    try:
        yield inbox
    finally:
        app.config.update(saved)
        controller.stop()


@pytest.fixture()
def household_due_soon(municipality: Municipality, coordinator: User) -> Iterator[None]:
    """A household whose latest reception date is 2026-05-02; swept on 2026-04-27."""
    with time_machine.travel("2026-04-27 07:00 +02:00", tick=False):
        manager = accounts.create_user(
            municipality, "chef@bracke.example", "Chef Chefsson", ["manager"], "en"
        )
        from tests.reminders.scenario import World

        register(
            World(municipality, coordinator, manager),
            "KS 2026/7",
            date(2026, 3, 2),
            date(2026, 3, 2),
        )
        yield


def by_subject(inbox: Inbox) -> dict[str, EmailMessage]:
    return {str(m["Subject"]): m for m in inbox.messages}


@pytest.mark.usefixtures("household_due_soon")
def test_notifications_arrive_over_smtp_in_the_recipients_language(smtp: Inbox) -> None:
    with time_machine.travel("2026-04-27 07:00 +02:00", tick=False):
        scheduler.sweep_now()
        result = scheduler.deliver_now()
    assert result.sent == len(smtp.messages) > 0 and result.failed == 0
    subjects = by_subject(smtp)
    # The coordinator reads Swedish: a reminder, the 7-day alert and the digest.
    reminder = subjects["Påminnelse: Köp mat för första dygnet ska vara klar 30 april 2026"]
    assert "Påminnelse: Ordna möblerad bostad ska vara klar 2 maj 2026" in subjects
    assert reminder["To"] == "Sam Ordnare <samordnare@bracke.example>"
    assert reminder["From"] == "Mottagning Bräcke <mottagning@bracke.example>"
    assert reminder["Message-ID"].startswith("<mottagning-notification-")
    assert reminder["Message-ID"].endswith("@bracke.example>")
    plain = reminder.get_body(("plain",))
    html = reminder.get_body(("html",))
    assert plain is not None and html is not None
    assert "Hushåll KS 2026/7." in plain.get_content()
    assert '<html lang="sv">' in html.get_content()
    assert any(s.startswith("Senaste mottagningsdatum om 7 dagar") for s in subjects)
    digest = next(m for s, m in subjects.items() if s.startswith("Dina uppgifter"))
    digest_text = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Förfaller de närmaste 3 dagarna" in digest_text
    assert "- 30 april 2026: Köp mat för första dygnet (KS 2026/7)" in digest_text
    assert "Ordna möblerad bostad" not in digest_text  # 5 days ahead
    assert "dagliga sammanfattningen" in digest_text

    # A week later the manager, who reads English, gets the escalations in English.
    smtp.messages.clear()
    with time_machine.travel("2026-05-08 07:00 +02:00", tick=False):
        scheduler.sweep_now()
        scheduler.deliver_now()
    escalations = [m for m in smtp.messages if str(m["Subject"]).startswith("Escalation:")]
    assert len(escalations) == 2
    assert all(m["To"] == "Chef Chefsson <chef@bracke.example>" for m in escalations)
    assert "5 working days overdue" in str(escalations[0]["Subject"])


@pytest.mark.usefixtures("household_due_soon")
def test_a_refused_connection_is_recorded_and_retried(app: Flask, smtp: Inbox) -> None:
    port = app.config["MAIL_PORT"]
    with time_machine.travel("2026-04-27 07:00 +02:00", tick=False):
        scheduler.sweep_now()
        app.config["MAIL_PORT"] = free_port()  # nothing listens there
        failed = scheduler.deliver_now()
        assert failed.sent == 0 and failed.failed > 0
        with system(db.session):
            rows = db.session.scalars(select(Notification)).all()
            assert all(n.delivered_at is None and n.attempts == 1 for n in rows)
            assert all("ConnectionRefused" in (n.last_error or "") for n in rows)
        app.config["MAIL_PORT"] = port
        retried = scheduler.deliver_now()
    assert retried.sent == failed.failed == len(smtp.messages)
    with system(db.session):
        assert all(
            n.attempts == 2 and n.last_error is None
            for n in db.session.scalars(select(Notification))
        )


class Crashing:
    """A transport that hands message `crash_at` over and then dies before the commit."""

    def __init__(self, crash_at: int | None) -> None:
        self.sent: list[EmailMessage] = []
        self.crash_at = crash_at

    def send(self, message: EmailMessage) -> None:
        self.sent.append(message)
        if len(self.sent) == self.crash_at:
            raise SystemExit("killed after the SMTP hand-over")

    def close(self) -> None:
        pass


@pytest.mark.usefixtures("household_due_soon")
def test_a_delivery_killed_mid_way_misses_nothing_and_repeats_only_the_message_in_flight(
    app: Flask,
) -> None:
    with time_machine.travel("2026-04-27 07:00 +02:00", tick=False):
        scheduler.sweep_now()
        mailer = Mailer(app.config)
        first = Crashing(crash_at=2)
        mailer.transport = first
        with pytest.raises(SystemExit):
            deliver_pending(db.session, mailer)
        second = Crashing(crash_at=None)
        mailer.transport = second
        deliver_pending(db.session, mailer)
    with system(db.session):
        total = len(db.session.scalars(select(Notification)).all())
    ids = [m["Message-ID"] for m in first.sent + second.sent]
    assert total >= 3
    assert len(set(ids)) == total  # nothing missed
    # Exactly one message went out twice: the one in flight when the process died, with
    # the same Message-ID both times so the receiving side can recognise it.
    assert len(ids) == total + 1
    assert first.sent[1]["Message-ID"] == second.sent[0]["Message-ID"]


@pytest.mark.usefixtures("household_due_soon")
def test_concurrent_deliverers_send_each_notification_once(app: Flask, smtp: Inbox) -> None:
    import threading

    with time_machine.travel("2026-04-27 07:00 +02:00", tick=False):
        scheduler.sweep_now()
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def deliverer() -> None:
        with app.app_context():
            try:
                barrier.wait()
                scheduler.deliver_now()
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=deliverer) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ids = [m["Message-ID"] for m in smtp.messages]
    with system(db.session):
        total = len(db.session.scalars(select(Notification)).all())
    assert len(ids) == len(set(ids)) == total


def test_digest_opt_out(municipality: Municipality, coordinator: User) -> None:
    with time_machine.travel("2026-04-27 07:00 +02:00", tick=False):
        manager = accounts.create_user(municipality, "chef@bracke.example", "Chef", ["manager"])
        from tests.reminders.scenario import World

        register(
            World(municipality, coordinator, manager), "KS 1", date(2026, 3, 2), date(2026, 3, 2)
        )
        with tenant(db.session, municipality.id):
            from reception.services.notifications import set_digest

            set_digest(coordinator, False)
        scheduler.sweep_now()
    with system(db.session):
        kinds = set(db.session.scalars(select(Notification.kind)))
    assert "digest" not in kinds and "reminder" in kinds


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]


@pytest.mark.usefixtures("household_due_soon")
def test_mail_links_into_the_app_from_base_url(app: Flask, smtp: Inbox) -> None:
    saved = app.config["BASE_URL"]
    app.config["BASE_URL"] = "https://mottagning.bracke.example/"
    try:
        with time_machine.travel("2026-04-27 07:00 +02:00", tick=False):
            scheduler.sweep_now()
            scheduler.deliver_now()
    finally:
        app.config["BASE_URL"] = saved
    with system(db.session):
        rows = db.session.scalars(select(Notification)).all()
    subjects = by_subject(smtp)
    mail = subjects["Påminnelse: Köp mat för första dygnet ska vara klar 30 april 2026"]
    food = next(n for n in rows if n.kind == "reminder" and n.for_date == date(2026, 4, 30))
    link = f"https://mottagning.bracke.example/households/{food.household_id}#task-{food.task_id}"
    plain = text_of(mail)
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert f"Se hushållet i Mottagning:\n{link}\n" in plain
    assert f'<a href="{link}"' in html
    alert = next(m for s, m in subjects.items() if s.startswith("Senaste mottagningsdatum"))
    household_link = f"https://mottagning.bracke.example/households/{food.household_id}\n"
    assert household_link in text_of(alert)
    digest_text = text_of(next(m for s, m in subjects.items() if s.startswith("Dina uppgifter")))
    assert "Öppna dina uppgifter i Mottagning:\nhttps://mottagning.bracke.example/tasks\n" in (
        digest_text
    )
    assert "https://mottagning.bracke.example/me" in digest_text
