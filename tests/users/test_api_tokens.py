import hashlib
import json
import urllib.error
import urllib.request
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from escalations.errors import InvalidInput
from users.models import ApiToken
from users.services import MAX_ACTIVE_TOKENS, api_token_create, api_token_revoke

ESCALATIONS_API = "/api/v1/escalations/"


def token_client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


# Service and storage


def test_only_a_hash_of_the_token_is_stored(requester):
    token, raw = api_token_create(user=requester, name="CI")

    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.secret_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {stored.secret_hash, stored.prefix, stored.name}
    assert raw.startswith(stored.prefix) and len(stored.prefix) < 12 < len(raw)


def test_a_token_needs_a_name(requester):
    with pytest.raises(InvalidInput, match="Give the token a name"):
        api_token_create(user=requester, name="   ")
    assert not ApiToken.objects.exists()


def test_active_tokens_are_limited_per_user(requester):
    for n in range(MAX_ACTIVE_TOKENS):
        api_token_create(user=requester, name=f"t{n}")

    with pytest.raises(InvalidInput, match="Revoke one"):
        api_token_create(user=requester, name="one too many")


def test_nobody_revokes_someone_elses_token(requester, other_requester):
    token, _raw = api_token_create(user=requester, name="mine")

    with pytest.raises(InvalidInput):
        api_token_revoke(acting_user=other_requester, token_id=token.pk)
    token.refresh_from_db()
    assert token.revoked_at is None


# Authentication


def test_a_token_authenticates_its_user_and_records_when_it_was_used(requester):
    token, raw = api_token_create(user=requester, name="script")

    response = token_client(raw).get(ESCALATIONS_API)

    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_last_used_is_written_at_most_once_a_minute(requester, django_assert_num_queries, time_machine):
    token, raw = api_token_create(user=requester, name="script")
    client = token_client(raw)
    client.get(ESCALATIONS_API)
    first_use = ApiToken.objects.get(pk=token.pk).last_used_at

    time_machine.move_to(first_use + timedelta(seconds=30))
    client.get(ESCALATIONS_API)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first_use

    time_machine.move_to(first_use + timedelta(minutes=2))
    client.get(ESCALATIONS_API)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first_use


def test_a_revoked_token_is_refused_in_the_api_error_shape(requester):
    token, raw = api_token_create(user=requester, name="old")
    api_token_revoke(acting_user=requester, token_id=token.pk)

    response = token_client(raw).get(ESCALATIONS_API)

    assert response.status_code in (401, 403)
    assert response.json() == {"detail": "Invalid or revoked token.", "code": "authentication_failed", "fields": {}}


def test_a_token_of_a_deactivated_user_is_refused(requester):
    _token, raw = api_token_create(user=requester, name="old")
    requester.is_active = False
    requester.save(update_fields=["is_active"])

    assert token_client(raw).get(ESCALATIONS_API).status_code in (401, 403)


def test_a_made_up_token_is_refused(db):
    assert token_client("edt_made-up").get(ESCALATIONS_API).status_code in (401, 403)


# Profile page


def test_profile_creates_a_token_and_shows_the_raw_value_once(client, specialist):
    client.force_login(specialist)

    response = client.post(reverse("api_token_create"), {"name": "Reporting script"})

    assert response.status_code == 200
    token = ApiToken.objects.get(user=specialist)
    raw = response.context["new_token"]["raw"]
    assert token.secret_hash == hashlib.sha256(raw.encode()).hexdigest()
    page = response.content.decode()
    assert raw in page and "it will not be shown again" in page
    # The raw value works in the API...
    assert token_client(raw).get(ESCALATIONS_API).status_code == 200
    # ...and is never shown again: the profile lists the token by name and prefix only.
    again = client.get(reverse("profile")).content.decode()
    assert "Reporting script" in again and token.prefix in again and raw not in again


def test_profile_refuses_a_token_without_a_name_with_a_message(client, requester):
    client.force_login(requester)

    response = client.post(reverse("api_token_create"), {"name": ""})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_profile_revokes_a_token(client, requester):
    token, raw = api_token_create(user=requester, name="laptop")
    client.force_login(requester)

    response = client.post(reverse("api_token_revoke", args=[token.pk]), follow=True)

    assert "“laptop” is revoked" in response.content.decode()
    assert token_client(raw).get(ESCALATIONS_API).status_code in (401, 403)


def test_profile_cannot_revoke_someone_elses_token(client, requester, other_requester):
    token, raw = api_token_create(user=requester, name="laptop")
    client.force_login(other_requester)

    response = client.post(reverse("api_token_revoke", args=[token.pk]), follow=True)

    assert "There is no such token among yours." in response.content.decode()
    assert token_client(raw).get(ESCALATIONS_API).status_code == 200


def test_profile_lists_only_your_own_tokens(client, requester, other_requester):
    api_token_create(user=other_requester, name="Omar's secret script")
    client.force_login(requester)

    page = client.get(reverse("profile")).content.decode()

    assert "Omar&#x27;s secret script" not in page and "No API tokens yet." in page


# Management command (CI uses it)


def test_api_token_create_command_prints_only_the_token(specialist):
    out = StringIO()

    call_command("api_token_create", specialist.email.upper(), "--name", "schemathesis", stdout=out)

    raw = out.getvalue().strip()
    assert "\n" not in raw
    token = ApiToken.objects.get(user=specialist)
    assert token.name == "schemathesis"
    assert token_client(raw).get(ESCALATIONS_API).status_code == 200


def test_api_token_create_command_names_an_unknown_email(db):
    with pytest.raises(CommandError, match="No user with the email address nobody@example.com"):
        call_command("api_token_create", "nobody@example.com", stdout=StringIO())


# Throttling


@pytest.fixture
def low_rates(settings, request):
    settings.API_THROTTLE_RATES = {"user": "3/minute", "anon": "2/minute"}
    # Counters in a cache of this test's own, empty: never flush the shared Redis (it is also the broker).
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": request.node.name}
    }


@pytest.mark.usefixtures("low_rates")
def test_a_user_over_the_rate_gets_429_in_the_api_error_shape(requester, other_requester):
    client = token_client(api_token_create(user=requester, name="busy")[1])
    statuses = [client.get(ESCALATIONS_API).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = client.get(ESCALATIONS_API)
    body = response.json()
    assert body["code"] == "throttled" and body["fields"] == {}
    assert body["detail"].startswith("Request was throttled.")
    assert int(response["Retry-After"]) > 0
    # The limit is per user: someone else is not slowed down.
    other = token_client(api_token_create(user=other_requester, name="calm")[1])
    assert other.get(ESCALATIONS_API).status_code == 200


@pytest.mark.usefixtures("low_rates")
def test_session_and_token_calls_of_one_user_share_the_limit(client, requester):
    client.force_login(requester)
    tokens = token_client(api_token_create(user=requester, name="busy")[1])

    statuses = [client.get(ESCALATIONS_API).status_code, tokens.get(ESCALATIONS_API).status_code]
    statuses += [client.get(ESCALATIONS_API).status_code, tokens.get(ESCALATIONS_API).status_code]

    assert statuses == [200, 200, 200, 429]


@pytest.mark.usefixtures("low_rates")
def test_an_address_guessing_tokens_is_slowed_down_even_with_a_valid_token_after(requester):
    valid = api_token_create(user=requester, name="real")[1]
    guesser = APIClient(REMOTE_ADDR="203.0.113.9")

    guesses = [token_client_for(guesser, f"edt_guess{n}").get(ESCALATIONS_API).status_code for n in range(3)]

    assert guesses[:2] in ([401, 401], [403, 403]) and guesses[2] == 429
    blocked = token_client_for(guesser, valid).get(ESCALATIONS_API)
    assert blocked.status_code == 429 and blocked.json()["code"] == "throttled"
    # Another address is not affected.
    assert token_client_for(APIClient(REMOTE_ADDR="198.51.100.7"), valid).get(ESCALATIONS_API).status_code == 200


def token_client_for(client: APIClient, raw: str) -> APIClient:
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def test_the_profile_page_uses_a_fixed_number_of_queries(client, requester, django_assert_max_num_queries):
    client.force_login(requester)
    api_token_create(user=requester, name="first")
    with django_assert_max_num_queries(10) as few:
        client.get(reverse("profile"))
    for n in range(15):
        api_token_create(user=requester, name=f"token {n}")
    with django_assert_max_num_queries(10) as many:
        page = client.get(reverse("profile"))

    assert len(many.captured_queries) == len(few.captured_queries)
    assert page.content.decode().count("Revoke</button>") == 16


@pytest.mark.django_db(transaction=True)
def test_a_token_works_over_real_http_as_curl_would_send_it(live_server, requester):
    _token, raw = api_token_create(user=requester, name="curl")
    request = urllib.request.Request(
        f"{live_server.url}{ESCALATIONS_API}", headers={"Authorization": f"Token {raw}", "Accept": "application/json"}
    )

    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the test's own live server
        body = json.loads(response.read())

    assert response.status == 200 and body["count"] == 0
    refused = urllib.request.Request(f"{live_server.url}{ESCALATIONS_API}", headers={"Authorization": "Token edt_x"})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(refused, timeout=30)  # noqa: S310
    assert error.value.code in (401, 403)
    assert json.loads(error.value.read())["code"] == "authentication_failed"
