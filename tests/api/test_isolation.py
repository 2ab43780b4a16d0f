"""No API call ever shows or changes another municipality's data; tokens and roles."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from reception.extensions import db
from reception.models import (
    Household,
    Municipality,
    Notification,
    NotificationKind,
    Task,
    User,
)
from reception.models.tenancy import CrossTenantWrite, TenantNotSet, get_in_tenant, system, tenant
from reception.services import accounts, notifications, tokens
from reception.services.errors import NotFound
from tests.conftest import ApiClient, token_for

pytestmark = pytest.mark.usefixtures("frozen_today")

FAMILY = {
    "reference": "KS 1",
    "workflow": "settlement-reception-centre",
    "assignment_date": "2026-03-10",
    "reception_date": "2026-04-20",
    "members": [{"given_name": "A", "family_name": "B", "birth_date": "1990-01-01"}],
}


@pytest.fixture()
def outsider(app, other_municipality: Municipality) -> ApiClient:
    user = accounts.create_user(
        other_municipality, "samordnare@ragunda.example", "Ragunda", ["coordinator", "manager"]
    )
    return ApiClient(app.test_client(), token_for(user))


def test_other_municipality_sees_nothing(api: ApiClient, outsider: ApiClient) -> None:
    household = api.post("/api/v1/households", FAMILY).get_json()
    person = household["members"][0]["id"]
    task = api.get(f"/api/v1/households/{household['id']}/tasks").get_json()[0]["id"]

    assert outsider.get("/api/v1/households").get_json() == {
        "items": [],
        "total": 0,
        "page": 1,
        "per_page": 50,
    }
    for url in (
        f"/api/v1/households/{household['id']}",
        f"/api/v1/households/{household['id']}/tasks",
        f"/api/v1/persons/{person}",
        f"/api/v1/tasks/{task}",
    ):
        assert outsider.get(url).status_code == 404, url
    changes = [
        ("patch", f"/api/v1/households/{household['id']}", {"reception_date": "2026-04-21"}),
        ("patch", f"/api/v1/persons/{person}", {"registration_date": "2026-04-30"}),
        ("post", f"/api/v1/tasks/{task}/complete", {}),
        ("post", f"/api/v1/tasks/{task}/reopen", None),
        ("post", f"/api/v1/households/{household['id']}/members", FAMILY["members"][0]),
    ]
    for method, url, body in changes:
        assert getattr(outsider, method)(url, body).status_code == 404, url
    # The same reference may be used by another municipality.
    assert outsider.post("/api/v1/households", FAMILY).status_code == 201
    assert api.get(f"/api/v1/households/{household['id']}").get_json()["reception_date"] == (
        "2026-04-20"
    )


def test_coordinator_of_another_municipality_cannot_be_assigned(
    api: ApiClient, outsider: ApiClient, other_municipality: Municipality
) -> None:
    with system(db.session):
        stranger = db.session.scalar(
            select(User).where(User.municipality_id == other_municipality.id)
        )
    response = api.post("/api/v1/households", dict(FAMILY, coordinator_id=stranger.id))
    assert response.status_code == 422 and response.get_json()["field"] == "coordinator_id"


def test_tokens(app, api: ApiClient, coordinator: User) -> None:
    anonymous = ApiClient(app.test_client(), None)
    response = anonymous.get("/api/v1/households")
    assert response.status_code == 401
    assert response.get_json()["field"] == "Authorization"
    assert "Bearer" in response.headers["WWW-Authenticate"]
    assert ApiClient(app.test_client(), "mtg_wrong").get("/api/v1/households").status_code == 401

    raw = token_for(coordinator)
    client = ApiClient(app.test_client(), raw)
    assert client.get("/api/v1/households").status_code == 200
    with tenant(db.session, coordinator.municipality_id):
        (token,) = [t for t in tokens.tokens_of(coordinator) if raw.startswith(t.prefix)]
        assert token.last_used_at is not None
        tokens.revoke(token)
    assert client.get("/api/v1/households").status_code == 401

    with system(db.session):
        db.session.get(User, coordinator.id).active = False
        db.session.commit()
    assert api.get("/api/v1/households").status_code == 401


def test_roles(app, municipality: Municipality) -> None:
    finance = accounts.create_user(municipality, "ekonomi@bracke.example", "Ekonomi", ["finance"])
    client = ApiClient(app.test_client(), token_for(finance))
    assert client.get("/api/v1/households").status_code == 200
    response = client.post("/api/v1/households", FAMILY)
    assert response.status_code == 403 and response.get_json()["error"]


def test_unbound_session_refuses_tenant_queries(app_ctx) -> None:
    with pytest.raises(TenantNotSet):
        db.session.scalars(select(Household)).all()
    db.session.rollback()


def test_cross_tenant_write_is_refused(
    api: ApiClient, municipality: Municipality, other_municipality: Municipality
) -> None:
    household_id = api.post("/api/v1/households", FAMILY).get_json()["id"]
    with system(db.session):
        task = db.session.scalar(select(Task).where(Task.household_id == household_id))
    with tenant(db.session, other_municipality.id):
        task.note = "written from the wrong municipality"
        with pytest.raises(CrossTenantWrite):
            db.session.flush()
        db.session.rollback()
    with tenant(db.session, other_municipality.id):
        assert get_in_tenant(db.session, Task, task.id) is None


def test_fetching_by_id_ignores_rows_of_another_municipality_already_loaded(
    municipality: Municipality, other_municipality: Municipality, coordinator: User
) -> None:
    """session.get answers from the identity map without the tenant filter."""
    outsider = accounts.create_user(
        other_municipality, "a@ragunda.example", "Ragunda", ["coordinator"]
    )
    recipient = accounts.user_by_email(outsider.email)  # loaded under system(): in the map
    with system(db.session):
        notification = Notification(
            municipality_id=other_municipality.id,
            recipient_id=recipient.id,
            kind=NotificationKind.DIGEST.value,
            subject_id=recipient.id,
            for_date=date(2026, 5, 1),
            payload={},
        )
        db.session.add(notification)
        db.session.commit()
        db.session.refresh(notification)
    with tenant(db.session, municipality.id):
        with pytest.raises(NotFound):
            accounts.get_user(recipient.id)
        with pytest.raises(NotFound):
            accounts.update_user(recipient.id, {"name": "Taken over"}, coordinator)
        with pytest.raises(NotFound):
            notifications.mark_read(recipient, notification.id)
    db.session.rollback()
    with system(db.session):
        assert db.session.scalar(select(User.name).where(User.id == recipient.id)) == "Ragunda"
