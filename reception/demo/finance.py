"""Demo reimbursements: Bräcke's fördelningstal and a payment specification already imported.

Built from the demo households' own expected payments of months that have passed, so the
reconciliation always shows something real: most instalments paid in full, one paid short
and one missing (KS 2025/311), and the per-place payment for the year.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from reception.engine.reimbursement import PaymentKind
from reception.extensions import db
from reception.models import ExpectedPayment, Household, User
from reception.services import payments, reimbursements

SHORT_BY_SEK = 5000


def _paid_on(month: date, today: date) -> date:
    # Migrationsverket pays during the month; the 25th, or today in the current month.
    return min(month.replace(day=25), today)


def load(today: date, finance: User) -> None:
    """Stage the demo finance data for the bound municipality (called once, with the demo)."""
    # Bräcke's fördelningstal 2026 (rules.md §4).
    reimbursements.set_allocation(today.year, {"tp_places": 9}, finance)
    this_month = today.replace(day=1)
    rows = db.session.execute(
        select(ExpectedPayment, Household.reference)
        .join(Household, ExpectedPayment.household_id == Household.id)
        .where(ExpectedPayment.month < this_month)
        .order_by(ExpectedPayment.month, Household.reference, ExpectedPayment.person_id)
    ).all()
    lines = ["Utbetalningsdatum;Belopp;Ersättningstyp;Personnummer;Ärende;Period;Referens"]
    # In the latest paid month of KS 2025/311: the eldest paid short, the youngest not at all.
    instalments = sorted(
        (e for e, ref in rows if ref == "KS 2025/311" and e.kind == PaymentKind.ESTABLISHMENT),
        key=lambda e: (e.month, e.person.birth_date),
    )
    latest = [e for e in instalments if e.month == instalments[-1].month] if instalments else []
    short_id = latest[0].id if latest else None
    missing_id = latest[-1].id if len(latest) > 1 else None
    for expected, reference in rows:
        if expected.id == missing_id:
            continue
        amount = expected.amount_sek - (SHORT_BY_SEK if expected.id == short_id else 0)
        number = expected.person.personnummer if expected.person else None
        lines.append(
            ";".join(
                [
                    _paid_on(expected.month, today).isoformat(),
                    f"{amount:,}".replace(",", " ") + ",00",
                    expected.kind,
                    number or "",
                    "" if number else reference,
                    f"{expected.month:%Y-%m}",
                    f"Schablonersättning {expected.month:%Y-%m}",
                ]
            )
        )
    january = date(today.year, 1, 1)
    places = db.session.scalar(
        select(ExpectedPayment.amount_sek).where(
            ExpectedPayment.household_id.is_(None),
            ExpectedPayment.kind == PaymentKind.TP_PLACE,
            ExpectedPayment.month == january,
        )
    )
    if places and january < this_month:
        paid_on = _paid_on(january, today).isoformat()
        lines.append(f"{paid_on};{places};fördelningstal;;;{january:%Y-%m};Fördelningstal")
    if len(lines) > 1:
        content = ("\n".join(lines) + "\n").encode("utf-8")
        payments.import_file("utbetalningsspecifikation-demo.csv", content, finance, today)
