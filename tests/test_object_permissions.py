"""Object-level rules: a case you may not see does not exist for you; partners see only their teams' work."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from escalations import services
from escalations.mail.models import InboundEmail
from escalations.mail.views import SECRET_HEADER
from escalations.models import EscalationEvent, EscalationWatcher, Handoff
from reports.catalog import REPORTS
from tests import factories


@pytest.fixture
def someone_elses_case(other_requester, account):
    return factories.EscalationFactory(requester=other_requester, account=account, title="Omar's private case")


@pytest.fixture
def other_team():
    return factories.PartnerTeamFactory(name="Identity", slug="identity")


def api_as(user):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {factories.api_token_for(user)}")
    return api


def case_urls(case):
    return [
        reverse("escalations:detail", args=[case.reference]),
        reverse("escalations:filed", args=[case.reference]),
        f"/api/v1/escalations/{case.reference}/",
        f"/api/v1/escalations/{case.reference}/comments/",
        f"/api/v1/escalations/{case.reference}/attachments/",
    ]


def test_a_requester_gets_404_for_someone_elses_case_everywhere(client, requester, someone_elses_case):
    client.force_login(requester)

    for url in case_urls(someone_elses_case):
        assert client.get(url).status_code == 404, url
    listed = client.get("/api/v1/escalations/").json()["results"]
    assert someone_elses_case.reference not in {case["reference"] for case in listed}


def test_a_requester_sees_a_case_they_watch(client, requester, someone_elses_case):
    EscalationWatcher.objects.create(escalation=someone_elses_case, user=requester)
    client.force_login(requester)

    for url in case_urls(someone_elses_case):
        assert client.get(url).status_code == 200, url


def test_a_requester_cannot_comment_on_someone_elses_case(client, requester, someone_elses_case):
    client.force_login(requester)

    web = client.post(reverse("escalations:comment", args=[someone_elses_case.reference]), {"body": "hi"})
    api = api_as(requester).post(
        f"/api/v1/escalations/{someone_elses_case.reference}/comments/", {"body": "hi"}, format="json"
    )

    assert (web.status_code, api.status_code) == (404, 404)
    assert not someone_elses_case.events.exists()


def test_a_partner_sees_a_case_handed_to_their_team_but_no_other(
    client, partner, partner_team, escalation, someone_elses_case
):
    factories.HandoffFactory(escalation=escalation, partner_team=partner_team)
    client.force_login(partner)

    assert client.get(reverse("escalations:detail", args=[escalation.reference])).status_code == 200
    for url in case_urls(someone_elses_case):
        assert client.get(url).status_code == 404, url


def test_a_partner_sees_and_answers_only_their_teams_handoffs(client, partner, partner_team, other_team, escalation):
    ours = factories.HandoffFactory(escalation=escalation, partner_team=partner_team, ask="Check our ledger")
    theirs = factories.HandoffFactory(escalation=escalation, partner_team=other_team, ask="Check identity logs")
    client.force_login(partner)

    page = client.get(reverse("escalations:handoffs")).content.decode()
    answer = client.post(reverse("escalations:handoff_answer", args=[theirs.pk]), {"response": "Not ours"})

    assert "Check our ledger" in page and "Check identity logs" not in page
    assert answer.status_code == 404
    theirs.refresh_from_db()
    assert theirs.response == "" and ours.pk


def test_a_partner_sees_only_their_teams_remediations(client, partner, partner_team, other_team):
    ours = factories.RemediationFactory(owner_team=partner_team, title="Stop double posting")
    theirs = factories.RemediationFactory(owner_team=other_team, title="Rotate identity keys")
    client.force_login(partner)
    api = api_as(partner)

    board = client.get(reverse("remediations:list")).content.decode()
    listed = {item["id"] for item in api.get("/api/v1/remediations/").json()["results"]}

    assert "Stop double posting" in board and "Rotate identity keys" not in board
    assert listed == {ours.pk}
    assert client.get(reverse("remediations:detail", args=[theirs.pk])).status_code == 404
    assert api.get(f"/api/v1/remediations/{theirs.pk}/").status_code == 404
    moved = api.post(f"/api/v1/remediations/{theirs.pk}/transition/", {"to_status": "accepted"}, format="json")
    assert moved.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "proposed"


def test_specialists_and_managers_see_every_case(client, specialist, manager, someone_elses_case):
    for user in (specialist, manager):
        client.force_login(user)
        for url in case_urls(someone_elses_case):
            assert client.get(url).status_code == 200, (user.role, url)


# The case's timeline, handoffs and communications through the API


def test_a_requester_cannot_read_the_timeline_handoffs_or_calls_of_someone_elses_case(
    requester, specialist, partner_team, someone_elses_case
):
    factories.EventFactory(escalation=someone_elses_case, body="Omar's shared update")
    factories.HandoffFactory(escalation=someone_elses_case, partner_team=partner_team, ask="Check Omar's ledger")
    services.escalation_log_call(
        acting_user=specialist, escalation=someone_elses_case, direction="outbound", outcome="connected", summary="Hi"
    )
    api = api_as(requester)
    base = f"/api/v1/escalations/{someone_elses_case.reference}"

    events = api.get(f"{base}/events/")
    handoffs = api.get(f"{base}/handoffs/")
    communications = api.get(f"{base}/communications/")

    assert (events.status_code, handoffs.status_code) == (404, 404)
    assert communications.status_code == 403  # emails and calls are for case workers, on any case
    for response in (events, handoffs, communications):
        assert "Omar" not in response.content.decode()


def test_on_their_own_case_a_requester_reads_shared_events_but_no_internal_note_handoff_or_call(
    requester, specialist, partner_team, escalation
):
    factories.EventFactory(escalation=escalation, body="We are on it")
    factories.EventFactory(
        escalation=escalation, body="Customer is difficult", visibility=EscalationEvent.Visibility.INTERNAL
    )
    factories.HandoffFactory(escalation=escalation, partner_team=partner_team, ask="Check the ledger")
    api = api_as(requester)
    base = f"/api/v1/escalations/{escalation.reference}"

    events = api.get(f"{base}/events/").json()
    internal = api.get(f"{base}/events/", {"visibility": "internal"}).json()
    handoffs = api.get(f"{base}/handoffs/")

    assert [event["body"] for event in events] == ["We are on it"]
    assert internal == []
    assert (handoffs.status_code, handoffs.json()) == (200, [])
    assert api.get(f"{base}/communications/").status_code == 403


def test_a_partner_reads_no_timeline_of_a_case_not_handed_to_their_team(partner, other_team, someone_elses_case):
    factories.HandoffFactory(escalation=someone_elses_case, partner_team=other_team)
    api = api_as(partner)
    base = f"/api/v1/escalations/{someone_elses_case.reference}"

    assert api.get(f"{base}/events/").status_code == 404
    assert api.get(f"{base}/handoffs/").status_code == 404


# Handoffs through the API


def test_a_partner_sees_and_answers_only_their_teams_handoffs_through_the_api(
    partner, partner_team, other_team, escalation, someone_elses_case
):
    ours = factories.HandoffFactory(escalation=escalation, partner_team=partner_team, ask="Check our ledger")
    theirs_on_our_case = factories.HandoffFactory(escalation=escalation, partner_team=other_team, ask="Rotate keys")
    theirs = factories.HandoffFactory(escalation=someone_elses_case, partner_team=other_team, ask="Reset tokens")
    api = api_as(partner)

    listed = api.get("/api/v1/handoffs/").json()["results"]
    asked_for_theirs = api.get("/api/v1/handoffs/", {"partner_team": other_team.slug}).json()["results"]
    on_the_case = api.get(f"/api/v1/escalations/{escalation.reference}/handoffs/").json()

    assert [handoff["id"] for handoff in listed] == [ours.pk]
    assert asked_for_theirs == []
    assert [handoff["id"] for handoff in on_the_case] == [ours.pk]
    for handoff in (theirs_on_our_case, theirs):
        assert api.get(f"/api/v1/handoffs/{handoff.pk}/").status_code == 404
        assert api.post(f"/api/v1/handoffs/{handoff.pk}/acknowledge/").status_code == 404
        answer = api.post(f"/api/v1/handoffs/{handoff.pk}/answer/", {"response": "Not ours"}, format="json")
        assert answer.status_code == 404
        handoff.refresh_from_db()
        assert (handoff.status, handoff.response) == (Handoff.Status.REQUESTED, "")


def test_a_requester_cannot_list_handoffs_through_the_api(requester, partner_team, escalation):
    factories.HandoffFactory(escalation=escalation, partner_team=partner_team)

    assert api_as(requester).get("/api/v1/handoffs/").status_code == 403


def test_case_workers_see_every_teams_handoffs_through_the_api(specialist, manager, partner_team, other_team):
    handoffs = {factories.HandoffFactory(partner_team=team).pk for team in (partner_team, other_team)}

    for user in (specialist, manager):
        listed = api_as(user).get("/api/v1/handoffs/").json()["results"]
        assert {handoff["id"] for handoff in listed} == handoffs, user.role


# Customer accounts


def test_only_case_workers_read_a_customers_contact_through_the_accounts_api(requester, partner, specialist, manager):
    factories.AccountFactory(
        external_id="acct_initech01",
        name="Initech",
        contact_name="Bill Lumbergh",
        contact_email="bill@initech.example",
        contact_phone="+1 555 0100",
    )
    contact = {"contact_name": "Bill Lumbergh", "contact_email": "bill@initech.example", "contact_phone": "+1 555 0100"}
    hidden = dict.fromkeys(contact, "")

    for user, expected in ((requester, hidden), (partner, hidden), (specialist, contact), (manager, contact)):
        api = api_as(user)
        (listed,) = api.get("/api/v1/accounts/", {"q": "Initech"}).json()["results"]
        one = api.get("/api/v1/accounts/acct_initech01/").json()
        for account in (listed, one):
            assert (account["name"], account["tier"]) == ("Initech", "enterprise"), user.role
            assert {field: account[field] for field in contact} == expected, user.role


# Reports

MANAGER_REPORTS = [spec.slug for spec in REPORTS if spec.slug != "partner-accountability"]


def report_urls(slug, table_key):
    return {
        "page": reverse("reports:report", args=[slug]),
        "csv": reverse("reports:csv", args=[slug, table_key]),
        "api": f"/api/v1/reports/{slug}/",
    }


def body_of(response) -> str:
    return b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()


@pytest.fixture
def accountability(partner_team, other_team, escalation):
    """Each team owes an overdue handoff and an open remediation."""
    overdue = timezone.now() - timedelta(hours=3)
    for team, ask, title in (
        (partner_team, "Check the ledger", "Stop double posting"),
        (other_team, "Rotate the signing keys", "Expire old sessions"),
    ):
        factories.HandoffFactory(escalation=escalation, partner_team=team, ask=ask, due_at=overdue)
        factories.RemediationFactory(owner_team=team, title=title)


@pytest.mark.usefixtures("accountability")
def test_a_partner_sees_only_their_own_team_in_partner_accountability(client, partner):
    client.force_login(partner)
    page = client.get(reverse("reports:report", args=["partner-accountability"]))
    teams_csv = client.get(reverse("reports:csv", args=["partner-accountability", "teams"]))
    overdue_csv = client.get(reverse("reports:csv", args=["partner-accountability", "overdue_handoffs"]))
    api = api_as(partner).get("/api/v1/reports/partner-accountability/").json()

    assert (page.status_code, teams_csv.status_code, overdue_csv.status_code) == (200, 200, 200)
    for response in (page, teams_csv, overdue_csv):
        text = body_of(response)
        assert "Billing Platform" in text
        assert "Identity" not in text and "Rotate the signing keys" not in text
    assert [row["team"] for row in api["tables"]["teams"]["rows"]] == ["Billing Platform"]
    assert [row["team"] for row in api["tables"]["overdue_handoffs"]["rows"]] == ["Billing Platform"]
    assert {item["label"]: item["value"] for item in api["summary"]}["Overdue now"] == "1"


@pytest.mark.usefixtures("accountability")
def test_a_partner_cannot_ask_for_another_teams_accountability(client, partner, other_team):
    client.force_login(partner)
    query = {"team": other_team.slug}

    responses = [
        client.get(reverse("reports:report", args=["partner-accountability"]), query),
        client.get(reverse("reports:csv", args=["partner-accountability", "teams"]), query),
        api_as(partner).get("/api/v1/reports/partner-accountability/", query),
    ]

    assert [response.status_code for response in responses] == [400, 400, 400]
    assert not any("Rotate the signing keys" in body_of(response) for response in responses)


@pytest.mark.usefixtures("accountability")
def test_case_workers_see_every_team_in_partner_accountability(specialist, manager):
    for user in (specialist, manager):
        report = api_as(user).get("/api/v1/reports/partner-accountability/").json()
        assert [row["team"] for row in report["tables"]["teams"]["rows"]] == ["Billing Platform", "Identity"]


@pytest.mark.parametrize("slug", MANAGER_REPORTS)
def test_a_partner_cannot_open_the_case_workers_reports(client, partner, slug):
    client.force_login(partner)

    for kind, url in report_urls(slug, "weekly").items():
        response = api_as(partner).get(url) if kind == "api" else client.get(url)
        assert response.status_code == 403, url


@pytest.mark.parametrize("slug", [spec.slug for spec in REPORTS])
def test_a_requester_cannot_open_any_report(client, requester, slug):
    client.force_login(requester)

    assert client.get(reverse("reports:index")).status_code == 403
    for kind, url in report_urls(slug, "teams").items():
        response = api_as(requester).get(url) if kind == "api" else client.get(url)
        assert response.status_code == 403, url


# Customer mail


@pytest.fixture
def stray_email():
    return InboundEmail.objects.create(
        message_id="<stray@customer.example>",
        status=InboundEmail.Status.UNMATCHED,
        source=InboundEmail.Source.HTTP,
        from_address="omar@customer.example",
        subject="Where is my refund?",
        raw=b"From: omar@customer.example\r\nSubject: Where is my refund?\r\n\r\nStill waiting.\r\n",
        size=76,
    )


def test_requesters_and_partners_cannot_open_or_handle_unmatched_mail(
    client, requester, partner, escalation, account, stray_email
):
    for user in (requester, partner):
        client.force_login(user)
        pages = [reverse("mail:unmatched"), reverse("mail:unmatched_detail", args=[stray_email.pk])]
        actions = {
            "mail:unmatched_attach": {"reference": escalation.reference},
            "mail:unmatched_file": {"account": account.external_id, "title": "Refund"},
            "mail:unmatched_dismiss": {},
        }

        for url in pages:
            response = client.get(url)
            assert response.status_code == 403, (user.role, url)
            assert "Where is my refund?" not in response.content.decode()
        for name, data in actions.items():
            assert client.post(reverse(name, args=[stray_email.pk]), data).status_code == 403, (user.role, name)
    stray_email.refresh_from_db()
    assert (stray_email.status, stray_email.escalation) == (InboundEmail.Status.UNMATCHED, None)
    assert not escalation.events.exists()


def test_the_inbound_mail_endpoint_takes_the_secret_not_a_session(client, requester, settings):
    message = b"From: someone@customer.example\r\nMessage-ID: <hello@customer.example>\r\nSubject: Hi\r\n\r\nHi\r\n"
    client.force_login(requester)

    with_session = client.post(reverse("mail:inbound"), message, content_type="message/rfc822")
    wrong_secret = client.post(
        reverse("mail:inbound"), message, content_type="message/rfc822", headers={SECRET_HEADER: "guess"}
    )
    client.logout()
    with_secret = client.post(
        reverse("mail:inbound"),
        message,
        content_type="message/rfc822",
        headers={SECRET_HEADER: settings.INBOUND_MAIL_SECRET},
    )

    assert (with_session.status_code, wrong_secret.status_code, with_secret.status_code) == (403, 403, 202)
    assert list(InboundEmail.objects.values_list("message_id", flat=True)) == ["<hello@customer.example>"]
