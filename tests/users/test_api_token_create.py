"""`manage.py api_token_create`: a token for scripts and CI, printed once, that the API accepts."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient


def test_the_printed_token_signs_in_to_the_api(specialist):
    out = StringIO()
    call_command("api_token_create", "SAM.specialist@example.com", "--name", "ci", stdout=out)
    token = out.getvalue().strip()

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/escalations/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/v1/escalations/").status_code == 403


def test_an_unknown_or_inactive_user_gets_no_token(db, specialist):
    specialist.is_active = False
    specialist.save()

    for email in ("nobody@example.com", specialist.email):
        with pytest.raises(CommandError, match="No user with the email|inactive user cannot"):
            call_command("api_token_create", email, stdout=StringIO())
