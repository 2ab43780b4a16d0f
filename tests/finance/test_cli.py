"""The finance commands: validating and showing rates, recomputing after new rates."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from flask import Flask

from reception.config import PROJECT_ROOT
from reception.engine.rates import load_rates
from reception.extensions import db
from reception.models import ExpectedPayment
from reception.models.tenancy import tenant
from reception.services import households
from tests.finance.households import family


def test_validate_names_the_broken_file_and_field(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["rates", "validate"])
    assert ok.exit_code == 0, ok.output
    assert "establishment: 2019, 2020, 2022, 2023, 2024, 2026" in ok.output

    copy = tmp_path / "rates"
    shutil.copytree(PROJECT_ROOT / "rates", copy)
    (copy / "establishment" / "2027.yaml").write_text(
        (copy / "establishment" / "2026.yaml").read_text().replace("year: 2026", "year: 2027")
    )
    assert "2026, 2027" in runner.invoke(args=["rates", "validate", str(copy)]).output

    path = copy / "establishment" / "2027.yaml"
    path.write_text(path.read_text().replace("165000", "165000.0"))
    bad = runner.invoke(args=["rates", "validate", str(copy)])
    assert bad.exit_code == 1
    assert "2027.yaml" in bad.output and "float" in bad.output


def test_show_prints_the_years_amounts(app: Flask) -> None:
    output = app.test_cli_runner().invoke(args=["rates", "show", "2026"]).output
    assert "165 000 kr under 67 years, 92 600 kr from 67" in output
    assert "20 661 kr" in output and "4 132 kr" in output
    missing = app.test_cli_runner().invoke(args=["rates", "show", "2025"]).output
    assert "add rates/establishment/2025.yaml" in missing


def test_recompute_follows_new_rates(
    app_ctx: Flask, coordinator, tmp_path: Path, frozen_today: date
) -> None:
    with tenant(db.session, coordinator.municipality_id):
        households.create_household(family(), coordinator, frozen_today)
    copy = tmp_path / "rates"
    shutil.copytree(PROJECT_ROOT / "rates", copy)
    path = copy / "establishment" / "2026.yaml"
    path.write_text(path.read_text().replace("165000", "170000"))
    original = app_ctx.extensions["rates"]
    app_ctx.extensions["rates"] = load_rates(copy)
    try:
        result = app_ctx.test_cli_runner().invoke(args=["reimbursements", "recompute"])
    finally:
        app_ctx.extensions["rates"] = original
    assert result.exit_code == 0, result.output
    assert "1 households, 1 changed, 16 payment changes" in result.output
    with tenant(db.session, coordinator.municipality_id):
        total = sum(
            p.amount_sek
            for p in db.session.scalars(db.select(ExpectedPayment))
            if p.kind == "establishment"
        )
    assert total == 4 * 170000
