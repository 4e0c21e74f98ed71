"""Business-calendar arithmetic for SLA clocks: pure Python, no Django.

A calendar says when work happens in its own time zone (weekly wall-clock spans, minus whole local days that
are holidays); every function here takes and returns aware instants and does its arithmetic in UTC, so the
server's zone never matters.

Semantics shared by every function:

* Each working span of a local day becomes a half-open interval ``[opens, closes)`` of instants. A wall-clock
  time becomes the earliest instant whose local wall time is that time or later. So a time skipped by a
  spring-forward change maps to the moment of the change (a span lying wholly inside the gap is empty that
  day), and a time repeated by a fall-back change maps to its first occurrence (a span covering the repeated
  hour lasts an hour longer). This mapping never runs backwards, so working intervals stay ordered and
  never overlap.
* ``is_working_time`` is true on ``[opens, closes)``: the opening instant is working time, the closing
  instant is not.
* ``add_business_time`` / ``add_business_minutes`` return the instant at which the requested amount of work
  is complete. For a positive amount that instant lies in ``(opens, closes]`` of some interval: work that
  completes exactly at closing completes "today at 17:00", not "tomorrow at 09:00". For zero it is
  ``next_working_moment(start)``. Work starting outside working time starts at the next opening.
* ``business_time_between`` / ``business_minutes_between`` measure working time in ``[start, end]`` and are
  zero when ``end <= start``.

Together these guarantee ``business_time_between(c, s, add_business_time(c, s, d)) == d`` exactly, that
adding is non-decreasing in both the start and the amount, and that measuring is additive over adjacent
ranges. Amounts are exact to the microsecond; minutes given as floats are rounded to the microsecond.
"""

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_tables

__all__ = [
    "MAX_IDLE_DAYS",
    "WorkingCalendar",
    "add_business_minutes",
    "add_business_time",
    "business_minutes_between",
    "business_time_between",
    "is_working_time",
    "next_working_moment",
    "public_holidays",
]

MAX_IDLE_DAYS = 3660
"""A search for working time gives up (ValueError) after this many consecutive local days without any."""

Span = tuple[time, time]

_ZERO = timedelta(0)
_MICROSECOND = timedelta(microseconds=1)
_SECOND = timedelta(seconds=1)
_DAY = timedelta(days=1)
_MINUTE = timedelta(minutes=1)

_LocalSpan = tuple[timedelta, timedelta]
_Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class WorkingCalendar:
    """When work happens, in one IANA time zone.

    ``weekly_hours`` maps a weekday (0 = Monday ... 6 = Sunday) to wall-clock spans ``(start, end)``; a weekday
    that is missing or has no spans is closed. An ``end`` of ``time(0)`` means the midnight that ends the day,
    so ``(time(0), time(0))`` is the whole day; spans never cross midnight (split them across two weekdays).
    Spans may be given in any order; touching spans are merged, overlapping ones are rejected. After
    construction ``weekly_hours`` is a read-only mapping holding only open weekdays, spans sorted.

    ``holidays`` are local dates that are closed all day (see ``public_holidays``); stored as a frozenset.

    ``always_open`` means plain elapsed time (24x7): no wall clock is consulted, so a DST change can never
    add or remove working time. It takes no weekly hours and no holidays; for "around the clock except on
    holidays" give every weekday the whole-day span instead.

    Raises ValueError for an unknown time zone or invalid spans.
    """

    time_zone: str
    weekly_hours: Mapping[int, Sequence[Span]] = field(default_factory=dict, compare=False)
    holidays: Set[date] = frozenset()
    always_open: bool = False
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _spans_by_weekday: tuple[tuple[_LocalSpan, ...], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
            raise ValueError(
                f"Unknown time zone {self.time_zone!r}; expected an IANA name such as 'Europe/Berlin'"
            ) from error
        holidays = frozenset(self.holidays)
        for holiday in holidays:
            if not isinstance(holiday, date) or isinstance(holiday, datetime):
                raise ValueError(f"Holidays must be dates, got {holiday!r}")
        spans_by_weekday = _normalise_week(self.weekly_hours)
        if self.always_open and (any(spans_by_weekday) or holidays):
            raise ValueError(
                "A 24x7 calendar takes no weekly hours or holidays; give every weekday the span "
                "(time(0), time(0)) for around-the-clock working time with holidays"
            )
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "_spans_by_weekday", spans_by_weekday)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(
            self,
            "weekly_hours",
            MappingProxyType(
                {
                    weekday: tuple((_time_of(start), _time_of(end)) for start, end in spans)
                    for weekday, spans in enumerate(spans_by_weekday)
                    if spans
                }
            ),
        )

    @classmethod
    def twenty_four_seven(cls, time_zone: str = "UTC") -> Self:
        """Around the clock, every day: business time equals elapsed time."""
        return cls(time_zone=time_zone, always_open=True)

    @classmethod
    def office_hours(
        cls,
        time_zone: str,
        *,
        start: time = time(9),
        end: time = time(17),
        weekdays: Iterable[int] = range(5),
        holidays: Iterable[date] = (),
    ) -> Self:
        """One span per working day, ``start`` to ``end`` local time; Monday to Friday unless told otherwise."""
        return cls(
            time_zone=time_zone,
            weekly_hours={weekday: ((start, end),) for weekday in weekdays},
            holidays=frozenset(holidays),
        )

    def __reduce__(self) -> tuple[type[Self], tuple[Any, ...]]:
        return type(self), (self.time_zone, dict(self.weekly_hours), self.holidays, self.always_open)

    @property
    def has_working_time(self) -> bool:
        """False for a calendar with no working hours on any weekday, where no deadline can ever fall."""
        return self.always_open or any(self._spans_by_weekday)


def add_business_time(calendar: WorkingCalendar, start: datetime, amount: timedelta) -> datetime:
    """The UTC instant at which ``amount`` of working time, counted from ``start``, is complete.

    Counting begins at ``start`` if that is working time, otherwise at the next opening. A positive amount
    that runs out exactly at a closing time returns that closing time; zero returns
    ``next_working_moment(start)``. Exact to the microsecond; non-decreasing in ``start`` and ``amount``.

    Raises ValueError for a naive ``start``, a negative amount, a calendar without working hours, or when
    ``MAX_IDLE_DAYS`` pass without any working time.
    """
    start = _as_utc(start, "start")
    if amount < _ZERO:
        raise ValueError(f"Cannot add a negative amount of business time ({amount})")
    if calendar.always_open:
        return start + amount
    _require_working_time(calendar)
    remaining = amount
    for opens, closes in _intervals_ending_after(calendar, start):
        begin = max(opens, start)
        available = closes - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise AssertionError("the search for working time ended without a result or an error")


def add_business_minutes(calendar: WorkingCalendar, start: datetime, minutes: float) -> datetime:
    """``add_business_time`` for an amount in minutes (int or float, rounded to the microsecond)."""
    if not math.isfinite(minutes) or minutes < 0:
        raise ValueError(f"Business minutes must be a finite, non-negative number, got {minutes!r}")
    return add_business_time(calendar, start, timedelta(minutes=minutes))


def business_time_between(calendar: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    """Working time in ``[start, end]``, exact; zero when ``end <= start`` or the calendar never works.

    Additive: for ``a <= b <= c``, between(a, b) + between(b, c) == between(a, c).
    Raises ValueError for naive datetimes.
    """
    start = _as_utc(start, "start")
    end = _as_utc(end, "end")
    if end <= start or not calendar.has_working_time:
        return _ZERO
    if calendar.always_open:
        return end - start
    total = _ZERO
    for opens, closes in _intervals_starting_before(calendar, start, end):
        overlap = min(closes, end) - max(opens, start)
        if overlap > _ZERO:
            total += overlap
    return total


def business_minutes_between(calendar: WorkingCalendar, start: datetime, end: datetime) -> float:
    """``business_time_between`` in minutes, as a float (microsecond precision)."""
    return business_time_between(calendar, start, end) / _MINUTE


def is_working_time(calendar: WorkingCalendar, at: datetime) -> bool:
    """Whether ``at`` falls inside a working interval; openings count as working time, closings do not."""
    at = _as_utc(at, "at")
    if calendar.always_open:
        return True
    return any(opens <= at < closes for opens, closes in _intervals_starting_before(calendar, at, at + _MICROSECOND))


def next_working_moment(calendar: WorkingCalendar, at: datetime) -> datetime:
    """``at`` (in UTC) if it is working time, otherwise the next opening.

    Raises ValueError like ``add_business_time``.
    """
    return add_business_time(calendar, at, _ZERO)


def public_holidays(country_code: str, years: Iterable[int], subdivision: str | None = None) -> set[date]:
    """Public holidays of a country, or of one of its subdivisions (e.g. ``"DE"``, ``"BY"`` for Bavaria), in
    the given years, from the maintained ``holidays`` package. Includes the substitute "observed" days a
    country moves holidays to. Raises ValueError for an unknown country or subdivision.
    """
    try:
        table = holiday_tables.country_holidays(country_code, subdiv=subdivision, years=list(years))
    except NotImplementedError as error:
        raise ValueError(str(error)) from error
    return set(table)


def _normalise_week(weekly_hours: Mapping[int, Sequence[Span]]) -> tuple[tuple[_LocalSpan, ...], ...]:
    week: list[list[_LocalSpan]] = [[] for _ in range(7)]
    for weekday, spans in weekly_hours.items():
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValueError(f"Weekdays run from 0 (Monday) to 6 (Sunday), got {weekday!r}")
        for span in spans:
            if not (isinstance(span, tuple | list) and len(span) == 2):
                raise ValueError(
                    f"Working hours for weekday {weekday} must be (start, end) pairs of times, got {span!r}"
                )
            start, end = span
            start_offset, end_offset = _offset_of(start), _offset_of(end) or _DAY
            if start_offset >= end_offset:
                raise ValueError(f"Working span {start}-{end} on weekday {weekday} must start before it ends")
            week[weekday].append((start_offset, end_offset))
    return tuple(_merge(weekday, spans) for weekday, spans in enumerate(week))


def _merge(weekday: int, spans: list[_LocalSpan]) -> tuple[_LocalSpan, ...]:
    merged: list[_LocalSpan] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            raise ValueError(
                f"Working spans on weekday {weekday} overlap: "
                f"{_time_of(merged[-1][0])}-{_time_of(merged[-1][1])} and {_time_of(start)}-{_time_of(end)}"
            )
        if merged and start == merged[-1][1]:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


def _offset_of(moment: time) -> timedelta:
    if not isinstance(moment, time) or moment.tzinfo is not None:
        raise ValueError(f"Working hours must be naive times of day (local to the calendar), got {moment!r}")
    return timedelta(hours=moment.hour, minutes=moment.minute, seconds=moment.second, microseconds=moment.microsecond)


def _time_of(offset: timedelta) -> time:
    return (datetime.min + offset).time()


def _as_utc(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, got {moment!r}")
    if moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")
    return moment.astimezone(UTC)


def _require_working_time(calendar: WorkingCalendar) -> None:
    if not calendar.has_working_time:
        raise ValueError(f"The calendar in {calendar.time_zone} has no working hours on any weekday, so it never opens")


def _wall_time(zone: ZoneInfo, instant: datetime) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None, fold=0)


def _instant_of(zone: ZoneInfo, wall: datetime) -> datetime:
    """The earliest instant whose local wall time in ``zone`` is ``wall`` or later."""
    instant = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _wall_time(zone, instant) == wall:
        return instant
    # ``wall`` was skipped by a forward change. Reading it with the offsets from before and after the change
    # brackets the change, which tz data places on a whole second; bisect for it.
    other = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = min(instant, other), max(instant, other)
    low -= timedelta(microseconds=low.microsecond)
    if high.microsecond:
        high += _SECOND - timedelta(microseconds=high.microsecond)
    while high - low > _SECOND:
        middle = low + (high - low) // _SECOND // 2 * _SECOND
        if _wall_time(zone, middle) >= wall:
            high = middle
        else:
            low = middle
    return high


def _local_date(calendar: WorkingCalendar, instant: datetime) -> date:
    return instant.astimezone(calendar._zone).date()


def _day_starts_at(calendar: WorkingCalendar, day: date) -> datetime:
    return _instant_of(calendar._zone, datetime.combine(day, time()))


def _intervals_of_day(calendar: WorkingCalendar, day: date) -> list[_Interval]:
    if day in calendar.holidays:
        return []
    midnight = datetime.combine(day, time())
    intervals = []
    for start, end in calendar._spans_by_weekday[day.weekday()]:
        opens = _instant_of(calendar._zone, midnight + start)
        closes = _instant_of(calendar._zone, midnight + end)
        if opens < closes:
            intervals.append((opens, closes))
    return intervals


def _intervals_ending_after(calendar: WorkingCalendar, start: datetime) -> Iterator[_Interval]:
    """Working intervals that close after ``start``, in order, without end.

    Every interval of an earlier local day closes by the start of ``start``'s local day, which is not after
    ``start``, so the walk can begin there.
    """
    day = _local_date(calendar, start)
    idle_days = 0
    while True:
        intervals = [interval for interval in _intervals_of_day(calendar, day) if interval[1] > start]
        yield from intervals
        idle_days = 0 if intervals else idle_days + 1
        if idle_days > MAX_IDLE_DAYS:
            raise ValueError(
                f"The calendar in {calendar.time_zone} has no working time in the {MAX_IDLE_DAYS} days "
                f"before {day.isoformat()}"
            )
        day += _DAY


def _intervals_starting_before(calendar: WorkingCalendar, start: datetime, end: datetime) -> Iterator[_Interval]:
    """Every working interval that could overlap ``[start, end)``, plus possibly some that end before it."""
    day = _local_date(calendar, start)
    while _day_starts_at(calendar, day) < end:
        yield from _intervals_of_day(calendar, day)
        day += _DAY
