"""Running writers at the same moment: one thread, app context and session each."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app

from reception.extensions import db
from tests.conftest import ApiClient

T = TypeVar("T")


def race(app: Flask, *calls: Call) -> list[Outcome]:
    """Send the requests at the same moment; none may fail with a server error."""
    outcomes = together(app, *calls)
    assert all(o.status < 500 for o in outcomes), outcomes
    return outcomes


def together(app: Flask, *jobs: Callable[[], T]) -> list[T]:
    """Run every job in a thread of its own, all released at once by a barrier.

    Each thread pushes its own app context, so it has its own database session and
    connection: the jobs are separate writers, as two requests or processes are.
    """
    barrier = threading.Barrier(len(jobs), timeout=30)
    results: list[Any] = [None] * len(jobs)
    failures: list[BaseException] = []

    def run(index: int, job: Callable[[], T]) -> None:
        try:
            with app.app_context():
                barrier.wait()
                try:
                    results[index] = job()
                finally:
                    db.session.remove()
        except BaseException as exc:  # reported in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a writer hung (deadlock?)"
    assert not failures, failures
    return results


@dataclass(frozen=True)
class Outcome:
    status: int
    body: Any


@dataclass(frozen=True)
class Call:
    """One API request, sent by the user holding `token`."""

    token: str
    method: str
    url: str
    body: Any = None
    if_match: str | int | None = None

    def __call__(self) -> Outcome:
        client = ApiClient(current_app.test_client(), self.token)
        response = getattr(client, self.method)(self.url, self.body, if_match=self.if_match)
        return Outcome(response.status_code, response.get_json())
