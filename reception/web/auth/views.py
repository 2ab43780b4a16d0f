"""/login, /logout, /language."""

from __future__ import annotations

import time
from typing import Any

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from reception.extensions import db
from reception.models.tenancy import tenant
from reception.services import passwords
from reception.web.access import landing_url, safe_next
from reception.web.auth import bp


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or landing_url(current_user))
    email = ""
    error = None
    if request.method == "POST":
        email = request.form.get("email", "").strip()
        password = request.form.get("password", "")
        user = passwords.authenticate(email, password) if email and password else None
        if user is not None:
            # A fresh session on sign-in (no fixation); only the chosen language survives.
            locale = session.get("locale")
            session.clear()
            if locale:
                session["locale"] = locale
            login_user(user)
            session["last_seen"] = time.time()
            session.permanent = True
            return redirect(next_url or landing_url(user), 303)
        # The same message whatever was wrong: it must not tell which addresses exist.
        error = _("The e-mail address or the password is not correct.")
    return render_template("auth/login.html", email=email, error=error, next_url=next_url)


@bp.post("/logout")
def logout() -> Any:
    locale = session.get("locale")
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale
    return redirect(url_for("auth.login"), 303)


@bp.post("/language")
def set_language() -> Any:
    language = request.form.get("language")
    if language in ("sv", "en"):
        session["locale"] = language
        if current_user.is_authenticated:
            user = current_user._get_current_object()
            with tenant(db.session, user.municipality_id):
                user.locale = language
                db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("coordinator.home"), 303)
