"""Object-level rules: a case you may not see does not exist for you; partners see only their teams' work."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from escalations.models import EscalationWatcher
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
