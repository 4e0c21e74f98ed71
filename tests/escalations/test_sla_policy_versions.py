"""Policies are versioned: an edit is a new version; open cases move to it only when an admin re-applies it."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from escalations import services
from escalations.models import EscalationEvent, SLAClock, SLAPolicy
from escalations.sla import engine
from tests import factories

MONDAY_9 = datetime(2026, 3, 2, 9, tzinfo=ZoneInfo("America/New_York"))


@pytest.fixture
def p1_case(time_machine, requester, account):
    time_machine.move_to(MONDAY_9, tick=False)
    return services.escalation_file(
        acting_user=requester, account=account, title="Checkout down", description="All cards fail", priority="P1"
    )


def _edit_p1(first_response_minutes: int) -> SLAPolicy:
    policy = SLAPolicy.objects.get(key="p1-critical", is_current=True)
    policy.first_response_minutes = first_response_minutes
    return engine.policy_save_new_version(policy=policy)


def test_saving_an_edit_creates_the_next_version_and_keeps_the_old_one(db):
    new = _edit_p1(30)

    versions = list(
        SLAPolicy.objects.filter(key="p1-critical")
        .order_by("version")
        .values_list("version", "is_current", "first_response_minutes")
    )
    assert versions == [(1, False, 60), (2, True, 30)]
    assert engine.policy_for(priority="P1", tier="enterprise") == new


def test_open_cases_keep_their_version_until_it_is_reapplied(p1_case, manager, time_machine):
    clock = p1_case.sla_clocks.get(kind=SLAClock.Kind.FIRST_RESPONSE)
    assert clock.due_at == MONDAY_9 + timedelta(minutes=60)

    new = _edit_p1(30)
    clock.refresh_from_db()
    assert (clock.policy.version, clock.due_at) == (1, MONDAY_9 + timedelta(minutes=60))

    time_machine.move_to(MONDAY_9 + timedelta(minutes=5), tick=False)
    moved = engine.policy_reapply(acting_user=manager, policy=new, now=MONDAY_9 + timedelta(minutes=5))

    clock.refresh_from_db()
    assert moved == 1
    assert (clock.policy, clock.target_minutes, clock.due_at) == (new, 30, MONDAY_9 + timedelta(minutes=30))
    event = p1_case.events.get(kind=EscalationEvent.Kind.SLA)
    assert "re-applied" in event.body and event.data["from_version"] == 1 and event.data["to_version"] == 2
    p1_case.refresh_from_db()
    assert p1_case.sla_due_at == MONDAY_9 + timedelta(minutes=30)


def test_reapplying_twice_moves_nothing_the_second_time(p1_case, manager):
    new = _edit_p1(45)

    assert engine.policy_reapply(acting_user=manager, policy=new, now=MONDAY_9) == 1
    assert engine.policy_reapply(acting_user=manager, policy=new, now=MONDAY_9) == 0
    assert p1_case.events.filter(kind=EscalationEvent.Kind.SLA).count() == 1


def test_new_cases_use_the_new_version(db, requester, account, time_machine):
    new = _edit_p1(20)
    time_machine.move_to(MONDAY_9, tick=False)

    case = services.escalation_file(
        acting_user=requester, account=account, title="Outage", description="Down", priority="P1"
    )

    assert case.sla_clocks.get(kind=SLAClock.Kind.FIRST_RESPONSE).policy == new


def test_the_admin_saves_an_edit_as_a_new_version(client, db):
    admin_user = factories.AdminFactory()
    client.force_login(admin_user)
    policy = SLAPolicy.objects.get(key="p2-high")
    page = client.get(f"/admin/escalations/slapolicy/{policy.pk}/change/")
    assert page.status_code == 200
    data = {
        "name": policy.name, "key": policy.key, "priority": policy.priority, "account_tier": "",
        "calendar": policy.calendar_id, "first_response_minutes": 120,
        "next_update_minutes": policy.next_update_minutes, "resolution_minutes": policy.resolution_minutes,
        "warning_thresholds": "[50, 75]",
    }  # fmt: skip

    response = client.post(f"/admin/escalations/slapolicy/{policy.pk}/change/", data)

    assert response.status_code == 302
    assert list(
        SLAPolicy.objects.filter(key="p2-high").order_by("version").values_list("version", "first_response_minutes")
    ) == [(1, 240), (2, 120)]
