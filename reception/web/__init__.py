"""The HTML interface: sign-in, coordinators', household, manager and finance pages, admin,
and each user's notifications and settings.

One blueprint package per audience, plus the calendar feeds (secret URLs, no
sign-in). Every request of a signed-in user is bound to the user's municipality
before any view runs, so the tenant filter of `models/tenancy.py` applies to every
query a page makes.
"""

from __future__ import annotations

from flask import Flask

from reception.extensions import csrf, login_manager


def init_web(app: Flask) -> None:
    from reception.services import history
    from reception.web import access, conflicts, errors, presenters
    from reception.web.admin import bp as admin_bp
    from reception.web.auth import bp as auth_bp
    from reception.web.coordinator import bp as coordinator_bp
    from reception.web.feeds import bp as feeds_bp
    from reception.web.finance import bp as finance_bp
    from reception.web.households import bp as households_bp
    from reception.web.manager import bp as manager_bp
    from reception.web.me import bp as me_bp
    from reception.web.protection import bp as protection_bp

    csrf.init_app(app)
    login_manager.init_app(app)
    access.init_app(app)
    errors.init_app(app)
    for blueprint in (
        auth_bp,
        coordinator_bp,
        households_bp,
        manager_bp,
        protection_bp,
        finance_bp,
        admin_bp,
        feeds_bp,
    ):
        app.register_blueprint(blueprint)
    app.register_blueprint(me_bp)
    app.jinja_env.tests["startingwith"] = lambda value, prefix: str(value).startswith(prefix)
    app.jinja_env.globals.update(
        age=presenters.age,
        event_subject=presenters.event_subject,
        event_value=presenters.event_value,
        shown=conflicts.shown,
        history_groups=history.grouped,
    )
