"""Every figure of every report against the hand-worked world in conftest.py (now = 10 Mar 2026, range 1–7 Mar)."""

from dataclasses import replace
from datetime import date

import pytest

from remediations.selectors import remediation_effectiveness
from reports import selectors
from reports.models import TierWeight
from tests.reports.conftest import at
from users.models import PartnerTeam

approx = pytest.approx


def rows_by(table, key="label"):
    return {row[key] if not isinstance(row[key], dict) else row[key]["text"]: row for row in table.rows}


# --- SLA attainment -----------------------------------------------------------------------------------------


def test_attainment_per_clock_counts_what_was_decided_in_the_range(world):
    report = selectors.sla_attainment(world.filters)

    by_clock = rows_by(report.table("by_clock"))
    # First response: A met; B stopped late; D breached (still running) on the last evening. C's and E's are outside.
    assert (by_clock["First response"]["met"], by_clock["First response"]["judged"]) == (1, 3)
    assert by_clock["First response"]["rate"] == 33.3
    # Resolution: A (paused time left out), B twice (the reopen starts a new clock), C resolved just inside.
    assert (by_clock["Resolution"]["met"], by_clock["Resolution"]["judged"], by_clock["Resolution"]["rate"]) == (
        4,
        4,
        100.0,
    )
    assert (by_clock["Handoff response"]["met"], by_clock["Handoff response"]["judged"]) == (1, 1)
    assert "Next update" not in by_clock  # cancelled at resolution: never judged
    assert dict(report.summary) == {"Clocks judged": "8", "Met": "75.0 %", "Breached": "2"}


def test_attainment_by_week_priority_specialist_and_team(world):
    report = selectors.sla_attainment(world.filters)

    weeks = rows_by(report.table("by_week"))
    assert list(weeks) == [date(2026, 2, 23), date(2026, 3, 2)]
    assert (weeks[date(2026, 2, 23)]["met"], weeks[date(2026, 2, 23)]["judged"]) == (1, 1)  # C, on Sunday 1 Mar
    assert (weeks[date(2026, 3, 2)]["met"], weeks[date(2026, 3, 2)]["judged"]) == (5, 7)
    assert weeks[date(2026, 3, 2)]["first_response"] == 33.3
    assert rows_by(report.table("by_priority"))["P1"]["all"] == 75.0
    specialists = rows_by(report.table("by_specialist"))
    assert (specialists["Sam Specialist"]["met"], specialists["Sam Specialist"]["judged"]) == (5, 6)
    assert (specialists["Unassigned"]["met"], specialists["Unassigned"]["judged"]) == (1, 2)  # C met, D breached
    teams = rows_by(report.table("by_team"))
    assert list(teams) == ["Billing Platform"]
    assert teams["Billing Platform"]["handoff"] == 100.0  # D's handoff breached after the range ended
    areas = rows_by(report.table("by_category"))
    assert (areas["Billing"]["judged"], areas["Mobile"]["judged"]) == (7, 1)


def test_breach_list_is_newest_first_with_links(world):
    breaches = [selectors.breach_row(clock) for clock in selectors.sla_breaches(world.filters)]

    assert [(row["reference"]["text"], row["clock"]) for row in breaches] == [
        (world.cases["D"].reference, "First response"),
        (world.cases["B"].reference, "First response"),
    ]
    assert breaches[0]["reference"]["url"] == f"/escalations/{world.cases['D'].reference}/"
    assert breaches[0]["breached"] == at(7, 21)
    assert (breaches[0]["state"], breaches[1]["state"]) == ("Still running", "Stopped late")


# --- Volume and backlog -------------------------------------------------------------------------------------


def test_filed_per_week_by_area_and_org(world):
    report = selectors.volume_backlog(world.filters)

    areas = report.table("filed_by_category")
    assert [(line["week"], line["total"]) for line in areas.rows] == [(date(2026, 2, 23), 0), (date(2026, 3, 2), 3)]
    assert (areas.rows[1]["Billing"], areas.rows[1]["Mobile"]) == (2, 1)  # A and B; D on the last day
    orgs = report.table("filed_by_org")
    assert (orgs.rows[1]["Sales"], orgs.rows[1]["Support"]) == (2, 1)
    assert dict(report.summary)["Filed in range"] == "3"


def test_backlog_buckets_age_the_cases_open_now(world):
    backlog = rows_by(selectors.volume_backlog(world.filters).table("backlog"), "bucket")

    assert {bucket: row["open"] for bucket, row in backlog.items()} == {
        "Under 1 day": 1,  # G, filed an hour ago
        "1–3 days": 2,  # D (52 h) and E (47 h)
        "3–7 days": 0,
        "7–30 days": 0,
        "Over 30 days": 1,  # F
    }


def test_response_and_resolution_times_are_business_time_percentiles(world):
    times = rows_by(selectors.volume_backlog(world.filters).table("response_times"), "measure")

    # First responses stopped in the range: A 30, B 120 minutes. Nearest rank: median = 1st, p90 = 2nd.
    assert times["Time to first response"] == {
        "measure": "Time to first response",
        "cases": 2,
        "median": 0.5,
        "p90": 2.0,
    }
    # Resolutions: B's second 60, C 180, B's first 240, A 246 (paused 1.9 h left out). Median = 2nd, p90 = 4th.
    assert times["Time to resolution"] == {"measure": "Time to resolution", "cases": 4, "median": 3.0, "p90": 4.1}


def test_reopen_rate_is_reopens_over_resolutions_in_the_range(world):
    row = selectors.volume_backlog(world.filters).table("reopen_rate").rows[0]

    assert row == {"resolutions": 4, "reopens": 1, "rate": 25.0}  # A, B twice, C; B reopened once


def test_time_in_each_status_for_cases_filed_in_the_range(world):
    rows = rows_by(selectors.volume_backlog(world.filters).table("time_in_status"), "status")

    assert list(rows) == ["New", "Triaged", "In progress", "Waiting on customer", "Resolved"]  # closed is left out
    expected = {
        "New": (3, 52.7, 17.6),  # A 0.2 h + B 0.5 h + D 52 h (still new)
        "Triaged": (2, 0.8, 0.4),  # A 0.3 + B 0.5
        "In progress": (2, 7.6, 3.8),  # A 1.6 + 2, B 3 + 1
        "Waiting on customer": (1, 1.9, 1.9),
        "Resolved": (2, 178.0, 89.0),  # A 24 h until closed; B 20 h, then 134 h until now
    }
    for status, (cases, total, average) in expected.items():
        assert rows[status]["cases"] == cases, status
        assert rows[status]["total_hours"] == approx(total, abs=0.05), status
        assert rows[status]["average_hours"] == approx(average, abs=0.05), status


# --- Top drivers --------------------------------------------------------------------------------------------


def test_top_drivers_by_count_and_pain_against_the_previous_period(world):
    report = selectors.top_drivers(world.filters)

    by_count = report.table("by_count").rows
    assert [row["driver"] for row in by_count] == ["Invoice rounding"]  # R2 (C) was filed in the previous period
    row = by_count[0]
    assert (row["count"], row["previous_count"], row["count_change"]) == (2, 1, 100.0)
    # Pain: A 246 min × strategic 4 = 16.4, B (240 + 60) min × starter 1 = 5.0; before: H 120 min × business 2.
    assert (row["pain"], row["previous_pain"], row["pain_change"]) == (21.4, 4.0, 435.0)
    assert row["accounts"] == "Globex (1), Tiny Shop (1)"  # the strategic account first
    assert report.table("by_pain").rows[0]["driver"] == "Invoice rounding"


def test_tier_weights_from_the_admin_change_the_pain(world):
    TierWeight.objects.create(tier="starter", weight="0.5")

    row = selectors.top_drivers(world.filters).table("by_count").rows[0]

    assert row["pain"] == 18.9  # 16.4 + 5.0 × 0.5


# --- Partner accountability ---------------------------------------------------------------------------------


def test_partner_accountability_per_team(world):
    report = selectors.partner_accountability(world.filters, teams=PartnerTeam.objects.all())

    teams = rows_by(report.table("teams"), "team")
    assert teams["Billing Platform"] == {
        "team": "Billing Platform",
        "asked": 2,  # A's and D's
        "responded": 1,
        "median": 2.0,  # A's answer after 120 business minutes
        "p90": 2.0,
        "late": 1,  # D's
        "on_time": 50.0,
        "overdue_now": 1,
        "remediations_open": 1,
        "remediations_overdue": 1,  # due 5 Mar, still in progress
        "remediations_shipped": 2,
        "shipped_on_time": 50.0,  # shipped 3 Mar (due 4th) on time, 6 Mar (due 5th) late
    }
    assert teams["Identity & Access"]["asked"] == 0
    assert teams["Identity & Access"]["median"] is None
    overdue = report.table("overdue_handoffs").rows
    assert [row["reference"]["text"] for row in overdue] == [world.cases["D"].reference]


# --- Remediation impact -------------------------------------------------------------------------------------


def test_remediation_impact_before_the_after_window_has_passed(world):
    report = selectors.remediation_impact(replace(world.filters, weeks=4))

    rows = rows_by(report.table("remediations"), "remediation")
    assert list(rows) == ["Ledger sync", "Idempotent renewals"]
    renewals = rows["Idempotent renewals"]
    # Shipped 3 Mar 10:00 on R1: H (25 Feb), A (2 Mar) and B (3 Mar 09:00) were filed in the four weeks before.
    assert (renewals["before"], renewals["before_rate"]) == (3, 0.75)
    assert renewals["after"] is None and renewals["after_rate"] is None
    assert renewals["state"] == "After window ends 31 Mar 2026"


def test_remediation_impact_agrees_with_the_remediation_page(world, time_machine):
    later = at(1, 0, month=5)
    time_machine.move_to(later, tick=False)
    from tests import factories

    factories.EscalationFactory(filed_at=at(20, 9), root_cause=world.drivers["R1"], account=world.accounts["business"])

    row = rows_by(selectors.remediation_impact(replace(world.filters, weeks=4)).table("remediations"), "remediation")[
        "Idempotent renewals"
    ]
    page = remediation_effectiveness(remediation=world.remediations["on_time"], weeks=4, now=later)

    assert (row["before"], row["after"]) == (page.before_count, page.after_count) == (3, 1)
    assert (row["before_rate"], row["after_rate"]) == (page.before_rate, page.after_rate) == (0.75, 0.25)
    assert row["change"] == approx(page.change_percent, abs=0.05) == -66.7


@pytest.mark.parametrize("weeks", [4, 8, 12])
def test_remediation_impact_change_is_the_pages_change_for_every_window(world, time_machine, weeks):
    """The change comes from the counts, not from rates rounded for display (8 weeks, 1 → 2 is +100 %, not +108 %)."""
    later = at(1, 0, month=7)
    time_machine.move_to(later, tick=False)
    from tests import factories

    factories.EscalationFactory(filed_at=at(20, 9), root_cause=world.drivers["R1"], account=world.accounts["business"])
    factories.EscalationFactory(filed_at=at(22, 9), root_cause=world.drivers["R1"], account=world.accounts["business"])

    row = rows_by(
        selectors.remediation_impact(replace(world.filters, weeks=weeks)).table("remediations"), "remediation"
    )["Idempotent renewals"]
    page = remediation_effectiveness(remediation=world.remediations["on_time"], weeks=weeks, now=later)

    assert (row["before"], row["after"]) == (page.before_count, page.after_count)
    assert row["change"] == approx(page.change_percent, abs=0.05)  # shown to one decimal


# --- Filters and empty periods ------------------------------------------------------------------------------


def test_an_empty_period_gives_empty_tables_not_errors(world):
    empty = replace(world.filters, start=date(2025, 1, 1), end=date(2025, 1, 7))

    attainment = selectors.sla_attainment(empty)
    assert attainment.table("by_clock").rows == []
    assert all(line["judged"] == 0 for line in attainment.table("by_week").rows)
    volume = selectors.volume_backlog(empty)
    assert all(line["total"] == 0 for line in volume.table("filed_by_category").rows)
    assert volume.table("response_times").rows[0] == {
        "measure": "Time to first response",
        "cases": 0,
        "median": None,
        "p90": None,
    }
    assert volume.table("reopen_rate").rows[0]["rate"] is None
    assert volume.table("time_in_status").rows == []
    assert selectors.top_drivers(empty).table("by_count").rows == []
    assert selectors.remediation_impact(empty).table("remediations").rows == []
    teams = selectors.partner_accountability(empty, teams=PartnerTeam.objects.all()).table("teams").rows
    assert {row["asked"] for row in teams} == {0}


def test_filters_narrow_every_figure(world):
    sam = replace(world.filters, specialist=world.specialist)
    by_clock = rows_by(selectors.sla_attainment(sam).table("by_clock"))
    assert (by_clock["First response"]["met"], by_clock["First response"]["judged"]) == (1, 2)  # A, B

    starter = replace(world.filters, tier="starter")
    assert selectors.top_drivers(starter).table("by_count").rows[0]["pain"] == 5.0
    assert selectors.volume_backlog(starter).table("reopen_rate").rows[0] == {
        "resolutions": 2,
        "reopens": 1,
        "rate": 50.0,
    }

    mobile = replace(world.filters, category=world.cases["D"].category)
    assert rows_by(selectors.volume_backlog(mobile).table("backlog"), "bucket")["Over 30 days"]["open"] == 1

    support = replace(world.filters, org="Support")
    assert [line["total"] for line in selectors.volume_backlog(support).table("filed_by_category").rows] == [0, 1]

    handed_to_billing = replace(world.filters, team=world.billing)
    assert selectors.volume_backlog(handed_to_billing).table("reopen_rate").rows[0]["resolutions"] == 1  # A only

    p2 = replace(world.filters, priority="P2")
    assert selectors.sla_attainment(p2).table("by_clock").rows == []
