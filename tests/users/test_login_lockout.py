import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests import factories


@pytest.fixture(autouse=True)
def failure_limit(settings):
    settings.AXES_FAILURE_LIMIT = 3


def sign_in(client, email, password):
    return client.post(reverse("login"), {"username": email, "password": password})


def test_wrong_passwords_below_the_limit_show_the_usual_error(client, requester):
    response = sign_in(client, requester.email, "wrong")

    assert response.status_code == 200
    assert "Please enter a correct email address and password" in response.content.decode()


def test_the_sign_in_page_warns_before_the_lockout(client, requester, settings):
    settings.AXES_FAILURE_LIMIT = 4
    first = sign_in(client, requester.email, "wrong").content.decode()
    second = sign_in(client, requester.email, "wrong").content.decode()
    third = sign_in(client, requester.email, "wrong").content.decode()

    assert "more wrong password" not in first
    assert "2 more wrong passwords and signing in is locked for 15 minutes." in second
    assert "1 more wrong password and signing in is locked for 15 minutes." in third


def test_after_the_limit_even_the_right_password_is_refused_with_a_clear_message(client, requester):
    for _ in range(3):
        sign_in(client, requester.email, "wrong")

    response = sign_in(client, requester.email, factories.DEFAULT_PASSWORD)

    assert response.status_code == 429
    page = response.content.decode()
    assert "Sign-in locked" in page
    assert "3 failed sign-in attempts in a row" in page and "locked for 15 minutes" in page
    assert "_auth_user_id" not in client.session


def test_a_lockout_is_per_email_so_colleagues_can_still_sign_in(client, requester, specialist):
    for _ in range(3):
        sign_in(client, requester.email, "wrong")

    response = sign_in(client, specialist.email, factories.DEFAULT_PASSWORD)

    assert response.status_code == 302


def test_a_successful_sign_in_resets_the_count(client, requester):
    sign_in(client, requester.email, "wrong")
    sign_in(client, requester.email, "wrong")
    assert sign_in(client, requester.email, factories.DEFAULT_PASSWORD).status_code == 302
    client.logout()

    sign_in(client, requester.email, "wrong")
    sign_in(client, requester.email, "wrong")

    assert sign_in(client, requester.email, factories.DEFAULT_PASSWORD).status_code == 302


def test_an_admin_unlocks_by_deleting_the_attempt_in_the_admin(client, requester, admin_user):
    for _ in range(3):
        sign_in(client, requester.email, "wrong")
    attempt = AccessAttempt.objects.get(username=requester.email)

    client.force_login(admin_user)
    listing = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert requester.email in listing.content.decode()
    client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    client.logout()

    assert not AccessAttempt.objects.exists()
    assert sign_in(client, requester.email, factories.DEFAULT_PASSWORD).status_code == 302


def test_changing_the_case_of_the_email_does_not_dodge_the_lockout(client, requester):
    for variant in ["Rita.Requester@example.com", "RITA.REQUESTER@EXAMPLE.COM", "rita.requester@example.com"]:
        sign_in(client, variant, "wrong")

    assert sign_in(client, requester.email, factories.DEFAULT_PASSWORD).status_code == 429
