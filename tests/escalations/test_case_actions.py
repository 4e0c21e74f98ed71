"""Working a case through its page: each action's form, what it leaves on the timeline, and who may use it."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from escalations.models import Communication, CommunicationTemplate, EscalationEvent, Handoff, OutboxMessage
from tests import factories

STALE = "was changed by someone else since you opened it. Reload it and try again."


@pytest.fixture
def colleague(db):
    return factories.SpecialistFactory(email="cleo.colleague@example.com", display_name="Cleo Colleague")


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
        requester=requester, account=customer, title="Invoices doubled", status="in_progress", assignee=specialist,
        triaged_at=timezone.now(),
    )  # fmt: skip


@pytest.fixture
def as_specialist(client, specialist):
    client.force_login(specialist)
    return client


@pytest.fixture
def handoff(working_case, partner_team, specialist):
    return factories.HandoffFactory(
        escalation=working_case, partner_team=partner_team, requested_by=specialist, ask="Why was March billed twice?",
        due_at=timezone.now() + timedelta(hours=4),
    )  # fmt: skip


def url(case, action=""):
    return f"/escalations/{case.reference}/{action}"


def page_of(client, case):
    response = client.get(url(case))
    assert response.status_code == 200
    return response.content.decode()


def assert_back_on_the_case(response, case):
    assert response.status_code == 302
    assert response.url == f"/escalations/{case.reference}/#timeline"


def assert_unchanged(case):
    version, status, priority, assignee = case.version, case.status, case.priority, case.assignee_id
    case.refresh_from_db()
    assert (case.version, case.status, case.priority, case.assignee_id) == (version, status, priority, assignee)
    assert case.events.count() == 0


# --- what the page offers ------------------------------------------------------------------------------------------


def test_a_new_case_offers_triage_and_rejection_but_not_resolution(as_specialist, new_case, specialist):
    response = as_specialist.get(url(new_case))

    page = response.content.decode()
    assert f'action="{url(new_case, "triage/")}"' in page
    assert f'action="{url(new_case, "reject/")}"' in page
    assert f'action="{url(new_case, "resolve/")}"' not in page
    assert "Accept and assign" in page
    assert response.context["forms"]["triage"].initial["assignee"] == specialist.pk  # taking it is one click
    assert response.context["forms"]["triage"].initial["version"] == new_case.version


def test_a_case_in_progress_offers_resolution_and_the_moves_it_can_take(as_specialist, working_case):
    response = as_specialist.get(url(working_case))

    page = response.content.decode()
    assert f'action="{url(working_case, "resolve/")}"' in page
    assert f'action="{url(working_case, "triage/")}"' not in page
    status_choices = [value for value, _ in response.context["forms"]["status"].fields["to_status"].choices]
    assert status_choices == ["waiting_on_partner", "waiting_on_user"]


def test_every_field_on_the_case_page_has_an_id_of_its_own(as_specialist, working_case):
    """Labels point at their own field: the email's Message and the comment box are not both `id_body`."""
    html = as_specialist.get(f"/escalations/{working_case.reference}/").content.decode()
    ids = re.findall(r'\sid="([^"]+)"', html)
    duplicated = sorted({element_id for element_id in ids if ids.count(element_id) > 1})
    assert duplicated == []
    assert 'for="email-body"' in html and 'id="email-body"' in html


def test_the_requester_sees_no_case_actions(client, requester, new_case):
    client.force_login(requester)

    page = page_of(client, new_case)

    assert "Work this case" not in page
    assert url(new_case, "triage/") not in page


def test_the_template_picker_fills_the_email_without_javascript(as_specialist, working_case):
    response = as_specialist.get(url(working_case), {"template": "greeting", "panel": "email"})

    form = response.context["forms"]["email"]
    subject = f"{working_case.reference}: we are on it — Invoices doubled"
    assert form.initial["subject"] == subject
    assert form.initial["template"] == CommunicationTemplate.objects.get(slug="greeting").pk
    assert form.initial["to"] == "gina@initech.example"
    page = response.content.decode()
    assert f'value="{subject}"' in page
    assert "Hello Gina Gomez," in page
    assert "I am Sam Specialist from the escalations team" in page
    assert response.context["open_panel"] == "email"
    assert '<details open>\n    <summary role="button" class="secondary outline">Email the customer' in page


# --- triage, reject, duplicate -------------------------------------------------------------------------------------


def test_triage_through_the_page(as_specialist, new_case, colleague, billing, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_specialist.post(
            url(new_case, "triage/"),
            {"version": new_case.version, "priority": "P1", "category": billing.pk, "assignee": colleague.pk},
        )

    assert_back_on_the_case(response, new_case)
    new_case.refresh_from_db()
    assert (new_case.status, new_case.priority, new_case.category, new_case.assignee) == (
        "triaged", "P1", billing, colleague,
    )  # fmt: skip
    page = page_of(as_specialist, new_case)
    assert "Triaged: the owner has it." in page
    assert f"Sam Specialist assigned {new_case.reference} to Cleo Colleague." in page
    assert f"Sam Specialist moved {new_case.reference} from New to Triaged." in page
    assert OutboxMessage.objects.filter(template="assigned", recipient=colleague.email).count() == 1


def test_triage_without_an_owner_shows_the_form_again(as_specialist, new_case, billing):
    response = as_specialist.post(
        url(new_case, "triage/"), {"version": new_case.version, "priority": "P1", "category": billing.pk}
    )

    assert response.status_code == 400
    assert response.context["open_panel"] == "triage"
    assert "This field is required." in response.content.decode()
    assert_unchanged(new_case)


def test_triage_of_a_case_someone_already_triaged_is_refused(as_specialist, working_case, billing, specialist):
    response = as_specialist.post(
        url(working_case, "triage/"),
        {"version": working_case.version, "priority": "P1", "category": billing.pk, "assignee": specialist.pk},
    )

    assert response.status_code == 400
    assert f"{working_case.reference} is already in progress" in response.content.decode()
    assert_unchanged(working_case)


def test_reject_through_the_page(as_specialist, new_case, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_specialist.post(
            url(new_case, "reject/"), {"version": new_case.version, "reason": "A how-to question, not an escalation."}
        )

    assert_back_on_the_case(response, new_case)
    new_case.refresh_from_db()
    assert (new_case.status, new_case.rejection_reason) == ("rejected", "A how-to question, not an escalation.")
    page = page_of(as_specialist, new_case)
    assert "Why it was rejected" in page
    assert f"moved {new_case.reference} from New to Rejected. Reason: A how-to question, not an escalation." in page
    assert OutboxMessage.objects.filter(recipient=new_case.requester.email, template="status_changed").count() == 1


def test_reject_without_a_reason_is_refused(as_specialist, new_case):
    response = as_specialist.post(url(new_case, "reject/"), {"version": new_case.version, "reason": ""})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert_unchanged(new_case)


def test_mark_duplicate_through_the_page(as_specialist, new_case, working_case):
    response = as_specialist.post(
        url(new_case, "duplicate/"), {"version": new_case.version, "duplicate_of": working_case.reference.lower()}
    )

    assert_back_on_the_case(response, new_case)
    new_case.refresh_from_db()
    assert (new_case.status, new_case.duplicate_of) == ("duplicate", working_case)
    page = page_of(as_specialist, new_case)
    assert f'<a href="/escalations/{working_case.reference}/">{working_case.reference}</a>' in page
    assert f"moved {new_case.reference} from New to Duplicate." in page


@pytest.mark.parametrize(
    ("duplicate_of", "message"),
    [("ESC-424242", "There is no escalation ESC-424242."), (None, "An escalation cannot be a duplicate of itself.")],
)
def test_mark_duplicate_of_nothing_or_itself_is_refused(as_specialist, new_case, duplicate_of, message):
    response = as_specialist.post(
        url(new_case, "duplicate/"), {"version": new_case.version, "duplicate_of": duplicate_of or new_case.reference}
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert_unchanged(new_case)


# --- resolve and status --------------------------------------------------------------------------------------------


def test_resolve_through_the_page(as_specialist, working_case, driver):
    response = as_specialist.post(
        url(working_case, "resolve/"),
        {"version": working_case.version, "resolution_summary": "Credited the double charge.", "root_cause": driver.pk},
    )

    assert_back_on_the_case(response, working_case)
    working_case.refresh_from_db()
    assert (working_case.status, working_case.root_cause) == ("resolved", driver)
    page = page_of(as_specialist, working_case)
    assert "Resolved; the requester has the summary." in page
    assert "Credited the double charge." in page
    assert f"moved {working_case.reference} from In progress to Resolved." in page


@pytest.mark.parametrize(
    ("summary", "root_cause", "message"),
    [
        ("", "driver", "This field is required."),
        ("Credited the double charge.", "", "This field is required."),
        (
            "Credited the double charge.",
            "area",
            "Select a valid choice. That choice is not one of the available choices.",
        ),
    ],
)
def test_resolve_needs_a_summary_and_a_driver_not_an_area(
    as_specialist, working_case, driver, summary, root_cause, message
):
    chosen = {"driver": driver.pk, "area": driver.parent.pk, "": ""}[root_cause]

    response = as_specialist.post(
        url(working_case, "resolve/"),
        {"version": working_case.version, "resolution_summary": summary, "root_cause": chosen},
    )

    assert response.status_code == 400
    assert response.context["open_panel"] == "resolve"
    assert message in " ".join(
        response.context["forms"]["resolve"].errors["resolution_summary" if not summary else "root_cause"]
    )
    assert message in response.content.decode()
    assert_unchanged(working_case)


def test_change_status_through_the_page(as_specialist, working_case):
    response = as_specialist.post(
        url(working_case, "status/"),
        {"version": working_case.version, "to_status": "waiting_on_user", "reason": "Asked for the export file"},
    )

    assert_back_on_the_case(response, working_case)
    working_case.refresh_from_db()
    assert working_case.status == "waiting_on_user"
    assert (
        f"moved {working_case.reference} from In progress to Waiting on customer. Reason: Asked for the export file"
        in page_of(as_specialist, working_case)
    )


@pytest.mark.parametrize("to_status", ["resolved", "triaged", "closed", "nonsense"])
def test_change_status_offers_only_the_simple_moves_the_case_can_take(as_specialist, working_case, to_status):
    response = as_specialist.post(
        url(working_case, "status/"), {"version": working_case.version, "to_status": to_status}
    )

    assert response.status_code == 400
    assert f"Select a valid choice. {to_status} is not one of the available choices." in response.content.decode()
    assert_unchanged(working_case)


# --- owner and priority --------------------------------------------------------------------------------------------


def test_assign_through_the_page(as_specialist, working_case, colleague, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_specialist.post(
            url(working_case, "assign/"), {"version": working_case.version, "assignee": colleague.pk}
        )

    assert_back_on_the_case(response, working_case)
    working_case.refresh_from_db()
    assert working_case.assignee == colleague
    page = page_of(as_specialist, working_case)
    assert "Owner: <strong>Cleo Colleague</strong>" in page
    assert f"Sam Specialist reassigned {working_case.reference} from Sam Specialist to Cleo Colleague." in page
    assert list(OutboxMessage.objects.values_list("recipient", flat=True)) == [colleague.email]


def test_a_requester_cannot_be_made_owner_through_the_page(as_specialist, working_case, requester):
    response = as_specialist.post(
        url(working_case, "assign/"), {"version": working_case.version, "assignee": requester.pk}
    )

    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert_unchanged(working_case)


def test_priority_through_the_page(as_specialist, working_case):
    response = as_specialist.post(
        url(working_case, "priority/"), {"version": working_case.version, "priority": "P1", "reason": "Payroll day"}
    )

    assert_back_on_the_case(response, working_case)
    working_case.refresh_from_db()
    assert working_case.priority == "P1"
    assert "changed the priority from P3 to P1. Reason: Payroll day" in page_of(as_specialist, working_case)


def test_an_unknown_priority_is_refused_on_the_page(as_specialist, working_case):
    response = as_specialist.post(url(working_case, "priority/"), {"version": working_case.version, "priority": "P0"})

    assert response.status_code == 400
    assert "Select a valid choice. P0 is not one of the available choices." in response.content.decode()
    assert_unchanged(working_case)


@pytest.mark.parametrize(
    ("action", "first", "second"),
    [
        ("assign/", {"assignee": "colleague"}, {"assignee": "manager"}),
        ("priority/", {"priority": "P1"}, {"priority": "P4"}),
    ],
)
def test_the_second_of_two_specialists_on_an_old_page_gets_409_and_changes_nothing(
    client, specialist, colleague, manager, working_case, action, first, second
):
    def form(values, version):
        people = {"colleague": colleague.pk, "manager": manager.pk}
        return {"version": version, **{key: people.get(value, value) for key, value in values.items()}}

    second_browser = Client()
    client.force_login(colleague)
    second_browser.force_login(manager)
    version_first_saw = client.get(url(working_case)).context["forms"]["assign"].initial["version"]
    version_second_saw = second_browser.get(url(working_case)).context["forms"]["assign"].initial["version"]

    assert_back_on_the_case(client.post(url(working_case, action), form(first, version_first_saw)), working_case)
    response = second_browser.post(url(working_case, action), form(second, version_second_saw))

    assert response.status_code == 409
    assert f"{working_case.reference} {STALE}" in response.content.decode()
    working_case.refresh_from_db()
    assert working_case.version == version_first_saw + 1
    assert (working_case.assignee, working_case.priority) == (
        (colleague, "P3") if action == "assign/" else (specialist, "P1")
    )
    assert list(working_case.events.values_list("actor", flat=True)) == [colleague.pk]


# --- talking to the customer ---------------------------------------------------------------------------------------


def test_email_the_customer_through_the_page(
    as_specialist, working_case, django_capture_on_commit_callbacks, mailoutbox
):
    greeting = CommunicationTemplate.objects.get(slug="greeting")

    with django_capture_on_commit_callbacks(execute=True):
        response = as_specialist.post(
            url(working_case, "email/"),
            {"template": greeting.pk, "to": "gina@initech.example", "subject": "We are on it", "body": "Hello Gina"},
        )

    assert_back_on_the_case(response, working_case)
    communication = Communication.objects.get()
    assert (communication.template, communication.subject) == (greeting, "We are on it")
    assert [m.to for m in mailoutbox] == [["gina@initech.example"]]
    working_case.refresh_from_db()
    assert working_case.first_response_at is not None
    page = page_of(as_specialist, working_case)
    assert "Email queued to the customer; it is on the timeline." in page
    assert "Sam Specialist emailed the customer (gina@initech.example): We are on it" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"subject": ""}, "This field is required."),
        ({"body": ""}, "This field is required."),
        ({"to": ""}, "This field is required."),
        ({"to": "gina at initech"}, "Enter a valid email address."),
        ({"subject": "   "}, "This field is required."),
    ],
)
def test_an_incomplete_email_is_shown_again_and_nothing_sent(as_specialist, working_case, overrides, message):
    data = {"to": "gina@initech.example", "subject": "We are on it", "body": "Hello Gina", **overrides}

    response = as_specialist.post(url(working_case, "email/"), data)

    assert response.status_code == 400
    assert response.context["open_panel"] == "email"
    assert message in response.content.decode()
    assert Communication.objects.count() == 0
    assert OutboxMessage.objects.count() == 0
    working_case.refresh_from_db()
    assert working_case.first_response_at is None


@pytest.mark.parametrize("template", ["greeting", "by-id"])
def test_email_compose_returns_the_template_filled_in(as_specialist, working_case, template):
    greeting = CommunicationTemplate.objects.get(slug="greeting")

    response = as_specialist.get(
        url(working_case, "email/compose/"), {"template": greeting.pk if template == "by-id" else "greeting"}
    )

    assert response.status_code == 200
    assert response.context["form"].initial["subject"] == f"{working_case.reference}: we are on it — Invoices doubled"
    assert response.context["form"].initial["body"].startswith("Hello Gina Gomez,\n\nI am Sam Specialist")
    fields = response.content.decode()
    assert fields.lstrip().startswith('<div id="email-fields">')
    assert f'value="{working_case.reference}: we are on it — Invoices doubled"' in fields
    assert "<html" not in fields


def test_email_compose_without_a_known_template_leaves_the_message_empty(as_specialist, working_case):
    response = as_specialist.get(url(working_case, "email/compose/"), {"template": "nope"})

    assert response.status_code == 200
    assert response.context["form"].initial == {"to": "gina@initech.example"}


def test_log_a_call_through_the_page(as_specialist, working_case):
    response = as_specialist.post(
        url(working_case, "call/"),
        {
            "direction": "outbound",
            "outcome": "connected",
            "duration_minutes": "10",
            "summary": "Walked Gina through it",
        },
    )

    assert_back_on_the_case(response, working_case)
    working_case.refresh_from_db()
    assert working_case.first_response_at is not None
    page = page_of(as_specialist, working_case)
    assert "Call logged." in page
    assert "Sam Specialist logged a call to the customer (connected, 10 min): Walked Gina through it" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"outcome": "great"}, "Select a valid choice. great is not one of the available choices."),
        ({"summary": ""}, "This field is required."),
        ({"duration_minutes": "2000"}, "Ensure this value is less than or equal to 1440."),
    ],
)
def test_a_call_with_bad_details_is_refused_on_the_page(as_specialist, working_case, overrides, message):
    data = {"direction": "outbound", "outcome": "connected", "summary": "Talked", **overrides}

    response = as_specialist.post(url(working_case, "call/"), data)

    assert response.status_code == 400
    assert response.context["open_panel"] == "call"
    assert message in response.content.decode()
    assert Communication.objects.count() == 0
    assert EscalationEvent.objects.count() == 0


# --- handoffs ------------------------------------------------------------------------------------------------------


def test_hand_off_through_the_page(
    as_specialist, working_case, partner_team, partner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_specialist.post(
            url(working_case, "handoff/"),
            {
                "partner_team": partner_team.pk,
                "ask": "Why was March billed twice?",
                "due_at": "",
                "wait_on_partner": "on",
            },
        )

    assert_back_on_the_case(response, working_case)
    handoff = Handoff.objects.get()
    assert (handoff.partner_team, handoff.status, handoff.requested_by.email) == (
        partner_team, "requested", "sam.specialist@example.com",
    )  # fmt: skip
    working_case.refresh_from_db()
    assert working_case.status == "waiting_on_partner"
    page = page_of(as_specialist, working_case)
    assert "Handed off; the partner team has been emailed." in page
    assert '<h2 id="handoffs-heading">Handoffs</h2>' in page
    assert "Sam Specialist handed off to Billing Platform: Why was March billed twice?" in page
    assert partner.email in OutboxMessage.objects.values_list("recipient", flat=True)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"due_at": "2001-01-01T09:00"}, "The due time must be in the future."),
        ({"ask": ""}, "This field is required."),
        ({"partner_team": ""}, "This field is required."),
        ({"due_at": "next week"}, "Enter a valid date/time."),
    ],
)
def test_a_handoff_with_bad_details_is_refused_on_the_page(
    as_specialist, working_case, partner_team, overrides, message
):
    data = {"partner_team": partner_team.pk, "ask": "Please check", "due_at": "", "wait_on_partner": "on", **overrides}

    response = as_specialist.post(url(working_case, "handoff/"), data)

    assert response.status_code == 400
    assert response.context["open_panel"] == "handoff"
    assert message in response.content.decode()
    assert Handoff.objects.count() == 0
    assert_unchanged(working_case)


def test_the_partner_acknowledges_and_answers_from_the_case_page(client, partner, handoff, working_case):
    client.force_login(partner)
    page = page_of(client, working_case)
    assert f'action="/escalations/handoffs/{handoff.pk}/acknowledge/"' in page

    acknowledged = client.post(f"/escalations/handoffs/{handoff.pk}/acknowledge/", {"next": url(working_case)})
    answered = client.post(
        f"/escalations/handoffs/{handoff.pk}/answer/", {"response": "A retry job ran twice.", "next": url(working_case)}
    )

    assert (acknowledged.status_code, acknowledged.url) == (302, url(working_case))
    assert (answered.status_code, answered.url) == (302, url(working_case))
    handoff.refresh_from_db()
    assert (handoff.status, handoff.response, handoff.responded_by) == ("answered", "A retry job ran twice.", partner)
    page = page_of(client, working_case)
    assert f"Acknowledged {working_case.reference}; the case owner has been told." in page
    assert f"Answer sent for {working_case.reference}; the case owner has been told." in page
    assert "<blockquote>A retry job ran twice." in page


@pytest.mark.parametrize("action", ["acknowledge/", "answer/"])
@pytest.mark.parametrize("target", ["https://evil.example/phish", "//evil.example/phish", ""])
def test_after_a_handoff_action_only_a_local_next_is_followed(client, partner, handoff, action, target):
    client.force_login(partner)

    response = client.post(f"/escalations/handoffs/{handoff.pk}/{action}", {"next": target, "response": "Done"})

    assert (response.status_code, response.url) == (302, "/escalations/handoffs/")
    handoff.refresh_from_db()
    assert handoff.status == ("acknowledged" if action == "acknowledge/" else "answered")


def test_an_empty_answer_from_the_page_is_refused_with_a_message(client, partner, handoff):
    client.force_login(partner)

    response = client.post(f"/escalations/handoffs/{handoff.pk}/answer/", {"response": "  "}, follow=True)

    assert "Write the answer before sending it." in response.content.decode()
    handoff.refresh_from_db()
    assert (handoff.status, handoff.response) == ("requested", "")


def test_answering_an_answered_handoff_again_is_refused_with_a_message(client, partner, handoff):
    client.force_login(partner)
    client.post(f"/escalations/handoffs/{handoff.pk}/answer/", {"response": "First"})

    response = client.post(f"/escalations/handoffs/{handoff.pk}/answer/", {"response": "Second"}, follow=True)

    assert "This handoff is already answered." in response.content.decode()
    handoff.refresh_from_db()
    assert handoff.response == "First"


def test_a_specialist_may_acknowledge_any_handoff(as_specialist, handoff):
    response = as_specialist.post(f"/escalations/handoffs/{handoff.pk}/acknowledge/")

    assert response.status_code == 302
    handoff.refresh_from_db()
    assert handoff.status == "acknowledged"


@pytest.mark.parametrize("action", ["acknowledge/", "answer/"])
def test_another_teams_handoff_is_not_found_for_a_partner_or_requester(client, requester, handoff, action):
    outsider = factories.PartnerFactory(display_name="Olga Outsider")
    factories.PartnerTeamFactory(name="Identity", slug="identity").members.add(outsider)

    for someone in (outsider, requester):
        client.force_login(someone)
        assert client.post(f"/escalations/handoffs/{handoff.pk}/{action}", {"response": "Mine now"}).status_code == 404

    handoff.refresh_from_db()
    assert (handoff.status, handoff.response) == ("requested", "")


# --- who may -------------------------------------------------------------------------------------------------------

CASE_WORKER_ACTIONS = [
    ("post", "triage/"),
    ("post", "reject/"),
    ("post", "duplicate/"),
    ("post", "resolve/"),
    ("post", "status/"),
    ("post", "assign/"),
    ("post", "priority/"),
    ("post", "email/"),
    ("get", "email/compose/"),
    ("post", "call/"),
    ("post", "handoff/"),
]


@pytest.fixture
def everything_filled(specialist, billing, driver, partner_team):
    """A valid submission for every action, so a refusal can only be about who is asking."""
    return {
        "version": 1, "priority": "P1", "category": billing.pk, "assignee": specialist.pk, "reason": "Because",
        "duplicate_of": "ESC-1", "resolution_summary": "Done", "root_cause": driver.pk, "to_status": "in_progress",
        "to": "gina@initech.example", "subject": "Hi", "body": "Hello", "template": "greeting",
        "direction": "outbound", "outcome": "connected", "summary": "Talked", "partner_team": partner_team.pk,
        "ask": "Please", "wait_on_partner": "on",
    }  # fmt: skip


@pytest.mark.parametrize(("method", "action"), CASE_WORKER_ACTIONS)
@pytest.mark.parametrize("whose", ["own", "someone_elses", "handed_to_the_partner"])
@pytest.mark.parametrize("role_fixture", ["requester", "partner"])
def test_only_case_workers_may_use_the_case_actions(
    client, request, requester, other_requester, customer, partner_team, everything_filled, role_fixture, whose,
    method, action,
):  # fmt: skip
    case = factories.EscalationFactory(account=customer, requester=requester if whose == "own" else other_requester)
    if whose == "handed_to_the_partner":
        factories.HandoffFactory(escalation=case, partner_team=partner_team)
    client.force_login(request.getfixturevalue(role_fixture))

    response = getattr(client, method)(url(case, action), everything_filled)

    assert response.status_code == 403
    assert "Only specialists and managers work cases." in response.content.decode()
    assert_unchanged(case)
    assert OutboxMessage.objects.count() == 0
    assert Handoff.objects.count() == (1 if whose == "handed_to_the_partner" else 0)


@pytest.mark.parametrize("role_fixture", ["requester", "partner"])
def test_a_case_they_cannot_see_is_not_found(client, request, other_requester, role_fixture):
    case = factories.EscalationFactory(requester=other_requester)
    client.force_login(request.getfixturevalue(role_fixture))

    assert client.get(url(case)).status_code == 404
    assert client.get(url(case), {"template": "greeting", "panel": "email"}).status_code == 404


def test_case_actions_refuse_get_and_an_unknown_case_is_not_found(as_specialist, working_case):
    assert as_specialist.get(url(working_case, "assign/")).status_code == 405
    assert as_specialist.post("/escalations/handoffs/999999/acknowledge/").status_code == 404
    assert as_specialist.post("/escalations/ESC-424242/assign/", {"version": 1}).status_code == 404


# --- cost ----------------------------------------------------------------------------------------------------------


def test_the_case_page_costs_the_same_queries_with_more_events_and_handoffs(
    as_specialist, working_case, specialist, django_assert_max_num_queries
):
    def add_activity(events, handoffs):
        for _ in range(events):
            factories.EventFactory(escalation=working_case, actor=factories.SpecialistFactory())
        for _ in range(handoffs):
            factories.HandoffFactory(
                escalation=working_case, requested_by=factories.SpecialistFactory(), status="answered",
                response="Fixed", responded_by=factories.PartnerFactory(), due_at=timezone.now(),
            )  # fmt: skip

    add_activity(events=2, handoffs=0)
    with django_assert_max_num_queries(40) as small:
        assert as_specialist.get(url(working_case)).status_code == 200
    add_activity(events=28, handoffs=5)

    with django_assert_max_num_queries(len(small.captured_queries)):
        response = as_specialist.get(url(working_case))
    assert response.status_code == 200
    assert len(response.context["timeline"]) == 30
    assert len(response.context["handoffs"]) == 5
