"""The SLA clocks of a case: started, paused, resumed, stopped and re-targeted by the services that change it.

Every function here runs inside the caller's transaction. After any change the case's `next_sla_check_at`
(the earliest moment a warning or breach could fire), `sla_due_at` and `is_sla_breached` are recomputed, so
the sweep only ever looks at cases that are due.
"""

import math
import time as monotonic
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from escalations.lifecycle import Status
from escalations.models import Escalation, EscalationEvent
from escalations.sla import calendar as business
from escalations.sla.models import BusinessCalendar, SLAClock, SLAPause, SLAPolicy

CALENDAR_CACHE_SECONDS = 300
_calendar_cache: dict[tuple[int, int], tuple[float, business.WorkingCalendar]] = {}

CASE_CLOCKS = (SLAClock.Kind.FIRST_RESPONSE, SLAClock.Kind.NEXT_UPDATE, SLAClock.Kind.RESOLUTION)
PAUSED_WHILE_WAITING_ON_CUSTOMER = (SLAClock.Kind.NEXT_UPDATE, SLAClock.Kind.RESOLUTION)
FINISHING_STATUSES = (Status.RESOLVED, Status.CLOSED, Status.REJECTED, Status.DUPLICATE)


def working_calendar(calendar: BusinessCalendar, around: datetime) -> business.WorkingCalendar:
    """The pure calendar for arithmetic near `around` (holidays of the surrounding years), cached briefly."""
    key = (calendar.pk, around.year)
    cached = _calendar_cache.get(key)
    if cached and cached[0] > monotonic.monotonic():
        return cached[1]
    built = calendar.working_calendar(range(around.year - 1, around.year + 3))
    _calendar_cache[key] = (monotonic.monotonic() + CALENDAR_CACHE_SECONDS, built)
    return built


def calendar_cache_clear() -> None:
    _calendar_cache.clear()


def policy_for(*, priority: str, tier: str) -> SLAPolicy | None:
    """The current policy for this priority: one for the account's tier wins over one for any tier."""
    candidates = SLAPolicy.objects.filter(
        is_current=True, priority=priority, account_tier__in=[tier, ""]
    ).select_related("calendar")
    return min(candidates, key=lambda policy: policy.account_tier != tier, default=None)


def default_calendar() -> BusinessCalendar | None:
    return BusinessCalendar.objects.filter(name=settings.SLA_DEFAULT_CALENDAR).first() or (
        BusinessCalendar.objects.order_by("pk").first()
    )


def used_minutes(clock: SLAClock, now: datetime) -> float:
    """Business minutes the clock has consumed by `now` (paused time excluded)."""
    used = clock.used_minutes_before_pause
    if clock.running_since is not None and now > clock.running_since:
        used += business.business_minutes_between(working_calendar(clock.calendar, now), clock.running_since, now)
    return used


def moment_at_fraction(clock: SLAClock, fraction: float) -> datetime | None:
    """When a running clock reaches `fraction` of its target (a past moment if already reached); None if paused."""
    if clock.running_since is None or clock.stopped_at is not None:
        return None
    remaining = clock.target_minutes * fraction - clock.used_minutes_before_pause
    if remaining <= 0:
        return clock.running_since
    cal = working_calendar(clock.calendar, clock.running_since)
    return business.add_business_minutes(cal, clock.running_since, remaining)


def _start(*, escalation, kind, at, target_minutes, calendar, policy=None, handoff=None) -> SLAClock:
    clock = SLAClock(
        escalation=escalation,
        kind=kind,
        handoff=handoff,
        policy=policy,
        calendar=calendar,
        target_minutes=target_minutes,
        started_at=at,
        running_since=at,
    )
    clock.due_at = moment_at_fraction(clock, 1.0)
    clock.save()
    return clock


def _stop(clock: SLAClock, at: datetime, *, cancelled: bool = False) -> None:
    used = used_minutes(clock, at)
    late = clock.breached_at is not None or used > clock.target_minutes + 1e-9
    if late:
        clock.outcome = SLAClock.Outcome.BREACHED
    else:
        clock.outcome = SLAClock.Outcome.CANCELLED if cancelled else SLAClock.Outcome.MET
    clock.stopped_at = at
    clock.business_minutes_used = round(used, 3)
    clock.wall_minutes_used = round((at - clock.started_at).total_seconds() / 60, 3)
    if clock.running_since is None:
        _end_pauses(clock, at)
    clock.running_since = None
    clock.save()


def _pause(clock: SLAClock, at: datetime, reason: str) -> None:
    if clock.running_since is None:
        return
    clock.used_minutes_before_pause = used_minutes(clock, at)
    clock.running_since = None
    clock.due_at = None
    clock.save(update_fields=["used_minutes_before_pause", "running_since", "due_at"])
    SLAPause.objects.create(clock=clock, reason=reason, started_at=at)


def _resume(clock: SLAClock, at: datetime) -> None:
    if clock.running_since is not None or clock.stopped_at is not None:
        return
    clock.running_since = at
    clock.due_at = moment_at_fraction(clock, 1.0)
    clock.save(update_fields=["running_since", "due_at"])
    _end_pauses(clock, at)


def _end_pauses(clock: SLAClock, at: datetime) -> None:
    """Close the clock's open pauses at `at`, each with the business time it held the clock."""
    for pause in SLAPause.objects.filter(clock=clock, ended_at__isnull=True):
        pause.ended_at = at
        pause.business_minutes = round(
            business.business_minutes_between(working_calendar(clock.calendar, at), pause.started_at, at), 3
        )
        pause.save(update_fields=["ended_at", "business_minutes"])


def open_clocks(escalation):
    return escalation.sla_clocks.filter(stopped_at__isnull=True).select_related(
        "policy", "calendar", "handoff__partner_team"
    )


def refresh(escalation, now: datetime) -> None:
    """Recompute the case's SLA summary columns from its open clocks (one query to read, one to write)."""
    clocks = list(open_clocks(escalation).prefetch_related("alerts"))
    fired = {clock.pk: {alert.threshold for alert in clock.alerts.all()} for clock in clocks}
    summary_set(escalation, clocks, fired, now)
    Escalation.objects.filter(pk=escalation.pk).update(
        next_sla_check_at=escalation.next_sla_check_at,
        sla_due_at=escalation.sla_due_at,
        is_sla_breached=escalation.is_sla_breached,
    )


def summary_set(escalation, clocks, fired: dict[int, set[int]], now: datetime) -> None:
    """Set (not save) the case's SLA summary from its open `clocks` and the thresholds `fired` per clock pk:
    the next moment an alert can fire, the nearest due time, and whether a clock has breached."""
    next_check, due, breached = None, None, False
    for clock in clocks:
        ladder = clock.policy.ladder if clock.policy else [100]
        for threshold in ladder:
            if threshold in fired[clock.pk]:
                continue
            moment = moment_at_fraction(clock, threshold / 100)
            if moment is not None:
                next_check = moment if next_check is None else min(next_check, moment)
            break
        if clock.kind != SLAClock.Kind.HANDOFF and clock.due_at is not None:
            due = clock.due_at if due is None else min(due, clock.due_at)
        if clock.breached_at is not None or (clock.due_at is not None and clock.due_at <= now):
            breached = True
    escalation.next_sla_check_at, escalation.sla_due_at, escalation.is_sla_breached = next_check, due, breached


def on_filed(escalation) -> None:
    """Start first response and resolution from the filing time, under the policy for its priority and tier."""
    policy = policy_for(priority=escalation.priority, tier=escalation.account.tier)
    if policy is None:
        return
    for kind in (SLAClock.Kind.FIRST_RESPONSE, SLAClock.Kind.RESOLUTION):
        _start(
            escalation=escalation,
            kind=kind,
            at=escalation.filed_at,
            target_minutes=policy.target_minutes(kind),
            calendar=policy.calendar,
            policy=policy,
        )
    refresh(escalation, escalation.filed_at)


def _case_policy(escalation) -> SLAPolicy | None:
    """The policy the case's clocks run under (the newest clock's), if it has any."""
    clock = (
        escalation.sla_clocks.filter(policy__isnull=False)
        .select_related("policy__calendar")
        .order_by("-started_at", "-pk")
        .first()
    )
    return clock.policy if clock else None


def requester_updates_count(escalation) -> bool:
    """Whether the case's policy treats an update shared with the requester as a response to the customer."""
    policy = _case_policy(escalation)
    return bool(policy and policy.requester_update_counts)


def _case_calendar(escalation) -> BusinessCalendar | None:
    policy = _case_policy(escalation)
    return policy.calendar if policy else default_calendar()


def on_customer_contact(escalation, at: datetime) -> None:
    """A message reached the customer: first response met (or late), and the next-update clock starts again."""
    for clock in open_clocks(escalation).filter(kind__in=[SLAClock.Kind.FIRST_RESPONSE, SLAClock.Kind.NEXT_UPDATE]):
        _stop(clock, at)
    policy = _case_policy(escalation)
    if policy is not None and escalation.lifecycle_status not in FINISHING_STATUSES:
        clock = _start(
            escalation=escalation,
            kind=SLAClock.Kind.NEXT_UPDATE,
            at=at,
            target_minutes=policy.next_update_minutes,
            calendar=policy.calendar,
            policy=policy,
        )
        if escalation.lifecycle_status == Status.WAITING_ON_USER:
            _pause(clock, at, "waiting on customer")
    refresh(escalation, at)


def on_customer_reply(escalation, at: datetime) -> None:
    """The customer wrote: the next update is owed counting from their oldest message still unanswered.

    A next-update clock paused while waiting on the customer is replaced by one counting from `at` (the old one
    ends cancelled, or breached if it already was). A running one is left alone: it counts from an earlier
    unanswered message or an earlier update, so its due time is the earlier one. Before the first response
    there is no next-update clock; the first-response clock is what is owed.
    """
    if escalation.lifecycle_status in FINISHING_STATUSES:
        return
    clocks = list(open_clocks(escalation).filter(kind=SLAClock.Kind.NEXT_UPDATE))
    if not clocks or any(clock.running_since is not None for clock in clocks):
        return
    policy = _case_policy(escalation)
    for clock in clocks:
        _stop(clock, at, cancelled=True)
    if policy is not None:
        _start(
            escalation=escalation,
            kind=SLAClock.Kind.NEXT_UPDATE,
            at=at,
            target_minutes=policy.next_update_minutes,
            calendar=policy.calendar,
            policy=policy,
        )
    refresh(escalation, at)


def on_status_change(escalation, before: Status, after: Status, at: datetime) -> None:
    """Pause, resume, stop or restart the clocks for a lifecycle move."""
    clocks = list(open_clocks(escalation))
    if after == Status.WAITING_ON_USER:
        for clock in clocks:
            if clock.kind in PAUSED_WHILE_WAITING_ON_CUSTOMER:
                _pause(clock, at, "waiting on customer")
    elif after == Status.WAITING_ON_PARTNER:
        for clock in clocks:
            if clock.kind == SLAClock.Kind.RESOLUTION and clock.policy and clock.policy.pause_resolution_on_partner:
                _pause(clock, at, "waiting on partner")
    elif after in FINISHING_STATUSES:
        for clock in clocks:
            counts = after in (Status.RESOLVED, Status.CLOSED) and clock.kind == SLAClock.Kind.RESOLUTION
            _stop(clock, at, cancelled=not counts)
    elif after == Status.IN_PROGRESS and before in (Status.RESOLVED, Status.CLOSED):
        policy = policy_for(priority=escalation.priority, tier=escalation.account.tier)
        if policy is not None:
            _start(
                escalation=escalation,
                kind=SLAClock.Kind.RESOLUTION,
                at=at,
                target_minutes=policy.resolution_minutes,
                calendar=policy.calendar,
                policy=policy,
            )
    elif after == Status.IN_PROGRESS:
        for clock in clocks:
            _resume(clock, at)
    refresh(escalation, at)


def on_priority_change(escalation, at: datetime) -> None:
    """Re-target the open clocks under the policy for the new priority, counted from when each started."""
    policy = policy_for(priority=escalation.priority, tier=escalation.account.tier)
    if policy is None:
        return
    clocks = [clock for clock in open_clocks(escalation) if clock.kind in CASE_CLOCKS]
    if not clocks and not escalation.sla_clocks.exists():
        on_filed(escalation)
        refresh(escalation, at)  # on_filed judges the case as of filing; it is `at` now
        return
    for clock in clocks:
        clock.policy, clock.calendar = policy, policy.calendar
        clock.target_minutes = policy.target_minutes(clock.kind)
        clock.due_at = moment_at_fraction(clock, 1.0)
        clock.save(update_fields=["policy", "calendar", "target_minutes", "due_at"])
    refresh(escalation, at)


def on_handoff_requested(handoff, at: datetime) -> SLAClock | None:
    """Start the partner team's response clock in the case's business calendar, due when the handoff is due.

    The target is the team's response target, or the business time until an agreed `handoff.due_at`.
    """
    calendar = _case_calendar(handoff.escalation)
    if calendar is None:
        return None
    target = handoff.partner_team.handoff_response_target_minutes
    if handoff.due_at is not None:
        agreed = business.business_minutes_between(working_calendar(calendar, at), at, handoff.due_at)
        target = max(1, math.ceil(agreed))
    clock = _start(
        escalation=handoff.escalation,
        kind=SLAClock.Kind.HANDOFF,
        handoff=handoff,
        at=at,
        target_minutes=target,
        calendar=calendar,
    )
    refresh(handoff.escalation, at)
    return clock


def handoff_due(partner_team, escalation, at: datetime) -> datetime:
    """When the team's response target runs out if asked now, in the case's business calendar."""
    calendar = _case_calendar(escalation)
    if calendar is None:
        return at + timedelta(minutes=partner_team.handoff_response_target_minutes)
    cal = working_calendar(calendar, at)
    return business.add_business_minutes(cal, at, partner_team.handoff_response_target_minutes)


def on_handoff_responded(handoff, at: datetime) -> None:
    for clock in handoff.sla_clocks.filter(stopped_at__isnull=True).select_related("calendar"):
        _stop(clock, at)
    refresh(handoff.escalation, at)


def policy_save_new_version(*, policy: SLAPolicy) -> SLAPolicy:
    """Save edits to a policy as its next version; the version open cases started on stays as it was."""
    with transaction.atomic():
        if policy.pk is None:
            policy.save()
            return policy
        previous = SLAPolicy.objects.select_for_update().get(pk=policy.pk)
        latest = SLAPolicy.objects.filter(key=previous.key).aggregate(latest=Max("version"))["latest"]
        SLAPolicy.objects.filter(key=previous.key, is_current=True).update(is_current=False)
        policy.pk = None
        policy.version = latest + 1
        policy.is_current = True
        policy.save()
        return policy


def policy_reapply(*, acting_user, policy: SLAPolicy, now: datetime) -> int:
    """Move open clocks that run on an older version of `policy` to it; writes an event on each case moved."""
    moved = 0
    clocks = (
        SLAClock.objects.filter(stopped_at__isnull=True, policy__key=policy.key)
        .exclude(policy=policy)
        .select_related("escalation", "policy")
    )
    by_case: dict[int, list[SLAClock]] = {}
    for clock in clocks:
        by_case.setdefault(clock.escalation_id, []).append(clock)
    for case_clocks in by_case.values():
        with transaction.atomic():
            escalation = case_clocks[0].escalation
            before = case_clocks[0].policy
            for clock in case_clocks:
                clock.policy, clock.calendar = policy, policy.calendar
                clock.target_minutes = policy.target_minutes(clock.kind)
                clock.due_at = moment_at_fraction(clock, 1.0)
                clock.save(update_fields=["policy", "calendar", "target_minutes", "due_at"])
            EscalationEvent.objects.create(
                escalation=escalation,
                actor=acting_user,
                kind=EscalationEvent.Kind.SLA,
                visibility=EscalationEvent.Visibility.INTERNAL,
                body=f"{acting_user} re-applied {policy} (was v{before.version}); the open clocks were re-targeted.",
                data={"policy": policy.key, "from_version": before.version, "to_version": policy.version},
                created_at=now,
            )
            refresh(escalation, now)
            moved += 1
    return moved
