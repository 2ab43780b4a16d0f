"""Workflow definitions: loading YAML files, schema validation and cross-checks.

A definition is data: the tasks of one reception workflow with their scope, due
rule, dependencies and conditions. See docs/workflows.md for the format.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from reception.engine.calendar import Roll, Unit

SCHEMA_PATH = Path(__file__).with_name("schemas") / "workflow.schema.json"

HOUSEHOLD_ANCHORS = (
    "assignment_date",
    "latest_reception_date",
    "reception_date",
    "move_in_date",
    "move_out_date",
    "protection_end",
)
PERSON_ANCHORS = (
    "registration_date",
    "personnummer_date",
    "birth_date",
    "samordningsnummer_date",
    "permit_date",
    "registration_eligible_date",
)
TASK_ANCHOR_PREFIX = "task:"

HOUSEHOLD_FACTS = ("household.has_children", "household.adult_count", "household.child_count")
PERSON_FACTS = ("person.age", "person.has_personnummer", "person.has_samordningsnummer")
OPERATORS = ("equals", "not_equals", "min", "max")

ADULT_AGE = 18


class DefinitionError(ValueError):
    """An invalid workflow definition, located by file, task key and field."""

    def __init__(
        self, message: str, *, file: str, task_key: str | None = None, field: str | None = None
    ) -> None:
        self.message = message
        self.file = file
        self.task_key = task_key
        self.field = field
        where = file
        if task_key:
            where += f", task '{task_key}'"
        if field:
            where += f", field '{field}'"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Text:
    sv: str
    en: str

    def get(self, locale: str) -> str:
        return self.en if locale == "en" else self.sv


@dataclass(frozen=True)
class Scope:
    """Who a task is for: the household, or each member matching an age rule."""

    kind: str  # household | adult | child | person | age_range
    min_age: int | None = None
    max_age: int | None = None
    at: str | None = None  # anchor the age is counted at (age_range only)

    @property
    def per_person(self) -> bool:
        return self.kind != "household"


@dataclass(frozen=True)
class DueRule:
    anchors: tuple[str, ...]  # first known one wins
    offset: int = 0
    unit: Unit = Unit.DAYS
    roll: Roll = Roll.KEEP


@dataclass(frozen=True)
class Condition:
    fact: str
    operator: str
    value: Any


@dataclass(frozen=True)
class TaskDefinition:
    key: str
    title: Text
    scope: Scope
    due: DueRule | None = None
    description: Text | None = None
    depends_on: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    legal_basis: Text | None = None
    source: str | None = None
    reminder_days: int = 3


@dataclass(frozen=True)
class WorkflowDefinition:
    key: str
    version: int
    title: Text
    variant: str
    tasks: tuple[TaskDefinition, ...]
    description: Text | None = None
    source_file: str = ""
    _by_key: Mapping[str, TaskDefinition] = field(default_factory=dict, repr=False, compare=False)

    def task(self, key: str) -> TaskDefinition:
        return self._by_key[key]

    def has_task(self, key: str) -> bool:
        return key in self._by_key


@cache
def _schema_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _text(raw: Mapping[str, str] | None) -> Text | None:
    return Text(sv=raw["sv"], en=raw["en"]) if raw else None


def _leaf_errors(error: jsonschema.ValidationError) -> Iterable[jsonschema.ValidationError]:
    if not error.context:
        yield error
    for child in error.context or ():
        yield from _leaf_errors(child)


def _schema_error(error: jsonschema.ValidationError, data: Any, file: str) -> DefinitionError:
    if error.context:
        # "Not valid under any of the given schemas" says little: the deepest branch
        # says most, and among equals a list of the allowed values.
        error = min(
            _leaf_errors(error),
            key=lambda e: (-len(e.absolute_path), e.validator != "enum"),
        )
    path = list(error.absolute_path)
    task_key = None
    if len(path) >= 2 and path[0] == "tasks" and isinstance(path[1], int):
        try:
            task_key = data["tasks"][path[1]].get("key") or f"#{path[1] + 1}"
        except (IndexError, AttributeError, TypeError):
            task_key = f"#{path[1] + 1}"
        path = path[2:]
    field_name = ".".join(str(p) for p in path) or None
    return DefinitionError(error.message, file=file, task_key=task_key, field=field_name)


def parse_definition(text: str, file: str) -> WorkflowDefinition:
    """Parse and fully validate one definition; raise DefinitionError on the first problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise DefinitionError(f"malformed YAML{where}: {exc}", file=file) from exc
    if not isinstance(data, dict):
        raise DefinitionError("the file must hold a mapping with key, version and tasks", file=file)

    errors = sorted(_schema_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        raise _schema_error(errors[0], data, file)

    tasks: list[TaskDefinition] = []
    seen: set[str] = set()
    for raw in data["tasks"]:
        key = raw["key"]
        if key in seen:
            raise DefinitionError("duplicate task key", file=file, task_key=key, field="key")
        seen.add(key)
        tasks.append(_parse_task(raw))

    definition = WorkflowDefinition(
        key=data["key"],
        version=data["version"],
        title=Text(**data["title"]),
        description=_text(data.get("description")),
        variant=data["variant"],
        tasks=tuple(tasks),
        source_file=file,
        _by_key={t.key: t for t in tasks},
    )
    _check_references(definition)
    return definition


def _parse_task(raw: Mapping[str, Any]) -> TaskDefinition:
    scope_raw = raw["scope"]
    if isinstance(scope_raw, str):
        scope = Scope(kind=scope_raw)
    else:
        scope = Scope(
            kind="age_range",
            min_age=scope_raw.get("min_age"),
            max_age=scope_raw.get("max_age"),
            at=scope_raw["at"],
        )
    due = None
    if "due" in raw:
        due_raw = raw["due"]
        anchors = due_raw["anchor"]
        due = DueRule(
            anchors=tuple([anchors] if isinstance(anchors, str) else anchors),
            offset=due_raw.get("offset", 0),
            unit=Unit(due_raw.get("unit", "days")),
            roll=Roll(due_raw.get("roll", "keep")),
        )
    conditions = []
    for cond in raw.get("conditions", ()):
        (operator,) = (op for op in OPERATORS if op in cond)
        conditions.append(Condition(fact=cond["fact"], operator=operator, value=cond[operator]))
    return TaskDefinition(
        key=raw["key"],
        title=Text(**raw["title"]),
        description=_text(raw.get("description")),
        scope=scope,
        due=due,
        depends_on=tuple(raw.get("depends_on", ())),
        conditions=tuple(conditions),
        legal_basis=_text(raw.get("legal_basis")),
        source=raw.get("source"),
        reminder_days=raw.get("reminder_days", 3),
    )


def _check_anchor(definition: WorkflowDefinition, task: TaskDefinition, anchor: str, where: str):
    file = definition.source_file
    if anchor.startswith(TASK_ANCHOR_PREFIX):
        target = anchor.removeprefix(TASK_ANCHOR_PREFIX)
        if not definition.has_task(target):
            raise DefinitionError(
                f"anchor refers to unknown task '{target}'",
                file=file,
                task_key=task.key,
                field=where,
            )
        if target == task.key:
            raise DefinitionError(
                "a task cannot be anchored on itself", file=file, task_key=task.key, field=where
            )
    elif anchor in PERSON_ANCHORS:
        if not task.scope.per_person:
            raise DefinitionError(
                f"person anchor '{anchor}' needs a per-person scope",
                file=file,
                task_key=task.key,
                field=where,
            )
    elif anchor not in HOUSEHOLD_ANCHORS:
        known = ", ".join((*HOUSEHOLD_ANCHORS, *PERSON_ANCHORS, "task:<key>"))
        raise DefinitionError(
            f"unknown anchor '{anchor}' (known: {known})", file=file, task_key=task.key, field=where
        )


def _check_references(definition: WorkflowDefinition) -> None:
    file = definition.source_file
    for task in definition.tasks:
        if task.due:
            for anchor in task.due.anchors:
                _check_anchor(definition, task, anchor, "due.anchor")
        if task.scope.kind == "age_range":
            assert task.scope.at is not None
            if task.scope.at.startswith(TASK_ANCHOR_PREFIX):
                raise DefinitionError(
                    "an age is counted at a date anchor, not a task",
                    file=file,
                    task_key=task.key,
                    field="scope.at",
                )
            _check_anchor(definition, task, task.scope.at, "scope.at")
            if (
                task.scope.min_age is not None
                and task.scope.max_age is not None
                and task.scope.min_age > task.scope.max_age
            ):
                raise DefinitionError(
                    "min_age is above max_age", file=file, task_key=task.key, field="scope"
                )
        for dep in task.depends_on:
            if not definition.has_task(dep):
                raise DefinitionError(
                    f"depends on unknown task '{dep}'",
                    file=file,
                    task_key=task.key,
                    field="depends_on",
                )
        for cond in task.conditions:
            if cond.fact in PERSON_FACTS and not task.scope.per_person:
                raise DefinitionError(
                    f"fact '{cond.fact}' needs a per-person scope",
                    file=file,
                    task_key=task.key,
                    field="conditions",
                )
            if cond.fact not in HOUSEHOLD_FACTS + PERSON_FACTS:
                raise DefinitionError(
                    f"unknown fact '{cond.fact}'", file=file, task_key=task.key, field="conditions"
                )
    _check_cycles(definition)


def task_prerequisites(task: TaskDefinition) -> list[str]:
    """Keys of the tasks this one waits for, through depends_on and task: anchors."""
    keys = list(task.depends_on)
    if task.due:
        keys += [
            a.removeprefix(TASK_ANCHOR_PREFIX)
            for a in task.due.anchors
            if a.startswith(TASK_ANCHOR_PREFIX)
        ]
    return keys


def _check_cycles(definition: WorkflowDefinition) -> None:
    graph = {t.key: task_prerequisites(t) for t in definition.tasks}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished

    def visit(key: str, path: list[str]) -> None:
        state[key] = 1
        for nxt in graph[key]:
            if state.get(nxt) == 1:
                cycle = " -> ".join([*path[path.index(nxt) :], nxt])
                raise DefinitionError(
                    f"cycle in depends_on/task anchors: {cycle}",
                    file=definition.source_file,
                    task_key=key,
                    field="depends_on",
                )
            if state.get(nxt) is None:
                visit(nxt, [*path, nxt])
        state[key] = 2

    for key in graph:
        if key not in state:
            visit(key, [key])


class WorkflowRegistry:
    """Every loaded definition, by key and version."""

    def __init__(self, definitions: Iterable[WorkflowDefinition] = ()) -> None:
        self._by_key: dict[str, dict[int, WorkflowDefinition]] = {}
        for definition in definitions:
            self.add(definition)

    def add(self, definition: WorkflowDefinition) -> None:
        versions = self._by_key.setdefault(definition.key, {})
        if definition.version in versions:
            other = versions[definition.version].source_file
            raise DefinitionError(
                f"workflow {definition.key} version {definition.version} "
                f"is also defined in {other}",
                file=definition.source_file,
                field="version",
            )
        versions[definition.version] = definition

    def get(self, key: str, version: int | None = None) -> WorkflowDefinition:
        """The given version, or the newest; KeyError when unknown."""
        versions = self._by_key[key]
        return versions[max(versions) if version is None else version]

    def has(self, key: str, version: int) -> bool:
        return version in self._by_key.get(key, {})

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def latest(self) -> list[WorkflowDefinition]:
        return [versions[max(versions)] for _, versions in sorted(self._by_key.items())]

    def all(self) -> list[WorkflowDefinition]:
        return [
            versions[v] for _, versions in sorted(self._by_key.items()) for v in sorted(versions)
        ]


def load_directory(directory: Path) -> WorkflowRegistry:
    """Load every *.yaml / *.yml file below `directory` (archived versions included)."""
    files = sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml"))
    if not files:
        raise DefinitionError("no workflow definitions found", file=str(directory))
    registry = WorkflowRegistry()
    for path in files:
        display = str(path.relative_to(directory.parent))
        registry.add(parse_definition(path.read_text(encoding="utf-8"), display))
    return registry
