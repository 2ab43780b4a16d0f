"""Manager pages for temporary protection and quotas: the fördelningstal and kommuntal per
year, and the municipality's end-of-protection scenario."""

from flask import Blueprint

bp = Blueprint("protection", __name__, url_prefix="/manager")

from reception.web.protection import views  # noqa: E402,F401
