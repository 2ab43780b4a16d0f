"""Access to the workflow definitions loaded at start-up."""

from __future__ import annotations

from flask import current_app

from reception.engine.definitions import WorkflowDefinition, WorkflowRegistry


def registry() -> WorkflowRegistry:
    return current_app.extensions["workflows"]


def definition_for(key: str, version: int) -> WorkflowDefinition:
    return registry().get(key, version)
