"""CSRF is enforced, not only rendered: a POST without the token is refused, from a page or the API by session."""

from django.test import Client
from django.urls import reverse

from users.models import ApiToken


def test_a_form_post_without_the_csrf_token_is_refused(requester, escalation):
    client = Client(enforce_csrf_checks=True)
    client.force_login(requester)

    response = client.post(reverse("escalations:comment", args=[escalation.reference]), {"body": "Forged"})

    assert response.status_code == 403
    assert not escalation.events.exists()


def test_the_same_post_with_the_token_from_the_page_goes_through(requester, escalation):
    client = Client(enforce_csrf_checks=True)
    client.force_login(requester)
    page = client.get(reverse("escalations:detail", args=[escalation.reference]))
    token = page.context["csrf_token"]

    response = client.post(
        reverse("escalations:comment", args=[escalation.reference]), {"body": "Real", "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    assert escalation.events.filter(body="Real").exists()


def test_an_api_call_by_session_without_the_csrf_header_is_refused_in_the_api_error_shape(requester, escalation):
    client = Client(enforce_csrf_checks=True)
    client.force_login(requester)

    response = client.post(
        f"/api/v1/escalations/{escalation.reference}/comments/", {"body": "Forged"}, content_type="application/json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied" and "CSRF" in response.json()["detail"]


def test_creating_a_token_needs_the_csrf_token_and_the_answer_is_never_cached(requester):
    client = Client(enforce_csrf_checks=True)
    client.force_login(requester)

    assert client.post(reverse("api_token_create"), {"name": "forged"}).status_code == 403
    assert not ApiToken.objects.exists()
    token = client.get(reverse("profile")).context["csrf_token"]
    response = client.post(reverse("api_token_create"), {"name": "mine", "csrfmiddlewaretoken": token})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
