"""Administration of the municipality's users (role admin)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from reception.web.admin import views  # noqa: E402,F401
