"""What specialists change on a case (owner, priority, product area, triage, many at once) and what that leaves."""

from datetime import UTC, datetime

import pytest
import time_machine

from escalations import services
from escalations.errors import InvalidInput, PermissionDenied, StaleVersion, TransitionNotAllowed
from escalations.models import Escalation, EscalationEvent, OutboxMessage
from escalations.services import BulkOutcome
from tests import factories

NOW = datetime(2026, 3, 10, 14, 30, tzinfo=UTC)
STALE = "was changed by someone else since you opened it. Reload it and try again."


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def colleague(db):
    return factories.SpecialistFactory(email="cleo.colleague@example.com", display_name="Cleo Colleague")


@pytest.fixture
def billing(db):
    return factories.CategoryFactory(name="Billing", slug="billing")


@pytest.fixture
def case_in(db, requester, account):
    """An escalation of `requester` put straight into `status`."""

    def make(status="new", **fields):
        if status != "new":
            fields.setdefault("triaged_at", NOW)
        return factories.EscalationFactory(requester=requester, account=account, status=status, **fields)

    return make


def _nothing_written(escalation, *, version=1):
    escalation.refresh_from_db()
    assert escalation.version == version
    assert escalation.events.count() == 0
    assert OutboxMessage.objects.count() == 0


# --- assign --------------------------------------------------------------------------------------------------------


def test_assigning_an_owner_records_it_and_emails_the_new_owner_once(
    specialist, colleague, escalation, frozen_now, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        services.escalation_assign(
            acting_user=specialist, escalation=escalation, assignee=colleague, expected_version=1
        )

    escalation.refresh_from_db()
    assert escalation.assignee == colleague
    assert escalation.version == 2
    assert escalation.updated_at == frozen_now
    event = escalation.events.get()
    assert event.kind == EscalationEvent.Kind.ASSIGNED
    assert event.visibility == EscalationEvent.Visibility.SHARED
    assert event.actor == specialist
    assert event.body == f"Sam Specialist assigned {escalation.reference} to Cleo Colleague."
    assert event.data == {"from": None, "to": colleague.email}
    message = OutboxMessage.objects.get()
    assert (message.recipient, message.template, message.escalation) == (colleague.email, "assigned", escalation)
    assert message.subject == f"[{escalation.reference}] Assigned to you: Invoices doubled"
    assert [m.to for m in mailoutbox] == [[colleague.email]]


def test_reassigning_says_from_whom_to_whom(
    manager, specialist, colleague, case_in, django_capture_on_commit_callbacks
):
    case = case_in("in_progress", assignee=specialist)

    with django_capture_on_commit_callbacks(execute=True):
        services.escalation_assign(acting_user=manager, escalation=case, assignee=colleague)

    event = case.events.get()
    assert event.body == f"Maya Manager reassigned {case.reference} from Sam Specialist to Cleo Colleague."
    assert event.data == {"from": specialist.email, "to": colleague.email}
    assert list(OutboxMessage.objects.values_list("recipient", flat=True)) == [colleague.email]


def test_removing_the_owner_is_recorded_and_emails_nobody(specialist, case_in, django_capture_on_commit_callbacks):
    case = case_in("in_progress", assignee=specialist)

    with django_capture_on_commit_callbacks(execute=True):
        services.escalation_assign(acting_user=specialist, escalation=case, assignee=None)

    case.refresh_from_db()
    assert case.assignee is None
    assert case.version == 2
    assert case.events.get().body == "Sam Specialist removed Sam Specialist as owner."
    assert OutboxMessage.objects.count() == 0


def test_taking_a_case_yourself_emails_nobody(specialist, escalation, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        services.escalation_assign(acting_user=specialist, escalation=escalation, assignee=specialist)

    escalation.refresh_from_db()
    assert escalation.assignee == specialist
    assert escalation.events.get().kind == EscalationEvent.Kind.ASSIGNED
    assert OutboxMessage.objects.count() == 0
    assert mailoutbox == []


def test_assigning_the_current_owner_again_writes_nothing(specialist, colleague, case_in):
    case = case_in("in_progress", assignee=colleague)

    services.escalation_assign(acting_user=specialist, escalation=case, assignee=colleague)

    _nothing_written(case)


@pytest.mark.parametrize(
    "make_assignee",
    [
        pytest.param(lambda: factories.RequesterFactory(display_name="Rex Requester"), id="requester"),
        pytest.param(lambda: factories.PartnerFactory(display_name="Rex Requester"), id="partner"),
        pytest.param(lambda: factories.SpecialistFactory(display_name="Rex Requester", is_active=False), id="inactive"),
    ],
)
def test_only_an_active_case_worker_can_own_a_case(specialist, escalation, make_assignee):
    with pytest.raises(InvalidInput) as refused:
        services.escalation_assign(acting_user=specialist, escalation=escalation, assignee=make_assignee())

    assert refused.value.message == "Rex Requester is not an active specialist or manager."
    assert refused.value.field == "assignee"
    _nothing_written(escalation)
    assert escalation.assignee is None


# --- priority and product area -------------------------------------------------------------------------------------


def test_priority_change_says_from_what_to_what_and_why(specialist, escalation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.escalation_set_priority(
            acting_user=specialist,
            escalation=escalation,
            priority="P1",
            reason="  Regulator involved ",
            expected_version=1,
        )

    escalation.refresh_from_db()
    assert escalation.priority == "P1"
    assert escalation.version == 2
    event = escalation.events.get()
    assert event.kind == EscalationEvent.Kind.PRIORITY_CHANGED
    assert event.visibility == EscalationEvent.Visibility.SHARED
    assert event.body == "Sam Specialist changed the priority from P3 to P1. Reason: Regulator involved"
    assert event.data == {"from": "P3", "to": "P1"}
    assert OutboxMessage.objects.count() == 0


def test_setting_the_same_priority_writes_nothing(specialist, escalation):
    services.escalation_set_priority(acting_user=specialist, escalation=escalation, priority="P3")

    _nothing_written(escalation)


@pytest.mark.parametrize("priority", ["P0", "p1", "", "urgent"])
def test_an_unknown_priority_is_refused_and_nothing_written(specialist, escalation, priority):
    with pytest.raises(InvalidInput) as refused:
        services.escalation_set_priority(acting_user=specialist, escalation=escalation, priority=priority)

    assert refused.value.message == "Priority must be one of P1, P2, P3, P4."
    assert refused.value.field == "priority"
    _nothing_written(escalation)
    assert escalation.priority == "P3"


def test_product_area_change_is_an_internal_event(specialist, escalation, billing):
    before = escalation.category

    services.escalation_set_category(acting_user=specialist, escalation=escalation, category=billing)

    escalation.refresh_from_db()
    assert escalation.category == billing
    assert escalation.version == 2
    event = escalation.events.get()
    assert event.kind == EscalationEvent.Kind.CATEGORY_CHANGED
    assert event.visibility == EscalationEvent.Visibility.INTERNAL
    assert event.body == f"Sam Specialist set the product area to Billing (was {before.name})."
    assert event.data == {"field": "category", "from": before.name, "to": "Billing"}


def test_setting_the_same_product_area_writes_nothing(specialist, escalation):
    services.escalation_set_category(acting_user=specialist, escalation=escalation, category=escalation.category)

    _nothing_written(escalation)


# --- triage --------------------------------------------------------------------------------------------------------


def test_triage_accepts_a_new_case_in_one_go_and_tells_owner_and_requester_once(
    specialist, colleague, escalation, billing, frozen_now, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.escalation_triage(
            acting_user=specialist, escalation=escalation, priority="P1", category=billing, assignee=colleague,
            expected_version=1,
        )  # fmt: skip

    escalation.refresh_from_db()
    assert (escalation.status, escalation.priority, escalation.category, escalation.assignee) == (
        "triaged", "P1", billing, colleague,
    )  # fmt: skip
    assert escalation.triaged_at == frozen_now
    assert escalation.version == 5  # one bump for each change: priority, area, owner, status
    assert [event.kind for event in escalation.events.all()] == [
        "priority_changed", "category_changed", "assigned", "status_changed",
    ]  # fmt: skip
    assert escalation.events.get(kind="status_changed").body == (
        f"Sam Specialist moved {escalation.reference} from New to Triaged."
    )
    assert sorted(OutboxMessage.objects.values_list("template", "recipient")) == [
        ("assigned", colleague.email),
        ("status_changed", escalation.requester.email),
    ]


def test_triage_without_an_owner_is_refused_and_nothing_written(specialist, escalation, billing):
    with pytest.raises(InvalidInput) as refused:
        services.escalation_triage(
            acting_user=specialist, escalation=escalation, priority="P1", category=billing, assignee=None
        )

    assert refused.value.message == "Choose who owns the escalation."
    assert refused.value.field == "assignee"
    _nothing_written(escalation)
    assert escalation.status == "new"


@pytest.mark.parametrize(
    ("status", "fields", "shown"),
    [
        ("triaged", {}, "triaged"),
        ("in_progress", {}, "in progress"),
        ("rejected", {"rejection_reason": "Not ours"}, "rejected"),
    ],
)
def test_triage_of_a_case_that_is_not_new_is_refused(specialist, case_in, billing, status, fields, shown):
    case = case_in(status, **fields)

    with pytest.raises(TransitionNotAllowed) as refused:
        services.escalation_triage(
            acting_user=specialist, escalation=case, priority="P1", category=billing, assignee=specialist
        )

    assert refused.value.message == f"{case.reference} is already {shown}; only a new escalation can be triaged."
    _nothing_written(case)
    assert (case.status, case.priority, case.assignee) == (status, "P3", None)


def test_triage_is_all_or_nothing_when_a_later_step_refuses(specialist, escalation, billing):
    inactive = factories.SpecialistFactory(is_active=False)

    with pytest.raises(InvalidInput):
        services.escalation_triage(
            acting_user=specialist, escalation=escalation, priority="P1", category=billing, assignee=inactive
        )

    _nothing_written(escalation)
    assert (escalation.status, escalation.priority, escalation.category_id) == ("new", "P3", escalation.category_id)
    assert escalation.category != billing


def test_triage_with_a_stale_version_is_refused(specialist, escalation, billing):
    Escalation.objects.filter(pk=escalation.pk).update(version=2)

    with pytest.raises(StaleVersion):
        services.escalation_triage(
            acting_user=specialist, escalation=escalation, priority="P1", category=billing, assignee=specialist,
            expected_version=1,
        )  # fmt: skip

    _nothing_written(escalation, version=2)


# --- two people, one case ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "first_value", "second_value", "field"),
    [
        ("assign", "specialist", "colleague", "assignee"),
        ("priority", "P1", "P4", "priority"),
    ],
)
def test_the_second_of_two_specialists_with_the_same_version_is_refused(
    request, specialist, colleague, escalation, change, first_value, second_value, field
):
    def act(acting_user, value, version):
        case = Escalation.objects.get(pk=escalation.pk)
        if change == "assign":
            services.escalation_assign(
                acting_user=acting_user, escalation=case, assignee=request.getfixturevalue(value),
                expected_version=version,
            )  # fmt: skip
        else:
            services.escalation_set_priority(
                acting_user=acting_user, escalation=case, priority=value, expected_version=version
            )

    opened_at_version = Escalation.objects.get(pk=escalation.pk).version  # both open the case now

    act(specialist, first_value, opened_at_version)
    with pytest.raises(StaleVersion) as refused:
        act(colleague, second_value, opened_at_version)

    assert refused.value.message == f"{escalation.reference} {STALE}"
    escalation.refresh_from_db()
    kept = escalation.assignee if field == "assignee" else escalation.priority
    assert kept == (specialist if field == "assignee" else first_value)
    assert escalation.version == opened_at_version + 1
    assert escalation.events.count() == 1
    assert escalation.events.get().actor == specialist


# --- many cases at once --------------------------------------------------------------------------------------------


def test_bulk_status_change_reports_each_case_and_changes_only_those_it_may(specialist, case_in):
    first, new, last = case_in("triaged"), case_in("new"), case_in("triaged")

    outcomes = services.escalations_bulk_update(
        acting_user=specialist, escalations=[first, new, last], action="status", value="in_progress"
    )

    assert outcomes == [
        BulkOutcome(first.reference, True, "done"),
        BulkOutcome(
            new.reference, False,
            "A new escalation cannot move to in progress; it can only become triaged, rejected or duplicate.",
        ),
        BulkOutcome(last.reference, True, "done"),
    ]  # fmt: skip
    for case, status, version, events in [
        (first, "in_progress", 2, 1),
        (new, "new", 1, 0),
        (last, "in_progress", 2, 1),
    ]:
        case.refresh_from_db()
        assert (case.status, case.version, case.events.count()) == (status, version, events)


def test_bulk_assign_emails_the_owner_once_per_case_and_skips_refused_ones(
    manager, colleague, case_in, django_capture_on_commit_callbacks
):
    cases = [case_in("new"), case_in("triaged")]

    with django_capture_on_commit_callbacks(execute=True):
        outcomes = services.escalations_bulk_update(
            acting_user=manager, escalations=cases, action="assign", value=colleague
        )

    assert [outcome.ok for outcome in outcomes] == [True, True]
    assert Escalation.objects.filter(assignee=colleague).count() == 2
    assert sorted(OutboxMessage.objects.values_list("recipient", "escalation")) == sorted(
        (colleague.email, case.pk) for case in cases
    )


def test_bulk_with_a_value_every_case_refuses_changes_nothing(specialist, requester, case_in):
    cases = [case_in("new"), case_in("triaged")]

    by_priority = services.escalations_bulk_update(
        acting_user=specialist, escalations=cases, action="priority", value="P0"
    )
    by_owner = services.escalations_bulk_update(
        acting_user=specialist, escalations=cases, action="assign", value=requester
    )

    assert {(outcome.ok, outcome.message) for outcome in by_priority} == {
        (False, "Priority must be one of P1, P2, P3, P4.")
    }
    assert {(outcome.ok, outcome.message) for outcome in by_owner} == {
        (False, "Rita Requester is not an active specialist or manager.")
    }
    assert EscalationEvent.objects.count() == 0
    assert set(Escalation.objects.values_list("version", "priority", "assignee")) == {(1, "P3", None)}


def test_bulk_refuses_an_unknown_action(specialist, escalation):
    with pytest.raises(InvalidInput) as refused:
        services.escalations_bulk_update(acting_user=specialist, escalations=[escalation], action="delete", value=None)

    assert refused.value.message == "Choose one of: assign, priority, status."
    _nothing_written(escalation)


# --- who may -------------------------------------------------------------------------------------------------------

CASE_WORKER_SERVICES = {
    "assign": lambda user, case, owner, area: services.escalation_assign(
        acting_user=user, escalation=case, assignee=owner
    ),
    "priority": lambda user, case, owner, area: services.escalation_set_priority(
        acting_user=user, escalation=case, priority="P1"
    ),
    "category": lambda user, case, owner, area: services.escalation_set_category(
        acting_user=user, escalation=case, category=area
    ),
    "triage": lambda user, case, owner, area: services.escalation_triage(
        acting_user=user, escalation=case, priority="P1", category=area, assignee=owner
    ),
    "bulk": lambda user, case, owner, area: services.escalations_bulk_update(
        acting_user=user, escalations=[case], action="priority", value="P1"
    ),
}


@pytest.mark.parametrize("role_fixture", ["requester", "partner"])
@pytest.mark.parametrize("service", CASE_WORKER_SERVICES.values(), ids=CASE_WORKER_SERVICES.keys())
def test_only_case_workers_may_change_a_case(request, specialist, escalation, billing, role_fixture, service):
    someone = request.getfixturevalue(role_fixture)

    with pytest.raises(PermissionDenied):
        service(someone, escalation, specialist, billing)

    _nothing_written(escalation)
    assert (escalation.status, escalation.priority, escalation.assignee) == ("new", "P3", None)
