"""Optimistic concurrency over HTTP: the version a client read comes in, ETag and 409 go out.

A household, person, task or received payment carries a version (services/versions.py).
Responses give it as `version` in the JSON and as a strong `ETag: "<version>"`. A client
sends it back with `If-Match: "<version>"` or as `version` in the JSON body; the service
compares it under the row lock. A PATCH, PUT or DELETE without it is refused with 428 (a
blind overwrite could undo someone else's change); a stale one is a 409 carrying the
current resource, so the client can show what changed and try again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from flask import Response, jsonify, request
from flask_babel import gettext as _
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm.exc import StaleDataError

from reception.api import bp, serialize
from reception.api.auth import error_response
from reception.extensions import db
from reception.models import Household, Person, ReceivedPayment, Task
from reception.models.tenancy import get_in_tenant
from reception.services import versions
from reception.services.errors import ServiceError
from reception.services.validation import MAX_INTEGER, Input
from reception.timeutil import today

IF_MATCH = "If-Match"
# A strong entity tag holding a version ("3"), or the bare number (3).
_TAG = re.compile(r'^\s*(?:"([0-9]{1,10})"|([0-9]{1,10}))\s*$')


class PreconditionRequired(ServiceError):
    """A change sent without the version it was based on (RFC 6585, 428)."""

    status = 428


def etag(version: int) -> str:
    return f'"{version}"'


def tagged(data: dict[str, Any], status: int = 200) -> Response:
    """The resource's JSON with its version as the ETag."""
    response = jsonify(data)
    response.status_code = status
    response.headers["ETag"] = etag(data[versions.FIELD])
    return response


def _if_match() -> int | None:
    raw = request.headers.get(IF_MATCH)
    if raw is None:
        return None
    match = _TAG.match(raw)
    value = int(match.group(1) or match.group(2)) if match else 0
    if not 1 <= value <= MAX_INTEGER:
        raise ServiceError(
            _('%(header)s must be the ETag you read, such as "3".', header=IF_MATCH), IF_MATCH
        )
    return value


def with_version(body: Mapping[str, Any]) -> dict[str, Any]:
    """The body with the version from If-Match or the body itself, when the client sent one.

    Header and body may both be given, but must then agree.
    """
    header = _if_match()
    if versions.FIELD not in body:
        return dict(body) if header is None else {**body, versions.FIELD: header}
    if header is not None:
        data = Input(body)
        sent = versions.expected(data)
        data.raise_if_errors()
        if sent != header:
            raise ServiceError(
                _("The version in the body differs from the %(header)s header.", header=IF_MATCH),
                versions.FIELD,
            )
    return dict(body)


def required(body: Mapping[str, Any], exists: Callable[[], object]) -> dict[str, Any]:
    """As with_version, but a change without a version is refused (428).

    `exists` looks the resource up first, so an unknown or foreign id is still a 404.
    """
    checked = with_version(body)
    if versions.FIELD not in checked:
        exists()
        raise PreconditionRequired(
            _(
                "Send the version you read (the %(header)s header or version in the body); "
                "without it the change could overwrite someone else's.",
                header=IF_MATCH,
            ),
            versions.FIELD,
        )
    return checked


def _conflict(message: str, current: versions.Versioned | None) -> Response:
    data = serialize.versioned(current, today()) if current is not None else None
    response = error_response(409, message, versions.FIELD, current=data)
    if data is not None:
        response.headers["ETag"] = etag(data[versions.FIELD])
    return response


def _reloaded(obj: versions.Versioned) -> versions.Versioned | None:
    """The stored state after the rollback; None when the row is gone meanwhile."""
    try:
        db.session.refresh(obj)
    except InvalidRequestError:
        return None
    return obj


@bp.errorhandler(versions.StaleVersion)
def stale_version(exc: versions.StaleVersion) -> Response:
    db.session.rollback()
    return _conflict(exc.message, _reloaded(exc.current))


# The resource a URL names, by its id argument: what a lost race reloads and returns.
_RESOURCES: dict[str, type[versions.Versioned]] = {
    "task_id": Task,
    "person_id": Person,
    "payment_id": ReceivedPayment,
    "household_id": Household,
}


@bp.errorhandler(StaleDataError)
def lost_race(exc: StaleDataError) -> Response:
    # The version in an UPDATE's WHERE matched no row: another writer committed first
    # (SQLite, which has no row locks, or a path that took none). The same 409 as a stale
    # version, with the state that won.
    db.session.rollback()
    args = request.view_args or {}
    current = None
    for name, model in _RESOURCES.items():
        if name in args:
            current = get_in_tenant(db.session, model, args[name])
            break
    if current is None:
        return _conflict(_("Someone else changed this at the same time; try again."), None)
    return _conflict(versions.stale_message(current), current)
