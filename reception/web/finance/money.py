"""How the finance pages write kronor, months and match statuses, in the page's language.

Amounts stay ints all the way to Babel, which formats them exactly (no float).
"""

from __future__ import annotations

from datetime import date

from flask_babel import format_currency, format_date, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from reception.engine.reimbursement import PaymentKind
from reception.models import Role
from reception.services.reconciliation import MatchStatus

READERS = (Role.FINANCE, Role.MANAGER, Role.ADMIN)
WRITERS = (Role.FINANCE, Role.ADMIN)

# Short column headings; the groups (schablon / temporary protection) are a header row above.
KIND_SHORT = {
    PaymentKind.ESTABLISHMENT: _l("Establishment"),
    PaymentKind.INITIAL_COST: _l("Initial costs"),
    PaymentKind.TP_PLACE: _l("Per place"),
    PaymentKind.TP_MOVE_IN: _l("Move-in"),
    PaymentKind.TP_DAILY: _l("Per day"),
}
SCHABLON_KINDS = (PaymentKind.ESTABLISHMENT, PaymentKind.INITIAL_COST)
PROTECTION_KINDS = (PaymentKind.TP_PLACE, PaymentKind.TP_MOVE_IN, PaymentKind.TP_DAILY)

# Status -> existing badge style; the badge always carries the status as text.
STATUS_BADGE = {
    MatchStatus.MATCHED: "done",
    MatchStatus.PARTLY_PAID: "due-soon",
    MatchStatus.OVERPAID: "waiting",
    MatchStatus.UNPAID: "overdue",
    MatchStatus.NOT_DUE: "open",
    MatchStatus.UNEXPECTED: "blocked",
}
STATUS_ORDER = (
    MatchStatus.UNPAID,
    MatchStatus.PARTLY_PAID,
    MatchStatus.OVERPAID,
    MatchStatus.UNEXPECTED,
    MatchStatus.MATCHED,
    MatchStatus.NOT_DUE,
)


def kronor(amount: int) -> str:
    """61 982 kr (sv) or 61,982 SEK (en): whole kronor, the locale's grouping."""
    return format_currency(amount, "SEK", format="#,##0\u00a0¤", currency_digits=False)


def number(amount: int) -> str:
    """An amount in a table whose heading says kr: 61 982."""
    return format_decimal(amount, format="#,##0")


def signed(amount: int) -> str:
    """A difference with its sign written out (+5 000, -5 000, 0)."""
    if amount == 0:
        return format_decimal(0)
    return format_decimal(amount, format="+#,##0;-#,##0")


def month_label(month: date) -> str:
    return format_date(month, "LLLL y")


def short_month(month: date) -> str:
    return format_date(month, "LLL y")


def share(amount: int, largest: int) -> int:
    """The bar length in whole percent of the largest value, computed in integers."""
    if largest <= 0 or amount <= 0:
        return 0
    return amount * 100 // largest


def status_text(status: MatchStatus) -> str:
    from reception.services.finance_export import status_label

    return status_label(status)


def difference_note(status: MatchStatus) -> str:
    return {
        MatchStatus.MATCHED: _("Received as expected."),
        MatchStatus.PARTLY_PAID: _("Less received than expected."),
        MatchStatus.OVERPAID: _("More received than expected."),
        MatchStatus.UNPAID: _("Nothing received, and the month is over."),
        MatchStatus.NOT_DUE: _("Not due yet."),
        MatchStatus.UNEXPECTED: _("Received, but nothing was expected."),
    }[status]
