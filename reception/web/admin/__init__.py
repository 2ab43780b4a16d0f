"""Administration of the municipality (role admin): its users and the import of households."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from reception.web.admin import household_import, views  # noqa: E402,F401
