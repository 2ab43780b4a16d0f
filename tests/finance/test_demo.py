"""The demo gives finance something real to reconcile."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from reception import demo
from reception.extensions import db
from reception.models import Municipality
from reception.models.tenancy import tenant
from reception.services.reconciliation import MatchStatus, reconcile


@pytest.mark.usefixtures("frozen_today")
def test_demo_payments_match_mostly_with_one_short_and_one_missing(
    app_ctx, frozen_today: date
) -> None:
    demo.load(frozen_today)
    bracke = db.session.scalar(select(Municipality).where(Municipality.code == "2260"))
    with tenant(db.session, bracke.id):
        result = reconcile(frozen_today.year, frozen_today)
        last_year = reconcile(frozen_today.year - 1, frozen_today)
    statuses = {(r.household_reference, r.person_name, r.kind): r.status for r in result.rows}
    assert result.counts[MatchStatus.MATCHED] >= 2
    assert {r.status for r in last_year.rows} == {MatchStatus.MATCHED}
    assert last_year.received_sek == last_year.expected_sek > 0
    assert result.counts[MatchStatus.PARTLY_PAID] == 1
    assert result.counts[MatchStatus.UNPAID] == 1
    assert result.counts[MatchStatus.UNEXPECTED] == 0
    assert statuses[(None, None, "tp_place")] == MatchStatus.MATCHED
    short = next(r for r in result.rows if r.status == MatchStatus.PARTLY_PAID)
    assert (short.household_reference, short.difference_sek) == ("KS 2025/311", -5000)
