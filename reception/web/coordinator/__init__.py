"""The coordinator's daily work: "Mina uppgifter" and the task actions."""

from flask import Blueprint

bp = Blueprint("coordinator", __name__)

from reception.web.coordinator import views  # noqa: E402,F401
