"""How each clock of a case stands and why: the numbers the case page shows, in business and wall-clock time."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from escalations.sla import engine
from escalations.sla.models import SLAClock

SOON_FRACTION = 0.75


def duration_text(minutes: float) -> str:
    """Business time as '27 h 30 min' or '45 min'. Never in days: a business day is not 24 hours."""
    minutes = int(round(abs(minutes)))
    hours, mins = divmod(minutes, 60)
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def wall_text(minutes: float) -> str:
    """Wall-clock time as '2 d 3 h', '3 h 20 min' or '45 min'."""
    days, rest = divmod(int(round(abs(minutes))), 24 * 60)
    if days:
        hours = rest // 60
        return f"{days} d {hours} h" if hours else f"{days} d"
    return duration_text(rest)


@dataclass(frozen=True)
class ClockView:
    clock: SLAClock
    state: str  # running, soon, breached, paused, met, missed, cancelled
    label: str
    used_minutes: float
    left_minutes: float | None
    percent_used: int
    explanation: list[str]
    pauses: list


def _state(clock: SLAClock, used: float, now: datetime) -> str:
    if clock.stopped_at is not None:
        return {"met": "met", "breached": "missed", "cancelled": "cancelled"}[clock.outcome]
    if clock.breached_at is not None or used >= clock.target_minutes:
        return "breached"
    if clock.running_since is None:
        return "paused"
    return "soon" if used >= clock.target_minutes * SOON_FRACTION else "running"


def clock_view(clock: SLAClock, now: datetime) -> ClockView:
    used = clock.business_minutes_used if clock.stopped_at is not None else engine.used_minutes(clock, now)
    state = _state(clock, used, now)
    left = None if clock.stopped_at is not None else clock.target_minutes - used
    label = clock.get_kind_display()
    if clock.kind == SLAClock.Kind.HANDOFF and clock.handoff_id:
        label = f"{clock.handoff.partner_team} response"
    pauses = list(clock.pauses.all())
    ended = [pause for pause in pauses if pause.ended_at is not None]
    paused_minutes = sum(pause.business_minutes or 0 for pause in ended)
    calendar = clock.calendar
    hours = "around the clock" if calendar.always_open else f"working hours in {calendar.time_zone}"
    lines = [
        f"Policy: {clock.policy}" if clock.policy else f"Target: {clock.handoff.partner_team}'s response target",
        f"Calendar: {calendar.name}, {hours}",
        f"Started {_local(clock.started_at)}; target {duration_text(clock.target_minutes)} of business time",
    ]
    if ended:
        lines.append(
            f"Paused {len(ended)}× for {duration_text(paused_minutes)} of business time, which moved the due time"
        )
    if clock.due_at:
        wall = (clock.due_at - clock.started_at).total_seconds() / 60
        lines.append(f"Due {_local(clock.due_at)}: {wall_text(wall)} of wall-clock time after it started")
    if clock.stopped_at:
        lines.append(
            f"Stopped {_local(clock.stopped_at)} after {duration_text(clock.business_minutes_used or 0)} "
            f"of business time ({wall_text(clock.wall_minutes_used or 0)} wall clock): "
            f"{clock.get_outcome_display().lower()}"
        )
    return ClockView(
        clock=clock,
        state=state,
        label=label,
        used_minutes=used,
        left_minutes=left,
        percent_used=min(999, int(100 * used / clock.target_minutes)) if clock.target_minutes else 0,
        explanation=lines,
        pauses=pauses,
    )


def case_clock_views(escalation, now: datetime) -> list[ClockView]:
    """Every clock of the case, open ones first, each with its explanation (a fixed number of queries)."""
    clocks = (
        escalation.sla_clocks.select_related("policy", "calendar", "handoff__partner_team")
        .prefetch_related("pauses")
        .order_by("-stopped_at", "started_at", "pk")
    )
    views = [clock_view(clock, now) for clock in clocks]
    return sorted(views, key=lambda view: (view.clock.stopped_at is not None, view.clock.started_at))


def _local(moment) -> str:
    """A moment in the reader's time zone (the one activated for the request; UTC otherwise), naming the zone."""
    return f"{timezone.localtime(moment):%a %b %-d, %H:%M %Z}"
