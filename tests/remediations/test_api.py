"""The remediations and root-causes API: CRUD, lifecycle moves, filters, and the same rules as the pages."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from escalations.models import EscalationEvent
from remediations.models import Remediation, RemediationUpdate, RootCause
from tests import factories

LIST = "/api/v1/remediations/"
ROOT_CAUSES = "/api/v1/root-causes/"


def error(response) -> dict:
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}, body
    return body


@pytest.fixture
def api():
    def as_user(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return as_user


@pytest.fixture
def foreign(remediation_in, other_team):
    return remediation_in("accepted", owner_team=other_team, owner=None, title="SSO checklist")


# --- who may call -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [LIST, ROOT_CAUSES])
def test_requesters_are_refused_with_the_usual_error_shape(api, requester, path):
    response = api(requester).get(path)
    assert response.status_code == 403
    assert error(response)["code"] == "permission_denied"


def test_requesters_cannot_open_one_either(api, requester, remediation):
    assert api(requester).get(f"{LIST}{remediation.pk}/").status_code == 403


def test_partners_list_only_their_teams_remediations_and_get_404_for_others(api, partner, remediation, foreign):
    client = api(partner)
    body = client.get(LIST).json()
    assert [item["id"] for item in body["results"]] == [remediation.pk]
    response = client.get(f"{LIST}{foreign.pk}/")
    assert response.status_code == 404 and error(response)["code"] == "not_found"
    assert client.post(f"{LIST}{foreign.pk}/transition/", {"to_status": "in_progress"}).status_code == 404
    assert client.get(f"{LIST}not-a-number/").status_code == 404


def test_case_workers_list_every_remediation(api, specialist, remediation, foreign):
    assert api(specialist).get(LIST).json()["count"] == 2


def test_a_token_works_as_well_as_a_session(partner, remediation):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {factories.api_token_for(partner)}")
    assert client.get(f"{LIST}{remediation.pk}/").status_code == 200


# --- read and filter --------------------------------------------------------------------------------------------


def test_one_remediation_as_json(api, manager, remediation, rounding, escalation):
    remediation.root_causes.add(rounding)
    remediation.escalations.add(escalation)
    body = api(manager).get(f"{LIST}{remediation.pk}/").json()
    assert body["title"] == "Idempotent renewal job" and body["status"] == "proposed"
    assert body["owner_team"] == "billing-platform" and body["owner"] == "pat.partner@example.com"
    assert body["root_causes"] == [rounding.pk] and body["escalations"] == [escalation.reference]
    assert body["escalation_count"] == 1 and body["allowed_transitions"] == ["accepted", "declined"]
    assert body["url"].endswith(f"{LIST}{remediation.pk}/")


def test_filters_are_the_boards(api, manager, remediation_in, other_team, partner):
    today = timezone.localdate()
    late = remediation_in("in_progress", due_date=today - timedelta(days=1), priority="high")
    other = remediation_in("accepted", owner_team=other_team, owner=None, priority="low")
    shipped = remediation_in("shipped", owner=None)
    client = api(manager)

    def ids(query):
        return [item["id"] for item in client.get(f"{LIST}?{query}").json()["results"]]

    assert ids("team=identity-access") == [other.pk]
    assert ids("overdue=true") == [late.pk]
    assert ids("status=shipped") == [shipped.pk]
    assert ids("priority=high") == [late.pk]
    assert ids(f"owner={partner.pk}") == [late.pk]
    assert api(partner).get(f"{LIST}?owner=me").json()["count"] == 1
    response = client.get(f"{LIST}?status=done")
    assert response.status_code == 400 and "status" in error(response)["fields"]


# --- create and change ------------------------------------------------------------------------------------------


def test_a_specialist_proposes_one(api, specialist, partner, rounding, escalation):
    response = api(specialist).post(
        LIST,
        {
            "title": "Round once",
            "problem_statement": "Rounded twice.",
            "owner_team": "billing-platform",
            "owner": partner.email,
            "priority": "high",
            "due_date": (timezone.localdate() + timedelta(days=9)).isoformat(),
            "root_causes": [rounding.pk],
            "escalations": [escalation.reference],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["Location"] == body["url"]
    assert body["status"] == "proposed" and body["problem_statement"] == "Rounded twice."
    remediation = Remediation.objects.get()
    assert remediation.created_by == specialist and list(remediation.escalations.all()) == [escalation]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": ""}, "title"),
        ({"owner_team": "nope"}, "owner_team"),
        ({"escalations": ["ESC-4242"]}, "escalations"),
        ({"due_date": "2020-01-01"}, "due_date"),
        ({"owner": "olga.other@example.com"}, "owner"),
    ],
)
def test_invalid_proposals_name_the_field(api, specialist, partner_team, other_partner, payload, field):
    response = api(specialist).post(LIST, {"title": "T", "owner_team": "billing-platform", **payload}, format="json")
    assert response.status_code == 400
    assert field in error(response)["fields"]
    assert not Remediation.objects.exists()


def test_an_area_is_not_a_root_cause_to_link(api, specialist, partner_team, billing_area):
    response = api(specialist).post(
        LIST, {"title": "T", "owner_team": "billing-platform", "root_causes": [billing_area.pk]}, format="json"
    )
    assert response.status_code == 400 and "root_causes" in error(response)["fields"]


def test_a_partner_cannot_propose_to_another_team(api, partner, other_team):
    response = api(partner).post(LIST, {"title": "T", "owner_team": "identity-access"}, format="json")
    assert response.status_code == 403 and error(response)["code"] == "permission_denied"


def test_patch_changes_only_what_is_sent(api, partner, remediation):
    response = api(partner).patch(f"{LIST}{remediation.pk}/", {"priority": "low"}, format="json")
    assert response.status_code == 200 and response.json()["priority"] == "low"
    remediation.refresh_from_db()
    assert remediation.title == "Idempotent renewal job" and remediation.owner is not None
    assert RemediationUpdate.objects.get().data == {"priority": ["medium", "low"]}


def test_patch_follows_the_edit_rules(api, remediation_in, escalation):
    remediation = remediation_in("accepted", created_by=None)
    colleague = factories.SpecialistFactory()
    response = api(colleague).patch(f"{LIST}{remediation.pk}/", {"title": "Mine"}, format="json")
    assert response.status_code == 403
    response = api(colleague).patch(f"{LIST}{remediation.pk}/", {"escalations": [escalation.reference]}, format="json")
    assert response.status_code == 200 and response.json()["escalations"] == [escalation.reference]


def test_remediations_are_declined_not_deleted(api, manager, remediation):
    assert api(manager).delete(f"{LIST}{remediation.pk}/").status_code == 405
    assert api(manager).put(f"{LIST}{remediation.pk}/", {}, format="json").status_code == 405


# --- lifecycle, timeline, effectiveness --------------------------------------------------------------------------


def test_the_owner_team_moves_it_along(api, partner, remediation):
    client = api(partner)
    for to_status in ("accepted", "in_progress", "shipped"):
        response = client.post(f"{LIST}{remediation.pk}/transition/", {"to_status": to_status}, format="json")
        assert response.status_code == 200 and response.json()["status"] == to_status
    assert Remediation.objects.get(pk=remediation.pk).shipped_at is not None


def test_a_move_the_lifecycle_does_not_allow_is_a_409(api, partner, remediation):
    response = api(partner).post(f"{LIST}{remediation.pk}/transition/", {"to_status": "verified"}, format="json")
    assert response.status_code == 409
    body = error(response)
    assert body["code"] == "transition_not_allowed" and "can only become accepted or declined" in body["detail"]


def test_declining_needs_a_reason(api, partner, remediation):
    response = api(partner).post(f"{LIST}{remediation.pk}/transition/", {"to_status": "declined"}, format="json")
    assert response.status_code == 400 and "reason" in error(response)["fields"]


def test_only_the_owner_team_and_managers_move_it(api, specialist, manager, remediation):
    response = api(specialist).post(f"{LIST}{remediation.pk}/transition/", {"to_status": "accepted"}, format="json")
    assert response.status_code == 403
    response = api(manager).post(f"{LIST}{remediation.pk}/transition/", {"to_status": "accepted"}, format="json")
    assert response.status_code == 200


def test_the_timeline_and_progress_updates(api, partner, remediation):
    client = api(partner)
    response = client.post(f"{LIST}{remediation.pk}/updates/", {"body": "Started."}, format="json")
    assert response.status_code == 201 and response.json()["kind"] == "progress"
    client.post(f"{LIST}{remediation.pk}/transition/", {"to_status": "accepted"}, format="json")
    timeline = client.get(f"{LIST}{remediation.pk}/updates/").json()
    assert [entry["kind"] for entry in timeline] == ["progress", "status_changed"]
    assert client.post(f"{LIST}{remediation.pk}/updates/", {"body": ""}, format="json").status_code == 400


def test_effectiveness_over_the_api(api, manager, remediation_in, rounding, account):
    shipped_at = timezone.now() - timedelta(weeks=3)
    remediation = remediation_in("shipped", shipped_at=shipped_at)
    remediation.root_causes.add(rounding)
    factories.EscalationFactory(account=account, root_cause=rounding, filed_at=shipped_at - timedelta(days=1),
                                status="closed", resolved_at=shipped_at, resolution_summary="x")  # fmt: skip
    client = api(manager)
    body = client.get(f"{LIST}{remediation.pk}/effectiveness/").json()
    assert body["weeks"] == 8 and body["has_data"] is False and body["before_rate"] is None
    body = client.get(f"{LIST}{remediation.pk}/effectiveness/?weeks=2").json()
    assert body["has_data"] is True and (body["before_count"], body["after_count"]) == (1, 0)
    assert (body["before_rate"], body["after_rate"], body["change_percent"]) == (0.5, 0.0, -100.0)
    assert [week["week"] for week in body["series"]] == [-2, -1, 0, 1]
    response = client.get(f"{LIST}{remediation.pk}/effectiveness/?weeks=zero")
    assert response.status_code == 400 and "weeks" in error(response)["fields"]


# --- root causes ------------------------------------------------------------------------------------------------


def test_partners_and_case_workers_read_the_taxonomy_with_filters(api, partner, billing_area, rounding, double_posting):
    double_posting.is_active = False
    double_posting.save()
    client = api(partner)
    assert client.get(ROOT_CAUSES).json()["count"] == 3
    body = client.get(f"{ROOT_CAUSES}?kind=driver&is_active=true").json()
    assert [(item["id"], item["kind"], item["parent_name"]) for item in body["results"]] == [
        (rounding.pk, "driver", "Billing logic")
    ]
    assert client.get(f"{ROOT_CAUSES}?area=billing-logic").json()["count"] == 2
    assert client.get(f"{ROOT_CAUSES}{rounding.pk}/").json()["name"] == "Invoice rounding"


def test_managers_manage_the_taxonomy_over_the_api(api, manager, billing_area, rounding, double_posting, escalation):
    escalation.root_cause, escalation.status = rounding, "closed"
    escalation.resolution_summary, escalation.resolved_at = "Fixed.", timezone.now()
    escalation.save()
    client = api(manager)
    response = client.post(ROOT_CAUSES, {"name": "Tax tables", "parent": billing_area.pk}, format="json")
    assert response.status_code == 201 and response.json()["kind"] == "driver"
    response = client.patch(f"{ROOT_CAUSES}{double_posting.pk}/", {"name": "Posted twice"}, format="json")
    assert response.json()["name"] == "Posted twice"
    assert client.post(f"{ROOT_CAUSES}{double_posting.pk}/retire/").json()["is_active"] is False
    assert client.post(f"{ROOT_CAUSES}{double_posting.pk}/retire/").status_code == 400
    assert client.post(f"{ROOT_CAUSES}{double_posting.pk}/restore/").json()["is_active"] is True
    response = client.post(f"{ROOT_CAUSES}{rounding.pk}/merge/", {"into": double_posting.pk}, format="json")
    assert response.status_code == 200 and response.json() == {"moved": 1, "into": double_posting.pk}
    escalation.refresh_from_db()
    assert escalation.root_cause == double_posting
    assert escalation.events.filter(kind=EscalationEvent.Kind.ROOT_CAUSE).count() == 1
    assert RootCause.objects.get(pk=rounding.pk).merged_into == double_posting
    response = client.post(f"{ROOT_CAUSES}{double_posting.pk}/merge/", {"into": double_posting.pk}, format="json")
    assert response.status_code == 400 and "into" in error(response)["fields"]


@pytest.mark.parametrize("who", ["specialist", "partner"])
def test_only_managers_change_the_taxonomy_over_the_api(request, api, who, rounding, double_posting):
    client = api(request.getfixturevalue(who))
    assert client.post(ROOT_CAUSES, {"name": "Mine"}, format="json").status_code == 403
    assert client.post(f"{ROOT_CAUSES}{rounding.pk}/retire/").status_code == 403
    assert (
        client.post(f"{ROOT_CAUSES}{rounding.pk}/merge/", {"into": double_posting.pk}, format="json").status_code == 403
    )
    assert client.patch(f"{ROOT_CAUSES}{rounding.pk}/", {"name": "x"}, format="json").status_code == 403


def test_the_schema_describes_the_remediation_endpoints(api, manager):
    schema = api(manager).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in (
        "/api/v1/remediations/",
        "/api/v1/remediations/{id}/transition/",
        "/api/v1/remediations/{id}/effectiveness/",
        "/api/v1/root-causes/{id}/merge/",
    ):
        assert path in schema["paths"]
