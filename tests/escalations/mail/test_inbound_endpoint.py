"""The inbound-mail webhook: a raw message in the body, a shared secret in a header, nothing else."""

import pytest
from django.test import override_settings

from escalations.lifecycle import Status
from escalations.mail.models import InboundEmail
from tests.escalations.mail.conftest import eml

URL = "/mail/inbound/"
SECRET = "test-inbound-mail-secret"


def post(client, raw, secret=SECRET, **extra):
    headers = {"HTTP_X_INBOUND_MAIL_SECRET": secret} if secret is not None else {}
    return client.post(URL, data=raw, content_type="message/rfc822", **headers, **extra)


def test_a_posted_reply_lands_on_its_case(client, waiting_case):
    response = post(client, eml("plain.eml", reference=waiting_case.reference))

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "on_case" and body["escalation"] == waiting_case.reference
    assert body["duplicate"] is False and body["message_id"] == "<CAPlain-0001@mail.initech.example>"
    waiting_case.refresh_from_db()
    assert waiting_case.status == Status.IN_PROGRESS


def test_posting_the_same_message_again_is_a_harmless_duplicate(client, waiting_case):
    raw = eml("plain.eml", reference=waiting_case.reference)
    first = post(client, raw).json()

    again = post(client, raw)

    assert again.status_code == 200
    assert again.json()["duplicate"] is True and again.json()["id"] == first["id"]
    assert InboundEmail.objects.count() == 1


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET.upper()])
def test_without_the_right_secret_nothing_is_read(client, db, secret):
    response = post(client, eml("plain.eml"), secret=secret)

    assert response.status_code == 403
    assert response.json() == {"detail": "Send the inbound-mail secret in the X-Inbound-Mail-Secret header."}
    assert not InboundEmail.objects.exists()


@override_settings(INBOUND_MAIL_SECRET="")
def test_with_no_secret_configured_the_endpoint_is_closed(client, db):
    assert post(client, eml("plain.eml"), secret="").status_code == 403


def test_a_signed_in_user_without_the_secret_is_refused_too(client, specialist):
    client.force_login(specialist)

    assert post(client, eml("plain.eml"), secret=None).status_code == 403


def test_an_empty_body_is_refused(client, db):
    response = post(client, b"  \r\n")

    assert response.status_code == 400
    assert "raw email message" in response.json()["detail"]


def test_only_post_is_accepted(client, db):
    assert client.get(URL, HTTP_X_INBOUND_MAIL_SECRET=SECRET).status_code == 405


def test_malformed_mail_is_accepted_into_the_unmatched_queue(client, db):
    response = post(client, eml("malformed.eml"))

    assert response.status_code == 202
    assert response.json()["status"] == "unmatched" and response.json()["problem"].startswith("Malformed")


@override_settings(INBOUND_MAIL_MAX_BYTES=2000)
def test_a_body_over_the_limit_is_read_no_further_and_queued_with_its_headers(client, db):
    raw = eml("plain.eml").replace(b"Gina\r\n", b"Gina\r\n" + b"x" * 10_000)

    body = post(client, raw).json()

    inbound = InboundEmail.objects.get(pk=body["id"])
    assert body["status"] == "unmatched" and body["problem"].startswith("Too big to read")
    assert inbound.size == 2001 and inbound.from_address == "gina@initech.example"
