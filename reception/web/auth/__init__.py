"""Signing in and out, and the language switch."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from reception.web.auth import views  # noqa: E402,F401
