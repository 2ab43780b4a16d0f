"""Finance pages: forecast, household schedules, received payments, reconciliation.

Readers are finance, managers and administrators; changing payments, imports and
fördelningstal is for finance and administrators, exactly as in the API.
"""

from flask import Blueprint

bp = Blueprint("finance", __name__, url_prefix="/finance")

from reception.web.finance import payments, views  # noqa: E402,F401
