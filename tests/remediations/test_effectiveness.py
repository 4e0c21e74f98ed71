"""Effectiveness: the weekly rate of new escalations with a remediation's root causes, N weeks before shipping
against N weeks after, checked against a fixture whose numbers are worked out by hand below."""

from datetime import UTC, datetime, timedelta

import pytest

from remediations import conf, selectors
from tests import factories

SHIPPED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
WEEK = timedelta(weeks=1)


@pytest.fixture
def unrelated(db, billing_area):
    return factories.RootCauseDriverFactory(name="Tax tables", parent=billing_area)


@pytest.fixture
def shipped_fix(remediation_in, rounding, double_posting):
    remediation = remediation_in("shipped", shipped_at=SHIPPED)
    remediation.root_causes.set([rounding, double_posting])
    return remediation


@pytest.fixture
def filed(db, account, requester):
    def make(when: datetime, root_cause=None):
        return factories.EscalationFactory(account=account, requester=requester, filed_at=when, root_cause=root_cause,
                                           status="closed" if root_cause else "in_progress",
                                           resolved_at=when if root_cause else None,
                                           resolution_summary="Fixed." if root_cause else "")  # fmt: skip

    return make


@pytest.fixture
def history(filed, rounding, double_posting, unrelated):
    """With N = 2 the windows are [Feb 16 12:00, Mar 2 12:00) before and [Mar 2 12:00, Mar 16 12:00) after.

    week -2  [Feb 16 12:00, Feb 23 12:00): Feb 16 12:00 (the first instant counts), Feb 20, Feb 23 11:59  → 3
    week -1  [Feb 23 12:00, Mar 2 12:00):  Feb 23 12:00 (double posting), Mar 2 11:59                     → 2
    week +1  [Mar 2 12:00, Mar 9 12:00):   Mar 2 12:00 (the moment it shipped counts as after)           → 1
    week +2  [Mar 9 12:00, Mar 16 12:00):  nothing                                                        → 0
    Not counted: Feb 16 11:59 and Mar 16 12:00 (outside), an unrelated driver, an open case with no root cause.
    Before 5 in 2 weeks = 2.5 a week; after 1 in 2 weeks = 0.5 a week; change (0.5 - 2.5) / 2.5 = -80 %.
    """
    filed(datetime(2026, 2, 16, 12, 0, tzinfo=UTC), rounding)
    filed(datetime(2026, 2, 20, 9, 30, tzinfo=UTC), rounding)
    filed(datetime(2026, 2, 23, 11, 59, tzinfo=UTC), rounding)
    filed(datetime(2026, 2, 23, 12, 0, tzinfo=UTC), double_posting)
    filed(datetime(2026, 3, 2, 11, 59, tzinfo=UTC), rounding)
    filed(datetime(2026, 3, 2, 12, 0, tzinfo=UTC), double_posting)
    filed(datetime(2026, 2, 16, 11, 59, tzinfo=UTC), rounding)
    filed(datetime(2026, 3, 16, 12, 0, tzinfo=UTC), rounding)
    filed(datetime(2026, 3, 4, 10, 0, tzinfo=UTC), unrelated)
    filed(datetime(2026, 3, 5, 10, 0, tzinfo=UTC))


def test_the_numbers_match_the_hand_computed_fixture(shipped_fix, history):
    result = selectors.remediation_effectiveness(remediation=shipped_fix, weeks=2, now=SHIPPED + 3 * WEEK)

    assert result.has_data
    assert [(week.label, week.starts, week.count) for week in result.series] == [
        ("-2", SHIPPED - 2 * WEEK, 3),
        ("-1", SHIPPED - WEEK, 2),
        ("+1", SHIPPED, 1),
        ("+2", SHIPPED + WEEK, 0),
    ]
    assert (result.before_count, result.after_count) == (5, 1)
    assert (result.before_rate, result.after_rate) == (2.5, 0.5)
    assert result.change_percent == pytest.approx(-80.0)


def test_no_data_until_the_weeks_after_shipping_have_passed(shipped_fix, history):
    ready = SHIPPED + 2 * WEEK
    early = selectors.remediation_effectiveness(remediation=shipped_fix, weeks=2, now=ready - timedelta(seconds=1))
    assert not early.has_data and early.series == [] and early.ready_at == ready
    assert selectors.remediation_effectiveness(remediation=shipped_fix, weeks=2, now=ready).has_data


def test_the_default_compares_eight_weeks(shipped_fix, history, settings):
    assert conf.effectiveness_weeks() == 8
    result = selectors.remediation_effectiveness(remediation=shipped_fix, weeks=conf.effectiveness_weeks(),
                                                 now=SHIPPED + 8 * WEEK)  # fmt: skip
    assert len(result.series) == 16 and (result.before_count, result.after_count) == (6, 2)
    settings.REMEDIATION_EFFECTIVENESS_WEEKS = 4
    assert conf.effectiveness_weeks() == 4


def test_a_verified_fix_keeps_its_numbers(shipped_fix, history, partner):
    shipped_fix.status, shipped_fix.verified_at = "verified", SHIPPED + 3 * WEEK
    shipped_fix.save()
    result = selectors.remediation_effectiveness(remediation=shipped_fix, weeks=2, now=SHIPPED + 3 * WEEK)
    assert (result.before_count, result.after_count) == (5, 1)


def test_nothing_to_measure_before_shipping_or_without_root_causes(remediation_in, shipped_fix, history):
    in_progress = remediation_in("in_progress")
    assert not selectors.remediation_effectiveness(remediation=in_progress, weeks=2).has_data
    shipped_fix.root_causes.clear()
    result = selectors.remediation_effectiveness(remediation=shipped_fix, weeks=2, now=SHIPPED + 3 * WEEK)
    assert not result.has_data and result.root_cause_count == 0


def test_nothing_before_means_no_percentage(shipped_fix, filed, rounding):
    filed(SHIPPED + timedelta(days=1), rounding)
    result = selectors.remediation_effectiveness(remediation=shipped_fix, weeks=2, now=SHIPPED + 3 * WEEK)
    assert (result.before_count, result.after_count, result.change_percent) == (0, 1, None)


def test_a_before_window_reaching_back_past_the_first_record_is_flagged(shipped_fix, filed, rounding):
    filed(SHIPPED - timedelta(days=3), rounding)  # the first escalation on record
    result = selectors.remediation_effectiveness(remediation=shipped_fix, weeks=2, now=SHIPPED + 3 * WEEK)
    assert result.before_is_partial and result.days_before_records == 11
    filed(SHIPPED - 2 * WEEK + timedelta(hours=5))  # hours into the window: close enough
    assert not selectors.remediation_effectiveness(
        remediation=shipped_fix, weeks=2, now=SHIPPED + 3 * WEEK
    ).before_is_partial
    filed(SHIPPED - 3 * WEEK)
    assert not selectors.remediation_effectiveness(
        remediation=shipped_fix, weeks=2, now=SHIPPED + 3 * WEEK
    ).before_is_partial


def test_the_database_counts_in_a_fixed_number_of_queries(
    shipped_fix, history, filed, rounding, django_assert_num_queries
):
    for day in range(30):
        filed(SHIPPED - timedelta(days=day, hours=1), rounding)
    with django_assert_num_queries(3):  # the root causes, one aggregate, when records start
        result = selectors.remediation_effectiveness(remediation=shipped_fix, weeks=8, now=SHIPPED + 9 * WEEK)
    assert result.before_count == 6 + 30
