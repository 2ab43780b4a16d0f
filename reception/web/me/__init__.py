"""The signed-in user's own pages: notifications and settings (digest, calendar feed)."""

from flask import Blueprint

bp = Blueprint("me", __name__)

from reception.web.me import views  # noqa: E402,F401
