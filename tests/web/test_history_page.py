"""The household page shows the history by operation: one collapsed group each, newest first."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from reception.extensions import db
from reception.models import ChangeEvent, ChangeSet, Municipality, Task, User
from reception.models.tenancy import tenant
from reception.services import tasks
from reception.timeutil import today
from tests.web.helpers import sign_in, web_client
from tests.web.test_query_counts import add_households

GROUP = re.compile(
    r'<details class="history__group">\s*<summary>(.*?)</summary>(.*?)</details>', re.S
)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_history_is_grouped_by_operation_newest_first(
    app: Flask, municipality: Municipality, coordinator: User
) -> None:
    household = add_households(municipality, coordinator, 1, 1)[0]
    with tenant(db.session, municipality.id):
        visit = db.session.scalar(
            select(Task).where(Task.household_id == household.id, Task.key == "skatteverket_visit")
        )
        tasks.complete(visit.id, {}, coordinator, today())
        sets = db.session.scalars(
            select(ChangeSet).where(ChangeSet.household_id == household.id).order_by(ChangeSet.id)
        ).all()
        counts = {
            s.id: len(
                db.session.scalars(
                    select(ChangeEvent.id).where(ChangeEvent.change_set_id == s.id)
                ).all()
            )
            for s in sets
        }
        coordinator.locale = "en"
        db.session.commit()
    registered, completed = sets
    client = web_client(app)
    sign_in(client, coordinator)

    page = client.get(f"/households/{household.id}").get_data(as_text=True)

    groups = GROUP.findall(page)
    assert len(groups) == 2, page
    (newest_summary, newest_changes), (oldest_summary, oldest_changes) = groups
    # Collapsed: no group is open until asked.
    assert '<details class="history__group" open' not in page
    assert completed.reason in _text(newest_summary)
    assert f"Sam Ordnare · {completed.reason} · {counts[completed.id]} changes" in _text(
        newest_summary
    )
    assert f"{registered.reason} · {counts[registered.id]} changes" in _text(oldest_summary)
    # The changes sit inside their group: the completion's, then the registration's rows.
    assert newest_changes.count("<tr>") == counts[completed.id] + 1  # and the heading row
    assert oldest_changes.count("<tr>") == counts[registered.id] + 1
    changes = _text(newest_changes)
    assert "to apply for population registration: status Open Done" in changes
    assert "Follow up the registration decision and personnummer – Person0 Familj1: due date" in (
        changes
    )
    assert "added" not in changes and "Skatteverket" not in _text(oldest_summary)
