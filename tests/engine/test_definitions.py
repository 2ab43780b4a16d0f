"""Loading workflow definitions: every kind of mistake is a clear error naming where."""

from pathlib import Path
from textwrap import dedent

import pytest

from reception.engine.definitions import DefinitionError, load_directory, parse_definition

ROOT = Path(__file__).resolve().parents[2]

HEADER = """\
key: test-flow
version: 1
title: {sv: "Test", en: "Test"}
variant: reception_centre
tasks:
"""


def definition(tasks: str) -> str:
    return HEADER + dedent(tasks)


def error_for(text: str) -> DefinitionError:
    with pytest.raises(DefinitionError) as info:
        parse_definition(text, "workflows/test.yaml")
    return info.value


def test_a_valid_definition_parses() -> None:
    parsed = parse_definition(
        definition(
            """\
            - key: housing
              title: {sv: "Ordna bostad", en: "Arrange housing"}
              scope: household
              due: {anchor: latest_reception_date}
            - key: sfi_application
              title: {sv: "Skicka SFI-ansökan", en: "Send SFI application"}
              scope: adult
              due: {anchor: [reception_date, latest_reception_date], offset: 1, unit: months}
              depends_on: [housing]
              conditions:
                - {fact: person.age, max: 66}
            """
        ),
        "workflows/test.yaml",
    )
    assert [t.key for t in parsed.tasks] == ["housing", "sfi_application"]
    sfi = parsed.task("sfi_application")
    assert sfi.due is not None and sfi.due.anchors == ("reception_date", "latest_reception_date")
    assert sfi.reminder_days == 3
    assert sfi.conditions[0].operator == "max"


def test_malformed_yaml_names_file_and_line() -> None:
    error = error_for(HEADER + "  - key: housing\n    title: {sv: 'x', en: 'y'\n")
    assert error.file == "workflows/test.yaml"
    assert "malformed YAML" in str(error)
    assert "line" in str(error)


def test_not_a_mapping() -> None:
    assert "mapping" in str(error_for("- just\n- a list\n"))


def test_schema_error_names_task_and_field() -> None:
    error = error_for(
        definition(
            """\
            - key: housing
              title: {sv: "Ordna bostad", en: "Arrange housing"}
              scope: household
              due: {anchor: latest_reception_date, unit: fortnights}
            """
        )
    )
    assert error.task_key == "housing"
    assert error.field == "due.unit"
    assert "workflows/test.yaml, task 'housing', field 'due.unit'" in str(error)


def test_missing_english_title() -> None:
    error = error_for(
        definition(
            """\
            - key: housing
              title: {sv: "Ordna bostad"}
              scope: household
            """
        )
    )
    assert (error.task_key, error.field) == ("housing", "title")
    assert "en" in error.message


def test_unknown_anchor() -> None:
    error = error_for(
        definition(
            """\
            - key: housing
              title: {sv: "Ordna bostad", en: "Arrange housing"}
              scope: household
              due: {anchor: arrival_date}
            """
        )
    )
    assert error.task_key == "housing"
    assert error.field == "due.anchor"
    assert "arrival_date" in str(error)


def test_anchor_on_unknown_task() -> None:
    error = error_for(
        definition(
            """\
            - key: sfi_start
              title: {sv: "SFI-start", en: "SFI start"}
              scope: adult
              due: {anchor: "task:sfi_application", offset: 3, unit: months}
            """
        )
    )
    assert (error.task_key, error.field) == ("sfi_start", "due.anchor")
    assert "unknown task 'sfi_application'" in error.message


def test_person_anchor_needs_person_scope() -> None:
    error = error_for(
        definition(
            """\
            - key: civic
              title: {sv: "SO", en: "Civic orientation"}
              scope: household
              due: {anchor: registration_date}
            """
        )
    )
    assert (error.task_key, error.field) == ("civic", "due.anchor")


def test_duplicate_keys() -> None:
    error = error_for(
        definition(
            """\
            - key: housing
              title: {sv: "Ordna bostad", en: "Arrange housing"}
              scope: household
            - key: housing
              title: {sv: "Igen", en: "Again"}
              scope: household
            """
        )
    )
    assert (error.task_key, error.field) == ("housing", "key")
    assert "duplicate" in error.message


def test_unknown_dependency() -> None:
    error = error_for(
        definition(
            """\
            - key: sfi_start
              title: {sv: "SFI-start", en: "SFI start"}
              scope: adult
              depends_on: [school]
            """
        )
    )
    assert (error.task_key, error.field) == ("sfi_start", "depends_on")


def test_cycle_through_dependencies_and_anchors() -> None:
    error = error_for(
        definition(
            """\
            - key: a
              title: {sv: "A", en: "A"}
              scope: household
              depends_on: [b]
            - key: b
              title: {sv: "B", en: "B"}
              scope: household
              due: {anchor: "task:c"}
            - key: c
              title: {sv: "C", en: "C"}
              scope: household
              depends_on: [a]
            """
        )
    )
    assert "cycle" in error.message
    assert "a -> b -> c -> a" in error.message


def test_self_dependency_is_a_cycle() -> None:
    error = error_for(
        definition(
            """\
            - key: a
              title: {sv: "A", en: "A"}
              scope: household
              depends_on: [a]
            """
        )
    )
    assert "cycle" in error.message


def test_age_range_must_be_ordered() -> None:
    error = error_for(
        definition(
            """\
            - key: civic
              title: {sv: "SO", en: "Civic orientation"}
              scope: {min_age: 67, max_age: 18, at: registration_date}
            """
        )
    )
    assert (error.task_key, error.field) == ("civic", "scope")


def test_duplicate_versions_in_a_directory(tmp_path: Path) -> None:
    body = definition(
        """\
        - key: housing
          title: {sv: "Ordna bostad", en: "Arrange housing"}
          scope: household
        """
    )
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "a.yaml").write_text(body)
    (tmp_path / "flows" / "b.yaml").write_text(body)
    with pytest.raises(DefinitionError, match="also defined in"):
        load_directory(tmp_path / "flows")


def test_versions_are_kept_side_by_side(tmp_path: Path) -> None:
    body = definition(
        """\
        - key: housing
          title: {sv: "Ordna bostad", en: "Arrange housing"}
          scope: household
        """
    )
    (tmp_path / "flows" / "archive").mkdir(parents=True)
    (tmp_path / "flows" / "archive" / "v1.yaml").write_text(body)
    (tmp_path / "flows" / "v2.yaml").write_text(body.replace("version: 1", "version: 2"))
    registry = load_directory(tmp_path / "flows")
    assert registry.get("test-flow").version == 2
    assert registry.get("test-flow", 1).version == 1
    assert registry.has("test-flow", 1) and not registry.has("test-flow", 3)


def test_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="no workflow definitions"):
        load_directory(tmp_path)


def test_shipped_workflows_load() -> None:
    registry = load_directory(ROOT / "workflows")
    keys = {d.key for d in registry.latest()}
    assert {"settlement-reception-centre", "settlement-resettled", "self-settled"} <= keys
