"""A small world whose every report figure is worked out by hand in the comments below.

Frozen "now": Tue 2026-03-10 00:00 UTC. The report range is Sun 1 – Sat 7 March 2026 (the weeks of Mon 23 Feb
and Mon 2 Mar), so the previous period of equal length is 22–28 February. Every case is P1 (24×7 calendar,
business time = wall time): first response 60 min, next update 240 min, resolution 1440 min. Clocks are run by
the SLA engine itself, so paused time and reopens are stored exactly as the product stores them.

- A: filed Mon 2 Mar 10:00 (Sales, area Billing, strategic Globex, owner Sam, driver R1). Responds 10:30; handoff
  to Billing Platform 11:00, answered 13:00; waits on the customer 12:06–14:00; resolved 16:00; closed 3 Mar 16:00.
  Clocks: first response met 30; handoff met 120; resolution met 246 (6 h less 1.9 h paused); next update cancelled.
- B: filed Tue 3 Mar 09:00 (Sales, Billing, starter Tiny Shop, owner Sam, R1). Responds 11:00 (late); resolved
  13:00; reopened 4 Mar 09:00; resolved 10:00. Clocks: first response breached 120; resolution met 240, then 60.
- C: filed Sat 28 Feb 22:00, before the range (enterprise Initech, R2). Responds 22:30; resolved Sun 1 Mar 01:00.
  Clocks: first response met 30 (outside the range); resolution met 180 (inside).
- D: filed Sat 7 Mar 20:00, the last day (Support, area Mobile, unassigned). First response breached 21:00 (the sweep
  stamped it); handoff to Billing Platform 21:00 due 8 Mar 05:00, never answered, breached 05:00 (after the range).
- E: filed Sun 8 Mar 01:00, just after the range; first response breached 02:00. Counts nowhere but the backlog.
- F: filed 1 Jan, in progress; G: filed 9 Mar 23:00, triaged. Backlog only, no clocks.
- H: filed Wed 25 Feb 10:00, the previous period (business Hooli, R1); resolved 12:00: resolution met 120.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest

from escalations.models import Escalation, EscalationEvent
from escalations.sla import engine
from escalations.sla.models import SLAClock
from remediations.models import Remediation
from reports.filters import ReportFilters
from tests import factories

NOW = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)
RANGE = {"start": "2026-03-01", "end": "2026-03-07"}


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass
class World:
    cases: dict = field(default_factory=dict)
    filters: ReportFilters | None = None
    drivers: dict = field(default_factory=dict)
    remediations: dict = field(default_factory=dict)
    billing: object = None
    identity: object = None
    specialist: object = None
    accounts: dict = field(default_factory=dict)


@pytest.fixture(autouse=True)
def fresh_sla_calendars():
    engine.calendar_cache_clear()
    yield
    engine.calendar_cache_clear()


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


def _events(case, steps):
    """The timeline the services would have written: filed, then each status change."""
    factories.EventFactory(escalation=case, kind=EscalationEvent.Kind.FILED, data={}, created_at=case.filed_at)
    previous = "new"
    for moment, status in steps:
        factories.EventFactory(
            escalation=case,
            kind=EscalationEvent.Kind.STATUS_CHANGED,
            data={"from": previous, "to": status},
            created_at=moment,
        )
        previous = status


def _case(*, filed_at, account, status="new", **fields) -> Escalation:
    fields.setdefault("priority", "P1")
    if status in ("resolved", "closed"):
        fields.setdefault("resolution_summary", "Fixed.")
    return factories.EscalationFactory(filed_at=filed_at, account=account, status=status, **fields)


def _status(case, before, after, moment):
    case.status = after
    engine.on_status_change(case, engine.Status(before), engine.Status(after), moment)


@pytest.fixture
def world(db, frozen, partner_team, specialist) -> World:
    w = World(billing=partner_team, specialist=specialist)
    w.identity = factories.PartnerTeamFactory(name="Identity & Access", slug="identity-access")
    area = factories.RootCauseAreaFactory(name="Billing logic", slug="billing-logic")
    w.drivers["R1"] = factories.RootCauseDriverFactory(name="Invoice rounding", slug="invoice-rounding", parent=area)
    w.drivers["R2"] = factories.RootCauseDriverFactory(name="Double posting", slug="double-posting", parent=area)
    x = factories.CategoryFactory(name="Billing", slug="billing")
    y = factories.CategoryFactory(name="Mobile", slug="mobile")
    w.accounts = {
        "strategic": factories.AccountFactory(name="Globex", tier="strategic"),
        "starter": factories.AccountFactory(name="Tiny Shop", tier="starter"),
        "enterprise": factories.AccountFactory(name="Initech", tier="enterprise"),
        "business": factories.AccountFactory(name="Hooli", tier="business"),
    }
    r1, r2 = w.drivers["R1"], w.drivers["R2"]

    a = _case(
        filed_at=at(2, 10), account=w.accounts["strategic"], category=x, requesting_org="Sales",
        assignee=specialist, status="closed", root_cause=r1, resolved_at=at(2, 16), closed_at=at(3, 16),
    )  # fmt: skip
    engine.on_filed(a)
    a.status = "in_progress"
    engine.on_customer_contact(a, at(2, 10, 30))
    handoff = factories.HandoffFactory(
        escalation=a, partner_team=partner_team, created_at=at(2, 11), status="answered",
        responded_at=at(2, 13), answered_at=at(2, 13),
    )  # fmt: skip
    engine.on_handoff_requested(handoff, at(2, 11))
    _status(a, "in_progress", "waiting_on_user", at(2, 12, 6))
    engine.on_handoff_responded(handoff, at(2, 13))
    _status(a, "waiting_on_user", "in_progress", at(2, 14))
    _status(a, "in_progress", "resolved", at(2, 16))
    a.status = "closed"
    _events(
        a,
        [
            (at(2, 10, 12), "triaged"),
            (at(2, 10, 30), "in_progress"),
            (at(2, 12, 6), "waiting_on_user"),
            (at(2, 14), "in_progress"),
            (at(2, 16), "resolved"),
            (at(3, 16), "closed"),
        ],
    )

    b = _case(
        filed_at=at(3, 9), account=w.accounts["starter"], category=x, requesting_org="Sales", assignee=specialist,
        status="resolved", root_cause=r1, resolved_at=at(4, 10), reopen_count=1,
    )  # fmt: skip
    engine.on_filed(b)
    b.status = "in_progress"
    engine.on_customer_contact(b, at(3, 11))
    _status(b, "in_progress", "resolved", at(3, 13))
    _status(b, "resolved", "in_progress", at(4, 9))
    _status(b, "in_progress", "resolved", at(4, 10))
    _events(
        b,
        [
            (at(3, 9, 30), "triaged"),
            (at(3, 10), "in_progress"),
            (at(3, 13), "resolved"),
            (at(4, 9), "in_progress"),
            (at(4, 10), "resolved"),
        ],
    )

    c = _case(
        filed_at=at(28, 22, month=2), account=w.accounts["enterprise"], category=x, requesting_org="Support",
        status="resolved", root_cause=r2, resolved_at=at(1, 1),
    )  # fmt: skip
    engine.on_filed(c)
    c.status = "in_progress"
    engine.on_customer_contact(c, at(28, 22, 30, month=2))
    _status(c, "in_progress", "resolved", at(1, 1))
    _events(c, [(at(28, 22, 10, month=2), "triaged"), (at(28, 22, 20, month=2), "in_progress"), (at(1, 1), "resolved")])

    d = _case(filed_at=at(7, 20), account=w.accounts["business"], category=y, requesting_org="Support")
    engine.on_filed(d)
    SLAClock.objects.filter(escalation=d, kind="first_response").update(breached_at=at(7, 21))
    overdue = factories.HandoffFactory(
        escalation=d, partner_team=partner_team, created_at=at(7, 21), due_at=at(8, 5), status="requested"
    )
    engine.on_handoff_requested(overdue, at(7, 21))
    SLAClock.objects.filter(handoff=overdue).update(breached_at=at(8, 5))
    _events(d, [])

    e = _case(filed_at=at(8, 1), account=w.accounts["business"], category=y, requesting_org="Support")
    engine.on_filed(e)
    SLAClock.objects.filter(escalation=e, kind="first_response").update(breached_at=at(8, 2))
    _events(e, [])

    f = _case(filed_at=at(1, 9, month=1), account=w.accounts["business"], category=y, status="in_progress")
    g = _case(filed_at=at(9, 23), account=w.accounts["business"], category=y, status="triaged")

    h = _case(
        filed_at=at(25, 10, month=2), account=w.accounts["business"], category=x, status="resolved", root_cause=r1,
        resolved_at=at(25, 12, month=2),
    )  # fmt: skip
    engine.on_filed(h)
    h.status = "in_progress"
    engine.on_customer_contact(h, at(25, 10, 20, month=2))
    _status(h, "in_progress", "resolved", at(25, 12, month=2))

    w.cases = {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f, "G": g, "H": h}
    w.remediations = {
        "late_open": factories.RemediationFactory(
            title="Rounding fix", owner_team=partner_team, status="in_progress", due_date=date(2026, 3, 5)
        ),
        "on_time": factories.RemediationFactory(
            title="Idempotent renewals",
            owner_team=partner_team,
            status="shipped",
            due_date=date(2026, 3, 4),
            shipped_at=at(3, 10),
        ),  # fmt: skip
        "late_ship": factories.RemediationFactory(
            title="Ledger sync",
            owner_team=partner_team,
            status="verified",
            due_date=date(2026, 3, 5),
            shipped_at=at(6, 10),
            verified_at=at(8, 10),
        ),  # fmt: skip
    }
    w.remediations["on_time"].root_causes.add(r1)
    w.filters = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 7))
    return w


@pytest.fixture
def more_cases(world):
    """Grow the data (twenty more cases with clocks, events and handoffs) for query-count checks."""

    def grow(count: int = 20):
        for index in range(count):
            case = _case(
                filed_at=at(2 + index % 5, 9), account=world.accounts["business"], requesting_org=f"Org {index}",
                root_cause=world.drivers["R1"], status="resolved", resolved_at=at(2 + index % 5, 12),
            )  # fmt: skip
            engine.on_filed(case)
            case.status = "in_progress"
            engine.on_customer_contact(case, at(2 + index % 5, 10))
            handoff = factories.HandoffFactory(
                escalation=case, partner_team=world.billing, created_at=at(2 + index % 5, 10, 30)
            )
            engine.on_handoff_requested(handoff, at(2 + index % 5, 10, 30))
            _status(case, "in_progress", "resolved", at(2 + index % 5, 12))
            _events(case, [(at(2 + index % 5, 9, 30), "triaged"), (at(2 + index % 5, 12), "resolved")])
            remediation = factories.RemediationFactory(
                owner_team=world.billing, status="shipped", shipped_at=at(2 + index % 5, 15), due_date=date(2026, 3, 6)
            )
            remediation.root_causes.add(world.drivers["R1"])

    return grow


__all__ = ["NOW", "RANGE", "Remediation", "World", "at"]
