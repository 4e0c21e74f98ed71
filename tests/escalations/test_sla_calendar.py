"""Business-calendar arithmetic for SLA clocks. Pure: no Django, no database.

Dates used below: 2026-03-29 and 2026-10-25 are the Sundays Europe/Berlin changes clocks (02:00 CET -> 03:00 CEST,
03:00 CEST -> 02:00 CET); 2026-03-08 and 2026-11-01 are America/New_York's.
"""

import copy
import itertools
import pickle
import time as system_clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalations.sla.calendar import (
    MAX_IDLE_DAYS,
    WorkingCalendar,
    add_business_minutes,
    add_business_time,
    business_minutes_between,
    business_time_between,
    is_working_time,
    next_working_moment,
    public_holidays,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
MICROSECOND = timedelta(microseconds=1)
WEEKDAYS = range(5)
WHOLE_DAY = ((time(0), time(0)),)

UTC_OFFICE = WorkingCalendar.office_hours("UTC")
BERLIN_OFFICE = WorkingCalendar.office_hours("Europe/Berlin", holidays=public_holidays("DE", range(2024, 2037)))
BERLIN_LUNCH_BREAK = WorkingCalendar(
    time_zone="Europe/Berlin",
    weekly_hours={day: ((time(9), time(12)), (time(13), time(17))) for day in WEEKDAYS},
    holidays=public_holidays("DE", range(2024, 2037)),
)
NEW_YORK_OFFICE = WorkingCalendar(
    time_zone="America/New_York",
    weekly_hours={**{day: ((time(8), time(18)),) for day in WEEKDAYS}, 5: ((time(10), time(14)),)},
    holidays=public_holidays("US", range(2024, 2037)),
)
BERLIN_TWENTY_FOUR_SEVEN = WorkingCalendar.twenty_four_seven("Europe/Berlin")
BERLIN_AROUND_THE_CLOCK_EXCEPT_HOLIDAYS = WorkingCalendar(
    time_zone="Europe/Berlin",
    weekly_hours=dict.fromkeys(range(7), WHOLE_DAY),
    holidays=public_holidays("DE", range(2024, 2037)),
)
# Spans that start, end or lie inside the changed hour, and a night shift running through midnight.
BERLIN_DST_EDGES = WorkingCalendar(
    time_zone="Europe/Berlin",
    weekly_hours={
        0: ((time(0), time(1)),),
        5: ((time(22), time(0)),),
        6: ((time(1), time(2, 15)), (time(2, 30), time(2, 45)), (time(3), time(4))),
    },
)

CALENDARS = [
    UTC_OFFICE,
    BERLIN_LUNCH_BREAK,
    NEW_YORK_OFFICE,
    BERLIN_TWENTY_FOUR_SEVEN,
    BERLIN_AROUND_THE_CLOCK_EXCEPT_HOLIDAYS,
    BERLIN_DST_EDGES,
]


# Wall-clock helpers return UTC instants: Python never counts an instant in a repeated hour as equal to one
# given in another zone, so comparing against Berlin-zoned values would fail on exactly the cases that matter.
def berlin(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=BERLIN, fold=fold).astimezone(UTC)


def new_york(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK).astimezone(UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def sunday_calendar(*spans: tuple[time, time]) -> WorkingCalendar:
    return WorkingCalendar(time_zone="Europe/Berlin", weekly_hours={6: spans})


# --- adding business time ---------------------------------------------------------------------------------------


def test_friday_afternoon_plus_an_hour_lands_on_monday_morning():
    assert add_business_minutes(UTC_OFFICE, utc(2026, 5, 8, 16, 30), 60) == utc(2026, 5, 11, 9, 30)


def test_work_that_runs_out_at_closing_time_is_due_at_closing_time_not_next_morning():
    due = add_business_minutes(UTC_OFFICE, utc(2026, 5, 5, 16), 60)

    assert due == utc(2026, 5, 5, 17)
    assert not is_working_time(UTC_OFFICE, due)
    assert add_business_minutes(UTC_OFFICE, utc(2026, 5, 5, 16), 61) == utc(2026, 5, 6, 9, 1)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        pytest.param(utc(2026, 5, 5, 7), utc(2026, 5, 5, 9, 30), id="before-opening"),
        pytest.param(utc(2026, 5, 5, 9), utc(2026, 5, 5, 9, 30), id="at-opening"),
        pytest.param(utc(2026, 5, 5, 17), utc(2026, 5, 6, 9, 30), id="at-closing"),
        pytest.param(utc(2026, 5, 5, 18), utc(2026, 5, 6, 9, 30), id="after-closing"),
        pytest.param(utc(2026, 5, 9, 12), utc(2026, 5, 11, 9, 30), id="saturday"),
        pytest.param(utc(2026, 5, 10, 23, 59), utc(2026, 5, 11, 9, 30), id="sunday-night"),
    ],
)
def test_counting_starts_at_the_next_opening_when_started_outside_working_hours(start, expected):
    assert add_business_minutes(UTC_OFFICE, start, 30) == expected


def test_lunch_break_is_not_counted():
    start = berlin(2026, 5, 5, 11, 30)

    assert add_business_minutes(BERLIN_LUNCH_BREAK, start, 60) == berlin(2026, 5, 5, 13, 30)
    assert add_business_minutes(BERLIN_LUNCH_BREAK, start, 30) == berlin(2026, 5, 5, 12)
    assert business_minutes_between(BERLIN_LUNCH_BREAK, berlin(2026, 5, 5, 8), berlin(2026, 5, 5, 18)) == 7 * 60


def test_holidays_are_skipped():
    # Christmas Day (Friday) and Boxing Day (Saturday) 2026 are public holidays in Germany.
    due = add_business_minutes(BERLIN_OFFICE, berlin(2026, 12, 24, 16, 30), 60)

    assert due == berlin(2026, 12, 28, 9, 30)


def test_adding_zero_returns_the_start_in_working_hours_and_the_next_opening_outside_them():
    assert add_business_minutes(UTC_OFFICE, utc(2026, 5, 5, 10, 15), 0) == utc(2026, 5, 5, 10, 15)
    assert add_business_minutes(UTC_OFFICE, utc(2026, 5, 5, 17), 0) == utc(2026, 5, 6, 9)
    assert next_working_moment(UTC_OFFICE, utc(2026, 5, 9, 12)) == utc(2026, 5, 11, 9)
    assert next_working_moment(UTC_OFFICE, utc(2026, 5, 5, 10, 15)) == utc(2026, 5, 5, 10, 15)


def test_ten_business_days_from_monday_morning_end_on_the_second_friday_evening():
    due = add_business_minutes(UTC_OFFICE, utc(2026, 5, 4, 9), 10 * 8 * 60)

    assert due == utc(2026, 5, 15, 17)


def test_six_hundred_business_hours_are_counted_day_by_day():
    start = berlin(2026, 1, 5, 9)

    due = add_business_minutes(BERLIN_LUNCH_BREAK, start, 600 * 60)

    assert business_minutes_between(BERLIN_LUNCH_BREAK, start, due) == 600 * 60
    assert due.date() > date(2026, 4, 1)


def test_fractional_minutes_are_kept_to_the_microsecond():
    due = add_business_minutes(UTC_OFFICE, utc(2026, 5, 5, 9), 1.5)

    assert due == utc(2026, 5, 5, 9, 1, 30)
    assert business_minutes_between(UTC_OFFICE, utc(2026, 5, 5, 9), due) == 1.5


def test_twenty_four_seven_counts_elapsed_time_where_office_hours_wait_for_morning():
    start = utc(2026, 5, 5, 12)

    assert add_business_minutes(WorkingCalendar.twenty_four_seven(), start, 600) == utc(2026, 5, 5, 22)
    assert add_business_minutes(UTC_OFFICE, start, 600) == utc(2026, 5, 6, 14)
    assert business_minutes_between(WorkingCalendar.twenty_four_seven(), utc(2026, 5, 9), utc(2026, 5, 10)) == 1440


@pytest.mark.parametrize("minutes", [-1, -0.001, float("nan"), float("inf")])
def test_amounts_that_are_negative_or_not_finite_are_refused(minutes):
    with pytest.raises(ValueError, match="non-negative"):
        add_business_minutes(UTC_OFFICE, utc(2026, 5, 5, 9), minutes)


def test_a_negative_duration_is_refused():
    with pytest.raises(ValueError, match="negative"):
        add_business_time(UTC_OFFICE, utc(2026, 5, 5, 9), timedelta(seconds=-1))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_minutes(UTC_OFFICE, datetime(2026, 5, 5, 9), 10)
    with pytest.raises(ValueError, match="timezone-aware"):
        business_minutes_between(UTC_OFFICE, utc(2026, 5, 5, 9), datetime(2026, 5, 5, 10))
    with pytest.raises(ValueError, match="timezone-aware"):
        is_working_time(WorkingCalendar.twenty_four_seven(), datetime(2026, 5, 5, 9))


# --- measuring business time ------------------------------------------------------------------------------------


def test_between_skips_a_holiday_weekend():
    # Good Friday 2026-04-03 and Easter Monday 2026-04-06 are German public holidays.
    minutes = business_minutes_between(BERLIN_OFFICE, berlin(2026, 4, 2, 9), berlin(2026, 4, 7, 17))

    assert minutes == 2 * 8 * 60


def test_between_counts_only_the_working_part_of_a_partly_working_range():
    assert business_minutes_between(UTC_OFFICE, utc(2026, 5, 8, 16), utc(2026, 5, 11, 10)) == 120


def test_between_is_zero_when_the_end_is_not_after_the_start():
    assert business_minutes_between(UTC_OFFICE, utc(2026, 5, 5, 12), utc(2026, 5, 5, 12)) == 0
    assert business_minutes_between(UTC_OFFICE, utc(2026, 5, 5, 12), utc(2026, 5, 5, 10)) == 0
    assert business_time_between(UTC_OFFICE, utc(2026, 5, 5, 12), utc(2026, 5, 5, 10)) == timedelta(0)


def test_is_working_time_includes_the_opening_and_excludes_the_closing():
    assert is_working_time(UTC_OFFICE, utc(2026, 5, 5, 9))
    assert is_working_time(UTC_OFFICE, utc(2026, 5, 5, 16, 59, 59, 999999))
    assert not is_working_time(UTC_OFFICE, utc(2026, 5, 5, 17))
    assert not is_working_time(UTC_OFFICE, utc(2026, 5, 5, 8, 59, 59, 999999))
    assert not is_working_time(BERLIN_OFFICE, berlin(2026, 12, 25, 10))


# --- time zones other than the server's --------------------------------------------------------------------------


@pytest.fixture
def server_time_zone(monkeypatch):
    def switch_to(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        system_clock.tzset()

    yield switch_to
    monkeypatch.undo()
    system_clock.tzset()


def test_berlin_opens_at_nine_local_time_whatever_the_season():
    assert next_working_moment(BERLIN_OFFICE, utc(2026, 1, 13, 5)) == utc(2026, 1, 13, 8)
    assert next_working_moment(BERLIN_OFFICE, utc(2026, 7, 14, 5)) == utc(2026, 7, 14, 7)


def test_new_york_friday_afternoon_plus_an_hour_lands_on_monday_morning_in_new_york():
    new_york_weekdays = WorkingCalendar.office_hours("America/New_York")

    due = add_business_minutes(new_york_weekdays, new_york(2026, 1, 9, 16, 30), 60)

    assert due == utc(2026, 1, 12, 14, 30)
    assert due == new_york(2026, 1, 12, 9, 30)


def test_results_are_utc_whatever_zone_the_start_is_given_in():
    start_in_tokyo = datetime(2026, 5, 5, 19, tzinfo=ZoneInfo("Asia/Tokyo"))

    due = add_business_minutes(BERLIN_OFFICE, start_in_tokyo, 90)

    assert due.tzinfo is UTC
    assert due == add_business_minutes(BERLIN_OFFICE, start_in_tokyo.astimezone(UTC), 90)
    assert due == berlin(2026, 5, 5, 13, 30)


@pytest.mark.parametrize("server_zone", ["UTC", "Pacific/Auckland", "America/Los_Angeles"])
def test_results_do_not_depend_on_the_server_time_zone(server_time_zone, server_zone):
    server_time_zone(server_zone)

    assert add_business_minutes(BERLIN_OFFICE, berlin(2026, 3, 27, 16, 30), 60) == utc(2026, 3, 30, 7, 30)
    assert add_business_minutes(NEW_YORK_OFFICE, new_york(2026, 3, 6, 17, 30), 60) == new_york(2026, 3, 7, 10, 30)
    assert is_working_time(BERLIN_OFFICE, berlin(2026, 3, 30, 9))


# --- daylight-saving changes ----------------------------------------------------------------------------------


def test_twenty_four_seven_in_berlin_adds_real_minutes_across_spring_forward():
    start = berlin(2026, 3, 29, 1, 30)

    due = add_business_minutes(BERLIN_TWENTY_FOUR_SEVEN, start, 60)

    assert due - start == timedelta(minutes=60)
    assert due.astimezone(BERLIN).time() == time(3, 30)


@pytest.mark.parametrize("calendar", [BERLIN_TWENTY_FOUR_SEVEN, BERLIN_AROUND_THE_CLOCK_EXCEPT_HOLIDAYS])
def test_around_the_clock_calendars_count_real_hours_on_days_the_clocks_change(calendar):
    spring_forward = business_minutes_between(calendar, berlin(2026, 3, 29), berlin(2026, 3, 30))
    fall_back = business_minutes_between(calendar, berlin(2026, 10, 25), berlin(2026, 10, 26))
    across_the_change = add_business_minutes(calendar, berlin(2026, 10, 25, 1, 30), 120)

    assert spring_forward == 23 * 60
    assert fall_back == 25 * 60
    assert across_the_change == berlin(2026, 10, 25, 2, 30, fold=1)


@pytest.mark.parametrize(
    ("calendar", "friday_afternoon", "monday_half_past_nine", "friday_opening_utc", "monday_opening_utc"),
    [
        pytest.param(
            BERLIN_OFFICE,
            berlin(2026, 3, 27, 16, 30),
            berlin(2026, 3, 30, 9, 30),
            utc(2026, 3, 27, 8),
            utc(2026, 3, 30, 7),
            id="berlin-spring-forward",
        ),
        pytest.param(
            BERLIN_OFFICE,
            berlin(2026, 10, 23, 16, 30),
            berlin(2026, 10, 26, 9, 30),
            utc(2026, 10, 23, 7),
            utc(2026, 10, 26, 8),
            id="berlin-fall-back",
        ),
        pytest.param(
            WorkingCalendar.office_hours("America/New_York"),
            new_york(2026, 3, 6, 16, 30),
            new_york(2026, 3, 9, 9, 30),
            utc(2026, 3, 6, 14),
            utc(2026, 3, 9, 13),
            id="new-york-spring-forward",
        ),
        pytest.param(
            WorkingCalendar.office_hours("America/New_York"),
            new_york(2026, 10, 30, 16, 30),
            new_york(2026, 11, 2, 9, 30),
            utc(2026, 10, 30, 13),
            utc(2026, 11, 2, 14),
            id="new-york-fall-back",
        ),
    ],
)
def test_office_hours_keep_opening_at_nine_local_on_both_sides_of_a_clock_change(
    calendar, friday_afternoon, monday_half_past_nine, friday_opening_utc, monday_opening_utc
):
    friday_opening = next_working_moment(calendar, friday_afternoon - timedelta(hours=10))
    monday_opening = next_working_moment(calendar, friday_afternoon + timedelta(hours=1))

    assert friday_opening == friday_opening_utc
    assert monday_opening == monday_opening_utc
    assert add_business_minutes(calendar, friday_afternoon, 60) == monday_half_past_nine
    assert business_minutes_between(calendar, friday_opening, monday_half_past_nine) == 8 * 60 + 30


def test_a_span_ending_inside_the_skipped_hour_ends_when_the_clocks_jump():
    calendar = sunday_calendar((time(1), time(2, 30)))

    assert business_minutes_between(calendar, berlin(2026, 3, 29), berlin(2026, 3, 30)) == 60
    assert add_business_minutes(calendar, berlin(2026, 3, 29, 1), 60) == berlin(2026, 3, 29, 3)


def test_a_span_starting_inside_the_skipped_hour_starts_when_the_clocks_jump():
    calendar = sunday_calendar((time(2, 30), time(4)))

    assert next_working_moment(calendar, berlin(2026, 3, 29)) == berlin(2026, 3, 29, 3)
    assert business_minutes_between(calendar, berlin(2026, 3, 29), berlin(2026, 3, 30)) == 60


def test_a_span_wholly_inside_the_skipped_hour_does_not_happen_that_day():
    calendar = sunday_calendar((time(2, 15), time(2, 45)))

    assert business_minutes_between(calendar, berlin(2026, 3, 29), berlin(2026, 3, 30)) == 0
    assert next_working_moment(calendar, berlin(2026, 3, 29)) == berlin(2026, 4, 5, 2, 15)


def test_a_span_covering_the_repeated_hour_lasts_an_hour_longer():
    calendar = sunday_calendar((time(1), time(4)))

    assert business_minutes_between(calendar, berlin(2026, 10, 25), berlin(2026, 10, 26)) == 4 * 60


def test_a_span_starting_inside_the_repeated_hour_starts_at_its_first_occurrence():
    calendar = sunday_calendar((time(2, 30), time(4)))

    assert next_working_moment(calendar, berlin(2026, 10, 25)) == berlin(2026, 10, 25, 2, 30, fold=0)
    assert is_working_time(calendar, berlin(2026, 10, 25, 2, 15, fold=1))
    assert business_minutes_between(calendar, berlin(2026, 10, 25), berlin(2026, 10, 26)) == 150


def test_a_span_ending_inside_the_repeated_hour_ends_at_its_first_occurrence():
    calendar = sunday_calendar((time(1), time(2, 30)))

    assert add_business_minutes(calendar, berlin(2026, 10, 25, 1), 90) == berlin(2026, 10, 25, 2, 30, fold=0)
    assert not is_working_time(calendar, berlin(2026, 10, 25, 2, 15, fold=1))


@pytest.mark.parametrize(
    ("calendar", "zone", "monday"),
    [
        pytest.param(BERLIN_LUNCH_BREAK, BERLIN, date(2026, 3, 23), id="berlin-spring-forward"),
        pytest.param(BERLIN_LUNCH_BREAK, BERLIN, date(2026, 10, 19), id="berlin-fall-back"),
        pytest.param(NEW_YORK_OFFICE, NEW_YORK, date(2026, 3, 2), id="new-york-spring-forward"),
        pytest.param(NEW_YORK_OFFICE, NEW_YORK, date(2026, 10, 26), id="new-york-fall-back"),
    ],
)
def test_working_time_matches_the_local_wall_clock_minute_by_minute_through_a_clock_change(calendar, zone, monday):
    start = datetime.combine(monday, time(), tzinfo=zone).astimezone(UTC)
    instants = [start + timedelta(minutes=5 * step) for step in range(9 * 24 * 12)]

    def works_by_the_wall_clock(instant: datetime) -> bool:
        local = instant.astimezone(zone)
        spans = calendar.weekly_hours.get(local.weekday(), ())
        return local.date() not in calendar.holidays and any(opens <= local.time() < closes for opens, closes in spans)

    expected = [works_by_the_wall_clock(instant) for instant in instants]

    assert [is_working_time(calendar, instant) for instant in instants] == expected
    assert business_minutes_between(calendar, instants[0], instants[-1] + timedelta(minutes=5)) == 5 * sum(expected)


# --- calendars that never open, and invalid calendars ------------------------------------------------------------


def test_a_calendar_without_working_hours_refuses_to_compute_a_deadline():
    closed = WorkingCalendar(time_zone="Europe/Berlin")

    assert not closed.has_working_time
    with pytest.raises(ValueError, match="never opens"):
        add_business_minutes(closed, utc(2026, 5, 5, 9), 60)
    with pytest.raises(ValueError, match="never opens"):
        next_working_moment(closed, utc(2026, 5, 5, 9))
    assert business_minutes_between(closed, utc(2026, 1, 1), utc(2027, 1, 1)) == 0
    assert not is_working_time(closed, utc(2026, 5, 5, 9))


def test_a_calendar_whose_every_working_day_is_a_holiday_gives_up_after_the_horizon():
    mondays = {date(2026, 1, 5) + timedelta(weeks=week) for week in range(MAX_IDLE_DAYS // 7 + 2)}
    only_holiday_mondays = WorkingCalendar.office_hours("UTC", weekdays=[0], holidays=mondays)

    with pytest.raises(ValueError, match="no working time"):
        add_business_minutes(only_holiday_mondays, utc(2026, 1, 5), 1)


@pytest.mark.parametrize(
    ("weekly_hours", "message"),
    [
        pytest.param({0: ((time(17), time(9)),)}, "start before it ends", id="reversed"),
        pytest.param({0: ((time(9), time(9)),)}, "start before it ends", id="empty"),
        pytest.param({0: ((time(9), time(13)), (time(12), time(17)))}, "overlap", id="overlapping"),
        pytest.param({7: ((time(9), time(17)),)}, "0 \\(Monday\\) to 6", id="no-such-weekday"),
        pytest.param({0: (time(9), time(17))}, "pairs of times", id="span-not-wrapped-in-a-tuple"),
        pytest.param({0: ((time(9, tzinfo=UTC), time(17)),)}, "naive times", id="aware-time"),
    ],
)
def test_invalid_working_hours_are_refused(weekly_hours, message):
    with pytest.raises(ValueError, match=message):
        WorkingCalendar(time_zone="UTC", weekly_hours=weekly_hours)


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(ValueError, match="Unknown time zone"):
        WorkingCalendar.office_hours("Europe/Atlantis")


def test_a_twenty_four_seven_calendar_takes_no_holidays():
    with pytest.raises(ValueError, match="24x7"):
        WorkingCalendar(time_zone="UTC", always_open=True, holidays=frozenset({date(2026, 12, 25)}))


def test_spans_are_sorted_touching_spans_merged_and_midnight_ends_the_day():
    calendar = WorkingCalendar(
        time_zone="UTC",
        weekly_hours={0: [(time(13), time(17)), (time(9), time(13))], 5: [(time(20), time(0))], 6: []},
    )

    assert dict(calendar.weekly_hours) == {0: ((time(9), time(17)),), 5: ((time(20), time(0)),)}
    assert business_minutes_between(calendar, utc(2026, 5, 9), utc(2026, 5, 11)) == 4 * 60
    assert add_business_minutes(calendar, utc(2026, 5, 9, 23), 60) == utc(2026, 5, 10)


def test_calendars_compare_hash_and_pickle_by_value():
    rebuilt = WorkingCalendar(
        time_zone="Europe/Berlin",
        weekly_hours={day: [(time(9), time(12)), (time(13), time(17))] for day in WEEKDAYS},
        holidays=set(BERLIN_LUNCH_BREAK.holidays),
    )

    assert rebuilt == BERLIN_LUNCH_BREAK
    assert hash(rebuilt) == hash(BERLIN_LUNCH_BREAK)
    assert pickle.loads(pickle.dumps(BERLIN_LUNCH_BREAK)) == BERLIN_LUNCH_BREAK
    assert copy.deepcopy(BERLIN_DST_EDGES) == BERLIN_DST_EDGES


# --- public holidays ------------------------------------------------------------------------------------------


def test_public_holidays_come_from_the_holidays_package():
    german_2026 = public_holidays("DE", [2026])

    assert date(2026, 12, 25) in german_2026
    assert date(2026, 10, 3) in german_2026
    assert date(2026, 1, 6) not in german_2026
    assert all(day.year == 2026 for day in german_2026)


def test_public_holidays_of_a_subdivision_include_its_own_days():
    assert date(2026, 1, 6) in public_holidays("DE", [2026], subdivision="BY")


def test_public_holidays_of_an_unknown_country_are_refused():
    with pytest.raises(ValueError, match="not available"):
        public_holidays("XX", [2026])


# --- properties -------------------------------------------------------------------------------------------------


def _clock_changes(zone: ZoneInfo, years: range) -> list[datetime]:
    midnights = [utc(years.start, 1, 1) + timedelta(days=day) for day in range(366 * len(years))]
    return [
        later for earlier, later in itertools.pairwise(midnights) if zone.utcoffset(earlier) != zone.utcoffset(later)
    ]


CLOCK_CHANGES = _clock_changes(BERLIN, range(2025, 2031)) + _clock_changes(NEW_YORK, range(2025, 2031))
CLOCK_CHANGE_SUNDAYS = sorted({change.date() - timedelta(days=1) for change in CLOCK_CHANGES})
OPENINGS_AND_CLOSINGS = [time(hour) for hour in (0, 1, 2, 3, 4, 8, 9, 10, 12, 13, 14, 17, 18, 22)] + [
    time(2, 15),
    time(2, 30),
    time(2, 45),
]


def _wall_clock_instant(day: date, wall: time, zone: ZoneInfo, fold: int, nudge: timedelta) -> datetime:
    return datetime.combine(day, wall, tzinfo=zone).replace(fold=fold).astimezone(UTC) + nudge


instants = st.one_of(
    st.datetimes(
        min_value=datetime(2025, 1, 1),
        max_value=datetime(2030, 12, 31),
        timezones=st.sampled_from([UTC, BERLIN, NEW_YORK]),
        allow_imaginary=False,
    ).map(lambda moment: moment.astimezone(UTC)),
    st.builds(
        lambda change, shift: change + shift,
        st.sampled_from(CLOCK_CHANGES),
        st.timedeltas(min_value=timedelta(days=-3), max_value=timedelta(days=3)),
    ),
    st.builds(
        _wall_clock_instant,
        st.one_of(
            st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31)), st.sampled_from(CLOCK_CHANGE_SUNDAYS)
        ),
        st.sampled_from(OPENINGS_AND_CLOSINGS),
        st.sampled_from([UTC, BERLIN, NEW_YORK]),
        st.integers(min_value=0, max_value=1),
        st.sampled_from([-MICROSECOND, timedelta(0), MICROSECOND]),
    ),
)
amounts = st.one_of(
    st.sampled_from([0, 15, 30, 45, 60, 75, 90, 180, 240, 420, 480, 600, 1440, 2400, 4800]).map(
        lambda minutes: timedelta(minutes=minutes)
    ),
    st.integers(min_value=0, max_value=20_000).map(lambda minutes: timedelta(minutes=minutes)),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(minutes=20_000)),
)
gaps = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30))
calendars = st.sampled_from(CALENDARS)

PROPERTY = settings(max_examples=200, deadline=None, database=None)


@PROPERTY
@given(calendar=calendars, start=instants, amount=amounts)
def test_measuring_what_was_added_gives_back_the_same_amount_exactly(calendar, start, amount):
    due = add_business_time(calendar, start, amount)

    assert business_time_between(calendar, start, due) == amount


@PROPERTY
@given(calendar=calendars, start=instants, minutes=st.floats(min_value=0, max_value=20_000))
def test_measuring_what_was_added_in_minutes_gives_back_the_same_minutes(calendar, start, minutes):
    due = add_business_minutes(calendar, start, minutes)

    assert business_minutes_between(calendar, start, due) == pytest.approx(minutes, abs=1e-6)


@PROPERTY
@given(calendar=calendars, start=instants, amount=amounts)
def test_a_due_time_is_in_working_hours_or_exactly_at_a_closing(calendar, start, amount):
    due = add_business_time(calendar, start, amount)

    assert due >= start
    assert due.tzinfo is UTC
    if amount:
        assert is_working_time(calendar, due - MICROSECOND)
        assert business_time_between(calendar, due - MICROSECOND, due) == MICROSECOND
    else:
        assert is_working_time(calendar, due)
    # Due times are often closings, the instants where "working or not" is easiest to get wrong.
    assert is_working_time(calendar, due) == (business_time_between(calendar, due, due + MICROSECOND) == MICROSECOND)
    assert is_working_time(calendar, next_working_moment(calendar, due))


@PROPERTY
@given(calendar=calendars, start=instants, first=amounts, second=amounts)
def test_a_larger_amount_is_never_due_earlier(calendar, start, first, second):
    smaller, larger = sorted([first, second])

    assert add_business_time(calendar, start, smaller) <= add_business_time(calendar, start, larger)


@PROPERTY
@given(calendar=calendars, start=instants, delay=gaps, amount=amounts)
def test_a_later_start_is_never_due_earlier(calendar, start, delay, amount):
    assert add_business_time(calendar, start, amount) <= add_business_time(calendar, start + delay, amount)


@PROPERTY
@given(calendar=calendars, start=instants, first_gap=gaps, second_gap=gaps)
def test_measuring_is_additive_over_adjacent_ranges(calendar, start, first_gap, second_gap):
    middle, end = start + first_gap, start + first_gap + second_gap

    whole = business_time_between(calendar, start, end)

    assert business_time_between(calendar, start, middle) + business_time_between(calendar, middle, end) == whole
    assert whole <= end - start


@PROPERTY
@given(calendar=calendars, at=instants)
def test_the_next_working_moment_is_the_first_working_instant_from_then_on(calendar, at):
    opening = next_working_moment(calendar, at)

    assert opening >= at
    assert is_working_time(calendar, opening)
    assert business_time_between(calendar, at, opening) == timedelta(0)
    assert (opening == at) == is_working_time(calendar, at)
    assert is_working_time(calendar, at) == (business_time_between(calendar, at, at + MICROSECOND) == MICROSECOND)
