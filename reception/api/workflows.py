"""/api/v1/workflows: the loaded definitions."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from reception.api import bp, serialize
from reception.services.workflows import registry


@bp.get("/workflows")
def list_workflows() -> Any:
    # ?all=1 includes archived versions that households may still be on.
    definitions = registry().all() if request.args.get("all") else registry().latest()
    return jsonify([serialize.workflow(d) for d in definitions])
