"""Proposing, editing and posting progress on remediations: who may, what is checked, what is left behind."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from escalations.errors import InvalidInput, PermissionDenied
from escalations.models import OutboxMessage
from remediations import services
from remediations.models import Remediation, RemediationUpdate
from tests import factories


@pytest.fixture
def propose(partner_team, partner, rounding, escalation):
    def make(acting_user, **overrides):
        arguments = {
            "title": "Round invoices once",
            "owner_team": partner_team,
            "description": "Invoices are rounded per line and again per total.",
            "proposed_fix": "Round once, on the total.",
            "owner": partner,
            "priority": "high",
            "due_date": timezone.localdate() + timedelta(days=30),
            "tracker_url": "https://tracker.example.com/BILL-7",
            "root_causes": [rounding],
            "escalations": [escalation],
        }
        return services.remediation_create(acting_user=acting_user, **{**arguments, **overrides})

    return make


# --- create -------------------------------------------------------------------------------------------------


def test_a_specialist_proposes_a_remediation_linked_to_its_evidence(
    propose, specialist, partner, partner_team, rounding, escalation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        remediation = propose(specialist)

    remediation.refresh_from_db()
    assert remediation.status == "proposed" and remediation.created_by == specialist
    assert remediation.owner == partner and remediation.priority == "high"
    assert list(remediation.root_causes.all()) == [rounding]
    assert list(remediation.escalations.all()) == [escalation]
    (update,) = remediation.updates.all()
    assert update.kind == "created" and update.actor == specialist
    assert update.data == {"root_causes": [rounding.pk], "escalations": [escalation.reference]}
    # The owner team hears about it: its members and its shared address, once each.
    assert sorted(OutboxMessage.objects.values_list("recipient", flat=True)) == sorted(
        [partner.email, partner_team.contact_email]
    )
    assert OutboxMessage.objects.filter(template="remediation_proposed").count() == 2


def test_a_partner_proposes_to_their_own_team_but_not_to_another(propose, partner, other_team):
    assert propose(partner).owner_team.slug == "billing-platform"
    with pytest.raises(PermissionDenied):
        propose(partner, owner_team=other_team, owner=None)


def test_a_requester_cannot_propose(propose, requester):
    with pytest.raises(PermissionDenied):
        propose(requester)
    assert not Remediation.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "  "}, "title"),
        ({"priority": "urgent"}, "priority"),
        ({"due_date": date(2020, 1, 1)}, "due_date"),
        ({"tracker_url": "ftp://tracker"}, "tracker_url"),
    ],
)
def test_invalid_details_are_refused_with_the_field_named(propose, specialist, overrides, field):
    with pytest.raises(InvalidInput) as refused:
        propose(specialist, **overrides)
    assert refused.value.field == field
    assert not Remediation.objects.exists()


def test_the_owner_must_be_on_the_owner_team(propose, specialist, other_partner):
    with pytest.raises(InvalidInput) as refused:
        propose(specialist, owner=other_partner)
    assert refused.value.field == "owner"
    assert "not an active member of Billing Platform" in refused.value.message


def test_only_active_drivers_can_be_linked(propose, specialist, rounding, billing_area):
    with pytest.raises(InvalidInput, match="is an area"):
        propose(specialist, root_causes=[billing_area])
    rounding.is_active = False
    rounding.save()
    with pytest.raises(InvalidInput, match="is retired"):
        propose(specialist, root_causes=[rounding])


# --- edit ---------------------------------------------------------------------------------------------------


def test_the_owner_team_edits_details_and_the_timeline_says_from_what_to_what(remediation, partner):
    services.remediation_edit(
        acting_user=partner,
        remediation=remediation,
        changes={"priority": "low", "due_date": date(2099, 5, 1), "title": "Idempotent renewal job"},
    )
    remediation.refresh_from_db()
    assert remediation.priority == "low" and remediation.due_date == date(2099, 5, 1)
    (update,) = remediation.updates.all()
    assert update.kind == "edited"
    assert "priority: Medium → Low" in update.body and "due date: none → May 1, 2099" in update.body
    assert update.data == {"priority": ["medium", "low"], "due_date": [None, "2099-05-01"]}


def test_an_edit_that_changes_nothing_writes_nothing(remediation, partner):
    services.remediation_edit(
        acting_user=partner, remediation=remediation, changes={"title": " Idempotent renewal job "}
    )
    assert not RemediationUpdate.objects.exists()


def test_a_specialist_edits_what_they_proposed_only_while_it_is_proposed(remediation, specialist, partner):
    services.remediation_edit(acting_user=specialist, remediation=remediation, changes={"title": "Renewals once"})
    services.remediation_transition(acting_user=partner, remediation=remediation, to_status="accepted")
    with pytest.raises(PermissionDenied):
        services.remediation_edit(acting_user=specialist, remediation=remediation, changes={"title": "Again"})
    assert Remediation.objects.get(pk=remediation.pk).title == "Renewals once"


def test_case_workers_relink_evidence_at_any_time(remediation_in, specialist, rounding, escalation):
    remediation = remediation_in("in_progress", created_by=None)
    services.remediation_edit(
        acting_user=specialist,
        remediation=remediation,
        changes={"root_causes": [rounding], "escalations": [escalation]},
    )
    (update,) = remediation.updates.all()
    assert update.kind == "linked"
    assert f"linked root cause {rounding.name}" in update.body and f"linked {escalation.reference}" in update.body
    assert update.data["escalations"] == {"added": [escalation.reference], "removed": []}


def test_a_partner_of_another_team_cannot_touch_it(remediation, other_partner):
    with pytest.raises(PermissionDenied):
        services.remediation_edit(acting_user=other_partner, remediation=remediation, changes={"title": "Mine now"})


def test_only_managers_move_it_to_another_team_and_the_owner_leaves_with_it(
    remediation_in, partner, manager, other_team
):
    remediation = remediation_in("accepted")
    with pytest.raises(PermissionDenied):
        services.remediation_edit(acting_user=partner, remediation=remediation, changes={"owner_team": other_team})

    services.remediation_edit(acting_user=manager, remediation=remediation, changes={"owner_team": other_team})

    remediation.refresh_from_db()
    assert remediation.owner_team == other_team and remediation.owner is None
    assert "owner team: Billing Platform → Identity & Access" in remediation.updates.get().body


def test_unknown_fields_are_refused(remediation, manager):
    with pytest.raises(InvalidInput):
        services.remediation_edit(acting_user=manager, remediation=remediation, changes={"status": "verified"})


# --- progress updates ---------------------------------------------------------------------------------------


def test_progress_updates_land_on_the_timeline(remediation, partner, specialist):
    services.remediation_update_add(acting_user=partner, remediation=remediation, body="Design reviewed.")
    services.remediation_update_add(acting_user=specialist, remediation=remediation, body="Two more cases this week.")
    assert [(u.kind, u.actor, u.body) for u in remediation.updates.all()] == [
        ("progress", partner, "Design reviewed."),
        ("progress", specialist, "Two more cases this week."),
    ]


def test_empty_updates_and_outsiders_are_refused(remediation, partner, other_partner, requester):
    with pytest.raises(InvalidInput):
        services.remediation_update_add(acting_user=partner, remediation=remediation, body="  ")
    for outsider in (other_partner, requester):
        with pytest.raises(PermissionDenied):
            services.remediation_update_add(acting_user=outsider, remediation=remediation, body="Hello")
    assert not RemediationUpdate.objects.exists()


def test_the_database_refuses_a_declined_one_without_reason_and_a_shipped_one_without_date(partner_team):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.RemediationFactory(owner_team=partner_team, status="declined", decline_reason="")
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.RemediationFactory(owner_team=partner_team, status="shipped", shipped_at=None)
