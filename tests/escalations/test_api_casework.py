"""Working a case through the API: lifecycle actions, communications, handoffs, the timeline, reference data."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from escalations import services
from escalations.models import (
    Communication,
    CommunicationTemplate,
    Escalation,
    EscalationEvent,
    Handoff,
    OutboxMessage,
    SavedView,
)
from tests import factories

API = "/api/v1"


def case_url(case, suffix=""):
    return f"{API}/escalations/{case.reference}/{suffix}"


def error(response) -> dict:
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}, body
    return body


@pytest.fixture
def billing(db):
    return factories.CategoryFactory(name="Billing", slug="billing")


@pytest.fixture
def customer(db):
    return factories.AccountFactory(
        external_id="acct_initech01", name="Initech", contact_name="Gina Gomez", contact_email="gina@initech.example"
    )


@pytest.fixture
def new_case(db, requester, customer):
    return factories.EscalationFactory(requester=requester, account=customer, title="Payroll export empty")


@pytest.fixture
def working_case(db, requester, customer, specialist):
    return factories.EscalationFactory(
        requester=requester,
        account=customer,
        title="Invoices doubled",
        status="in_progress",
        assignee=specialist,
        triaged_at=timezone.now(),
    )


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def as_specialist(specialist):
    return client_for(specialist)


@pytest.fixture
def as_requester(requester):
    return client_for(requester)


@pytest.fixture
def as_partner(partner):
    return client_for(partner)


def unchanged(case) -> bool:
    fresh = Escalation.objects.get(pk=case.pk)
    return (fresh.version, fresh.status, fresh.assignee_id, fresh.priority) == (
        case.version,
        case.status,
        case.assignee_id,
        case.priority,
    ) and not EscalationEvent.objects.filter(escalation=case).exists()


# Lifecycle


def test_specialist_triages_a_new_case(as_specialist, new_case, billing, specialist):
    response = as_specialist.post(
        case_url(new_case, "triage/"),
        {"version": new_case.version, "priority": "P1", "category": "billing", "assignee": specialist.email},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["priority"], body["assignee"], body["category"]["slug"]) == (
        "triaged",
        "P1",
        "Sam Specialist",
        "billing",
    )
    assert body["version"] > new_case.version
    new_case.refresh_from_db()
    assert (new_case.status, new_case.assignee, new_case.triaged_at is not None) == ("triaged", specialist, True)


def test_a_stale_version_is_refused_with_409_and_nothing_changes(as_specialist, new_case, billing, specialist):
    response = as_specialist.post(
        case_url(new_case, "triage/"),
        {"version": new_case.version + 1, "priority": "P1", "category": "billing", "assignee": specialist.email},
        format="json",
    )

    assert response.status_code == 409
    body = error(response)
    assert body["code"] == "stale_version"
    assert "changed by someone else" in body["detail"]
    assert unchanged(new_case)


def test_a_transition_the_lifecycle_does_not_allow_is_409(as_specialist, new_case):
    response = as_specialist.post(
        case_url(new_case, "transition/"), {"version": new_case.version, "to_status": "waiting_on_user"}, format="json"
    )

    assert response.status_code == 409
    body = error(response)
    assert body["code"] == "transition_not_allowed"
    assert body["detail"] == "A new escalation cannot move to waiting on customer; it can only become triaged, " + (
        "rejected or duplicate."
    )
    assert unchanged(new_case)


def test_triaging_a_case_that_is_not_new_is_409(as_specialist, working_case, billing, specialist):
    response = as_specialist.post(
        case_url(working_case, "triage/"),
        {"version": working_case.version, "priority": "P1", "category": "billing", "assignee": specialist.email},
        format="json",
    )

    assert response.status_code == 409
    assert error(response)["detail"].endswith("only a new escalation can be triaged.")
    assert unchanged(working_case)


def test_missing_and_invalid_fields_are_400_with_each_field_named(as_specialist, new_case, requester):
    response = as_specialist.post(
        case_url(new_case, "triage/"), {"priority": "P9", "assignee": requester.email}, format="json"
    )

    assert response.status_code == 400
    fields = error(response)["fields"]
    assert set(fields) == {"version", "priority", "category", "assignee"}
    assert fields["assignee"] == [f"{requester.email} is not an active specialist, manager or admin."]
    assert unchanged(new_case)


def test_requesters_cannot_work_cases(as_requester, new_case, billing, specialist):
    response = as_requester.post(
        case_url(new_case, "triage/"),
        {"version": new_case.version, "priority": "P1", "category": "billing", "assignee": specialist.email},
        format="json",
    )

    assert response.status_code == 403
    assert error(response)["code"] == "permission_denied"
    assert unchanged(new_case)


def test_an_unknown_case_is_404(as_specialist):
    response = as_specialist.post(f"{API}/escalations/ESC-999999/reopen/", {"version": 1}, format="json")

    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


def test_assign_priority_and_status_moves(as_specialist, working_case, manager):
    version = working_case.version
    response = as_specialist.post(
        case_url(working_case, "assign/"), {"version": version, "assignee": manager.email}, format="json"
    )
    assert (response.status_code, response.json()["assignee"]) == (200, "Maya Manager")

    version = response.json()["version"]
    response = as_specialist.post(
        case_url(working_case, "priority/"), {"version": version, "priority": "P2", "reason": "VIP"}, format="json"
    )
    assert (response.status_code, response.json()["priority"]) == (200, "P2")

    version = response.json()["version"]
    response = as_specialist.post(
        case_url(working_case, "transition/"),
        {"version": version, "to_status": "waiting_on_user", "reason": "Asked for logs"},
        format="json",
    )
    assert (response.status_code, response.json()["status"]) == (200, "waiting_on_user")

    version = response.json()["version"]
    response = as_specialist.post(
        case_url(working_case, "assign/"), {"version": version, "assignee": None}, format="json"
    )
    assert (response.status_code, response.json()["assignee"]) == (200, None)
    kinds = list(EscalationEvent.objects.filter(escalation=working_case).values_list("kind", flat=True))
    assert kinds == ["assigned", "priority_changed", "status_changed", "assigned"]


def test_resolve_needs_a_summary_and_a_driver_then_reopen(as_specialist, working_case, driver):
    response = as_specialist.post(
        case_url(working_case, "resolve/"),
        {"version": working_case.version, "resolution_summary": "Fixed"},
        format="json",
    )
    assert response.status_code == 400
    assert set(error(response)["fields"]) == {"root_cause"}

    response = as_specialist.post(
        case_url(working_case, "resolve/"),
        {"version": working_case.version, "resolution_summary": "Credit note sent", "root_cause": driver.parent_id},
        format="json",
    )
    assert response.status_code == 400  # an area is not a driver
    assert unchanged(working_case)

    response = as_specialist.post(
        case_url(working_case, "resolve/"),
        {"version": working_case.version, "resolution_summary": "Credit note sent", "root_cause": driver.pk},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["resolution_summary"], body["root_cause"]) == (
        "resolved",
        "Credit note sent",
        str(driver),
    )

    response = as_specialist.post(
        case_url(working_case, "reopen/"), {"version": body["version"], "reason": "Came back"}, format="json"
    )
    assert (response.status_code, response.json()["status"], response.json()["resolved_at"]) == (
        200,
        "in_progress",
        None,
    )


def test_reject_needs_a_reason(as_specialist, new_case):
    response = as_specialist.post(
        case_url(new_case, "reject/"), {"version": new_case.version, "reason": ""}, format="json"
    )
    assert response.status_code == 400
    assert set(error(response)["fields"]) == {"reason"}

    response = as_specialist.post(
        case_url(new_case, "reject/"), {"version": new_case.version, "reason": "Not our product"}, format="json"
    )
    assert (response.status_code, response.json()["status"], response.json()["rejection_reason"]) == (
        200,
        "rejected",
        "Not our product",
    )


def test_mark_duplicate_names_an_existing_original(as_specialist, new_case, working_case):
    response = as_specialist.post(
        case_url(new_case, "duplicate/"), {"version": new_case.version, "duplicate_of": "ESC-424242"}, format="json"
    )
    assert response.status_code == 400
    assert error(response)["fields"] == {"duplicate_of": ["There is no escalation ESC-424242."]}

    response = as_specialist.post(
        case_url(new_case, "duplicate/"),
        {"version": new_case.version, "duplicate_of": working_case.reference.lower()},
        format="json",
    )
    assert (response.status_code, response.json()["status"], response.json()["duplicate_of"]) == (
        200,
        "duplicate",
        working_case.reference,
    )


# Communications


def test_email_the_customer_from_a_template(
    as_specialist, specialist, working_case, reference_data, django_capture_on_commit_callbacks
):
    template = CommunicationTemplate.objects.filter(is_active=True).order_by("order").first()

    with django_capture_on_commit_callbacks(execute=True):
        response = as_specialist.post(case_url(working_case, "emails/"), {"template": template.slug}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["channel"], body["direction"], body["counterpart"], body["template"]) == (
        "email",
        "outbound",
        "gina@initech.example",
        template.slug,
    )
    subject, text = services.communication_template_render(
        template=template, escalation=working_case, specialist=specialist
    )
    assert (body["subject"], body["body"]) == (subject, text.strip())
    assert body["delivery_status"] in {"sent", "pending"}
    message = OutboxMessage.objects.get(communication__pk=body["id"])
    assert (message.recipient, message.subject) == ("gina@initech.example", body["subject"])
    # The API tells a script where the customer's reply will come back, as the case page does.
    assert body["reply_to"] == message.headers["Reply-To"]
    assert body["reply_to"].startswith(f"escalations+{working_case.reference}.")
    assert body["message_id"] == message.headers["Message-ID"]
    working_case.refresh_from_db()
    assert working_case.first_response_at is not None


def test_email_without_a_subject_or_template_is_400_and_sends_nothing(as_specialist, working_case):
    response = as_specialist.post(case_url(working_case, "emails/"), {"body": "Hello"}, format="json")

    assert response.status_code == 400
    assert error(response)["fields"] == {"subject": ["Write a subject."]}
    assert not Communication.objects.exists() and not OutboxMessage.objects.exists()


def test_log_a_call_and_list_communications(as_specialist, as_requester, working_case):
    response = as_specialist.post(
        case_url(working_case, "calls/"),
        {"outcome": "connected", "summary": "Walked through the fix", "duration_minutes": 12},
        format="json",
    )
    assert response.status_code == 201
    assert (response.json()["call_outcome"], response.json()["delivery_status"]) == ("connected", None)

    listed = as_specialist.get(case_url(working_case, "communications/"))
    assert [item["body"] for item in listed.json()] == ["Walked through the fix"]
    assert as_requester.get(case_url(working_case, "communications/")).status_code == 403


# Notes, shared updates and the timeline


def test_requesters_see_shared_updates_but_never_internal_notes(as_specialist, as_requester, working_case):
    as_specialist.post(
        case_url(working_case, "comments/"), {"body": "Margin call", "visibility": "internal"}, format="json"
    )
    as_specialist.post(case_url(working_case, "comments/"), {"body": "We are on it"}, format="json")

    specialist_view = as_specialist.get(case_url(working_case, "events/")).json()
    requester_view = as_requester.get(case_url(working_case, "events/")).json()
    notes_only = as_specialist.get(case_url(working_case, "events/"), {"kind": "note"}).json()

    assert [event["body"] for event in specialist_view] == ["Margin call", "We are on it"]
    assert [event["body"] for event in requester_view] == ["We are on it"]
    assert [event["visibility"] for event in notes_only] == ["internal"]
    assert as_specialist.get(case_url(working_case, "events/"), {"kind": "nonsense"}).status_code == 400


# Handoffs


@pytest.fixture
def other_team(db):
    return factories.PartnerTeamFactory(name="Identity", slug="identity")


def test_hand_off_then_the_partner_acknowledges_and_answers(as_specialist, as_partner, working_case, partner_team):
    due = (timezone.now() + timedelta(days=1)).isoformat()
    response = as_specialist.post(
        case_url(working_case, "handoffs/"),
        {"partner_team": partner_team.slug, "ask": "Check the ledger", "due_at": due, "wait_on_partner": True},
        format="json",
    )
    assert response.status_code == 201, response.json()
    handoff_id = response.json()["id"]
    working_case.refresh_from_db()
    assert working_case.status == "waiting_on_partner"

    listed = as_partner.get(f"{API}/handoffs/").json()
    assert [item["id"] for item in listed["results"]] == [handoff_id]
    assert listed["results"][0]["escalation"]["reference"] == working_case.reference

    acknowledged = as_partner.post(f"{API}/handoffs/{handoff_id}/acknowledge/")
    assert (acknowledged.status_code, acknowledged.json()["status"]) == (200, "acknowledged")
    again = as_partner.post(f"{API}/handoffs/{handoff_id}/acknowledge/")
    assert (again.status_code, error(again)["code"]) == (409, "transition_not_allowed")

    answered = as_partner.post(f"{API}/handoffs/{handoff_id}/answer/", {"response": "Ledger fixed"}, format="json")
    assert (answered.status_code, answered.json()["status"], answered.json()["response"]) == (
        200,
        "answered",
        "Ledger fixed",
    )


def test_partners_see_only_their_teams_handoffs(as_partner, as_requester, working_case, partner_team, other_team):
    mine = factories.HandoffFactory(escalation=working_case, partner_team=partner_team)
    theirs = factories.HandoffFactory(escalation=working_case, partner_team=other_team)

    listed = as_partner.get(f"{API}/handoffs/").json()
    on_the_case = as_partner.get(case_url(working_case, "handoffs/")).json()

    assert [item["id"] for item in listed["results"]] == [mine.pk]
    assert [item["id"] for item in on_the_case] == [mine.pk]
    assert as_partner.get(f"{API}/handoffs/{theirs.pk}/").status_code == 404
    assert as_partner.post(f"{API}/handoffs/{theirs.pk}/acknowledge/").status_code == 404
    assert Handoff.objects.get(pk=theirs.pk).status == "requested"
    assert as_requester.get(f"{API}/handoffs/").status_code == 403
    assert as_partner.post(case_url(working_case, "handoffs/"), {}, format="json").status_code == 403


def test_handoff_list_filters(as_specialist, working_case, partner_team, other_team):
    open_one = factories.HandoffFactory(escalation=working_case, partner_team=partner_team)
    factories.HandoffFactory(escalation=working_case, partner_team=other_team, status="answered")

    by_state = as_specialist.get(f"{API}/handoffs/", {"state": "open"}).json()["results"]
    by_team = as_specialist.get(f"{API}/handoffs/", {"partner_team": "identity"}).json()["results"]

    assert [item["id"] for item in by_state] == [open_one.pk]
    assert [item["partner_team"]["slug"] for item in by_team] == ["identity"]
    assert as_specialist.get(f"{API}/handoffs/", {"partner_team": "nope"}).status_code == 400


@pytest.mark.parametrize("size", [2, 12])
def test_handoff_list_costs_the_same_queries_whatever_its_size(
    as_specialist, partner_team, size, django_assert_max_num_queries
):
    for _ in range(size):
        factories.HandoffFactory(partner_team=partner_team, responded_by=factories.PartnerFactory())

    with django_assert_max_num_queries(4):
        response = as_specialist.get(f"{API}/handoffs/")

    assert response.json()["count"] == size


# Reference data and saved views


def test_accounts_search_and_count_open_cases(as_requester, customer, new_case):
    factories.AccountFactory(external_id="acct_globex01", name="Globex")

    listed = as_requester.get(f"{API}/accounts/", {"q": "initech"}).json()
    one = as_requester.get(f"{API}/accounts/acct_initech01/").json()

    assert [item["external_id"] for item in listed["results"]] == ["acct_initech01"]
    assert (one["name"], one["open_escalation_count"]) == ("Initech", 1)
    assert as_requester.get(f"{API}/accounts/acct_nothere/").status_code == 404


@pytest.mark.parametrize("size", [2, 15])
def test_account_list_costs_the_same_queries_whatever_its_size(as_specialist, size, django_assert_max_num_queries):
    for _ in range(size):
        factories.EscalationFactory()

    with django_assert_max_num_queries(3):
        response = as_specialist.get(f"{API}/accounts/")

    assert response.json()["count"] == size


def test_reference_lists(as_requester, partner_team, partner, billing, reference_data):
    teams = as_requester.get(f"{API}/partner-teams/").json()["results"]
    categories = as_requester.get(f"{API}/categories/").json()["results"]
    policies = as_requester.get(f"{API}/sla-policies/", {"current": "true"}).json()["results"]
    calendars = as_requester.get(f"{API}/sla-calendars/").json()["results"]

    assert [(team["slug"], team["member_count"]) for team in teams] == [("billing-platform", 1)]
    assert [category["slug"] for category in categories] == ["billing"]
    assert sorted(policy["priority"] for policy in policies) == ["P1", "P2", "P3", "P4"]
    business = next(calendar for calendar in calendars if not calendar["always_open"])
    assert business["hours"][0] == {"weekday": 0, "starts": "09:00", "ends": "17:00"}
    one = as_requester.get(f"{API}/sla-policies/{policies[0]['id']}/").json()
    assert one["calendar"]["name"] == policies[0]["calendar"]["name"]


def test_saved_views_are_your_own(as_specialist, specialist, manager):
    someone_elses = SavedView.objects.create(owner=manager, name="Maya's", query="queue=new")

    created = as_specialist.post(f"{API}/saved-views/", {"name": "P1s", "query": "?priority=P1&bogus=1"}, format="json")
    duplicate = as_specialist.post(f"{API}/saved-views/", {"name": "p1s", "query": ""}, format="json")
    listed = as_specialist.get(f"{API}/saved-views/").json()["results"]

    assert created.status_code == 201
    assert (created.json()["query"], created.json()["dashboard_url"]) == (
        "priority=P1",
        "/escalations/triage/?priority=P1",
    )
    assert duplicate.status_code == 400 and set(error(duplicate)["fields"]) == {"name"}
    assert [item["name"] for item in listed] == ["P1s"]
    assert as_specialist.delete(f"{API}/saved-views/{someone_elses.pk}/").status_code == 404
    assert as_specialist.delete(f"{API}/saved-views/{created.json()['id']}/").status_code == 204
    assert list(SavedView.objects.values_list("name", flat=True)) == ["Maya's"]
