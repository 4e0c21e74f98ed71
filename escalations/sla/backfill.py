"""Give escalations that were written directly (demo data, imports) the SLA clocks their history implies.

Replays each case's own timestamps through the engine: filed, first response, waiting on the customer, and
finished. Thresholds that passed before `now` are recorded as already announced (an `SLAAlert` without
recipients), so the first sweep after a backfill does not flood anyone with mail about the past.
"""

from datetime import datetime

from django.db import transaction

from escalations.lifecycle import Status
from escalations.models import Escalation
from escalations.sla import engine
from escalations.sla.models import SLAAlert, SLAClock


@transaction.atomic
def sla_backfill(*, escalations, now: datetime) -> int:
    """Build clocks for each of `escalations` that has none; returns how many cases got clocks."""
    backfilled = 0
    for case in escalations.select_related("account").filter(sla_clocks__isnull=True):
        engine.on_filed(case)
        if not case.sla_clocks.exists():
            continue
        status = case.lifecycle_status
        if case.first_response_at and case.first_response_at <= now:
            engine.on_customer_contact(case, case.first_response_at)
        if status == Status.WAITING_ON_USER:
            engine.on_status_change(case, Status.IN_PROGRESS, Status.WAITING_ON_USER, min(case.updated_at, now))
        elif status in engine.FINISHING_STATUSES:
            finished_at = case.resolved_at or case.closed_at or case.updated_at
            engine.on_status_change(case, Status.IN_PROGRESS, status, min(finished_at, now))
        _mark_past_thresholds(case, now)
        backfilled += 1
    return backfilled


def _mark_past_thresholds(case: Escalation, now: datetime) -> None:
    for clock in engine.open_clocks(case):
        ladder = clock.policy.ladder if clock.policy else [100]
        for threshold in ladder:
            moment = engine.moment_at_fraction(clock, threshold / 100)
            if moment is None and clock.used_minutes_before_pause >= clock.target_minutes * threshold / 100:
                moment = now  # passed before the pause began; when exactly is not in the history
            if moment is None or moment > now:
                break
            SLAAlert.objects.get_or_create(clock=clock, threshold=threshold, defaults={"fired_at": moment})
            if threshold >= 100:
                SLAClock.objects.filter(pk=clock.pk).update(breached_at=moment)
    engine.refresh(case, now)
