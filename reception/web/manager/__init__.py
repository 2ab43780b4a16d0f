"""The manager's pages: the dashboard and bulk reassignment (roles manager and admin)."""

from flask import Blueprint

bp = Blueprint("manager", __name__, url_prefix="/manager")

from reception.web.manager import views  # noqa: E402,F401
