import pytest
from django.db import connection


@pytest.mark.django_db
def test_healthz_reports_ok_when_database_and_broker_are_reachable(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_healthz_needs_no_login(client):
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_healthz_answers_503_naming_the_broker_when_it_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("down:")


@pytest.mark.django_db(transaction=True)
def test_healthz_answers_503_naming_the_database_when_it_is_unreachable(client):
    real_settings = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-folder/escalations.sqlite3"
    else:
        connection.settings_dict["PORT"] = "1"
    try:
        response = client.get("/healthz")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(real_settings)

    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"].startswith("down:")
    assert body["checks"]["broker"] == "ok"
