"""The remediation lifecycle table, edge by edge, and the transition service that enforces it."""

import pytest

from escalations.errors import InvalidInput, PermissionDenied, TransitionNotAllowed
from escalations.models import OutboxMessage
from remediations import services
from remediations.lifecycle import ALLOWED_TRANSITIONS, RemediationStatus, allowed_targets, refusal_message
from remediations.models import Remediation, RemediationUpdate

S = RemediationStatus
EXPECTED_EDGES = {
    (S.PROPOSED, S.ACCEPTED),
    (S.PROPOSED, S.DECLINED),
    (S.ACCEPTED, S.IN_PROGRESS),
    (S.ACCEPTED, S.DECLINED),
    (S.IN_PROGRESS, S.SHIPPED),
    (S.IN_PROGRESS, S.DECLINED),
    (S.SHIPPED, S.VERIFIED),
    (S.SHIPPED, S.IN_PROGRESS),
}
ALL_PAIRS = [(a, b) for a in S for b in S]


def test_the_table_has_exactly_the_documented_edges():
    assert set(ALLOWED_TRANSITIONS) == EXPECTED_EDGES


def test_verified_and_declined_are_final():
    assert allowed_targets(S.VERIFIED) == []
    assert allowed_targets(S.DECLINED) == []


def test_a_refusal_names_the_moves_that_are_possible():
    assert refusal_message(S.PROPOSED, S.SHIPPED) == (
        "A proposed remediation cannot move to shipped; it can only become accepted or declined."
    )
    assert "finished" in refusal_message(S.VERIFIED, S.IN_PROGRESS)
    assert refusal_message(S.ACCEPTED, S.ACCEPTED) == "The remediation is already accepted."


@pytest.mark.parametrize(("from_status", "to_status"), sorted(EXPECTED_EDGES))
def test_every_allowed_edge_moves_and_leaves_one_timeline_entry(remediation_in, partner, from_status, to_status):
    remediation = remediation_in(from_status.value)
    reason = "Out of scope this year." if to_status == S.DECLINED else ""

    moved = services.remediation_transition(
        acting_user=partner, remediation=remediation, to_status=to_status.value, reason=reason
    )

    assert moved.status == to_status.value
    assert Remediation.objects.get(pk=remediation.pk).status == to_status.value
    (update,) = RemediationUpdate.objects.filter(remediation=remediation)
    assert update.kind == "status_changed" and update.actor == partner
    assert update.data["from"] == from_status.value and update.data["to"] == to_status.value


@pytest.mark.parametrize(("from_status", "to_status"), [pair for pair in ALL_PAIRS if pair not in EXPECTED_EDGES])
def test_every_other_move_is_refused_and_writes_nothing(remediation_in, partner, from_status, to_status):
    remediation = remediation_in(from_status.value)

    with pytest.raises(TransitionNotAllowed) as refused:
        services.remediation_transition(
            acting_user=partner, remediation=remediation, to_status=to_status.value, reason="because"
        )

    assert refused.value.message == refusal_message(from_status, to_status)
    assert Remediation.objects.get(pk=remediation.pk).status == from_status.value
    assert not RemediationUpdate.objects.exists()


def test_an_unknown_status_is_invalid_input(remediation, partner):
    with pytest.raises(InvalidInput):
        services.remediation_transition(acting_user=partner, remediation=remediation, to_status="done")


def test_declining_needs_a_reason_and_keeps_it(remediation, partner):
    with pytest.raises(InvalidInput) as refused:
        services.remediation_transition(acting_user=partner, remediation=remediation, to_status="declined", reason=" ")
    assert refused.value.field == "reason"
    assert Remediation.objects.get(pk=remediation.pk).status == "proposed"

    services.remediation_transition(
        acting_user=partner, remediation=remediation, to_status="declined", reason="The vendor fixes it upstream."
    )

    remediation.refresh_from_db()
    assert remediation.status == "declined"
    assert remediation.decline_reason == "The vendor fixes it upstream."
    assert "Reason: The vendor fixes it upstream." in remediation.updates.get().body


def test_shipping_stamps_shipped_at_verifying_stamps_verified_at(remediation_in, partner, time_machine):
    time_machine.move_to("2026-03-02 10:00:00+00:00", tick=False)
    remediation = remediation_in("in_progress")
    services.remediation_transition(acting_user=partner, remediation=remediation, to_status="shipped")
    remediation.refresh_from_db()
    assert remediation.shipped_at.isoformat() == "2026-03-02T10:00:00+00:00"

    time_machine.move_to("2026-04-01 09:00:00+00:00", tick=False)
    services.remediation_transition(acting_user=partner, remediation=remediation, to_status="verified")
    remediation.refresh_from_db()
    assert remediation.verified_at.isoformat() == "2026-04-01T09:00:00+00:00"
    assert remediation.shipped_at.isoformat() == "2026-03-02T10:00:00+00:00"


def test_reopening_a_shipped_fix_clears_when_it_shipped(remediation_in, partner):
    remediation = remediation_in("shipped")
    services.remediation_transition(
        acting_user=partner, remediation=remediation, to_status="in_progress", note="Duplicates are back."
    )
    remediation.refresh_from_db()
    assert remediation.status == "in_progress" and remediation.shipped_at is None
    assert "reopen" in remediation.updates.get().body


# --- who may move it ----------------------------------------------------------------------------------------


def test_the_owner_teams_members_and_managers_move_it(remediation_in, partner, manager, admin_user):
    for person in (partner, manager, admin_user):
        remediation = remediation_in("proposed")
        services.remediation_transition(acting_user=person, remediation=remediation, to_status="accepted")
        assert Remediation.objects.get(pk=remediation.pk).status == "accepted"


@pytest.mark.parametrize("who", ["specialist", "requester", "other_partner"])
def test_nobody_else_moves_it(request, remediation, who):
    person = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.remediation_transition(acting_user=person, remediation=remediation, to_status="accepted")
    assert Remediation.objects.get(pk=remediation.pk).status == "proposed"
    assert not RemediationUpdate.objects.exists()


def test_whoever_proposed_and_the_owner_hear_about_a_move_but_not_the_mover(
    remediation_in, partner, specialist, manager, django_capture_on_commit_callbacks, mailoutbox
):
    remediation = remediation_in("in_progress")
    with django_capture_on_commit_callbacks(execute=True):
        services.remediation_transition(acting_user=manager, remediation=remediation, to_status="shipped")
    assert sorted(OutboxMessage.objects.values_list("recipient", flat=True)) == sorted(
        [partner.email, specialist.email]
    )
    assert all(message.subject == "[Remediation] Now shipped: Idempotent renewal job" for message in mailoutbox)

    OutboxMessage.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.remediation_transition(acting_user=partner, remediation=remediation, to_status="verified")
    assert list(OutboxMessage.objects.values_list("recipient", flat=True)) == [specialist.email]
