from datetime import datetime

import pytest

from escalations.sla import engine


@pytest.fixture(autouse=True)
def fresh_sla_calendars():
    """Working calendars are cached per calendar id; ids come back after a rollback, so start every test clean."""
    engine.calendar_cache_clear()
    yield
    engine.calendar_cache_clear()


@pytest.fixture
def at(time_machine):
    """Move the frozen clock to a moment: `at(MONDAY_9 + minutes(20))`."""

    def move(moment: datetime) -> datetime:
        time_machine.move_to(moment, tick=False)
        return moment

    return move
