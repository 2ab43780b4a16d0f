#!/usr/bin/env python3
"""Quick start: `python3 dev.py serve` runs the app with demo data; `python3 dev.py test` tests.

Needs only Python 3.11+. Creates a virtualenv in .venv, installs the project into
it (again only when pyproject.toml changed), compiles the translations, and then
serves or tests. Extra arguments after `test` go to pytest.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def run(*args: str | Path, env: dict[str, str] | None = None) -> int:
    return subprocess.call([str(a) for a in args], cwd=ROOT, env=env)


def check(*args: str | Path) -> None:
    if run(*args) != 0:
        sys.exit(f"failed: {' '.join(str(a) for a in args)}")


def install(extras: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - run by whatever python3 the user has
        sys.exit("Mottagning needs Python 3.11 or newer.")
    if not PYTHON.exists():
        print("Creating virtualenv in .venv …", flush=True)
        venv.create(VENV, with_pip=True)
    stamp = VENV / f".installed-{extras or 'app'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        print("Installing Mottagning and its dependencies …", flush=True)
        target = f".[{extras}]" if extras else "."
        check(
            PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", target
        )
        stamp.write_text(digest)
    check(PYTHON, "-c", "from reception.i18n import compile_all; compile_all()")


def flask(*args: str) -> None:
    check(PYTHON, "-m", "flask", "--app", "wsgi", *args)


def serve() -> None:
    install("")
    flask("init-db")
    flask("demo")
    print("\nMottagning runs on http://127.0.0.1:5000 (Ctrl+C stops it).", flush=True)
    sys.exit(
        run(PYTHON, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", "5000")
    )


def test(pytest_args: list[str]) -> None:
    install("test")
    sys.exit(run(PYTHON, "-m", "pytest", *pytest_args))


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "serve":
        serve()
    elif command == "test":
        test(sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
