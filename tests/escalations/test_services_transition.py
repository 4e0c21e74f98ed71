"""`escalation_transition`, edge by edge, and the auto-close sweep built on it."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from escalations import services, tasks
from escalations.errors import InvalidInput, PermissionDenied, StaleVersion, TransitionNotAllowed
from escalations.lifecycle import ALLOWED_TRANSITIONS, Status, refusal_message
from escalations.models import Escalation, EscalationEvent, EscalationWatcher, OutboxMessage
from escalations.services import escalation_auto_close_due, escalation_transition
from tests import factories

NOW = datetime(2026, 3, 10, 14, 30, tzinfo=UTC)
FILED_AT = NOW - timedelta(days=5)
TRIAGED_AT = NOW - timedelta(days=4)
RESOLVED_AT = NOW - timedelta(days=2)
CLOSED_AT = NOW - timedelta(days=1)

ALL_PAIRS = list(itertools.product(Status, Status))
ALLOWED_PAIRS = [pair for pair in ALL_PAIRS if pair in ALLOWED_TRANSITIONS]
REFUSED_PAIRS = [pair for pair in ALL_PAIRS if pair not in ALLOWED_TRANSITIONS]
REOPEN_SOURCES = {Status.RESOLVED, Status.CLOSED}


def pair_id(pair):
    return f"{pair[0].value}->{pair[1].value}"


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def original(db, requester, account):
    """An earlier escalation about the same problem."""
    return factories.EscalationFactory(requester=requester, account=account, title="Invoices doubled (first report)")


@pytest.fixture
def make_escalation(db, requester, account, driver, original):
    """Put an escalation straight into `status`, with the fields the database demands for it."""

    def make(status: Status, **fields) -> Escalation:
        values = {"requester": requester, "account": account, "status": status.value, "filed_at": FILED_AT}
        if status not in (Status.NEW, Status.REJECTED):
            values["triaged_at"] = TRIAGED_AT
        if status in (Status.RESOLVED, Status.CLOSED):
            values.update(resolved_at=RESOLVED_AT, resolution_summary="Refunded the double charge.", root_cause=driver)
        if status == Status.CLOSED:
            values["closed_at"] = CLOSED_AT
        if status == Status.REJECTED:
            values["rejection_reason"] = "Not an escalation: a how-to question."
        if status == Status.DUPLICATE:
            values["duplicate_of"] = original
        values.update(fields)
        return factories.EscalationFactory(**values)

    return make


@pytest.fixture
def inputs_for(driver, original):
    """What a person has to give for a move to `target`."""

    def inputs(target: Status) -> dict:
        if target == Status.REJECTED:
            return {"reason": "Filed against the wrong account."}
        if target == Status.RESOLVED:
            return {"resolution_summary": "Credited the duplicate invoice.", "root_cause": driver}
        if target == Status.DUPLICATE:
            return {"duplicate_of": original}
        return {}

    return inputs


def status_events(escalation):
    return EscalationEvent.objects.filter(escalation=escalation, kind=EscalationEvent.Kind.STATUS_CHANGED)


# --- every edge ---------------------------------------------------------------------------------


@pytest.mark.parametrize("pair", ALLOWED_PAIRS, ids=pair_id)
def test_an_allowed_transition_moves_the_case_and_records_one_shared_event(
    pair, frozen_now, make_escalation, inputs_for, specialist
):
    source, target = pair
    case = make_escalation(source)
    before = Escalation.objects.get(pk=case.pk)

    returned = escalation_transition(
        acting_user=specialist,
        escalation=case,
        to_status=target.value,
        expected_version=case.version,
        **inputs_for(target),
    )

    case.refresh_from_db()
    assert case.status == target.value
    assert returned.status == target.value
    assert case.version == before.version + 1
    assert case.updated_at == frozen_now

    (event,) = EscalationEvent.objects.filter(escalation=case)
    assert event.kind == EscalationEvent.Kind.STATUS_CHANGED
    assert event.visibility == EscalationEvent.Visibility.SHARED
    assert event.actor == specialist
    assert event.created_at == frozen_now
    assert {key: event.data[key] for key in ("from", "to", "action")} == {
        "from": source.value,
        "to": target.value,
        "action": ALLOWED_TRANSITIONS[pair],
    }
    assert source.label in event.body and target.label in event.body

    is_reopen = target == Status.IN_PROGRESS and source in REOPEN_SOURCES
    assert case.triaged_at == (frozen_now if target == Status.TRIAGED else before.triaged_at)
    if target == Status.RESOLVED:
        assert case.resolved_at == frozen_now
    elif is_reopen:
        assert case.resolved_at is None
    else:
        assert case.resolved_at == before.resolved_at
    if target == Status.CLOSED:
        assert case.closed_at == frozen_now
    elif is_reopen:
        assert case.closed_at is None
    else:
        assert case.closed_at == before.closed_at
    assert case.reopen_count == before.reopen_count + (1 if is_reopen else 0)


@pytest.mark.parametrize("pair", REFUSED_PAIRS, ids=pair_id)
def test_a_transition_off_the_table_is_refused_and_changes_nothing(
    pair, frozen_now, make_escalation, inputs_for, specialist
):
    source, target = pair
    case = make_escalation(source)

    with pytest.raises(TransitionNotAllowed) as refused:
        escalation_transition(
            acting_user=specialist,
            escalation=case,
            to_status=target.value,
            expected_version=case.version,
            **inputs_for(target),
        )

    assert refused.value.message == refusal_message(source, target)
    assert "_" not in refused.value.message
    case.refresh_from_db()
    assert case.status == source.value
    assert case.version == 1
    assert not EscalationEvent.objects.filter(escalation=case).exists()
    assert not OutboxMessage.objects.exists()


def test_a_resolved_case_can_only_be_closed_or_reopened(make_escalation, specialist):
    case = make_escalation(Status.RESOLVED)

    with pytest.raises(TransitionNotAllowed, match="it can only become closed or in progress"):
        escalation_transition(acting_user=specialist, escalation=case, to_status="waiting_on_partner")


# --- what each move records ---------------------------------------------------------------------


def test_resolving_records_the_summary_and_the_root_cause(frozen_now, make_escalation, specialist, driver):
    case = make_escalation(Status.IN_PROGRESS)

    escalation_transition(
        acting_user=specialist,
        escalation=case,
        to_status="resolved",
        resolution_summary="  Credited the duplicate invoice.  ",
        root_cause=driver,
    )

    case.refresh_from_db()
    assert case.resolution_summary == "Credited the duplicate invoice."
    assert case.root_cause == driver
    assert status_events(case).get().data["root_cause"] == str(driver)


def test_rejecting_keeps_the_reason_for_the_requester(make_escalation, specialist):
    case = make_escalation(Status.NEW)

    escalation_transition(acting_user=specialist, escalation=case, to_status="rejected", reason="Wrong account.")

    case.refresh_from_db()
    assert case.rejection_reason == "Wrong account."
    event = status_events(case).get()
    assert event.data["reason"] == "Wrong account."
    assert "Reason: Wrong account." in event.body


def test_reopening_a_closed_case_clears_its_resolution_times_and_counts_the_reopen(
    frozen_now, make_escalation, specialist
):
    case = make_escalation(Status.CLOSED, reopen_count=2)

    escalation_transition(acting_user=specialist, escalation=case, to_status="in_progress")

    case.refresh_from_db()
    assert (case.status, case.resolved_at, case.closed_at, case.reopen_count) == ("in_progress", None, None, 3)
    assert status_events(case).get().data["action"] == "reopen"


def test_consecutive_transitions_each_bump_the_version_and_leave_one_event_each(make_escalation, specialist, driver):
    case = make_escalation(Status.NEW)

    for to_status, extra in [
        ("triaged", {}),
        ("in_progress", {}),
        ("resolved", {"resolution_summary": "Fixed.", "root_cause": driver}),
        ("closed", {}),
    ]:
        case = escalation_transition(
            acting_user=specialist, escalation=case, to_status=to_status, expected_version=case.version, **extra
        )

    case.refresh_from_db()
    assert case.version == 5
    assert [event.data["to"] for event in status_events(case)] == ["triaged", "in_progress", "resolved", "closed"]


# --- concurrency and permission -----------------------------------------------------------------


def test_a_stale_version_is_refused_and_nothing_is_written(make_escalation, specialist, manager):
    case = make_escalation(Status.NEW)
    opened_version = case.version
    escalation_transition(
        acting_user=manager, escalation=case, to_status="triaged", expected_version=opened_version
    )  # someone else got there first
    outbox_before = OutboxMessage.objects.count()

    with pytest.raises(StaleVersion) as refused:
        escalation_transition(
            acting_user=specialist,
            escalation=case,
            to_status="rejected",
            reason="Not ours.",
            expected_version=opened_version,
        )

    assert case.reference in refused.value.message
    case.refresh_from_db()
    assert (case.status, case.version, case.rejection_reason) == ("triaged", opened_version + 1, "")
    assert status_events(case).count() == 1
    assert OutboxMessage.objects.count() == outbox_before


def test_the_current_version_is_accepted(make_escalation, specialist):
    case = make_escalation(Status.NEW, version=7)

    escalation_transition(acting_user=specialist, escalation=case, to_status="triaged", expected_version=7)

    case.refresh_from_db()
    assert case.version == 8


@pytest.mark.parametrize("who", ["requester", "partner"])
def test_requesters_and_partners_cannot_change_the_status(who, request, make_escalation):
    acting_user = request.getfixturevalue(who)
    case = make_escalation(Status.NEW)

    with pytest.raises(PermissionDenied) as refused:
        escalation_transition(acting_user=acting_user, escalation=case, to_status="triaged")

    assert "specialists" in refused.value.message
    case.refresh_from_db()
    assert (case.status, case.version) == ("new", 1)
    assert not EscalationEvent.objects.filter(escalation=case).exists()
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize("who", ["specialist", "manager", "admin_user"])
def test_specialists_managers_and_admins_can_change_the_status(who, request, make_escalation):
    acting_user = request.getfixturevalue(who)
    case = make_escalation(Status.NEW)

    escalation_transition(acting_user=acting_user, escalation=case, to_status="triaged")

    case.refresh_from_db()
    assert case.status == "triaged"
    assert status_events(case).get().actor == acting_user


def test_the_system_can_change_the_status_without_a_user(make_escalation):
    case = make_escalation(Status.RESOLVED)

    escalation_transition(acting_user=None, escalation=case, to_status="closed")

    case.refresh_from_db()
    assert case.status == "closed"
    event = status_events(case).get()
    assert event.actor is None
    assert event.body.startswith("Escalation Desk moved")


# --- input the target needs ---------------------------------------------------------------------


def test_an_unknown_status_is_invalid_input(make_escalation, specialist):
    case = make_escalation(Status.NEW)

    with pytest.raises(InvalidInput) as refused:
        escalation_transition(acting_user=specialist, escalation=case, to_status="archived")

    assert refused.value.field == "status"
    assert "archived" in refused.value.message
    case.refresh_from_db()
    assert (case.status, case.version) == ("new", 1)


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        ({"resolution_summary": "", "with_root_cause": True}, "resolution_summary"),
        ({"resolution_summary": "   ", "with_root_cause": True}, "resolution_summary"),
        ({"resolution_summary": "Fixed it.", "with_root_cause": False}, "root_cause"),
    ],
    ids=["no-summary", "blank-summary", "no-root-cause"],
)
def test_resolving_without_summary_or_root_cause_is_refused(inputs, field, make_escalation, specialist, driver):
    case = make_escalation(Status.IN_PROGRESS)

    with pytest.raises(InvalidInput) as refused:
        escalation_transition(
            acting_user=specialist,
            escalation=case,
            to_status="resolved",
            resolution_summary=inputs["resolution_summary"],
            root_cause=driver if inputs["with_root_cause"] else None,
        )

    assert refused.value.field == field
    case.refresh_from_db()
    assert (case.status, case.version, case.resolved_at, case.root_cause) == ("in_progress", 1, None, None)
    assert not EscalationEvent.objects.filter(escalation=case).exists()


def test_resolving_with_an_area_instead_of_a_driver_is_refused(make_escalation, specialist, driver):
    case = make_escalation(Status.IN_PROGRESS)
    area = driver.parent

    with pytest.raises(InvalidInput) as refused:
        escalation_transition(
            acting_user=specialist,
            escalation=case,
            to_status="resolved",
            resolution_summary="Fixed it.",
            root_cause=area,
        )

    assert refused.value.field == "root_cause"
    assert area.name in refused.value.message
    case.refresh_from_db()
    assert (case.status, case.root_cause) == ("in_progress", None)


@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
def test_rejecting_without_a_reason_is_refused(reason, make_escalation, specialist):
    case = make_escalation(Status.NEW)

    with pytest.raises(InvalidInput) as refused:
        escalation_transition(acting_user=specialist, escalation=case, to_status="rejected", reason=reason)

    assert refused.value.field == "reason"
    case.refresh_from_db()
    assert (case.status, case.version) == ("new", 1)
    assert not EscalationEvent.objects.filter(escalation=case).exists()


def test_marking_duplicate_without_naming_the_original_is_refused(make_escalation, specialist):
    case = make_escalation(Status.TRIAGED)

    with pytest.raises(InvalidInput) as refused:
        escalation_transition(acting_user=specialist, escalation=case, to_status="duplicate")

    assert refused.value.field == "duplicate_of"
    case.refresh_from_db()
    assert (case.status, case.duplicate_of) == ("triaged", None)


def test_an_escalation_cannot_be_a_duplicate_of_itself(make_escalation, specialist):
    case = make_escalation(Status.TRIAGED)

    with pytest.raises(InvalidInput) as refused:
        escalation_transition(acting_user=specialist, escalation=case, to_status="duplicate", duplicate_of=case)

    assert refused.value.field == "duplicate_of"
    case.refresh_from_db()
    assert (case.status, case.version, case.duplicate_of) == ("triaged", 1, None)


def test_an_original_cannot_be_marked_duplicate_of_its_own_duplicate(make_escalation, specialist, original):
    copy = make_escalation(Status.DUPLICATE, duplicate_of=original)

    with pytest.raises(InvalidInput):
        escalation_transition(acting_user=specialist, escalation=original, to_status="duplicate", duplicate_of=copy)

    original.refresh_from_db()
    assert (original.status, original.duplicate_of) == ("new", None)


def test_a_duplicate_of_a_duplicate_points_at_the_original(make_escalation, specialist, original):
    first_copy = make_escalation(Status.DUPLICATE, duplicate_of=original)
    case = make_escalation(Status.IN_PROGRESS)

    escalation_transition(acting_user=specialist, escalation=case, to_status="duplicate", duplicate_of=first_copy)

    case.refresh_from_db()
    assert case.duplicate_of == original
    assert status_events(case).get().data["duplicate_of"] == original.reference


def test_a_duplicate_points_at_the_end_of_a_chain_of_duplicates(make_escalation, specialist):
    first, second, third = (make_escalation(Status.TRIAGED) for _ in range(3))
    escalation_transition(acting_user=specialist, escalation=first, to_status="duplicate", duplicate_of=second)
    escalation_transition(acting_user=specialist, escalation=second, to_status="duplicate", duplicate_of=third)
    case = make_escalation(Status.IN_PROGRESS)

    escalation_transition(acting_user=specialist, escalation=case, to_status="duplicate", duplicate_of=first)

    case.refresh_from_db()
    assert case.duplicate_of == third


def test_marking_duplicate_never_makes_two_cases_duplicates_of_each_other(make_escalation, specialist):
    first, second, third = (make_escalation(Status.TRIAGED) for _ in range(3))
    escalation_transition(acting_user=specialist, escalation=first, to_status="duplicate", duplicate_of=second)
    escalation_transition(acting_user=specialist, escalation=second, to_status="duplicate", duplicate_of=third)

    # `third` is where the chain ends: it cannot be a duplicate of something that is a duplicate of it.
    with pytest.raises(InvalidInput) as refused:
        escalation_transition(acting_user=specialist, escalation=third, to_status="duplicate", duplicate_of=first)

    assert refused.value.field == "duplicate_of"
    third.refresh_from_db()
    assert (third.status, third.duplicate_of) == ("triaged", None)


# --- who is told --------------------------------------------------------------------------------


@pytest.fixture
def watched_case(make_escalation, specialist, manager):
    """A triaged case the requester follows, watched by a manager, a colleague and the acting specialist."""
    case = make_escalation(Status.TRIAGED)
    colleague = factories.RequesterFactory(email="cora.colleague@example.com")
    for user in (manager, colleague, specialist):
        EscalationWatcher.objects.create(escalation=case, user=user)
    return case


def test_requester_and_watchers_get_one_email_each_and_the_acting_user_none(
    watched_case, specialist, manager, requester, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        escalation_transition(acting_user=specialist, escalation=watched_case, to_status="in_progress")

    expected = sorted([requester.email, manager.email, "cora.colleague@example.com"])
    queued = OutboxMessage.objects.filter(escalation=watched_case)
    assert sorted(queued.values_list("recipient", flat=True)) == expected
    assert {message.template for message in queued} == {"status_changed"}
    assert sorted(address for email in mail.outbox for address in email.to) == expected
    assert all(watched_case.reference in email.subject for email in mail.outbox)
    assert set(queued.values_list("status", flat=True)) == {OutboxMessage.Status.SENT}


def test_each_transition_notifies_again(watched_case, specialist, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        escalation_transition(acting_user=specialist, escalation=watched_case, to_status="in_progress")
        escalation_transition(acting_user=specialist, escalation=watched_case, to_status="waiting_on_user")

    assert OutboxMessage.objects.filter(escalation=watched_case).count() == 6
    assert len(mail.outbox) == 6


def test_a_requester_who_also_watches_is_told_once(
    make_escalation, requester, specialist, django_capture_on_commit_callbacks
):
    case = make_escalation(Status.NEW)
    EscalationWatcher.objects.create(escalation=case, user=requester)

    with django_capture_on_commit_callbacks(execute=True):
        escalation_transition(acting_user=specialist, escalation=case, to_status="triaged")

    assert list(OutboxMessage.objects.values_list("recipient", flat=True)) == [requester.email]
    assert [email.to for email in mail.outbox] == [[requester.email]]


def test_a_deactivated_watcher_is_not_told(make_escalation, requester, specialist):
    case = make_escalation(Status.NEW)
    EscalationWatcher.objects.create(escalation=case, user=factories.RequesterFactory(is_active=False))

    escalation_transition(acting_user=specialist, escalation=case, to_status="triaged")

    assert list(OutboxMessage.objects.values_list("recipient", flat=True)) == [requester.email]


def test_a_system_transition_tells_every_follower(watched_case, specialist, manager, requester, driver):
    escalation_transition(
        acting_user=manager,
        escalation=watched_case,
        to_status="resolved",
        resolution_summary="Fixed.",
        root_cause=driver,
    )
    resolved_mail = set(OutboxMessage.objects.values_list("pk", flat=True))

    escalation_transition(acting_user=None, escalation=watched_case, to_status="closed")

    closing_mail = OutboxMessage.objects.exclude(pk__in=resolved_mail)
    assert sorted(closing_mail.values_list("recipient", flat=True)) == sorted(
        [requester.email, manager.email, specialist.email, "cora.colleague@example.com"]
    )


def test_mail_is_sent_only_after_the_change_commits(watched_case, specialist, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        escalation_transition(acting_user=specialist, escalation=watched_case, to_status="in_progress")

    assert mail.outbox == []
    assert len(callbacks) == 3

    for callback in callbacks:
        callback()

    assert len(mail.outbox) == 3


# --- auto-close ---------------------------------------------------------------------------------


@pytest.fixture
def auto_close_days(settings):
    return settings.ESCALATION_AUTO_CLOSE_DAYS


@pytest.mark.parametrize(
    ("age_past_the_cutoff", "closes"),
    [(-timedelta(seconds=1), False), (timedelta(0), True), (timedelta(seconds=1), True)],
    ids=["just-before", "at", "just-after"],
)
def test_auto_close_closes_a_resolved_case_once_it_is_old_enough(
    age_past_the_cutoff, closes, make_escalation, auto_close_days
):
    case = make_escalation(Status.RESOLVED, resolved_at=NOW - timedelta(days=auto_close_days) - age_past_the_cutoff)

    with time_machine.travel(NOW, tick=False):
        closed = escalation_auto_close_due()

    case.refresh_from_db()
    assert closed == (1 if closes else 0)
    assert case.status == ("closed" if closes else "resolved")
    assert case.closed_at == (NOW if closes else None)


def test_auto_close_leaves_recent_and_reopened_cases_alone(make_escalation, auto_close_days, specialist):
    old_enough = NOW - timedelta(days=auto_close_days + 3)
    due = make_escalation(Status.RESOLVED, resolved_at=old_enough)
    recent = make_escalation(Status.RESOLVED, resolved_at=NOW - timedelta(days=1))
    reopened = make_escalation(Status.RESOLVED, resolved_at=old_enough)
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        escalation_transition(acting_user=specialist, escalation=reopened, to_status="in_progress")
    open_case = make_escalation(Status.IN_PROGRESS)
    long_closed = make_escalation(Status.CLOSED, resolved_at=old_enough, closed_at=old_enough)

    with time_machine.travel(NOW, tick=False):
        closed = escalation_auto_close_due()

    assert closed == 1
    cases = {"due": due, "recent": recent, "reopened": reopened, "open": open_case, "long closed": long_closed}
    assert {name: Escalation.objects.get(pk=case.pk).status for name, case in cases.items()} == {
        "due": "closed",
        "recent": "resolved",
        "reopened": "in_progress",
        "open": "in_progress",
        "long closed": "closed",
    }
    assert Escalation.objects.get(pk=long_closed.pk).closed_at == old_enough


def test_auto_close_writes_a_system_event_and_tells_the_requester(make_escalation, requester, auto_close_days):
    case = make_escalation(Status.RESOLVED, resolved_at=NOW - timedelta(days=auto_close_days + 1))

    with time_machine.travel(NOW, tick=False):
        escalation_auto_close_due()

    event = status_events(case).get()
    assert (event.actor, event.data["action"], event.created_at) == (None, "close", NOW)
    assert list(OutboxMessage.objects.values_list("recipient", flat=True)) == [requester.email]


def test_a_second_auto_close_run_closes_nothing_new(make_escalation, auto_close_days):
    cases = [
        make_escalation(Status.RESOLVED, resolved_at=NOW - timedelta(days=auto_close_days + extra)) for extra in (1, 2)
    ]

    with time_machine.travel(NOW, tick=False):
        first = escalation_auto_close_due()
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        second = escalation_auto_close_due()

    assert (first, second) == (2, 0)
    for case in cases:
        case.refresh_from_db()
        assert (case.status, case.version, case.closed_at) == ("closed", 2, NOW)
        assert status_events(case).count() == 1


def test_a_case_resolved_again_while_the_sweep_runs_keeps_its_new_waiting_period(
    make_escalation, specialist, driver, auto_close_days, monkeypatch
):
    case = make_escalation(Status.RESOLVED, resolved_at=NOW - timedelta(days=auto_close_days + 1))
    real_transition = services.escalation_transition
    raced = []

    def specialist_reopens_and_resolves_first(**kwargs):
        if not raced:  # between the sweep's look at the case and its attempt to close it
            raced.append(True)
            real_transition(acting_user=specialist, escalation=case, to_status="in_progress")
            real_transition(
                acting_user=specialist,
                escalation=case,
                to_status="resolved",
                resolution_summary="Fixed for real this time.",
                root_cause=driver,
            )
        return real_transition(**kwargs)

    monkeypatch.setattr(services.lifecycle, "escalation_transition", specialist_reopens_and_resolves_first)

    with time_machine.travel(NOW, tick=False):
        closed = escalation_auto_close_due()

    case.refresh_from_db()
    assert closed == 0
    assert (case.status, case.resolved_at, case.reopen_count) == ("resolved", NOW, 1)


def test_auto_close_follows_the_configured_number_of_days(make_escalation, settings):
    settings.ESCALATION_AUTO_CLOSE_DAYS = 2
    case = make_escalation(Status.RESOLVED, resolved_at=NOW - timedelta(days=2, minutes=1))

    with time_machine.travel(NOW, tick=False):
        closed = escalation_auto_close_due()

    case.refresh_from_db()
    assert (closed, case.status) == (1, "closed")


def test_the_auto_close_task_runs_the_sweep(make_escalation, auto_close_days):
    case = make_escalation(Status.RESOLVED, resolved_at=NOW - timedelta(days=auto_close_days + 1))

    with time_machine.travel(NOW, tick=False):
        result = tasks.escalations_auto_close.delay().get()

    case.refresh_from_db()
    assert (result, case.status) == (1, "closed")
