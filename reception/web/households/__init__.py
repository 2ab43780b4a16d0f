"""Household pages: list, new household, the household with its checklist and history."""

from flask import Blueprint

bp = Blueprint("households", __name__, url_prefix="/households")

from reception.web.households import views  # noqa: E402,F401
