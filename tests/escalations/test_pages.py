"""The pages: who may open them, what they show, and that they cost a fixed number of queries."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from escalations.models import OutboxMessage
from tests import factories

# The inbound-mail webhook needs no login: a shared secret header guards it (tests/escalations/mail/).
PUBLIC_PATHS = {"/accounts/login/", "/healthz", "/mail/inbound/"}


SAMPLE_PARAMETERS = {
    "<str:reference>": "ESC-1001",
    "<int:attachment_id>": "1",
    "<str:attachment_id>": "1",
    "<int:handoff_id>": "1",
    "<int:token_id>": "1",
    "<int:pk>": "1",
    "<slug:slug>": "sla-attainment",  # reports
    "<slug:table_key>": "by_clock",
}


def _concrete_paths(patterns=None, prefix=""):
    """Every URL of the project with sample values for its parameters."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if route.startswith("admin/"):
                yield "/admin/"
                continue
            yield from _concrete_paths(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            path = "/" + route.lstrip("^").rstrip("$")
            for parameter, sample in SAMPLE_PARAMETERS.items():
                path = path.replace(parameter, sample)
            yield path


def _is_api(path):
    return path.startswith(("/api/v1/", "/api/schema/"))


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(p for p in set(_concrete_paths()) - PUBLIC_PATHS if not _is_api(p)))
def test_every_page_but_login_and_health_requires_login(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response.url.startswith((reverse("login"), reverse("admin:login")))


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(p for p in _concrete_paths() if _is_api(p)))
@pytest.mark.parametrize("method", ["get", "post"])
def test_every_api_endpoint_refuses_strangers(client, path, method):
    response = getattr(client, method)(path)

    assert response.status_code in (403, 405)
    if response.status_code == 403:
        assert b"not_authenticated" in response.content


@pytest.mark.django_db
def test_login_page_signs_in_with_email_and_password(client, specialist):
    page = client.get("/accounts/login/")
    assert b"Email address" in page.content

    response = client.post("/accounts/login/", {"username": specialist.email, "password": factories.DEFAULT_PASSWORD})

    assert response.status_code == 302
    assert client.get(response.url, follow=True).context["user"] == specialist


@pytest.mark.django_db
def test_wrong_password_shows_an_error_and_keeps_the_email(client, specialist):
    response = client.post("/accounts/login/", {"username": specialist.email, "password": "nope"})

    assert response.status_code == 200
    assert b"enter a correct email address and password" in response.content
    assert specialist.email.encode() in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role_fixture", "landing"),
    [
        ("requester", "/escalations/mine/"),
        ("specialist", "/escalations/triage/"),
        ("manager", "/escalations/triage/"),
        ("admin_user", "/escalations/triage/"),
        ("partner", "/escalations/handoffs/"),
    ],
)
def test_home_sends_each_role_where_it_works(client, request, role_fixture, landing):
    client.force_login(request.getfixturevalue(role_fixture))

    response = client.get("/")

    assert response.status_code == 302
    assert response.url == landing


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role_fixture", "visible", "hidden"),
    [
        ("requester", ["My escalations", "File an escalation", "My email"], ["Triage", "Handoffs", "Outbox", "Admin"]),
        ("specialist", ["Triage", "My escalations", "My email"], ["Handoffs", "Outbox", "Admin"]),
        ("manager", ["Triage", "Handoffs", "Outbox"], ["My email", "Admin"]),
        ("partner", ["Handoffs", "My escalations", "My email"], ["Triage", "Outbox", "Admin"]),
        ("admin_user", ["Triage", "Handoffs", "Outbox", "Admin"], []),
    ],
)
def test_navigation_adapts_to_the_role(client, request, role_fixture, visible, hidden):
    client.force_login(request.getfixturevalue(role_fixture))

    nav_labels = [label for label, _url, _current in client.get("/escalations/mine/").context["nav_links"]]

    assert all(label in nav_labels for label in visible)
    assert not any(label in nav_labels for label in hidden)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role_fixture", "path", "status"),
    [
        ("requester", "/escalations/queue/", 403),
        ("partner", "/escalations/queue/", 403),
        ("specialist", "/escalations/queue/", 200),
        ("requester", "/escalations/handoffs/", 403),
        ("specialist", "/escalations/handoffs/", 403),
        ("partner", "/escalations/handoffs/", 200),
        ("manager", "/escalations/handoffs/", 200),
        ("requester", "/escalations/outbox/", 200),
        ("specialist", "/escalations/outbox/", 200),
        ("manager", "/escalations/outbox/", 200),
        ("requester", "/admin/", 302),
        ("admin_user", "/admin/", 200),
    ],
)
def test_pages_are_open_only_to_their_roles(client, request, role_fixture, path, status):
    client.force_login(request.getfixturevalue(role_fixture))

    assert client.get(path).status_code == status


@pytest.mark.django_db
def test_requester_sees_own_case_but_gets_404_for_someone_elses(client, escalation, other_requester):
    client.force_login(escalation.requester)
    assert client.get(f"/escalations/{escalation.reference}/").status_code == 200

    client.force_login(other_requester)
    response = client.get(f"/escalations/{escalation.reference}/")

    assert response.status_code == 404
    assert escalation.title.encode() not in response.content


@pytest.mark.django_db
def test_watcher_can_open_the_case(client, escalation, other_requester):
    escalation.watchers.add(other_requester)
    client.force_login(other_requester)

    assert client.get(f"/escalations/{escalation.reference}/").status_code == 200
    assert escalation.reference.encode() in client.get("/escalations/mine/").content


@pytest.mark.django_db
def test_partner_sees_cases_handed_to_their_team_only(client, partner, partner_team, escalation):
    client.force_login(partner)
    assert client.get(f"/escalations/{escalation.reference}/").status_code == 404

    factories.HandoffFactory(escalation=escalation, partner_team=partner_team)

    assert client.get(f"/escalations/{escalation.reference}/").status_code == 200


@pytest.mark.django_db
def test_requester_timeline_hides_internal_notes_that_specialists_see(client, escalation, specialist):
    factories.EventFactory(escalation=escalation, body="Shared update for Rita", visibility="shared")
    factories.EventFactory(
        escalation=escalation, kind="note", body="Internal: customer is litigious", visibility="internal"
    )

    client.force_login(escalation.requester)
    requester_page = client.get(f"/escalations/{escalation.reference}/").content.decode()
    client.force_login(specialist)
    specialist_page = client.get(f"/escalations/{escalation.reference}/").content.decode()

    assert "Shared update for Rita" in requester_page
    assert "customer is litigious" not in requester_page
    assert "customer is litigious" in specialist_page


@pytest.mark.django_db
def test_queue_lists_open_cases_most_urgent_first_and_filters_by_status(client, specialist):
    low = factories.EscalationFactory(priority="P4", title="Low one")
    urgent = factories.EscalationFactory(priority="P1", title="Urgent one")
    factories.EscalationFactory(priority="P1", status="rejected", rejection_reason="Not ours", title="Rejected one")
    client.force_login(specialist)

    page = client.get("/escalations/queue/").content.decode()
    filtered = client.get("/escalations/queue/?status=triaged").content.decode()

    assert page.index(urgent.title) < page.index(low.title)
    assert "Rejected one" not in page
    assert "Nothing waiting here" in filtered


@pytest.mark.django_db
def test_my_email_shows_only_mail_to_me_while_managers_see_all(client, requester, other_requester, manager):
    OutboxMessage.objects.create(recipient=requester.email, subject="Received: mine", body_text="b")
    OutboxMessage.objects.create(recipient=other_requester.email, subject="Received: theirs", body_text="b")

    client.force_login(requester)
    mine = client.get("/escalations/outbox/").content.decode()
    client.force_login(manager)
    everything = client.get("/escalations/outbox/").content.decode()

    assert "Received: mine" in mine and "Received: theirs" not in mine
    assert "Received: mine" in everything and "Received: theirs" in everything


@pytest.mark.django_db
def test_empty_my_escalations_explains_itself(client, requester):
    client.force_login(requester)

    assert b"You have no escalations yet" in client.get("/escalations/mine/").content


@pytest.mark.django_db
def test_lists_paginate_at_25(client, requester):
    factories.EscalationFactory.create_batch(30, requester=requester)
    client.force_login(requester)

    first = client.get("/escalations/mine/")
    second = client.get("/escalations/mine/?page=2")

    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 5
    assert b"Page 1 of 2" in first.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role_fixture", "path"),
    [
        ("specialist", "/escalations/queue/"),
        ("requester", "/escalations/mine/"),
        ("manager", "/escalations/handoffs/"),
        ("manager", "/escalations/outbox/"),
    ],
)
def test_list_pages_cost_the_same_queries_with_3_or_40_rows(
    client, request, django_assert_max_num_queries, role_fixture, path
):
    user = request.getfixturevalue(role_fixture)
    client.force_login(user)

    def make_rows(count):
        for _ in range(count):
            owner = {"requester": user} if user.role == "requester" else {}
            escalation = factories.EscalationFactory(**owner)
            factories.HandoffFactory(escalation=escalation)
            OutboxMessage.objects.create(recipient="x@example.com", subject="s", body_text="b", escalation=escalation)

    make_rows(3)
    with django_assert_max_num_queries(8) as small:
        assert client.get(path).status_code == 200
    make_rows(37)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(path).status_code == 200


@pytest.mark.django_db
def test_case_page_costs_the_same_queries_with_3_or_50_events(
    client, specialist, escalation, django_assert_max_num_queries
):
    client.force_login(specialist)
    factories.EventFactory.create_batch(3, escalation=escalation, actor=specialist)
    with django_assert_max_num_queries(20) as small:
        client.get(f"/escalations/{escalation.reference}/")
    factories.EventFactory.create_batch(47, escalation=escalation, actor=specialist)

    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(f"/escalations/{escalation.reference}/").status_code == 200
