"""The command line: database, demo data, workflow validation, users and tokens."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from reception.extensions import db
from reception.models import Household, Municipality
from reception.models.tenancy import system


def run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def test_demo_loads_once_and_prints_how_to_sign_in(app_ctx: Flask) -> None:
    result = run(app_ctx, "demo")
    assert result.exit_code == 0, result.output
    assert "amira.lind@bracke.example" in result.output
    assert "mtg_" in result.output  # an API token to try the API with
    with system(db.session):
        households = db.session.scalar(select(func.count()).select_from(Household))
        municipalities = db.session.scalar(select(func.count()).select_from(Municipality))
    assert households >= 6 and municipalities == 2
    again = run(app_ctx, "demo")
    assert again.exit_code == 0 and "already loaded" in again.output
    with system(db.session):
        assert db.session.scalar(select(func.count()).select_from(Household)) == households


def test_workflows_validate(app_ctx: Flask, tmp_path: Path) -> None:
    result = run(app_ctx, "workflows", "validate")
    assert result.exit_code == 0
    assert "ok  settlement-reception-centre v1" in result.output
    (tmp_path / "broken.yaml").write_text(
        "key: broken\nversion: 1\ntitle: {sv: B, en: B}\nvariant: reception_centre\n"
        "tasks:\n  - key: a\n    title: {sv: A, en: A}\n    scope: household\n"
        "    depends_on: [missing]\n"
    )
    result = run(app_ctx, "workflows", "validate", str(tmp_path))
    assert result.exit_code == 1
    assert "broken.yaml, task 'a', field 'depends_on'" in result.output


def test_users_and_tokens(app_ctx: Flask) -> None:
    assert (
        run(app_ctx, "users", "create-municipality", "--code", "2260", "--name", "Bräcke").exit_code
        == 0
    )
    bad = run(app_ctx, "users", "create-municipality", "--code", "22", "--name", "X")
    assert bad.exit_code != 0 and "fyra siffror" in bad.output
    created = run(
        app_ctx,
        "users",
        "create",
        "--municipality",
        "2260",
        "--email",
        "A@Bracke.example",
        "--name",
        "A",
        "--role",
        "coordinator",
        "--role",
        "manager",
    )
    assert created.exit_code == 0, created.output
    duplicate = run(
        app_ctx,
        "users",
        "create",
        "--municipality",
        "2260",
        "--email",
        "a@bracke.example",
        "--name",
        "A",
        "--role",
        "coordinator",
    )
    assert duplicate.exit_code != 0 and "finns redan" in duplicate.output
    token = run(app_ctx, "users", "token", "--email", "a@bracke.example").output.strip()
    assert token.startswith("mtg_")
    client = app_ctx.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/households", headers=headers).status_code == 200
    revoked = run(app_ctx, "users", "revoke-token", token[:12])
    assert revoked.exit_code == 0
    assert client.get("/api/v1/households", headers=headers).status_code == 401
    missing = run(app_ctx, "users", "token", "--email", "nobody@example.se")
    assert missing.exit_code != 0 and "Ingen användare" in missing.output
