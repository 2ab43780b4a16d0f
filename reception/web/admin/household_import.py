"""/admin/households/import: an administrator imports the municipality's open cases."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from reception.extensions import db
from reception.models import Role
from reception.services.errors import Conflict
from reception.services.household_import import (
    MAX_HOUSEHOLDS,
    ImportRejected,
    Problem,
    import_households,
    reader,
)
from reception.timeutil import today
from reception.web.access import roles_required
from reception.web.admin import bp


def _page(problems: list[Problem], summary: str | None, status: int = 200) -> Any:
    return (
        render_template(
            "admin/household_import.html",
            problems=problems,
            summary=summary,
            max_households=MAX_HOUSEHOLDS,
        ),
        status,
    )


@bp.get("/households/import")
@roles_required(Role.ADMIN)
def import_form() -> Any:
    return _page([], None)


@bp.post("/households/import")
@roles_required(Role.ADMIN)
def import_upload() -> Any:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page([], _("Choose the CSV or Excel file to import."), 422)
    dry_run = request.form.get("dry_run") == "y"
    try:
        # One byte past the limit is enough for the reader to refuse a file that is too large.
        content = upload.read(reader.MAX_BYTES + 1)
        result = import_households(upload.filename, content, g.user, today(), dry_run=dry_run)
    except ImportRejected as exc:
        db.session.rollback()
        summary = ngettext(
            "The file was not imported: %(num)d problem. Nothing was saved.",
            "The file was not imported: %(num)d problems. Nothing was saved.",
            len(exc.problems),
        )
        return _page(exc.problems, summary, 422)
    except Conflict as exc:
        db.session.rollback()
        return _page([], exc.message, 409)
    counts = {
        "households": result.households,
        "persons": result.persons,
        "tasks": result.tasks,
    }
    if result.dry_run:
        message = _(
            "The file is correct and nothing was saved: importing it creates %(households)d "
            "households with %(persons)d persons and %(tasks)d tasks.",
            **counts,
        )
    else:
        message = _(
            "Imported %(households)d households with %(persons)d persons and %(tasks)d tasks.",
            **counts,
        )
    flash(message, "success")
    return redirect(url_for("admin.import_form"), 303)
